#!/bin/bash
# tests/run.sh BUILD_DIR... - run every test against each build directory:
# the cmocka unit tests (tests/unit, built as BUILD/tests/...) and the
# end-to-end scripts (tests/e2e/*.sh, which drive BUILD/lancre with real
# clients).  Everything speaks TAP ("ok N - ...", "not ok N - ..."); this
# script counts the lines and ends with "N passed, N failed".
#
# One PostgreSQL server serves the whole run (scripts/pg.sh, in a temporary
# directory): every test gets its environment (LANCRE_TEST_PG, PGPASSFILE),
# the store's unit tests run their PostgreSQL cases against it, and the plain
# build's e2e scripts run a second time with their stores in it (the pass
# "[BUILD/postgresql]", tests/e2e/pg_wrap.sh; which scripts: tests/e2e/postgresql.txt).
# The server is stopped by its PID on every exit: the end, a failed test,
# Ctrl-C or a TERM to this script (which then stops the tests it was running).
#
# E2E scripts and fuzzers run as many at a time as there are cores
# (LANCRE_TEST_JOBS; 1: one at a time), and each test's seconds and each
# pass's are printed: CI (.ci/run) must stay within 25 minutes.
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
failures=()
tmp=$(mktemp -d)
log=$tmp/log
pgdir=""
jobs=${LANCRE_TEST_JOBS:-$(nproc)}
declare -A job_name=() job_log=() job_t0=()
job_seq=0
cleanup() {
	rm -rf "$tmp"
	[ -n "$pgdir" ] && scripts/pg.sh stop "$pgdir" >/dev/null 2>&1
}
trap cleanup EXIT
# Interrupted: stop the running tests (their own EXIT traps clean up their processes),
# then exit, which stops the server.
interrupted() {
	local p
	trap - INT TERM
	for p in "${!job_name[@]}"; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	echo "tests/run.sh: interrupted" >&2
	exit "$1"
}
trap 'interrupted 130' INT
trap 'interrupted 143' TERM
# libfaketime's files already in /dev/shm, to tell them from those this run leaves.
shm_before=$(ls /dev/shm 2>/dev/null | grep faketime_ | sort)
# As root the tests start lancre as root: it needs its two users (lancre-server, lancre-signer).
scripts/users.sh || exit 2

# count NAME: read TAP on stdin, echo it, tally results.
count() {
	local name=$1 line
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case "$line" in
		"ok "*) passed=$((passed + 1)) ;;
		"not ok "*)
			failed=$((failed + 1))
			failures+=("$name: ${line#not ok }")
			;;
		esac
	done
}

# Each test runs in the background, its output in a file of its own, and is counted
# when it ends: its TAP printed whole, then its wall-clock seconds.  Up to $jobs run
# at once (run_bg: the fuzzers, and the e2e scripts but those in $alone below);
# run_one runs one by itself.  In the background also so
# that a signal to this script is handled at once (wait returns).
run_bg() { # NAME CMD...
	local name=$1
	shift
	while [ ${#job_name[@]} -ge "$jobs" ]; do reap; done
	job_seq=$((job_seq + 1))
	"$@" >"$tmp/job.$job_seq" 2>&1 &
	job_name[$!]=$name
	job_log[$!]=$tmp/job.$job_seq
	job_t0[$!]=$SECONDS
}
reap() { # wait for one test to end, and count it
	local pid="" rc
	wait -n -p pid "${!job_name[@]}"
	rc=$?
	[ -n "$pid" ] || return 0
	report "${job_name[$pid]}" "${job_log[$pid]}" "$rc" "${job_t0[$pid]}"
	rm -f "${job_log[$pid]}"
	unset "job_name[$pid]" "job_log[$pid]" "job_t0[$pid]"
}
reap_all() {
	while [ ${#job_name[@]} -gt 0 ]; do reap; done
}
# pass_end NAME START: the wall-clock seconds of a pass (CI's time is bounded).
pass_end() {
	echo "# pass $1: $((SECONDS - $2)) s (load $(cut -d' ' -f1-3 /proc/loadavg))"
}
run_one() { # NAME CMD...
	reap_all
	run_bg "$@"
	reap_all
}
report() { # NAME LOG STATUS START
	local name=$1 lg=$2 rc=$3
	echo "# $name"
	count "$name" <"$lg"
	echo "# $name: $((SECONDS - $4)) s"
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok ' "$lg"; then
		# A crash or a sanitizer report with no failing TAP line still fails.
		failed=$((failed + 1))
		failures+=("$name: exited with status $rc")
		tail -n 30 "$lg" | sed 's/^/#   /'
	fi
}

# fuzz_one NAME BINARY: run a libFuzzer target from its seed corpus.  By default a fixed
# number of runs from a fixed seed, so that `make check` is repeatable; FUZZ_SECONDS (as
# `make fuzz` sets it) explores for that long instead.  500,000 runs: the same seed
# explores the same inputs at every check, so its second half mostly repeated what every
# check before had run, for 7 of CI's 25 minutes (17 targets, ~47 s each at 1,000,000,
# session 16); a longer search is `make fuzz`'s (FUZZ_SECONDS) or FUZZ_RUNS=N.
fuzz_one() {
	local name=$1 bin=$2 work budget
	work=$(mktemp -d)
	if [ -n "${FUZZ_SECONDS:-}" ]; then
		budget="-max_total_time=$FUZZ_SECONDS"
	else
		budget="-runs=${FUZZ_RUNS:-500000} -seed=1"
	fi
	# shellcheck disable=SC2086
	if "$bin" $budget -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="${TMPDIR:-/tmp}/lancre-fuzz-$name-" \
		"$work" "tests/fuzz/corpus/$name" >"$work.log" 2>&1; then
		echo "ok 1 - fuzz $name: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$work.log" | grep -o '[0-9]*$') runs, no crash"
	else
		echo "not ok 1 - fuzz $name"
		grep -A25 'ERROR\|==ERROR\|SUMMARY' "$work.log" | head -40 | sed 's/^/#   /'
	fi
	rm -rf "$work" "$work.log"
}

# The run's PostgreSQL server.  Without one (no postgresql-15 here) the run goes on and
# counts one failure: the tests that need it skip, and CI must not pass without them.
pg_start() {
	pgdir=$(mktemp -d "${TMPDIR:-/tmp}/lancre-pg.XXXXXX")
	if scripts/pg.sh start "$pgdir" >"$log" 2>&1; then
		# shellcheck disable=SC1091
		. "$pgdir/env"
		echo "# PostgreSQL for this run: $LANCRE_TEST_PG (pid $(cat "$pgdir/pid"))"
	else
		failed=$((failed + 1))
		failures+=("PostgreSQL test server did not start (scripts/pg.sh): $(tail -n 1 "$log")")
		sed 's/^/#   /' "$log"
		rm -rf "$pgdir"
		pgdir=""
	fi
}

# E2E scripts run two (LANCRE_TEST_JOBS) at a time: most of a script's time is one
# process at once (openssl, python3, one lancre command), which leaves a core idle.
# These run by themselves, after the others: they hold lancre to a time bound that a
# neighbour's load could break (ocsp: a revocation re-signed within 1 s; crl_memory:
# stalled clients cut within write_timeout; serve_startup: the first answer within 1 s;
# pg_signers: a lease taken over within its length).
alone=" crl_memory ocsp serve_startup pg_signers "
later=()
e2e() { # SCRIPT NAME CMD...
	local s=$1
	shift
	case $alone in
	*" $s "*) later+=("$(printf '%q ' "$@")") ;;
	*) run_bg "$@" ;;
	esac
}
e2e_end() { # the scripts that run alone, once the others have ended
	local c
	reap_all
	for c in "${later[@]}"; do
		eval "run_one $c"
	done
	later=()
}

# pg_script NAME: tests/e2e/NAME.sh with every `lancre init` given a fresh database
# (tests/e2e/pg_wrap.sh as $LANCRE, its databases named after the script) and the
# script's `sqlite3 DIR/lancre.db SQL` asked of that database (tests/e2e/pg_bin/sqlite3
# first in PATH); its databases are dropped after it.  A TERM stops the script first.
pg_script() {
	local s=$1 pid rc
	export LANCRE_PG_E2E_TAG=$s
	LANCRE_PG_REAL=$LANCRE LANCRE=$PWD/tests/e2e/pg_wrap.sh PATH=$PWD/tests/e2e/pg_bin:$PATH \
		bash "tests/e2e/$s.sh" &
	pid=$!
	trap 'kill -TERM $pid 2>/dev/null; wait $pid; exit 143' TERM
	wait "$pid"
	rc=$?
	tests/e2e/pg_wrap.sh --drop-all >/dev/null 2>&1
	return "$rc"
}

# pg_e2e BUILD: the e2e scripts tests/e2e/postgresql.txt marks "pg", on PostgreSQL.
pg_e2e() {
	local build=$1 s
	for s in $(awk '!/^#/ && $2 == "pg" { print $1 }' tests/e2e/postgresql.txt); do
		e2e "$s" "[$build/postgresql] e2e $s" pg_script "$s"
	done
	e2e_end
}

if [ $# -gt 0 ]; then
	pg_start
fi
# Every e2e script says in tests/e2e/postgresql.txt whether it runs on PostgreSQL.
for t in tests/e2e/*.sh; do
	s=$(basename "$t" .sh)
	case $s in lib | lib_* | pg_wrap) continue ;; esac
	if ! awk -v s="$s" '$1 == s { found = 1 } END { exit !found }' tests/e2e/postgresql.txt; then
		failed=$((failed + 1))
		failures+=("tests/e2e/$s.sh is not in tests/e2e/postgresql.txt (does it run on PostgreSQL?)")
	fi
done

for build in "$@"; do
	t0=$SECONDS
	if [ -d "$build/fuzz" ] && [ ! -x "$build/lancre" ]; then
		export ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
		for f in "$build"/fuzz/fuzz_*; do
			case $f in *.d | *.o) continue ;; esac
			n=$(basename "$f")
			run_bg "[$build] $n" fuzz_one "${n#fuzz_}" "$f"
		done
		reap_all
		pass_end "[$build] fuzz" "$t0"
		continue
	fi
	if [ ! -x "$build/lancre" ]; then
		echo "tests/run.sh: $build/lancre is not built" >&2
		exit 2
	fi
	export LANCRE="$PWD/$build/lancre" LANCRE_BUILD="$PWD/$build"
	# Sanitized builds are several times slower: scale the tests' time limits.
	if nm "$build/lancre" 2>/dev/null | grep -q __asan_init; then
		export LANCRE_TIME_FACTOR=3
	else
		export LANCRE_TIME_FACTOR=1
	fi
	export CMOCKA_MESSAGE_OUTPUT=TAP
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
	for t in $(find "$build/tests" -type f -perm -u+x | sort); do
		run_one "[$build] unit ${t#"$build"/tests/}" "$t"
	done
	pass_end "[$build] unit" "$t0"
	t0=$SECONDS
	for t in tests/e2e/*.sh; do
		case $(basename "$t") in lib.sh | lib_*.sh | pg_wrap.sh) continue ;; esac # helpers
		e2e "$(basename "$t" .sh)" "[$build] e2e $(basename "$t" .sh)" bash "$t"
	done
	e2e_end
	pass_end "[$build] e2e" "$t0"
	# On PostgreSQL: the plain build only (the sanitizers find nothing new there, and
	# CI's time is bounded).
	if [ -n "$pgdir" ] && [ "$LANCRE_TIME_FACTOR" = 1 ]; then
		t0=$SECONDS
		pg_e2e "$build"
		pass_end "[$build/postgresql] e2e" "$t0"
	fi
done

# Tests run as root: one that replaced /dev/null by a regular file (an atomic
# write over it, as `lancre answer -o /dev/null` once did) breaks every later
# program on the machine.  Say so loudly, whatever else passed.
if [ -c /dev/null ]; then
	passed=$((passed + 1))
	echo "ok - /dev/null is still a character device"
else
	failed=$((failed + 1))
	failures+=("/dev/null is no longer a character device: restore it (rm -f /dev/null; mknod -m 666 /dev/null c 1 3) and find the test that replaced it")
	echo "not ok - /dev/null is no longer a character device" >&2
fi

# libfaketime leaves a semaphore and a shared memory object in /dev/shm for each faked
# process that could not unlink them (sandboxed, or killed: tests/e2e/lib.sh, faked):
# those the run made are removed.
comm -13 <(printf '%s\n' "$shm_before") <(ls /dev/shm 2>/dev/null | grep faketime_ | sort) |
	while read -r f; do rm -f "/dev/shm/$f"; done

if [ ${#failures[@]} -gt 0 ]; then
	echo "# failures:"
	printf '#   %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
