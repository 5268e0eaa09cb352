#!/bin/bash
# bench/run.sh BUILD_DIR - run every benchmark (bench/*.sh but this one) and
# print their results; `make bench` calls this.
#
# The convention for a benchmark script: it takes BUILD_DIR as its only
# argument, writes progress to stderr and only its result lines to stdout,
# keeps its work files under bench/out/ and removes them, and exits non-zero
# when something failed (not when it was merely slow).  Environment variables
# (N, RUNS, ...) pass through to every script.
#
# Progress shows as it happens; the results are printed again together at the
# end and kept in bench/out/results-<UTC time>.txt.  Exit status 1 if any
# benchmark failed.
#
# All of them take about 25 minutes on 2 cores; BENCH="ocsp serve" (names of
# bench/*.sh, space- or comma-separated) runs only those.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$1
here=$(cd "$(dirname "$0")" && pwd)
only=" ${BENCH:-} "
only=${only//,/ }
for name in $only; do
	[ -f "$here/$name.sh" ] && [ "$name" != run ] && [ "$name" != lib ] ||
		{ echo "$0: BENCH names no benchmark '$name' (bench/$name.sh)" >&2; exit 2; }
done
mkdir -p "$here/out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
results=$here/out/results-$stamp.txt
failed=0

{
	echo "# lancre benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
	echo "# $(git -C "$here/.." describe --always --dirty 2>/dev/null || echo 'no git')"
} >"$results"

for script in "$here"/*.sh; do
	name=$(basename "$script" .sh)
	[ "$name" = run ] || [ "$name" = lib ] && continue # the runner, and what the scripts share
	[ -z "${BENCH:-}" ] || [[ "$only" == *" $name "* ]] || continue
	echo "== $name" >&2
	out=$(mktemp)
	if "$script" "$build" | tee "$out"; then
		status=ok
	else
		status=FAILED
		failed=1
	fi
	{
		echo "== $name ($status)"
		cat "$out"
	} >>"$results"
	rm -f "$out"
done

echo
echo "== results (also in bench/out/$(basename "$results"))"
grep -v '^#' "$results"
exit "$failed"
