#!/bin/bash
# tests/unit/check/crls/make.sh - remake the CRLs test_crl_stream.c reads, made
# by other tools than lancre: Python cryptography and `openssl ca`.  Each
# NAME.crl (DER) comes with its issuer NAME.pem; serials.txt lists serials to
# look up (present and absent).  The files are kept in git so the unit test
# needs neither tool; freshness is not checked there, so they do not expire.
set -euo pipefail
cd "$(dirname "$0")"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

python3 - <<'PY'
import datetime
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, ed25519, padding
now = datetime.datetime(2026, 12, 1, 12, 0, 0)
def ca(name, key):
    n = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    c = (x509.CertificateBuilder().subject_name(n).issuer_name(n).public_key(key.public_key())
         .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), True))
    c = c.sign(key, None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256())
    open(f'{name}.pem', 'wb').write(c.public_bytes(serialization.Encoding.PEM))
    return n
reasons = list(x509.ReasonFlags)
def crl(name, key, n, entries, md=hashes.SHA256(), exts=(), pss=False):
    b = (x509.CertificateRevocationListBuilder().issuer_name(n).last_update(now)
         .next_update(now + datetime.timedelta(days=7)))
    for ext, crit in exts:
        b = b.add_extension(ext, crit)
    for i, serial in enumerate(entries):
        r = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now - datetime.timedelta(hours=i))
        reason = reasons[i % len(reasons)]
        if reason not in (x509.ReasonFlags.unspecified,):
            r = r.add_extension(x509.CRLReason(reason), False)
        if i % 3 == 0:
            r = r.add_extension(x509.InvalidityDate(now - datetime.timedelta(days=i)), False)
        b = b.add_revoked_certificate(r.build())
    kw = {}
    if pss:
        kw['rsa_padding'] = padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
    c = b.sign(key, md, **kw)
    open(f'{name}.crl', 'wb').write(c.public_bytes(serialization.Encoding.DER))
serials = [3, 1000, 2**159 - 1, 0x7f, 0x80, 0xff, 0x100] + [10**6 + i for i in range(200)]
p256 = ec.generate_private_key(ec.SECP256R1())
n = ca('py-p256', p256)
crl('py-p256', p256, n, serials, exts=[(x509.CRLNumber(7), False),
    (x509.IssuingDistributionPoint(full_name=[x509.UniformResourceIdentifier('http://c.example/1.crl')],
        relative_name=None, only_contains_user_certs=True, only_contains_ca_certs=False,
        only_some_reasons=None, indirect_crl=False, only_contains_attribute_certs=False), True)])
crl('py-p256-empty', p256, n, [])
p384 = ec.generate_private_key(ec.SECP384R1())
n = ca('py-p384', p384)
crl('py-p384', p384, n, serials, md=hashes.SHA384(), exts=[(x509.DeltaCRLIndicator(5), True), (x509.CRLNumber(9), False)])
r = rsa.generate_private_key(public_exponent=65537, key_size=2048)
n = ca('py-rsa', r)
crl('py-rsa', r, n, serials, md=hashes.SHA512())
crl('py-rsapss', r, n, serials[:20], pss=True)
ed = ed25519.Ed25519PrivateKey.generate()
n = ca('py-ed25519', ed)
crl('py-ed25519', ed, n, serials[:20], md=None)
open('serials.txt', 'w').write('\n'.join('%x' % s for s in serials[:8] + [serials[-1], 5, 2**159 - 2, 10**6 + 500]) + '\n')
PY

# openssl ca: revoked with reasons, a hold instruction, an invalidity date.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out ossl-rsa.pem -subj /CN=ossl-rsa -days 3650 2>/dev/null
touch "$T/index.txt"
echo 1000 >"$T/crlnumber"
cat >"$T/ca.cnf" <<CNF
[ca]
default_ca = c
[c]
database = $T/index.txt
crlnumber = $T/crlnumber
new_certs_dir = $T
serial = $T/serial
default_md = sha256
default_crl_days = 7
policy = p
[p]
commonName = supplied
CNF
echo 03 >"$T/serial"
i=0
for how in "-crl_reason keyCompromise" "-crl_reason superseded" "-crl_hold 1.2.840.10040.2.2" \
	"-crl_compromise 20261101000000Z" "-crl_reason cessationOfOperation" ""; do
	i=$((i + 1))
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/l.key" -out "$T/l.csr" -subj "/CN=l$i" 2>/dev/null
	openssl ca -batch -config "$T/ca.cnf" -keyfile "$T/ca.key" -cert ossl-rsa.pem -in "$T/l.csr" -out "$T/l$i.pem" -days 30 2>/dev/null
	# shellcheck disable=SC2086
	openssl ca -batch -config "$T/ca.cnf" -keyfile "$T/ca.key" -cert ossl-rsa.pem -revoke "$T/l$i.pem" $how 2>/dev/null
done
openssl ca -batch -config "$T/ca.cnf" -keyfile "$T/ca.key" -cert ossl-rsa.pem -gencrl -out "$T/crl.pem" 2>/dev/null
openssl crl -in "$T/crl.pem" -outform DER -out ossl-rsa.crl
for s in 03 04 05 06 07 08 09; do echo "$s"; done >>serials.txt
