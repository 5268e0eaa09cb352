#!/bin/bash
# bench/startup.sh BUILD_DIR - a node's start-up and GET rate over a large store,
# in both memory modes (issue 18): every response in memory (the default,
# loaded while the node already answers) and a bounded cache ([server] cache).
#
#   N=1000000 RUNS=3 bench/startup.sh build          # about 10 minutes on 2 cores
#   N="1000000 10000000 pg:1000000" RUNS=3 bench/startup.sh build
#       # 10M next to 1M, and 1M from PostgreSQL
#   N=20000 RUNS=1 GET_SECS=3 bench/startup.sh build # quick
#   DATA=/work/bench-data PREPARE_ONLY=1 N="1000000 10000000" bench/startup.sh build
#       # prepare the SQLite cases once (slow: 10M takes most of an hour), keep them
#       # in DATA, and measure later, on a quiet machine, with the same DATA and N
#
# N is one case or several: a size (a SQLite store) or pg:SIZE (a PostgreSQL
# store on a throwaway server, bench_pg_start). For each, one data directory: a P-256
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
# seconds (default 10), each drawn at random from the URI list (kept packed,
# rand.lua, so that wrk's own cost does not grow with N), after a warm-up of
# GET_WARM seconds; its req/s and p99 are kept, and the CPU (user + system)
# lancre and wrk spent per request while it ran, with how busy the whole
# machine was (/proc/stat, every tenant); lancre's VmRSS and AnonHugePages are
# read after.  In the first run of each case, 16 requests drawn as the runs
# draw them are answered "good" by the node, checked by openssl ocsp.
# Reported: medians over the RUNS, each run's figures, the load averages
# before and after (the machine is shared: a crowded run is suspect), and the
# bounded mode's RSS against CACHE + 64 MiB (OPERATOR.md's bound, CRLs aside:
# there are none here); with several cases, each one's GET rate against the
# first's (issue 18's goals: 10M within 10% of 1M, PostgreSQL within 5% of
# SQLite on the same size), and lancre's and wrk's CPU per request likewise
# (a ratio a busy machine disturbs less than the rates').
# DATA=DIR keeps each SQLite case's prepared data directory, request paths and
# first answer in DIR/CASE (PostgreSQL cases live on a throwaway server and are
# always prepared afresh), and a later run with the same DATA reuses them;
# PREPARE_ONLY=1 stops once every case is prepared.
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
DATA=${DATA:-}
PREPARE_ONLY=${PREPARE_ONLY:-0}

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
for v in RUNS URIS GET_SECS GET_WARM; do posint "$v" "${!v}"; done
for c in $N; do posint N "${c#pg:}"; done

need openssl openssl
need wrk wrk
need curl curl
need sqlite3 sqlite3
case $N in *pg:*) need psql postgresql-client-15 ;; esac

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
# The requests are kept whole, one per fixed-width record (length byte first), in
# one block outside Lua's heap with huge pages asked for, and request() copies one
# out: a Lua table of 10M path strings (2 GB, 4 KiB pages) made wrk's own cost grow
# with N, and wrk shares the 2 cores with the node (BENCHMARKS.md, session 16).
# args: the paths file, its line count, its longest line; with a fourth, SAMPLE,
# the first 16 requests sent are also written to the file SAMPLE (check_sample).
cat >rand.lua <<'EOF'
local ffi = require "ffi"
ffi.cdef [[
void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
int madvise(void *addr, size_t len, int advice);
]]
local buf, width, n, sample, sampled = nil, 0, 0, nil, 0
init = function(args)
	local count, longest = tonumber(args[2]), tonumber(args[3])
	local probe = wrk.format("GET", "/\1")
	local at = probe:find("/\1", 1, true)
	local head, tail = probe:sub(1, at - 1), probe:sub(at + 2)
	width = 1 + #head + longest + #tail
	assert(width <= 256, "requests longer than 255 bytes")
	-- PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS; then MADV_HUGEPAGE
	local p = ffi.C.mmap(nil, count * width, 3, 0x22, -1, 0)
	assert(ffi.cast("intptr_t", p) ~= -1, "mmap failed")
	ffi.C.madvise(p, count * width, 14)
	buf = ffi.cast("uint8_t *", p)
	for line in io.lines(args[1]) do
		assert(n < count and #line <= longest, "more or longer paths than said")
		local r, rec = head .. line .. tail, buf + n * width
		rec[0] = #r
		ffi.copy(rec + 1, r, #r)
		n = n + 1
	end
	assert(n == count, "fewer paths than said")
	if args[4] then sample = io.open(args[4], "w") end
	collectgarbage()
end
request = function()
	local rec = buf + (math.random(n) - 1) * width
	local r = ffi.string(rec + 1, rec[0])
	if sample and sampled < 16 then
		sample:write(r)
		sampled = sampled + 1
		if sampled == 16 then sample:close() end
	end
	return r
end
EOF

# prepare_case C: for C = N (SQLite) or pg:N (PostgreSQL), data directory d-C
# (N leaves, imported and pre-signed), paths-C.txt (URIS or N request paths
# drawn from all of them), first-C.b64 and first-C.want (the first request,
# and lancre answer's bytes for it).
prepare_case() {
	local c=$1 n=${1#pg:} d=d-${1/:/-} f=${1/:/-} uris=$URIS nresp bytes first_b64 kept
	[ "$uris" -le "$n" ] || uris=$n
	kept=$DATA/$f
	if [ -n "$DATA" ] && [ "$c" = "$n" ] && [ -e "$kept/ready" ]; then
		say "$c: reusing the case prepared in $kept"
		link_kept "$c" "$kept"
		echo "$c $(cat "$kept/bytes")" >>cases
		return
	fi
	say "$c: making $n certificates, importing and signing them"
	"$gencerts" --issuer-cert int.pem --issuer-key int.key --count "$n" --out certs.der \
		2>gen.log || { cat gen.log >&2; die "lancre-gencerts failed"; }
	local q='select count(*), sum(length(der)) from ocsp_responses'
	case $c in
	pg:*)
		[ -n "$pgdir" ] || bench_pg_start
		psql_admin -c "CREATE DATABASE lancre_startup_$n"
		"$lancre" init -d "$d" --store "$(pg_url "lancre_startup_$n")" >/dev/null
		;;
	*) "$lancre" init -d "$d" >/dev/null ;;
	esac
	"$lancre" issuer add -d "$d" e1 int.pem int.key >/dev/null
	sed -i 's/^sha256 = .*/sha256 = no/' "$d/lancre.conf"
	grep -q '^sha256 = no$' "$d/lancre.conf" || die "cannot set [ocsp] sha256 = no"
	"$lancre" cert add -q -d "$d" certs.der || die "lancre cert add failed"
	rm -f certs.der
	"$lancre" sign -d "$d" --once >sign.log 2>&1 || { cat sign.log >&2; die "lancre sign failed"; }
	case $c in
	pg:*) read -r nresp bytes < <(psql -X -A -t -F ' ' "$(pg_url "lancre_startup_$n")" -c "$q") ;;
	*) read -r nresp bytes <<<"$(sqlite3 -separator ' ' "$d/lancre.db" "$q")" ;;
	esac
	[ "$nresp" = "$n" ] || die "the store holds $nresp responses, expected $n"
	echo "$c $bytes" >>cases
	say "lancre-ocspbench: $uris requests drawn from all $n"
	"$ocspbench" requests -d "$d" --requests "$uris" --out reqs.txt || die "lancre-ocspbench failed"
	read -r first_b64 < <(awk 'NR == 1 { print $2 }' reqs.txt)
	echo "$first_b64" >"first-$f.b64"
	awk '{ print "/ocsp/" $2 }' reqs.txt >"paths-$f.txt"
	rm -f reqs.txt
	"$lancre" answer -d "$d" --get "$first_b64" -o "first-$f.want" 2>/dev/null ||
		die "lancre answer failed"
	if [ -n "$DATA" ] && [ "$c" = "$n" ]; then
		# Kept for a later run: moved, not copied (10M is gigabytes), and
		# marked ready last, so a run killed while moving prepares it again.
		rm -rf "$kept"
		mkdir -p "$kept"
		chmod 755 "$DATA" "$kept"
		mv "$d" "$kept/d"
		mv "paths-$f.txt" "first-$f.b64" "first-$f.want" "$kept/"
		echo "$bytes" >"$kept/bytes"
		touch "$kept/ready"
		link_kept "$c" "$kept"
	fi
}
# link_kept C DIR: the case C prepared in DIR (DATA), linked into the work directory.
link_kept() {
	local f=${1/:/-}
	ln -s "$2/d" "d-$f"
	ln -s "$2/paths-$f.txt" "$2/first-$f.b64" "$2/first-$f.want" .
}
: >cases
for c in $N; do prepare_case "$c"; done
[ "$PREPARE_ONLY" = 0 ] || { say "prepared: $N"; exit 0; }
# rand.lua's arguments for each case: its paths file, line count and longest line.
for c in $N; do
	f=${c/:/-}
	echo "paths-$f.txt $(awk '{ if (length($0) > m) m = length($0) } END { print NR, m }' \
		"paths-$f.txt")" >"lua-$f.args"
done

metric() {
	curl -s "http://127.0.0.1:$2/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }
# ticks PID: the CPU ticks (user + system, every thread) PID has used.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# check_sample C PORT: the first requests rand.lua sends (it writes them to a
# file when asked) are for stored serials, and the node answers each "good",
# verified by openssl with the issuer's certificate: the packed request records
# still carry exactly the paths lancre-ocspbench wrote.
check_sample() {
	local c=$1 f=${1/:/-} port=$2 d=d-${1/:/-} path der hex k=0 largs
	read -ra largs <"lua-$f.args"
	rm -f sample.txt
	wrk -t1 -c 1 -d 1s -s rand.lua "http://127.0.0.1:$port" -- "${largs[@]}" sample.txt \
		>/dev/null 2>&1 || die "$c: wrk failed drawing the sample"
	while read -r path; do
		curl -sf -o sample.der "http://127.0.0.1:$port$path" || die "$c: no answer for $path"
		der=${path#/ocsp/}
		printf '%b' "${der//%/\\x}" | base64 -d >sample.req 2>/dev/null ||
			die "$c: the sampled path $path is not base64"
		hex=$(openssl ocsp -reqin sample.req -req_text 2>/dev/null |
			awk '$1 == "Serial" && $2 == "Number:" { print $3; exit }')
		[ -n "$hex" ] || die "$c: no serial in the sampled request $path"
		openssl ocsp -respin sample.der -issuer "$d/public/issuer/e1.pem" \
			-VAfile "$d/public/issuer/e1.pem" -serial "0x$hex" -no_nonce >sample.out 2>&1 &&
			grep -q "^0x$hex: good\$" sample.out ||
			{ cat sample.out >&2; die "$c: serial $hex of the sample not answered good"; }
		k=$((k + 1))
	done < <(tr -d '\r' <sample.txt | awk '$1 == "GET" { print $2 }')
	[ "$k" -eq 16 ] || die "$c: the sample holds $k requests, not 16"
	say "$c: 16 requests drawn as the GET runs draw them answered good (openssl ocsp)"
}

# one_run C MODE R: start over d-C, time, load, measure, stop; appends
# "C MODE first loaded rps p99 rss_kb lancre_us wrk_us busy%" to runs.
one_run() {
	local c=$1 n=${1#pg:} f=${1/:/-} d=d-${1/:/-} mode=$2 r=$3 port admin t0 pid first loaded rps p99 rss uri
	local wpid w0 w1 l0 l1 b0 b1 tw win lus wus busy huge largs
	read -r port admin <<<"$(free_ports 2)"
	sed -i '/^cache = /d' "$d/lancre.conf"
	[ "$mode" = unbounded ] || sed -i "s/^\[server\]\$/[server]\ncache = $CACHE/" "$d/lancre.conf"
	uri="http://127.0.0.1:$port/ocsp/$(cat "first-$f.b64")"
	sync
	t0=$(date +%s.%N)
	"$lancre" serve -d "$d" --listen "127.0.0.1:$port" --admin "127.0.0.1:$admin" --threads 2 \
		>"serve-$f-$mode-$r.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	bench_await 0.005 600 "$pid" "serve-$f-$mode-$r.log" "lancre serve" curl -sf -o first.got "$uri"
	first=$(since "$t0")
	cmp -s first.got "first-$f.want" || die "$c $mode run $r: the first answer is not lancre answer's"
	loaded=-
	if [ "$mode" = unbounded ]; then
		until [ "$(metric lancre_ocsp_loading "$admin")" = 0 ]; do sleep 0.02; done
		loaded=$(since "$t0")
		[ "$(metric lancre_ocsp_responses "$admin")" = "$n" ] || die "unbounded: not all $n loaded"
	fi
	[ "$r" != 1 ] || [ "$mode" != unbounded ] || check_sample "$c" "$port"
	read -ra largs <"lua-$f.args"
	wrk -t1 -c 64 -d "${GET_WARM}s" -s rand.lua "http://127.0.0.1:$port" -- "${largs[@]}" \
		>/dev/null 2>&1 || true
	# The CPU lancre and wrk use per request, over GET_SECS - 1 seconds of the
	# run (from when wrk says "Running", its paths loaded): what the work costs,
	# whatever else the shared machine did meanwhile.
	: >wrk.out
	stdbuf -oL wrk -t1 -c 64 -d "${GET_SECS}s" --latency -s rand.lua "http://127.0.0.1:$port" \
		-- "${largs[@]}" >wrk.out 2>&1 &
	wpid=$!
	until grep -q '^Running' wrk.out; do
		kill -0 "$wpid" 2>/dev/null || break
		sleep 0.05
	done
	w0=$(ticks "$wpid" 2>/dev/null || echo 0) l0=$(ticks "$pid") b0=$(machine_busy) tw=$(date +%s.%N)
	sleep $((GET_SECS > 1 ? GET_SECS - 1 : 1))
	w1=$(ticks "$wpid" 2>/dev/null || echo 0) l1=$(ticks "$pid") b1=$(machine_busy) win=$(since "$tw")
	wait "$wpid" || { cat wrk.out >&2; die "$c $mode run $r: wrk failed"; }
	! grep -Eq 'Non-2xx|Socket errors' wrk.out || { cat wrk.out >&2; die "$c $mode run $r: errors"; }
	read -r rps p99 <<<"$(awk 'function ms(v) {
		if (v ~ /us$/) return v / 1000
		if (v ~ /ms$/) return v + 0
		if (v ~ /s$/) return v * 1000
		return v }
		$1 == "99%" { p99 = ms($2) }
		$1 == "Requests/sec:" { rps = $2 }
		END { printf "%.0f %.3f\n", rps, p99 }' wrk.out)"
	read -r lus wus busy <<<"$(awk -v l="$((l1 - l0))" -v w="$((w1 - w0))" -v b="$((b1 - b0))" \
	    -v hz="$(getconf CLK_TCK)" -v s="$win" -v r="$rps" -v c="$cores" 'BEGIN {
		printf "%.2f %.2f %.0f\n", l / hz / s / r * 1e6, w / hz / s / r * 1e6, b / hz / s / c * 100 }')"
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")
	huge=$(awk '$1 == "AnonHugePages:" { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
	[ "$mode" = unbounded ] || say "$c $mode run $r: cache $(metric lancre_ocsp_cache_bytes "$admin") bytes," \
		"hits $(metric lancre_ocsp_cache_hits_total "$admin"), misses $(metric lancre_ocsp_cache_misses_total "$admin")"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	say "$c $mode run $r/$RUNS: first answer $first s, loaded $loaded s, $rps req/s, p99 $p99 ms," \
		"RSS $((rss / 1024)) MiB (huge pages $((huge / 1024)) MiB), CPU per request: lancre $lus us," \
		"wrk $wus us; machine busy $busy%"
	echo "$c $mode $first $loaded $rps $p99 $rss $lus $wus $busy" >>runs
}

# The sizes' runs interleave, so that a busy spell of the shared machine falls
# on every size alike and the ratio between sizes means something.
: >runs
for r in $(seq 1 "$RUNS"); do
	for c in $N; do
		for mode in unbounded bounded; do one_run "$c" "$mode" "$r"; done
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
while read -r c bytes; do
	echo "startup: $c: ${c#pg:} responses ($((bytes / 1048576)) MiB)"
	for mode in unbounded bounded; do
		awk -v n="$c" -v m="$mode" -v f="$(med "$c" "$mode" 3)" -v l="$(med "$c" "$mode" 4 || echo -)" \
		    -v r="$(med "$c" "$mode" 5)" -v p="$(med "$c" "$mode" 6)" -v s="$(med "$c" "$mode" 7)" \
		    -v fl="$(list "$c" "$mode" 3)" -v rl="$(list "$c" "$mode" 5)" -v c="$CACHE" \
		    -v lu="$(med "$c" "$mode" 8)" -v lul="$(list "$c" "$mode" 8)" \
		    -v wu="$(med "$c" "$mode" 9)" -v bu="$(list "$c" "$mode" 10)" \
		    -v cb="$cache_bytes" 'BEGIN {
			printf "startup %s %s%s: first answer %.2f s (runs %s; goal <= 1 s: %s), all loaded %s s, " \
			    "GET %.0f req/s (runs %s), p99 %.2f ms, RSS %.0f MiB, CPU per request: " \
			    "lancre %.2f us (runs %s), wrk %.2f us; machine busy %% (runs) %s",
			    n, m, m == "bounded" ? " (cache = " c ")" : "", f, fl, f <= 1 ? "met" : "MISSED", l,
			    r, rl, p, s / 1024, lu, lul, wu, bu
			if (m == "bounded")
				printf " (bound %s + 64 MiB = %.0f MiB: %s)", c, cb / 1048576 + 64,
				    s * 1024 <= cb + 64 * 1048576 ? "met" : "MISSED"
			printf "\n" }'
	done
done <cases
# With several cases, each one's GET rate against the first's (issue 18's goals:
# 10M within 10% of 1M, PostgreSQL within 5% of SQLite).
first_n=$(awk 'NR == 1 { print $1 }' cases)
while read -r c _; do
	[ "$c" != "$first_n" ] || continue
	for mode in unbounded bounded; do
		awk -v n="$c" -v f="$first_n" -v m="$mode" -v a="$(med "$c" "$mode" 5)" \
		    -v b="$(med "$first_n" "$mode" 5)" -v la="$(med "$c" "$mode" 8)" \
		    -v lb="$(med "$first_n" "$mode" 8)" -v wa="$(med "$c" "$mode" 9)" \
		    -v wb="$(med "$first_n" "$mode" 9)" 'BEGIN {
			g = (n ~ /^pg:/) ? 0.95 : 0.90
			printf "startup %s: GET at %s is %.3f of the rate at %s (goal >= %.2f: %s); " \
			    "CPU per request at %s against %s: lancre %.2f, wrk %.2f\n",
			    m, n, a / b, f, g, (a / b >= g) ? "met" : "MISSED", n, f, la / lb, wa / wb }'
	done
done <cases
