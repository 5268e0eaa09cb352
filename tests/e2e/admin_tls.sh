#!/bin/bash
# Mutual TLS on the admin listener (issue 19, "Who may do it"): certificates made
# here with openssl (a server certificate from one CA; clients from a client CA,
# one listed in [admin] client lines, one not, one from another CA), against a
# running `lancre run` whose admin API listens on 0.0.0.0 (allowed only with
# mutual TLS).  curl, `openssl s_client` and the lancre CLI: the listed client
# adds and revokes (audit actor tls:SUBJECT), the unlisted one is 403, a
# certificate from another CA and no certificate are refused in the handshake,
# HTTP/2 over TLS (ALPN), TLS 1.2 and 1.3 but nothing older, a bearer token over
# TLS decides when there is one; --wait and its 504 (exit 3); a silent client is cut
# after the handshake timeout.  At start: a
# non-loopback listen without TLS, or without client_ca, refuses to start in one
# line, and so does a key file others may read.  From /proc: with the admin
# process's credentials after its drop, tls_key cannot be opened.
. "$(dirname "$0")/lib.sh"

D=$T/data D2=$T/direct
"$LANCRE" init -d "$D" >/dev/null
"$LANCRE" init -d "$D2" >/dev/null
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
"$LANCRE" issuer add -d "$D2" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
for l in a b c d w1 w2 w3; do mkleaf_old "$l" e1 10; done # revoked "yesterday" below

mkdir -p "$T/tls"
mktls serverca - - "/O=lancre test/CN=admin server CA"
mktls server serverca serverAuth "/O=lancre test/CN=admin.lancre.test" "IP:127.0.0.1,DNS:localhost"
mktls clientca - - "/O=lancre test/CN=admin client CA"
mktls issuance clientca clientAuth "/O=lancre test/CN=issuance"
mktls stranger clientca clientAuth "/O=lancre test/CN=stranger"
mktls otherca - - "/O=lancre test/CN=another CA"
mktls foreign otherca clientAuth "/O=lancre test/CN=issuance" # the listed subject, another CA
ISSUANCE=$(openssl x509 -noout -subject -nameopt RFC2253 -in "$T/tls/issuance.pem" | sed 's/^subject=//')
same "the listed client's subject, RFC 2253" "$ISSUANCE" "CN=issuance,O=lancre test"

tls_conf() { # tls_conf DIR [client_ca? yes|no]: the TLS settings in DIR's lancre.conf
	conf_set "$1/lancre.conf" admin tls_cert "$T/tls/server.pem"
	conf_set "$1/lancre.conf" admin tls_key "$T/tls/server.key"
	if [ "${2:-yes}" = yes ]; then
		conf_set "$1/lancre.conf" admin client_ca "$T/tls/clientca.pem"
		conf_set "$1/lancre.conf" admin client "$ISSUANCE : intake, revoke, read"
	fi
}

# Refused at start, each in one line, nothing started.
refuse_start() { # refuse_start DESC REGEX DIR API: `lancre run` exits 1 at once, one line
	P2=$(free_port) A2=$(free_port)
	run timeout 20 "$LANCRE" run -d "$3" --listen "127.0.0.1:$P2" --admin "127.0.0.1:$A2" \
		--threads 1 --api "$4"
	if [ "$rc" -eq 1 ]; then ok "$1: lancre run exits 1"; else not_ok "$1: lancre run exits $rc"; fi
	one_line_error "in one line"
	has "$ERR" "$2" "saying why"
}
refuse_start "0.0.0.0 without TLS" "\\[admin\\] listen 0.0.0.0:[0-9]* is not a loopback address and the admin API has no TLS" \
	"$D2" "0.0.0.0:$(free_port)"
tls_conf "$D2" no
refuse_start "0.0.0.0 with TLS but no client_ca" "is not a loopback address and \\[admin\\] client_ca is not set" \
	"$D2" "0.0.0.0:$(free_port)"
tls_conf "$D2"
chmod 644 "$T/tls/server.key"
refuse_start "a tls_key others may read" "\\[admin\\] tls_key $T/tls/server.key: group or others may read it \\(mode 0644\\)" \
	"$D2" "127.0.0.1:$(free_port)"
chmod 600 "$T/tls/server.key"
if [ "$(id -u)" -eq 0 ]; then
	chown lancre-admin "$T/tls/server.key"
	refuse_start "a tls_key owned by [admin] user" "\\[admin\\] tls_key $T/tls/server.key is owned by uid $(id -u lancre-admin)" \
		"$D2" "127.0.0.1:$(free_port)"
	chown root "$T/tls/server.key"
else
	ok "# SKIP not root: the key's owner is checked as root"
fi

# The real one: mutual TLS on 0.0.0.0.
tls_conf "$D"
"$LANCRE" token add -d "$D" ci --scope intake,revoke,read >"$T/ci.token" 2>/dev/null
chmod 600 "$T/ci.token"
TOK=$(cat "$T/ci.token")
conf_set "$D/lancre.conf" crl delay 2s # a revocation's --wait waits for its CRL too
API_HOST=0.0.0.0 start_run
[ -n "$adminp" ] && ok "lancre run with the admin API on 0.0.0.0 (mutual TLS): started ($adminp)" ||
	not_ok "no admin child of $pid"
has "$T/run.out" "^Admin API on 0.0.0.0:$API" "it says where"
U=https://127.0.0.1:$API/api/v1
TLSCA=(--cacert "$T/tls/serverca.pem")
AS_ISSUANCE=(--cert "$T/tls/issuance.pem" --key "$T/tls/issuance.key")
AS_STRANGER=(--cert "$T/tls/stranger.pem" --key "$T/tls/stranger.key")
AS_FOREIGN=(--cert "$T/tls/foreign.pem" --key "$T/tls/foreign.key")

# api METHOD PATH [CURL ARGS...]: the body in $T/body, the status in $code, curl's exit in $cx.
api() {
	local method=$1 path=$2
	shift 2
	code=$(curl -sS -o "$T/body" -w '%{http_code}' "${TLSCA[@]}" -X "$method" "$@" "$U/$path" 2>"$T/curl.err")
	cx=$?
}
changes() { sqlite3 "$D/lancre.db" "select (select count(*) from certificates) || '/' || (select count(*) from certificates where status = 1) || '/' || (select count(*) from audit)"; }
before=$(changes)

# Refused in the handshake: no certificate, one from another CA (even with the listed subject).
api GET status
[ "$cx" -ne 0 ] && [ "$code" = 000 ] && ok "no client certificate: refused in the handshake (curl exit $cx)" ||
	not_ok "no client certificate: curl exit $cx, HTTP $code"
api GET status -H "Authorization: Bearer $TOK"
[ "$cx" -ne 0 ] && [ "$code" = 000 ] && ok "a valid token without a client certificate: refused in the handshake" ||
	not_ok "a token without a certificate: curl exit $cx, HTTP $code"
api POST certificates "${AS_FOREIGN[@]}" --data-binary @"$T/a.pem"
[ "$cx" -ne 0 ] && [ "$code" = 000 ] && ok "a certificate from another CA: refused in the handshake (curl exit $cx)" ||
	not_ok "another CA's certificate: curl exit $cx, HTTP $code"
# openssl s_client, TLS 1.2 (the client's certificate is judged before the handshake ends).
sclient() { # sclient ARGS...: an HTTP/1.1 GET /api/v1/status through openssl s_client
	printf 'GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' |
		timeout 10 openssl s_client -connect "127.0.0.1:$API" -CAfile "$T/tls/serverca.pem" \
			-verify_return_error -ign_eof "$@" >"$OUT" 2>"$ERR"
	rc=$?
}
sclient -tls1_2
[ "$rc" -ne 0 ] && ! grep -q '^HTTP/1.1' "$OUT" && ok "openssl s_client -tls1_2 without a certificate: the handshake fails" ||
	not_ok "s_client without a certificate: exit $rc"
sclient -tls1_2 -cert "$T/tls/foreign.pem" -key "$T/tls/foreign.key"
# (h2o 2.2 closes the connection without sending its alert: no "unknown ca" to look for.)
[ "$rc" -ne 0 ] && ! grep -q '^HTTP/1.1' "$OUT" &&
	ok "openssl s_client -tls1_2 with another CA's certificate: the handshake fails" ||
	not_ok "s_client with another CA's certificate: exit $rc"
sclient -tls1_3 -cert "$T/tls/foreign.pem" -key "$T/tls/foreign.key"
! grep -q '^HTTP/1.1' "$OUT" && ok "openssl s_client -tls1_3 with another CA's certificate: no HTTP answer" ||
	not_ok "s_client -tls1_3 with another CA's certificate got an answer"
sclient -tls1_1 -cert "$T/tls/issuance.pem" -key "$T/tls/issuance.key" -cipher 'DEFAULT:@SECLEVEL=0'
[ "$rc" -ne 0 ] && ! grep -q '^HTTP/1.1' "$OUT" && ok "TLS 1.1: refused" || not_ok "TLS 1.1 answered"
sclient -tls1_2 -cert "$T/tls/issuance.pem" -key "$T/tls/issuance.key"
has "$OUT" '^HTTP/1.1 200 ' "openssl s_client -tls1_2 with the listed client's certificate: 200"
sclient -tls1_3 -cert "$T/tls/issuance.pem" -key "$T/tls/issuance.key"
has "$OUT" '^HTTP/1.1 200 ' "and with -tls1_3: 200"
has "$OUT" '^New, TLSv1.3, ' "TLS 1.3"

# The unlisted client: 403, nothing changed.
api GET status "${AS_STRANGER[@]}"
same "a client certificate not listed: 403" "$code" 403
has "$T/body" "client certificate 'CN=stranger,O=lancre test' is not listed in \\[admin\\] client lines" "the answer names its subject"
api POST certificates "${AS_STRANGER[@]}" --data-binary @"$T/a.pem"
same "the unlisted client adding: 403" "$code" 403
same "nothing changed in the store (certificates/revoked/audit rows)" "$(changes)" "$before"

# The listed client adds and revokes, without a token; the audit trail names it.
api GET status "${AS_ISSUANCE[@]}"
same "the listed client: GET status 200" "$code" 200
has "$T/body" "\"caller\":\"tls:CN=issuance,O=lancre test\"" "the caller is tls:SUBJECT"
api POST certificates "${AS_ISSUANCE[@]}" --data-binary @"$T/a.pem"
same "the listed client adds a certificate: 200" "$code" 200
has "$T/body" '"added":1' "added 1"
sa=$(serial_of "$T/a.pem")
api POST revocations "${AS_ISSUANCE[@]}" -d "{\"issuer\": \"e1\", \"serial\": \"$sa\", \"reason\": \"keyCompromise\"}"
same "the listed client revokes it: 200" "$code" 200
has "$T/body" '"result":"revoked"' "revoked"
same "the audit trail: both by tls:CN=issuance,O=lancre test" \
	"$(sqlite3 "$D/lancre.db" "select action || ' ' || actor from audit where actor like 'tls:%' order by id" | tr '\n' ',')" \
	"cert.add tls:CN=issuance,O=lancre test,cert.revoke tls:CN=issuance,O=lancre test,"

# A bearer token over TLS decides: the unlisted client with a token acts as the token.
api POST certificates "${AS_STRANGER[@]}" -H "Authorization: Bearer $TOK" --data-binary @"$T/b.pem"
same "the unlisted client with a valid token: 200" "$code" 200
same "the audit row names the token" "$(sqlite3 "$D/lancre.db" "select actor from audit order by id desc limit 1")" "token:ci"
api GET status "${AS_ISSUANCE[@]}" -H "Authorization: Bearer lct_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
same "the listed client with a wrong token: 401" "$code" 401

# HTTP/2 over TLS (ALPN h2), and HTTP/1.1 when asked for.
code=$(curl -sS --http2 -o "$T/body" -w '%{http_code} %{http_version}' "${TLSCA[@]}" "${AS_ISSUANCE[@]}" "$U/status")
same "curl --http2: HTTP/2 over TLS" "$code" "200 2"
code=$(curl -sS --http1.1 -o "$T/body" -w '%{http_code} %{http_version}' "${TLSCA[@]}" "${AS_ISSUANCE[@]}" "$U/status")
same "curl --http1.1: HTTP/1.1 over TLS" "$code" "200 1.1"
code=$(curl -sS --http2 -o "$T/body" -w '%{http_code} %{http_version}' "${TLSCA[@]}" "${AS_ISSUANCE[@]}" \
	--data-binary @"$T/c.pem" "$U/certificates")
same "HTTP/2: the listed client adds a certificate" "$code" "200 2"
same "as tls:SUBJECT" "$(sqlite3 "$D/lancre.db" "select actor from audit order by id desc limit 1")" "tls:CN=issuance,O=lancre test"

# The lancre CLI over https, with the client certificate, prints what -d prints.
CLI_TLS=(--api "https://127.0.0.1:$API" --cacert "$T/tls/serverca.pem" --cert "$T/tls/issuance.pem" --key "$T/tls/issuance.key")
API_EXTRA=() # options for the --api side only (--wait)
both() { # both DESC ARGS...: -d $D2 and --api (TLS, client certificate) print and exit the same
	local tls_api=("${CLI_TLS[@]}" ${API_EXTRA[@]+"${API_EXTRA[@]}"})
	cli_same "$1" "over TLS" "$D2" tls_api "${@:2}"
}
both "cert add" cert add "$T/d.pem"
has "$T/a.out" '^1 added, 0 already present, 0 refused$' "1 added"
sd=$(serial_of "$T/d.pem")
DATE=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)
both "revoke" revoke --issuer e1 --serial "$sd" --reason keyCompromise --date "$DATE"
has "$T/a.out" "^Revoked e1 serial $sd at $DATE \\(keyCompromise\\)\\.$" "it says what was revoked"
same "the CLI's changes are tls:SUBJECT's" "$(sqlite3 "$D/lancre.db" "select action || ' ' || actor from audit order by id desc limit 2" | tr '\n' ',')" \
	"cert.revoke tls:CN=issuance,O=lancre test,cert.add tls:CN=issuance,O=lancre test,"
expect 1 "lancre status with the unlisted client's certificate: exit 1" "$LANCRE" status --api "https://127.0.0.1:$API" \
	--cacert "$T/tls/serverca.pem" "${AS_STRANGER[@]}" "$sd"
one_line_error "in one line"
has "$ERR" "the client certificate of $T/tls/stranger.pem may not do this: .*not listed" "naming the certificate"
expect 0 "lancre status with the unlisted client's certificate and a token: the token decides" \
	"$LANCRE" status --api "https://127.0.0.1:$API" --cacert "$T/tls/serverca.pem" "${AS_STRANGER[@]}" --token-file "$T/ci.token" "$sd"
has "$OUT" '^status: revoked$' "revoked"
expect 1 "lancre status without a client certificate: exit 1" "$LANCRE" status --api "https://127.0.0.1:$API" \
	--cacert "$T/tls/serverca.pem" --token-file "$T/ci.token" "$sd"
one_line_error "in one line"
has "$ERR" "could not reach the admin API at https://127.0.0.1:$API" "naming the URL"
expect 1 "the API's certificate not from --cacert's CA: exit 1" "$LANCRE" status --api "https://127.0.0.1:$API" \
	--cacert "$T/tls/clientca.pem" "${AS_ISSUANCE[@]}" "$sd"
one_line_error "in one line"
chmod 640 "$T/tls/issuance.key"
expect 1 "a --key file group may read: refused" "$LANCRE" status "${CLI_TLS[@]}" "$sd"
has "$ERR" "--key $T/tls/issuance.key: group or others may read it" "saying why"
chmod 600 "$T/tls/issuance.key"
expect 2 "--cert over http://: a usage error" "$LANCRE" status --api "http://127.0.0.1:$API" "${AS_ISSUANCE[@]}" "$sd"
expect 2 "--cert without --key: a usage error" "$LANCRE" status --api "https://127.0.0.1:$API" --cert "$T/tls/issuance.pem" "$sd"
expect 2 "--wait-timeout 0: a usage error" "$LANCRE" cert add "${CLI_TLS[@]}" --wait --wait-timeout 0 "$T/w1.pem"
expect 2 "--wait with -d: a usage error" "$LANCRE" cert add -d "$D2" --wait "$T/w1.pem"

# --wait: the answer once served, so the next openssl ocsp sees it; the same output as -d.
API_EXTRA=(--wait)
both "cert add --wait" cert add "$T/w1.pem"
same "openssl ocsp right after cert add --wait: good" "$(e1_status "$P" w1)" good
sw=$(serial_of "$T/w1.pem")
API_EXTRA=(--wait --wait-timeout 30)
both "revoke --wait --wait-timeout 30" revoke --issuer e1 --serial "$sw" --reason keyCompromise --date "$DATE"
same "openssl ocsp right after revoke --wait: revoked" "$(e1_status "$P" w1)" revoked
API_EXTRA=()
# The signer stopped: recorded, not served within 1 s: exit 3, one line, the output as -d's.
kill -STOP "$signer"
"$LANCRE" cert add "${CLI_TLS[@]}" --wait --wait-timeout 1 "$T/w2.pem" >"$T/a.out" 2>"$T/a.err"
arc=$?
kill -CONT "$signer"
same "cert add --wait, not served in time: exit 3" "$arc" 3
has "$T/a.out" '^1 added, 0 already present, 0 refused$' "it says 1 added (it is recorded)"
same "one line on stderr" "$(wc -l <"$T/a.err")" 1
has "$T/a.err" "^lancre cert: recorded, but not served within the --wait timeout: 1 certificate, the first e1 serial $(serial_of "$T/w2.pem") \\(OCSP\\) not served yet" "saying what was not served"
sw3=$(serial_of "$T/w3.pem")
"$LANCRE" cert add "${CLI_TLS[@]}" "$T/w3.pem" >/dev/null 2>&1
kill -STOP "$signer"
"$LANCRE" revoke "${CLI_TLS[@]}" --wait --wait-timeout 1 --issuer e1 --serial "$sw3" >"$T/a.out" 2>"$T/a.err"
arc=$?
kill -CONT "$signer"
same "revoke --wait, not served in time: exit 3" "$arc" 3
has "$T/a.out" "^Revoked e1 serial $sw3 at " "it says revoked (it is recorded)"
has "$T/a.err" "^lancre revoke: recorded, but not served within the --wait timeout: 1 certificate, the first e1 serial $sw3 \\(OCSP, CRL\\)" "one line saying so"
same "and the store says revoked (a, d, w1, w3)" "$(sqlite3 "$D/lancre.db" "select count(*) from certificates where status = 1")" 4

# From /proc: the admin process's own credentials cannot open tls_key (read as root at start).
if [ "$(id -u)" -eq 0 ]; then
	same "the admin process runs as lancre-admin" "$(awk '/^Uid:/ {print $2}' /proc/"$adminp"/status)" "$(id -u lancre-admin)"
	run as_running "$adminp" cat "$T/tls/server.key"
	if [ "$rc" -ne 0 ] && grep -q "Permission denied" "$ERR"; then
		ok "with the admin process's credentials (/proc/$adminp/status), tls_key cannot be read"
	else
		not_ok "the admin process's credentials read $T/tls/server.key (exit $rc)"
	fi
	if for f in /proc/"$adminp"/fd/*; do readlink "$f"; done | grep -q 'server\.key$'; then
		not_ok "the admin process holds tls_key open"
	else
		ok "nor does it hold it open"
	fi
else
	ok "# SKIP not root: the admin process runs as the same user, who owns the key"
	ok "# SKIP not root"
	ok "# SKIP not root"
fi
# A client that connects and never finishes its handshake holds its connection slot only
# until libh2o's handshake timeout (10 s): closed at 9-25 s (a loaded machine runs the timer
# late; the client itself gives up at 30 s, so a slot held for good still fails).
t0=$(date +%s%N)
"$PY" -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(30)
print(len(s.recv(1)))' "$API" >"$T/hs.out" 2>&1
t=$((($(date +%s%N) - t0) / 1000000))
same "a silent client is closed before any byte" "$(cat "$T/hs.out")" 0
[ "$t" -ge 9000 ] && [ "$t" -le $((25000 * TF)) ] && ok "after the 10 s handshake timeout ($t ms)" || not_ok "closed after $t ms"
# Killed, the admin process is restarted with the context read at start, and answers over TLS.
kill -9 "$adminp"
for i in $(seq 1 $((60 * TF))); do new=$(child_pid "$pid" admin); [ -n "$new" ] && [ "$new" != "$adminp" ] && break; sleep 0.05; done
for i in $(seq 1 $((40 * TF))); do api GET status "${AS_ISSUANCE[@]}"; [ "$code" = 200 ] && break; sleep 0.05; done
same "the restarted admin process answers the listed client over TLS" "$code" 200

kill -TERM "$pid"
wait_gone "$pid" 15
same "SIGTERM: lancre run exits 0" "$st" 0

# client_crl and an intermediate as client_ca (the anchor by itself): a client CA root
# with two intermediates; int1 is client_ca.  Clients under int1: ok (listed), gone
# (listed, revoked in int1's CRL); under int2: sibling (listed: the same subject as ok).
mkcca() { # mkcca NAME PARENT|-: a CA that may sign CRLs (cRLSign)
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/tls/$1.key" 2>/dev/null
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$T/tls/$1.ext"
	openssl req -new -key "$T/tls/$1.key" -subj "/O=lancre test/CN=$1" -out "$T/tls/$1.csr" 2>/dev/null
	if [ "$2" = - ]; then
		openssl x509 -req -in "$T/tls/$1.csr" -signkey "$T/tls/$1.key" -days 30 -extfile "$T/tls/$1.ext" \
			-out "$T/tls/$1.pem" 2>/dev/null
	else
		openssl x509 -req -in "$T/tls/$1.csr" -CA "$T/tls/$2.pem" -CAkey "$T/tls/$2.key" \
			-set_serial "0x$(openssl rand -hex 8)" -days 30 -extfile "$T/tls/$1.ext" -out "$T/tls/$1.pem" 2>/dev/null
	fi
}
mkcrl() { # mkcrl CA OUT NEXTUPDATE|"" [REVOKED.pem...]: OUT, CA's CRL revoking those
	local ca=$1 out=$2 next=$3
	shift 3
	: >"$T/tls/$ca.db"
	printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s\ndefault_md=sha256\ndefault_crl_days=30\n' "$T/tls/$ca.db" >"$T/tls/$ca.cnf"
	for c in "$@"; do
		openssl ca -config "$T/tls/$ca.cnf" -keyfile "$T/tls/$ca.key" -cert "$T/tls/$ca.pem" -revoke "$c" 2>/dev/null
	done
	openssl ca -config "$T/tls/$ca.cnf" -gencrl -keyfile "$T/tls/$ca.key" -cert "$T/tls/$ca.pem" \
		${next:+-crl_nextupdate "$next"} -out "$out" 2>/dev/null
}
mkcca croot -
mkcca int1 croot
mkcca int2 croot
mktls ok int1 clientAuth "/O=lancre test/CN=ok"
mktls gone int1 clientAuth "/O=lancre test/CN=gone"
mktls sibling int2 clientAuth "/O=lancre test/CN=ok"
cat "$T/tls/sibling.pem" "$T/tls/int2.pem" >"$T/tls/sibling-chain.pem" # it sends its intermediate
mkcrl int1 "$T/tls/int1.crl" "" "$T/tls/gone.pem"
mkcrl int2 "$T/tls/int2.crl" ""
printf 'not a CRL\n' >"$T/tls/junk.crl"
mkcrl int1 "$T/tls/old.crl" ""
openssl ca -config "$T/tls/int1.cnf" -gencrl -keyfile "$T/tls/int1.key" -cert "$T/tls/int1.pem" \
	-crl_lastupdate "$(date -u -d '-2 hour' +%Y%m%d%H%M%SZ)" -crl_nextupdate "$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)" \
	-out "$T/tls/old.crl" 2>/dev/null
conf_set "$D2/lancre.conf" admin client_ca "$T/tls/int1.pem"
conf_set "$D2/lancre.conf" admin client "CN=ok,O=lancre test : read"
"$PY" - "$D2/lancre.conf" "CN=gone,O=lancre test : read" <<'PYEOF'
import sys
p, line = sys.argv[1], sys.argv[2]
text = open(p).read().replace("[admin]\n", "[admin]\nclient = " + line + "\n", 1)
open(p, "w").write(text)
PYEOF
conf_set "$D2/lancre.conf" admin client_crl "$T/tls/nonexistent.crl"
refuse_start "a client_crl that is missing" "\\[admin\\] client_crl: cannot open $T/tls/nonexistent.crl: No such file" \
	"$D2" "127.0.0.1:$(free_port)"
conf_set "$D2/lancre.conf" admin client_crl "$T/tls/junk.crl"
refuse_start "a client_crl that is no CRL" "\\[admin\\] client_crl $T/tls/junk.crl: no CRL read" \
	"$D2" "127.0.0.1:$(free_port)"
conf_set "$D2/lancre.conf" admin client_crl "$T/tls/old.crl"
refuse_start "a client_crl past its nextUpdate" "\\[admin\\] client_crl $T/tls/old.crl: the CRL of CN=int1,O=lancre test expired" \
	"$D2" "127.0.0.1:$(free_port)"
conf_set "$D2/lancre.conf" admin client_crl "$T/tls/int2.crl"
refuse_start "a client_crl without client_ca's intermediate's CRL" "client_crl $T/tls/int2.crl has no CRL of CN=int1,O=lancre test, a CA of client_ca" \
	"$D2" "127.0.0.1:$(free_port)"
# DER works as PEM does.
openssl crl -in "$T/tls/int1.crl" -outform DER -out "$T/tls/clients.crl"
conf_set "$D2/lancre.conf" admin client_crl "$T/tls/clients.crl"
D=$D2 API_HOST=127.0.0.1 start_run
[ -n "$adminp" ] && ok "client_ca an intermediate, client_crl its CRL (DER): started" || not_ok "no admin child of $pid"
U=https://127.0.0.1:$API/api/v1
api GET status --cert "$T/tls/ok.pem" --key "$T/tls/ok.key"
same "an unrevoked client of the intermediate: 200" "$code" 200
api GET status --cert "$T/tls/gone.pem" --key "$T/tls/gone.key"
[ "$cx" -ne 0 ] && [ "$code" = 000 ] && ok "a revoked client (listed): refused in the handshake (curl exit $cx)" ||
	not_ok "a revoked client: curl exit $cx, HTTP $code"
api GET status --cert "$T/tls/sibling-chain.pem" --key "$T/tls/sibling.key"
[ "$cx" -ne 0 ] && [ "$code" = 000 ] && ok "a client of a sibling intermediate (same root, listed subject): refused in the handshake" ||
	not_ok "a sibling intermediate's client: curl exit $cx, HTTP $code"

# SIGHUP: the supervisor reads the TLS files again and replaces the admin process
# (cli/serving.c: reload_api_tls).  As root, after start it is [signer] user: the new
# key is that user's (mode 0600), never [admin] user's.
serial_seen() { # the serial of the certificate a new `openssl s_client` connection gets
	timeout 10 openssl s_client -connect "127.0.0.1:$API" -CAfile "$T/tls/serverca.pem" \
		-cert "$T/tls/ok.pem" -key "$T/tls/ok.key" </dev/null 2>/dev/null |
		openssl x509 -noout -serial 2>/dev/null | sed 's/^serial=//'
}
put_key() { # put_key FROM: FROM's bytes as server.key (the supervisor's user's, as root)
	if [ "$(id -u)" -eq 0 ]; then
		install -m 600 -o lancre-signer "$1" "$T/tls/server.key"
	else
		install -m 600 "$1" "$T/tls/server.key"
	fi
}
until_serial() { # until_serial WANT: poll serial_seen for up to 10 s
	local i
	for i in $(seq 1 $((100 * TF))); do [ "$(serial_seen)" = "$1" ] && return 0; sleep 0.1; done
	return 1
}
s1=$(openssl x509 -noout -serial -in "$T/tls/server.pem" | sed 's/^serial=//')
same "before SIGHUP: a new connection gets tls_cert's serial" "$(serial_seen)" "$s1"
mktls server2 serverca serverAuth "/O=lancre test/CN=admin.lancre.test" "IP:127.0.0.1,DNS:localhost"
s2=$(openssl x509 -noout -serial -in "$T/tls/server2.pem" | sed 's/^serial=//')
cp "$T/tls/server2.pem" "$T/tls/server.pem"
put_key "$T/tls/server2.key"
old_admin=$adminp
: >"$T/hz.log"
( while [ ! -e "$T/hz.stop" ]; do
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 2 "http://127.0.0.1:$A/healthz" >>"$T/hz.log"
	sleep 0.02
done ) &
hz=$!
sleep 0.3
kill -HUP "$pid"
if until_serial "$s2"; then ok "after SIGHUP: a new s_client connection gets the new certificate's serial ($s2)"; else not_ok "after SIGHUP: serial $(serial_seen), not $s2"; fi
sleep 0.3
touch "$T/hz.stop"
wait "$hz"
[ "$(grep -c . "$T/hz.log")" -gt 5 ] && [ "$(grep -vc '^200$' "$T/hz.log")" -eq 0 ] &&
	ok "the public server answered all along ($(grep -c . "$T/hz.log") /healthz, all 200)" ||
	not_ok "the public server during the reload: $(sort "$T/hz.log" | uniq -c | tr '\n' ' ')"
has "$T/run.out" "^Admin API TLS files read again \\(certificate serial $s2\\): its process restarts to use them$" "it says so"
adminp=$(child_pid "$pid" admin)
[ -n "$adminp" ] && [ "$adminp" != "$old_admin" ] && ok "the admin process was replaced ($old_admin, now $adminp)" ||
	not_ok "the admin process: $old_admin, now '$adminp'"
same "the server process was not" "$(child_pid "$pid" server)" "$server"
grep -q "the admin process (pid $old_admin)" "$T/run.err" &&
	not_ok "the replaced admin process's exit reported as a death: $(grep "pid $old_admin" "$T/run.err")" ||
	ok "the replaced admin process's exit is not reported as a death (no back-off)"
api GET status --cert "$T/tls/ok.pem" --key "$T/tls/ok.key"
same "the new admin process answers the client: 200" "$code" 200
# A corrupt new key: the old certificate stays, one line says why, nothing restarted.
mktls server3 serverca serverAuth "/O=lancre test/CN=admin.lancre.test" "IP:127.0.0.1,DNS:localhost"
cp "$T/tls/server3.pem" "$T/tls/server.pem"
printf 'not a key\n' >"$T/tls/bad.key"
put_key "$T/tls/bad.key"
errs=$(wc -l <"$T/run.err")
kill -HUP "$pid"
for i in $(seq 1 $((100 * TF))); do [ "$(wc -l <"$T/run.err")" -gt "$errs" ] && break; sleep 0.05; done
sleep 0.3
same "a corrupt key: one line" "$(tail -n +$((errs + 1)) "$T/run.err" | grep -c .)" 1
has "$T/run.err" "^lancre run: SIGHUP: \\[admin\\] tls_key $T/tls/server.key is not a PEM private key; the admin API keeps its current TLS settings$" "saying which file and that the settings stay"
same "a new connection still gets the last good certificate" "$(serial_seen)" "$s2"
same "and the admin process is the same" "$(child_pid "$pid" admin)" "$adminp"
# ok_until CODE TRIES: ask as client ok every 0.1 s, up to TRIES times, until HTTP CODE
# (000: refused in the handshake); leaves code and cx as api sets them.
ok_until() {
	local i
	for i in $(seq 1 $(($2 * TF))); do
		api GET status --cert "$T/tls/ok.pem" --key "$T/tls/ok.key"
		[ "$code" = "$1" ] && break
		sleep 0.1
	done
}
# A new client_crl: revoking ok now; then one revoking nobody that expires while running.
cp "$T/tls/server2.pem" "$T/tls/server.pem"
put_key "$T/tls/server2.key"
mkcrl int1 "$T/tls/clients.crl" "" "$T/tls/gone.pem" "$T/tls/ok.pem"
kill -HUP "$pid"
ok_until 000 100
[ "$cx" -ne 0 ] && [ "$code" = 000 ] && ok "SIGHUP with a CRL revoking ok: ok is refused in the handshake" ||
	not_ok "ok after its revocation: curl exit $cx, HTTP $code"
mkcrl int1 "$T/tls/clients.crl" "$(date -u -d '+4 sec' +%Y%m%d%H%M%SZ)"
kill -HUP "$pid"
ok_until 200 30
same "SIGHUP with a CRL revoking nobody: ok answered again" "$code" 200
sleep 5
api GET status --cert "$T/tls/ok.pem" --key "$T/tls/ok.key"
[ "$cx" -ne 0 ] && [ "$code" = 000 ] && ok "its CRL past nextUpdate: every client refused (fail closed)" ||
	not_ok "past nextUpdate: curl exit $cx, HTTP $code"
api GET status --cert "$T/tls/ok.pem" --key "$T/tls/ok.key"
sleep 0.3
same "one line logged, however many are refused" "$(grep -c 'lancre admin: \[admin\] client_crl: the CRL of CN=int1,O=lancre test passed its nextUpdate: every client certificate is refused' "$T/run.err")" 1
kill -TERM "$pid"
wait_gone "$pid" 15
same "SIGTERM: lancre run exits 0" "$st" 0
echo "1..$n"
