#!/bin/bash
# Nothing is lost or half-written when the signer is killed with SIGKILL in
# the middle of a run: the store passes integrity_check (amcheck of every index
# on PostgreSQL, tests/e2e/lib.sh store_integrity) and holds whole
# batches only (one transaction each: 4,096 certificates, two responses
# apiece), every stored response is a complete, valid OCSP response (Python
# cryptography checks the signature of a sample), and the next run signs
# exactly what is missing, no more.
. "$(dirname "$0")/lib.sh"

GEN=${LANCRE_BUILD:-$(dirname "$LANCRE")}/lancre-gencerts
N=30000
D=$T/data
"$LANCRE" init -d "$D" >/dev/null
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
"$GEN" --issuer-cert "$T/e1.pem" --issuer-key "$T/e1.key" --count "$N" --out "$T/leaves.der" 2>/dev/null
"$LANCRE" cert add -q -d "$D" "$T/leaves.der" >/dev/null
DB=$D/lancre.db
count() { sqlite3 "$DB" 'select count(*) from ocsp_responses' 2>/dev/null || echo 0; }

"$LANCRE" sign -d "$D" --once --threads 1 >/dev/null 2>&1 & # slower: more room to kill it
pid=$!
got=0
for _ in $(seq 1 $((200 * TF))); do # kill it once its first batch has landed
	got=$(count)
	[ "$got" -gt 0 ] && break
	sleep 0.02
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
got=$(count)
same "after SIGKILL the store passes integrity_check" "$(store_integrity "$D")" ok
if [ "$got" -gt 0 ] && [ "$got" -lt $((2 * N)) ] && [ $((got % 8192)) -eq 0 ]; then
	ok "it was killed mid-run and holds whole batches only ($got responses)"
else
	not_ok "after SIGKILL: $got responses (wanted a multiple of 8192 between 0 and $((2 * N)))"
fi
same "each signed certificate has both responses" \
	"$(sqlite3 "$DB" 'select count(*) from (select cert_id from ocsp_responses group by cert_id having count(*) != 2) as r')" 0

# A sample of 300, drawn by the store (random() is SQLite's and PostgreSQL's).
sqlite3 "$DB" 'select hex(der) from ocsp_responses order by random() limit 300' >"$T/sample.hex"
expect 0 "every stored response is whole and verifies (Python cryptography, a sample)" "$PY" - "$T/sample.hex" "$T/e1.pem" <<'PYEOF'
import sys
from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.hazmat.primitives.asymmetric import ec
ca = x509.load_pem_x509_certificate(open(sys.argv[2], 'rb').read())
rows = [bytes.fromhex(line) for line in open(sys.argv[1]).read().split()]
assert 0 < len(rows) <= 300, len(rows)
for der in rows:
    r = ocsp.load_der_ocsp_response(der)
    assert r.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert r.certificate_status == ocsp.OCSPCertStatus.GOOD
    ca.public_key().verify(r.signature, r.tbs_response_bytes, ec.ECDSA(r.signature_hash_algorithm))
PYEOF

expect 0 "the next run completes" "$LANCRE" sign -d "$D" --once
has "$OUT" "^Signed $((2 * N - got)) responses for $(((2 * N - got) / 2)) certificates" \
	"signing exactly the $(((2 * N - got) / 2)) certificates that were missing"
same "every certificate has its two responses" "$(count)" $((2 * N))
same "the store still passes integrity_check" "$(store_integrity "$D")" ok

echo "1..$n"
