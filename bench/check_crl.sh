#!/bin/bash
# bench/check_crl.sh BUILD_DIR - `lancre check` of a leaf whose only revocation
# source is a 50 MB CRL, served from loopback by python3 -m http.server:
# peak RSS and wall time of the streaming checker (this build) next to the
# whole-buffer path it replaced (lancre at OLD_COMMIT, built here from git,
# or OLD_LANCRE=path), issue 17.
#
#   MB=50 RUNS=3 bench/check_crl.sh build
#
# The CRL (tests/e2e/bigcrl.py: ~1M entries of 16-byte serials, P-256) names
# the leaf last, so both must read it all and answer revoked (exit 3, checked
# on every run).  Runs alternate old and new; medians of RUNS.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

MB=${MB:-50}
RUNS=${RUNS:-3}
OLD_COMMIT=${OLD_COMMIT:-49d215e} # main before the streaming checker
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
posint MB "$MB"
posint RUNS "$RUNS"
need /usr/bin/time time

bench_setup check_crl "$1" lancre
bench_stop_on_exit
say "load before: $load_before"

if [ -n "${OLD_LANCRE:-}" ]; then
	cp "$OLD_LANCRE" bin/lancre-old
else
	say "building lancre at $OLD_COMMIT (the whole-buffer CRL check)"
	mkdir old
	git -C "$root" archive "$OLD_COMMIT" | tar -x -C old
	make -C old -j"$cores" build/lancre >old.log 2>&1 || die "cannot build $OLD_COMMIT (old.log)"
	cp old/build/lancre bin/lancre-old
	rm -rf old
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir www
bench_root
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out leaf.key 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\ncrlDistributionPoints=URI:http://127.0.0.1:%s/big.crl\n' "$port" >leaf.ext
openssl req -new -key leaf.key -subj /CN=bench.test -out leaf.csr 2>/dev/null
openssl x509 -req -in leaf.csr -CA root.pem -CAkey root.key -set_serial 0x4badc0ffee -days 30 \
	-extfile leaf.ext -out leaf.pem 2>/dev/null
cat root.pem >>leaf.pem
say "making a $MB MB CRL"
python3 "$root/tests/e2e/bigcrl.py" root.pem root.key www/big.crl "$MB" 4badc0ffee
bytes=$(stat -c %s www/big.crl)
python3 -m http.server --bind 127.0.0.1 --directory www "$port" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
	curl -s -o /dev/null "http://127.0.0.1:$port/big.crl" && break
	sleep 0.1
done

# one BINARY: "seconds kilobytes" of one check, which must say revoked.
one() {
	local rc=0
	/usr/bin/time -f '%e %M' -o time.out "bin/$1" check leaf.pem >check.out 2>&1 || rc=$?
	[ "$rc" -eq 3 ] || die "$1 check: exit $rc, wanted 3 (revoked): $(cat check.out)"
	tail -n 1 time.out
}
: >new.txt
: >old.txt
for r in $(seq 1 "$RUNS"); do
	one lancre-old >>old.txt
	one lancre >>new.txt
	say "run $r: old $(tail -n 1 old.txt), new $(tail -n 1 new.txt) (s KB)"
done
new_s=$(cut -d' ' -f1 new.txt | median)
new_kb=$(cut -d' ' -f2 new.txt | median)
old_s=$(cut -d' ' -f1 old.txt | median)
old_kb=$(cut -d' ' -f2 old.txt | median)
echo "check of a $bytes-byte CRL ($MB MB), medians of $RUNS:"
echo "  streaming (this build):      RSS $((new_kb / 1024)) MB, $new_s s (runs: $(cut -d' ' -f2 new.txt | runs_list) KB)"
echo "  whole buffer ($OLD_COMMIT):      RSS $((old_kb / 1024)) MB, $old_s s (runs: $(cut -d' ' -f2 old.txt | runs_list) KB)"
echo "  RSS ratio streaming/whole: $(awk -v a="$new_kb" -v b="$old_kb" 'BEGIN { printf "%.3f", a / b }')"
say "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
