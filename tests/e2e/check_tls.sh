#!/bin/bash
# lancre check HOST[:PORT] (issue 17): nginx from Debian on loopback serving the
# demo's localhost certificate and chain, (a) without stapling, (b) with
# ssl_stapling fetching from the demo's responder (lancre run), (c) with
# ssl_stapling_file holding what `lancre check --staple` wrote (openssl
# s_client -status reads it as good), (d) with a staple for another
# certificate; then the revoked case through (c).  lancre check reports
# whether the server staples and whether the staple is valid, in text and JSON.
. "$(dirname "$0")/lib.sh"

NGINX=/usr/sbin/nginx
[ -x "$NGINX" ] || { echo "not ok 1 - nginx is not installed (scripts/deps.sh test installs it)"; exit 1; }

D=$T/demo
P=$(free_port)
A=$(free_port)
"$LANCRE" demo -d "$D" --leaves 10 --listen "127.0.0.1:$P" --no-serve >/dev/null || not_ok "the demo builds"
"$LANCRE" sign -d "$D" --once >/dev/null || not_ok "lancre sign --once"
C=$D/certs
other=$C/leaf-$(sqlite3 "$D/lancre.db" "select lower(hex(serial)) from certificates where status = 0 and issuer_id = (select id from issuers where name = 'e1') and id != (select max(id) from certificates) limit 1").pem
# nginx's default server on port (a): a self-signed certificate, for clients that send no SNI.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=default.test \
	-keyout "$T/default.key" -out "$T/default.pem" 2>/dev/null
run_pid=
nginx_pid=
trap 'kill $nginx_pid $run_pid 2>/dev/null; wait $nginx_pid $run_pid 2>/dev/null; lib_exit' EXIT
"$LANCRE" run -d "$D" --listen "127.0.0.1:$P" --admin "127.0.0.1:$A" --api "127.0.0.1:$(free_port)" >"$T/run.log" 2>&1 &
run_pid=$!
wait_http "http://127.0.0.1:$A/healthz" 20 || not_ok "lancre run answers"
# Until its load is done a node looks up what it has not loaded yet, and answers tryLater
# when those lookups are full (a loaded machine): the checks below want OCSP's answer.
wait_loaded "$A" 20 || not_ok "lancre run loads its responses"

# The staple files nginx serves in (c) and (d), written by lancre check itself.
expect 0 "--staple for localhost (file mode): good" "$LANCRE" check --staple "$T/staple.der" "$C/localhost-chain.pem"
expect 0 "--staple for another leaf" "$LANCRE" check --staple "$T/wrong.der" "$other"

# One nginx, four servers on four loopback ports; stopped by PID whatever happens.
Pa=$(free_port); Pb=$(free_port); Pc=$(free_port); Pd=$(free_port)
mkdir -p "$T/nginx"
cat "$C/e1.pem" "$C/root.pem" >"$T/trusted.pem"
server() { # PORT EXTRA [CERT KEY]
	printf '\tserver {\n\t\tlisten 127.0.0.1:%s ssl;\n\t\tssl_certificate %s;\n\t\tssl_certificate_key %s;\n%b\t}\n' \
		"$1" "${3:-$C/localhost-chain.pem}" "${4:-$C/localhost.key}" "$2"
}
write_conf() {
	cat >"$T/nginx/nginx.conf" <<EOF
$([ "$(id -u)" -eq 0 ] && echo 'user root;')
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log info;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	resolver 127.0.0.1;
$(server "$Pa" '' "$T/default.pem" "$T/default.key")
$(server "$Pa" '\t\tserver_name localhost;\n')
$(server "$Pb" "\t\tssl_stapling on;\n\t\tssl_stapling_verify on;\n\t\tssl_trusted_certificate $T/trusted.pem;\n")
$(server "$Pc" "\t\tssl_stapling on;\n\t\tssl_stapling_file $T/staple.der;\n")
$(server "$Pd" "\t\tssl_stapling on;\n\t\tssl_stapling_file $T/wrong.der;\n")
}
EOF
}
write_conf
"$NGINX" -e "$T/nginx/error.log" -p "$T/nginx/" -c "$T/nginx/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
for i in $(seq 1 100); do
	openssl s_client -connect "127.0.0.1:$Pd" </dev/null >/dev/null 2>&1 && break
	sleep 0.1
done

# (a) No stapling.
expect 0 "(a) no stapling: good" "$LANCRE" check --servername localhost "127.0.0.1:$Pa"
has "$OUT" "^server: 127.0.0.1 port $Pa \(TLSv1\.[23], SNI localhost\)" "it names the server, the protocol and the SNI"
has "$OUT" '^staple: none: the server does not staple' "it says the server does not staple"
has "$OUT" '^status: good$' "and the status is good"
has "$OUT" '^from: ocsp$' "decided by fetching OCSP"
has "$OUT" '^chain: not verified: .*system' "the chain is not verified by the system's store (the demo's root)"
expect 0 "(a) with --cafile the demo's root: good" "$LANCRE" check --servername localhost --cafile "$C/root.pem" "127.0.0.1:$Pa"
has "$OUT" "^chain: verified against $C/root.pem, for localhost" "the chain is verified"
expect 4 "(a) without --servername: no SNI, nginx's default certificate (no revocation URL)" "$LANCRE" check "127.0.0.1:$Pa"
has "$OUT" 'no SNI' "no SNI sent for an IP address"
has "$OUT" 'neither an OCSP responder nor a CRL' "the default certificate was checked"
expect 0 "an IP address given as --servername is checked, not sent" "$LANCRE" check --servername 127.0.0.1 --cafile "$C/root.pem" "127.0.0.1:$Pc"
has "$OUT" 'no SNI' "no SNI sent"
has "$OUT" '^chain: verified .*for 127.0.0.1$' "the certificate's IP address matches"
expect 0 "a wrong name: still decided" "$LANCRE" check --servername wrong.test --cafile "$C/root.pem" "127.0.0.1:$Pc"
has "$OUT" '^chain: not verified: .*[Hh]ostname mismatch' "the name mismatch is reported"
expect 0 "(a) --json" "$LANCRE" check --json --servername localhost "127.0.0.1:$Pa"
cp "$OUT" "$T/a.json"
expect 0 "has tls.staples false and the status" "$PY" -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["status"] == "good" and j["tls"]["staples"] is False and j["tls"]["staple"] == "none", j
assert j["tls"]["servername"] == "localhost" and j["tls"]["chain_verified"] is False, j' "$T/a.json"

# (b) nginx fetches the staple from lancre on the first handshakes: retry until it has it.
for i in $(seq 1 $((60 * TF))); do
	"$LANCRE" check --no-cache --json --servername localhost "127.0.0.1:$Pb" >"$T/b.json" 2>&1
	grep -q '"staples":true' "$T/b.json" && break
	sleep 0.5
done
expect 0 "(b) ssl_stapling: nginx staples lancre's response, valid" "$PY" -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["tls"]["staples"] is True and j["tls"]["staple_valid"] is True, j
assert j["status"] == "good" and j["source"] == "staple", j
assert [s["kind"] for s in j["steps"]] == ["issuer", "staple", "decision"], j["steps"]' "$T/b.json"
expect 0 "(b) in text" "$LANCRE" check --verbose --servername localhost "127.0.0.1:$Pb"
has "$OUT" '^staple: valid: the OCSP responder says good' "it says the staple is valid"
has "$OUT" '^from: staple$' "the staple decided"
if grep -q '^ocsp: ' "$OUT"; then not_ok "nothing fetched from the responder"; else ok "nothing fetched from the responder"; fi

# (c) ssl_stapling_file with lancre check --staple's file.
run sh -c "openssl s_client -connect 127.0.0.1:$Pc -servername localhost -status </dev/null 2>&1"
has "$OUT" 'OCSP Response Status: successful' "openssl s_client -status gets the staple"
has "$OUT" 'Cert Status: good' "Cert Status: good"
expect 0 "(c) lancre check: the staple is valid" "$LANCRE" check --servername localhost "127.0.0.1:$Pc"
has "$OUT" '^staple: valid' "valid"
expect 0 "(c) --staple in TLS mode writes the staple that decided" "$LANCRE" check --servername localhost --staple "$T/again.der" "127.0.0.1:$Pc"
expect 0 "the same bytes" cmp "$T/again.der" "$T/staple.der"
# Five days on the staple (4 days) is past its nextUpdate: refused, the CRL decides.
expect 0 "(c) 5 days on: the stale staple is refused, and the CRL decides" faked 5d "$LANCRE" check --verbose --no-cache --servername localhost "127.0.0.1:$Pc"
has "$OUT" '^staple: refused: the response is stale' "the staple is refused as stale"
has "$OUT" '^from: crl$' "the CRL decided"

# (d) a staple for another certificate.
expect 0 "(d) a staple for another certificate: refused, OCSP fetched" "$LANCRE" check --verbose --servername localhost "127.0.0.1:$Pd"
has "$OUT" '^staple: refused: the response does not answer for this certificate' "it says why the staple is refused"
has "$OUT" '^from: ocsp$' "the responder decided"
expect 0 "(d) --json: staples, not valid" "$PY" -c '
import json, subprocess, sys
j = json.loads(subprocess.run(sys.argv[1:], capture_output=True).stdout)
assert j["tls"]["staples"] is True and j["tls"]["staple_valid"] is False and j["tls"]["staple"] == "refused", j' \
	"$LANCRE" check --json --servername localhost "127.0.0.1:$Pd"

# Revoked: lancre revokes localhost, --staple writes the revoked response (exit 3),
# nginx reloads it; s_client and lancre check both see revoked.
"$LANCRE" revoke -d "$D" --reason keyCompromise "$C/localhost.pem" >/dev/null || not_ok "revoke localhost"
for i in $(seq 1 $((100 * TF))); do
	"$LANCRE" check --no-cache --staple "$T/staple.der" "$C/localhost-chain.pem" >/dev/null 2>&1
	[ $? -eq 3 ] && break
	sleep 0.2
done
expect 3 "--staple of the revoked localhost: exit 3" "$LANCRE" check --no-cache --staple "$T/staple.der" "$C/localhost-chain.pem"
# nginx reads ssl_stapling_file again on reload.  Asked again every 3 s: a reload
# that came while the master was busy was seen to leave the old staple for 15 s in CI.
# The answer judged is the one that ended the wait: a second connection may still meet
# the old worker, which accepts for a moment after the reload (seen in CI).
for i in $(seq 0 $((150 * TF))); do
	[ $((i % 30)) -eq 0 ] && kill -HUP "$nginx_pid"
	run sh -c "openssl s_client -connect 127.0.0.1:$Pc -servername localhost -status </dev/null 2>&1"
	grep -q 'Cert Status: revoked' "$OUT" && break
	sleep 0.1
done
has "$OUT" 'Cert Status: revoked' "s_client: Cert Status: revoked"
grep -q 'Cert Status: revoked' "$OUT" || sed 's/^/#   nginx: /' "$T/nginx/error.log" | tail -n 15
# lancre check makes its own connection, which may likewise meet the old worker
# for a moment (CI at f668c1e: s_client saw revoked, the next connection good):
# asked until it says revoked, for at most 10 s; the answer that ended the wait is judged.
for i in $(seq 1 $((50 * TF))); do
	run "$LANCRE" check --servername localhost "127.0.0.1:$Pc"
	[ "$rc" -eq 3 ] && break
	sleep 0.2
done
if [ "$rc" -eq 3 ]; then ok "(c) lancre check of the server: revoked, from the staple (exit 3)"; else not_ok "(c) lancre check of the server: revoked, from the staple (exit $rc, wanted 3)"; fi
has "$OUT" '^reason: keyCompromise$' "with the reason"
has "$OUT" '^from: staple$' "from the staple"

# Errors and usage.
DEAD=$(free_port)
expect 1 "nothing listening: exit 1" "$LANCRE" check "127.0.0.1:$DEAD"
one_line_error "in one line"
has "$ERR" 'cannot connect' "saying it cannot connect"
expect 1 "not a TLS server (lancre's plain HTTP): exit 1" "$LANCRE" check "127.0.0.1:$P"
one_line_error "in one line"
has "$ERR" 'TLS handshake failed' "saying the handshake failed"
expect 2 "a bad port: usage error" "$LANCRE" check "127.0.0.1:99999"
expect 2 "--servername with a file: usage error" "$LANCRE" check --servername x "$C/localhost.pem"
expect 0 "--help documents HOST[:PORT]" "$LANCRE" check --help
has "$OUT" 'HOST\[:PORT\]' "HOST[:PORT] in the usage"
has "$OUT" '--servername NAME' "--servername in the usage"

echo "1..$n"
