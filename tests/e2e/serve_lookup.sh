#!/bin/bash
# A request waiting for a store lookup is never left waiting on the store
# (issue 18, review of the serve start-up): a node still loading its
# responses (LANCRE_TEST_LOAD_DELAY_MS) looks each request up in the store,
# and the test hooks of server.h make that store slow
# (LANCRE_TEST_LOOKUP_DELAY_MS: each lookup sleeps first, and a stop does not
# cut it short), its queue small (LANCRE_TEST_LOOKUP_QUEUE_MAX) or failing
# (LANCRE_TEST_LOOKUP_FAIL).  Checked: a lookup past its deadline is answered
# tryLater (within LOOKUP_DEADLINE_MS, 1.5 s) and its late answer dropped; a
# full queue is answered tryLater at once; a failing store too, and /healthz
# then says 503; clients that reset their connection while their lookup is
# out leave the server sound (run it under ASan too); SIGTERM with lookups
# stuck in the store exits promptly and cleanly; a response past its
# nextUpdate is looked up and answered tryLater.  A base load that fails
# (LANCRE_TEST_LOAD_FAIL) is retried after a growing back-off, not every tick,
# and /healthz says 503 meanwhile.
. "$(dirname "$0")/lib.sh"

N=40
TRYLATER=30030a0103
signed_store "$N" 10 3
b64() { sed -n "${1}p" "$T/reqs.txt" | cut -d' ' -f2; }

# ask LINE OUT: GET request LINE; OUT gets the body's hex and OUT.t the seconds it took.
ask() {
	"$PY" - "$P" "$(b64 "$1")" "$2" <<'PYEOF'
import http.client, sys, time
port, b64, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
t = time.monotonic()
try:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.request("GET", "/ocsp/" + b64)
    body = c.getresponse().read().hex()
except Exception as e:
    body = "error: %s" % e
open(out + ".t", "w").write("%.3f\n" % (time.monotonic() - t))
open(out, "w").write(body + "\n")
PYEOF
}
# reset LINE: send request LINE and cut the connection (RST) before the answer.
reset() {
	"$PY" - "$P" "$(b64 "$1")" <<'PYEOF'
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(("GET /ocsp/%s HTTP/1.1\r\nHost: x\r\n\r\n" % sys.argv[2]).encode())
time.sleep(0.1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
PYEOF
}
within() { awk -v s="$(cat "$1")" -v lo="$2" -v hi="$3" 'BEGIN { exit !(s >= lo && s < hi) }'; }
# Time limits (s), scaled for sanitizer builds (lib.sh's TF): an answer "at once", one at
# the 1.5 s deadline, and a stop with lookups stuck in the store.
AT_ONCE=$(awk -v f="$TF" 'BEGIN { print 0.5 * f }')
DEADLINE_HI=$(awk -v f="$TF" 'BEGIN { print 1.5 + 0.8 * f }')
STOP_HI=$((4 * TF))

# serve ENV...: start lancre serve, still loading (for a minute), with ENV.
serve() {
	P=$(free_port)
	A=$(free_port)
	env LANCRE_TEST_LOAD_DELAY_MS=60000 "$@" "$LANCRE" serve -d "${SD:-$D}" --listen "127.0.0.1:$P" \
		--admin "127.0.0.1:$A" --threads 2 >>"$T/serve.out" 2>>"$T/serve.err" &
	pid=$!
	wait_http "http://127.0.0.1:$A/healthz" 10
}

# --- A slow store: the deadline, a full queue, clients that go away. ---------------
serve LANCRE_TEST_LOOKUP_DELAY_MS=2500 LANCRE_TEST_LOOKUP_QUEUE_MAX=1
same "the node is loading (every request is looked up)" "$(metric lancre_ocsp_loading)" 1
# Two lookup threads take two jobs, one more waits in the queue: the fourth finds it full.
# Polls bounded by the clock, not by a count of tries: under load (15-17) each metric
# (a curl) took so long that "5 s" of tries ran for half a minute, and the section
# outlived the 60 s the node stays loading (SERVER_LOAD_DELAY_MAX_MS): its last
# request was then answered from the loaded responses, not tryLater.
until_metric() { # NAME VALUE SECS: until metric NAME is VALUE
	local end=$(($(date +%s%N) + $3 * 1000000000))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		[ "$(metric "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
waiting() { until_metric lancre_ocsp_lookups_waiting "$1" 5; } # N: until N requests wait
until_lookups() { until_metric lancre_ocsp_lookups_total "$1" "$2"; } # N SECS: N lookups started
# The first three asked one after the other, each taken by a thread before the next comes
# (so the third is queued), and the fourth while all three wait: all within the first
# one's 1.5 s deadline, so in one process (python's start-up and a curl per poll, from
# the shell, took longer than that under load: the first was answered tryLater before
# the third was queued, and the fourth was not refused as a full queue).
"$PY" - "$P" "$A" "$T" "$(b64 1)" "$(b64 2)" "$(b64 3)" "$(b64 4)" <<'PYEOF'
import http.client, sys, threading, time
port, aport, out, b64 = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
def metric(name):
    c = http.client.HTTPConnection("127.0.0.1", aport, timeout=5)
    c.request("GET", "/metrics")
    body = c.getresponse().read().decode()
    c.close()
    return next((l.split()[1] for l in body.splitlines() if l.split()[:1] == [name]), None)
def until(name, value, secs=5):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if metric(name) == str(value):
            return
        time.sleep(0.01)
def ask(i, name):
    t = time.monotonic()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        c.request("GET", "/ocsp/" + b64[i])
        body = c.getresponse().read().hex()
    except Exception as e:
        body = "error: %s" % e
    open("%s/%s.t" % (out, name), "w").write("%.3f\n" % (time.monotonic() - t))
    open("%s/%s" % (out, name), "w").write(body + "\n")
threads = []
for i in range(3):
    threads.append(threading.Thread(target=ask, args=(i, "slow%d" % (i + 1))))
    threads[-1].start()
    until("lancre_ocsp_lookups_waiting", i + 1)
    if i < 2:
        until("lancre_ocsp_lookups_total", i + 1)
open(out + "/waiting", "w").write("%s\n" % metric("lancre_ocsp_lookups_waiting"))
ask(3, "full")
for t in threads:
    t.join()
PYEOF
same "three requests wait for their lookups" "$(cat "$T/waiting")" 3
same "a full queue is answered tryLater" "$(cat "$T/full")" "$TRYLATER"
if within "$T/full.t" 0 "$AT_ONCE"; then ok "at once ($(cat "$T/full.t")s)"; else not_ok "after $(cat "$T/full.t")s"; fi
for i in 1 2 3; do
	same "a lookup slower than its deadline is answered tryLater ($i)" "$(cat "$T/slow$i")" "$TRYLATER"
	if within "$T/slow$i.t" 1.2 "$DEADLINE_HI"; then ok "at its deadline ($(cat "$T/slow$i.t")s)"; else not_ok "after $(cat "$T/slow$i.t")s"; fi
done
same "counted as past the deadline" "$(metric 'lancre_ocsp_lookup_failures_total{reason="deadline"}')" 3
same "and as a full queue" "$(metric 'lancre_ocsp_lookup_failures_total{reason="queue_full"}')" 1
# Clients that cut their connection (HTTP/1.1 reset, HTTP/2 closed) while their lookup is out.
until_lookups 3 5
sleep 2.6 # the late lookups are back (and dropped): both threads idle, the queue empty
reset 5
curl -s -o /dev/null --http2-prior-knowledge --max-time 0.3 "http://127.0.0.1:$P/ocsp/$(b64 6)"
reset 7
if until_lookups 5 2; then ok "their lookups are out"; else not_ok "$(metric lancre_ocsp_lookups_total) lookups"; fi
if until_lookups 6 5; then ok "the queued one too"; else not_ok "$(metric lancre_ocsp_lookups_total) lookups"; fi
sleep 2.6 # and back, to requests gone
same "the node still answers (healthz)" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$A/healthz")" 200
ask 8 "$T/after"
same "and OCSP (tryLater: the store is still slow)" "$(cat "$T/after")" "$TRYLATER"
kill -TERM "$pid"
wait "$pid"
same "lancre serve exits 0" "$?" 0

# --- SIGTERM with lookups stuck in the store: a prompt, clean exit. ----------------
serve LANCRE_TEST_LOOKUP_DELAY_MS=20000
asks=()
for i in 1 2 3; do
	ask "$i" "$T/stuck$i" &
	asks+=($!)
done
waiting 3
same "three requests wait for their lookups" "$(metric lancre_ocsp_lookups_waiting)" 3
t0=$(date +%s.%N)
kill -TERM "$pid"
wait "$pid"
rc=$?
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
same "SIGTERM with lookups stuck in the store: lancre serve exits 0" "$rc" 0
if awk -v s="$secs" -v hi="$STOP_HI" 'BEGIN { exit !(s < hi) }'; then ok "within ${secs}s"; else not_ok "after ${secs}s"; fi
wait "${asks[@]}"
for i in 1 2 3; do
	same "the waiting request was answered tryLater ($i)" "$(cat "$T/stuck$i")" "$TRYLATER"
done

# --- A failing store: tryLater at once, /healthz 503. -----------------------------
serve LANCRE_TEST_LOOKUP_FAIL=1
same "a healthy node before" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$A/healthz")" 200
ask 1 "$T/fail"
same "a lookup the store fails is answered tryLater" "$(cat "$T/fail")" "$TRYLATER"
if within "$T/fail.t" 0 "$AT_ONCE"; then ok "at once ($(cat "$T/fail.t")s)"; else not_ok "after $(cat "$T/fail.t")s"; fi
same "counted" "$(metric 'lancre_ocsp_lookup_failures_total{reason="store"}')" 1
curl -s -o "$T/health" -w '%{http_code}' "http://127.0.0.1:$A/healthz" >"$T/health.code"
same "/healthz says 503 while lookups fail" "$(cat "$T/health.code")" 503
has "$T/health" "lookups in the store are failing" "with the reason"
kill -TERM "$pid"
wait "$pid"
same "lancre serve exits 0" "$?" 0

# --- A response past its nextUpdate, looked up: tryLater, as from a loaded node. -------
SD=$T/old
"$LANCRE" init -d "$SD" >/dev/null
"$LANCRE" issuer add -d "$SD" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
conf_set "$SD/lancre.conf" ocsp sha256 no
"$LANCRE" cert add -q -d "$SD" "$T/certs.der" >/dev/null
expect 0 "the same certificates signed 60 days ago, in another store" faked -60d \
	"$LANCRE" sign -d "$SD" --once
serve
ask 1 "$T/stale"
same "a response past its nextUpdate, looked up, is answered tryLater" "$(cat "$T/stale")" "$TRYLATER"
same "after a lookup" "$(metric lancre_ocsp_lookups_total)" 1
kill -TERM "$pid"
wait "$pid"
SD=

# --- A base load that fails (LANCRE_TEST_LOAD_FAIL): retried after 1 s, 2 s, 4 s... ---
serve LANCRE_TEST_LOAD_DELAY_MS=0 LANCRE_TEST_LOAD_FAIL=1
sleep 3.5
loads=$(metric lancre_ocsp_load_failures_total)
if [ "${loads:-0}" -ge 2 ] && [ "${loads:-0}" -le 4 ]; then ok "a failing load is retried with a growing back-off ($loads in 3.5 s)"; else not_ok "${loads:-no} failed loads in 3.5 s"; fi
curl -s -o "$T/health" -w '%{http_code}' "http://127.0.0.1:$A/healthz" >"$T/health.code"
same "/healthz says 503 meanwhile" "$(cat "$T/health.code")" 503
has "$T/health" "loading the responses failed" "with the reason"
ask 1 "$T/noload"
same "and the node answers by lookups" "$(cat "$T/noload")" "$(od -An -tx1 -v "$T/files/$(sed -n 1p "$T/reqs.txt" | cut -d' ' -f1).der" | tr -d ' \n')"
kill -TERM "$pid"
wait "$pid"
same "lancre serve exits 0" "$?" 0
lib_exit
