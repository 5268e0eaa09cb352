#!/bin/bash
# The running signer when its writes fail (a full disk, simulated by a file
# size limit: every write to the store's WAL fails): it logs the failure and
# tries again, 1 s later, then 2, 4...; it does not exit, and `lancre serve`
# goes on serving the responses already signed.  Once writes work again (the
# limit raised from outside with prlimit), the next try re-signs the
# revocation that waited, and openssl reads it as revoked.  `lancre sign
# --once` under the same limit fails with one clear line and changes nothing.
. "$(dirname "$0")/lib.sh"

GEN=${LANCRE_BUILD:-$(dirname "$LANCRE")}/lancre-gencerts
P=$(free_port)
A=$(free_port)
D=$T/data
"$LANCRE" init -d "$D" --listen "127.0.0.1:$P" >/dev/null
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
"$GEN" --issuer-cert "$T/e1.pem" --issuer-key "$T/e1.key" --count 4 --format pem \
	--out "$T/leaves.pem" 2>/dev/null
awk -v d="$T" '/BEGIN CERT/{n++} {print > (d "/leaf" n ".pem")}' "$T/leaves.pem"
"$LANCRE" cert add -d "$D" "$T/leaves.pem" >/dev/null
expect 0 "lancre sign --once signs the leaves" "$LANCRE" sign -d "$D" --once
DB=$D/lancre.db
count() { sqlite3 "$DB" 'select count(*) from ocsp_responses'; }
before=$(count)

# limited CMD...: CMD with writes past 32 KiB in any file failing (EFBIG): the
# WAL index (-shm, 32 KiB), which the first writer re-creates when no other
# connection holds it (the server only reads since issue 16), fits; a signing
# pass's WAL (four 8 KiB frames and more) does not.  SIGXFSZ ignored, as
# write() then fails instead of killing the process.
limited() { (trap '' XFSZ && ulimit -S -f 32 && exec "$@"); }

# The server holds the store open, so the store's shared-memory file exists
# at its full size and the signer's writes of responses are the first to
# fail (alone, opening the store would fail, growing that file).
# As root the server runs as lancre-server, which may not create the -shm (issue 16):
# a reader with the store open as root (Python's sqlite3) keeps it there, as it did.
serve_pid= sign_pid= hold_pid=
trap 'kill $serve_pid $sign_pid $hold_pid 2>/dev/null; lib_exit' EXIT # also when cut short
# The holder says when it has the store open: sqlite3 above, the last connection to
# close, removed the -wal and -shm, and a server started before the holder has made
# them again cannot open the store ("unable to open database file", seen in CI).
"$PY" -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1]); c.execute("select count(*) from certificates").fetchall()
open(sys.argv[2], "w").close()
time.sleep(300)' "$D/lancre.db" "$T/holding" &
hold_pid=$!
wait_file "$T/holding" || not_ok "the holder opened the store"
"$LANCRE" serve -d "$D" --admin "127.0.0.1:$A" >"$T/serve.log" 2>&1 &
serve_pid=$!
wait_http "http://127.0.0.1:$A/healthz" || cat "$T/serve.log"
"$LANCRE" revoke -d "$D" --reason keyCompromise "$T/leaf1.pem" >/dev/null
run limited "$LANCRE" sign -d "$D" --once
same "lancre sign --once on a full disk exits 1" "$rc" 1
one_line_error "with one line on stderr"
# The first write of a pass renews the signer's leases (docs/DESIGN.md, "Many signers").
has "$ERR" "^lancre sign: (writing 2 OCSP responses|the signer's leases): .*(disk I/O error|disk is full)" \
	"saying which write failed, and why"
revoked_signed() {
	sqlite3 "$DB" "select count(*) from ocsp_responses r join certificates c
	    on c.id = r.cert_id where c.status = 1 and r.cert_seq = c.change_seq"
}
same "nothing was stored" "$(count) $(revoked_signed)" "$before 0"
same "the store is intact" "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok

# Not through limited(): $! must be lancre itself, for prlimit and kill.
(trap '' XFSZ && ulimit -S -f 32 && exec "$LANCRE" sign -d "$D" >"$T/sign.out" 2>"$T/sign.err") &
sign_pid=$!
for _ in $(seq 1 100); do
	grep -q 'trying again in' "$T/sign.err" && break
	sleep 0.1
done
has "$T/sign.err" "lancre sign: (writing 2 OCSP responses|the signer's leases): .*(disk I/O error|disk is full); trying again in 1 s\$" \
	"the running signer logs the failed write and when it will try again"
for _ in $(seq 1 $((50 * TF))); do
	grep -q 'trying again in 2 s$' "$T/sign.err" && break
	sleep 0.1
done
has "$T/sign.err" 'trying again in 2 s$' "a second failure waits twice as long"
if kill -0 "$sign_pid" 2>/dev/null; then ok "and the signer keeps running"; else not_ok "the signer exited"; fi
B=http://127.0.0.1:$P
ocsp() { openssl ocsp -issuer "$T/e1.pem" -cert "$1" -url "$B/ocsp" -CAfile "$T/root.pem" 2>&1; }
if ocsp "$T/leaf1.pem" | grep -q ': good$'; then
	ok "meanwhile the server serves the response signed before"
else
	not_ok "the server does not answer"
fi

# As lancre-signer when root: the signer runs as it, and root may lack CAP_SYS_RESOURCE.
expect 0 "writes work again (prlimit raises the limit)" as_signer prlimit --pid "$sign_pid" --fsize=unlimited
got=
for _ in $(seq 1 $((100 * TF))); do
	got=$(ocsp "$T/leaf1.pem")
	printf '%s' "$got" | grep -q ': revoked$' && break
	sleep 0.1
done
if printf '%s' "$got" | grep -q ': revoked$' && printf '%s' "$got" | grep -q 'Response verify OK'; then
	ok "the next try re-signs the revocation: openssl reads it revoked and verifies it"
else
	not_ok "the revocation was not served after writes came back: $got"
fi
has "$T/sign.err" 'lancre sign: working again after [0-9]+ failed tries$' "the signer says it works again"
if ocsp "$T/leaf2.pem" | grep -q ': good$'; then ok "the other leaves are still good"; else not_ok "another leaf changed"; fi
kill -TERM "$sign_pid"
wait "$sign_pid"
same "SIGTERM stops the signer with status 0" "$?" 0
kill "$serve_pid" 2>/dev/null
wait "$serve_pid" 2>/dev/null
same "the store is intact" "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok

echo "1..$n"
