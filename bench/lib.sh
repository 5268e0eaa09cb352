# bench/lib.sh - what the benchmark scripts share.  Sourced (". bench/lib.sh"),
# never run; messages are prefixed with the sourcing script's name.

BENCH_SELF=${0##*/}

die() {
	echo "$BENCH_SELF: $*" >&2
	exit 1
}
say() {
	echo "$BENCH_SELF: $*" >&2
}
# posint NAME VALUE: die unless VALUE is a positive integer.
posint() {
	case $2 in '' | *[!0-9]* | 0*) die "$1 must be a positive integer" ;; esac
}
# need COMMAND PACKAGE: install PACKAGE (as root) when COMMAND is missing.
need() {
	local cmd=$1 pkg=$2
	command -v "$cmd" >/dev/null 2>&1 && return 0
	[ "$(id -u)" -eq 0 ] || die "$cmd is missing: apt-get install -y $pkg"
	say "installing $pkg"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >&2 ||
		die "cannot install $pkg"
}
# The median of the numbers on stdin, one per line.
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit 1
		print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# The runs on stdin as "a, b, c".
runs_list() {
	paste -sd, - | sed 's/,/, /g'
}
# CPU ticks the whole machine spent in processes (user, nice, system) and lost to
# other guests (steal): every process of every tenant (/proc/stat).  Interrupt
# time is left out: loopback traffic is handled there, not charged to processes.
machine_busy() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $9; exit }' /proc/stat
}
# bench_await STEP SECS PID LOG WHAT CMD...: run CMD every STEP seconds until it
# succeeds; die with LOG's text when PID (WHAT: "lancre serve") ends meanwhile, or
# after SECS seconds.
bench_await() {
	local step=$1 secs=$2 pid=$3 log=$4 what=$5 t0=$SECONDS
	shift 5
	until "$@"; do
		kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "$what died"; }
		[ $((SECONDS - t0)) -lt "$secs" ] || { cat "$log" >&2; die "$what: not ready after $secs s"; }
		sleep "$step"
	done
}
# free_ports N: N free loopback TCP ports, on one line.
free_ports() {
	python3 -c 'import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}
# bench_setup NAME BUILD_DIR BINARY...: check that BUILD_DIR holds the binaries,
# make the work directory bench/out/NAME.XXXXXX (removed on exit; a script with
# servers to stop calls bench_stop_on_exit after this), cd into it and copy the
# binaries to ./bin, so that a rebuild during the run cannot mix two versions in
# one result.  Sets root, build, work, cores and load_before.
bench_setup() {
	local name=$1 b
	root=$(cd "$(dirname "$0")/.." && pwd)
	build=$(cd "$2" && pwd) || die "no build directory $2"
	shift 2
	for b in "$@"; do
		[ -x "$build/$b" ] || die "$build/$b missing; run make"
	done
	mkdir -p "$root/bench/out"
	work=$(mktemp -d "$root/bench/out/$name.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	trap 'exit 130' INT TERM
	cd "$work"
	mkdir bin
	for b in "$@"; do
		cp "$build/$b" bin/
	done
	cores=$(nproc)
	load_before=$(cut -d' ' -f1-3 /proc/loadavg)
}
# bench_stop_on_exit: on exit, stop the processes whose PIDs the script put in
# the array pids (servers, clients), wait for them, then remove the work directory.
pids=()
bench_stop_on_exit() {
	trap bench_stop EXIT
}
bench_stop() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	[ -z "$pgdir" ] || "$root/scripts/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
	rm -rf "$work"
}
# bench_pg_start: a throwaway PostgreSQL 15 for the run (scripts/pg.sh: initdb in
# a temporary directory, a free loopback port, the test settings), stopped by its
# PID in bench_stop, after the servers.  Call after bench_stop_on_exit.  Sets
# pgdir and pgport; pg_url and psql_admin reach it through its unix socket, with
# no password: a benchmark measures the store, not authentication.  Its
# shared_buffers (BENCH_PG_BUFFERS, default 1GB; PostgreSQL's own default is 128MB)
# hold 1M certificates with their indexes (~700 MB), as a server sized for the
# store would, and as SQLite's page cache for a bulk import does.
pgdir=
bench_pg_start() {
	pgdir=$(mktemp -d /tmp/lancre-bench-pg.XXXXXX)
	LANCRE_PG_OPTS="-c shared_buffers=${BENCH_PG_BUFFERS:-1GB}" "$root/scripts/pg.sh" start "$pgdir" >/dev/null ||
		die "cannot start PostgreSQL"
	. "$pgdir/env"
	pgport=$(cat "$pgdir/port")
}
# pg_url DB: the URL of database DB of bench_pg_start's server.
pg_url() {
	echo "postgresql://postgres@/$1?host=$pgdir/sock&port=$pgport"
}
# psql_admin ARG...: psql as the superuser on database postgres, stopping at the
# first error.
psql_admin() {
	psql -q -X -v ON_ERROR_STOP=1 "$(pg_url postgres)" "$@"
}
# bench_root: a P-256 root CA in root.key and root.pem (in the work directory).
bench_root() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
		-keyout root.key -out root.pem -subj "/CN=lancre bench root" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
# bench_int NAME TYPE CN: an intermediate CA under the root in NAME.key and NAME.pem,
# with a TYPE key (p256, p384, rsa2048 or ed25519).
bench_int() {
	local name=$1 type=$2 cn=$3
	local -a key
	case $type in
	p256) key=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
	p384) key=(-newkey ec -pkeyopt ec_paramgen_curve:P-384) ;;
	rsa2048) key=(-newkey rsa:2048) ;;
	ed25519) key=(-newkey ed25519) ;;
	*) die "unknown key type $type" ;;
	esac
	printf '%s\n' "basicConstraints = critical, CA:TRUE, pathlen:0" \
		"keyUsage = critical, keyCertSign, cRLSign, digitalSignature" \
		"subjectKeyIdentifier = hash" "authorityKeyIdentifier = keyid:always" >int.ext
	openssl req -new "${key[@]}" -nodes -keyout "$name.key" -out "$name.csr" \
		-subj "/CN=$cn" 2>/dev/null
	openssl x509 -req -in "$name.csr" -CA root.pem -CAkey root.key -CAcreateserial \
		-days 1825 -extfile int.ext -out "$name.pem" 2>/dev/null
}
