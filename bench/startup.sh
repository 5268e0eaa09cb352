#!/bin/bash
# bench/startup.sh BUILD_DIR - a node's start-up and GET rate over a large store,
# in both memory modes (issue 18): every response in memory (the default,
# loaded while the node already answers) and a bounded cache ([server] cache).
#
#   N=1000000 RUNS=3 bench/startup.sh build          # about 10 minutes on 2 cores
#   N=20000 RUNS=1 GET_SECS=3 bench/startup.sh build # quick
#
# One SQLite data directory: a P-256 intermediate, N leaves (lancre-gencerts),
# imported and pre-signed with [ocsp] sha256 = no (N responses).
# lancre-ocspbench then writes URIS (default: N) GET requests for stored serials
# drawn at random from all of them, each once: requests are not a small
# sample, so the bounded cache cannot hold them all.
# Then, for each mode (unbounded; bounded with [server] cache = CACHE, default
# 64M), RUNS times: `lancre serve --threads 2` is started and timed
#   - to its first OCSP answer (a random stored serial; its bytes checked
#     against `lancre answer`): the goal is at most 1 s, whatever N;
#   - unbounded, to the end of its load (/metrics lancre_ocsp_loading 0);
# then wrk (HTTP/1.1, 64 connections, one thread) sends GETs for GET_SECS
# seconds (default 10), each drawn at random from the URI list, after a
# warm-up of GET_WARM seconds; its req/s and p99 are kept; lancre's VmRSS is
# read after.  Reported: medians over
# the RUNS, each run's figures, the load averages before and after (the
# machine is shared: a crowded run is suspect), and the bounded mode's RSS
# against CACHE + 64 MiB (OPERATOR.md's bound, CRLs aside: there are none here).
# Progress goes to stderr, results to stdout; work files in bench/out/ are
# removed; servers are stopped by PID.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

N=${N:-1000000}
RUNS=${RUNS:-3}
URIS=${URIS:-$N}
GET_SECS=${GET_SECS:-10}
GET_WARM=${GET_WARM:-2}
CACHE=${CACHE:-64M}

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
for v in N RUNS URIS GET_SECS GET_WARM; do posint "$v" "${!v}"; done
[ "$URIS" -le "$N" ] || URIS=$N

need openssl openssl
need wrk wrk
need curl curl
need sqlite3 sqlite3

bench_setup startup "$1" lancre lancre-gencerts lancre-ocspbench
chmod 755 "$work" # started as root, lancre runs as lancre-signer and lancre-server
bench_stop_on_exit
lancre=$work/bin/lancre
gencerts=$work/bin/lancre-gencerts
ocspbench=$work/bin/lancre-ocspbench
rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)

say "making the root, the intermediate and $N certificates"
bench_root
bench_int int p256 "lancre bench E1"
if [ "$(id -u)" -eq 0 ] && getent passwd lancre-signer >/dev/null; then chown lancre-signer int.key; fi
"$gencerts" --issuer-cert int.pem --issuer-key int.key --count "$N" --out certs.der \
	2>gen.log || { cat gen.log >&2; die "lancre-gencerts failed"; }
"$lancre" init -d d >/dev/null
"$lancre" issuer add -d d e1 int.pem int.key >/dev/null
sed -i 's/^sha256 = .*/sha256 = no/' d/lancre.conf
grep -q '^sha256 = no$' d/lancre.conf || die "cannot set [ocsp] sha256 = no"
say "importing and signing them"
"$lancre" cert add -q -d d certs.der || die "lancre cert add failed"
rm -f certs.der
"$lancre" sign -d d --once >sign.log 2>&1 || { cat sign.log >&2; die "lancre sign failed"; }
read -r nresp bytes <<<"$(sqlite3 -separator ' ' d/lancre.db \
	'select count(*), sum(length(der)) from ocsp_responses')"
[ "$nresp" = "$N" ] || die "the store holds $nresp responses, expected $N"
say "lancre-ocspbench: $URIS requests drawn from all $N"
"$ocspbench" requests -d d --requests "$URIS" --out reqs.txt || die "lancre-ocspbench failed"
read -r first_b64 < <(awk 'NR == 1 { print $2 }' reqs.txt)
awk '{ print "/ocsp/" $2 }' reqs.txt >paths.txt
# wrk's one thread draws each request at random from every path (h2load -i would
# have each connection walk the list from its start: a few thousand of them).
cat >rand.lua <<'EOF'
local paths = {}
init = function(args)
	for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
request = function()
	return wrk.format("GET", paths[math.random(#paths)])
end
EOF
"$lancre" answer -d d --get "$first_b64" -o first.want 2>/dev/null || die "lancre answer failed"

metric() {
	curl -s "http://127.0.0.1:$2/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }

# one_run MODE R: start, time, load, measure, stop; appends "MODE first loaded rps p99 rss_kb" to runs.
one_run() {
	local mode=$1 r=$2 port admin t0 pid first loaded rps p99 rss uri
	read -r port admin <<<"$(free_ports 2)"
	sed -i '/^cache = /d' d/lancre.conf
	[ "$mode" = unbounded ] || sed -i "s/^\[server\]\$/[server]\ncache = $CACHE/" d/lancre.conf
	uri="http://127.0.0.1:$port/ocsp/$first_b64"
	sync
	t0=$(date +%s.%N)
	"$lancre" serve -d d --listen "127.0.0.1:$port" --admin "127.0.0.1:$admin" --threads 2 \
		>"serve-$mode-$r.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	until curl -sf -o first.got "$uri"; do
		kill -0 "$pid" 2>/dev/null || { cat "serve-$mode-$r.log" >&2; die "lancre serve died"; }
		sleep 0.005
	done
	first=$(since "$t0")
	cmp -s first.got first.want || die "$mode run $r: the first answer is not lancre answer's"
	loaded=-
	if [ "$mode" = unbounded ]; then
		until [ "$(metric lancre_ocsp_loading "$admin")" = 0 ]; do sleep 0.02; done
		loaded=$(since "$t0")
		[ "$(metric lancre_ocsp_responses "$admin")" = "$N" ] || die "unbounded: not all $N loaded"
	fi
	wrk -t1 -c 64 -d "${GET_WARM}s" -s rand.lua "http://127.0.0.1:$port" -- paths.txt >/dev/null 2>&1 || true
	wrk -t1 -c 64 -d "${GET_SECS}s" --latency -s rand.lua "http://127.0.0.1:$port" -- paths.txt \
		>wrk.out 2>&1 || { cat wrk.out >&2; die "$mode run $r: wrk failed"; }
	! grep -Eq 'Non-2xx|Socket errors' wrk.out || { cat wrk.out >&2; die "$mode run $r: errors"; }
	read -r rps p99 <<<"$(awk 'function ms(v) {
		if (v ~ /us$/) return v / 1000
		if (v ~ /ms$/) return v + 0
		if (v ~ /s$/) return v * 1000
		return v }
		$1 == "99%" { p99 = ms($2) }
		$1 == "Requests/sec:" { rps = $2 }
		END { printf "%.0f %.3f\n", rps, p99 }' wrk.out)"
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")
	[ "$mode" = unbounded ] || say "$mode run $r: cache $(metric lancre_ocsp_cache_bytes "$admin") bytes," \
		"hits $(metric lancre_ocsp_cache_hits_total "$admin"), misses $(metric lancre_ocsp_cache_misses_total "$admin")"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	say "$mode run $r/$RUNS: first answer $first s, loaded $loaded s, $rps req/s, p99 $p99 ms, RSS $((rss / 1024)) MiB"
	echo "$mode $first $loaded $rps $p99 $rss" >>runs
}

: >runs
for r in $(seq 1 "$RUNS"); do
	for mode in unbounded bounded; do one_run "$mode" "$r"; done
done

med() { awk -v m="$1" -v c="$2" '$1 == m && $c != "-" { print $c }' runs | median; }
list() { awk -v m="$1" -v c="$2" '$1 == m { print $c }' runs | runs_list; }
cache_bytes=$(awk -v c="$CACHE" 'BEGIN { n = c + 0; u = substr(c, length(c));
	print n * (u == "G" ? 1073741824 : u == "M" ? 1048576 : u == "K" ? 1024 : 1) }')
echo "startup: $(date -u +%Y-%m-%dT%H:%MZ), build $rev, $cores cores, load before $load_before," \
	"after $(cut -d' ' -f1-3 /proc/loadavg)"
echo "startup: $N responses ($((bytes / 1048576)) MiB), GET for ${GET_SECS}s drawn at random from $URIS requests, 64 connections, $RUNS runs"
for mode in unbounded bounded; do
	awk -v m="$mode" -v f="$(med "$mode" 2)" -v l="$(med "$mode" 3 || echo -)" -v r="$(med "$mode" 4)" \
	    -v p="$(med "$mode" 5)" -v s="$(med "$mode" 6)" -v fl="$(list "$mode" 2)" \
	    -v rl="$(list "$mode" 4)" -v c="$CACHE" -v cb="$cache_bytes" 'BEGIN {
		printf "startup %s%s: first answer %.2f s (runs %s; goal <= 1 s: %s), all loaded %s s, " \
		    "GET %.0f req/s (runs %s), p99 %.2f ms, RSS %.0f MiB", m,
		    m == "bounded" ? " (cache = " c ")" : "", f, fl, f <= 1 ? "met" : "MISSED", l, r, rl,
		    p, s / 1024
		if (m == "bounded")
			printf " (bound %s + 64 MiB = %.0f MiB: %s)", c, cb / 1048576 + 64,
			    s * 1024 <= cb + 64 * 1048576 ? "met" : "MISSED"
		printf "\n" }'
done
