#!/bin/bash
# lancre check follows delta CRLs (issue 17): against lancre's own publication
# ([crl] delta = yes), a revocation that is only in the delta is reported
# revoked; then base/delta pairs made with Python cryptography: removeFromCRL
# lifts a hold, a hold the delta does not lift stays, and a delta that is
# missing, over a newer base, not newer than the base, of another scope, badly
# signed, stale or without its indicator leaves the check undecided (exit 4)
# with the reason -- unless the base already says revoked for good.
. "$(dirname "$0")/lib.sh"

GEN=${LANCRE_BUILD:-$(dirname "$LANCRE")}/lancre-gencerts
P=$(free_port)
Q=$(free_port)
D=$T/data
"$LANCRE" init -d "$D" --shards 2 --listen "127.0.0.1:$P" >/dev/null
conf_set "$D/lancre.conf" crl delta yes
conf_set "$D/lancre.conf" crl delay 2s
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
"$GEN" --issuer-cert "$T/e1.pem" --issuer-key "$T/e1.key" --count 12 --format pem --out "$T/leaves.pem" \
	--crl-url-prefix "http://127.0.0.1:$P/crl/e1/" --crl-shards 2 2>/dev/null
"$LANCRE" cert add -d "$D" "$T/leaves.pem" >/dev/null
awk -v d="$T" '/BEGIN CERT/{n++} {print > (d "/leaf" n ".pem")}' "$T/leaves.pem"
for i in $(seq 1 12); do cat "$T/e1.pem" >>"$T/leaf$i.pem"; done # the chain: leaf, then its issuer
shard_of() { openssl x509 -in "$T/leaf$1.pem" -noout -text | sed -n 's|.*URI:http://.*/crl/e1/\([0-9]*\)\.crl|\1|p'; }
"$LANCRE" revoke -d "$D" --reason superseded "$T/leaf1.pem" >/dev/null
"$LANCRE" sign -d "$D" --once >/dev/null || not_ok "the first pass signs bases and deltas"
sleep 1.2 # within the delay: the next pass re-signs deltas, not bases
"$LANCRE" revoke -d "$D" --reason keyCompromise "$T/leaf2.pem" >/dev/null
"$LANCRE" sign -d "$D" --once >/dev/null || not_ok "the second pass"
shard=$(shard_of 2)
good=""
for i in $(seq 3 12); do [ "$(shard_of "$i")" = "$shard" ] && good=$i && break; done
run openssl crl -inform DER -in "$D/public/crl/e1/$shard.crl" -noout -text
s2=$(openssl x509 -in "$T/leaf2.pem" -noout -serial | cut -d= -f2)
if grep -q "Serial Number: $s2" "$OUT"; then not_ok "the base does not list leaf2 (it must be only in the delta)"; else ok "the base does not list leaf2"; fi
run openssl crl -inform DER -in "$D/public/crl/e1/$shard-delta.crl" -noout -text
has "$OUT" "Serial Number: $s2" "the delta lists leaf2"

"$LANCRE" serve -d "$D" --admin "127.0.0.1:$(free_port)" >/dev/null 2>&1 &
spid=$!
wait_http "http://127.0.0.1:$P/" || not_ok "lancre serve started"
expect 3 "revoked only in lancre's delta CRL: revoked (exit 3)" "$LANCRE" check --verbose "$T/leaf2.pem"
has "$OUT" '^reason: keyCompromise$' "with the delta's reason"
has "$OUT" "^crl: http://127.0.0.1:$P/crl/e1/$shard.crl \(HTTP 200.*verified and fresh" "verbose: the base"
has "$OUT" "^delta: http://127.0.0.1:$P/crl/e1/$shard-delta.crl \(HTTP 200.*verified and fresh" "verbose: then its delta"
has "$OUT" "^why: the certificate is on the issuer's delta CRL$" "it says the delta decided"
if [ -n "$good" ]; then
	expect 0 "a leaf of the same shard on neither: good" "$LANCRE" check "$T/leaf$good.pem"
	has "$OUT" "its delta CRL does not list it" "after reading the delta"
else
	not_ok "a good leaf in shard $shard"
fi
s1=$(shard_of 1)
expect 3 "revoked in the base: still revoked" "$LANCRE" check "$T/leaf1.pem"
has "$OUT" '^reason: superseded$' "with the base's reason"
kill $spid
wait $spid 2>/dev/null

# Pairs made by hand: leaf 5NNN's CRL is /NAME.crl, naming /NAME-delta.crl.
W=$T/www
mkdir -p "$W"
cases="missing hold holdstill newer notnewer scope badsig stale noind final"
i=0
for c in $cases; do
	i=$((i + 1))
	printf 'basicConstraints=critical,CA:FALSE\ncrlDistributionPoints=URI:http://127.0.0.1:%s/%s.crl\n' "$Q" "$c" >"$T/$c.ext"
	openssl req -new -key "$T/e1.key" -subj "/CN=$c.test" -out "$T/$c.csr" 2>/dev/null
	openssl x509 -req -in "$T/$c.csr" -CA "$T/e1.pem" -CAkey "$T/e1.key" -set_serial "$((0x5000 + i))" -days 30 \
		-extfile "$T/$c.ext" -out "$T/$c.pem" 2>/dev/null
	cat "$T/e1.pem" >>"$T/$c.pem"
done
"$PY" - "$T" "$Q" $cases <<'PYEOF' || not_ok "the Python CRL pairs"
import sys, datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
t, port, cases = sys.argv[1], sys.argv[2], sys.argv[3:]
ca = x509.load_pem_x509_certificate(open(f'{t}/e1.pem', 'rb').read())
key = serialization.load_pem_private_key(open(f'{t}/e1.key', 'rb').read(), None)
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
R = x509.ReasonFlags
def idp(url):
    return x509.IssuingDistributionPoint(full_name=[x509.UniformResourceIdentifier(url)], relative_name=None,
        only_contains_user_certs=True, only_contains_ca_certs=False, only_some_reasons=None,
        indirect_crl=False, only_contains_attribute_certs=False)
def crl(path, number, entries, scope, fresh=None, base=None, signer=key, next_update=3 * 86400):
    b = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(now - datetime.timedelta(hours=1))
         .next_update(now + datetime.timedelta(seconds=next_update)).add_extension(x509.CRLNumber(number), False)
         .add_extension(idp(scope), True))
    if fresh:
        b = b.add_extension(x509.FreshestCRL([x509.DistributionPoint([x509.UniformResourceIdentifier(fresh)],
            None, None, None)]), False)
    if base is not None:
        b = b.add_extension(x509.DeltaCRLIndicator(base), True)
    for serial, reason in entries:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(serial)
            .revocation_date(now - datetime.timedelta(hours=2)).add_extension(x509.CRLReason(reason), False).build())
    open(f'{t}/www/{path}', 'wb').write(b.sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
other = ec.generate_private_key(ec.SECP256R1())
for i, c in enumerate(cases, 1):
    serial = 0x5000 + i
    url = f'http://127.0.0.1:{port}/{c}.crl'
    base_entries = {'hold': [(serial, R.certificate_hold)], 'holdstill': [(serial, R.certificate_hold)],
                    'final': [(serial, R.key_compromise)]}.get(c, [])
    crl(f'{c}.crl', 10, base_entries, url, fresh=f'http://127.0.0.1:{port}/{c}-delta.crl')
    if c in ('missing', 'final'):
        continue
    d = dict(number=11, entries=[], scope=url, base=10)
    if c == 'hold':
        d['entries'] = [(serial, R.remove_from_crl)]
    d.update({'newer': dict(base=11, number=12), 'notnewer': dict(number=10),
              'scope': dict(scope=url + 'x'), 'badsig': dict(signer=other),
              'stale': dict(next_update=-3600), 'noind': dict(base=None)}.get(c, {}))
    crl(f'{c}-delta.crl', **d)
PYEOF
(cd "$W" && exec "$PY" -m http.server --bind 127.0.0.1 "$Q" >/dev/null 2>&1) &
hpid=$!
wait_http "http://127.0.0.1:$Q/hold.crl" || not_ok "the CRL server started"

expect 0 "removeFromCRL in the delta lifts the base's hold: good" "$LANCRE" check "$T/hold.pem"
has "$OUT" '^why: the delta CRL removes the certificate from the CRL \(removeFromCRL\)$' "it says why"
expect 3 "a hold the delta does not lift stays" "$LANCRE" check "$T/holdstill.pem"
has "$OUT" '^reason: certificateHold$' "certificateHold"
expect 3 "revoked for good in the base, the delta missing: revoked" "$LANCRE" check "$T/final.pem"
has "$OUT" '^why: the certificate is on the issuer.s CRL \(its delta CRL could not be used: .*HTTP status 404' "saying the delta could not be used"
while read -r c why; do
	expect 4 "$c: could not decide (exit 4)" "$LANCRE" check "$T/$c.pem"
	has "$OUT" "^why: the base CRL names a delta CRL that could not be used: .*$why" "$c: $why"
done <<EOF
missing HTTP status 404
newer over a base newer than this one
notnewer not newer than the base
scope scope \(IssuingDistributionPoint\) is not the base's
badsig signature does not verify with the issuer's key
stale stale: past its nextUpdate
noind no critical Delta CRL Indicator
EOF
kill $hpid
wait $hpid 2>/dev/null
echo "1..$n"
