#!/bin/bash
# Read-only commands (status, issuer list, answer, urls) open the store read-only:
# a user who may only read the data directory gets answers, not "attempt to write
# a readonly database", and nothing is written (issue 15 item 15).  Run as
# nobody (setpriv), over a copy of a data directory that all may read but only
# root may write, with and without the WAL's -wal and -shm files present.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	echo "1..0 # SKIP needs root and setpriv to run as nobody"
	exit 0
fi

mkca root
mkca e1 root ec
mkleaf a e1
D=$T/data
"$LANCRE" init -d "$D" >/dev/null
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
"$LANCRE" cert add -d "$D" "$T/a.pem" >/dev/null
"$LANCRE" sign -d "$D" --once >/dev/null
openssl ocsp -issuer "$T/e1.pem" -cert "$T/a.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
chmod a+rX "$T" "$T/a.pem" "$T/req.der"

# as_nobody CMD...: run CMD as nobody:nogroup with no supplementary groups.
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

# digests DIR: the store's files, each as NAME=SHA-256 (or missing).
digests() {
	local f
	for f in lancre.db lancre.db-wal lancre.db-shm; do
		if [ -e "$1/$f" ]; then echo "$f=$(sha256sum <"$1/$f" | cut -d' ' -f1)"; else echo "$f=missing"; fi
	done
}

# readable WHAT DIR: each read-only command works as nobody and writes nothing.
readable() {
	local what=$1 dir=$2 before
	before=$(digests "$dir")
	expect 0 "$what: status as nobody" as_nobody "$LANCRE" status -d "$dir" "$T/a.pem"
	has "$OUT" '^status: good$' "$what: status says good"
	expect 0 "$what: issuer list as nobody" as_nobody "$LANCRE" issuer list -d "$dir"
	has "$OUT" '^e1[[:space:]]' "$what: issuer list lists e1"
	expect 0 "$what: answer as nobody" as_nobody "$LANCRE" answer -d "$dir" --post "$T/req.der"
	same "$what: answer gives a successful OCSP response" "$(openssl ocsp -respin "$OUT" -resp_text -noverify 2>/dev/null | grep -c 'Cert Status: good')" 1
	expect 0 "$what: urls as nobody" as_nobody "$LANCRE" urls -d "$dir" --issuer e1
	has "$OUT" '^ocsp: http://' "$what: urls prints the OCSP URL"
	same "$what: nothing was written" "$(digests "$dir")" "$before"
}

# A stopped store: its writers left -wal and -shm in place (issue 16), which
# nobody may read but not write.
same "writers leave -wal and -shm in place" "$(ls "$D" | grep -c -- '-wal\|-shm')" 2
cp -a "$D" "$T/kept"
chmod -R a+rX "$T/kept"
readable "a stopped store with its -wal and -shm" "$T/kept"

# A copy without them (a backup, or a store an older lancre closed), which nobody
# cannot create.
cp -a "$D" "$T/copy"
rm -f "$T/copy/lancre.db-wal" "$T/copy/lancre.db-shm"
chmod -R a+rX "$T/copy"
readable "a stopped store without -wal or -shm" "$T/copy"

# The live directory, with a server holding the store open (-wal and -shm there,
# written by root).
chmod -R a+rX "$D"
P=$(free_port)
"$LANCRE" serve -d "$D" --listen "127.0.0.1:$P" --admin "127.0.0.1:$(free_port)" --threads 1 >"$T/serve.log" 2>&1 &
SP=$!
trap 'kill $SP 2>/dev/null; wait $SP 2>/dev/null; lib_exit' EXIT
wait_http "http://127.0.0.1:$P/" $((30 * TF)) || { cp "$T/serve.log" "$ERR"; not_ok "the server starts"; }
if [ -e "$D/lancre.db-shm" ] && [ -e "$D/lancre.db-wal" ]; then ok "a running server keeps -wal and -shm"; else not_ok "a running server keeps -wal and -shm"; fi
readable "a store a server holds open" "$D"

# A writing command still needs write access, and says so.
expect 1 "cert add as nobody fails" as_nobody "$LANCRE" cert add -d "$T/copy" "$T/a.pem"
one_line_error "in one line"

echo "1..$n"
