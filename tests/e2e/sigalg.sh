#!/bin/bash
# Signature algorithms (issue 15 item 3; Baseline Requirements 7.1.3.2.2): every
# OCSP response and CRL is signed with the digest the key calls for, whichever
# path signs it (the issuer's template, a delegated responder, OpenSSL's CRL
# builder): ECDSA P-256 with SHA-256, P-384 with SHA-384, RSA with SHA-256,
# Ed25519 as itself.  Python cryptography names the algorithm and verifies it,
# openssl crl -verify agrees.
. "$(dirname "$0")/lib.sh"

D=$T/data
"$LANCRE" init -d "$D" --shards 2 >/dev/null
conf_set "$D/lancre.conf" crl delta yes
mkca root
mkca p256 root ec
mkca p384 root p384
mkca rsa root rsa
mkca ed root ed25519
mkca del root ec # a P-256 issuer whose delegated responder has a P-384 key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$T/resp.key" 2>/dev/null
signer_owns "$T/resp.key"
openssl req -new -key "$T/resp.key" -subj "/CN=resp" -out "$T/resp.csr" 2>/dev/null
printf 'extendedKeyUsage=OCSPSigning\nnoCheck=ignored\nkeyUsage=critical,digitalSignature\n' >"$T/resp.ext"
openssl x509 -req -in "$T/resp.csr" -CA "$T/del.pem" -CAkey "$T/del.key" -set_serial 0x0a01 \
	-days 30 -extfile "$T/resp.ext" -out "$T/resp.pem" 2>/dev/null
for i in p256 p384 rsa ed del; do
	"$LANCRE" issuer add -d "$D" "$i" "$T/$i.pem" "$T/$i.key" >/dev/null
	mkleaf "leaf-$i" "$i"
	"$LANCRE" cert add -d "$D" "$T/leaf-$i.pem" >/dev/null
done
expect 0 "a delegated P-384 responder for a P-256 issuer" "$LANCRE" issuer ocsp-signer -d "$D" del "$T/resp.pem" "$T/resp.key"
"$LANCRE" revoke -d "$D" --reason keyCompromise "$T/leaf-p384.pem" >/dev/null
expect 0 "lancre sign --once" "$LANCRE" sign -d "$D" --once

# Each issuer's responses, both CertIDs, as stored (what the server serves).
for i in p256 p384 rsa ed del; do
	sqlite3 "$D/lancre.db" "select hex(r.der) from ocsp_responses r join certificates c on c.id = r.cert_id
		join issuers s on s.id = c.issuer_id where s.name = '$i'" >"$T/ocsp-$i.hex"
done
expect 0 "Python cryptography: each key type's OCSP responses and CRLs carry its algorithm and verify" \
	"$PY" - "$T" "$D" <<'PYEOF'
import sys, glob
from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.x509.oid import SignatureAlgorithmOID as S
from cryptography.hazmat.primitives.asymmetric import ec, padding, ed25519
t, d = sys.argv[1], sys.argv[2]
want = {'p256': S.ECDSA_WITH_SHA256, 'p384': S.ECDSA_WITH_SHA384,
        'rsa': S.RSA_WITH_SHA256, 'ed': S.ED25519}
def load(n): return x509.load_pem_x509_certificate(open(f'{t}/{n}.pem', 'rb').read())
def verify(pub, sig, data, h):
    if isinstance(pub, ec.EllipticCurvePublicKey): pub.verify(sig, data, ec.ECDSA(h))
    elif isinstance(pub, ed25519.Ed25519PublicKey): pub.verify(sig, data)
    else: pub.verify(sig, data, padding.PKCS1v15(), h)
checked = 0
for name, oid in list(want.items()) + [('del', S.ECDSA_WITH_SHA384)]:
    signer = load('resp' if name == 'del' else name)
    rows = [bytes.fromhex(l) for l in open(f'{t}/ocsp-{name}.hex').read().split()]
    assert len(rows) == 2, (name, len(rows))
    for der in rows:
        r = ocsp.load_der_ocsp_response(der)
        assert r.signature_algorithm_oid == oid, (name, 'ocsp', r.signature_algorithm_oid, oid)
        verify(signer.public_key(), r.signature, r.tbs_response_bytes, r.signature_hash_algorithm)
        checked += 1
    issuer = load(name)
    crls = [f'{d}/public/crl/{name}.crl', f'{d}/public/crl/{name}-delta.crl'] + \
        glob.glob(f'{d}/public/crl/{name}/*.crl')
    assert len(crls) == 6, (name, crls)
    for f in crls:
        c = x509.load_der_x509_crl(open(f, 'rb').read())
        crl_oid = oid if name != 'del' else S.ECDSA_WITH_SHA256 # CRLs: the issuer's own key
        assert c.signature_algorithm_oid == crl_oid, (f, c.signature_algorithm_oid, crl_oid)
        h = None if crl_oid == S.ED25519 else c.signature_hash_algorithm
        verify(issuer.public_key(), c.signature, c.tbs_certlist_bytes, h)
        checked += 1
assert checked == 5 * 2 + 5 * 6, checked
PYEOF
bad=0
for i in p256 p384 rsa ed del; do
	for f in "$D/public/crl/$i.crl" "$D/public/crl/$i"/*.crl; do
		openssl crl -inform DER -in "$f" -CAfile "$T/$i.pem" -noout -verify 2>&1 | grep -q 'verify OK' || bad=$((bad + 1))
	done
done
same "openssl crl -verify accepts every CRL" "$bad" 0
run openssl crl -inform DER -in "$D/public/crl/p384.crl" -noout -text
has "$OUT" 'Signature Algorithm: ecdsa-with-SHA384' "openssl names a P-384 CRL's algorithm ecdsa-with-SHA384"
sqlite3 "$D/lancre.db" "select hex(r.der) from ocsp_responses r join certificates c on c.id = r.cert_id
	join issuers s on s.id = c.issuer_id where s.name = 'p384' limit 1" | xxd -r -p >"$T/p384.der"
run openssl ocsp -respin "$T/p384.der" -noverify -resp_text
has "$OUT" 'Signature Algorithm: ecdsa-with-SHA384' "openssl names a P-384 response's algorithm ecdsa-with-SHA384"
echo "1..$n"
