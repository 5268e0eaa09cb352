#!/bin/bash
# Upgrading a store in place, as docs/OPERATOR.md tells an operator to: a
# store of schema 4 (its CRLs in a WITHOUT ROWID table, der before their
# numbers) holding real signed CRLs and OCSP responses is upgraded by
# `lancre issuer list`; then `lancre serve` serves the very same CRL bytes,
# openssl verifies them, OCSP answers are unchanged, and the signer goes on
# from the upgraded store: a new revocation reaches its shard's CRL with a
# higher CRL number.
. "$(dirname "$0")/lib.sh"

GEN=${LANCRE_BUILD:-$(dirname "$LANCRE")}/lancre-gencerts
P=$(free_port)
A=$(free_port)
D=$T/data
"$LANCRE" init -d "$D" --shards 2 --listen "127.0.0.1:$P" >/dev/null
conf_set "$D/lancre.conf" crl delay 2s # a CRL is re-signed 1 s after its last
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
"$GEN" --issuer-cert "$T/e1.pem" --issuer-key "$T/e1.key" --count 12 --format pem \
	--out "$T/leaves.pem" --crl-url-prefix "http://127.0.0.1:$P/crl/e1/" --crl-shards 2 2>/dev/null
"$LANCRE" cert add -d "$D" "$T/leaves.pem" >/dev/null
awk -v d="$T" '/BEGIN CERT/{n++} {print > (d "/leaf" n ".pem")}' "$T/leaves.pem"
"$LANCRE" revoke -d "$D" --reason keyCompromise "$T/leaf1.pem" >/dev/null
"$LANCRE" revoke -d "$D" --reason superseded "$T/leaf2.pem" >/dev/null
expect 0 "lancre sign --once signs the responses and CRLs" "$LANCRE" sign -d "$D" --once
has "$OUT" 'signed 3 CRLs' "2 shards and the full CRL"
DB=$D/lancre.db
sq() { sqlite3 "$DB" "$@"; }
sq "select shard, number, hex(der) from crls order by shard" >"$T/crls.before"
sq "select cert_id, hash_alg, hex(der) from ocsp_responses order by cert_id, hash_alg" >"$T/ocsp.before"

# Back to schema 4's layout of the CRLs table, as a lancre of that version left it
# (without schema 6's columns, and with the key reference in lancre.db as
# before schema 7, the key store gone).
keyref=$(sqlite3 "$D/private/keys.db" "select key_ref from issuer_keys")
rm -f "$D/private/keys.db"
run sqlite3 "$DB" "
BEGIN;
DROP INDEX certificates_spki;
ALTER TABLE certificates DROP COLUMN spki_sha256;
ALTER TABLE certificates DROP COLUMN precert;
ALTER TABLE certificates DROP COLUMN precert_tbs;
DROP TABLE tokens;
DROP TABLE audit;
DROP TABLE audit_head;
DROP TABLE leases;
DROP TABLE lease_holders;
DROP TRIGGER issuers_no_key_refs;
DROP TRIGGER issuers_no_key_refs_update;
DROP TRIGGER certificates_revocation_final;
DROP TRIGGER certificates_revoked_kept;
ALTER TABLE issuers DROP COLUMN has_key;
UPDATE issuers SET key_ref = '$keyref';
DROP INDEX certificates_ca;
ALTER TABLE certificates DROP COLUMN is_ca;
ALTER TABLE issuers DROP COLUMN retired_at;
ALTER TABLE issuers DROP COLUMN key_pass_ref;
CREATE TABLE crls_v4 (
  issuer_id INTEGER NOT NULL REFERENCES issuers(id),
  shard INTEGER NOT NULL, number INTEGER NOT NULL,
  this_update INTEGER NOT NULL, next_update INTEGER NOT NULL,
  der BLOB NOT NULL, built_seq INTEGER NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (issuer_id, shard)
) WITHOUT ROWID;
INSERT INTO crls_v4 SELECT issuer_id, shard, number, this_update, next_update, der,
  built_seq, seq FROM crls;
DROP TABLE crls;
ALTER TABLE crls_v4 RENAME TO crls;
PRAGMA user_version = 4;
COMMIT;"
same "the store is back at schema 4" "$rc $(sq 'PRAGMA user_version')" "0 4"
has_sql() { sq "select sql from sqlite_master where name = 'crls'" | grep -c "$1"; }
same "with CRLs WITHOUT ROWID" "$(has_sql 'WITHOUT ROWID')" 1

expect 0 "lancre issuer list upgrades it" "$LANCRE" issuer list -d "$D"
has "$OUT" '^e1' "and lists the issuer"
same "the store is at schema 10" "$(sq 'PRAGMA user_version')" 10
same "the certificates recorded before have no key hash (NULL: their DER was not kept)" \
	"$(sq 'select count(*), sum(precert) from certificates where spki_sha256 is null')" "12|0"
same "the key reference moved to private/keys.db" "$(sqlite3 "$D/private/keys.db" "select key_ref from issuer_keys")" "$keyref"
same "and left lancre.db" "$(sq "select count(*) from issuers where key_ref != ''")" 0
if grep -qF "$keyref" "$DB" "$DB-wal"; then not_ok "its text is gone from lancre.db and its WAL"; else ok "its text is gone from lancre.db and its WAL"; fi
same "its CRLs in a rowid table" "$(has_sql 'WITHOUT ROWID')" 0
sq "select shard, number, hex(der) from crls order by shard" >"$T/crls.after"
if cmp -s "$T/crls.before" "$T/crls.after"; then ok "every CRL kept, byte for byte"; else not_ok "the CRLs changed in the upgrade"; fi
sq "select cert_id, hash_alg, hex(der) from ocsp_responses order by cert_id, hash_alg" >"$T/ocsp.after"
if cmp -s "$T/ocsp.before" "$T/ocsp.after"; then ok "every OCSP response kept"; else not_ok "the OCSP responses changed"; fi

# Served by the upgraded store: the same bytes, verified by openssl.
"$LANCRE" serve -d "$D" --admin "127.0.0.1:$A" >"$T/serve.log" 2>&1 &
serve_pid=$!
if wait_http "http://127.0.0.1:$A/healthz"; then ok "lancre serve starts on the upgraded store"; else not_ok "lancre serve starts"; cat "$T/serve.log"; fi
B=http://127.0.0.1:$P
shard_of() { openssl x509 -in "$1" -noout -text | sed -n 's|.*URI:http://.*/crl/e1/\([0-9]*\)\.crl|\1|p'; }
s1=$(shard_of "$T/leaf1.pem")
bad=0
for sh in 0 1 2; do
	url=$B/crl/e1/$sh.crl
	[ "$sh" = 0 ] && url=$B/crl/e1.crl
	curl -s -o "$T/got$sh.crl" "$url" || bad=$((bad + 1))
	want=$(grep "^$sh|" "$T/crls.before" | cut -d'|' -f3)
	[ "$(od -An -tx1 -v "$T/got$sh.crl" | tr -d ' \n' | tr a-f A-F)" = "$want" ] || bad=$((bad + 1))
	openssl crl -inform DER -in "$T/got$sh.crl" -CAfile "$T/e1.pem" -noout -verify 2>&1 |
		grep -q 'verify OK' || bad=$((bad + 1))
done
same "the server sends each CRL as stored before the upgrade, and openssl verifies it" "$bad" 0
run openssl ocsp -issuer "$T/e1.pem" -cert "$T/leaf1.pem" -url "$B/ocsp" -CAfile "$T/root.pem"
has "$OUT" ': revoked$' "openssl ocsp: a revoked leaf is still revoked"
has "$ERR" 'Response verify OK' "and the response verifies"
run openssl ocsp -issuer "$T/e1.pem" -cert "$T/leaf3.pem" -url "$B/ocsp" -CAfile "$T/root.pem"
has "$OUT" ': good$' "openssl ocsp: a good leaf is good"
kill "$serve_pid" 2>/dev/null
wait "$serve_pid" 2>/dev/null

# The signer goes on from the upgraded store.
n1=$(openssl crl -inform DER -in "$T/got$s1.crl" -noout -crlnumber | cut -d= -f2)
for i in $(seq 3 12); do
	[ "$(shard_of "$T/leaf$i.pem")" = "$s1" ] && break
done
serial=$(openssl x509 -in "$T/leaf$i.pem" -noout -serial | cut -d= -f2)
"$LANCRE" revoke -d "$D" --reason cessationOfOperation "$T/leaf$i.pem" >/dev/null
while [ "$(sq "select count(*) from crls where this_update > strftime('%s', 'now') - 1")" != 0 ]; do
	sleep 0.2 # half the delay since the CRLs' thisUpdate
done
expect 0 "lancre sign --once after a revocation" "$LANCRE" sign -d "$D" --once
has "$OUT" 'signed 2 CRLs' "re-signs the revoked certificate's shard and the full CRL"
f=$D/public/crl/e1/$s1.crl
run openssl crl -inform DER -in "$f" -CAfile "$T/e1.pem" -noout -verify -text
has "$ERR" 'verify OK' "openssl verifies the new shard CRL"
has "$OUT" "Serial Number: $serial" "which lists the new revocation"
n2=$(openssl crl -inform DER -in "$f" -noout -crlnumber | cut -d= -f2)
same "with a higher CRL number" "$([ $((n2)) -gt $((n1)) ] && echo higher)" higher
same "one row per (issuer, shard) still" "$(sq 'select count(*), count(distinct shard) from crls')" "3|3"

# A certificate recorded after the upgrade carries the SHA-256 of its SubjectPublicKeyInfo.
"$GEN" --issuer-cert "$T/e1.pem" --issuer-key "$T/e1.key" --count 1 --format pem \
	--out "$T/new.pem" --crl-url-prefix "http://127.0.0.1:$P/crl/e1/" --crl-shards 2 2>/dev/null
"$LANCRE" cert add -d "$D" "$T/new.pem" >/dev/null
want=$(openssl x509 -in "$T/new.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)
nserial=$(openssl x509 -in "$T/new.pem" -noout -serial | cut -d= -f2)
same "a certificate added after the upgrade has its key's hash" \
	"$(sq "select lower(hex(spki_sha256)) from certificates where hex(serial) = '$nserial' or hex(serial) = '00$nserial'")" "$want"

echo "1..$n"
