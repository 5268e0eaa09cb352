#!/bin/bash
# The store in PostgreSQL end to end: `lancre init --store postgresql://...`,
# issuers and certificates added, `lancre sign --once` pre-signs responses and
# CRLs into the database, `lancre answer` and `lancre serve` answer from it,
# and openssl ocsp and openssl crl check what they say; a revocation made
# while the server runs is served revoked after the next signing (the
# server's reload reads the responses written since, by their seq); a second
# signing has nothing to do.  Its own PostgreSQL (scripts/pg.sh), stopped by
# its PID on exit whatever happens.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# Under $T (0755, so that lancre's users reach the socket): pg.sh gives it to postgres.
PGD=$T/pg
trap '"$ROOT/scripts/pg.sh" stop "$PGD" >/dev/null 2>&1; lib_exit' EXIT
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
psql -q "$LANCRE_TEST_PG" -c 'CREATE DATABASE lancre_e2e' >/dev/null
# lancre's processes (lancre-signer, lancre-server when run as root) cannot read root's
# passfile: they come in by the unix socket, which pg.sh's server trusts.
URL="postgresql://postgres@/lancre_e2e?host=$PGD/sock&port=$PORT"
sql() { psql -qAt "postgresql://postgres@127.0.0.1:$PORT/lancre_e2e" -c "$1" 2>&1; }

D=$T/data
expect 0 "lancre init --store postgresql://..." "$LANCRE" init -d "$D" --store "$URL" --shards 2
mkca root
mkca e1 root ec
expect 0 "issuer add" "$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key"
mkleaf good e1
mkleaf bad e1
mkleaf later e1
expect 0 "cert add" "$LANCRE" cert add -d "$D" "$T/good.pem" "$T/bad.pem" "$T/later.pem"
expect 0 "revoke" "$LANCRE" revoke -d "$D" --reason keyCompromise "$T/bad.pem"

expect 0 "lancre sign --once" "$LANCRE" sign -d "$D" --once
has "$OUT" '^Signed 6 responses for 3 certificates' "SHA-1 and SHA-256 responses for 3 certificates"
same "the database holds them" "$(sql 'SELECT count(*) FROM ocsp_responses')" 6
same "the CRLs are stored with their numbers" \
	"$(sql 'SELECT count(*) FROM crls WHERE number > 0')" 3
expect 0 "a second --once has nothing to do" "$LANCRE" sign -d "$D" --once
has "$OUT" '^Signed 0 responses' "nothing is re-signed"

# ask CERT: lancre answer's response to openssl's request, checked by openssl -> $OUT
ask() {
	openssl ocsp -issuer "$T/e1.pem" -cert "$T/$1.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
	"$LANCRE" answer -d "$D" --post "$T/req.der" -o "$T/resp.der" 2>"$T/outcome"
	run openssl ocsp -respin "$T/resp.der" -issuer "$T/e1.pem" -cert "$T/$1.pem" -CAfile "$T/root.pem" -no_nonce
}
ask good
has "$ERR" '^Response verify OK' "lancre answer: openssl verifies the response"
has "$OUT" ': good$' "lancre answer: good"
ask bad
has "$OUT" ': revoked$' "lancre answer: revoked"

bad=0
for f in "$D"/public/crl/e1/1.crl "$D"/public/crl/e1/2.crl "$D/public/crl/e1.crl"; do
	openssl crl -inform DER -in "$f" -CAfile "$T/e1.pem" -noout -verify 2>&1 | grep -q 'verify OK' || bad=$((bad + 1))
done
same "openssl crl -verify accepts both shards and the full CRL" "$bad" 0
sn=$(openssl x509 -in "$T/bad.pem" -noout -serial | cut -d= -f2)
run openssl crl -inform DER -in "$D/public/crl/e1.crl" -noout -text
has "$OUT" "Serial Number: 0*$sn" "the full CRL lists the revoked certificate"

if start_serve; then ok "lancre serve starts on the PostgreSQL store"; else not_ok "lancre serve starts"; fi
B=http://127.0.0.1:$P
# post CERT: the server's answer over HTTP, checked by openssl -> $OUT
post() {
	openssl ocsp -issuer "$T/e1.pem" -cert "$T/$1.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
	curl -s -o "$T/resp.der" -H 'Content-Type: application/ocsp-request' --data-binary "@$T/req.der" "$B/ocsp"
	run openssl ocsp -respin "$T/resp.der" -issuer "$T/e1.pem" -cert "$T/$1.pem" -CAfile "$T/root.pem" -no_nonce
}
post good
has "$OUT" ': good$' "lancre serve: good"
post bad
has "$OUT" ': revoked$' "lancre serve: revoked"
run curl -s -o "$T/served.crl" "$B/crl/e1.crl"
if cmp -s "$T/served.crl" "$D/public/crl/e1.crl"; then ok "lancre serve: the full CRL, as published"; else not_ok "lancre serve: the full CRL"; fi

expect 0 "revoke another while the server runs" "$LANCRE" revoke -d "$D" --reason superseded "$T/later.pem"
expect 0 "sign --once again" "$LANCRE" sign -d "$D" --once
has "$OUT" '^Signed 2 responses for 1 certificates' "only the revoked one is re-signed"
for _ in $(seq 1 $((40 * TF))); do
	post later
	grep -q ': revoked$' "$OUT" && break
	sleep 0.1
done
has "$OUT" ': revoked$' "lancre serve: the new revocation, within 4 s"
post good
has "$OUT" ': good$' "lancre serve: the others unchanged"
kill "$pid" 2>/dev/null
wait_gone "$pid"
echo "1..$n"
