#!/usr/bin/env python3
"""bigcrl.py - a big DER CRL, fast: the entries are laid out by hand (one
template, the serial counting up), tbsCertList signed with Python
cryptography (ECDSA P-256/SHA-256, or RSA/SHA-256).  For the streaming CRL
tests (tests/e2e/check_crl.sh) and the benchmark (bench/check.sh).

  bigcrl.py CA.pem CA.key OUT.crl MEGABYTES [SERIAL_HEX...]

The CRL holds about MEGABYTES MB of entries (16-byte serials 0x40...,
keyCompromise), then one entry per SERIAL_HEX given, last; thisUpdate an
hour ago, nextUpdate in 7 days; CRL number 1; no IssuingDistributionPoint (a
complete CRL).
"""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([tag, n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, 'big')
        head = bytes([tag, 0x80 | len(b)]) + b
    return head + body


def der_int(v):
    return tlv(0x02, v.to_bytes(v.bit_length() // 8 + 1, 'big', signed=False))


def utc(t):
    return tlv(0x17, t.strftime('%y%m%d%H%M%SZ').encode())


REASON = tlv(0x30, tlv(0x30, tlv(0x06, bytes.fromhex('551d15')) + tlv(0x04, tlv(0x0a, b'\x01'))))


def entries(megabytes, extra, when):
    date = utc(when)
    out = []
    size = 0
    serial = 0x40 << 120
    while size < megabytes * 1000 * 1000:
        e = tlv(0x30, der_int(serial) + date + REASON)
        out.append(e)
        size += len(e)
        serial += 1
    for s in extra:
        out.append(tlv(0x30, der_int(int(s, 16)) + date + REASON))
    return b''.join(out)


def main():
    ca_pem, ca_key, out, mb = sys.argv[1:5]
    cert = x509.load_pem_x509_certificate(open(ca_pem, 'rb').read())
    key = serialization.load_pem_private_key(open(ca_key, 'rb').read(), None)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        alg = tlv(0x30, tlv(0x06, bytes.fromhex('2a8648ce3d040302')))
        sign = lambda tbs: key.sign(tbs, ec.ECDSA(hashes.SHA256()))
    elif isinstance(key, rsa.RSAPrivateKey):
        alg = tlv(0x30, tlv(0x06, bytes.fromhex('2a864886f70d01010b')) + b'\x05\x00')
        sign = lambda tbs: key.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
    else:
        sys.exit('bigcrl.py: an EC or RSA key, please')
    number = tlv(0xa0, tlv(0x30, tlv(0x30, tlv(0x06, bytes.fromhex('551d14')) + tlv(0x04, der_int(1)))))
    tbs = tlv(0x30, der_int(1) + alg + cert.subject.public_bytes() +
              utc(now - datetime.timedelta(hours=1)) + utc(now + datetime.timedelta(days=7)) +
              tlv(0x30, entries(float(mb), sys.argv[5:], now - datetime.timedelta(hours=2))) + number)
    crl = tlv(0x30, tbs + alg + tlv(0x03, b'\x00' + sign(tbs)))
    open(out, 'wb').write(crl)


main()
