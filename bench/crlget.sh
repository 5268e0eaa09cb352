#!/bin/bash
# bench/crlget.sh BUILD_DIR - CRL GETs of one big shard (issue 16): lancre next to
# nginx serving the same file with sendfile, in the same run, and lancre's peak RSS.
#
#   RUNS=5 bench/crlget.sh build                   # about 2 minutes on 2 cores
#   CRLGET_MB=5 CRLGET_CONNS=64 CRLGET_REQUESTS=2000 RUNS=3 bench/crlget.sh build
#
# One data directory: a P-256 intermediate, N revoked certificates written straight
# into the store (as bench/crl.sh does; N chosen for a CRL of CRLGET_MB MB, 5 by
# default) and `lancre sign --once` with [crl] full = no: one shard, DIR/public/crl/e1/1.crl.
# Servers, both on 127.0.0.1, both given the 2 cores:
#   lancre  `lancre serve --threads 2`: GET /crl/e1/1.crl, from its snapshot in memory
#   nginx   worker_processes 2, access_log off, sendfile on, open_file_cache, root
#           DIR/public: the same path, the same bytes, from the page cache
# Load: h2load (nghttp2-client) on the same machine, HTTP/1.1, CRLGET_CONNS (64)
# connections on one thread, CRLGET_REQUESTS requests per run, RUNS runs of each,
# interleaved, after a warm-up.  Reported: req/s and MB/s (medians), the ratio
# lancre / nginx (goal >= 1.0), the CPU seconds each server used, and lancre's peak
# RSS (VmHWM, reset with /proc/PID/clear_refs before each run: the peak of the run,
# not of start-up, which parses every CRL once to verify it) next to its RSS before
# the run.  Both servers must give every request a 200 with the whole body.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-5}
CRLGET_MB=${CRLGET_MB:-5}
CRLGET_CONNS=${CRLGET_CONNS:-64}
CRLGET_REQUESTS=${CRLGET_REQUESTS:-2000}
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
for v in RUNS CRLGET_MB CRLGET_CONNS CRLGET_REQUESTS; do
	posint "$v" "${!v}"
done
need openssl openssl
need sqlite3 sqlite3
need curl curl
need python3 python3
need h2load nghttp2-client
[ -x /usr/sbin/nginx ] || need nginx nginx-light
nginx=$(command -v nginx || echo /usr/sbin/nginx)

bench_setup crlget "$1" lancre
chmod 755 "$work" # started as root, the server reads it as [server] user
bench_stop_on_exit
tck=$(getconf CLK_TCK)
lancre=$work/bin/lancre
say "load before: $load_before"

wait_http() {
	local i
	for i in $(seq 1 $(($2 * 10))); do
		curl -sf -o /dev/null "$1" && return 0
		sleep 0.1
	done
	return 1
}
ticks() {
	local p t=0 v
	for p in "$@"; do
		v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }') || v=0
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

bench_root
bench_int e1 p256 "lancre bench e1"
"$lancre" init -d D >/dev/null
sed -i 's/^full = yes$/full = no/' D/lancre.conf
"$lancre" issuer add -d D e1 e1.pem e1.key >/dev/null
n=$((CRLGET_MB * 1000000 / 49)) # bytes an entry (bench/crl.sh)
now=$(date +%s)
say "writing $n revoked certificates"
sqlite3 D/lancre.db <<SQL
BEGIN;
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < $n)
INSERT INTO certificates (issuer_id, serial, not_before, not_after, status, revoked_at, reason,
    shard, fingerprint, added_at, changed_at, change_seq)
SELECT 1, X'01' || randomblob(15), $now - 30 * 86400, $now - 86400, 1, $now - 2 * 86400, 1, 1,
    randomblob(32), $now, $now, 1 FROM n;
UPDATE meta SET value = 1 WHERE key = 'change_seq';
COMMIT;
SQL
"$lancre" sign -d D --once >/dev/null
crl=D/public/crl/e1/1.crl
size=$(stat -c %s "$crl")
say "the CRL: $size bytes"

read -r lancre_port admin_port nginx_port <<<"$(free_ports 3)"
"$lancre" serve -d D --listen "127.0.0.1:$lancre_port" --admin "127.0.0.1:$admin_port" \
	--threads 2 >lancre.log 2>&1 &
lancre_pid=$!
pids+=("$lancre_pid")
mkdir nginx-tmp
cat >nginx.conf <<EOF
$([ "$(id -u)" -eq 0 ] && echo 'user root;')
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx.err warn;
events {
	worker_connections 1024;
}
http {
	access_log off;
	sendfile on;
	keepalive_requests 100000000;
	open_file_cache max=16 inactive=600s;
	client_body_temp_path $work/nginx-tmp/body;
	proxy_temp_path $work/nginx-tmp/proxy;
	fastcgi_temp_path $work/nginx-tmp/fastcgi;
	uwsgi_temp_path $work/nginx-tmp/uwsgi;
	scgi_temp_path $work/nginx-tmp/scgi;
	server {
		listen 127.0.0.1:$nginx_port;
		root $work/D/public;
		location / {
			default_type application/pkix-crl;
		}
	}
}
EOF
"$nginx" -e "$work/nginx.err" -p "$work/" -c "$work/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
pids+=("$nginx_pid")
url_l="http://127.0.0.1:$lancre_port/crl/e1/1.crl"
url_n="http://127.0.0.1:$nginx_port/crl/e1/1.crl"
wait_http "$url_l" 30 || { cat lancre.log >&2; die "lancre does not start"; }
wait_http "$url_n" 30 || { cat nginx.err >&2; die "nginx does not start"; }
curl -sf -o l.crl "$url_l" && curl -sf -o n.crl "$url_n" || die "a GET failed"
cmp -s l.crl "$crl" && cmp -s n.crl "$crl" || die "lancre and nginx serve different bytes"
sleep 0.5
lancre_srv=$(pgrep -P "$lancre_pid" | tr '\n' ' ') || true # lancre serve may be one process
nginx_workers=$(pgrep -P "$nginx_pid" | tr '\n' ' ')

# one NAME URL PIDS...: one h2load run; appends "req/s MB/s cpu_s" to NAME.runs.
one() {
	local name=$1 url=$2 t0 t1
	shift 2
	t0=$(ticks "$@")
	h2load --h1 -c "$CRLGET_CONNS" -t 1 -n "$CRLGET_REQUESTS" "$url" >h2load.out 2>&1 ||
		{ cat h2load.out >&2; die "$name: h2load failed"; }
	t1=$(ticks "$@")
	awk -v name="$name" -v want="$CRLGET_REQUESTS" -v size="$size" \
	    -v cpu="$(awk -v a="$t0" -v b="$t1" -v t="$tck" 'BEGIN { printf "%.2f", (b - a) / t }')" '
		/^finished in/ { rps = $4 }
		/^requests:/ { ok = $8 }
		/^status codes:/ { s2 = $3 }
		/^traffic:/ { data = $(NF - 1); gsub(/[()]/, "", data) }
		END {
			if (ok != want || s2 != want || data < want * size) {
				printf "%s: %s of %s requests 2xx, %s body bytes\n", name, s2, want, data > "/dev/stderr"
				exit 1
			}
			printf "%s %.1f %s\n", rps, rps * size / 1e6, cpu
		}' h2load.out >>"$name.runs" || die "$name: h2load reported failures"
	say "  $name: $(tail -1 "$name.runs") (req/s, MB/s, server CPU s)"
}

say "warm-up"
h2load --h1 -c "$CRLGET_CONNS" -t 1 -n $((CRLGET_CONNS * 4)) "$url_l" >/dev/null 2>&1
h2load --h1 -c "$CRLGET_CONNS" -t 1 -n $((CRLGET_CONNS * 4)) "$url_n" >/dev/null 2>&1
for i in $(seq 1 "$RUNS"); do
	say "run $i"
	before=$(kb "$lancre_pid" VmRSS)
	echo 5 >"/proc/$lancre_pid/clear_refs"
	# shellcheck disable=SC2086
	one lancre "$url_l" "$lancre_pid" $lancre_srv
	echo "$before $(kb "$lancre_pid" VmHWM)" >>rss.runs
	# shellcheck disable=SC2086
	one nginx "$url_n" "$nginx_pid" $nginx_workers
done

col() { awk -v c="$2" '{ print $c }' "$1" | median; }
l_rps=$(col lancre.runs 1); n_rps=$(col nginx.runs 1)
l_mbs=$(col lancre.runs 2); n_mbs=$(col nginx.runs 2)
l_cpu=$(col lancre.runs 3); n_cpu=$(col nginx.runs 3)
rss_before=$(($(col rss.runs 1) / 1024)); rss_peak=$(($(col rss.runs 2) / 1024))
rss_max=$(($(awk '{ print $2 }' rss.runs | sort -n | tail -1) / 1024))
ratio=$(awk -v a="$l_rps" -v b="$n_rps" 'BEGIN { printf "%.2f", a / b }')
say "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "crlget: $size-byte CRL, $CRLGET_CONNS connections, $CRLGET_REQUESTS GETs a run (median of $RUNS):" \
	"lancre $l_rps req/s ($l_mbs MB/s, $l_cpu s CPU), nginx sendfile $n_rps req/s ($n_mbs MB/s," \
	"$n_cpu s CPU); ratio $ratio; lancre RSS $rss_before MB before a run, peak $rss_peak MB" \
	"(highest $rss_max MB); runs lancre: $(cut -d' ' -f1 lancre.runs | runs_list);" \
	"nginx: $(cut -d' ' -f1 nginx.runs | runs_list)"
echo "goal: lancre / nginx sendfile >= 1.0: $(awk -v r="$ratio" 'BEGIN { print (r >= 1.0) ? "MET" : "MISSED" }')"
