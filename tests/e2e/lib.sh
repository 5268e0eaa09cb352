# tests/e2e/lib.sh - helpers for end-to-end tests, sourced by each script.
#
# Each script gets a fresh temporary directory ($T, removed on exit), runs
# $LANCRE (the binary under test) and real tools against it, and reports
# each check as a TAP line.  A check that cannot fail is a bug: every
# helper below asserts an exit status AND, where it matters, the output.

set -u
: "${LANCRE:?run through tests/run.sh or set LANCRE=path/to/lancre}"
T=$(mktemp -d "${TMPDIR:-/tmp}/lancre-e2e.XXXXXX")
# lib_exit: what every script's EXIT trap ends with.  A lancre process killed by its
# sandbox is restarted by the supervisor and a script's checks may still pass, so the
# logs under $T are searched for the kill line (src/sandbox/trap.c, proc/supervise.c):
# one more failed check unless the script provokes kills on purpose (SANDBOX_KILLS_OK=1).
lib_exit() {
	local hit
	if [ -z "${SANDBOX_KILLS_OK:-}" ] &&
		hit=$(grep -rhsI -m1 'killed by the sandbox' "$T" 2>/dev/null | head -n 1) && [ -n "$hit" ]; then
		n=$((n + 1))
		echo "not ok $n - no lancre process killed by its sandbox (${hit})"
	fi
	rm -rf "$T"
}
trap lib_exit EXIT
# Started as root, lancre's processes run as lancre-server and lancre-signer
# (scripts/users.sh): both must reach the data directories made under $T.
chmod 755 "$T"
# `lancre check` keeps what it fetches in $XDG_CACHE_HOME/lancre: each script gets its
# own, so no test reads another's answers or writes into the home directory.
export XDG_CACHE_HOME=$T/.cache
PY=/usr/bin/python3 # Debian's, with python3-cryptography
n=0
OUT=$T/.out
ERR=$T/.err

# Time limits in the tests are the product's (a revocation re-signed within 1 s...).
# Sanitizer builds run several times slower, so tests/run.sh scales the limits for
# them with LANCRE_TIME_FACTOR; the plain build is held to the real numbers.
TF=${LANCRE_TIME_FACTOR:-1}

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $*"
	[ -s "$OUT" ] && sed 's/^/#   out: /' "$OUT" | head -n 20
	[ -s "$ERR" ] && sed 's/^/#   err: /' "$ERR" | head -n 20
	return 0
}

# run CMD...: run with stdout/stderr captured in $OUT/$ERR; sets $rc.
run() { "$@" >"$OUT" 2>"$ERR"; rc=$?; }

# expect STATUS DESC CMD...: the command exits with STATUS.
expect() {
	local want=$1 desc=$2
	shift 2
	run "$@"
	if [ "$rc" -eq "$want" ]; then ok "$desc"; else not_ok "$desc (exit $rc, wanted $want)"; fi
}

# has FILE REGEX DESC: FILE ($OUT or $ERR) matches REGEX.
has() {
	if grep -Eq -- "$2" "$1"; then ok "$3"; else not_ok "$3 (no /$2/)"; fi
}

# one_line_error DESC: the last command failed with exactly one line on stderr.
one_line_error() {
	if [ "$(wc -l <"$ERR")" -eq 1 ] && grep -q '^lancre ' "$ERR"; then ok "$1"; else not_ok "$1 (stderr not one 'lancre ...' line)"; fi
}

# same DESC A B: two strings are equal.
same() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 ('$2' != '$3')"; fi
}

# signer_owns FILE...: as root, give FILE to lancre-signer (a key the signer,
# or a write command run as root, which becomes lancre-signer, must read).
signer_owns() {
	[ "$(id -u)" -eq 0 ] && getent passwd lancre-signer >/dev/null || return 0
	chown lancre-signer "$@"
}

# as_user USER CMD...: run CMD as USER (uid, primary group, no other group).
as_user() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups "$@"
}

# cli_same DESC HOW DIR API ARGS...: `lancre ARGS -d DIR` and `lancre ARGS ${API[@]}` (API
# names an array: --api URL and its credentials) print the same (stdout, stderr) and exit
# the same (drc, arc); HOW names the second way in the line ("with --api", "over TLS").
cli_same() {
	local desc=$1 how=$2 dir=$3
	local -n cli_same_api=$4
	shift 4
	"$LANCRE" "$@" -d "$dir" >"$T/d.out" 2>"$T/d.err"
	drc=$?
	"$LANCRE" "$@" "${cli_same_api[@]}" >"$T/a.out" 2>"$T/a.err"
	arc=$?
	if cmp -s "$T/d.out" "$T/a.out" && cmp -s "$T/d.err" "$T/a.err" && [ "$drc" = "$arc" ]; then
		ok "$desc: the same output and exit status ($arc) $how as with -d"
	else
		not_ok "$desc: -d exit $drc, --api exit $arc"
		diff "$T/d.out" "$T/a.out" | sed 's/^/#   stdout: /' | head -n 20
		diff "$T/d.err" "$T/a.err" | sed 's/^/#   stderr: /' | head -n 20
	fi
}

# as_running PID CMD...: run CMD with a running process's own credentials, read from
# /proc/PID/status: its real uid, gid and supplementary groups (what it can open).
as_running() {
	local pid=$1 uid gid groups
	shift
	uid=$(awk '/^Uid:/ {print $2}' /proc/"$pid"/status)
	gid=$(awk '/^Gid:/ {print $2}' /proc/"$pid"/status)
	groups=$(awk '/^Groups:/ {$1 = ""; gsub(/^ +| +$/, ""); gsub(/ +/, ","); print}' /proc/"$pid"/status)
	if [ -n "$groups" ]; then
		setpriv --reuid="$uid" --regid="$gid" --groups="$groups" "$@"
	else
		setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"
	fi
}

# as_signer CMD...: as root, CMD as lancre-signer (the user lancre's signer runs as);
# otherwise CMD as is.
as_signer() {
	if [ "$(id -u)" -eq 0 ] && getent passwd lancre-signer >/dev/null; then as_user lancre-signer "$@"; else "$@"; fi
}

# faked OFFSET CMD...: CMD with its clock moved by OFFSET (libfaketime's "+3d", "-60d",
# "+10d"; a bare "3d" means "+3d"), libfaketime preloaded directly.  Not the `faketime`
# wrapper: libfaketime 0.9.10 makes a semaphore and a shared memory object in /dev/shm
# for each faked process (faketime_sem_PID, faketime_shm_PID), which one killed with
# SIGKILL, or sandboxed (the sandbox forbids the unlink at exit), leaves behind; the
# wrapper then refuses to start under a PID that was used before ("sem_open: File
# exists"), where the library goes on.  tests/run.sh removes what a run left.  Under
# ASan, libfaketime preloaded ahead of the ASan runtime is allowed.
FT=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
faked() {
	local off=$1; shift
	case $off in [+-]*) ;; *) off="+$off" ;; esac
	[ -f "$FT" ] || { echo "libfaketime is not installed (scripts/deps.sh test installs it)" >&2; return 127; }
	FAKETIME="$off" LD_PRELOAD=$FT \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "$@"
}

# Make a CA hierarchy with the openssl CLI (independent of lancre's own minting).
# mkca NAME [ISSUER] [KEYTYPE: ec|p384|rsa|ed25519]: writes $T/NAME.pem, $T/NAME.key.
mkca() {
	local name=$1 issuer=${2:-} type=${3:-ec}
	case $type in
	ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/$name.key" 2>/dev/null ;;
	p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$T/$name.key" 2>/dev/null ;;
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/$name.key" 2>/dev/null ;;
	ed25519) openssl genpkey -algorithm ED25519 -out "$T/$name.key" 2>/dev/null ;;
	esac
	signer_owns "$T/$name.key"
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\n' >"$T/$name.ext"
	openssl req -new -key "$T/$name.key" -subj "/O=lancre test/CN=$name" -out "$T/$name.csr" 2>/dev/null
	if [ -z "$issuer" ]; then
		openssl x509 -req -in "$T/$name.csr" -signkey "$T/$name.key" -days 3650 \
			-extfile "$T/$name.ext" -out "$T/$name.pem" 2>/dev/null
	else
		openssl x509 -req -in "$T/$name.csr" -CA "$T/$issuer.pem" -CAkey "$T/$issuer.key" \
			-set_serial "0x$(openssl rand -hex 8)" -days 1825 -extfile "$T/$name.ext" \
			-out "$T/$name.pem" 2>/dev/null
	fi
}

# mkleaf NAME ISSUER [SERIAL_HEX] [DAYS]: a leaf certificate $T/NAME.pem signed by ISSUER.
mkleaf() {
	local name=$1 issuer=$2 serial=${3:-$(openssl rand -hex 12)} days=${4:-90}
	[ -f "$T/leaf.key" ] || { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/leaf.key" 2>/dev/null && signer_owns "$T/leaf.key"; }
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=DNS:%s.test\n' "$name" >"$T/leaf.ext"
	openssl req -new -key "$T/leaf.key" -subj "/CN=$name.test" -out "$T/leaf.csr" 2>/dev/null
	openssl x509 -req -in "$T/leaf.csr" -CA "$T/$issuer.pem" -CAkey "$T/$issuer.key" \
		-set_serial "0x$serial" -days "$days" -extfile "$T/leaf.ext" -out "$T/$name.pem" 2>/dev/null
}

# serial_of FILE: the serial as lancre prints it (lower-case hex of the DER content bytes).
serial_of() {
	"$PY" - "$1" <<'PYEOF'
import sys
from cryptography import x509
c = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())
n = c.serial_number
length = (n.bit_length() + 8) // 8 if n >= 0 else ((-n - 1).bit_length() + 8) // 8
print(n.to_bytes(length, 'big', signed=True).hex())
PYEOF
}

# mkleaf_old NAME ISSUER DAYS_AGO [DAYS_LEFT [SERIAL_HEX]]: a leaf whose notBefore
# is DAYS_AGO days in the past (openssl x509 -req cannot backdate) and notAfter
# DAYS_LEFT days ahead (default 90; negative: already expired), with a random or
# the given serial, signed with Python cryptography.
mkleaf_old() {
	"$PY" - "$T" "$1" "$2" "$3" "${4:-90}" "${5:-}" <<'PYEOF'
import sys, datetime, os
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
t, name, issuer, days, left = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
serial = int(sys.argv[6], 16) if sys.argv[6] else int.from_bytes(os.urandom(12), 'big') >> 1
ikey = serialization.load_pem_private_key(open(f'{t}/{issuer}.key', 'rb').read(), None)
icert = x509.load_pem_x509_certificate(open(f'{t}/{issuer}.pem', 'rb').read())
key = ec.generate_private_key(ec.SECP256R1())
now = datetime.datetime.utcnow().replace(microsecond=0)
cert = (x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name + '.test')]))
        .issuer_name(icert.subject).public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - datetime.timedelta(days=days))
        .not_valid_after(now + datetime.timedelta(days=left))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ikey, hashes.SHA256()))
open(f'{t}/{name}.pem', 'wb').write(cert.public_bytes(serialization.Encoding.PEM))
PYEOF
}

# conf_set FILE SECTION KEY VALUE: set KEY in SECTION of a lancre.conf in place
# (scripts/conf_set.py).
CONF_SET=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts" && pwd)/conf_set.py
conf_set() {
	"$PY" "$CONF_SET" "$@"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL [SECONDS]: until URL answers (any status), or fail after SECONDS (default
# 10; times LANCRE_TIME_FACTOR: a sanitized lancre starts several times slower).
wait_http() {
	local i
	for i in $(seq 1 $((${2:-10} * 20 * TF))); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.05
	done
	return 1
}

# wait_loaded ADMIN_PORT [SECS]: until the server at ADMIN_PORT holds every response
# (/metrics lancre_ocsp_loading 0: a node answers at once and loads them meanwhile).
wait_loaded() {
	local i
	for i in $(seq 1 $((${2:-10} * 20))); do
		curl -s "http://127.0.0.1:$1/metrics" | grep -qx 'lancre_ocsp_loading 0' && return 0
		sleep 0.05
	done
	return 1
}

# child_pid PID NAME: the PID of the child of PID (lancre run's supervisor) that runs
# the process table's row NAME (server, signer): children are named lancre-NAME.
child_pid() {
	ps -o pid=,comm= --ppid "$1" | awk -v c="lancre-$2" '$2 == c { print $1 }'
}

# e1_status PORT NAME: what the server on PORT answers for $T/NAME.pem, a leaf of e1
# (good, revoked, ...; nothing for an error), as openssl ocsp verifies it.
e1_status() {
	openssl ocsp -issuer "$T/e1.pem" -cert "$T/$2.pem" -url "http://127.0.0.1:$1/ocsp" \
		-VAfile "$T/e1.pem" -no_nonce 2>/dev/null | sed -n "s|^$T/$2.pem: ||p"
}
# until_e1_status PORT NAME WANT SECONDS: poll e1_status until it is WANT; prints the ms
# it took, or returns 1 after SECONDS (scaled by TF).
until_e1_status() {
	local t0 i
	t0=$(date +%s%N)
	for i in $(seq 1 $(($4 * 20 * TF))); do
		[ "$(e1_status "$1" "$2")" = "$3" ] && { echo $((($(date +%s%N) - t0) / 1000000)); return 0; }
		sleep 0.05
	done
	return 1
}

# start_serve [SECONDS]: `lancre serve -d $D` in the background on fresh ports, output
# in $T/serve.out and $T/serve.err; sets $pid, $P and $A; returns once /healthz answers
# (0), or after SECONDS (default 10) without it (1).
start_serve() {
	P=$(free_port)
	A=$(free_port)
	"$LANCRE" serve -d "$D" --listen "127.0.0.1:$P" --admin "127.0.0.1:$A" --threads 2 \
		>"$T/serve.out" 2>"$T/serve.err" &
	pid=$!
	wait_http "http://127.0.0.1:$A/healthz" "${1:-10}"
}

# start_run: `lancre run -d $D` in the background on fresh ports, output in
# $T/run.out and $T/run.err; sets $pid (the supervisor), $server, $signer and
# $adminp (its children), $P, $A and $API (public, /healthz and admin API ports)
# once /healthz answers.  The admin API gets a fresh port too (its default, the
# public port + 2, could be another test's), on $API_HOST (default 127.0.0.1).
start_run() {
	P=$(free_port)
	A=$(free_port)
	API=$(free_port)
	"$LANCRE" run -d "$D" --listen "127.0.0.1:$P" --admin "127.0.0.1:$A" --threads 2 \
		--api "${API_HOST:-127.0.0.1}:$API" >"$T/run.out" 2>"$T/run.err" &
	pid=$!
	wait_http "http://127.0.0.1:$A/healthz"
	signer=$(child_pid "$pid" signer)
	server=$(child_pid "$pid" server)
	adminp=$(child_pid "$pid" admin)
}

# mktls NAME CA EKU SUBJECT [SAN]: $T/tls/NAME.pem and NAME.key (mode 0600, the running
# user's: root's as root), signed by CA (self-signed when CA is -), for the admin
# listener's TLS (admin_tls.sh, admin_reload.sh); the caller makes $T/tls.
mktls() {
	local name=$1 ca=$2 eku=$3 subj=$4 san=${5:-}
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/tls/$name.key" 2>/dev/null
	chmod 600 "$T/tls/$name.key"
	if [ "$ca" = - ]; then
		printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n' >"$T/tls/$name.ext"
	else
		printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n%s' \
			"$eku" "${san:+subjectAltName=$san
}" >"$T/tls/$name.ext"
	fi
	openssl req -new -key "$T/tls/$name.key" -subj "$subj" -out "$T/tls/$name.csr" 2>/dev/null
	if [ "$ca" = - ]; then
		openssl x509 -req -in "$T/tls/$name.csr" -signkey "$T/tls/$name.key" -days 30 \
			-extfile "$T/tls/$name.ext" -out "$T/tls/$name.pem" 2>/dev/null
	else
		openssl x509 -req -in "$T/tls/$name.csr" -CA "$T/tls/$ca.pem" -CAkey "$T/tls/$ca.key" \
			-set_serial "0x$(openssl rand -hex 8)" -days 30 -extfile "$T/tls/$name.ext" \
			-out "$T/tls/$name.pem" 2>/dev/null
	fi
}

# wait_file FILE [SECONDS]: until FILE exists.
wait_file() {
	local i
	for i in $(seq 1 $((${2:-10} * 20 * TF))); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# wait_gone PID [SECONDS]: until PID (a child of this shell) has exited and been
# reaped; sets $st to its exit status, or to "timeout".
wait_gone() {
	local i
	for i in $(seq 1 $((${2:-10} * 20 * TF))); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			st=$?
			return 0
		fi
		sleep 0.05
	done
	st=timeout
	return 1
}

# store_pg_url DIR: the postgresql:// URL DIR's lancre.conf names as its store (as
# tests/run.sh's PostgreSQL pass makes it), or nothing and status 1 for a SQLite store.
store_pg_url() {
	sed -n 's/^[[:space:]]*store[[:space:]]*=[[:space:]]*\(postgres\(ql\)\{0,1\}:\/\/[^[:space:]]*\).*/\1/p' \
		"$1/lancre.conf" | grep .
}

# store_integrity DIR: "ok" when DIR's store is sound: SQLite's PRAGMA integrity_check;
# in PostgreSQL, amcheck's bt_index_check of every B-tree index of lancre's tables
# (each index agrees with its table's ordering), which errors out otherwise.
store_integrity() {
	local url
	if url=$(store_pg_url "$1"); then
		psql "$url" -X -q -A -t -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION IF NOT EXISTS amcheck' \
			-c "SELECT count(bt_index_check(c.oid, true)) FROM pg_index i
			    JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
			    JOIN pg_namespace s ON s.oid = c.relnamespace
			    WHERE a.amname = 'btree' AND s.nspname = 'public' AND c.relkind = 'i'" \
			>"$T/.integrity" 2>&1 && grep -qx '[1-9][0-9]*' "$T/.integrity" && echo ok ||
			sed 's/^/# /' "$T/.integrity"
	else
		sqlite3 "$1/lancre.db" 'PRAGMA integrity_check'
	fi
}

# metric NAME: the value of /metrics' NAME at the admin listener $A (nothing if absent).
metric() { curl -s "http://127.0.0.1:$A/metrics" | sed -n "s/^$1 //p"; }

# revoked_rows N: N revoked certificates of issuer 1 straight into $D's store (as
# bench/crl.sh does): random 16-byte serials, expired yesterday so that the signer signs
# no OCSP response for them, while the first CRL after their revocation still lists them.
revoked_rows() {
	local now
	now=$(date +%s)
	sqlite3 "$D/lancre.db" <<SQL
BEGIN;
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < $1)
INSERT INTO certificates (issuer_id, serial, not_before, not_after, status, revoked_at, reason,
    shard, fingerprint, added_at, changed_at, change_seq)
SELECT 1, X'01' || randomblob(15), $now - 30 * 86400, $now - 86400, 1, $now - 2 * 86400, 1, 1,
    randomblob(32), $now, $now, 1 FROM n;
UPDATE meta SET value = (SELECT max(change_seq) FROM certificates) WHERE key = 'change_seq';
COMMIT;
SQL
}

# signed_store N K SEED: $D, a store of one issuer e1 (under root) with N certificates
# from lancre-gencerts and the response of each, signed by `lancre sign --once` with
# [ocsp] sha256 = no (one response a certificate); then K requests for them drawn with
# SEED by lancre-ocspbench: "<serial> <base64>" lines in $T/reqs.txt, each one's stored
# response in $T/files/<serial>.der.  Two checks: the signing and the requests (counted
# in the script's n: no local here may be named n).
signed_store() {
	local certs=$1 k=$2 seed=$3 build=${LANCRE_BUILD:-$(dirname "$LANCRE")}
	mkca root
	mkca e1 root ec
	D=$T/data
	"$LANCRE" init -d "$D" >/dev/null
	"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
	conf_set "$D/lancre.conf" ocsp sha256 no
	"$build/lancre-gencerts" --issuer-cert "$T/e1.pem" --issuer-key "$T/e1.key" --count "$certs" \
		--out "$T/certs.der" 2>/dev/null
	"$LANCRE" cert add -q -d "$D" "$T/certs.der" >/dev/null
	expect 0 "lancre sign --once signs the $certs certificates" "$LANCRE" sign -d "$D" --once
	mkdir "$T/files"
	expect 0 "$k requests drawn from all $certs, with the bytes the store holds" \
		"$build/lancre-ocspbench" requests -d "$D" --out "$T/reqs.txt" --requests "$k" \
		--responses "$T/files" --seed "$seed"
}
