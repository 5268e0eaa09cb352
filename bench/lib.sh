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
