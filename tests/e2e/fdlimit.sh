#!/bin/bash
# A burst of connections past the descriptor limit: `lancre serve` under
# `ulimit -n 64` (soft and hard, so it cannot raise it) and 300 concurrent
# clients that each hold their connection a moment after the answer.  The
# server pauses accepting on EMFILE instead of spinning: its CPU time over the
# burst (utime + stime from /proc/PID/stat) stays small, every client is
# answered, connections_refused_total rises, the pause is logged once, and the
# server answers afterwards.
. "$(dirname "$0")/lib.sh"

D=$T/data
"$LANCRE" init -d "$D" >/dev/null
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
P=$(free_port)
A=$(free_port)
(ulimit -n 64 && exec "$LANCRE" serve -d "$D" --listen "127.0.0.1:$P" --admin "127.0.0.1:$A" --threads 2) \
	>"$T/serve.out" 2>"$T/serve.err" &
pid=$!
wait_http "http://127.0.0.1:$A/healthz"
# The start-up line is printed once the threads run, which may be just after /healthz answers.
for _ in $(seq 1 $((40 * TF))); do grep -q 'descriptor limit' "$T/serve.out" && break; sleep 0.05; done
has "$T/serve.out" 'descriptor limit 64' "the start-up line gives the descriptor limit"

cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; } # clock ticks
c0=$(cpu)
t0=$(date +%s%N)
run "$PY" - "$P" <<'PYEOF'
import socket, sys, threading, time
port, n, hold = int(sys.argv[1]), 300, 0.5
answered = []
def client():
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.settimeout(30)
        s.sendall(b"GET /issuer/e1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        got = b""
        while b"\r\n\r\n" not in got:
            b = s.recv(65536)
            if not b:
                break
            got += b
        if got.startswith(b"HTTP/1.1 200"):
            answered.append(1)
        time.sleep(hold)  # a keep-alive client, busy a moment
        s.close()
    except OSError as e:
        print("client:", e)
ts = [threading.Thread(target=client) for _ in range(n)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("answered", len(answered))
PYEOF
ms=$((($(date +%s%N) - t0) / 1000000))
ticks=$(($(cpu) - c0))
has "$OUT" '^answered 300$' "all 300 clients are answered (in $ms ms)"
hz=$(getconf CLK_TCK)
if [ $((ticks * 1000 / hz)) -lt $((ms / 4)) ]; then ok "the server used $((ticks * 1000 / hz)) ms of CPU over the $ms ms burst"; else not_ok "the server used $((ticks * 1000 / hz)) ms of CPU over the $ms ms burst"; fi
refused=$(curl -s "http://127.0.0.1:$A/metrics" | sed -n 's/^lancre_connections_refused_total //p')
if [ "${refused:-0}" -gt 0 ]; then ok "connections_refused_total counts the pauses ($refused)"; else not_ok "connections_refused_total is '${refused}'"; fi
has "$T/serve.err" 'out of file descriptors' "the pause is logged"
lines=$(grep -c 'out of file descriptors' "$T/serve.err")
if [ "$lines" -eq 1 ]; then ok "once per episode, not per connection ($lines lines)"; else not_ok "logged $lines times"; fi
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/issuer/e1")
same "the server answers afterwards" "$code" 200
kill -TERM "$pid"
wait "$pid"
same "and stops with 0" "$?" 0
echo "1..$n"
