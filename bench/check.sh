#!/bin/bash
# bench/check.sh BUILD_DIR - `lancre check` of a cached leaf (issue 17): the wall
# time of a whole command, from exec to exit, when its answers are in the cache.
#
#   RUNS=5 bench/check.sh build               # a few seconds
#   RUNS=5 CHECK_N=50 bench/check.sh build
#
# A demo data directory (`lancre demo --leaves 10`), `lancre sign --once`, `lancre
# run` on loopback; one good leaf of e1 is checked once to fill a fresh cache
# ($XDG_CACHE_HOME in the work directory: the issuer from caIssuers, the OCSP
# response), then the server is STOPPED, so that every timed check must be
# answered from the cache (each one's output is checked: good, from cache).
# RUNS rounds of CHECK_N checks each; reported: the median wall time of all the
# checks (bash's EPOCHREALTIME around each command: fork, exec, dynamic linking
# of OpenSSL/libcurl, reading and re-verifying two entries, printing), the
# fastest and the 90th percentile, and for comparison the median of CHECK_N
# `--no-cache` checks against the running server (two HTTP fetches on
# loopback), measured before it stopped.  Goal: cached <= 20 ms.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-5}
CHECK_N=${CHECK_N:-20}
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
for v in RUNS CHECK_N; do
	posint "$v" "${!v}"
done
need sqlite3 sqlite3
need curl curl
need python3 python3

bench_setup check "$1" lancre
chmod 755 "$work" # started as root, lancre's processes run as its users
bench_stop_on_exit
lancre=$work/bin/lancre
export XDG_CACHE_HOME=$work/cache
say "load before: $load_before"

read -r port admin <<<"$(python3 -c 'import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')"
"$lancre" demo -d D --leaves 10 --listen "127.0.0.1:$port" --no-serve >/dev/null
"$lancre" sign -d D --once >/dev/null
"$lancre" run -d D --listen "127.0.0.1:$port" --admin "127.0.0.1:$admin" >run.log 2>&1 &
run_pid=$!
pids+=("$run_pid")
for i in $(seq 1 100); do
	curl -sf -o /dev/null "http://127.0.0.1:$admin/healthz" && break
	sleep 0.1
done
serial=$(sqlite3 D/lancre.db "select lower(hex(serial)) from certificates where status = 0 and issuer_id = (select id from issuers where name = 'e1') and id != (select max(id) from certificates) limit 1")
leaf=D/certs/leaf-$serial.pem
[ -f "$leaf" ] || die "no good leaf of e1"

# child_ticks: CPU ticks (user + system) of this shell's reaped children (/proc/PID/stat
# cutime and cstime): the checks below are its only children while they run.
child_ticks() {
	sed 's/^.*) //' "/proc/$$/stat" | awk '{ print $14 + $15 }'
}
tck=$(getconf CLK_TCK)
# timed NAME ARGS...: CHECK_N checks; each one's wall ms to NAME.ms, their CPU ms per
# check to NAME.cpu; each must say good (checked after the timed loop).
timed() {
	local name=$1 i c0 c1
	local -a t=()
	shift
	c0=$(child_ticks)
	for ((i = 1; i <= CHECK_N; i++)); do
		t+=("$EPOCHREALTIME")
		"$lancre" check "$@" >"out.$i" 2>&1 || die "lancre check $* failed: $(cat "out.$i")"
		t+=("$EPOCHREALTIME")
	done
	c1=$(child_ticks)
	for ((i = 1; i <= CHECK_N; i++)); do
		grep -q '^status: good$' "out.$i" || die "not good: $(cat "out.$i")"
		awk -v a="${t[2 * i - 2]}" -v b="${t[2 * i - 1]}" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }' >>"$name.ms"
	done
	awk -v d=$((c1 - c0)) -v n="$CHECK_N" -v t="$tck" 'BEGIN { printf "%.2f\n", d * 1000 / t / n }' >>"$name.cpu"
}

"$lancre" check --no-cache "$leaf" >/dev/null || die "the leaf is not good"
timed nocache --no-cache "$leaf"
"$lancre" check --verbose "$leaf" >fill.txt || die "the first check failed"
kill "$run_pid"
wait "$run_pid" 2>/dev/null || true
"$lancre" check --verbose "$leaf" >cached.txt || die "with the server stopped the check failed: $(cat cached.txt)"
[ "$(grep -c 'from cache: ' cached.txt)" -eq 2 ] || die "not answered from the cache: $(cat cached.txt)"
for r in $(seq 1 "$RUNS"); do
	timed "round$r" "$leaf"
	say "round $r: median $(median <"round$r.ms") ms, $(cat "round$r.cpu") ms CPU a check"
done
cat round*.ms >cached.ms
med=$(median <cached.ms)
min=$(sort -g cached.ms | head -n 1)
p90=$(sort -g cached.ms | awk '{ v[NR] = $1 } END { i = int(NR * 0.9); if (i < 1) i = 1; print v[i] }')
rounds=$(for r in $(seq 1 "$RUNS"); do median <"round$r.ms"; done | runs_list)
cpu=$(cat round*.cpu | median)
# The floor: exec, dynamic linking (lancre links OpenSSL, libcurl, SQLite, h2o...), --help.
c0=$(child_ticks)
for ((i = 1; i <= CHECK_N * RUNS; i++)); do
	"$lancre" check --help >/dev/null
done
c1=$(child_ticks)
floor=$(awk -v d=$((c1 - c0)) -v n=$((CHECK_N * RUNS)) -v t="$tck" 'BEGIN { printf "%.2f", d * 1000 / t / n }')
echo "lancre check of a cached leaf (server stopped): median $med ms wall over $((RUNS * CHECK_N)) checks" \
	"(fastest $min, p90 $p90; round medians: $rounds), $cpu ms CPU (user + system) a check;" \
	"--no-cache against a local lancre: median $(median <nocache.ms) ms wall, $(cat nocache.cpu) ms CPU;" \
	"lancre check --help (exec and linking alone): $floor ms CPU;" \
	"load before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
echo "goal: cached check <= 20 ms wall: $(awk -v m="$med" 'BEGIN { print (m <= 20) ? "MET" : "MISSED" }')"
