#!/bin/bash
# A client that stops reading a large CRL holds little of the kernel's memory
# (issue 18, session 14): the server's sockets have TCP_NOTSENT_LOWAT (128 KB,
# src/server/server.c), so the kernel takes a body only while less than that
# waits unsent, instead of filling a send buffer that autotunes to tcp_wmem's
# 4 MB.  One HTTP/1.1 and one HTTP/2 client (a 4 KB receive buffer, the
# largest window HTTP/2 allows) ask for a CRL of ~6 MB and never read; once
# the server's side is still, ss says how much each connection queues (Send-Q)
# and holds (skmem w): at most LOWAT_BOUND_KB.  Before: ~4 MB each.  Then a
# client that reads still gets the whole CRL, byte for byte.
. "$(dirname "$0")/lib.sh"

N=${CRL_LOWAT_ENTRIES:-130000} # about 49 bytes an entry: > 6 MB, past the 4 MB buffer
BOUND_KB=${LOWAT_BOUND_KB:-512}
D=$T/data
"$LANCRE" init -d "$D" >/dev/null
conf_set "$D/lancre.conf" crl full no
conf_set "$D/lancre.conf" server write_timeout 60s # the clients stay until the script ends
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
revoked_rows "$N"
expect 0 "lancre sign --once signs a CRL of $N entries" "$LANCRE" sign -d "$D" --once
CRL=$D/public/crl/e1/1.crl
size=$(stat -c %s "$CRL" 2>/dev/null || echo 0)
if [ "$size" -ge 6000000 ]; then ok "the CRL is $size bytes (>= 6 MB)"; else not_ok "the CRL is only $size bytes"; fi

trap 'kill ${pid:-} ${client:-} 2>/dev/null; lib_exit' EXIT
start_serve 30 || not_ok "the server did not start"

# stall.py PORT READY: two connections ask for the CRL and never read; READY
# holds their ports once both are sent; held until READY.go exists.
cat >"$T/stall.py" <<'PYEOF'
import os, socket, struct, sys, time
port, ready = int(sys.argv[1]), sys.argv[2]
PATH = b"/crl/e1/1.crl"

def conn():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096) # before connect: a small window
    s.connect(("127.0.0.1", port))
    return s

def frame(kind, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload

h1 = conn()
h1.sendall(b"GET " + PATH + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
h2 = conn()
big = 0x7fffffff
block = b"\x82\x86\x04" + bytes([len(PATH)]) + PATH + b"\x01\x09127.0.0.1"
h2.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, struct.pack(">HI", 4, big))
           + frame(4, 1, 0, b"") + frame(8, 0, 0, struct.pack(">I", big - 65535))
           + frame(1, 0x5, 1, block))
open(ready + ".tmp", "w").write("%d\n%d\n" % (h1.getsockname()[1], h2.getsockname()[1]))
os.rename(ready + ".tmp", ready)
while not os.path.exists(ready + ".go"):
    time.sleep(0.05)
PYEOF

# held.py PORT PORTS: each stalled connection's Send-Q and skmem w (server side), once
# both have stayed the same for 1 s (at most 15 s): "PORT SENDQ W" lines.
cat >"$T/held.py" <<'PYEOF'
import re, subprocess, sys, time
port, ports = sys.argv[1], [int(l) for l in open(sys.argv[2])]
last, since, end = None, time.monotonic(), time.monotonic() + 15
while time.monotonic() < end:
    out = subprocess.run(["ss", "-tmnH", "state", "established", "( sport = :%s )" % port],
                         capture_output=True, text=True).stdout
    seen = {}
    for m in re.finditer(r"^\s*\d+\s+(\d+)\s+\S+:\d+\s+\S+:(\d+)\s*\n\s*skmem:\(([^)]*)\)", out, re.M):
        w = re.search(r"(?:^|,)w(\d+)", m.group(3))
        seen[int(m.group(2))] = (int(m.group(1)), int(w.group(1)) if w else -1)
    now = {p: seen.get(p) for p in ports}
    if now != last:
        last, since = now, time.monotonic()
    elif time.monotonic() - since >= 1 and None not in now.values():
        break
    time.sleep(0.1)
for p in ports:
    q = last.get(p) if last else None
    print(p, *(q if q else (-1, -1)))
PYEOF

"$PY" "$T/stall.py" "$P" "$T/ready" &
client=$!
wait_file "$T/ready" 30 || not_ok "the stalled clients did not start"
"$PY" "$T/held.py" "$P" "$T/ready" >"$T/held" 2>"$T/held.err"
sed 's/^/# port Send-Q skmem-w: /' "$T/held"
for kind in HTTP/1.1 HTTP/2; do
	read -r port q w <&3
	if [ "$q" -ge 0 ] && [ "$w" -ge 0 ] && [ "$q" -le $((BOUND_KB * 1024)) ] &&
		[ "$w" -le $((BOUND_KB * 1024)) ]; then
		ok "a stalled $kind client's connection queues $q bytes and holds $w (<= $BOUND_KB KB)"
	else
		not_ok "a stalled $kind client's connection queues $q bytes and holds $w (> $BOUND_KB KB, or not found)"
	fi
done 3<"$T/held"

# A client that reads gets the whole CRL, byte for byte, meanwhile.
expect 0 "a reading client gets the whole CRL" \
	curl -s --max-time 30 -o "$T/got.crl" "http://127.0.0.1:$P/crl/e1/1.crl"
if cmp -s "$T/got.crl" "$CRL"; then ok "what it got is the CRL"; else not_ok "what it got differs from the CRL"; fi
touch "$T/ready.go"
wait "$client" 2>/dev/null
echo "1..$n"
