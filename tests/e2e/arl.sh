#!/bin/bash
# A root that tracks its intermediates: `cert add` of a CA certificate issued
# by a registered root records it (a self-issued one is still refused);
# cACompromise is allowed for it and refused for a leaf; the root's CRLs are
# ARLs (a critical IssuingDistributionPoint with onlyContainsCACerts, RFC 5280
# 5.2.5), read so by openssl and Python cryptography, while a leaf issuer's
# shards keep onlyContainsUserCerts; `openssl verify -crl_check_all` with the
# root's ARL accepts a chain through the intermediate, then rejects it once
# the intermediate is revoked.
. "$(dirname "$0")/lib.sh"

D=$T/data
"$LANCRE" init -d "$D" --shards 2 >/dev/null
conf_set "$D/lancre.conf" crl delay 2s # a CRL is re-signed 1 s after a revocation
mkca root
mkca i1 root ec
mkca i2 root rsa
"$LANCRE" issuer add -d "$D" root "$T/root.pem" "$T/root.key" >/dev/null
"$LANCRE" issuer add -d "$D" i1 "$T/i1.pem" "$T/i1.key" >/dev/null
mkleaf leaf i1
expect 0 "cert add records the root's intermediates" "$LANCRE" cert add -d "$D" "$T/i1.pem" "$T/i2.pem"
same "both, as CA certificates of the root" \
	"$(sqlite3 "$D/lancre.db" "select count(*) from certificates c join issuers i on i.id = c.issuer_id where i.name = 'root' and c.is_ca = 1")" 2
expect 1 "the root's own certificate is still refused" "$LANCRE" cert add -d "$D" "$T/root.pem"
has "$ERR" 'is a CA certificate, self-issued' "saying why"
expect 0 "the leaf goes under i1" "$LANCRE" cert add -d "$D" "$T/leaf.pem"
expect 0 "lancre sign --once" "$LANCRE" sign -d "$D" --once

pem() { openssl crl -inform DER -in "$D/public/crl/$1.crl" -out "$T/$2.crl.pem" 2>/dev/null; }
chain() {
	pem root root
	pem i1 i1
	openssl verify -crl_check_all -CAfile "$T/root.pem" -untrusted "$T/i1.pem" \
		-CRLfile "$T/root.crl.pem" -CRLfile "$T/i1.crl.pem" "$T/leaf.pem" 2>&1
}
run chain
has "$OUT" 'leaf.pem: OK' "openssl verify -crl_check_all accepts the chain with the root's ARL"

expect 1 "cACompromise is refused for the leaf" "$LANCRE" revoke -d "$D" --reason cACompromise "$T/leaf.pem"
has "$ERR" 'cACompromise applies to CA certificates' "saying why"
expect 0 "cACompromise is allowed for the intermediate" "$LANCRE" revoke -d "$D" --reason cACompromise "$T/i1.pem"
sleep 1.2
expect 0 "lancre sign --once re-signs the root's CRLs" "$LANCRE" sign -d "$D" --once
run chain
has "$OUT" 'certificate revoked' "openssl verify -crl_check_all now rejects the chain through i1"
openssl crl -inform DER -in "$D/public/crl/root.crl" -noout -text >"$T/root.txt" 2>&1
has "$T/root.txt" 'Only CA Certificates' "openssl reads the root's full CRL as an ARL"
has "$T/root.txt" 'CA Compromise' "with the reason cACompromise"
"$PY" - "$D/public/crl" >"$T/py.out" 2>&1 <<'PYEOF'
import sys, glob
from cryptography import x509
d = sys.argv[1]
def idp(path):
    crl = x509.load_der_x509_crl(open(path, 'rb').read())
    ext = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint)
    v = ext.value
    return ext.critical, v.only_contains_ca_certs, v.only_contains_user_certs, len(list(crl))
for p in [d + '/root.crl'] + sorted(glob.glob(d + '/root/[0-9].crl')):
    print('root', p.split('/')[-1], *idp(p))
for p in sorted(glob.glob(d + '/i1/[0-9].crl')):
    print('i1', p.split('/')[-1], *idp(p))
PYEOF
same "Python cryptography: the root's full CRL is a critical ARL with the revoked intermediate" \
	"$(grep '^root root.crl' "$T/py.out")" "root root.crl True True False 1"
same "and so are both its shards" "$(grep -c '^root [12].crl True True False' "$T/py.out")" 2
same "i1's shards keep onlyContainsUserCerts" "$(grep -c '^i1 [12].crl True False True' "$T/py.out")" 2
echo "1..$n"
