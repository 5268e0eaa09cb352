#!/bin/bash
# Two signers on one PostgreSQL database (issue 18, "Many signers"): two
# `lancre sign` processes, each with its own data directory, share the work
# through leases in the database (one per issuer and CRL shard).  With two
# issuers of four shards, each signer takes its share; certificates added
# then are signed by one of them only: the responses they say they signed
# add up to exactly one per certificate and hash, and each signed some.  A
# sampler reads every stored CRL number during the run: none goes down and
# none repeats for another CRL.  Then signer B stalls (SIGSTOP) and
# certificates of its shards are revoked: A takes its leases over once they
# expire ([signer] lease = 3s here), signs the revocations and publishes
# those shards' CRLs, within the lease and a few renewals; B, woken, writes
# nothing (fenced).  Then A is SIGKILLed: B, on the same host, sees the
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

# Leaves for both issuers, made in one Python process (openssl per leaf is slow).
NCERT=1000
"$PY" - "$T" "$NCERT" <<'PYEOF'
import sys, datetime, os
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
t, n = sys.argv[1], int(sys.argv[2])
key = ec.generate_private_key(ec.SECP256R1())
now = datetime.datetime.now(datetime.timezone.utc)
for iss in ("e1", "e2"):
    ca = x509.load_pem_x509_certificate(open(f"{t}/{iss}.pem", "rb").read())
    cakey = serialization.load_pem_private_key(open(f"{t}/{iss}.key", "rb").read(), None)
    with open(f"{t}/{iss}-leaves.pem", "wb") as out:
        for i in range(n):
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

# Signer A first, then B: each holds leases before any certificate is added.
"$LANCRE" sign -d "$DA" >"$T/a.out" 2>"$T/a.err" &
sign_a=$!
pids+=("$sign_a")
"$LANCRE" sign -d "$DB" >"$T/b.out" 2>"$T/b.err" &
sign_b=$!
pids+=("$sign_b")
# The CRL sampler: every stored CRL's (issuer, shard, number, digest), five times a second.
(while :; do
	sql "SELECT issuer_id, shard, number, md5(der) FROM crls ORDER BY 1, 2" >>"$T/crls.log"
	sleep 0.2
done) &
pids+=("$!")
units=10 # two issuers, four shards and the full CRL each
# held PID: how many units the signer PID holds.
held() { sql "SELECT count(*) FROM leases WHERE holder LIKE '%:$1:%'"; }
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
		WHERE l.holder LIKE '%:$who:%' ORDER BY c.id LIMIT 1")
	expect 0 "lancre status of a certificate signed by $who" "$LANCRE" status -d "$DA" --issuer "${c%% *}" "${c##* }"
	has "$OUT" '^ocsp: good' "says it is signed and served good"
done
# signed RESPONSES: the responses a signer's log says it signed, all passes.
signed() { awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "responses" && $i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' "$1"; }
sa=$(signed "$T/a.out")
sb=$(signed "$T/b.out")
same "each response signed exactly once: A $sa + B $sb" "$((sa + sb))" $want
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
		AND status = 0 LIMIT 1) c ON true WHERE l.holder LIKE '%:$1:%' AND l.shard > 0")
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

# B stalls (SIGSTOP: alive, silent): once its leases expire, A takes its shards over.
pick_in "$sign_b"
kill -STOP "$sign_b"
revoke_picked
[ "$nv" -gt 0 ] && ok "certificates revoked in $nv of B's shards" || not_ok "certificates revoked in B's shards"
revoked=$((revoked + nv))
taken_over "B stalled, A took its shards over after the lease" $revoked $limit
same "A holds every unit now" "$(sql "SELECT count(*) FROM leases WHERE holder LIKE '%:$sign_a:%'")" $units
# B wakes up: whatever it was doing, its writes are fenced off (its units are A's now).
sb_before=$(signed "$T/b.out")
kill -CONT "$sign_b"
sleep 2
same "B, awake, wrote nothing more (its units are A's)" "$(signed "$T/b.out")" "$sb_before"

# A dies (SIGKILL): B, on the same host, sees its process gone and takes over at once.
pick_in "$sign_a"
kill -9 "$sign_a"
wait "$sign_a" 2>/dev/null
revoke_picked
[ "$nv" -gt 0 ] && ok "certificates revoked in $nv of A's shards" || not_ok "certificates revoked in A's shards"
revoked=$((revoked + nv))
taken_over "A killed, B took its shards over" $revoked $limit
same "B holds every unit now" "$(sql "SELECT count(*) FROM leases WHERE holder LIKE '%:$sign_b:%'")" $units
has "$T/b.out" ', [0-9]* CRLs' "B's log says it signed CRLs"
sa=$(signed "$T/a.out")
sb=$(signed "$T/b.out")
same "still each response signed once: A $sa + B $sb (2 per revocation)" "$((sa + sb))" $((want + 2 * revoked))
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

# A clean stop gives the leases back at once.
kill -TERM "$sign_b"
wait "$sign_b"
same "signer B stopped cleanly" "$?" 0
same "its leases are free" "$(sql "SELECT count(*) FROM leases WHERE holder <> ''")" 0
sed 's/^/# A: /' "$T/a.err"
sed 's/^/# B: /' "$T/b.err"
echo "1..$n"
