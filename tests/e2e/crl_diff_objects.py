#!/usr/bin/python3
"""crl_diff_objects.py OUTDIR - pairs of CRLs for tests/e2e/crl_diff.sh, made with Python
cryptography: OUTDIR/<case>-old.der and <case>-new.der, the issuer ca.pem, and
leaf-expired.pem / leaf-valid.pem, the certificates of serials 0x20 and 0x21 (one expired
before the older CRLs' thisUpdate, one still valid)."""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

OUT = sys.argv[1]
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
KEY = ec.generate_private_key(ec.SECP256R1())
NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "diff CA")])
SKI = x509.SubjectKeyIdentifier.from_public_key(KEY.public_key())
KC, SUP = x509.ReasonFlags.key_compromise, x509.ReasonFlags.superseded


def cert(serial, not_before, not_after, ca=False):
    b = (x509.CertificateBuilder().subject_name(
        NAME if ca else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"leaf {serial}")]))
         .issuer_name(NAME).public_key(KEY.public_key()).serial_number(serial)
         .not_valid_before(not_before).not_valid_after(not_after))
    if ca:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return b.sign(KEY, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def crl(entries, number, this_update, url="http://c.example/1.crl"):
    """entries: {serial: (reason, revocation date)}"""
    b = (x509.CertificateRevocationListBuilder().issuer_name(NAME).last_update(this_update)
         .next_update(this_update + DAY)
         .add_extension(x509.CRLNumber(number), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(SKI),
                        critical=False)
         .add_extension(x509.IssuingDistributionPoint(
             full_name=[x509.UniformResourceIdentifier(url)], relative_name=None,
             only_contains_user_certs=True, only_contains_ca_certs=False, only_some_reasons=None,
             indirect_crl=False, only_contains_attribute_certs=False), critical=True))
    for serial, (reason, when) in sorted(entries.items()):
        e = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
        if reason is not None:
            e = e.add_extension(x509.CRLReason(reason), critical=False)
        b = b.add_revoked_certificate(e.build())
    return b.sign(KEY, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


T0, T1 = NOW - 2 * HOUR, NOW - HOUR
R = NOW - 3 * DAY
BASE = {0x10: (KC, R), 0x11: (SUP, R), 0x20: (SUP, R), 0x21: (SUP, R)}


def pair(name, new_entries, old_entries=BASE, numbers=(1, 2), times=(T0, T1), urls=None):
    urls = urls or ("http://c.example/1.crl", "http://c.example/1.crl")
    for suffix, entries, number, t, url in (("old", old_entries, numbers[0], times[0], urls[0]),
                                            ("new", new_entries, numbers[1], times[1], urls[1])):
        with open(f"{OUT}/{name}-{suffix}.der", "wb") as f:
            f.write(crl(entries, number, t, url))


def without(d, k):
    return {s: v for s, v in d.items() if s != k}


pair("sound", {**BASE, 0x12: (KC, NOW - 2 * HOUR)})
pair("number-back", {**BASE, 0x12: (KC, R)}, numbers=(2, 1))
pair("number-same", BASE, numbers=(2, 2))
pair("time-back", BASE, times=(T1, T0))
pair("removed-expired", without(BASE, 0x20))
pair("removed-valid", without(BASE, 0x21))
pair("to-key-compromise", {**BASE, 0x11: (KC, R - DAY)})
pair("from-key-compromise", {**BASE, 0x10: (SUP, R)})
pair("date-changed", {**BASE, 0x11: (SUP, R - DAY)})
pair("scope", BASE, urls=("http://c.example/1.crl", "http://c.example/2.crl"))
with open(f"{OUT}/ca.pem", "wb") as f:
    f.write(cert(1, NOW - 30 * DAY, NOW + 365 * DAY, ca=True))
with open(f"{OUT}/ca.key", "wb") as f:  # for `lancre issuer add` (crl_diff.sh's -d case)
    f.write(KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))
with open(f"{OUT}/leaf-expired.pem", "wb") as f:
    f.write(cert(0x20, NOW - 30 * DAY, T0 - HOUR))
with open(f"{OUT}/leaf-valid.pem", "wb") as f:
    f.write(cert(0x21, NOW - 30 * DAY, NOW + 30 * DAY))
