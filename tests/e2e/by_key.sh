#!/bin/bash
# Revocation by key (issue 19: POST /api/v1/revocations/by-key, `lancre revoke
# --by-key`) on a running `lancre run`: one key certified three times under two
# issuers (openssl req/x509 reusing the key), one of them revoked superseded
# before, and a certificate of another key.  By-key with the public key's PEM
# and ?wait=served: the answer lists the three, `openssl ocsp` then says each
# is revoked keyCompromise and the fourth good, and the CRLs served list the
# three with reason keyCompromise (openssl crl -text).  Again with one of the
# certificates as the body: a no-op (200, nothing new in `lancre audit`).  A
# token without the revoke scope (403) and a malformed key (400) change
# nothing.  The CLI, -d, on a key of its own, and over the API with --wait.  A
# certificate without a key hash (recorded before schema 10) is counted and warned about.
. "$(dirname "$0")/lib.sh"

D=$T/data
"$LANCRE" init -d "$D" >/dev/null
conf_set "$D/lancre.conf" crl delay 2s # a revocation's CRL within a second or two
mkca root
mkca e1 root ec
mkca e2 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
"$LANCRE" issuer add -d "$D" e2 "$T/e2.pem" "$T/e2.key" >/dev/null

# certify NAME ISSUER KEY: $T/NAME.pem, a leaf of ISSUER for KEY (the same key each time).
certify() {
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=DNS:%s.test\n' "$1" >"$T/$1.ext"
	openssl req -new -key "$T/$3" -subj "/CN=$1.test" -out "$T/$1.csr" 2>/dev/null
	openssl x509 -req -in "$T/$1.csr" -CA "$T/$2.pem" -CAkey "$T/$2.key" \
		-set_serial "0x$(openssl rand -hex 12)" -days 90 -extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null
}
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/bad.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/other.key" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/cli.key" 2>/dev/null
openssl pkey -in "$T/bad.key" -pubout -out "$T/bad.pub" 2>/dev/null
certify k1 e1 bad.key
certify k2 e1 bad.key
certify k3 e2 bad.key
certify o1 e1 other.key
certify c1 e2 cli.key
certify c2 e1 cli.key
"$LANCRE" cert add -d "$D" "$T/k1.pem" "$T/k2.pem" "$T/k3.pem" "$T/o1.pem" "$T/c1.pem" "$T/c2.pem" >/dev/null
"$LANCRE" revoke -d "$D" --reason superseded "$T/k2.pem" >/dev/null
"$LANCRE" token add -d "$D" ci --scope revoke,read >"$T/ci.token"
"$LANCRE" token add -d "$D" adder --scope intake,read >"$T/adder.token"
TOK=$(cat "$T/ci.token") ATOK=$(cat "$T/adder.token")

start_run
[ -n "$adminp" ] && ok "lancre run started its admin process" || not_ok "no admin process"
U=http://127.0.0.1:$API/api/v1
api() {
	local path=$2 method=$1
	shift 2
	code=$(curl -sS -o "$T/body" -w '%{http_code}' -X "$method" "$@" "$U/$path")
}
changes() { sqlite3 "$D/lancre.db" "select (select count(*) from certificates where status = 1) || '/' || (select count(*) from certificates where reason = 1) || '/' || (select count(*) from audit)"; }
# status NAME ISSUER: what openssl ocsp says of $T/NAME.pem, and the reason if revoked.
status() {
	openssl ocsp -issuer "$T/$2.pem" -cert "$T/$1.pem" -url "http://127.0.0.1:$P/ocsp" \
		-VAfile "$T/$2.pem" -no_nonce 2>/dev/null |
		sed -n -e "s|^$T/$1.pem: ||p" -e 's|^[[:space:]]*Reason: ||p' | tr '\n' ' ' | sed 's/ $//'
}
before=$(changes)

# Refused, and nothing changed.
api POST revocations/by-key -H "Authorization: Bearer $ATOK" --data-binary @"$T/bad.pub"
same "a token without the revoke scope: 403" "$code" 403
has "$T/body" "this needs revoke" "the answer says which scope"
api POST revocations/by-key -H "Authorization: Bearer $TOK" -d '{"key": "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n"}'
same "a malformed key: 400" "$code" 400
has "$T/body" '"error":"\\"key\\": a PUBLIC KEY block that does not decode' "the answer says what is wrong"
api POST revocations/by-key -H "Authorization: Bearer $TOK" --data-binary @"$T/bad.key"
same "a private key: 400" "$code" 400
has "$T/body" 'a private key: give its public key' "refused, never read"
api POST revocations/by-key -H "Authorization: Bearer $TOK" -d '{"key": "x", "reason": "superseded"}'
same "an unknown member: 400" "$code" 400
same "nothing changed (revoked/keyCompromise/audit rows)" "$(changes)" "$before"

# By the public key, waiting until it is served.
key_json=$("$PY" -c 'import json, sys; print(json.dumps({"key": open(sys.argv[1]).read()}))' "$T/bad.pub")
t0=$(date +%s%N)
api POST "revocations/by-key?wait=served&timeout=60" -H "Authorization: Bearer $TOK" \
	-H 'Content-Type: application/json' -d "$key_json"
echo "# wait=served, by-key revocation of 3 certificates (OCSP and CRLs): $((($(date +%s%N) - t0) / 1000000)) ms"
[ "$code" = 200 ] || sed 's/^/# /' "$T/body"
same "by-key with the public key's PEM: 200" "$code" 200
want=$(openssl pkey -pubin -in "$T/bad.pub" -outform DER | sha256sum | cut -c1-64)
has "$T/body" "\"spki_sha256\":\"$want\"" "the answer names the key by its SPKI SHA-256"
has "$T/body" '"revoked":2,"changed":1,"unchanged":0,"unkeyed":0' "two revoked, one changed (was superseded), none unsearched"
has "$T/body" '"served":\{"waited_ms":[0-9]+\}' "served when answered"
for x in k1:e1 k2:e1 k3:e2; do
	has "$T/body" "\"issuer\":\"${x#*:}\",\"serial\":\"$(serial_of "$T/${x%:*}.pem")\"" "it lists ${x%:*} under ${x#*:}"
done
same "openssl ocsp: k1 (e1) revoked keyCompromise" "$(status k1 e1)" "revoked keyCompromise"
same "openssl ocsp: k2 (e1, was superseded) revoked keyCompromise" "$(status k2 e1)" "revoked keyCompromise"
same "openssl ocsp: k3 (e2) revoked keyCompromise" "$(status k3 e2)" "revoked keyCompromise"
same "openssl ocsp: o1, another key, good" "$(status o1 e1)" "good"
# The CRL of each one's shard, as served now.
for x in k1 k2 k3; do
	shard=$("$PY" - "$T/body" "$(serial_of "$T/$x.pem")" <<'PYEOF'
import json, sys
for c in json.load(open(sys.argv[1]))["revocations"]:
    if c["serial"] == sys.argv[2]:
        print(c["issuer"] + "/" + str(c["crl_shard"]))
PYEOF
)
	curl -sS -o "$T/$x.crl" "http://127.0.0.1:$P/crl/$shard.crl"
	sn=$(serial_of "$T/$x.pem" | tr a-f A-F | sed 's/^00//')
	if openssl crl -inform DER -in "$T/$x.crl" -noout -text 2>/dev/null | tr -d ' \t' |
		grep -A4 "^SerialNumber:0*$sn\$" | grep -q '^KeyCompromise$'; then
		ok "the CRL $shard.crl lists $x with reason keyCompromise"
	else
		not_ok "the CRL $shard.crl does not list $x ($sn) as keyCompromise"
	fi
done
same "one audit row per certificate, naming the key" \
	"$(sqlite3 "$D/lancre.db" "select count(*) from audit where action = 'cert.revoke' and actor = 'token:ci' and detail like '{\"by_key\":\"$want\",\"reason\":\"keyCompromise\"%'")" 3

# Again, with one of the certificates as the body: a no-op.
"$LANCRE" audit -d "$D" >"$T/audit.before"
before=$(changes)
api POST revocations/by-key -H "Authorization: Bearer $TOK" --data-binary @"$T/k3.pem"
same "again, by a certificate of the key: 200" "$code" 200
has "$T/body" '"revoked":0,"changed":0,"unchanged":3' "all three unchanged"
same "nothing changed" "$(changes)" "$before"
"$LANCRE" audit -d "$D" >"$T/audit.after"
if cmp -s "$T/audit.before" "$T/audit.after"; then ok "lancre audit shows nothing new"; else not_ok "lancre audit changed"; fi
# A key with no certificate: 200, an empty list.
openssl pkey -in "$T/other.key" -pubout -outform DER -out "$T/other.der" 2>/dev/null
api POST revocations/by-key -H "Authorization: Bearer $TOK" --data-binary @"$T/other.der"
has "$T/body" '"revoked":1,' "by another key's DER: its one certificate"
api POST revocations/by-key -H "Authorization: Bearer $TOK" -d "{\"spki_sha256\": \"$(printf '%064d' 0)\"}"
same "a key with no certificate: 200" "$code" 200
has "$T/body" '"revocations":\[\],"revoked":0' "an empty list"

# The CLI with -d, by a certificate of a third key: both its certificates, two issuers,
# dated an hour ago, before they were issued: each is revoked at its own notBefore.
DATE=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
nb() { date -u -d "$(openssl x509 -noout -startdate -in "$1" | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ; }
expect 0 "lancre revoke --by-key CERTFILE -d" "$LANCRE" revoke -d "$D" --by-key "$T/c2.pem" --date "$DATE"
has "$OUT" "^Revoked e2 serial $(serial_of "$T/c1.pem") at $(nb "$T/c1.pem") \\(keyCompromise\\)\\.$" "it revoked c1 (e2), at its notBefore"
has "$OUT" "^Revoked e1 serial $(serial_of "$T/c2.pem") at $(nb "$T/c2.pem") \\(keyCompromise\\)\\.$" "and c2 (e1)"
has "$OUT" "^Key SPKI SHA-256 [0-9a-f]{64}: 2 certificates, 2 revoked now, 0 revoked \\(keyCompromise\\) already\\.$" "and sums it up"
same "the audit rows are the CLI user's" "$(sqlite3 "$D/lancre.db" "select count(*) from audit where action = 'cert.revoke' and actor like 'cli:%' and detail like '{\"by_key\":%'")" 2
expect 0 "again: nothing to do" "$LANCRE" revoke -d "$D" --by-key "$T/c1.pem"
has "$OUT" "^Already revoked e2 serial $(serial_of "$T/c1.pem") at $(nb "$T/c1.pem") \\(keyCompromise\\)\\.$" "already revoked, at the date of the first time"
expect 2 "--by-key with another reason: usage error" "$LANCRE" revoke -d "$D" --by-key "$T/c1.pem" --reason superseded
expect 1 "--by-key of a private key: refused" "$LANCRE" revoke -d "$D" --by-key "$T/cli.key"
one_line_error "one line saying so"
has "$ERR" "cli.key: a private key" "naming the file"

# The CLI over the API, waiting until served: o1's key was revoked above by its DER.
chmod 600 "$T/ci.token"
expect 0 "lancre revoke --by-key --api --wait" "$LANCRE" revoke --api "http://127.0.0.1:$API" \
	--token-file "$T/ci.token" --wait --by-key "$T/o1.pem"
has "$OUT" "^Already revoked e1 serial $(serial_of "$T/o1.pem") at .* \\(keyCompromise\\)\\.$" "it says o1 is revoked already"

# A certificate without a key hash (as rows recorded before schema 10 are: c2 made so by
# hand): the search cannot see it, and both the API and the CLI say how many there are.
sqlite3 "$D/lancre.db" "update certificates set spki_sha256 = NULL where id = (select max(id) from certificates)"
api POST revocations/by-key -H "Authorization: Bearer $TOK" --data-binary @"$T/c1.pem"
has "$T/body" '"unchanged":1,"unkeyed":1' "the API: c1 only, and one certificate not searched"
has "$T/body" '"warning":"1 certificates were recorded before lancre kept key hashes' "with a warning"
expect 0 "lancre revoke --by-key -d with a certificate not searched" "$LANCRE" revoke -d "$D" --by-key "$T/c1.pem"
has "$ERR" '^lancre revoke: warning: 1 certificates were recorded before lancre kept key hashes \(schema 10\)' "the CLI warns on stderr"
has "$OUT" "1 certificate, 0 revoked now, 1 revoked \\(keyCompromise\\) already\\.$" "and counts what it found"

kill -TERM "$pid"
wait_gone "$pid" 15
same "SIGTERM: lancre run exits 0" "$st" 0

echo "1..$n"
