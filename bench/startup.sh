#!/bin/bash
# bench/startup.sh BUILD_DIR - a node's start-up and GET rate over a large store,
# in both memory modes (issue 18): every response in memory (the default,
# loaded while the node already answers) and a bounded cache ([server] cache).
#
#   N=1000000 RUNS=3 bench/startup.sh build          # about 10 minutes on 2 cores
#   N="1000000 10000000" RUNS=3 bench/startup.sh build   # 10M next to 1M
#   N=20000 RUNS=1 GET_SECS=3 bench/startup.sh build # quick
#
# N is one size or several. For each, one SQLite data directory: a P-256
# intermediate, N leaves (lancre-gencerts), imported and pre-signed with
# [ocsp] sha256 = no (N responses). lancre-ocspbench then writes URIS (default:
# N) GET requests for stored serials drawn at random from all of them, each
# once: requests are not a small sample, so the bounded cache cannot hold
# them all.
# Then RUNS times, for each size and each mode (unbounded; bounded with
# [server] cache = CACHE, default 64M), interleaved so that a busy spell of the
# machine falls on all of them: `lancre serve --threads 2` is started and timed
#   - to its first OCSP answer (a random stored serial; its bytes checked
#     against `lancre answer`): the goal is at most 1 s, whatever N;
#   - unbounded, to the end of its load (/metrics lancre_ocsp_loading 0);
# then wrk (HTTP/1.1, 64 connections, one thread) sends GETs for GET_SECS
# seconds (default 10), each drawn at random from the URI list, after a
# warm-up of GET_WARM seconds; its req/s and p99 are kept; lancre's VmRSS is
# read after.  Reported: medians over
# the RUNS, each run's figures, the load averages before and after (the
# machine is shared: a crowded run is suspect), and the bounded mode's RSS
# against CACHE + 64 MiB (OPERATOR.md's bound, CRLs aside: there are none here);
# with several sizes, each size's GET rate against the first's (issue 18's goal
# for 10M against 1M: within 10%).
# Progress goes to stderr, results to stdout; work files in bench/out/ are
# removed; servers are stopped by PID.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

N=${N:-1000000}
RUNS=${RUNS:-3}
URIS=${URIS:-999999999999}
GET_SECS=${GET_SECS:-10}
GET_WARM=${GET_WARM:-2}
CACHE=${CACHE:-64M}

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
for v in RUNS URIS GET_SECS GET_WARM; do posint "$v" "${!v}"; done
for n in $N; do posint N "$n"; done

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

say "making the root and the intermediate"
bench_root
bench_int int p256 "lancre bench E1"
if [ "$(id -u)" -eq 0 ] && getent passwd lancre-signer >/dev/null; then chown lancre-signer int.key; fi
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

# prepare_size N: data directory dN (N leaves, imported and pre-signed),
# pathsN.txt (URIS or N request paths drawn from all of them), firstN.b64 and
# firstN.want (the first request, and lancre answer's bytes for it).
prepare_size() {
	local n=$1 uris=$URIS nresp bytes first_b64
	[ "$uris" -le "$n" ] || uris=$n
	say "$n certificates: making, importing and signing them"
	"$gencerts" --issuer-cert int.pem --issuer-key int.key --count "$n" --out certs.der \
		2>gen.log || { cat gen.log >&2; die "lancre-gencerts failed"; }
	"$lancre" init -d "d$n" >/dev/null
	"$lancre" issuer add -d "d$n" e1 int.pem int.key >/dev/null
	sed -i 's/^sha256 = .*/sha256 = no/' "d$n/lancre.conf"
	grep -q '^sha256 = no$' "d$n/lancre.conf" || die "cannot set [ocsp] sha256 = no"
	"$lancre" cert add -q -d "d$n" certs.der || die "lancre cert add failed"
	rm -f certs.der
	"$lancre" sign -d "d$n" --once >sign.log 2>&1 || { cat sign.log >&2; die "lancre sign failed"; }
	read -r nresp bytes <<<"$(sqlite3 -separator ' ' "d$n/lancre.db" \
		'select count(*), sum(length(der)) from ocsp_responses')"
	[ "$nresp" = "$n" ] || die "the store holds $nresp responses, expected $n"
	echo "$n $bytes" >>sizes
	say "lancre-ocspbench: $uris requests drawn from all $n"
	"$ocspbench" requests -d "d$n" --requests "$uris" --out reqs.txt || die "lancre-ocspbench failed"
	read -r first_b64 < <(awk 'NR == 1 { print $2 }' reqs.txt)
	echo "$first_b64" >"first$n.b64"
	awk '{ print "/ocsp/" $2 }' reqs.txt >"paths$n.txt"
	rm -f reqs.txt
	"$lancre" answer -d "d$n" --get "$first_b64" -o "first$n.want" 2>/dev/null ||
		die "lancre answer failed"
}
: >sizes
for n in $N; do prepare_size "$n"; done

metric() {
	curl -s "http://127.0.0.1:$2/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }

# one_run N MODE R: start over dN, time, load, measure, stop; appends
# "N MODE first loaded rps p99 rss_kb" to runs.
one_run() {
	local n=$1 mode=$2 r=$3 d=d$1 port admin t0 pid first loaded rps p99 rss uri
	read -r port admin <<<"$(free_ports 2)"
	sed -i '/^cache = /d' "$d/lancre.conf"
	[ "$mode" = unbounded ] || sed -i "s/^\[server\]\$/[server]\ncache = $CACHE/" "$d/lancre.conf"
	uri="http://127.0.0.1:$port/ocsp/$(cat "first$n.b64")"
	sync
	t0=$(date +%s.%N)
	"$lancre" serve -d "$d" --listen "127.0.0.1:$port" --admin "127.0.0.1:$admin" --threads 2 \
		>"serve-$n-$mode-$r.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	until curl -sf -o first.got "$uri"; do
		kill -0 "$pid" 2>/dev/null || { cat "serve-$n-$mode-$r.log" >&2; die "lancre serve died"; }
		sleep 0.005
	done
	first=$(since "$t0")
	cmp -s first.got "first$n.want" || die "$n $mode run $r: the first answer is not lancre answer's"
	loaded=-
	if [ "$mode" = unbounded ]; then
		until [ "$(metric lancre_ocsp_loading "$admin")" = 0 ]; do sleep 0.02; done
		loaded=$(since "$t0")
		[ "$(metric lancre_ocsp_responses "$admin")" = "$n" ] || die "unbounded: not all $n loaded"
	fi
	wrk -t1 -c 64 -d "${GET_WARM}s" -s rand.lua "http://127.0.0.1:$port" -- "paths$n.txt" >/dev/null 2>&1 || true
	wrk -t1 -c 64 -d "${GET_SECS}s" --latency -s rand.lua "http://127.0.0.1:$port" -- "paths$n.txt" \
		>wrk.out 2>&1 || { cat wrk.out >&2; die "$n $mode run $r: wrk failed"; }
	! grep -Eq 'Non-2xx|Socket errors' wrk.out || { cat wrk.out >&2; die "$n $mode run $r: errors"; }
	read -r rps p99 <<<"$(awk 'function ms(v) {
		if (v ~ /us$/) return v / 1000
		if (v ~ /ms$/) return v + 0
		if (v ~ /s$/) return v * 1000
		return v }
		$1 == "99%" { p99 = ms($2) }
		$1 == "Requests/sec:" { rps = $2 }
		END { printf "%.0f %.3f\n", rps, p99 }' wrk.out)"
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")
	[ "$mode" = unbounded ] || say "$n $mode run $r: cache $(metric lancre_ocsp_cache_bytes "$admin") bytes," \
		"hits $(metric lancre_ocsp_cache_hits_total "$admin"), misses $(metric lancre_ocsp_cache_misses_total "$admin")"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	say "$n $mode run $r/$RUNS: first answer $first s, loaded $loaded s, $rps req/s, p99 $p99 ms, RSS $((rss / 1024)) MiB"
	echo "$n $mode $first $loaded $rps $p99 $rss" >>runs
}

# The sizes' runs interleave, so that a busy spell of the shared machine falls
# on every size alike and the ratio between sizes means something.
: >runs
for r in $(seq 1 "$RUNS"); do
	for n in $N; do
		for mode in unbounded bounded; do one_run "$n" "$mode" "$r"; done
	done
done

med() { awk -v n="$1" -v m="$2" -v c="$3" '$1 == n && $2 == m && $c != "-" { print $c }' runs | median; }
list() { awk -v n="$1" -v m="$2" -v c="$3" '$1 == n && $2 == m { print $c }' runs | runs_list; }
cache_bytes=$(awk -v c="$CACHE" 'BEGIN { n = c + 0; u = substr(c, length(c));
	print n * (u == "G" ? 1073741824 : u == "M" ? 1048576 : u == "K" ? 1024 : 1) }')
echo "startup: $(date -u +%Y-%m-%dT%H:%MZ), build $rev, $cores cores, load before $load_before," \
	"after $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$URIS" = 999999999999 ] && drawn="every stored serial" || drawn="$URIS stored serials"
echo "startup: GET for ${GET_SECS}s drawn at random from $drawn, 64 connections, $RUNS runs"
while read -r n bytes; do
	echo "startup: $n responses ($((bytes / 1048576)) MiB)"
	for mode in unbounded bounded; do
		awk -v n="$n" -v m="$mode" -v f="$(med "$n" "$mode" 3)" -v l="$(med "$n" "$mode" 4 || echo -)" \
		    -v r="$(med "$n" "$mode" 5)" -v p="$(med "$n" "$mode" 6)" -v s="$(med "$n" "$mode" 7)" \
		    -v fl="$(list "$n" "$mode" 3)" -v rl="$(list "$n" "$mode" 5)" -v c="$CACHE" \
		    -v cb="$cache_bytes" 'BEGIN {
			printf "startup %s %s%s: first answer %.2f s (runs %s; goal <= 1 s: %s), all loaded %s s, " \
			    "GET %.0f req/s (runs %s), p99 %.2f ms, RSS %.0f MiB", n, m,
			    m == "bounded" ? " (cache = " c ")" : "", f, fl, f <= 1 ? "met" : "MISSED", l, r, rl,
			    p, s / 1024
			if (m == "bounded")
				printf " (bound %s + 64 MiB = %.0f MiB: %s)", c, cb / 1048576 + 64,
				    s * 1024 <= cb + 64 * 1048576 ? "met" : "MISSED"
			printf "\n" }'
	done
done <sizes
# With several sizes, each one's GET rate against the first's (issue 18's goal
# for 10M against 1M: within 10%).
first_n=$(awk 'NR == 1 { print $1 }' sizes)
while read -r n _; do
	[ "$n" != "$first_n" ] || continue
	for mode in unbounded bounded; do
		awk -v n="$n" -v f="$first_n" -v m="$mode" -v a="$(med "$n" "$mode" 5)" \
		    -v b="$(med "$first_n" "$mode" 5)" 'BEGIN {
			printf "startup %s: GET at %s responses is %.3f of the rate at %s (goal >= 0.90: %s)\n",
			    m, n, a / b, f, (a / b >= 0.9) ? "met" : "MISSED" }'
	done
done <sizes
