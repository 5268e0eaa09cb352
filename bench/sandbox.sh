#!/bin/bash
# bench/sandbox.sh BUILD_DIR - what the sandbox costs the public server: OCSP
# GET req/s and p99 with [sandbox] mode = auto (no-new-privs, seccomp,
# Landlock) next to mode = off, in the same run (issue 16; goal: on / off
# >= 0.97, within noise).
#
#   RUNS=5 bench/sandbox.sh build                                 # about 4 minutes on 2 cores
#   SANDBOX_N=20000 SANDBOX_REQUESTS=50000 RUNS=3 bench/sandbox.sh build   # quick
#
# One data directory: a P-256 intermediate, SANDBOX_N leaves
# (BUILD/lancre-gencerts), imported and pre-signed with [ocsp] sha256 = no;
# BUILD/lancre-ocspbench draws SANDBOX_URIS of them and writes a real SHA-1
# request for each.  Two servers on it, both `lancre serve --threads 2`: one
# with the sandbox on (lancre.conf's default, auto: on this kernel all three
# mechanisms), one started with LANCRE_SANDBOX=off; /proc says which is which
# (Seccomp: 2 / 0), checked before measuring.  Load: h2load (nghttp2-client)
# HTTP/1.1, SANDBOX_CONNS connections on one thread, SANDBOX_REQUESTS GETs
# per run drawn from the URI list, RUNS runs of each, on and off alternating
# (which goes first alternates too), after a warm-up of each.  Reported: the
# median req/s and the median of the runs' p99 (h2load's per-request log)
# for each, and the ratios on / off.  Both servers and h2load share the
# machine's cores, as in bench/serve.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-5}
SANDBOX_N=${SANDBOX_N:-${N:-100000}}
SANDBOX_URIS=${SANDBOX_URIS:-20000}
SANDBOX_REQUESTS=${SANDBOX_REQUESTS:-200000}
SANDBOX_CONNS=${SANDBOX_CONNS:-64}
GOAL_RATIO=0.97

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
for v in RUNS SANDBOX_N SANDBOX_URIS SANDBOX_REQUESTS SANDBOX_CONNS; do
	posint "$v" "${!v}"
done
[ "$SANDBOX_URIS" -le "$SANDBOX_N" ] || SANDBOX_URIS=$SANDBOX_N
need openssl openssl
need curl curl
need python3 python3
need h2load nghttp2-client

bench_setup sandbox "$1" lancre lancre-gencerts lancre-ocspbench
bench_stop_on_exit
lancre=$work/bin/lancre

say "making $SANDBOX_N certificates and their responses"
bench_root
bench_int int p256 "lancre bench E1"
if [ "$(id -u)" -eq 0 ] && id lancre-signer >/dev/null 2>&1; then
	chmod 755 "$work" # started as root, lancre runs as lancre-signer and lancre-server
	chown lancre-signer int.key
fi
"$lancre" init -d d >/dev/null
"$lancre" issuer add -d d e1 "$work/int.pem" "$work/int.key" >/dev/null
sed -i 's/^sha256 = .*/sha256 = no/' d/lancre.conf
"$work/bin/lancre-gencerts" --issuer-cert int.pem --issuer-key int.key --count "$SANDBOX_N" \
	--out certs.der 2>gen.log || { cat gen.log >&2; die "lancre-gencerts failed"; }
"$lancre" cert add -q -d d certs.der || die "lancre cert add failed"
rm -f certs.der
"$lancre" sign -d d --once >&2 || die "lancre sign failed"
"$work/bin/lancre-ocspbench" requests -d d --requests "$SANDBOX_URIS" --out reqs.txt ||
	die "lancre-ocspbench failed"

read -r on_port on_admin off_port off_admin <<<"$(python3 -c 'import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')"
for w in on off; do
	p=${w}_port
	awk -v p="${!p}" '{ print "http://127.0.0.1:" p "/ocsp/" $2 }' reqs.txt >"uris-$w.txt"
done

# start WHICH PORT ADMIN [ENV...]: lancre serve --threads 2; sets the PID in WHICH_pid.
start() {
	local which=$1 port=$2 admin=$3 i
	shift 3
	env "$@" "$lancre" serve -d d --listen "127.0.0.1:$port" --admin "127.0.0.1:$admin" \
		--threads 2 >"$which.log" 2>&1 &
	pids+=($!)
	printf -v "${which}_pid" %s "$!"
	for i in $(seq 1 600); do
		curl -sf -o /dev/null "http://127.0.0.1:$admin/healthz" && return 0
		sleep 0.1
	done
	cat "$which.log" >&2
	die "lancre serve ($which) does not start"
}
start on "$on_port" "$on_admin"
start off "$off_port" "$off_admin" LANCRE_SANDBOX=off
seccomp() { awk '$1 == "Seccomp:" { print $2 }' /proc/"$1"/task/*/status | sort -u | tr '\n' ' '; }
[ "$(seccomp "$on_pid")" = "2 " ] || die "the sandboxed server has Seccomp: $(seccomp "$on_pid")"
[ "$(seccomp "$off_pid")" = "0 " ] || die "the other server has Seccomp: $(seccomp "$off_pid")"

# run WHICH N: one h2load run of N GETs; appends "req/s p99_ms" to WHICH.runs.
run() {
	local which=$1 n=$2 rps p99
	rm -f h2load.log
	h2load --h1 -c "$SANDBOX_CONNS" -t 1 -n "$n" --log-file=h2load.log -i "uris-$which.txt" \
		>h2load.out 2>&1 || { cat h2load.out >&2; die "$which: h2load failed"; }
	awk -v n="$n" '/^requests:/ && ($8 != n) { exit 1 }' h2load.out ||
		{ cat h2load.out >&2; die "$which: not every request succeeded"; }
	rps=$(awk '/^finished in/ { print $4 }' h2load.out)
	p99=$(cut -f3 h2load.log | sort -n | awk '{ v[NR] = $1 } END {
		i = int(NR * 0.99); if (i < 1) i = 1; printf "%.2f", v[i] / 1000 }')
	echo "$rps $p99" >>"$which.runs"
	say "  $which: $rps req/s, p99 $p99 ms"
}
say "warming up"
run on 20000
run off 20000
rm -f on.runs off.runs
for r in $(seq 1 "$RUNS"); do
	say "run $r/$RUNS: $SANDBOX_REQUESTS GETs each"
	if [ $((r % 2)) -eq 1 ]; then order="on off"; else order="off on"; fi
	for w in $order; do
		run "$w" "$SANDBOX_REQUESTS"
	done
done
for w in on off; do
	printf -v "${w}_rps" %s "$(cut -d' ' -f1 "$w.runs" | median)"
	printf -v "${w}_p99" %s "$(cut -d' ' -f2 "$w.runs" | median)"
	printf -v "${w}_all" %s "$(cut -d' ' -f1 "$w.runs" | sort -g | awk '{ printf "%.0f\n", $1 }' | runs_list)"
done
ratio=$(awk -v a="$on_rps" -v b="$off_rps" 'BEGIN { printf "%.3f", a / b }')
p99_ratio=$(awk -v a="$on_p99" -v b="$off_p99" 'BEGIN { printf "%.2f", a / b }')
echo "sandbox on:  OCSP GET $SANDBOX_N responses, $RUNS x $SANDBOX_REQUESTS, $SANDBOX_CONNS conns: median $(printf %.0f "$on_rps") req/s ($on_all); p99 $on_p99 ms (median of runs)"
echo "sandbox off: OCSP GET $SANDBOX_N responses, $RUNS x $SANDBOX_REQUESTS, $SANDBOX_CONNS conns: median $(printf %.0f "$off_rps") req/s ($off_all); p99 $off_p99 ms (median of runs)"
verdict=$(awk -v r="$ratio" -v g="$GOAL_RATIO" 'BEGIN { print (r >= g) ? "met" : "MISSED" }')
echo "sandbox on / off: req/s $ratio (goal >= $GOAL_RATIO: $verdict), p99 $p99_ratio; load before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
