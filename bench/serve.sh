#!/bin/bash
# bench/serve.sh BUILD_DIR - the public server under load, against nginx
# serving the same bytes as static files and openssl's own OCSP responder
# (issue 4).
#
#   RUNS=3 bench/serve.sh build                     # about 6 minutes on 2 cores
#   N=20000 SERVE_REQUESTS=50000 SERVE_IDLE=1000 RUNS=1 bench/serve.sh build    # quick
#
# One data directory, built once: a P-256 intermediate, SERVE_N (else N, else
# 1000000) leaves (BUILD/lancre-gencerts), imported, and pre-signed with [ocsp]
# sha256 = no, so that the directory holds SERVE_N responses, one per
# certificate.
# BUILD/lancre-ocspbench then draws SERVE_URIS stored serials at random and
# writes a real SHA-1 OCSP request for each (OpenSSL's OCSP_cert_id_new), the
# response bytes lancre holds for each as <serial hex>.der, the first request
# as a POST body, and an `openssl ca` index.txt of the drawn serials.
#
# Servers, all on 127.0.0.1, all given the 2 cores:
#   lancre   `lancre serve --threads 2`; GET /ocsp/<URL-encoded base64>
#   nginx    worker_processes 2, access_log off, sendfile on, the .der files as
#            static files: GET /<serial hex>.der, application/ocsp-response; and
#            the same on a second port with open_file_cache (no open() per
#            request), nginx at its best for this
#   openssl  `openssl ocsp -index index.txt -multi 2 -rsigner ... -rkey ...`,
#            which parses index.txt and signs every response when asked
# Load: h2load (nghttp2-client) on the same machine, HTTP/1.1, SERVE_CONNS
# connections (64) on one thread, a URI list file (-i) of the SERVE_URIS
# requests, SERVE_REQUESTS requests per run (SERVE_OPENSSL_REQUESTS for
# openssl, which is slow), RUNS runs of each, lancre and nginx interleaved,
# after a warm-up.  Reported: req/s (median), the mean time per request from
# h2load and the 99th percentile from its per-request --log-file, the CPU
# seconds the server and h2load each used (they share the 2 cores: h2load's
# share is load the server does not get), the share of the cores that other
# processes took meanwhile (/proc/stat: a run they crowded is suspect), and
# ratios.
#
# Then, for lancre only: POST /ocsp (one request body, repeated); GETs while
# SERVE_IDLE idle keep-alive connections are held open by a small python3
# client (each made one request first; h2load runs SERVE_IDLE_SECS seconds,
# then every idle connection must still be open and answer again, unless it
# was idle for the server's 10 s HTTP/1 timeout); and its resident memory
# (VmRSS) with SERVE_N responses against their bytes (sum(length(der))):
# goal <= 1.5 x bytes + 64 MiB.
#
# Last, latency with a core each (SERVE_LAT_SECS s, RUNS runs): on a 2-core
# machine h2load and the server share the cores, and the 99th percentile
# measures their contention more than the server.  So lancre (`--threads 1`)
# and nginx (`worker_processes 1`, open_file_cache) are pinned to core 0 with
# taskset and the client to core 1; the client is wrk -t1 -c SERVE_CONNS
# --latency with a Lua request() drawing a random URI per request (h2load's
# per-request times put p50 near 1 ms and p99 near 9 ms for nginx and lancre
# alike, even at a tenth of their rate: an artefact of its single loop).  The
# same client against a third server, nginx answering every path with a
# fixed body from memory, gives the floor: what the client and loopback TCP
# alone cost here, below which no server's p99 can go on this machine.
#
# lancre's /metrics must show exactly one "response" answer per request sent
# (an OCSP error answer is also HTTP 200), and h2load no failed request.
# As in bench/import.sh: binaries are copied at the start, load averages are
# printed, progress goes to stderr and results to stdout, work files live in
# bench/out/ and are removed, servers are stopped by PID; exit status 1 on a
# failure, a missed goal is reported.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-3}
SERVE_N=${SERVE_N:-${N:-1000000}}
SERVE_URIS=${SERVE_URIS:-100000}
SERVE_REQUESTS=${SERVE_REQUESTS:-300000}
SERVE_OPENSSL_REQUESTS=${SERVE_OPENSSL_REQUESTS:-5000}
SERVE_CONNS=${SERVE_CONNS:-64}
SERVE_IDLE=${SERVE_IDLE:-10000}
SERVE_IDLE_SECS=${SERVE_IDLE_SECS:-5}
IDLE_TIMEOUT=10 # lancre closes HTTP/1 connections idle this long ([server] request_timeout)


[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
for v in RUNS SERVE_N SERVE_URIS SERVE_REQUESTS SERVE_OPENSSL_REQUESTS SERVE_CONNS SERVE_IDLE \
	SERVE_IDLE_SECS; do
	posint "$v" "${!v}"
done
[ "$SERVE_IDLE_SECS" -lt "$IDLE_TIMEOUT" ] || die "SERVE_IDLE_SECS must be below $IDLE_TIMEOUT"
[ "$SERVE_URIS" -le "$SERVE_N" ] || SERVE_URIS=$SERVE_N


need openssl openssl
need sqlite3 sqlite3
need /usr/bin/time time
need nproc coreutils
need curl curl
need python3 python3
need h2load nghttp2-client
need wrk wrk
need taskset util-linux
[ -x /usr/sbin/nginx ] || need nginx nginx-light
nginx=$(command -v nginx || echo /usr/sbin/nginx)

# 10,000 idle connections need as many descriptors, in lancre and in the client.
hard=$(ulimit -Hn)
want=65536
[ "$hard" = unlimited ] || [ "$hard" -ge "$want" ] || want=$hard
ulimit -n "$want" || die "cannot raise the open files limit to $want"
if [ $((SERVE_IDLE + 1024)) -gt "$want" ]; then
	SERVE_IDLE=$((want - 1024))
	say "open files limited to $want: holding $SERVE_IDLE idle connections"
fi

bench_setup serve "$1" lancre lancre-gencerts lancre-ocspbench
bench_stop_on_exit
tck=$(getconf CLK_TCK)
lancre=$work/bin/lancre
gencerts=$work/bin/lancre-gencerts
ocspbench=$work/bin/lancre-ocspbench

# N distinct free TCP ports on 127.0.0.1 (held open together while chosen).
# Wait until URL answers (up to $2 seconds).
wait_http() {
	local url=$1 secs=$2 i
	for i in $(seq 1 $((secs * 10))); do
		curl -sf -o /dev/null "$url" && return 0
		sleep 0.1
	done
	return 1
}
# CPU clock ticks (user + system) used so far by the given processes.
ticks() {
	local p t=0 v
	for p in "$@"; do
		v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }') || v=0
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
rss_kb() {
	awk -v k="$2" '$1 == k ":" { print $2 }' "/proc/$1/status"
}
metric() {
	curl -sf "http://127.0.0.1:$admin_port/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

# --- The data: a P-256 intermediate, SERVE_N certificates, signed. ------------
say "making the root and the intermediate"
bench_root
bench_int int p256 "lancre bench E1"
"$lancre" init -d d >/dev/null
"$lancre" issuer add -d d e1 "$work/int.pem" "$work/int.key" >/dev/null
sed -i 's/^sha256 = .*/sha256 = no/' d/lancre.conf
grep -q '^sha256 = no$' d/lancre.conf || die "cannot set [ocsp] sha256 = no"
say "generating $SERVE_N certificates"
"$gencerts" --issuer-cert int.pem --issuer-key int.key --count "$SERVE_N" --out certs.der \
	2>gen.log || { cat gen.log >&2; die "lancre-gencerts failed"; }
cat gen.log >&2
say "importing them"
"$lancre" cert add -q -d d certs.der || die "lancre cert add failed"
rm -f certs.der
say "signing them (sha256 = no: one response per certificate)"
"$lancre" sign -d d --once >&2 || die "lancre sign failed"
read -r nresp resp_bytes <<<"$(sqlite3 -separator ' ' d/lancre.db \
	'select count(*), sum(length(der)) from ocsp_responses')"
[ "$nresp" = "$SERVE_N" ] || die "the store holds $nresp responses, expected $SERVE_N"

say "lancre-ocspbench requests: $SERVE_URIS requests, their responses, a POST body, index.txt"
"$ocspbench" requests -d d --requests "$SERVE_URIS" --out reqs.txt --responses files \
	--post post.der --index index.txt || die "lancre-ocspbench failed"
[ "$(wc -l <reqs.txt)" = "$SERVE_URIS" ] || die "reqs.txt does not hold $SERVE_URIS requests"

read -r lancre_port admin_port nginx_port nginx2_port ossl_port lat_port lat_admin nginx3_port \
	nginx3_plain_port null_port <<<"$(free_ports 10)"
awk -v p="$lancre_port" '{ print "http://127.0.0.1:" p "/ocsp/" $2 }' reqs.txt >uris-lancre.txt
awk -v p="$nginx_port" '{ print "http://127.0.0.1:" p "/" $1 ".der" }' reqs.txt >uris-nginx.txt
awk -v p="$nginx2_port" '{ print "http://127.0.0.1:" p "/" $1 ".der" }' reqs.txt >uris-nginx2.txt
awk -v p="$ossl_port" '{ print "http://127.0.0.1:" p "/" $2 }' reqs.txt >uris-openssl.txt

# --- The servers. ----------------------------------------------------------------
say "starting lancre serve --threads 2 on port $lancre_port"
t0=$(date +%s.%N)
"$lancre" serve -d d --listen "127.0.0.1:$lancre_port" --admin "127.0.0.1:$admin_port" \
	--threads 2 >lancre.log 2>&1 &
lancre_pid=$!
pids+=("$lancre_pid")
# Start-up: until the first OCSP answer (the node answers while it loads, issue 18),
# then until every response is loaded (/metrics lancre_ocsp_loading 0).
first_uri=$(head -1 uris-lancre.txt)
bench_await 0.01 600 "$lancre_pid" lancre.log "lancre serve" curl -sf -o first.der "$first_uri"
startup=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
cmp -s first.der "files/$(head -1 reqs.txt | cut -d' ' -f1).der" ||
	die "lancre serve's first answer is not the stored response"
until [ "$(metric lancre_ocsp_loading)" = 0 ]; do sleep 0.05; done
loaded=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
[ "$(metric lancre_ocsp_responses)" = "$SERVE_N" ] ||
	die "lancre serves $(metric lancre_ocsp_responses) responses, not $SERVE_N"

mkdir nginx-tmp
ofc_max=$((2 * SERVE_URIS)) # no more open files than nginx may hold
[ "$ofc_max" -le $((want - 1024)) ] || ofc_max=$((want - 1024))
cat >nginx.conf <<EOF
$([ "$(id -u)" -eq 0 ] && echo 'user root;')
worker_processes 2;
worker_rlimit_nofile $want;
pid $work/nginx.pid;
error_log $work/nginx.err warn;
events {
	worker_connections 4096;
}
http {
	access_log off;
	sendfile on;
	keepalive_requests 100000000;
	client_body_temp_path $work/nginx-tmp/body;
	proxy_temp_path $work/nginx-tmp/proxy;
	fastcgi_temp_path $work/nginx-tmp/fastcgi;
	uwsgi_temp_path $work/nginx-tmp/uwsgi;
	scgi_temp_path $work/nginx-tmp/scgi;
	server {
		listen 127.0.0.1:$nginx_port;
		root $work/files;
		location / {
			default_type application/ocsp-response;
		}
	}
	# The same, keeping open file descriptors: no open() per request.
	server {
		listen 127.0.0.1:$nginx2_port;
		root $work/files;
		open_file_cache max=$ofc_max inactive=600s;
		open_file_cache_valid 600s;
		location / {
			default_type application/ocsp-response;
		}
	}
}
EOF
say "starting nginx (2 workers) on port $nginx_port"
"$nginx" -e "$work/nginx.err" -p "$work/" -c "$work/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
pids+=("$nginx_pid")

say "starting openssl ocsp -multi 2 on port $ossl_port"
openssl ocsp -index index.txt -port "$ossl_port" -rsigner int.pem -rkey int.key -CA int.pem \
	-resp_no_certs -resp_key_id -nmin 60 -multi 2 >openssl.log 2>&1 &
ossl_pid=$!
pids+=("$ossl_pid")

# The same bytes from lancre and nginx; a good answer from openssl.
read -r serial b64 <<<"$(head -1 reqs.txt)"
wait_http "http://127.0.0.1:$nginx_port/$serial.der" 30 ||
	{ cat nginx.err >&2; die "nginx does not start"; }
curl -sf -o one-lancre.der "http://127.0.0.1:$lancre_port/ocsp/$b64" || die "lancre GET failed"
curl -sf -o one-nginx.der "http://127.0.0.1:$nginx_port/$serial.der" || die "nginx GET failed"
cmp -s one-lancre.der one-nginx.der || die "lancre and nginx serve different bytes"
cmp -s one-lancre.der "files/$serial.der" || die "lancre does not serve the stored response"
wait_http "http://127.0.0.1:$ossl_port/$b64" 30 ||
	{ cat openssl.log >&2; die "openssl ocsp does not start"; }
curl -sf -o one-openssl.der "http://127.0.0.1:$ossl_port/$b64" || die "openssl ocsp GET failed"
for f in one-lancre.der one-openssl.der; do
	openssl ocsp -respin "$f" -issuer int.pem -VAfile int.pem -serial "0x$serial" 2>&1 |
		grep -q ": good\$" || die "$f is not a good response for serial $serial"
done
nginx_workers=$(pgrep -P "$nginx_pid" | tr '\n' ' ')
ossl_kids=$(pgrep -P "$ossl_pid" | tr '\n' ' ')
pids+=($ossl_kids)
[ -n "$nginx_workers" ] || die "no nginx workers"

# --- h2load. ------------------------------------------------------------------
# bench NAME TARGET N PIDS... [-- H2LOAD ARGS]: one h2load run on TARGET (a URI
# list file, or one URL), expecting N good answers (0: a timed run, -D); appends
# "req/s mean_ms p99_ms server_cpu_s h2load_cpu_s body_bytes/request requests" to
# NAME.runs.  PIDS: the server's processes, whose CPU time is counted.
bench() {
	local name=$1 target=$2 n=$3 out t_before t_after srv_cpu m_before m_after w_before w_after
	shift 3
	local -a procs=() extra=() src=(-i "$target")
	case $target in http://*) src=("$target") ;; esac
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		procs+=("$1")
		shift
	done
	[ $# -eq 0 ] || { shift; extra=("$@"); }
	rm -f h2load.log
	t_before=$(ticks "${procs[@]}")
	m_before=$(machine_busy)
	w_before=$(date +%s.%N)
	/usr/bin/time -f '%U %S' -o h2load.time h2load --h1 -c "$SERVE_CONNS" -t 1 \
		--log-file=h2load.log "${extra[@]}" "${src[@]}" >h2load.out 2>&1 ||
		{ cat h2load.out >&2; die "$name: h2load failed"; }
	w_after=$(date +%s.%N)
	m_after=$(machine_busy)
	t_after=$(ticks "${procs[@]}")
	srv_cpu=$(awk -v a="$t_before" -v b="$t_after" -v t="$tck" 'BEGIN { printf "%.2f", (b - a) / t }')
	out=$(awk -v name="$name" -v want="$n" -v srv="$srv_cpu" -v h2t="$(tail -1 h2load.time)" \
	    -v wall="$(awk -v a="$w_before" -v b="$w_after" 'BEGIN { print b - a }')" \
	    -v mbusy="$(awk -v a="$m_before" -v b="$m_after" -v t="$tck" 'BEGIN { print (b - a) / t }')" \
	    -v cores="$cores" '
		/^finished in/ { rps = $4 }
		/^requests:/ { total = $2; ok = $8; failed = $10; errored = $12; timeout = $14 }
		/^status codes:/ { s2 = $3 }
		/^traffic:/ { data = $(NF - 1); gsub(/[()]/, "", data) }
		/^time for request:/ { mean = $6 }
		END {
			if (want > 0 && (total != want || ok != want || s2 != want)) {
				printf "%s: %s of %s requests succeeded with 2xx (failed %s, errored %s, " \
				    "timeout %s)\n", name, s2, want, failed, errored, timeout > "/dev/stderr"
				exit 1
			}
			if (want == 0 && (failed + errored + timeout > 0 || s2 != ok)) {
				printf "%s: %s failed, %s errored, %s timeout\n", name, failed, errored,
				    timeout > "/dev/stderr"
				exit 1
			}
			if (mean ~ /us$/) { sub(/us$/, "", mean); mean /= 1000 }
			else if (mean ~ /ms$/) { sub(/ms$/, "", mean) }
			else if (mean ~ /s$/) { sub(/s$/, "", mean); mean *= 1000 }
			split(h2t, c, " ")
			# Of the cores during the run: what the server and h2load used, what others did.
			ours = srv + c[1] + c[2]
			others = mbusy - ours
			if (others < 0) others = 0
			printf "%s %s %.2f %.2f %.0f %d %.0f %.0f\n", rps, mean, srv, c[1] + c[2],
			    (ok > 0) ? data / ok : 0, ok, 100 * ours / (wall * cores),
			    100 * others / (wall * cores)
		}' h2load.out) || { cat h2load.out >&2; die "$name: h2load reported failures"; }
	# 99th percentile of the per-request times (third column, microseconds).
	p99=$(cut -f3 h2load.log | sort -n | awk '{ v[NR] = $1 } END {
		i = int(NR * 0.99); if (i < 1) i = 1; printf "%.2f", v[i] / 1000 }')
	set -- $out
	echo "$1 $2 $p99 $3 $4 $5 $6 $7 $8" >>"$name.runs"
	say "  $name: $1 req/s, mean $2 ms, p99 $p99 ms, server CPU $3 s, h2load CPU $4 s," \
		"$5 body bytes/request, $6 requests; of the $cores cores: $7% server + h2load," \
		"$8% other processes"
}
# summary NAME LABEL SIZE: the median run's figures as a result line.
summary() {
	local name=$1 label=$2 size=$3
	awk -v label="$label" -v size="$size" -v r="$(wc -l <"$name.runs")" \
	    -v runs="$(cut -d' ' -f1 "$name.runs" | sort -g | runs_list)" '
		{ rps[NR] = $1; line[NR] = $0 }
		END {
			# The run with the median req/s gives the other figures.
			for (i = 1; i <= NR; i++) {
				below = 0
				for (j = 1; j <= NR; j++) below += rps[j] < rps[i]
				if (below == int((NR - 1) / 2)) { m = i; break }
			}
			split(line[m], f, " ")
			for (i = 1; i <= NR; i++) { split(line[i], g, " "); others += g[9] }
			printf "%s: %s x %d runs, median %.0f req/s (%s); mean %.2f ms, p99 %.2f ms; " \
			    "CPU s server %.1f, h2load %.1f (%d%% of the cores); %d body bytes/response; " \
			    "others used %.0f%% of the cores (mean of runs)\n",
			    label, size, r, f[1], runs, f[2], f[3], f[4], f[5], f[8], f[6], others / NR
		}' "$name.runs"
}
med_rps() {
	cut -d' ' -f1 "$1.runs" | median
}

lancre_ok0=$(metric 'lancre_ocsp_answers_total{outcome="response"}')
say "warming up (20000 requests each)"
bench warm-lancre uris-lancre.txt 20000 "$lancre_pid" -- -n 20000
bench warm-nginx uris-nginx.txt 20000 "$nginx_pid" $nginx_workers -- -n 20000
bench warm-nginx2 uris-nginx2.txt "$SERVE_URIS" "$nginx_pid" $nginx_workers -- -n "$SERVE_URIS"
rm -f warm-*.runs
sent=20000
for r in $(seq 1 "$RUNS"); do
	say "run $r/$RUNS: GET, $SERVE_REQUESTS requests each"
	bench get-lancre uris-lancre.txt "$SERVE_REQUESTS" "$lancre_pid" -- -n "$SERVE_REQUESTS"
	bench get-nginx uris-nginx.txt "$SERVE_REQUESTS" "$nginx_pid" $nginx_workers -- \
		-n "$SERVE_REQUESTS"
	bench get-nginx2 uris-nginx2.txt "$SERVE_REQUESTS" "$nginx_pid" $nginx_workers -- \
		-n "$SERVE_REQUESTS"
	sent=$((sent + SERVE_REQUESTS))
done
rss=$(rss_kb "$lancre_pid" VmRSS)
hwm=$(rss_kb "$lancre_pid" VmHWM)
index_bytes=$(metric lancre_ocsp_memory_bytes)
for r in $(seq 1 "$RUNS"); do
	say "run $r/$RUNS: POST /ocsp, $SERVE_REQUESTS requests"
	bench post-lancre "http://127.0.0.1:$lancre_port/ocsp" "$SERVE_REQUESTS" "$lancre_pid" -- \
		-n "$SERVE_REQUESTS" -d post.der -H 'Content-Type: application/ocsp-request'
	sent=$((sent + SERVE_REQUESTS))
done
for r in $(seq 1 "$RUNS"); do
	say "run $r/$RUNS: openssl ocsp, $SERVE_OPENSSL_REQUESTS requests"
	bench get-openssl uris-openssl.txt "$SERVE_OPENSSL_REQUESTS" "$ossl_pid" $ossl_kids -- \
		-n "$SERVE_OPENSSL_REQUESTS"
done

# --- Idle keep-alive connections. ------------------------------------------------
cat >idle.py <<'EOF'
# idle.py PORT COUNT PATH: open COUNT connections to 127.0.0.1:PORT, make one
# GET PATH on each (so each is a kept-alive HTTP/1.1 connection), print
# "ready", then idle.  On a line on stdin: report how many are still open,
# how many the server closed before / after they were idle for TIMEOUT
# seconds, then make one more request on each open one and count the answers.
import socket, sys, time

port, count, path, timeout = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode()

def answer(s):
    """Read one response; True when it is a complete 200."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            return False
        buf += d
    head, body = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length:
        d = s.recv(65536)
        if not d:
            return False
        body += d
    return head.startswith(b"HTTP/1.1 200")

socks, since = [], []
for i in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(req)
    if not answer(s):
        print("connection %d: no answer" % i, flush=True)
        sys.exit(1)
    socks.append(s)
    since.append(time.monotonic())
print("ready %d" % len(socks), flush=True)
sys.stdin.readline()
now = time.monotonic()
open_, early, late, oldest = [], 0, 0, 0.0
for s, t in zip(socks, since):
    oldest = max(oldest, now - t)
    try:
        s.setblocking(False)
        closed = s.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        closed = False
    except OSError:
        closed = True
    if not closed:
        open_.append(s)
    elif now - t < timeout:
        early += 1
    else:
        late += 1
answered = 0
for s in open_:
    s.setblocking(True)
    s.settimeout(10)
    try:
        s.sendall(req)
        answered += answer(s)
    except OSError:
        pass
print("open %d closed_early %d closed_idle %d answered %d oldest %.1f" %
      (len(open_), early, late, answered, oldest), flush=True)
EOF
say "idle: holding $SERVE_IDLE keep-alive connections, then h2load for $SERVE_IDLE_SECS s," \
	"$RUNS times"
idle_path=/ocsp/$(sed -n 2p reqs.txt | cut -d' ' -f2)
for r in $(seq 1 "$RUNS"); do
	rm -f idle.in
	mkfifo idle.in
	python3 idle.py "$lancre_port" "$SERVE_IDLE" "$idle_path" "$IDLE_TIMEOUT" <idle.in >idle.out 2>&1 &
	idle_pid=$!
	pids+=("$idle_pid")
	exec 9>idle.in
	for i in $(seq 1 600); do
		grep -q '^ready' idle.out && break
		kill -0 "$idle_pid" 2>/dev/null || { cat idle.out >&2; die "idle.py failed"; }
		sleep 0.1
	done
	grep -q "^ready $SERVE_IDLE\$" idle.out || { cat idle.out >&2; die "idle.py did not get ready"; }
	idle_rss=$(rss_kb "$lancre_pid" VmRSS)
	bench idle-lancre uris-lancre.txt 0 "$lancre_pid" -- -D "$SERVE_IDLE_SECS"
	echo check >&9
	exec 9>&-
	wait "$idle_pid" || { cat idle.out >&2; die "idle.py failed"; }
	read -r _ open _ early _ late _ answered _ oldest <<<"$(tail -1 idle.out)"
	say "  idle: $open open, $early closed early, $late closed after ${IDLE_TIMEOUT}s idle," \
		"$answered answered again; oldest idle ${oldest}s; lancre RSS $((idle_rss / 1024)) MiB"
	[ "$early" = 0 ] || die "lancre closed $early idle connections before $IDLE_TIMEOUT s"
	[ "$answered" = "$open" ] || die "only $answered of $open idle connections answered again"
	echo "$open $late $answered $oldest $idle_rss" >>idle.runs
	sent=$((sent + SERVE_IDLE + answered + $(tail -1 idle-lancre.runs | cut -d' ' -f7)))
	rm -f idle.in
done

# --- Latency with a core each. ----------------------------------------------------
SERVE_LAT_SECS=${SERVE_LAT_SECS:-8}
awk '{ print "/ocsp/" $2 }' reqs.txt >paths-lancre.txt
awk '{ print "/" $1 ".der" }' reqs.txt >paths-nginx.txt
cat >rand.lua <<'EOF'
local paths = {}
init = function(args)
	for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
request = function()
	return wrk.format("GET", paths[math.random(#paths)])
end
EOF
sed -e "s/^worker_processes 2;/worker_processes 1;/" \
	-e "s/127.0.0.1:$nginx2_port;/127.0.0.1:$nginx3_port;/" \
	-e "s/127.0.0.1:$nginx_port;/127.0.0.1:$nginx3_plain_port;/" \
	-e "s|$work/nginx.pid|$work/nginx3.pid|" nginx.conf >nginx3.conf
# The floor: nginx answering every path with a fixed body of a response's size
# from memory (no file, no lookup).  What the client and the kernel's loopback
# TCP cost alone on this machine: no server can show a lower p99 here.
body=$(head -c "$(stat -c %s "files/$serial.der")" /dev/zero | tr '\0' x)
# nginx3.conf's settings, its server blocks replaced by one.
sed -e '/^\tserver {/,$d' -e "s|$work/nginx3.pid|$work/nginx-null.pid|" nginx3.conf >nginx-null.conf
cat >>nginx-null.conf <<EOF
	server {
		listen 127.0.0.1:$null_port;
		location / {
			default_type application/ocsp-response;
			return 200 "$body";
		}
	}
}
EOF
say "latency: lancre serve --threads 1 and nginx (1 worker) on core 0, wrk on core 1"
taskset -c 0 "$lancre" serve -d d --listen "127.0.0.1:$lat_port" --admin "127.0.0.1:$lat_admin" \
	--threads 1 >lancre-lat.log 2>&1 &
lat_pid=$!
pids+=("$lat_pid")
taskset -c 0 "$nginx" -e "$work/nginx.err" -p "$work/" -c "$work/nginx3.conf" -g 'daemon off;' &
nginx3_pid=$!
pids+=("$nginx3_pid")
wait_http "http://127.0.0.1:$lat_admin/healthz" 300 ||
	{ cat lancre-lat.log >&2; die "lancre (latency) does not start"; }
wait_http "http://127.0.0.1:$nginx3_port/$serial.der" 30 || die "nginx (latency) does not start"
taskset -c 0 "$nginx" -e "$work/nginx.err" -p "$work/" -c "$work/nginx-null.conf" -g 'daemon off;' &
null_pid=$!
pids+=("$null_pid")
wait_http "http://127.0.0.1:$null_port/$serial.der" 30 || die "nginx (floor) does not start"
[ "$(curl -sf "http://127.0.0.1:$null_port/$serial.der" | wc -c)" = "${#body}" ] ||
	die "nginx (floor) does not answer with its fixed body"
# lat NAME PORT PATHS: one wrk run; appends "req/s p50_ms p99_ms errors" to NAME.runs.
lat() {
	taskset -c 1 wrk -t1 -c "$SERVE_CONNS" -d "${SERVE_LAT_SECS}s" --latency -s rand.lua \
		"http://127.0.0.1:$2" -- "$3" >wrk.out 2>&1 || { cat wrk.out >&2; die "$1: wrk failed"; }
	awk 'function ms(v) {
		if (v ~ /us$/) return v / 1000
		if (v ~ /ms$/) return v + 0
		if (v ~ /s$/) return v * 1000
		return v }
		$1 == "50%" { p50 = ms($2) }
		$1 == "99%" { p99 = ms($2) }
		$1 == "Requests/sec:" { rps = $2 }
		/Non-2xx|Socket errors/ { bad = 1 }
		END { printf "%.0f %.3f %.3f %d\n", rps, p50, p99, bad }' wrk.out >>"$1.runs"
	[ "$(tail -1 "$1.runs" | cut -d' ' -f4)" = 0 ] || { cat wrk.out >&2; die "$1: errors"; }
	say "  $1: $(tail -1 "$1.runs" | awk '{ printf "%s req/s, p50 %s ms, p99 %s ms", $1, $2, $3 }')"
}
lat warm-lat-lancre "$lat_port" paths-lancre.txt
lat warm-lat-nginx "$nginx3_port" paths-nginx.txt
lat warm-lat-null "$null_port" paths-nginx.txt
for r in $(seq 1 "$RUNS"); do
	say "run $r/$RUNS: latency, $SERVE_LAT_SECS s each"
	lat lat-lancre "$lat_port" paths-lancre.txt
	lat lat-nginx "$nginx3_port" paths-nginx.txt
	lat lat-null "$null_port" paths-nginx.txt
done
kill "$lat_pid" "$nginx3_pid" "$null_pid"

# Every request lancre got was answered with a response, none with an OCSP error.
lancre_ok=$(metric 'lancre_ocsp_answers_total{outcome="response"}')
for o in malformedRequest unauthorized tryLater; do
	v=$(metric "lancre_ocsp_answers_total{outcome=\"$o\"}")
	[ "$v" = 0 ] || die "lancre answered $v requests with $o"
done
# (A timed h2load run stops with up to SERVE_CONNS requests answered but not counted.)
extra=$((lancre_ok - lancre_ok0 - sent))
[ "$extra" -ge 0 ] && [ "$extra" -le $((RUNS * SERVE_CONNS)) ] ||
	die "lancre answered $((lancre_ok - lancre_ok0)) requests with a response, $sent were sent"

# --- Results. ----------------------------------------------------------------------
summary get-lancre "get lancre" "$SERVE_REQUESTS requests"
summary get-nginx "get nginx" "$SERVE_REQUESTS requests"
summary get-nginx2 "get nginx open_file_cache" "$SERVE_REQUESTS requests"
summary post-lancre "post lancre" "$SERVE_REQUESTS requests"
summary get-openssl "get openssl-ocsp" "$SERVE_OPENSSL_REQUESTS requests"
summary idle-lancre "get lancre with $SERVE_IDLE idle connections" "$SERVE_IDLE_SECS s"
l=$(med_rps get-lancre)
awk -v l="$l" -v g="$(med_rps get-nginx)" -v g2="$(med_rps get-nginx2)" \
    -v p="$(med_rps post-lancre)" -v o="$(med_rps get-openssl)" \
    -v i="$(med_rps idle-lancre)" 'BEGIN {
	printf "ratios: lancre/nginx GET %.2f (%.2f with open_file_cache); lancre POST/GET %.2f; " \
	    "lancre/openssl-ocsp GET %.1f; with idle connections/without %.2f\n",
	    l / g, l / g2, p / l, l / o, i / l }'
awk -v n="$SERVE_IDLE" -v r="$RUNS" '{ open += $1; late += $2; ans += $3; rss = $5 }
	END {
	printf "idle: %d connections x %d runs: %d still open after h2load, %d closed by the %ds " \
	    "idle timeout, %d answered again, 0 closed early, 0 h2load errors; lancre RSS with " \
	    "them %.0f MiB\n", n, r, open, late, '"$IDLE_TIMEOUT"', ans, rss / 1024 }' idle.runs
awk -v n="$SERVE_N" -v b="$resp_bytes" -v rss="$rss" -v hwm="$hwm" -v ix="$index_bytes" \
    -v st="$startup" -v ld="$loaded" 'BEGIN {
	mib = 1048576
	goal = 1.5 * b + 64 * mib
	printf "memory: lancre serve RSS %.0f MiB (%.2f x the bytes), peak %.0f MiB, for %d " \
	    "responses of %.0f MiB (%.0f bytes each); index %.0f MiB; goal RSS <= 1.5 x bytes + " \
	    "64 MiB = %.0f MiB: %s (peak: %s)\n", rss * 1024 / mib, rss * 1024 / b, hwm * 1024 / mib,
	    n, b / mib, b / n, ix / mib, goal / mib, (rss * 1024 <= goal) ? "met" : "MISSED",
	    (hwm * 1024 <= goal) ? "met" : "MISSED"
	printf "startup: lancre serve answered its first OCSP request after %s s, and had loaded " \
	    "its %d responses after %s s\n", st, n, ld }'
lat_med() { # NAME FIELD: the median of one field of NAME.runs
	cut -d' ' -f"$2" "$1.runs" | median
}
awk -v lr="$(lat_med lat-lancre 1)" -v l50="$(lat_med lat-lancre 2)" \
    -v l99="$(lat_med lat-lancre 3)" -v nr="$(lat_med lat-nginx 1)" \
    -v n50="$(lat_med lat-nginx 2)" -v n99="$(lat_med lat-nginx 3)" \
    -v runs="$(cut -d' ' -f3 lat-lancre.runs | runs_list)" -v c="$SERVE_CONNS" 'BEGIN {
	printf "latency, a core each (server on core 0, wrk -t1 -c%d on core 1), medians of runs: " \
	    "lancre %.0f req/s, p50 %.2f ms, p99 %.2f ms (p99 of runs: %s); nginx %.0f req/s, " \
	    "p50 %.2f ms, p99 %.2f ms; lancre/nginx req/s %.2f; goal p99 <= 1 ms: %s\n", c, lr,
	    l50, l99, runs, nr, n50, n99, lr / nr, (l99 <= 1) ? "met" : "MISSED" }'
awk -v fr="$(lat_med lat-null 1)" -v f50="$(lat_med lat-null 2)" -v f99="$(lat_med lat-null 3)" \
    -v runs="$(cut -d' ' -f3 lat-null.runs | runs_list)" -v l99="$(lat_med lat-lancre 3)" \
    -v lr="$(lat_med lat-lancre 1)" 'BEGIN {
	printf "latency floor, same pinning and client (nginx, 1 worker, a fixed body from memory " \
	    "for every path): %.0f req/s, p50 %.2f ms, p99 %.2f ms (p99 of runs: %s); lancre/floor " \
	    "req/s %.2f, p99 %.2f x the floor%s\n", fr, f50, f99, runs, lr / fr, l99 / f99,
	    (f99 > 1) ? "; the floor itself is over 1 ms: the p99 goal is out of reach of any " \
	    "server on this machine" : "" }'
echo "machine: $cores cores shared by the server and h2load (-t 1, $SERVE_CONNS connections," \
	"HTTP/1.1 keep-alive); openssl ocsp signs each response and closes each connection"
echo "load: $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after (1, 5, 15 min averages)"
