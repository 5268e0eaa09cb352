#!/bin/bash
# Precertificates (issue 19; RFC 6962 3.1) through the admin API on a running
# `lancre run`, and through `lancre cert add`: a precertificate made with openssl
# (the critical CT poison) is recorded, marked "precertificate only", and `openssl
# ocsp` answers good for its serial before the final certificate exists; a final
# certificate with another subject or validity is refused and changes nothing; the
# final certificate (the poison gone, an SCT list added) completes the record (its
# fingerprint, an audit row "cert.complete"); the precertificate or the final
# certificate again changes nothing; the final certificate first, then its
# precertificate: nothing changes and the answer says why; a revoked
# precertificate's serial stays revoked when its final certificate arrives.
. "$(dirname "$0")/lib.sh"

D=$T/data
"$LANCRE" init -d "$D" >/dev/null
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
"$LANCRE" token add -d "$D" ci --scope intake,revoke,read >"$T/ci.token"
TOK=$(cat "$T/ci.token")

# mkpair NAME SERIAL_HEX: $T/NAME-pre.pem (a precertificate of e1) and $T/NAME.pem (its
# final certificate: the same subject, key, serial, validity and extensions, the poison
# replaced by an SCT list), and two tampered final certificates, $T/NAME-subj.pem
# (another subject) and $T/NAME-days.pem (another notAfter), signed by `openssl ca` with
# fixed dates (openssl x509 -req dates each from now) and a fresh index each time (it
# refuses a serial it issued before, which is the point here).
cat >"$T/ca.cnf" <<EOF
[ca]
default_ca = d
[d]
database = $T/ca/index.txt
new_certs_dir = $T/ca
serial = $T/ca/serial
certificate = $T/e1.pem
private_key = $T/e1.key
default_md = sha256
policy = p
unique_subject = no
email_in_dn = no
[p]
commonName = supplied
EOF
NB=$(date -u -d yesterday +%Y%m%d000000Z) NA=$(date -u -d '+90 days' +%Y%m%d000000Z)
NA2=$(date -u -d '+91 days' +%Y%m%d000000Z)
mkpair() {
	local name=$1 serial=$2 exts
	[ -f "$T/leaf.key" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/leaf.key" 2>/dev/null
	exts="basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=DNS:$name.test\n"
	printf "$exts%s\n" '1.3.6.1.4.1.11129.2.4.3=critical,ASN1:NULL' >"$T/pre.ext"
	printf "$exts%s\n" '1.3.6.1.4.1.11129.2.4.2=ASN1:FORMAT:HEX,OCTETSTRING:0000' >"$T/fin.ext"
	openssl req -new -key "$T/leaf.key" -subj "/CN=$name.test" -out "$T/$name.csr" 2>/dev/null
	openssl req -new -key "$T/leaf.key" -subj "/CN=other-$name.test" -out "$T/$name-subj.csr" 2>/dev/null
	sign() { # CSR NOTAFTER EXTFILE OUT
		rm -rf "$T/ca" && mkdir "$T/ca" && touch "$T/ca/index.txt" && echo "$serial" >"$T/ca/serial" &&
			openssl ca -batch -config "$T/ca.cnf" -notext -preserveDN -in "$T/$1" -startdate "$NB" \
				-enddate "$2" -extfile "$T/$3" -out "$T/$4" >/dev/null 2>&1
	}
	sign "$name.csr" "$NA" pre.ext "$name-pre.pem" && sign "$name.csr" "$NA" fin.ext "$name.pem" &&
		sign "$name-subj.csr" "$NA" fin.ext "$name-subj.pem" && sign "$name.csr" "$NA2" fin.ext "$name-days.pem"
}
sha() { openssl x509 -in "$T/$1.pem" -outform DER | sha256sum | cut -c1-64; }
row() { sqlite3 "$D/lancre.db" "select precert || ' ' || status || ' ' || lower(hex(fingerprint)) from certificates where serial = x'$1'"; }
changes() {
	sqlite3 "$D/lancre.db" "select (select count(*) from certificates) || '/' || (select count(*) from audit)"
	sqlite3 "$D/lancre.db" "select lower(hex(fingerprint)) || ' ' || precert || ' ' || status from certificates order by id"
}

mkpair p 51a1 && mkpair f 51a2 && mkpair r 51a3 && mkpair c 51a4 && ok "openssl made four precertificate/final pairs" || not_ok "openssl could not make the pairs"
openssl x509 -in "$T/p-pre.pem" -noout -text | grep -q 'CT Precertificate Poison: critical' && ok "the precertificate carries the critical poison" || not_ok "no poison in p-pre.pem"
conf_set "$D/lancre.conf" crl delay 2s
start_run
U=http://127.0.0.1:$API/api/v1
api() {
	local path=$2 method=$1
	shift 2
	code=$(curl -sS -o "$T/body" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $TOK" "$@" "$U/$path")
}

# The precertificate: recorded, precertificate only, good before the final certificate exists.
api POST certificates --data-binary @"$T/p-pre.pem"
same "a precertificate over the API: 200" "$code" 200
has "$T/body" '"added":1' "added"
has "$T/body" '"precert":true' "the answer says precertificate"
same "the row: precert 1, good, the precertificate's fingerprint" "$(row 51a1)" "1 0 $(sha p-pre)"
same "a cert.add audit row saying precert" \
	"$(sqlite3 "$D/lancre.db" "select action || ' ' || detail from audit where serial = x'51a1' order by id")" \
	"cert.add {\"sha256\":\"$(sha p-pre)\",\"precert\":true}"
if t=$(until_e1_status "$P" p-pre good 10); then ok "openssl ocsp for the precertificate's serial: good ($t ms after)"; else not_ok "the precertificate's serial is '$(e1_status "$P" p-pre)'"; fi
api GET certificates/e1/51a1
has "$T/body" '"status":"good".*"precert":true' "GET: good, precertificate only"
expect 0 "lancre status by serial" "$LANCRE" status -d "$D" --issuer e1 51a1
has "$OUT" '^recorded: a precertificate only' "lancre status says precertificate only"
expect 0 "lancre cert list" "$LANCRE" cert list -d "$D"
has "$OUT" '^51a1 e1 .* good \(precertificate only\)$' "cert list says precertificate only"
expect 0 "lancre cert list --json" "$LANCRE" cert list -d "$D" --json
has "$OUT" '"serial": "51a1".*"precert": true' "and its JSON"
api POST certificates --data-binary @"$T/p-pre.pem"
has "$T/body" '"added":0,"present":1' "the precertificate again: 200, present"

# Tampered final certificates: refused, nothing changed.
before=$(changes)
api POST certificates --data-binary @"$T/p-subj.pem"
same "a final certificate with another subject: 422" "$code" 422
has "$T/body" 'serial 51a1 is recorded for a precertificate that this certificate does not match' "the answer says it does not match the precertificate"
api POST certificates --data-binary @"$T/p-days.pem"
same "a final certificate with another notAfter: 422" "$code" 422
same "nothing changed (rows, audit, fingerprints)" "$(changes)" "$before"

# The final certificate completes the record.
api POST certificates --data-binary @"$T/p.pem"
same "the final certificate: 200" "$code" 200
has "$T/body" '"added":0,"present":0,"completed":1' "completed 1"
has "$T/body" '"result":"completed"' "its result: completed"
same "the row: precert 0, the final certificate's fingerprint" "$(row 51a1)" "0 0 $(sha p)"
same "a cert.complete audit row naming both" \
	"$(sqlite3 "$D/lancre.db" "select action || ' ' || actor || ' ' || detail from audit where serial = x'51a1' order by id desc limit 1")" \
	"cert.complete token:ci {\"sha256\":\"$(sha p)\",\"precert_sha256\":\"$(sha p-pre)\"}"
same "openssl ocsp with the final certificate: good" "$(e1_status "$P" p)" good
api GET certificates/e1/51a1
has "$T/body" '"precert":false' "GET: no longer precertificate only"
before=$(changes)
api POST certificates --data-binary @"$T/p-pre.pem"
same "the precertificate after its final certificate: 200" "$code" 200
has "$T/body" '"present":1' "present"
has "$T/body" '"note":"a precertificate of a certificate recorded already' "with a note"
api POST certificates --data-binary @"$T/p.pem"
has "$T/body" '"present":1' "the final certificate again: present"
api POST certificates --data-binary @"$T/p-subj.pem"
same "a tampered one after completion: 422" "$code" 422
same "nothing changed" "$(changes)" "$before"

# The final certificate first, then its precertificate: nothing changes, the answer says so.
api POST certificates --data-binary @"$T/f.pem"
same "a final certificate with no precertificate: 200" "$code" 200
before=$(changes)
api POST certificates --data-binary @"$T/f-pre.pem"
same "its precertificate afterwards: 200" "$code" 200
has "$T/body" '"present":1.*"note":"a precertificate of a certificate recorded already: nothing changed"' "present, with a note"
same "nothing changed" "$(changes)" "$before"

# A revoked precertificate's serial stays revoked when its final certificate arrives.
api POST certificates --data-binary @"$T/r-pre.pem"
api POST revocations -d '{"issuer": "e1", "serial": "51a3", "reason": "keyCompromise"}'
same "the precertificate's serial revoked: 200" "$code" 200
api POST certificates --data-binary @"$T/r.pem"
has "$T/body" '"status":"revoked".*"result":"completed"' "its final certificate completes it, revoked"
same "the row: precert 0, revoked, the final fingerprint" "$(row 51a3)" "0 1 $(sha r)"
if t=$(until_e1_status "$P" r revoked 10); then ok "openssl ocsp: revoked"; else not_ok "r is '$(e1_status "$P" r)'"; fi

# The CLI: lancre cert add records a precertificate and completes it, saying so.
expect 0 "cert add of a precertificate" "$LANCRE" cert add -d "$D" "$T/c-pre.pem"
has "$OUT" '^1 added \(1 precertificate\), 0 already present, 0 refused$' "it says a precertificate was added"
expect 1 "cert add of a tampered final certificate: refused" "$LANCRE" cert add -d "$D" "$T/c-days.pem"
has "$ERR" 'does not match' "saying it does not match"
expect 0 "cert add of the final certificate" "$LANCRE" cert add -d "$D" "$T/c.pem"
has "$OUT" '^0 added, 0 already present, 0 refused, 1 precertificate completed by the final certificate$' "it says the precertificate was completed"
same "the row: precert 0, the final fingerprint" "$(row 51a4)" "0 0 $(sha c)"
same "a cert.complete row by the CLI" "$(sqlite3 "$D/lancre.db" "select action || ' ' || substr(actor, 1, 4) from audit where serial = x'51a4' order by id" | tr '\n' ,)" "cert.add cli:,cert.complete cli:,"
expect 0 "lancre audit --verify: the chain holds" "$LANCRE" audit -d "$D" --verify

kill -TERM "$pid"
wait_gone "$pid" 15
same "SIGTERM: lancre run exits 0" "$st" 0
echo "1..$n"
