#!/bin/bash
# Two signers on one PostgreSQL database (issue 18, "Many signers"): two
# `lancre sign` processes, each with its own data directory, share the work
# through leases in the database (one per issuer and CRL shard).  With two
# issuers of four shards, each signer takes its share; certificates added
# then are signed by one of them only: the responses they say they signed
# add up to exactly one per certificate and hash, and each signed some.  A
# sampler reads every stored CRL number during the run: none goes down and
# none repeats for another CRL; and every CRL file either signer publishes
# (both data directories, read with `openssl crl -crlnumber`): its number
# never goes down, and one number is one CRL.  Signatures are counted (key
# operations, from the signers' logs: written, or signed and then dropped
# at the fence), not only the responses stored.  Then signer B stalls
# (SIGSTOP) in the middle of a batch (its signatures slowed by a test hook)
# while certificates are added and others of its shards revoked: A takes
# its leases over once they expire ([signer] lease = 3s here), signs B's
# share and the revocations and publishes those shards' CRLs, within the
# lease and a few renewals; B, woken, finishes its batch and the fence
# refuses its write.  Then A is SIGKILLed: B, on the same host, sees the
# process gone and takes over at once, and signs revocations in A's shards.
# Each response is still signed once.  A signer that stops cleanly gives
# its leases back.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PGD=$T/pg
pids=()
stop_all() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	"$ROOT/scripts/pg.sh" stop "$PGD" >/dev/null 2>&1
	lib_exit
}
trap stop_all EXIT
mkdir -m 755 "$PGD"
if ! "$ROOT/scripts/pg.sh" start "$PGD" >"$T/pg.out" 2>&1; then
	not_ok "PostgreSQL starts (scripts/pg.sh start)"
	sed 's/^/#   /' "$T/pg.out"
	exit 1
fi
. "$PGD/env"
chmod 755 "$PGD" "$PGD/sock"
PORT=${LANCRE_TEST_PG##*:}
PORT=${PORT%%/*}
psql -q "$LANCRE_TEST_PG" -c 'CREATE DATABASE signers' >/dev/null
URL="postgresql://postgres@/signers?host=$PGD/sock&port=$PORT"
sql() { psql -qAt "postgresql://postgres@127.0.0.1:$PORT/signers" -c "$1" 2>&1; }
LEASE=3

DA=$T/a
DB=$T/b
expect 0 "lancre init --store postgresql://... --shards 4" "$LANCRE" init -d "$DA" --store "$URL" --shards 4
conf_set "$DA/lancre.conf" signer lease "${LEASE}s"
conf_set "$DA/lancre.conf" crl delay 2s
mkdir -p "$DB"
cp "$DA/lancre.conf" "$DB/lancre.conf"
chown -R "$(stat -c %u:%g "$DA")" "$DB" # as root, owned as lancre init makes a directory
mkca root
for i in e1 e2; do
	mkca "$i" root ec
	expect 0 "issuer add $i" "$LANCRE" issuer add -d "$DA" "$i" "$T/$i.pem" "$T/$i.key"
done

# Leaves for both issuers, made in one Python process (openssl per leaf is slow): NCERT
# for the start, NMORE added while B stalls.
NCERT=1000
NMORE=200
"$PY" - "$T" "$NCERT" "$NMORE" <<'PYEOF'
import sys, datetime, os
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
t, n, more = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
key = ec.generate_private_key(ec.SECP256R1())
now = datetime.datetime.now(datetime.timezone.utc)
for iss in ("e1", "e2"):
    ca = x509.load_pem_x509_certificate(open(f"{t}/{iss}.pem", "rb").read())
    cakey = serialization.load_pem_private_key(open(f"{t}/{iss}.key", "rb").read(), None)
    for name, lo, hi in (("leaves", 0, n), ("more", n, n + more)):
      with open(f"{t}/{iss}-{name}.pem", "wb") as out:
        for i in range(lo, hi):
            c = (x509.CertificateBuilder().subject_name(
                x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, f"{iss}-{i}.test")]))
                .issuer_name(ca.subject).public_key(key.public_key())
                .serial_number(int.from_bytes(os.urandom(12), "big") >> 1)
                .not_valid_before(now - datetime.timedelta(minutes=1))
                .not_valid_after(now + datetime.timedelta(days=90))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"{iss}-{i}.test")]),
                               critical=False)
                .sign(cakey, hashes.SHA256()))
            out.write(c.public_bytes(serialization.Encoding.PEM))
PYEOF
[ "$(grep -c BEGIN "$T/e2-more.pem")" = $NMORE ] || not_ok "the leaves are made"

# Signer A first, then B: each holds leases before any certificate is added.
"$LANCRE" sign -d "$DA" >"$T/a.out" 2>"$T/a.err" &
sign_a=$!
pids+=("$sign_a")
# B's signatures wait as long as $DB/delay says (microseconds), read at each batch.
LANCRE_TEST_SIGN_DELAY_FILE=$DB/delay "$LANCRE" sign -d "$DB" >"$T/b.out" 2>"$T/b.err" &
sign_b=$!
pids+=("$sign_b")
# The CRL samplers, five times a second: every stored CRL's (issuer, shard, number,
# digest); and every CRL file of both data directories that changed since the last look
# (path, number as openssl reads it, digest).
declare -A fseen
sample_files() {
	local f m num
	while read -r f m; do
		[ "${fseen[$f]-}" = "$m" ] && continue
		fseen[$f]=$m
		# One read of the file: the signer may replace it between two (a number of one
		# CRL with another's digest would look like two CRLs with one number).
		cp "$f" "$T/sample.crl" 2>/dev/null || continue
		num=$(openssl crl -inform DER -noout -crlnumber -in "$T/sample.crl" 2>/dev/null) || continue
		echo "${f#$T/}|${num#*=}|$(md5sum <"$T/sample.crl" | cut -c1-32)"
	done < <(find "$DA/public/crl" "$DB/public/crl" -name '*.crl' -printf '%p %T@.%s.%i\n' 2>/dev/null)
}
(while :; do
	sql "SELECT issuer_id, shard, number, md5(der) FROM crls ORDER BY 1, 2" >>"$T/crls.log"
	sample_files >>"$T/files.log"
	sleep 0.2
done) &
pids+=("$!")
units=10 # two issuers, four shards and the full CRL each
# by PID: the SQL that a lease's holder is the signer PID ("name:hostid:PID:start:random").
by() { echo "split_part(holder, ':', 3) = '$1'"; }
# held PID: how many units the signer PID holds.
held() { sql "SELECT count(*) FROM leases WHERE $(by "$1")"; }
for i in $(seq 1 $((40 * TF))); do # until the shares settle (two that start together may race)
	[ "$(sql "SELECT count(DISTINCT holder), count(*) FROM leases WHERE holder <> ''")" = "2|$units" ] &&
		[ "$(held "$sign_a") $(held "$sign_b")" = "5 5" ] && break
	sleep 0.25
done
same "both signers hold leases, every unit leased" \
	"$(sql "SELECT count(DISTINCT holder), count(*) FROM leases WHERE holder <> ''")" "2|$units"
same "each holds its share of the $units units" "$(held "$sign_a") $(held "$sign_b")" "5 5"

expect 0 "cert add on A: $NCERT leaves of each issuer" "$LANCRE" cert add -d "$DA" -q "$T/e1-leaves.pem" "$T/e2-leaves.pem"
want=$((2 * NCERT * 2)) # SHA-1 and SHA-256 responses
for i in $(seq 1 $((40 * TF))); do
	[ "$(sql 'SELECT count(*) FROM ocsp_responses')" = $want ] && break
	sleep 0.25
done
same "every certificate's responses are stored" "$(sql 'SELECT count(*) FROM ocsp_responses')" $want
sleep 1 # a pass that would sign something twice would have logged by now
# lancre status knows each is signed from its unit's mark (no single signer's mark with two).
for who in "$sign_a" "$sign_b"; do
	c=$(sql "SELECT i.name || ' ' || encode(c.serial, 'hex') FROM leases l JOIN issuers i ON i.id = l.issuer_id
		JOIN certificates c ON c.issuer_id = l.issuer_id AND c.shard = l.shard
		WHERE $(by "$who") ORDER BY c.id LIMIT 1")
	expect 0 "lancre status of a certificate signed by $who" "$LANCRE" status -d "$DA" --issuer "${c%% *}" "${c##* }"
	has "$OUT" '^ocsp: good' "says it is signed and served good"
done
# count LOG WORD: what a signer's log says, all passes: "signed N responses for" (written:
# WORD for) or "N responses signed but not written" (dropped at the fence: WORD signed).
count() { awk -v w="$2" '{ for (i = 1; i + 2 <= NF; i++) if ($(i + 1) == "responses" && $(i + 2) == w && $i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' "$1"; }
signed() { count "$1" for; }
# signatures LOG: the signer's key operations for responses, written or dropped.
signatures() { echo $(($(count "$1" for) + $(count "$1" signed))); }
sa=$(signatures "$T/a.out")
sb=$(signatures "$T/b.out")
same "each response signed exactly once (signatures, not only writes): A $sa + B $sb" "$((sa + sb))" $want
[ "$sa" -gt 0 ] && [ "$sb" -gt 0 ] && ok "both signers signed some ($sa and $sb)" ||
	not_ok "both signers signed some ($sa and $sb)"
# Every certificate of B's units was signed by B, which the responses' shards tell apart from A's.
same "no response is older than its certificate's change" \
	"$(sql 'SELECT count(*) FROM certificates c JOIN ocsp_responses r ON r.cert_id = c.id WHERE r.cert_seq < c.change_seq')" 0

# pick_in HOLDER_PID: one good certificate in each CRL shard the signer PID holds now
# (sets victims).  Picked before that signer is stopped or killed: a signer that sees
# the other's process gone takes its units at once, and they are no longer its own.
pick_in() {
	mapfile -t victims < <(sql "SELECT i.name, encode(c.serial, 'hex') FROM leases l JOIN issuers i ON i.id = l.issuer_id
		JOIN LATERAL (SELECT serial FROM certificates WHERE issuer_id = l.issuer_id AND shard = l.shard
		AND status = 0 LIMIT 1) c ON true WHERE $(by "$1") AND l.shard > 0")
}
# revoke_picked: revoke the victims pick_in chose; sets nv (how many) and t0 (when, ns).
revoke_picked() {
	local v
	nv=${#victims[@]}
	t0=$(date +%s%N)
	for v in "${victims[@]}"; do
		"$LANCRE" revoke -d "$DA" --reason keyCompromise --issuer "${v%%|*}" --serial "${v##*|}" >/dev/null 2>>"$T/revoke.err" ||
			not_ok "revoke ${v%%|*} ${v##*|}: $(tail -n 1 "$T/revoke.err")"
	done
}
# Done when each revoked certificate has both responses re-signed, and its shard and
# the full CRL a CRL built after the revocation.
done_q="SELECT (SELECT count(*) FROM certificates c JOIN ocsp_responses r ON r.cert_id = c.id
	WHERE c.status = 1 AND r.cert_seq >= c.change_seq),
	(SELECT count(*) FROM certificates c JOIN crls k ON k.issuer_id = c.issuer_id AND k.shard IN (0, c.shard)
	WHERE c.status = 1 AND k.built_seq >= c.change_seq)"
# taken_over WHO REVOKED LIMIT_MS: wait for the revocations to be signed and published.
taken_over() {
	local i took=
	for i in $(seq 1 $((150 * TF))); do
		if [ "$(sql "$done_q")" = "$((2 * $2))|$((2 * $2))" ]; then
			took=$((($(date +%s%N) - t0) / 1000000))
			break
		fi
		sleep 0.1
	done
	[ -n "$took" ] && [ "$took" -le "$3" ] &&
		ok "$1: revocations signed and CRLs published in $took ms (lease ${LEASE}s, limit $3 ms)" ||
		not_ok "$1 within $3 ms (${took:-never}; now: $(sql "$done_q"))"
}
limit=$(((LEASE + 2 * (LEASE / 3) + 3) * 1000 * TF))
revoked=0

# B stalls (SIGSTOP: alive, silent) in the middle of a batch: its signatures slowed to
# 20 ms, NMORE leaves of each issuer added (B's share, ~NMORE, takes it ~4 s), stopped
# 0.5 s after its signing threads start.  Once its leases expire, A takes its shards over: it signs B's share of the leaves
# and revocations in B's shards.
pick_in "$sign_b"
sb_before=$(signed "$T/b.out")
echo 20000 >"$DB/delay"
idle_tasks=$(ls "/proc/$sign_b/task" | wc -l)
expect 0 "cert add on A: $NMORE more leaves of each issuer" "$LANCRE" cert add -d "$DA" -q "$T/e1-more.pem" "$T/e2-more.pem"
# Stopped once its signing threads run (a batch has begun), a few signatures in.
for i in $(seq 1 $((50 * TF))); do
	[ "$(ls "/proc/$sign_b/task" | wc -l)" -gt "$idle_tasks" ] && break
	sleep 0.1
done
sleep 0.5
kill -STOP "$sign_b"
rm -f "$DB/delay" # its next batches are fast again; the one stopped keeps its pace
want=$((want + 2 * NMORE * 2))
revoke_picked
[ "$nv" -gt 0 ] && ok "certificates revoked in $nv of B's shards" || not_ok "certificates revoked in B's shards"
revoked=$((revoked + nv))
taken_over "B stalled mid-batch, A took its shards over after the lease" $revoked $limit
same "A holds every unit now" "$(held "$sign_a")" $units
for i in $(seq 1 $((40 * TF))); do
	[ "$(sql 'SELECT count(*) FROM ocsp_responses')" = $want ] && break
	sleep 0.25
done
same "A signed B's share of the new leaves too" "$(sql 'SELECT count(*) FROM ocsp_responses')" $want
# B wakes up: it finishes its batch, and the fence refuses its write (its units are A's).
kill -CONT "$sign_b"
for i in $(seq 1 $((60 * TF))); do
	[ "$(count "$T/b.out" signed)" -gt 0 ] && break
	sleep 0.25
done
dropped=$(count "$T/b.out" signed)
[ "$dropped" -gt 0 ] && ok "B's batch signed across the stop was dropped at the fence ($dropped responses)" ||
	not_ok "B's batch signed across the stop was dropped at the fence (its log: $(tail -n 3 "$T/b.out" | tr '\n' ' '))"
same "B, awake, wrote nothing more (its units are A's)" "$(signed "$T/b.out")" "$sb_before"

# A dies (SIGKILL): B, on the same host, sees its process gone and takes over at once.
pick_in "$sign_a"
kill -9 "$sign_a"
wait "$sign_a" 2>/dev/null
revoke_picked
[ "$nv" -gt 0 ] && ok "certificates revoked in $nv of A's shards" || not_ok "certificates revoked in A's shards"
revoked=$((revoked + nv))
taken_over "A killed, B took its shards over" $revoked $limit
same "B holds every unit now" "$(held "$sign_b")" $units
has "$T/b.out" ', [0-9]* CRLs' "B's log says it signed CRLs"
sa=$(signed "$T/a.out")
sb=$(signed "$T/b.out")
same "still each response written once: A $sa + B $sb (2 per revocation)" "$((sa + sb))" $((want + 2 * revoked))
sa=$(signatures "$T/a.out")
sb=$(signatures "$T/b.out")
same "and signed once, but for B's batch dropped at the fence: A $sa + B $sb - $dropped" \
	"$((sa + sb - dropped))" $((want + 2 * revoked))
same "no revoked certificate's response says otherwise" \
	"$(sql 'SELECT count(*) FROM certificates c JOIN ocsp_responses r ON r.cert_id = c.id WHERE r.cert_seq < c.change_seq')" 0

# Every CRL number seen, per (issuer, shard): never lower than the one before, and
# one number is one CRL (the same digest) whichever signer made it.
kill "${pids[2]}" 2>/dev/null
sleep 0.3
bad=$(awk -F'|' 'NF == 4 {
	k = $1 "|" $2
	if (k in last && $3 + 0 < last[k] + 0) { print "down " k " " last[k] " -> " $3; n++ }
	last[k] = $3
	if (($1 "|" $2 "|" $3) in dig && dig[$1 "|" $2 "|" $3] != $4) { print "repeat " k " " $3; n++ }
	dig[$1 "|" $2 "|" $3] = $4
	} END { print n + 0 }' "$T/crls.log" | tail -n 1)
same "no CRL number went down or named two CRLs ($(wc -l <"$T/crls.log") samples)" "$bad" 0
crls_seen=$(awk -F'|' 'NF == 4 { s[$1 "|" $2 "|" $3] = 1 } END { print length(s) }' "$T/crls.log")
[ "$crls_seen" -gt "$units" ] && ok "the sampler saw $crls_seen CRLs (more than one per unit)" ||
	not_ok "the sampler saw $crls_seen CRLs"
# The published files, as openssl reads them: in each directory a file's number never goes
# down, and one number of one file name is one CRL in both directories.
bad=$(awk -F'|' 'NF == 3 {
	num = sprintf("%40s", $2); gsub(/ /, "0", num)
	if ($1 in last && num < last[$1]) { print "down " $1 " " last[$1] " -> " num; n++ }
	last[$1] = num
	name = $1; sub(/^[ab]\//, "", name)
	if ((name "|" num) in dig && dig[name "|" num] != $3) { print "repeat " name " " num; n++ }
	dig[name "|" num] = $3
	} END { print n + 0 }' "$T/files.log" | tail -n 1)
same "no published CRL file's number went down or named two CRLs ($(wc -l <"$T/files.log") changes seen)" "$bad" 0
[ "$bad" = 0 ] || awk -F'|' 'NF == 3' "$T/files.log" | sort -s -t'|' -k1,1 | sed 's/^/# /' | head -n 80
files_seen=$(awk -F'|' 'NF == 3 { if ($1 ~ /^a\//) a++; else b++ } END { print (a > 0 && b > 0) ? a + b : 0 }' "$T/files.log")
[ "$files_seen" -gt "$units" ] && ok "CRL files of both directories sampled ($files_seen versions)" ||
	not_ok "CRL files of both directories sampled ($files_seen)"

# A clean stop gives the leases back at once.
kill -TERM "$sign_b"
wait "$sign_b"
same "signer B stopped cleanly" "$?" 0
same "its leases are free" "$(sql "SELECT count(*) FROM leases WHERE holder <> ''")" 0
sed 's/^/# A: /' "$T/a.err"
sed 's/^/# B: /' "$T/b.err"
echo "1..$n"
