#!/usr/bin/python3
"""lint_cert_objects.py OUTDIR - certificates, and OCSP responses signed by
delegated responders, for tests/e2e/lint.sh; run after lint_objects.py, whose
issuer (OUTDIR/ca.pem, ca.key) and leaf (leaf.pem) they use.

As in lint_objects.py: OUTDIR/<rule id>.der breaks that rule and nothing
else, OUTDIR/clean-*.der break none.  Everything is made with Python
cryptography.  A subscriber certificate here is a leaf with the pointers a
client follows (AIA OCSP and caIssuers, one CRL Distribution Point, all
http://); each faulty one changes one thing.
"""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID as AIA, ExtendedKeyUsageOID as EKU
from cryptography.x509.oid import NameOID

OUT = sys.argv[1]
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
SECOND = datetime.timedelta(seconds=1)
with open(f"{OUT}/ca.pem", "rb") as f:
    CA = x509.load_pem_x509_certificate(f.read())
with open(f"{OUT}/ca.key", "rb") as f:
    KEY = serialization.load_pem_private_key(f.read(), None)
with open(f"{OUT}/leaf.pem", "rb") as f:
    LEAF = x509.load_pem_x509_certificate(f.read())
NO_REV_AVAIL = x509.ObjectIdentifier("2.5.29.56")  # RFC 9608
OCSP_URL, CA_URL, CRL_URL = "http://o.example/", "http://i.example/ca.der", "http://c.example/1.crl"


def write(name, obj):
    with open(f"{OUT}/{name}.der", "wb") as f:
        f.write(obj.public_bytes(serialization.Encoding.DER))


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def aia(*pairs):
    return x509.AuthorityInformationAccess(
        [x509.AccessDescription(m, x509.UniformResourceIdentifier(u)) for m, u in pairs])


def crldp(*urls, reasons=None, names=None):
    return x509.CRLDistributionPoints([x509.DistributionPoint(
        full_name=names or [x509.UniformResourceIdentifier(u) for u in urls],
        relative_name=None, reasons=reasons, crl_issuer=None)])


GOOD_AIA = aia((AIA.OCSP, OCSP_URL), (AIA.CA_ISSUERS, CA_URL))


def cert(subject="leaf.example", exts=(("aia", GOOD_AIA),), crl=True, ca=False, life=90 * DAY,
         issuer=None, key=None, md=None, eku=(EKU.SERVER_AUTH,), start=None, pub=None):
    """A certificate issued by CA (or issuer/key); exts: (name, value[, critical]) tuples."""
    start = start or NOW - HOUR
    pub = pub or ec.generate_private_key(ec.SECP256R1()).public_key()
    b = (x509.CertificateBuilder().subject_name(name(subject))
         .issuer_name((issuer or CA).subject).public_key(pub)
         .serial_number(x509.random_serial_number()).not_valid_before(start)
         .not_valid_after(start + life)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    if crl:
        b = b.add_extension(crldp(CRL_URL), critical=False)
    for e in exts:
        b = b.add_extension(e[1], critical=e[2] if len(e) > 2 else False)
    return b.sign(key or KEY, md or hashes.SHA256())


def norev(critical=False):
    return ("norev", x509.UnrecognizedExtension(NO_REV_AVAIL, b"\x05\x00"), critical)


# --- certificates ---------------------------------------------------------------------------
write("clean-cert-leaf", cert())
write("clean-cert-leaf-crl-only", cert(exts=[("aia", aia((AIA.CA_ISSUERS, CA_URL)))]))
write("clean-cert-leaf-ocsp-only", cert(crl=False))
write("clean-cert-short-lived", cert(crl=False, exts=[], life=7 * DAY - SECOND))
write("clean-cert-no-rev-avail", cert(crl=False, exts=[("aia", aia((AIA.CA_ISSUERS, CA_URL))), norev()]))
write("clean-cert-subca", cert("sub CA", ca=True, eku=(EKU.SERVER_AUTH, EKU.CLIENT_AUTH),
                               exts=[("aia", aia((AIA.CA_ISSUERS, CA_URL)))]))
write("clean-cert-root", CA)
# 7 days counted from notBefore through notAfter inclusive is one second more than 7 days.
write("e_cert_revocation_info_missing", cert(crl=False, exts=[], life=7 * DAY))
write("e_cert_subca_crldp_missing", cert("sub CA", ca=True, crl=False, exts=[]))
write("e_cert_crldp_url_not_http",
      cert(crl=False, exts=[("aia", GOOD_AIA), ("dp", crldp("https://c.example/1.crl"))]))
write("e_cert_ocsp_url_not_http", cert(exts=[("aia", aia((AIA.OCSP, "https://o.example/")))]))
write("e_cert_ca_issuers_url_not_http",
      cert(exts=[("aia", aia((AIA.OCSP, OCSP_URL), (AIA.CA_ISSUERS, "ldap://i.example/ca")))]))
write("e_cert_crldp_reasons_or_crl_issuer", cert(crl=False, exts=[
    ("aia", GOOD_AIA), ("dp", crldp(CRL_URL, reasons=frozenset([x509.ReasonFlags.key_compromise])))]))
write("e_cert_crldp_not_uri_full_name",
      cert(crl=False, exts=[("aia", GOOD_AIA), ("dp", crldp(names=[x509.DNSName("c.example")]))]))
write("w_cert_crldp_more_than_one", cert(crl=False, exts=[("aia", GOOD_AIA), ("dp", x509.CRLDistributionPoints([
    x509.DistributionPoint([x509.UniformResourceIdentifier(u)], None, None, None)
    for u in (CRL_URL, "http://c2.example/1.crl")]))]))
write("e_cert_aia_critical", cert(exts=[("aia", GOOD_AIA, True)]))
write("w_cert_crldp_critical", cert(crl=False, exts=[("aia", GOOD_AIA), ("dp", crldp(CRL_URL), True)]))
write("e_cert_no_rev_avail_critical",
      cert(crl=False, exts=[("aia", aia((AIA.CA_ISSUERS, CA_URL))), norev(True)]))
ROOT_KEY = ec.generate_private_key(ec.SECP256R1())
write("e_cert_no_rev_avail_in_ca", x509.CertificateBuilder().subject_name(name("norev root"))
      .issuer_name(name("norev root")).public_key(ROOT_KEY.public_key()).serial_number(5)
      .not_valid_before(NOW - DAY).not_valid_after(NOW + 365 * DAY)
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
      .add_extension(norev()[1], critical=False).sign(ROOT_KEY, hashes.SHA256()))
write("e_cert_no_rev_avail_with_revocation_urls", cert(crl=False, exts=[("aia", GOOD_AIA), norev()]))
# e_cert_sha1_signature: lint.sh re-signs clean-cert-leaf with `openssl x509 -sha1`.


# --- delegated OCSP responders --------------------------------------------------------------
def responder(eku=(EKU.OCSP_SIGNING,), nocheck=True, nocheck_critical=False, life=30 * DAY,
              issuer=None, key=None, crl=False, start=None, pub=None):
    exts = [("ku", x509.KeyUsage(True, False, False, False, False, False, False, False, False), True)]
    if nocheck:
        exts.append(("nocheck", x509.OCSPNoCheck(), nocheck_critical))
    return cert("responder", exts=exts, crl=crl, eku=eku, life=life, issuer=issuer, key=key,
                start=start, pub=pub)


RESPONDER_KEY = ec.generate_private_key(ec.SECP256R1())


def delegated(signer, span=DAY):
    """A good response for LEAF (issued by CA), signed by signer and carrying it."""
    b = ocsp.OCSPResponseBuilder().add_response(
        cert=LEAF, issuer=CA, algorithm=hashes.SHA1(), cert_status=ocsp.OCSPCertStatus.GOOD,
        this_update=NOW, next_update=NOW + span, revocation_time=None, revocation_reason=None)
    b = b.responder_id(ocsp.OCSPResponderEncoding.HASH, signer).certificates([signer])
    return b.sign(signer_key(signer), hashes.SHA256())


KEYS = {}


def signer_key(c):
    return KEYS[c.serial_number]


def keyed(**kw):
    """A responder certificate whose private key is kept, to sign responses with it."""
    k = ec.generate_private_key(ec.SECP256R1())
    c = responder(pub=k.public_key(), **kw)
    KEYS[c.serial_number] = k
    return c


write("clean-cert-responder", responder())
write("e_ocsp_responder_nocheck_missing", responder(nocheck=False))
write("e_ocsp_responder_nocheck_critical", responder(nocheck_critical=True))
write("e_ocsp_responder_crldp_present", responder(crl=True))
write("w_ocsp_responder_eku_not_only_ocsp_signing", responder(eku=(EKU.OCSP_SIGNING, EKU.SERVER_AUTH)))
write("w_ocsp_responder_validity_over_90_days", responder(life=90 * DAY + SECOND))
write("clean-ocsp-delegated", delegated(keyed()))
write("e_ocsp_responder_without_ocsp_signing", delegated(keyed(eku=None)))
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER = cert("other CA", ca=True, exts=[], crl=False, eku=None)  # only its name is used
write("e_ocsp_responder_not_issued_by_ca", delegated(keyed(issuer=OTHER, key=OTHER_KEY)))
# The responder's certificate ends 12 hours from now, the response's nextUpdate in a day.
write("e_ocsp_next_update_after_cert_expiry",
      delegated(keyed(life=DAY + 12 * HOUR, start=NOW - DAY)))
# The CA signs and carries its own certificate: not a delegate, no responder rule applies.
write("clean-ocsp-ca-cert-included", ocsp.OCSPResponseBuilder().add_response(
    cert=LEAF, issuer=CA, algorithm=hashes.SHA256(), cert_status=ocsp.OCSPCertStatus.GOOD,
    this_update=NOW, next_update=NOW + DAY, revocation_time=None, revocation_reason=None)
      .responder_id(ocsp.OCSPResponderEncoding.HASH, CA).certificates([CA]).sign(KEY, hashes.SHA256()))
