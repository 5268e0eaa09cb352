#!/bin/bash
# Delta CRLs ([crl] delta = yes): bases point to their deltas (Freshest CRL),
# a revocation lands in the delta (Delta CRL Indicator = the base's number)
# while the base stays, OpenSSL accepts base + delta, and the server serves it.
. "$(dirname "$0")/lib.sh"

GEN=${LANCRE_BUILD:-$(dirname "$LANCRE")}/lancre-gencerts
P=$(free_port)
D=$T/data
"$LANCRE" init -d "$D" --shards 2 --listen "127.0.0.1:$P" >/dev/null
conf_set "$D/lancre.conf" crl delta yes
conf_set "$D/lancre.conf" crl delay 2s
H=$D/public/hook.log # the hook runs in the signer's sandbox: it may write under public/
conf_set "$D/lancre.conf" crl hook "echo \"\$1\" >> $H"
conf_set "$D/lancre.conf" crl hook_shell yes
mkca root
mkca e1 root ec
"$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key" >/dev/null
"$GEN" --issuer-cert "$T/e1.pem" --issuer-key "$T/e1.key" --count 10 --format pem --out "$T/leaves.pem" \
	--crl-url-prefix "http://127.0.0.1:$P/crl/e1/" --crl-shards 2 2>/dev/null
"$LANCRE" cert add -d "$D" "$T/leaves.pem" >/dev/null
awk -v d="$T" '/BEGIN CERT/{n++} {print > (d "/leaf" n ".pem")}' "$T/leaves.pem"
"$LANCRE" revoke -d "$D" --reason superseded "$T/leaf1.pem" >/dev/null
expect 0 "the first pass signs bases and deltas" "$LANCRE" sign -d "$D" --once
has "$OUT" 'signed 6 CRLs' "2 shards + full, each with its delta"
C=$D/public/crl
sleep 0.3
same "[crl] hook ran once per published file (6 CRLs, the JSON list, 2 issuer files)" "$(sort "$H" | uniq | wc -l)" 9
has "$H" "public/crl/e1/1-delta.crl\$" "with the file's path as \$1"
for f in e1/1-delta.crl e1/2-delta.crl e1-delta.crl; do
	if [ -s "$C/$f" ]; then ok "published $f"; else not_ok "published $f"; fi
done
shard=$(openssl x509 -in "$T/leaf2.pem" -noout -text | sed -n 's|.*URI:http://.*/crl/e1/\([0-9]*\)\.crl|\1|p')
cp "$C/e1/$shard.crl" "$T/base-before.crl"
sleep 1.2 # half the delay since the delta was signed
"$LANCRE" revoke -d "$D" --reason keyCompromise "$T/leaf2.pem" >/dev/null
expect 0 "the next pass re-signs the delta" "$LANCRE" sign -d "$D" --once
expect 0 "the base of that shard is unchanged (bases follow the period)" cmp "$T/base-before.crl" "$C/e1/$shard.crl"
run openssl crl -inform DER -in "$C/e1/$shard-delta.crl" -CAfile "$T/e1.pem" -noout -verify
cat "$OUT" "$ERR" >"$T/both"
has "$T/both" 'verify OK' "openssl crl -verify accepts the delta"
expect 0 "Python cryptography: Freshest CRL in the base, Delta CRL Indicator in the delta" "$PY" - "$T" "$C" "$shard" "$P" <<'PYEOF'
import sys
from cryptography import x509
from cryptography.x509.oid import ExtensionOID
t, c, shard, port = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
ca = x509.load_pem_x509_certificate(open(f'{t}/e1.pem', 'rb').read())
base = x509.load_der_x509_crl(open(f'{c}/e1/{shard}.crl', 'rb').read())
delta = x509.load_der_x509_crl(open(f'{c}/e1/{shard}-delta.crl', 'rb').read())
assert base.is_signature_valid(ca.public_key()) and delta.is_signature_valid(ca.public_key())
fresh = base.extensions.get_extension_for_oid(ExtensionOID.FRESHEST_CRL).value
assert [n.value for dp in fresh for n in dp.full_name] == [f'http://127.0.0.1:{port}/crl/e1/{shard}-delta.crl']
ind = delta.extensions.get_extension_for_oid(ExtensionOID.DELTA_CRL_INDICATOR)
assert ind.critical
base_num = base.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
assert ind.value.crl_number == base_num
assert delta.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number > base_num
leaf2 = x509.load_pem_x509_certificate(open(f'{t}/leaf2.pem', 'rb').read())
serials = [r.serial_number for r in delta]
assert serials == [leaf2.serial_number], serials
assert leaf2.serial_number not in [r.serial_number for r in base]
PYEOF
cat "$T/root.pem" "$T/e1.pem" >"$T/chain.pem"
openssl crl -inform DER -in "$C/e1/$shard.crl" -out "$T/crls.pem"
openssl crl -inform DER -in "$C/e1/$shard-delta.crl" >>"$T/crls.pem"
run openssl verify -crl_check -use_deltas -extended_crl -CAfile "$T/chain.pem" -CRLfile "$T/crls.pem" "$T/leaf2.pem"
cat "$OUT" "$ERR" >"$T/both"
has "$T/both" 'certificate revoked' "openssl verify with base + delta says revoked"

"$LANCRE" serve -d "$D" --admin "127.0.0.1:$(free_port)" >/dev/null 2>&1 &
spid=$!
wait_http "http://127.0.0.1:$P/" || not_ok "lancre serve started"
run curl -s -o "$T/served.crl" -w '%{http_code}' "http://127.0.0.1:$P/crl/e1/$shard-delta.crl"
same "the delta is served at its Freshest CRL URL" "$(cat "$OUT")" 200
expect 0 "with the published bytes" cmp "$T/served.crl" "$C/e1/$shard-delta.crl"
kill -TERM $spid
wait $spid
