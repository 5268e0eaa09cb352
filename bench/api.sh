#!/bin/bash
# bench/api.sh BUILD_DIR - the admin API's intake and mass revocation (issue 19).
#
#   N=100000 SINGLE=2000 WAITS=100 RUNS=3 CONNS=2 bench/api.sh build
#   PARTS=single SINGLE=2000 RUNS=3 bench/api.sh build   (step 3 alone)
#
# Makes a P-256 root and intermediate (SHARDS CRL shards, default 4) and
# N + SINGLE + WAITS leaves with lancre-gencerts (carrying the URLs lancre
# hands out), then, RUNS times, each on a fresh data directory:
#
#  1. starts `lancre run` (as root: its processes under their own users, as
#     the e2e tests run it), with [admin] max_body = 64M (a list of 100,000
#     revocations is about 7.5 MB of JSON) and [crl] delay = CRL_DELAY (2s:
#     the signer re-signs a shard's CRL at the earliest delay / 2 after the
#     last); the signer runs meanwhile and signs what arrives, as in production
#     (a signer paused with SIGSTOP can hold the SQLite lock: the API's
#     transaction then fails with "database is locked"), so the admin
#     process's CPU per certificate is the figure to compare with the CLI's;
#  2. bundles: POST /api/v1/certificates of the N certificates, 1,000 a
#     request (PEM), over one keep-alive connection (bench/api_client.py,
#     python3 http.client): certificates/s, and the admin process's CPU;
#  3. single: the SINGLE others, one a request (DER), over SINGLE_CONNS
#     keep-alive connections at once (default 4: an issuance system runs
#     several workers), then SINGLE more over one: the rate and the admin
#     process's CPU per certificate of each;
#  4. the signer done with every certificate, WAITS more, one a
#     request with ?wait=served, each after a random pause of 0-200 ms (the
#     signer's cycle): the time from request to answer, median and p99, and
#     the next OCSP request must already answer good;
#  5. mass revocation: the N certificates in one POST /api/v1/revocations
#     ?wait=served&timeout=120: the time to the answer (its commit and its
#     wait apart), then at once, over the public port, a sample of 100 must
#     answer revoked (OCSP) and every shard's CRL must have a new number and
#     list all N; the CPU of the admin process, the signer and the server;
#  6. the competitor: `lancre cert add -q` of the same N certificates into the
#     store of a fresh `lancre run`, the signer signing each committed batch as it
#     signs the API's bundles (the fair comparison: both pay for the signer),
#     and into a fresh data directory with no `lancre run` (the CLI import alone,
#     issue 2, as earlier sessions measured it); their rate and CPU;
#  7. with CONNS > 1 (default 2), the bundles again into a fresh `lancre run`
#     over CONNS keep-alive connections (an issuing host has several workers).
#
# Bundles and the CLI beside `lancre run` are timed twice: recorded (the last
# answer, the CLI's exit) and signed (the server holds every certificate's
# responses), and their CPU counts the signer's and the server's to that point.
#
# PARTS=single runs step 3 alone (no bundles, waits, mass revocation or
# competitor): the quick measure of one certificate a request.
#
# Medians of RUNS; the wait latencies of every run together.  Goals (issue
# 19): bundles >= 20,000 certificates/s (the CLI import's goal), one a
# request >= 2,000/s, ?wait=served p99 <= 1 s with the signer idle, and
# 100,000 revoked and served (OCSP and every CRL) in <= 15 s on 2 cores.
# The machine is small and shared: the CPU times are the robust figures,
# and the load averages are printed beside the wall-clock ones.
#
# SQLite store.  Progress on stderr, result lines on stdout; work files in
# bench/out/, removed.  Exit 1 on any failure (a wrong count, a 504, a
# served answer the public server contradicts); a missed goal is reported.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

N=${N:-100000}
SINGLE=${SINGLE:-2000}
WAITS=${WAITS:-100}
RUNS=${RUNS:-3}
SHARDS=${SHARDS:-4}
CRL_DELAY=${CRL_DELAY:-2s}
CONNS=${CONNS:-2}
SINGLE_CONNS=${SINGLE_CONNS:-4}
PARTS=${PARTS:-all}
BUNDLE=1000
GOAL_BUNDLES=20000 # certificates/s
GOAL_SINGLE=2000   # certificates/s
GOAL_WAIT_P99=1000 # ms
GOAL_MASS=15       # s, for 100,000
GOAL_MASS_COUNT=100000

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
posint N "$N"
posint SINGLE "$SINGLE"
posint WAITS "$WAITS"
posint RUNS "$RUNS"
posint SHARDS "$SHARDS"
posint CONNS "$CONNS"
posint SINGLE_CONNS "$SINGLE_CONNS"
case $PARTS in all | single) ;; *) die "PARTS must be all or single" ;; esac
all() { [ "$PARTS" = all ]; }

need openssl openssl
need curl curl
need /usr/bin/time time
if ! python3 -c 'import cryptography' 2>/dev/null; then
	[ "$(id -u)" -eq 0 ] || die "python3's cryptography is missing: apt-get install -y python3-cryptography"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-cryptography >&2 ||
		die "cannot install python3-cryptography"
fi

client=$(cd "$(dirname "$0")" && pwd)/api_client.py
conf_py=$(cd "$(dirname "$0")/../scripts" && pwd)/conf_set.py
bench_setup api "$1" lancre lancre-gencerts
chmod 755 "$work" # started as root, lancre runs as lancre-signer, lancre-server, lancre-admin
bench_stop_on_exit
lancre=$work/bin/lancre

all || N=0 WAITS=0
say "making the root, the intermediate and $((N + 2 * SINGLE + WAITS)) certificates"
bench_root
bench_int int p256 "lancre bench E1"
if [ "$(id -u)" -eq 0 ] && getent passwd lancre-signer >/dev/null; then chown lancre-signer int.key; fi

# conf_set FILE SECTION KEY VALUE: KEY = VALUE in SECTION (scripts/conf_set.py).
conf_set() { python3 "$conf_py" "$@"; }
new_dir() {
	"$lancre" init -d "$1" >/dev/null
	"$lancre" issuer add -d "$1" --shards "$SHARDS" e1 int.pem int.key >/dev/null
	conf_set "$1/lancre.conf" admin max_body 64M
	conf_set "$1/lancre.conf" crl delay "$CRL_DELAY"
}

# The URLs lancre gives e1's certificates, so that intake also reads each CRL Distribution Point.
new_dir urls
urls=$("$lancre" urls -d urls --issuer e1)
ocsp=$(printf '%s\n' "$urls" | sed -n 's/^ocsp: //p')
cai=$(printf '%s\n' "$urls" | sed -n 's/^ca issuers: //p')
crl=$(printf '%s\n' "$urls" | sed -n 's/^crl: //p' | head -n 1)
crl_prefix=${crl%1.crl}
[ -n "$ocsp" ] && [ -n "$cai" ] && [ "$crl_prefix" != "$crl" ] ||
	die "unexpected \`lancre urls\` output: $urls"
rm -rf urls
gen() { # gen COUNT FILE
	"$work/bin/lancre-gencerts" --issuer-cert int.pem --issuer-key int.key --count "$1" \
		--out "$2" --ocsp-url "$ocsp" --ca-issuers-url "$cai" --crl-url-prefix "$crl_prefix" \
		--crl-shards "$SHARDS" 2>gen.log || { cat gen.log >&2; die "lancre-gencerts failed"; }
}
all && gen "$N" bundles.der
# The single part twice (SINGLE_CONNS connections, then one): certificates not recorded yet.
gen "$SINGLE" single.der
gen "$SINGLE" single1.der
all && gen "$WAITS" waits.der

metric() { # metric NAME PORT: a value of the server's /metrics
	curl -s "http://127.0.0.1:$2/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
# cpu_of PID...: user + system seconds of each, summed.
cpu_of() {
	local p t=0
	for p in "$@"; do
		t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
	done
	awk -v t="$t" -v h="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / h }'
}

# start_lancre DIR: `lancre run` on DIR (ports port, aport, api); sets run_pid, admin, signer, server.
start_lancre() {
	read -r port aport api <<<"$(free_ports 3)"
	"$lancre" run -d "$1" --listen "127.0.0.1:$port" --admin "127.0.0.1:$aport" \
		--api "127.0.0.1:$api" --threads 2 >"$1.log" 2>&1 &
	run_pid=$!
	pids+=("$run_pid")
	bench_await 0.05 10 "$run_pid" "$1.log" "lancre run" curl -s -o /dev/null "http://127.0.0.1:$aport/healthz"
	child() { ps -o pid=,comm= --ppid "$run_pid" | awk -v c="lancre-$1" '$2 == c { print $1 }'; }
	admin=$(child admin) signer=$(child signer) server=$(child server)
	[ -n "$admin" ] && [ -n "$signer" ] && [ -n "$server" ] || die "lancre run has no admin, signer or server child"
	bench_await 0.05 10 "$run_pid" "$1.log" "lancre run" curl -s -o /dev/null "http://127.0.0.1:$api/api/v1/status"
}
stop_lancre() {
	kill "$run_pid"
	wait "$run_pid" || true
}
# wait_signed COUNT: until the server holds 2 * COUNT responses (both CertID hashes: [ocsp]
# sha256 = yes), every certificate recorded signed and served; dies after 5 minutes.
wait_signed() {
	local i want=$((2 * $1))
	for i in $(seq 1 6000); do
		[ "$(metric lancre_ocsp_responses "$aport")" = "$want" ] && return 0
		sleep 0.05
	done
	die "the server holds $(metric lancre_ocsp_responses "$aport") responses, expected $want"
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
# bundles_run CONNS OUT: POST the N certificates in bundles over CONNS keep-alive connections
# into the running lancre; OUT gets: recorded s, signed s (every one served), admin CPU,
# signer + server CPU (to signed), load.
bundles_run() {
	local t0 c0 cnt secs acpu scpu rest
	c0=$(cpu_of "$signer" "$server")
	t0=$(now)
	python3 "$client" bundles "$api" "$tok" bundles.der "$BUNDLE" "$admin,$signer,$server" "$1" >out.txt
	read -r cnt secs acpu rest <out.txt
	wait_signed "$N"
	echo "$secs $(since "$t0") $acpu $(awk -v a="$c0" -v b="$(cpu_of "$signer" "$server")" \
		'BEGIN { printf "%.2f", b - a }') $(cut -d' ' -f1 /proc/loadavg)" >>"$2"
}

: >bundles.runs
: >bundles_conns.runs
: >cli_run.runs
: >single.runs
: >single1.runs
: >waits.ms
: >mass.runs
: >cli.runs
for r in $(seq 1 "$RUNS"); do
	d=$work/d$r
	new_dir "$d"
	tok=$("$lancre" token add -d "$d" bench --scope intake,revoke,read)
	start_lancre "$d"
	if all; then
		say "run $r/$RUNS: $N certificates in bundles of $BUNDLE (load $(cut -d' ' -f1 /proc/loadavg))"
		bundles_run 1 bundles.runs
		say "run $r/$RUNS: bundles $(tail -1 bundles.runs | awk '{ print $1 " s, all signed at " $2 " s, admin CPU " $3 " s, signer + server " $4 " s" }')"
		"$lancre" cert list -d "$d" --json >mass.json
	fi
	say "run $r/$RUNS: $SINGLE certificates one a request, $SINGLE_CONNS connections (load $(cut -d' ' -f1 /proc/loadavg))"
	python3 "$client" single "$api" "$tok" single.der "$admin" "$SINGLE_CONNS" >out.txt
	read -r cnt secs cpu <out.txt
	echo "$secs $cpu $(cut -d' ' -f1 /proc/loadavg)" >>single.runs
	say "run $r/$RUNS: single ($SINGLE_CONNS connections) $secs s, admin CPU $cpu s"
	say "run $r/$RUNS: $SINGLE certificates one a request, 1 connection (load $(cut -d' ' -f1 /proc/loadavg))"
	python3 "$client" single "$api" "$tok" single1.der "$admin" 1 >out.txt
	read -r cnt secs cpu <out.txt
	echo "$secs $cpu $(cut -d' ' -f1 /proc/loadavg)" >>single1.runs
	say "run $r/$RUNS: single (1 connection) $secs s, admin CPU $cpu s"
	if ! all; then
		stop_lancre
		rm -rf "$d"
		continue
	fi

	# Every certificate signed (both CertID hashes: [ocsp] sha256 = yes) and each shard's CRL out.
	wait_signed $((N + 2 * SINGLE))
	for s in $(seq 1 "$SHARDS"); do
		for i in $(seq 1 600); do
			curl -sf -o /dev/null "http://127.0.0.1:$port/crl/e1/$s.crl" && break
			sleep 0.05
		done
	done
	sleep 1 # the signer idle
	say "run $r/$RUNS: $WAITS certificates with ?wait=served"
	python3 "$client" waits "$api" "$tok" waits.der "$port" int.pem >>waits.ms ||
		die "run $r: ?wait=served failed"
	sleep "${CRL_DELAY%s}" # the CRLs' delay passed: a revocation's CRL is not held back by the last one

	say "run $r/$RUNS: $N revocations in one request, ?wait=served (load $(cut -d' ' -f1 /proc/loadavg))"
	c0=$(cpu_of "$signer" "$server")
	python3 "$client" mass "$api" "$tok" mass.json bundles.der int.pem "$port" "$SHARDS" 100 "$admin" >out.txt ||
		die "run $r: the mass revocation failed"
	c1=$(cpu_of "$signer" "$server")
	read -r cnt secs waited blen sample moved listed cpu <out.txt
	echo "$secs $waited $cpu $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }') $blen $(cut -d' ' -f1 /proc/loadavg)" >>mass.runs
	say "run $r/$RUNS: mass $secs s (waited $waited s), $sample sampled revoked, $moved shards moved, $listed listed"
	stop_lancre
	rm -rf "$d"

	if [ "$CONNS" -gt 1 ]; then
		d=$work/b$r
		new_dir "$d"
		tok=$("$lancre" token add -d "$d" bench --scope intake)
		start_lancre "$d"
		say "run $r/$RUNS: $N certificates in bundles of $BUNDLE over $CONNS connections"
		bundles_run "$CONNS" bundles_conns.runs
		stop_lancre
		rm -rf "$d"
	fi

	# The competitor: the CLI import of the same certificates.
	new_dir "$work/cli$r"
	sync
	/usr/bin/time -f '%e %U %S' -o cli.time "$lancre" cert add -q -d "$work/cli$r" bundles.der ||
		die "run $r: lancre cert add failed"
	read -r secs u s <<<"$(tail -1 cli.time)"
	echo "$secs $(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }') $(cut -d' ' -f1 /proc/loadavg)" >>cli.runs
	say "run $r/$RUNS: cli import $secs s"
	rm -rf "$work/cli$r"

	# The fair competitor: the CLI import into the store of a running `lancre run`, whose
	# signer signs what each committed batch brings, as it signs the API's bundles.
	d=$work/clirun$r
	new_dir "$d"
	start_lancre "$d"
	c0=$(cpu_of "$signer" "$server")
	t0=$(now)
	/usr/bin/time -f '%e %U %S' -o cli.time "$lancre" cert add -q -d "$d" bundles.der ||
		die "run $r: lancre cert add beside lancre run failed"
	wait_signed "$N"
	read -r secs u s <<<"$(tail -1 cli.time)"
	echo "$secs $(since "$t0") $(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }') \
$(awk -v a="$c0" -v b="$(cpu_of "$signer" "$server")" 'BEGIN { printf "%.2f", b - a }') \
$(cut -d' ' -f1 /proc/loadavg)" >>cli_run.runs
	say "run $r/$RUNS: cli import beside lancre run $(tail -1 cli_run.runs | awk '{ print $1 " s, all signed at " $2 " s" }')"
	stop_lancre
	rm -rf "$d"
done

# --- Results. ------------------------------------------------------------------
col() { awk -v c="$1" '{ print $c }' "$2" | median; }
loads() { awk '{ print $NF }' "$1" | runs_list; }
pct() { # pct P: the P-th percentile (nearest rank) of waits.ms
	sort -g waits.ms | awk -v p="$1" '{ v[NR] = $1 } END { r = int(NR * p / 100 + 0.999999); print v[r < 1 ? 1 : r] }'
}
s_s=$(col 1 single.runs) s_cpu=$(col 2 single.runs)
s1_s=$(col 1 single1.runs) s1_cpu=$(col 2 single1.runs)
single_line() { # single_line CONNS SECS CPU RUNSFILE
	awk -v n="$SINGLE" -v k="$1" -v s="$2" -v sc="$3" -v r="$RUNS" -v g="$GOAL_SINGLE" \
	    -v l="$(loads "$4")" 'BEGIN {
		printf "api single, %d connection%s: %d certs, one a request over keep-alive, in %.2f s " \
		    "(%.0f/s), median of %d; admin CPU %.2f s (%.0f us/cert); load %s\n", k,
		    k == 1 ? "" : "s", n, s, n / s, r, sc, sc * 1e6 / n, l
		printf "goal: one a request >= %d certs/s (%d connection%s): %s (%.0f/s)\n", g, k,
		    k == 1 ? "" : "s", (n / s >= g ? "met" : "MISSED"), n / s }'
}
single_line "$SINGLE_CONNS" "$s_s" "$s_cpu" single.runs
single_line 1 "$s1_s" "$s1_cpu" single1.runs
if ! all; then
	echo "load: $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after (1, 5, 15 min averages); $cores cores"
	exit 0
fi
b_s=$(col 1 bundles.runs) b_sig=$(col 2 bundles.runs) b_cpu=$(col 3 bundles.runs) b_scpu=$(col 4 bundles.runs)
c_s=$(col 1 cli.runs) c_cpu=$(col 2 cli.runs)
r_s=$(col 1 cli_run.runs) r_sig=$(col 2 cli_run.runs) r_cpu=$(col 3 cli_run.runs) r_scpu=$(col 4 cli_run.runs)
m_s=$(col 1 mass.runs) m_wait=$(col 2 mass.runs) m_acpu=$(col 3 mass.runs) m_scpu=$(col 4 mass.runs)
# bundle_line WHAT RECORDED SIGNED CPU SIGNER_CPU LOADS
bundle_line() {
	awk -v w="$1" -v n="$N" -v b="$2" -v sg="$3" -v c="$4" -v sc="$5" -v r="$RUNS" -v l="$6" 'BEGIN {
	printf "%s: %d certs recorded in %.2f s (%.0f/s), all signed and served at %.2f s (%.0f/s), " \
	    "median of %d; CPU %.1f us/cert, signer + server %.1f us/cert; load %s\n",
	    w, n, b, n / b, sg, n / sg, r, c * 1e6 / n, sc * 1e6 / n, l }'
}
bundle_line "api bundles, $BUNDLE a request over 1 keep-alive connection" "$b_s" "$b_sig" "$b_cpu" \
	"$b_scpu" "$(loads bundles.runs)"
if [ "$CONNS" -gt 1 ]; then
	k_s=$(col 1 bundles_conns.runs) k_sig=$(col 2 bundles_conns.runs)
	bundle_line "api bundles, $BUNDLE a request over $CONNS keep-alive connections" "$k_s" \
		"$k_sig" "$(col 3 bundles_conns.runs)" "$(col 4 bundles_conns.runs)" \
		"$(loads bundles_conns.runs)"
else
	k_s=$b_s k_sig=$b_sig
fi
bundle_line "cli import beside lancre run (lancre cert add -q into its store, the signer signing meanwhile: the competitor)" \
	"$r_s" "$r_sig" "$r_cpu" "$r_scpu" "$(loads cli_run.runs)"
awk -v n="$N" -v c="$c_s" -v cc="$c_cpu" -v r="$RUNS" -v lc="$(loads cli.runs)" 'BEGIN {
	printf "cli import alone (no signer running): %.2f s (%.0f/s), median of %d; CPU %.2f s " \
	    "(%.1f us/cert); load %s\n", c, n / c, r, cc, cc * 1e6 / n, lc }'
awk -v n="$N" -v b="$b_s" -v bg="$b_sig" -v k="$k_s" -v kg="$k_sig" -v bc="$b_cpu" -v rs="$r_s" \
    -v rg="$r_sig" -v rc="$r_cpu" -v c="$c_s" -v cc="$c_cpu" -v conns="$CONNS" -v g="$GOAL_BUNDLES" 'BEGIN {
	printf "api bundles / cli import beside lancre run: recorded rate %.2f (%d connection%s: %.2f), " \
	    "signed rate %.2f (%.2f), CPU per cert %.2f\n", rs / b, conns, (conns > 1 ? "s" : ""), rs / k,
	    rg / bg, rg / kg, bc / rc
	printf "api bundles / cli import alone: rate %.2f, CPU per cert %.2f\n", c / b, bc / cc
	best = b < k ? b : k
	printf "goal: bundles >= %d certs/s: %s (%.0f/s)\n", g, (n / best >= g ? "met" : "MISSED"), n / best }'
awk -v n="$(wc -l <waits.ms)" -v m="$(pct 50)" -v p90="$(pct 90)" -v p99="$(pct 99)" \
    -v max="$(pct 100)" -v g="$GOAL_WAIT_P99" 'BEGIN {
	printf "api ?wait=served, one certificate added (signer idle): %d requests: median %.0f ms, " \
	    "p90 %.0f ms, p99 %.0f ms, max %.0f ms\n", n, m, p90, p99, max
	printf "goal: ?wait=served p99 <= %d ms: %s (%.0f ms)\n", g, (p99 <= g ? "met" : "MISSED"), p99 }'
awk -v n="$N" -v s="$m_s" -v w="$m_wait" -v ac="$m_acpu" -v sc="$m_scpu" -v r="$RUNS" \
    -v k="$SHARDS" -v g="$GOAL_MASS" -v gc="$GOAL_MASS_COUNT" -v l="$(loads mass.runs)" 'BEGIN {
	printf "api mass revocation: %d in one request, ?wait=served answered in %.2f s (commit %.2f s, " \
	    "then served %.2f s), median of %d; checked at once: 100 sampled revoked over OCSP, " \
	    "%d shards re-published listing all; CPU admin %.2f s, signer + server %.2f s; load %s\n",
	    n, s, s - w, w, r, k, ac, sc, l
	t = s * gc / n
	printf "goal: %d revoked and served in <= %d s: %s (%.1f s%s)\n", gc, g, (t <= g ? "met" : "MISSED"),
	    t, n == gc ? "" : sprintf(", scaled from %d", n) }'
echo "load: $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after (1, 5, 15 min averages); $cores cores"
