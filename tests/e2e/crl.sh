#!/bin/bash
# CRLs end to end: sharded and full CRLs signed by `lancre sign`, checked by
# openssl crl -verify, openssl verify -crl_check, Python cryptography and GnuTLS
# certtool; IDP per shard; numbers that only grow; the JSON list; served by
# `lancre run` at the certificate's CRLDP URL within the configured delay; a
# revoked-then-expired certificate listed once more, then dropped.
. "$(dirname "$0")/lib.sh"

GEN=${LANCRE_BUILD:-$(dirname "$LANCRE")}/lancre-gencerts
P=$(free_port)
D=$T/data
"$LANCRE" init -d "$D" --shards 4 --listen "127.0.0.1:$P" >/dev/null
conf_set "$D/lancre.conf" crl delay 4s
mkca root
mkca e1 root ec
mkca r1 root rsa
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
"$LANCRE" issuer add -d "$D" r1 "$T/r1.pem" "$T/r1.key" >/dev/null
"$GEN" --issuer-cert "$T/e1.pem" --issuer-key "$T/e1.key" --count 40 --format pem --out "$T/e1-leaves.pem" \
	--crl-url-prefix "http://127.0.0.1:$P/crl/e1/" --crl-shards 4 2>/dev/null
"$GEN" --issuer-cert "$T/r1.pem" --issuer-key "$T/r1.key" --count 8 --format pem --out "$T/r1-leaves.pem" \
	--crl-url-prefix "http://127.0.0.1:$P/crl/r1/" --crl-shards 4 2>/dev/null
"$LANCRE" cert add -d "$D" "$T/e1-leaves.pem" "$T/r1-leaves.pem" >/dev/null
# Split the bundle into files, and revoke every fourth e1 leaf with a reason in turn.
awk -v d="$T" '/BEGIN CERT/{n++} {print > (d "/leaf" n ".pem")}' "$T/e1-leaves.pem"
reasons=(keyCompromise superseded unspecified cessationOfOperation affiliationChanged privilegeWithdrawn)
for i in $(seq 1 4 40); do
	"$LANCRE" revoke -d "$D" --reason "${reasons[$(((i / 4) % 6))]}" "$T/leaf$i.pem" >/dev/null
done
mkleaf_old expired e1 10 -1 7e57ed
"$LANCRE" cert add -d "$D" "$T/expired.pem" >/dev/null
"$LANCRE" revoke -d "$D" --reason keyCompromise --date "$(date -u -d '-5 days' +%Y-%m-%dT%H:%M:%SZ)" "$T/expired.pem" >/dev/null

expect 0 "lancre sign --once signs the CRLs" "$LANCRE" sign -d "$D" --once
has "$OUT" 'signed 10 CRLs' "4 shards and a full CRL per issuer"
C=$D/public/crl
for f in e1/1.crl e1/2.crl e1/3.crl e1/4.crl e1.crl r1/1.crl r1/4.crl r1.crl e1.json r1.json; do
	if [ -s "$C/$f" ]; then ok "published $f"; else not_ok "published $f"; fi
done
bad=0
for f in "$C"/e1/*.crl "$C/e1.crl"; do openssl crl -inform DER -in "$f" -CAfile "$T/e1.pem" -noout -verify 2>&1 | grep -q 'verify OK' || bad=$((bad + 1)); done
for f in "$C"/r1/*.crl "$C/r1.crl"; do openssl crl -inform DER -in "$f" -CAfile "$T/r1.pem" -noout -verify 2>&1 | grep -q 'verify OK' || bad=$((bad + 1)); done
same "openssl crl -verify accepts every shard and full CRL" "$bad" 0

# openssl verify -crl_check with the leaf's own shard.
cat "$T/root.pem" "$T/e1.pem" >"$T/chain.pem"
for i in 1 2; do
	shard=$(openssl x509 -in "$T/leaf$i.pem" -noout -text | sed -n 's|.*URI:http://.*/crl/e1/\([0-9]*\)\.crl|\1|p')
	openssl crl -inform DER -in "$C/e1/$shard.crl" -out "$T/shard.pem"
	run openssl verify -crl_check -CAfile "$T/chain.pem" -CRLfile "$T/shard.pem" "$T/leaf$i.pem"
	if [ $i = 1 ]; then
		cat "$OUT" "$ERR" >"$T/both"
		has "$T/both" 'certificate revoked' "openssl verify -crl_check: a revoked leaf is revoked (its shard's CRL)"
	else
		has "$OUT" ': OK$' "openssl verify -crl_check: a good leaf is OK (its shard's CRL)"
	fi
done

# The revoked serials as the store has them, by issuer and shard (through `sqlite3`,
# which tests/run.sh's PostgreSQL pass answers from the database).
sqlite3 "$D/lancre.db" "select i.name, c.shard, lower(hex(c.serial)) from certificates c join issuers i on i.id = c.issuer_id where c.status = 1" >"$T/revoked.txt"
expect 0 "Python cryptography reads every CRL: signature, IDP, reasons, entries" "$PY" - "$T" "$D" "$P" <<'PYEOF'
import sys, glob
from cryptography import x509
from cryptography.x509.oid import ExtensionOID
t, d, port = sys.argv[1], sys.argv[2], sys.argv[3]
revoked = [line.split('|') for line in open(f'{t}/revoked.txt').read().split()]
assert revoked, 'no revoked certificate in the store'
for iss in ('e1', 'r1'):
    ca = x509.load_pem_x509_certificate(open(f'{t}/{iss}.pem', 'rb').read())
    total = 0
    for shard in range(1, 5):
        crl = x509.load_der_x509_crl(open(f'{d}/public/crl/{iss}/{shard}.crl', 'rb').read())
        assert crl.is_signature_valid(ca.public_key()), (iss, shard)
        idp = crl.extensions.get_extension_for_oid(ExtensionOID.ISSUING_DISTRIBUTION_POINT)
        assert idp.critical
        assert [n.value for n in idp.value.full_name] == [f'http://127.0.0.1:{port}/crl/{iss}/{shard}.crl']
        assert idp.value.only_contains_user_certs
        crl.extensions.get_extension_for_oid(ExtensionOID.CRL_NUMBER)
        assert crl.next_update - crl.last_update <= __import__('datetime').timedelta(days=10)
        want = {bytes.fromhex(s) for (i, n, s) in revoked if i == iss and int(n) == shard}
        got = set()
        for r in crl:
            n = r.serial_number
            got.add(n.to_bytes((n.bit_length() + 8) // 8, 'big'))
            try:
                reason = r.extensions.get_extension_for_class(x509.CRLReason).value.reason
                assert reason not in (x509.ReasonFlags.unspecified, x509.ReasonFlags.certificate_hold), reason
            except x509.ExtensionNotFound:
                pass
        assert got == want, (iss, shard, len(got), len(want))
        total += len(got)
    full = x509.load_der_x509_crl(open(f'{d}/public/crl/{iss}.crl', 'rb').read())
    assert full.is_signature_valid(ca.public_key())
    assert len(list(full)) == total
    try:
        full.extensions.get_extension_for_oid(ExtensionOID.ISSUING_DISTRIBUTION_POINT)
        raise AssertionError('a full CRL has no IDP')
    except x509.ExtensionNotFound:
        pass
import json
assert json.load(open(f'{d}/public/crl/e1.json')) == [f'http://127.0.0.1:{port}/crl/e1/{n}.crl' for n in range(1, 5)]
PYEOF
expect 0 "GnuTLS certtool reads the full CRL" certtool --crl-info --inder --infile "$C/e1.crl"
has "$OUT" 'Revoked certificates' "and lists its entries"
num() { openssl crl -inform DER -in "$1" -noout -crlnumber | cut -d= -f2; }
if openssl crl -inform DER -in "$C/e1.crl" -noout -text | grep -qi "Serial Number: 7E57ED"; then ok "a revoked, expired certificate is listed in the first CRL after its revocation"; else not_ok "the revoked, expired certificate is listed once"; fi

# Serve, revoke, and watch the shard at the certificate's CRLDP URL.
"$LANCRE" run -d "$D" --admin "127.0.0.1:$(free_port)" --api "127.0.0.1:$(free_port)" >"$T/run.log" 2>&1 &
run_pid=$!
wait_http "http://127.0.0.1:$P/" || not_ok "lancre run started"
url=$(openssl x509 -in "$T/leaf2.pem" -noout -text | sed -n 's|.*URI:\(http://.*\.crl\)|\1|p')
shard=$(basename "$url" .crl)
run curl -s -D "$T/h" -o "$T/served.crl" "$url"
has "$T/h" '^content-type: application/pkix-crl' "the CRLDP URL serves application/pkix-crl"
expect 0 "the served shard is the published one" cmp "$T/served.crl" "$C/e1/$shard.crl"
etag=$(sed -n 's/^etag: //p' "$T/h" | tr -d '\r')
run curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$url"
same "If-None-Match gives 304" "$(cat "$OUT")" 304
run curl -s "http://127.0.0.1:$P/crl/e1.json"
has "$OUT" "\"http://127.0.0.1:$P/crl/e1/4.crl\"" "the CCADB JSON list is served"
before=$(num "$T/served.crl")
"$LANCRE" revoke -d "$D" --reason keyCompromise "$T/leaf2.pem" >/dev/null
serial=$(openssl x509 -in "$T/leaf2.pem" -noout -serial | cut -d= -f2)
start=$(date +%s%N)
while :; do
	curl -s -o "$T/now.crl" "$url"
	elapsed=$((($(date +%s%N) - start) / 1000000))
	openssl crl -inform DER -in "$T/now.crl" -noout -text | grep -q "Serial Number: $serial" && break
	[ $elapsed -gt $((10000 * TF)) ] && break
	sleep 0.2
done
if openssl crl -inform DER -in "$T/now.crl" -noout -text | grep -q "Serial Number: $serial" && [ $elapsed -le $((5000 * TF)) ]; then
	ok "a revocation is in the served shard after ${elapsed} ms (delay 4 s)"
else
	not_ok "revocation in the served shard within the delay (${elapsed} ms)"
fi
after=$(num "$T/now.crl")
if [ "$(printf '%s\n%s\n' "$before" "$after" | sort -g | tail -1)" = "$after" ] && [ "$after" != "$before" ]; then ok "with a higher CRL number"; else not_ok "CRL number grows ($before -> $after)"; fi
kill -TERM $run_pid
wait $run_pid

# The full CRL was re-signed after the expired certificate's notAfter: it is gone now.
if openssl crl -inform DER -in "$C/e1.crl" -noout -text | grep -qi "Serial Number: 7E57ED"; then not_ok "the expired certificate is dropped from the next CRL"; else ok "the expired certificate is dropped from the next CRL"; fi
