#!/bin/bash
# bench/pkcs11.sh BUILD_DIR - OCSP signing throughput through a PKCS#11 token
# (SoftHSM2) next to the same key in a PEM file, with one session per signing
# thread and with a single shared session (issue 16, keys in HSMs item 4).
#
#   RUNS=3 bench/pkcs11.sh build                 # about 3 minutes on 2 cores
#   PKCS11_N=2000 RUNS=1 bench/pkcs11.sh build   # a quick try
#
# One P-256 intermediate; its key is imported into a SoftHSM2 token as well
# (a benchmark compares where the same key lives: the tests make theirs in
# the token), and PKCS11_N leaves from BUILD/lancre-gencerts are recorded in
# two data directories, one whose issuer key is the PEM file, one whose key
# is the token's (`pkcs11:...?module-path=...&pin-source=file:...`).  Then
# `lancre sign --once --threads T` (SHA-1 and SHA-256 CertIDs: two responses
# per certificate), RUNS times on a fresh copy of the recorded directory,
# for: the file key with 1 and 2 threads; the token with 1 and 2 threads and
# its default pool (a session per thread); the token with 2 threads and
# `[pkcs11] sessions = 1` (every signature waits for the one session).
# SoftHSM2 signs on the caller's CPU, so on a busy machine a second thread
# finds no core and neither line moves; a network HSM's signature is a
# round trip instead.  So the same again through bench/p11delay.c, a module
# that forwards to SoftHSM2 and makes each C_Sign wait PKCS11_DELAY_US
# (default 1000 us), on PKCS11_DELAY_N certificates (default 1000): 1, 2 and
# 4 threads with a session each, and 4 threads sharing one session.  Each
# line gives the median responses/s and the runs.  Load averages are printed
# before and after: the machine is shared, so compare lines of one run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-3}
PKCS11_N=${PKCS11_N:-10000}
PKCS11_DELAY_N=${PKCS11_DELAY_N:-1000}
PKCS11_DELAY_US=${PKCS11_DELAY_US:-1000}
MODULE=${PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
posint RUNS "$RUNS"
posint PKCS11_N "$PKCS11_N"
posint PKCS11_DELAY_N "$PKCS11_DELAY_N"
posint PKCS11_DELAY_US "$PKCS11_DELAY_US"
need openssl openssl
need cc build-essential
need softhsm2-util softhsm2
[ -r "$MODULE" ] || die "no PKCS#11 module $MODULE (softhsm2)"

bench_setup pkcs11 "$1" lancre lancre-gencerts
lancre=$work/bin/lancre
say "load before: $load_before"

# The token: SoftHSM2 keeps it in a directory of this run.
export SOFTHSM2_CONF=$work/softhsm2.conf
mkdir tokens
echo "directories.tokendir = $work/tokens" >"$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label bench --pin 4711 --so-pin 4712 >/dev/null
printf '4711\n' >pin
chmod 600 pin
if [ "$(id -u)" -eq 0 ] && id lancre-signer >/dev/null 2>&1; then
	chmod 755 "$work" # run as root, the signer is lancre-signer: its token and PIN file
	chown -R lancre-signer tokens pin
	chmod 644 "$SOFTHSM2_CONF"
fi

bench_root
bench_int e1 p256 "lancre bench p256"
openssl pkcs8 -topk8 -nocrypt -in e1.key -out e1.p8
softhsm2-util --import e1.p8 --token bench --label e1 --id 01 --pin 4711 >/dev/null
[ "$(id -u)" -eq 0 ] && id lancre-signer >/dev/null 2>&1 && chown -R lancre-signer tokens
say "$PKCS11_N leaves"
"$work/bin/lancre-gencerts" --issuer-cert e1.pem --issuer-key e1.key --count "$PKCS11_N" \
	--out leaves.der 2>/dev/null
"$work/bin/lancre-gencerts" --issuer-cert e1.pem --issuer-key e1.key --count "$PKCS11_DELAY_N" \
	--out few.der 2>/dev/null
cc -shared -fPIC -O2 $(pkg-config --cflags p11-kit-1) -o p11delay.so "$root/bench/p11delay.c" \
	-ldl -pthread || die "cannot build bench/p11delay.c"
export P11DELAY_MODULE=$MODULE P11DELAY_US=$PKCS11_DELAY_US
uri="pkcs11:token=bench;object=e1;type=private?pin-source=file:$work/pin&module-path="
for where in file token delayed; do
	"$lancre" init -d "$where" >/dev/null
	case $where in
	file) key=$work/e1.key ;;
	token) key=$uri$MODULE ;;
	delayed) key=$uri$work/p11delay.so ;;
	esac
	"$lancre" issuer add -d "$where" e1 e1.pem "$key" >/dev/null
	leaves=leaves.der
	[ $where = delayed ] && leaves=few.der
	"$lancre" cert add -d "$where" "$leaves" >/dev/null
done

# sign WHERE THREADS SESSIONS: median responses/s of RUNS `lancre sign --once`, and the runs.
sign() {
	local where=$1 threads=$2 sessions=$3 r rates=
	for r in $(seq 1 "$RUNS"); do
		rm -rf run
		cp -a "$where" run
		sed -i -E "s/^;?sessions = .*/sessions = $sessions/" run/lancre.conf # [pkcs11]
		line=$("$lancre" sign -d run --once --threads "$threads") ||
			die "lancre sign --once failed ($where, $threads threads)"
		n=$PKCS11_N
		[ "$where" = delayed ] && n=$PKCS11_DELAY_N
		case $line in
		"Signed $((2 * n)) responses"*) ;;
		*) die "unexpected: $line" ;;
		esac
		rate=$(echo "$line" | sed -E 's/.*\(([0-9]+) responses\/s\).*/\1/')
		rates="$rates$rate"$'\n'
	done
	echo "$(printf '%s' "$rates" | median) ($(printf '%s' "$rates" | runs_list))"
}

say "signing, $RUNS runs each"
echo "pkcs11: P-256, $PKCS11_N certificates x 2 responses, responses/s (median, runs); $cores cores"
echo "file key, 1 thread:                   $(sign file 1 0)"
echo "file key, 2 threads:                  $(sign file 2 0)"
echo "token, 1 thread:                      $(sign token 1 0)"
echo "token, 2 threads, a session each:     $(sign token 2 0)"
echo "token, 2 threads, one shared session: $(sign token 2 1)"
echo "pkcs11: the same token, each C_Sign $PKCS11_DELAY_US us longer (a network HSM), $PKCS11_DELAY_N certificates x 2"
echo "delayed token, 1 thread:              $(sign delayed 1 0)"
echo "delayed token, 2 threads:             $(sign delayed 2 0)"
echo "delayed token, 4 threads:             $(sign delayed 4 0)"
echo "delayed token, 4 threads, 1 session:  $(sign delayed 4 1)"
echo "load: $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after (1, 5, 15 min averages)"
