#!/bin/sh
# Install the Debian 12 packages lancre needs for a purpose, if any are missing.
#   scripts/deps.sh build|test|bench
#   scripts/deps.sh --list build|test|bench   (print the package names only)
# Does nothing when everything is there; as root it runs apt-get, otherwise it
# prints the command to run.  Idempotent.
set -eu

build="build-essential pkg-config libssl-dev libsqlite3-dev libinih-dev libh2o-dev libh2o-evloop-dev \
libp11-kit-dev libseccomp-dev libcurl4-openssl-dev libpq-dev libjansson-dev openssl"
test_pkgs="$build libcmocka-dev python3 python3-cryptography gnutls-bin curl sqlite3 \
libengine-pkcs11-openssl softhsm2 opensc strace clang libclang-rt-14-dev faketime libfaketime util-linux \
iproute2 chromium python3-html5lib python3-pil python3-asn1crypto nginx-light postgresql-15"
bench_pkgs="$build time sqlite3 curl python3 python3-cryptography nghttp2-client nginx-light wrk util-linux softhsm2 postgresql-15"

list=0
if [ "${1:-}" = --list ]; then
	list=1
	shift
fi
case "${1:-build}" in
build) want=$build ;;
test) want=$test_pkgs ;;
bench) want="$bench_pkgs" ;;
*) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

if [ $list -eq 1 ]; then
	echo $want
	exit 0
fi
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "lancre needs these Debian packages:$missing" >&2
	echo "run: sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "Installing:$missing" >&2
apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >&2
