#!/bin/bash
# bench/api.sh (issue 19: the admin API's intake and mass revocation, in `make bench`)
# at a tiny size, so that the benchmark keeps working between the lead's long runs:
# every phase runs (bundles, one certificate a request, ?wait=served, the mass
# revocation with its checks over the public port, the CLI competitor), prints its
# result line and its goal line, and the script exits 0 (a failed check in it, a 504,
# a served answer the public server contradicts, would exit 1).  Goals are not checked
# here: at this size they say nothing.
. "$(dirname "$0")/lib.sh"

B=${LANCRE_BUILD:-$(dirname "$LANCRE")}
run env N=300 SINGLE=20 WAITS=3 RUNS=1 SHARDS=2 bash "$(dirname "$0")/../../bench/api.sh" "$B"
[ "$rc" -eq 0 ] && ok "bench/api.sh at N=300 exits 0" || not_ok "bench/api.sh exits $rc"
has "$OUT" '^api bundles, 1000 a request over 1 keep-alive connection: 300 certs recorded in [0-9.]+ s \([0-9]+/s\), all signed and served at [0-9.]+ s' "the bundles' rate, recorded and signed"
has "$OUT" '^api bundles, 1000 a request over 2 keep-alive connections: 300 certs recorded' "over 2 connections (the default CONNS)"
has "$OUT" '^cli import beside lancre run .*: 300 certs recorded in [0-9.]+ s .* signer \+ server [0-9.]+ us/cert' "the competitor's, the signer running"
has "$OUT" '^cli import alone \(no signer running\): [0-9.]+ s' "the CLI import alone"
has "$OUT" '^api bundles / cli import beside lancre run: recorded rate [0-9.]+ \(2 connections: [0-9.]+\), signed rate [0-9.]+ \([0-9.]+\), CPU per cert [0-9.]+$' "and the ratios"
has "$OUT" '^api bundles / cli import alone: rate [0-9.]+, CPU per cert [0-9.]+$' "and to the CLI alone"
has "$OUT" '^api single, 4 connections: 20 certs, one a request over keep-alive, in [0-9.]+ s .*admin CPU [0-9.]+ s \([0-9]+ us/cert\)' "one certificate a request, over 4 connections (the default SINGLE_CONNS)"
has "$OUT" '^api single, 1 connection: 20 certs, one a request' "and over one"
has "$OUT" '^api \?wait=served, one certificate added \(signer idle\): 3 requests: median [0-9]+ ms' "?wait=served's latency"
has "$OUT" '^api mass revocation: 300 in one request, \?wait=served answered in [0-9.]+ s .* 2 shards re-published listing all' "the mass revocation, checked over OCSP and the CRLs"
same "a goal line for each of the four (one a request twice)" "$(grep -c '^goal: .*: \(met\|MISSED\) (' "$OUT")" 5
has "$OUT" '^load: ' "the load"

# PARTS=single: the one-certificate part alone (the quick measure), its two lines and no other.
run env PARTS=single SINGLE=20 RUNS=1 SHARDS=2 bash "$(dirname "$0")/../../bench/api.sh" "$B"
[ "$rc" -eq 0 ] && ok "PARTS=single exits 0" || not_ok "PARTS=single exits $rc"
same "PARTS=single: the two single lines, nothing else measured" \
	"$(grep -c '^api single, [0-9]* connections\{0,1\}: 20 certs' "$OUT"),$(grep -c '^api \(bundles\|mass\|?wait\)' "$OUT")" "2,0"
