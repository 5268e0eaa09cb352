#!/bin/bash
# The attack at the top of issue 16, scripted: a taken-over public server tries
# to rewrite the truth.  With `lancre run` started as root and the data directory
# laid out as for root (lancre.db lancre-signer:<server group> 0640, private/
# lancre-signer 0700), the server's user (lancre-server) cannot write the store
# with sqlite3 nor open it O_RDWR, and the next OCSP response and CRL still say
# revoked; the running server holds no descriptor to lancre.db, -wal or -shm
# opened for writing (/proc/PID/fdinfo) and never opens private/ (strace).  The
# store refuses an un-revoke whoever asks.  An issuer named with '../' put into
# the store by hand is refused by the signer in one line, and nothing is written
# outside public/.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! id lancre-server >/dev/null 2>&1 || ! id lancre-signer >/dev/null 2>&1; then
	echo "1..0 # SKIP needs root and the users lancre-server and lancre-signer (scripts/users.sh)"
	exit 0
fi

D=$T/data
P=$(free_port)
A=$(free_port)
"$LANCRE" init -d "$D" --listen "127.0.0.1:$P" >/dev/null
conf_set "$D/lancre.conf" crl delay 2s
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
mkleaf a e1
mkleaf b e1
mkleaf c e1
"$LANCRE" cert add -d "$D" "$T/a.pem" "$T/b.pem" "$T/c.pem" >/dev/null 2>&1
"$LANCRE" revoke -d "$D" --reason keyCompromise "$T/a.pem" >/dev/null
"$LANCRE" sign -d "$D" --once >/dev/null
DB=$D/lancre.db
serial_a=$(openssl x509 -in "$T/a.pem" -noout -serial | cut -d= -f2)
serial_c=$(openssl x509 -in "$T/c.pem" -noout -serial | cut -d= -f2)

# The layout a root start gives the data directory (what `lancre init` as root
# sets; set here too, whatever init did, so that this test checks the store).
sgroup=$(id -gn lancre-server)
chown -R lancre-signer:"$sgroup" "$D"
chmod 2750 "$D"
chmod 0640 "$DB" "$DB-wal" "$DB-shm"
chown -R lancre-signer: "$D/private"
same "lancre.db, -wal and -shm are 0640" "$(stat -c %a "$DB" "$DB-wal" "$DB-shm" | sort -u)" 640
same "private/ is 0700 and keys.db 0600" "$(stat -c %a "$D/private") $(stat -c %a "$D/private/keys.db")" "700 600"

as_server() { setpriv --reuid=lancre-server --regid="$sgroup" --clear-groups "$@"; }

run_pid=
trap 'kill $run_pid 2>/dev/null; wait $run_pid 2>/dev/null; lib_exit' EXIT
"$LANCRE" run -d "$D" --admin "127.0.0.1:$A" --threads 2 --api off >"$T/run.out" 2>"$T/run.err" &
run_pid=$!
wait_http "http://127.0.0.1:$A/healthz" $((30 * TF)) || { cat "$T/run.err" >&2; not_ok "lancre run starts"; }
server=$(child_pid "$run_pid" server)
[ -n "$server" ] || server=$run_pid # before the process table: run itself serves

# No descriptor of the server on the store opened for writing.
writable=0 store_fds=0 private_fds=0
for f in /proc/"$server"/fd/*; do
	target=$(readlink "$f" 2>/dev/null) || continue
	case $target in
	"$D"/private/*) private_fds=$((private_fds + 1)) ;;
	"$DB" | "$DB"-wal | "$DB"-shm)
		store_fds=$((store_fds + 1))
		flags=$(sed -n 's/^flags:[[:space:]]*//p' /proc/"$server"/fdinfo/"${f##*/}")
		[ $((8#$flags & 3)) -ne 0 ] && writable=$((writable + 1))
		;;
	esac
done
if [ "$store_fds" -ge 1 ] && [ "$writable" -eq 0 ]; then ok "the server ($server) holds $store_fds descriptors on the store, none writable"; else not_ok "the server holds $writable writable descriptors on the store (of $store_fds)"; fi
same "and none in private/" "$private_fds" 0

# The attack, as the server's user.
expect_fail_sql() {
	run as_server sqlite3 "$DB" "$1"
	if [ "$rc" -ne 0 ]; then ok "$2"; else not_ok "$2 (sqlite3 exited 0)"; fi
}
expect_fail_sql "UPDATE certificates SET status = 0 WHERE status = 1" "as lancre-server, sqlite3 cannot un-revoke"
expect_fail_sql "UPDATE meta SET value = value + 1 WHERE key = 'change_seq'" "nor bump the change counter"
expect_fail_sql "INSERT INTO certificates (issuer_id, serial, not_before, not_after, shard, fingerprint, added_at, changed_at, change_seq) VALUES (1, x'0bad', 0, 4000000000, 1, zeroblob(32), 0, 0, 99)" "nor insert a serial never issued"
for f in "$DB" "$DB-wal" "$DB-shm"; do
	run as_server sh -c 'exec 3<>"$1"' sh "$f" # <> opens O_RDWR
	if [ "$rc" -ne 0 ] && grep -q "Permission denied" "$ERR"; then ok "as lancre-server, O_RDWR on $(basename "$f") is refused"; else not_ok "as lancre-server, O_RDWR on $(basename "$f") (exit $rc)"; fi
done
run as_server ls "$D/private"
if [ "$rc" -ne 0 ] && grep -q "Permission denied" "$ERR"; then ok "as lancre-server, private/ cannot be read"; else not_ok "as lancre-server, private/ is readable"; fi
same "the store still says revoked" "$(sqlite3 "$DB" "select status from certificates where hex(serial) like '%$serial_a'")" 1
# The key file outside private/ (where an operator may keep it: key_ref names
# it), tried with the running server's own credentials, read from /proc: its
# real uid, gid and supplementary groups.
run as_running "$server" cat "$T/e1.key"
if [ "$rc" -ne 0 ] && grep -q "Permission denied" "$ERR"; then ok "with the server's credentials (/proc/$server/status), the issuer's key file outside private/ cannot be read"; else not_ok "the server's credentials read $T/e1.key (exit $rc)"; fi
run as_running "$server" ls "$D/private"
if [ "$rc" -ne 0 ] && grep -q "Permission denied" "$ERR"; then ok "nor private/"; else not_ok "the server's credentials list private/ (exit $rc)"; fi

# The next OCSP response and CRL: revoking c makes the signer sign again.
"$LANCRE" revoke -d "$D" --reason superseded "$T/c.pem" >/dev/null
url="http://127.0.0.1:$P/crl/e1.crl" # the full CRL
for _ in $(seq 1 $((100 * TF))); do
	curl -s -o "$T/now.crl" "$url"
	openssl crl -inform DER -in "$T/now.crl" -noout -text 2>/dev/null | grep -q "Serial Number: $serial_c" && break
	sleep 0.1
done
crl_text=$(openssl crl -inform DER -in "$T/now.crl" -noout -text 2>/dev/null)
if grep -q "Serial Number: $serial_c" <<<"$crl_text" && grep -q "Serial Number: $serial_a" <<<"$crl_text"; then ok "the next CRL (with c) still lists a"; else not_ok "the next CRL still lists a"; fi
run openssl ocsp -issuer "$T/e1.pem" -cert "$T/a.pem" -url "http://127.0.0.1:$P/ocsp" -noverify -no_nonce
has "$OUT" "a.pem: revoked" "the OCSP response for a still says revoked"

# The store refuses an un-revoke, even from root's sqlite3.
run sqlite3 "$DB" "UPDATE certificates SET status = 0 WHERE status = 1"
if [ "$rc" -ne 0 ] && grep -q "stays revoked" "$ERR"; then ok "sqlite3 as root cannot un-revoke: the trigger says why"; else not_ok "un-revoke as root (exit $rc)"; fi
run sqlite3 "$DB" "DELETE FROM certificates WHERE status = 1"
if [ "$rc" -ne 0 ] && grep -q "stays revoked" "$ERR"; then ok "nor delete a revoked certificate"; else not_ok "delete of a revoked certificate (exit $rc)"; fi

kill "$run_pid"
wait "$run_pid" 2>/dev/null
run_pid=

# The server never opens private/: every file `lancre serve` opens, through a reload.
S=$(free_port)
strace -f -qq -e trace=open,openat,openat2 -o "$T/strace.log" "$LANCRE" serve -d "$D" \
	--listen "127.0.0.1:$S" --admin "127.0.0.1:$(free_port)" --threads 1 >/dev/null 2>&1 &
spid=$!
wait_http "http://127.0.0.1:$S/" $((30 * TF))
"$LANCRE" revoke -d "$D" --reason superseded "$T/b.pem" >/dev/null
"$LANCRE" sign -d "$D" --once >/dev/null
sleep 1.5
kill $(pgrep -P "$spid") # the server: strace ends with it
wait "$spid" 2>/dev/null
if grep -q "lancre.db" "$T/strace.log"; then ok "strace saw lancre serve open the store"; else not_ok "strace saw lancre serve open the store"; fi
same "and never anything in private/" "$(grep -c "$D/private" "$T/strace.log")" 0

# An issuer name with '../' put into the store by hand: refused by the signer, in
# one line, and nothing written outside public/.
id1=$(sqlite3 "$DB" "select id from issuers where name = 'e1'")
sqlite3 "$DB" "INSERT INTO issuers (name, cert, key_ref, crl_shards, added_at, has_key)
  SELECT '../../evil', cert, '', crl_shards, added_at, 1 FROM issuers WHERE id = $id1;
  UPDATE meta SET value = value + 1 WHERE key = 'issuer_seq';"
evil=$(sqlite3 "$DB" "select id from issuers where name = '../../evil'")
sqlite3 "$D/private/keys.db" "INSERT INTO issuer_keys (issuer_id, key_ref) SELECT $evil, key_ref FROM issuer_keys WHERE issuer_id = $id1"
run "$LANCRE" sign -d "$D" --once
same "sign --once still signs for the others" "$rc" 0
same "one line about the name" "$(grep -c 'evil' "$ERR")" 1
has "$ERR" "cannot sign for issuer \.\./\.\./evil.*refused" "saying it is refused"
same "nothing named evil outside public/" "$(find "$T" -name '*evil*' -not -path "$D/public/*" | wc -l)" 0
same "nor inside it" "$(find "$D/public" -name '*evil*' | wc -l)" 0

# Someone who may write the file (root here) drops the trigger, un-revokes a and adds a
# serial no certificate made: the signer refuses both, and the server, which cannot read
# the signer's log, counts each refusal on /metrics (the signer's word, via the store).
sqlite3 "$DB" "DROP TRIGGER certificates_revocation_final;
  UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
  UPDATE certificates SET status = 0, change_seq = (SELECT value FROM meta WHERE key = 'change_seq')
    WHERE hex(serial) LIKE '%$serial_a';
  INSERT INTO certificates (issuer_id, serial, not_before, not_after, shard, fingerprint, added_at,
    changed_at, change_seq) VALUES ($id1, x'0bad', 0, 4000000000, 1, zeroblob(32), 0, 0,
    (SELECT value FROM meta WHERE key = 'change_seq'));"
run "$LANCRE" sign -d "$D" --once
has "$ERR" "refused to sign issuer e1 serial .*revocation is final" "the signer refuses good for a, signed revoked before"
has "$ERR" "refused to sign issuer e1 serial 0bad: no certificate" "and the serial no certificate made"
S=$(free_port) SA=$(free_port)
"$LANCRE" serve -d "$D" --listen "127.0.0.1:$S" --admin "127.0.0.1:$SA" --threads 1 >/dev/null 2>&1 &
run_pid=$!
wait_http "http://127.0.0.1:$SA/healthz" $((30 * TF))
curl -s "http://127.0.0.1:$SA/metrics" >"$T/metrics"
# ('../../evil' twice: each sign --once above told it once)
for want in revoked_before:1 no_certificate:1 bad_issuer:2; do
	has "$T/metrics" "^lancre_signer_refusals_total\{reason=\"${want%%:*}\"\} ${want#*:}\$" "/metrics counts the signer's refusals: ${want%%:*} ${want#*:}"
done
run openssl ocsp -issuer "$T/e1.pem" -cert "$T/a.pem" -url "http://127.0.0.1:$S/ocsp" -noverify -no_nonce
has "$OUT" "a.pem: revoked|Responder Error: unauthorized" "and a is not answered good (the store, changed behind lancre's back, now disagrees with what was signed)"
kill "$run_pid"
wait "$run_pid" 2>/dev/null
run_pid=

echo "1..$n"
