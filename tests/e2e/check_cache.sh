#!/bin/bash
# lancre check's cache (issue 17): a second check within the answer's lifetime
# makes no request (proven with the server stopped), --no-cache fetches again,
# a truncated entry, a garbage entry and a well-formed entry holding another
# certificate's answer are ignored and refetched, two concurrent checks writing
# the same entry leave one whole entry, an entry past its expiry (libfaketime,
# and the server's Cache-Control max-age) is refetched; the same for a CRL
# (kept as a file, re-verified when read: another issuer's CRL is refused); the
# directory is $XDG_CACHE_HOME/lancre, 0700, entries 0600.
. "$(dirname "$0")/lib.sh"


D=$T/demo
P=$(free_port)
"$LANCRE" demo -d "$D" --leaves 10 --listen "127.0.0.1:$P" --no-serve >/dev/null || not_ok "the demo builds"
"$LANCRE" sign -d "$D" --once >/dev/null || not_ok "lancre sign --once"
C=$D/certs
leaves=$(sqlite3 "$D/lancre.db" "select lower(hex(serial)) from certificates where status = 0 and issuer_id = (select id from issuers where name = 'e1') and id != (select max(id) from certificates) limit 3")
set -- $leaves
a=$C/leaf-$1.pem
b=$C/leaf-$2.pem
c=$C/leaf-$3.pem
CACHE=$XDG_CACHE_HOME/lancre

# Two leaves of e1 whose OCSP URL is a proxy to lancre's responder (F below) that sends
# the same responses without Cache-Control (/plain) or with no-store (/nostore).
F=$(free_port)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/leaf.key" 2>/dev/null
for nm in plain nostore; do
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nauthorityInfoAccess=OCSP;URI:http://127.0.0.1:%s/%s,caIssuers;URI:http://127.0.0.1:%s/issuer/e1\n' \
		"$F" "$nm" "$P" >"$T/$nm.ext"
	openssl req -new -key "$T/leaf.key" -subj "/CN=$nm.test" -out "$T/$nm.csr" 2>/dev/null
	openssl x509 -req -in "$T/$nm.csr" -CA "$C/e1.pem" -CAkey "$D/keys/e1.key" -set_serial "0x4$(openssl rand -hex 11)" \
		-days 90 -extfile "$T/$nm.ext" -out "$T/$nm.pem" 2>/dev/null
done
# A leaf of e1 with only a CRL (lancre's shard for its serial): the CRL decides.
s=4$(openssl rand -hex 11)
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nauthorityInfoAccess=caIssuers;URI:http://127.0.0.1:%s/issuer/e1\ncrlDistributionPoints=URI:%s\n' \
	"$P" "$("$LANCRE" urls -d "$D" --issuer e1 --serial "$s" | sed -n 's/^crl: //p')" >"$T/crlonly.ext"
openssl req -new -key "$T/leaf.key" -subj "/CN=crlonly.test" -out "$T/crlonly.csr" 2>/dev/null
openssl x509 -req -in "$T/crlonly.csr" -CA "$C/e1.pem" -CAkey "$D/keys/e1.key" -set_serial "0x$s" \
	-days 90 -extfile "$T/crlonly.ext" -out "$T/crlonly.pem" 2>/dev/null
"$LANCRE" cert add -q --allow-foreign-urls -d "$D" "$T/plain.pem" "$T/nostore.pem" "$T/crlonly.pem" >/dev/null 2>&1 || not_ok "cert add"
# lancre's CRLs say max-age = min(nextUpdate, [crl] delay): a minute, for the tests below.
conf_set "$D/lancre.conf" crl delay 60s
"$LANCRE" sign -d "$D" --once >/dev/null || not_ok "lancre sign --once"
"$PY" - "$F" "$P" <<'PYEOF' &
import sys, http.server, urllib.request
port, lancre = int(sys.argv[1]), int(sys.argv[2])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        kind, _, rest = self.path[1:].partition('/')
        body = urllib.request.urlopen(f'http://127.0.0.1:{lancre}/ocsp/{rest}').read()
        self.send_response(200)
        self.send_header('Content-Type', 'application/ocsp-response')
        if kind == 'nostore':
            self.send_header('Cache-Control', 'no-store')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer(('127.0.0.1', port), H).serve_forever()
PYEOF
proxy_pid=$!

start() {
	"$LANCRE" run -d "$D" --listen "127.0.0.1:$P" --admin "127.0.0.1:$A" --api "127.0.0.1:$(free_port)" >>"$T/run.log" 2>&1 &
	run_pid=$!
	wait_http "http://127.0.0.1:$A/healthz" 20 || not_ok "lancre run answers"
}
stop() {
	kill "$run_pid" 2>/dev/null
	wait "$run_pid" 2>/dev/null
	run_pid=
}
A=$(free_port)
run_pid=
trap 'kill $proxy_pid $run_pid 2>/dev/null; lib_exit' EXIT
start
ocsp_entry() { ls "$CACHE"/ocsp-* 2>/dev/null | head -n 1; }
# whole FILE: the entry's body is as long as its header says.
whole() {
	"$PY" -c '
import sys
h, body = open(sys.argv[1], "rb").read().split(b"\n\n", 1)
n = [int(l[7:]) for l in h.split(b"\n") if l.startswith(b"length ")]
sys.exit(0 if n == [len(body)] else 1)' "$1"
}

# First check: everything fetched, then kept.
expect 0 "a first check: good" "$LANCRE" check --verbose "$a"
has "$OUT" '^ocsp: http://.*\(HTTP 200' "it fetched the OCSP response"
same "the cache directory is 0700" "$(stat -c %a "$CACHE")" 700
same "one OCSP entry and one issuer entry" "$(ls "$CACHE" | sed 's/-.*//' | sort | tr '\n' ' ')" "cert ocsp "
same "entries are 0600" "$(stat -c %a "$CACHE"/* | sort -u)" 600
entry=$(ocsp_entry)
has "$entry" '^expires [0-9]+$' "the entry records its expiry"
cp "$entry" "$T/entry.a"

# A second check within the window makes no request: the server is stopped.
stop
expect 0 "the server stopped, a second check: still good" "$LANCRE" check --verbose "$a"
has "$OUT" '^issuer: .*\(from cache' "verbose: the issuer from cache"
has "$OUT" '^ocsp: .*\(from cache, [0-9]+ bytes\) from cache: the OCSP responder says good' "verbose: the OCSP response from cache"
expect 0 "--json says from_cache" "$LANCRE" check --json "$a"
cp "$OUT" "$T/j"
expect 0 "... for the issuer and OCSP steps" "$PY" -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert [s["from_cache"] for s in j["steps"]] == [True, True, False], j["steps"]' "$T/j"
expect 4 "--no-cache with the server stopped: it fetches, and cannot decide" "$LANCRE" check --no-cache --verbose "$a"
has "$OUT" '^issuer: http://.*\(HTTP 0' "verbose: it tried to fetch"
expect 0 "--staple from the cache (server stopped)" "$LANCRE" check --staple "$T/staple.der" "$a"
expect 0 "the staple is the cached response" cmp -s "$T/staple.der" <(tail -c "$(wc -c <"$T/staple.der")" "$entry")

# --no-cache with the server up: fetched, and the cache is neither read nor written.
start
rm -f "$CACHE"/*
expect 0 "--no-cache: good" "$LANCRE" check --no-cache --verbose "$a"
has "$OUT" '^ocsp: http://.*\(HTTP 200' "it fetched"
same "and kept nothing" "$(ls "$CACHE" | wc -l)" 0

# Damaged entries: ignored, fetched again, replaced by a whole entry.
"$LANCRE" check "$a" >/dev/null
entry=$(ocsp_entry)
truncate -s -5 "$entry"
expect 0 "a truncated entry: still good" "$LANCRE" check --verbose "$a"
has "$OUT" '^ocsp: .*from cache.*not used \(truncated' "verbose: the truncated entry is not used"
has "$OUT" '^ocsp: http://.*\(HTTP 200.*says good' "it is fetched again"
expect 0 "the entry is whole again" whole "$entry"
head -c 300 /dev/urandom >"$entry"
expect 0 "a garbage entry: still good" "$LANCRE" check --verbose "$a"
has "$OUT" 'not used \(not a lancre cache entry' "verbose: the garbage is not used"
has "$OUT" '^ocsp: http://.*\(HTTP 200' "it is fetched again"
# A well-formed entry whose body is another certificate's response: re-verified, refused.
"$LANCRE" check "$b" >/dev/null
eb=$(grep -l "^url .*" "$CACHE"/ocsp-* | while read -r f; do cmp -s "$f" "$entry" || echo "$f"; done | head -n 1)
"$PY" - "$entry" "$eb" <<'PYEOF'
import sys
a, b = (open(p, 'rb').read() for p in sys.argv[1:3])
ha, body_a = a.split(b'\n\n', 1)
hb, body_b = b.split(b'\n\n', 1)
# b's header (key, expiry) with a's body and length: a valid entry of b, the wrong answer.
lines = [l if not l.startswith(b'length ') else b'length %d' % len(body_a) for l in hb.split(b'\n')]
open(sys.argv[2], 'wb').write(b'\n'.join(lines) + b'\n\n' + body_a)
PYEOF
expect 0 "an entry holding another certificate's response: still good" "$LANCRE" check --verbose "$b"
has "$OUT" 'not used \(the response does not answer for this certificate' "verbose: re-verified and refused"
has "$OUT" '^ocsp: http://.*\(HTTP 200' "it is fetched again"

# Two concurrent writers of the same entries.
rm -f "$CACHE"/*
conc=()
for i in 1 2 3 4 5 6; do
	"$LANCRE" check "$c" >"$T/conc.$i" 2>&1 &
	conc+=($!)
done
wait_ok=0
for j in "${conc[@]}"; do wait "$j" || wait_ok=1; done
same "six concurrent checks all good" "$wait_ok $(cat "$T"/conc.* | grep -c '^status: good$')" "0 6"
same "no temporary file left" "$(ls "$CACHE" | grep -c tmp)" 0
for f in "$CACHE"/*; do whole "$f" || not_ok "$f is not whole"; done
stop
expect 0 "the entries they wrote are whole (server stopped: from cache)" "$LANCRE" check --verbose "$c"
has "$OUT" '^ocsp: .*from cache: the OCSP responder says good' "read from cache"

# CRLs: kept as files (streamed in, streamed back), re-verified each time they are read.
start
rm -f "$CACHE"/*
expect 0 "a leaf with only a CRL: good" "$LANCRE" check --verbose "$T/crlonly.pem"
has "$OUT" '^crl: http://.*\(HTTP 200.*verified and fresh' "the CRL is fetched"
crl_entry=$(ls "$CACHE"/crl-* 2>/dev/null | head -n 1)
if [ -n "$crl_entry" ] && whole "$crl_entry"; then ok "it is kept, whole"; else not_ok "it is kept, whole"; fi
exp=$((10#$(sed -n 's/^expires //p' "$crl_entry")))
now=$(date +%s)
if [ "$exp" -le $((now + 60)) ] && [ "$exp" -ge $((now + 50)) ]; then ok "until its max-age (60 s)"; else not_ok "until its max-age ($exp, now $now)"; fi
cp "$crl_entry" "$T/crl.entry"
stop
expect 0 "the server stopped: good, from the cached CRL" "$LANCRE" check --verbose "$T/crlonly.pem"
has "$OUT" '^crl: http://.*\(from cache, [0-9]+ bytes\) from cache: verified and fresh' "verbose: the CRL from cache"
has "$OUT" '^from: crl$' "the CRL decided"
start
truncate -s -7 "$crl_entry"
expect 0 "a truncated CRL entry: still good" "$LANCRE" check --verbose "$T/crlonly.pem"
has "$OUT" '^crl: .*not used \(truncated' "verbose: not used"
has "$OUT" '^crl: http://.*\(HTTP 200' "it is fetched again"
# A whole entry holding r1's CRL instead of e1's: re-verified, refused, fetched again.
curl -s "http://127.0.0.1:$P/crl/r1/1.crl" -o "$T/r1.crl" || not_ok "r1's CRL"
"$PY" - "$crl_entry" "$T/r1.crl" <<'PYEOF'
import sys
h, _ = open(sys.argv[1], 'rb').read().split(b'\n\n', 1)
body = open(sys.argv[2], 'rb').read()
lines = [l if not l.startswith(b'length ') else b'length %020d' % len(body) for l in h.split(b'\n')]
open(sys.argv[1], 'wb').write(b'\n'.join(lines) + b'\n\n' + body)
PYEOF
expect 0 "an entry holding another issuer's CRL: still good" "$LANCRE" check --verbose "$T/crlonly.pem"
has "$OUT" "^crl: .*not used \(the CRL's issuer is not the certificate's issuer" "verbose: re-verified and refused"
has "$OUT" '^crl: http://.*\(HTTP 200' "it is fetched again"
expect 4 "8 days on: the CRL entry expired, and the CRL is stale" faked 8d "$LANCRE" check --verbose "$T/crlonly.pem"
has "$OUT" '^crl: .*not used \(expired at' "verbose: the entry expired"
expect 0 "--no-cache: the CRL fetched, not read from the cache" "$LANCRE" check --verbose --no-cache "$T/crlonly.pem"
has "$OUT" '^crl: http://.*\(HTTP 200' "fetched"
stop

# Expiry.  5 days on the OCSP response (4 days) is past its nextUpdate: never served.
start
"$LANCRE" check "$c" >/dev/null || not_ok "c is good"
expect 0 "5 days on: the expired entry is not served (the CRL decides)" faked 5d "$LANCRE" check --verbose "$c"
has "$OUT" '^ocsp: .*from cache.*not used \(expired at' "verbose: the entry expired"
has "$OUT" '^ocsp: http://.*\(HTTP 200' "it is fetched again"
# Without max-age, nextUpdate bounds the entry; no-store keeps nothing.
rm -f "$CACHE"/*
expect 0 "an answer without Cache-Control: good" "$LANCRE" check --json "$T/plain.pem"
nu=$("$PY" -c 'import json, sys, datetime as d
t = json.load(open(sys.argv[1]))["next_update"]
print(int(d.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=d.timezone.utc).timestamp()))' "$OUT")
same "its entry expires at the response's nextUpdate" "$((10#$(sed -n 's/^expires //p' "$(ocsp_entry)")))" "$nu"
rm -f "$CACHE"/*
expect 0 "an answer with no-store: good" "$LANCRE" check --verbose "$T/nostore.pem"
has "$OUT" 'not cached: Cache-Control forbids it' "verbose: not cached, and why"
same "no OCSP entry kept" "$(ls "$CACHE" | grep -c ocsp)" 0

# The server's max-age, when smaller than nextUpdate, bounds the entry.
stop
conf_set "$D/lancre.conf" server ocsp_max_age 2s
start
rm -f "$CACHE"/*
expect 0 "with max-age=2: good" "$LANCRE" check "$a"
exp=$((10#$(sed -n 's/^expires //p' "$(ocsp_entry)")))
now=$(date +%s)
if [ "$exp" -le $((now + 2)) ] && [ "$exp" -ge $((now - 2)) ]; then ok "the entry expires at max-age, not nextUpdate"; else not_ok "the entry expires at max-age ($exp, now $now)"; fi
expect 0 "10 s on: refetched" faked 10s "$LANCRE" check --verbose "$a"
has "$OUT" 'not used \(expired at' "verbose: the entry expired"
has "$OUT" '^ocsp: http://.*\(HTTP 200' "it is fetched again"

# A cache directory that cannot be made: the check goes on without it, and says so.
expect 0 "an unusable cache directory: still good" env XDG_CACHE_HOME=/proc/none "$LANCRE" check --verbose "$a"
has "$OUT" '^cache: not used: cannot create /proc/none' "verbose: the cache is not used, and why"
stop
echo "1..$n"
