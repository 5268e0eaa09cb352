#!/bin/bash
# The public server end to end: the demo served by `lancre run`, queried with
# openssl ocsp -url (the URL in each certificate), curl for issuer
# certificates, headers, 304, HEAD, limits, host routing, h2c; a revocation
# served within 2 seconds; no key in the serving process.
. "$(dirname "$0")/lib.sh"

P=$(free_port)
A=$(free_port)
D=$T/demo
"$LANCRE" demo -d "$D" --listen "127.0.0.1:$P" --no-serve >/dev/null
C=$D/certs
printf '\n[urls]\ndomain = pki.test\n' >>"$D/lancre.conf" # host-form routing too
"$LANCRE" run -d "$D" --admin "127.0.0.1:$A" --api "127.0.0.1:$(free_port)" >"$T/run.log" 2>&1 &
run_pid=$!
if wait_http "http://127.0.0.1:$A/healthz"; then ok "lancre run starts and answers /healthz"; else not_ok "lancre run starts"; cat "$T/run.log"; fi
B="http://127.0.0.1:$P"

# Every demo leaf, through the OCSP URL in the certificate, as openssl sees it.
sqlite3 "$D/lancre.db" "select lower(hex(c.serial)), i.name, c.status from certificates c join issuers i on i.id = c.issuer_id where c.serial != (select serial from certificates where id = (select max(id) from certificates))" >"$T/expected"
# Each leaf's OCSP URL, read from the certificate (in one process: Python cryptography).
"$PY" - "$T/expected" "$C" >"$T/urls" <<'PYEOF'
import os, sys
from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID
for line in open(sys.argv[1]).read().split():
    serial = line.split('|')[0]
    f = f'{sys.argv[2]}/leaf-{serial}.pem'
    if os.path.exists(f):
        aia = x509.load_pem_x509_certificate(open(f, 'rb').read()).extensions.get_extension_for_oid(
            ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
        print(line + '|' + next(a.access_location.value for a in aia
                                if a.access_method == AuthorityInformationAccessOID.OCSP))
PYEOF
wrong=0
checked=0
# (Matched by the shell: a thousand openssl runs, and no grep beside each.)
while IFS='|' read -r serial issuer status url; do
	f=$C/leaf-$serial.pem
	got=$(openssl ocsp -issuer "$C/$issuer.pem" -cert "$f" -url "$url" -CAfile "$C/root.pem" 2>&1)
	if [ "$status" = 1 ]; then want=revoked; else want=good; fi
	if [[ $got != *"Response verify OK"* || $'\n'$got$'\n' != *": $want"$'\n'* ]]; then
		wrong=$((wrong + 1))
		[ $wrong -le 3 ] && printf '%s\n' "$got" | sed 's/^/#   /' | head -5
	fi
	checked=$((checked + 1))
done <"$T/urls"
if [ "$checked" -ge 1000 ] && [ "$wrong" -eq 0 ]; then ok "openssl ocsp -url gets good/revoked right for all $checked demo leaves"; else not_ok "openssl ocsp -url: $wrong of $checked wrong"; fi

# Issuer certificates by their caIssuers URL.
for ca in e1 r1; do
	leaf=$(grep "|$ca|" "$T/expected" | head -1 | cut -d'|' -f1)
	url=$(openssl x509 -in "$C/leaf-$leaf.pem" -noout -text | sed -n 's/.*CA Issuers - URI://p')
	run curl -s -D "$T/h" -o "$T/$ca.der" "$url"
	has "$T/h" '^content-type: application/pkix-cert' "$ca: caIssuers answers application/pkix-cert"
	expect 0 "$ca: the DER is the issuer certificate" sh -c "openssl x509 -inform DER -in '$T/$ca.der' -noout -subject | grep -q 'CN = lancre demo $(echo $ca | tr a-z A-Z)'"
done
run curl -s "$B/issuer/e1.pem"
has "$OUT" '^-----BEGIN CERTIFICATE-----' "/issuer/e1.pem is PEM"
run curl -s -o /dev/null -w '%{http_code}' "$B/issuer/nope"
same "an unknown issuer is 404" "$(cat "$OUT")" 404

# OCSP headers (RFC 5019), 304, HEAD, POST, limits.
leaf=$(grep '|e1|0$' "$T/expected" | head -1 | cut -d'|' -f1)
openssl ocsp -issuer "$C/e1.pem" -cert "$C/leaf-$leaf.pem" -no_nonce -reqout "$T/req.der" 2>/dev/null
b64=$(base64 -w0 "$T/req.der")
enc=$(printf %s "$b64" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
asked=$(date +%s) # the server answers after this: its max-age may not pass nextUpdate - asked
run curl -s -D "$T/h" -o "$T/get.der" "$B/ocsp/$enc"
has "$T/h" '^HTTP/1.1 200' "GET /ocsp/<b64> is 200"
has "$T/h" '^content-type: application/ocsp-response' "with application/ocsp-response"
has "$T/h" '^cache-control: max-age=[0-9]+, public, no-transform, must-revalidate' "Cache-Control as RFC 5019 asks"
has "$T/h" '^last-modified: ' "Last-Modified"
has "$T/h" '^expires: ' "Expires"
has "$T/h" '^etag: "[0-9a-f]{16}"' "ETag"
has "$T/h" '^Content-Length: [0-9]+' "Content-Length"
maxage=$(sed -n 's/^cache-control: max-age=\([0-9]*\),.*/\1/p' "$T/h")
next=$(openssl ocsp -respin "$T/get.der" -resp_text -noverify 2>/dev/null | sed -n 's/.*Next Update: //p' | head -1)
# (not the Date header: to the second, it can be one later than the clock max-age was taken by)
left=$(($(date -u -d "$next" +%s) - asked))
if [ "$maxage" -le "$left" ] && [ "$maxage" -gt 0 ]; then ok "max-age ($maxage) never passes nextUpdate ($left s away)"; else not_ok "max-age $maxage vs $left"; fi
etag=$(sed -n 's/^etag: //p' "$T/h" | tr -d '\r')
lm=$(sed -n 's/^last-modified: //p' "$T/h" | tr -d '\r')
ex=$(sed -n 's/^expires: //p' "$T/h" | tr -d '\r')
expect 0 "Last-Modified and Expires are thisUpdate and nextUpdate as HTTP dates (Python)" \
	python3 -c '
import sys, email.utils
from cryptography.x509 import ocsp
r = ocsp.load_der_ocsp_response(open(sys.argv[1], "rb").read())
for name, h, t in (("Last-Modified", sys.argv[2], r.this_update), ("Expires", sys.argv[3], r.next_update)):
    want = email.utils.format_datetime(t.replace(tzinfo=__import__("datetime").timezone.utc), usegmt=True)
    if h != want:
        sys.exit("%s: %r, expected %r" % (name, h, want))
' "$T/get.der" "$lm" "$ex"
run curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$B/ocsp/$enc"
same "If-None-Match gives 304" "$(cat "$OUT")" 304
run curl -s -o /dev/null -w '%{http_code}' -H "If-Modified-Since: $lm" "$B/ocsp/$enc"
same "If-Modified-Since gives 304" "$(cat "$OUT")" 304
run curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: "0000000000000000"' "$B/ocsp/$enc"
same "a different ETag gives 200" "$(cat "$OUT")" 200
run curl -s -I "$B/ocsp/$enc"
has "$OUT" "^Content-Length: $(stat -c %s "$T/get.der")" "HEAD gives the length"
run curl -s -o "$T/head.body" -X HEAD --max-time 3 "$B/ocsp/$enc"
same "HEAD sends no body" "$(stat -c %s "$T/head.body" 2>/dev/null || echo 0)" 0
run curl -s -o "$T/post.der" --data-binary @"$T/req.der" -H 'Content-Type: application/ocsp-request' "$B/ocsp"
expect 0 "POST /ocsp returns the GET's bytes" cmp "$T/post.der" "$T/get.der"
for form in "$b64" "$(printf %s "$b64" | tr '+/' '-_' | tr -d '=')" "/$enc"; do
	curl -s --path-as-is -o "$T/q.der" "$B/ocsp/$form"
	if cmp -s "$T/q.der" "$T/get.der"; then ok "GET quirk form served: ${form:0:12}..."; else not_ok "GET quirk form ${form:0:20}..."; fi
done
head -c 20000 /dev/zero >"$T/big"
run curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/big" -H 'Content-Type: application/ocsp-request' "$B/ocsp"
same "a POST over 10 KB is 413" "$(cat "$OUT")" 413
# [server] max_header_size (default 8192): over it, 431, on HTTP/1.1 and HTTP/2.
pad7=$(head -c 7000 /dev/zero | tr '\0' a)
pad9=$(head -c 9000 /dev/zero | tr '\0' a)
run curl -s -o /dev/null -w '%{http_code}' -H "X-Pad: $pad7" "$B/ocsp/$enc"
same "7 KB of headers is served" "$(cat "$OUT")" 200
run curl -s -o /dev/null -w '%{http_code}' -H "X-Pad: $pad9" "$B/ocsp/$enc"
same "9 KB of headers is 431" "$(cat "$OUT")" 431
run curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge -H "X-Pad: $pad9" "$B/ocsp/$enc"
same "and 431 over HTTP/2 too" "$(cat "$OUT")" 431
run curl -s -D "$T/h" -o /dev/null -X PUT "$B/ocsp"
has "$T/h" '^HTTP/1.1 405' "PUT is 405"
has "$T/h" '^allow: GET, HEAD, POST' "with Allow"
run curl -s -o "$T/bad.der" -D "$T/h" "$B/ocsp/not-base64!"
run openssl ocsp -respin "$T/bad.der" -noverify
has "$OUT" 'malformedrequest' "garbage gets malformedRequest"
has "$T/h" '^cache-control: max-age=0' "which is not cached"
run curl -s -o /dev/null -w '%{http_code}' "$B/no/such/thing"
same "an unknown path is 404" "$(cat "$OUT")" 404

# Host-form routing (lencr.org style) and HTTP/2 with prior knowledge.
run curl -s -o "$T/host.der" -H "Host: e1.o.pki.test" "$B/$enc"
expect 0 "GET http://e1.o.<domain>/<b64> answers" cmp "$T/host.der" "$T/get.der"
run curl -s -o "$T/hostpost.der" -H "Host: e1.o.pki.test" --data-binary @"$T/req.der" "$B/"
expect 0 "POST http://e1.o.<domain>/ answers" cmp "$T/hostpost.der" "$T/get.der"
run curl -s -o "$T/i.der" -H "Host: e1.i.pki.test" "$B/"
expect 0 "http://e1.i.<domain>/ is e1's certificate" cmp "$T/i.der" "$T/e1.der"
run curl -s -o /dev/null -w '%{http_code}' -H "Host: e1.o.pki.test" "$B/"
same "GET / on an OCSP host is 200" "$(cat "$OUT")" 200
run curl -s -o "$T/h2.der" --http2-prior-knowledge -w '%{http_version}' "$B/ocsp/$enc"
same "h2c with prior knowledge" "$(cat "$OUT")" 2
expect 0 "and the same bytes" cmp "$T/h2.der" "$T/get.der"

# The about page.
run curl -s -D "$T/h" -H 'Accept: text/html' "$B/"
has "$T/h" '^content-type: text/html' "GET / is an HTML about page"
has "$OUT" 'Why plain HTTP' "that explains why plain HTTP is safe"
run curl -s -H 'Accept-Language: fr-CA,fr;q=0.9' -H "Host: pki.test" "$B/"
has "$OUT" '<html lang="fr">' "in French for Accept-Language: fr"
mkdir -p "$D/about"
echo '<p>Operated by Example CA.</p>' >"$D/about/en.html"
kill -HUP $run_pid
sleep $TF
run curl -s -H 'Accept: text/html' "$B/"
has "$OUT" 'Operated by Example CA' "after SIGHUP, DIR/about/en.html replaces the English page"
rm -r "$D/about"

# A revocation on the running system is served within 2 seconds.
"$LANCRE" revoke -d "$D" --reason keyCompromise "$C/leaf-$leaf.pem" >/dev/null
start=$(date +%s%N)
while :; do
	openssl ocsp -issuer "$C/e1.pem" -cert "$C/leaf-$leaf.pem" -url "$B/ocsp" -CAfile "$C/root.pem" >"$T/o" 2>&1
	elapsed=$((($(date +%s%N) - start) / 1000000))
	grep -q ': revoked$' "$T/o" && break
	[ $elapsed -gt $((5000 * TF)) ] && break
	sleep 0.1
done
if grep -q ': revoked$' "$T/o" && [ $elapsed -le $((2000 * TF)) ]; then ok "a revocation is served in ${elapsed} ms"; else not_ok "revocation served within 2 s (${elapsed} ms)"; fi

# SIGHUP re-reads lancre.conf: a cache-tag header and a lower max-age for CDNs.
cp "$D/lancre.conf" "$T/conf.orig"
conf_set "$D/lancre.conf" server cache_tag_header Edge-Cache-Tag
conf_set "$D/lancre.conf" server ocsp_max_age 1h
kill -HUP $run_pid
sleep $TF
run curl -s -D "$T/h" -o /dev/null "$B/ocsp/$enc"
has "$T/h" "^[Ee]dge-[Cc]ache-[Tt]ag: $leaf" "after SIGHUP, the cache-tag header names the serial"
has "$T/h" '^cache-control: max-age=(3600|3[0-5][0-9][0-9]|[0-9]{1,3}),' "and max-age is capped at [server] ocsp_max_age"
conf_set "$D/lancre.conf" ocsp validity 99d
kill -HUP $run_pid
sleep 1
run curl -s -o /dev/null -w '%{http_code}' "$B/ocsp/$enc"
same "a bad lancre.conf on SIGHUP keeps the server serving" "$(cat "$OUT")" 200
has "$T/run.log" 'SIGHUP: .*validity.*keeping the current settings' "and says why it kept the old settings"
# [server] max_connections: with 4 connections held open, a 5th is closed at once.
cp "$T/conf.orig" "$D/lancre.conf"
conf_set "$D/lancre.conf" server max_connections 4
kill -HUP $run_pid
sleep $TF
expect 0 "over [server] max_connections a connection is closed, and service resumes after" "$PY" - "$P" "$enc" <<'PYEOF'
import socket, sys, time
port, enc = int(sys.argv[1]), sys.argv[2]
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
time.sleep(0.3)
extra = socket.create_connection(("127.0.0.1", port))
extra.settimeout(3)
extra.sendall(f"GET /ocsp/{enc} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
try:
    got = extra.recv(100)
except ConnectionResetError:
    got = b""
assert got == b"", got
for h in held:
    h.close()
time.sleep(0.3)
ok = socket.create_connection(("127.0.0.1", port))
ok.sendall(f"GET /ocsp/{enc} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
assert ok.recv(100).startswith(b"HTTP/1.1 200"), "no service after the held connections closed"
PYEOF
# A lower max_header_size takes effect on SIGHUP.
cp "$T/conf.orig" "$D/lancre.conf"
conf_set "$D/lancre.conf" server max_header_size 2048
kill -HUP $run_pid
sleep $TF
run curl -s -o /dev/null -w '%{http_code}' -H "X-Pad: $(head -c 3000 /dev/zero | tr '\0' a)" "$B/ocsp/$enc"
same "with max_header_size = 2048, 3 KB of headers is 431" "$(cat "$OUT")" 431
cp "$T/conf.orig" "$D/lancre.conf"
kill -HUP $run_pid

run curl -s "http://127.0.0.1:$A/metrics"
has "$OUT" '^lancre_requests_total\{route="ocsp",status="200"\} [0-9]+' "/metrics counts requests"
has "$OUT" '^lancre_ocsp_responses [0-9]+' "/metrics shows the responses held"
has "$OUT" '^lancre_connections_refused_total [1-9]' "/metrics counts refused connections"
has "$OUT" '^lancre_requests_total\{route="ocsp",status="431"\} [1-9]' "/metrics counts 431s"
has "$OUT" '^lancre_ocsp_earliest_next_update_seconds [1-9][0-9]*$' "/metrics: seconds to the earliest nextUpdate"
has "$OUT" '^lancre_ocsp_oldest_response_age_seconds [0-9]+$' "/metrics: the oldest response's age"
has "$OUT" '^lancre_answer_seconds_bucket\{le="\+Inf"\} [1-9][0-9]*' "/metrics has the answer-time histogram"
run curl -s -o /dev/null -w '%{http_code}' "$B/metrics"
same "metrics are not on the public listener" "$(cat "$OUT")" 404

kill -TERM $run_pid
wait $run_pid
same "lancre run exits 0 on SIGTERM" "$?" 0

# [server] request_timeout (slowloris): a request head sent a byte at a time is cut
# off once the timeout has passed, and so is an idle kept-alive connection; whole
# requests are still answered.  The server reads the setting at start.
cp "$T/conf.orig" "$D/lancre.conf"
conf_set "$D/lancre.conf" server request_timeout 2s
conf_set "$D/lancre.conf" server h2_idle_timeout 2s
P3=$(free_port)
"$LANCRE" serve -d "$D" --listen "127.0.0.1:$P3" --admin "127.0.0.1:$(free_port)" >"$T/slow.log" 2>&1 &
slow_pid=$!
wait_http "http://127.0.0.1:$P3/ocsp/$enc" || not_ok "the server for the timeout test did not start"
cp "$T/conf.orig" "$D/lancre.conf"
expect 0 "with request_timeout and h2_idle_timeout = 2s, a slow request head and idle HTTP/1.1 and HTTP/2 connections are cut off after 2 s" "$PY" - "$P3" "$enc" "$TF" <<'PYEOF2'
import socket, sys, time
port, enc, tf = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])

def closed_after(sock, trickle):
    """Seconds until the server closes sock, sending trickle a byte every 0.25 s."""
    start = time.monotonic()
    sock.settimeout(0.25)
    for b in trickle:
        try:
            sock.sendall(bytes([b]))
            if sock.recv(1) == b"":
                return time.monotonic() - start
        except socket.timeout:
            pass
        except OSError:
            return time.monotonic() - start
        if time.monotonic() - start > 10 * tf:
            break
    return None

def until_closed(sock):
    """Seconds until the server closes sock, sending nothing, and what it sent meanwhile."""
    start, got = time.monotonic(), b""
    sock.settimeout(10 * tf)
    while True:
        try:
            d = sock.recv(65536)
        except OSError:
            break
        if not d:
            break
        got += d
    return time.monotonic() - start, got

slow = socket.create_connection(("127.0.0.1", port))
head = f"GET /ocsp/{enc} HTTP/1.1\r\nHost: x\r\nX-Slow: {'a' * 400}\r\n\r\n".encode()
t = closed_after(slow, head)
assert t is not None and 1.5 <= t <= 2 + 2 * tf, f"slow head cut off after {t}"
idle = socket.create_connection(("127.0.0.1", port))
idle.sendall(f"GET /ocsp/{enc} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
assert idle.recv(100).startswith(b"HTTP/1.1 200")
t, _ = until_closed(idle)
assert 1.5 <= t <= 2 + 2 * tf, f"idle connection closed after {t}"
ok = socket.create_connection(("127.0.0.1", port))
ok.sendall(f"GET /ocsp/{enc} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
assert ok.recv(100).startswith(b"HTTP/1.1 200"), "a whole request is still answered"
# HTTP/2 (prior knowledge): the preface and an empty SETTINGS frame, then nothing;
# the server says GOAWAY (frame type 7) and closes after h2_idle_timeout.
h2 = socket.create_connection(("127.0.0.1", port))
h2.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))
t, got = until_closed(h2)
frames, i = [], 0
while i + 9 <= len(got):
    n = int.from_bytes(got[i:i + 3], "big")
    frames.append(got[i + 3])
    i += 9 + n
assert 7 in frames, f"no GOAWAY from the idle HTTP/2 connection (frames {frames})"
assert 1.5 <= t <= 2 + 2 * tf, f"idle HTTP/2 connection closed after {t}"
PYEOF2
kill -TERM $slow_pid
wait $slow_pid

# Root binds a privileged port and hands it to [server] user, whose default is
# lancre-server (issue 16: before, root without a user on port 80 was refused, and
# stayed root on a port >= 1024).
if [ "$(id -u)" = 0 ]; then
	"$LANCRE" serve -d "$D" --listen 127.0.0.1:80 --admin "127.0.0.1:$(free_port)" >"$OUT" 2>"$ERR" &
	p80=$!
	if wait_http "http://127.0.0.1:80/" 5; then
		same "root on port 80: serves as lancre-server" "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' /proc/$p80/status)" "$(id -u lancre-server)$(id -u lancre-server)$(id -u lancre-server)$(id -u lancre-server)"
	elif grep -q 'already in use' "$ERR"; then
		ok "# SKIP port 80 is taken by another program"
	else
		not_ok "root on port 80 does not serve"
	fi
	kill -TERM "$p80" 2>/dev/null
	wait "$p80"
fi

# The serving process never opens a key (strace sees every open of lancre serve), and
# opens the store: lancre.db, or PostgreSQL's socket (tests/run.sh's PostgreSQL pass).
if command -v strace >/dev/null; then
	P2=$(free_port)
	strace -f -e trace=open,openat,connect -o "$T/strace" "$LANCRE" serve -d "$D" --listen "127.0.0.1:$P2" --admin "127.0.0.1:$(free_port)" >/dev/null 2>&1 &
	spid=$!
	wait_http "http://127.0.0.1:$P2/" && curl -s -o /dev/null "http://127.0.0.1:$P2/ocsp/$enc"
	pkill -TERM -P $spid # the traced lancre, not strace
	wait $spid
	if grep -q 'lancre\.db\|\.s\.PGSQL\.' "$T/strace" && ! grep -q '/keys/\|\.key"' "$T/strace"; then ok "lancre serve opens the store and no key"; else not_ok "lancre serve opened a key"; fi
fi
