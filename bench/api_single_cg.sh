#!/bin/bash
# bench/api_single_cg.sh BUILD_DIR - the admin API's instructions per one-certificate
# request (issue 19's single rate), counted by callgrind, so that the figure does not
# depend on the machine's load as CPU seconds do on the shared 2-core VM.
#
#   N=200 bench/api_single_cg.sh build
#
# CG_KEEP=PREFIX keeps the callgrind files as PREFIX.0 and PREFIX.N (callgrind_annotate).
#
# Starts `lancre admin` alone (LANCRE_SANDBOX=off: valgrind cannot run under its
# seccomp filter) under `valgrind --tool=callgrind` on a fresh SQLite store with
# one P-256 issuer, twice: once with no request, once with N certificates sent one a
# request over one keep-alive connection (bench/api_client.py single).  Prints the
# instructions per request (the difference over N: start-up, the issuers' first
# load and exit cancel out) and, of them, the P-256 signature check's (ECDSA_verify),
# which no change of lancre's removes.  As root the admin runs as lancre-admin (its
# user), which must exist (scripts/users.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

N=${N:-200}
posint N "$N"
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
need valgrind valgrind
need curl curl
export PYTHONDONTWRITEBYTECODE=1
client=$(cd "$(dirname "$0")" && pwd)/api_client.py
bench_setup api_cg "$1" lancre lancre-gencerts
chmod 755 "$work"
lancre=$work/bin/lancre
as=()
if [ "$(id -u)" -eq 0 ]; then
	getent passwd lancre-admin >/dev/null || die "no user lancre-admin (scripts/users.sh)"
	as=(runuser -u lancre-admin --)
fi

bench_root
bench_int int p256 "lancre bench E1"
"$lancre" init -d urls >/dev/null
[ "$(id -u)" -eq 0 ] && chown lancre-signer int.key
"$lancre" issuer add -d urls e1 int.pem int.key >/dev/null
urls=$("$lancre" urls -d urls --issuer e1)
ocsp=$(printf '%s\n' "$urls" | sed -n 's/^ocsp: //p')
cai=$(printf '%s\n' "$urls" | sed -n 's/^ca issuers: //p')
crl=$(printf '%s\n' "$urls" | sed -n 's/^crl: //p' | head -n 1)
rm -rf urls
"$work/bin/lancre-gencerts" --issuer-cert int.pem --issuer-key int.key --count "$N" \
	--out certs.der --ocsp-url "$ocsp" --ca-issuers-url "$cai" --crl-url-prefix "${crl%1.crl}" \
	2>gen.log || { cat gen.log >&2; die "lancre-gencerts failed"; }
mkdir -m 777 cg

# run K: the admin's instructions with K requests (0 or N).
run() {
	local k=$1 d=$work/d$1 port tok v i
	"$lancre" init -d "$d" >/dev/null
	"$lancre" issuer add -d "$d" e1 int.pem int.key >/dev/null
	tok=$("$lancre" token add -d "$d" bench --scope intake 2>/dev/null)
	[ "$(id -u)" -eq 0 ] && chown -R lancre-admin "$d"
	read -r port <<<"$(free_ports 1)"
	"${as[@]}" env LANCRE_SANDBOX=off valgrind --tool=callgrind --callgrind-out-file="$work/cg/$k" \
		"$lancre" admin -d "$d" --api "127.0.0.1:$port" >"run$k.log" 2>&1 &
	v=$!
	pids+=("$v")
	bench_await 0.1 60 "$v" "run$k.log" "lancre admin" curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/status"
	if [ "$k" -gt 0 ]; then
		python3 "$client" single "$port" "$tok" certs.der "" 1 >/dev/null || die "the requests failed"
	fi
	kill -TERM "$v"
	wait "$v" || true
	awk '/^(summary|totals):/ { print $2; exit }' "$work/cg/$k"
	if [ -n "${CG_KEEP:-}" ]; then cp "$work/cg/$k" "$CG_KEEP.$k"; fi
}
say "callgrind: lancre admin with no request, then with $N (load $(cut -d' ' -f1 /proc/loadavg))"
i0=$(run 0)
i1=$(run "$N")
ecdsa=$(callgrind_annotate --inclusive=yes "$work/cg/$N" 2>/dev/null |
	awk '/ECDSA_verify/ && !done { gsub(",", "", $1); print $1; done = 1 }')
awk -v n="$N" -v a="$i0" -v b="$i1" -v c="${ecdsa:-0}" 'BEGIN {
	printf "api single, callgrind: %d one-certificate requests: %.0f instructions a request " \
	    "(of them the P-256 check, ECDSA_verify: %.0f, %.0f%%)\n", n, (b - a) / n, c / n,
	    100 * c / (b - a) }'
