#!/usr/bin/python3
"""lint_objects.py OUTDIR - CRLs and OCSP responses for tests/e2e/lint.sh.

For every lint rule that can be made this way, OUTDIR/<rule id>.der is an
object that breaks that rule and nothing else; OUTDIR/clean-*.der are correct
objects that break none; OUTDIR/ca.pem is their issuer.  CRLs come from
Python cryptography's builder where it can write the fault, and otherwise
from a small DER writer below (a v1 CRL, a negative or missing number, an
undefined reason code, SHA-1, no nextUpdate: faults the builder refuses),
signed with the same key through cryptography.  OCSP responses come from
cryptography's OCSP builder; lint.sh makes the ones it cannot (SHA-1, byName,
several SingleResponses) with `openssl ocsp`.
"""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

OUT = sys.argv[1]
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
KEY = ec.generate_private_key(ec.SECP256R1())
NAME = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "lancre test"),
                  x509.NameAttribute(NameOID.COMMON_NAME, "lint CA")])
SKI = x509.SubjectKeyIdentifier.from_public_key(KEY.public_key())
CA = (x509.CertificateBuilder().subject_name(NAME).issuer_name(NAME)
      .public_key(KEY.public_key()).serial_number(1000)
      .not_valid_before(NOW - DAY).not_valid_after(NOW + 365 * DAY)
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
      .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                     critical=True)
      .add_extension(SKI, critical=False)
      .sign(KEY, hashes.SHA256()))
LEAF = (x509.CertificateBuilder().subject_name(
    x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leaf.example")]))
        .issuer_name(NAME).public_key(ec.generate_private_key(ec.SECP256R1()).public_key())
        .serial_number(0x1234).not_valid_before(NOW - DAY).not_valid_after(NOW + 90 * DAY)
        .sign(KEY, hashes.SHA256()))
URL = "http://c.example/crl/e1/1.crl"


def write(name, der):
    with open(f"{OUT}/{name}.der", "wb") as f:
        f.write(der)


# --- a DER writer for the CRLs the builder refuses to make ---------------------------------
def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(ln)]) + ln + body


def seq(*parts):
    return tlv(0x30, b"".join(parts))


def integer(v, tag=0x02):
    n = max(1, (v.bit_length() + 8) // 8)
    return tlv(tag, v.to_bytes(n, "big", signed=True))


def oid(dotted):
    a = [int(x) for x in dotted.split(".")]
    body = bytes([40 * a[0] + a[1]])
    for v in a[2:]:
        enc = [v & 0x7F]
        v >>= 7
        while v:
            enc.insert(0, 0x80 | (v & 0x7F))
            v >>= 7
        body += bytes(enc)
    return tlv(0x06, body)


def utctime(t):
    return tlv(0x17, t.strftime("%y%m%d%H%M%SZ").encode())


def ext(dotted, value, critical=False):
    return seq(oid(dotted), tlv(0x01, b"\xff") if critical else b"", tlv(0x04, value))


ECDSA = {"sha256": ("1.2.840.10045.4.3.2", hashes.SHA256()), "sha1": ("1.2.840.10045.4.1", hashes.SHA1())}


def raw_crl(version=1, number=1, reason=1, sig="sha256", next_update=DAY, aki=True, more=()):
    alg = seq(oid(ECDSA[sig][0]))
    entry = seq(integer(0x77), utctime(NOW - HOUR),
                seq(ext("2.5.29.21", integer(reason, 0x0A))) if reason is not None else b"")
    exts = []
    if aki:
        exts.append(ext("2.5.29.35", seq(tlv(0x80, SKI.digest))))
    if number is not None:
        exts.append(ext("2.5.29.20", integer(number)))
    exts.extend(more)
    tbs = seq(integer(version) if version is not None else b"", alg,
              NAME.public_bytes(), utctime(NOW),
              utctime(NOW + next_update) if next_update is not None else b"", seq(entry),
              tlv(0xA0, seq(*exts)) if exts else b"")
    sig_value = KEY.sign(tbs, ec.ECDSA(ECDSA[sig][1]))
    der = seq(tbs, alg, tlv(0x03, b"\x00" + sig_value))
    x509.load_der_x509_crl(der)  # cryptography reads it: a real, if faulty, CRL
    return der


# --- CRLs from cryptography's builder -------------------------------------------------------
def entry(serial, reason=x509.ReasonFlags.key_compromise, when=None):
    b = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when or NOW - HOUR)
    if reason is not None:
        b = b.add_extension(x509.CRLReason(reason), critical=False)
    return b.build()


def crl(entries=None, next_update=DAY, number=7, aki=True, idp="critical", extra=None,
        delta=None, delta_critical=True, freshest=None):
    b = (x509.CertificateRevocationListBuilder().issuer_name(NAME).last_update(NOW)
         .next_update(NOW + next_update))
    for e in entries if entries is not None else [entry(0x10), entry(0x11, None)]:
        b = b.add_revoked_certificate(e)
    if number is not None:
        b = b.add_extension(x509.CRLNumber(number), critical=False)
    if aki:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(SKI),
                            critical=False)
    if idp is not None:
        names = [x509.UniformResourceIdentifier(URL)] if idp != "nourl" else None
        b = b.add_extension(x509.IssuingDistributionPoint(
            full_name=names, relative_name=None, only_contains_user_certs=idp == "nourl",
            only_contains_ca_certs=False, only_some_reasons=None, indirect_crl=False,
            only_contains_attribute_certs=False), critical=idp != "noncritical")
    if extra is not None:
        b = b.add_extension(extra, critical=False)
    if delta is not None:
        b = b.add_extension(x509.DeltaCRLIndicator(delta), critical=delta_critical)
    if freshest is not None:
        b = b.add_extension(x509.FreshestCRL([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(URL.replace(".crl", "-delta.crl"))], None, None, None)]),
            critical=freshest == "critical")
    return b.sign(KEY, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


write("clean-crl", crl())
write("clean-crl-no-idp", crl(idp=None))
write("clean-crl-10-days", crl(next_update=10 * DAY))
write("e_crl_version_not_v2", raw_crl(version=None))
write("e_crl_next_update_missing", raw_crl(next_update=None))
write("e_crl_next_update_before_this_update", raw_crl(next_update=-HOUR))
write("e_crl_next_update_over_10_days", crl(next_update=10 * DAY + HOUR))
write("e_crl_number_missing", crl(number=None))
write("e_crl_number_negative", raw_crl(number=-5))
write("e_crl_number_over_159_bits", crl(number=2 ** 159))
write("clean-crl-number-159-bits", crl(number=2 ** 159 - 1))
write("e_crl_aki_missing", crl(aki=False))
write("e_crl_idp_not_critical", crl(idp="noncritical"))
write("e_crl_idp_without_url", crl(idp="nourl"))
write("e_crl_sha1_signature", raw_crl(sig="sha1"))
write("clean-crl-raw", raw_crl())
write("w_crl_size_over_10_mb", crl(extra=x509.UnrecognizedExtension(
    x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x04\x84" + (10 << 20).to_bytes(4, "big")
    + bytes(10 << 20))))
write("e_crl_duplicate_serial", crl(entries=[entry(0x10), entry(0x12), entry(0x10)]))
write("e_crl_reason_unspecified", crl(entries=[entry(0x10, x509.ReasonFlags.unspecified)]))
write("e_crl_reason_certificate_hold",
      crl(entries=[entry(0x10, x509.ReasonFlags.certificate_hold)]))
write("e_crl_reason_unknown", raw_crl(reason=7))
write("e_crl_remove_from_crl_in_base",
      crl(entries=[entry(0x10, x509.ReasonFlags.remove_from_crl)]))
write("w_crl_revocation_date_after_this_update", crl(entries=[entry(0x10, when=NOW + HOUR)]))
# Delta CRLs (RFC 5280 5.2.4): number 8 over base 7, and the base that points to its delta.
write("clean-crl-delta", crl(number=8, delta=7))
write("clean-crl-delta-remove-from-crl",
      crl(number=8, delta=7, entries=[entry(0x10, x509.ReasonFlags.remove_from_crl)]))
write("clean-crl-base-with-freshest", crl(freshest="noncritical"))
write("e_crl_delta_indicator_not_critical", crl(number=8, delta=7, delta_critical=False))
write("e_crl_delta_base_number_invalid",
      raw_crl(number=8, more=[ext("2.5.29.27", integer(-1), critical=True)]))
write("e_crl_delta_number_not_above_base", crl(number=7, delta=7))
write("e_crl_delta_with_freshest_crl", crl(number=8, delta=7, freshest="noncritical"))
write("e_crl_freshest_crl_critical", crl(freshest="critical"))


# --- OCSP responses ------------------------------------------------------------------------
def response(status=ocsp.OCSPCertStatus.GOOD, span=DAY, reason=None):
    b = ocsp.OCSPResponseBuilder().add_response(
        cert=LEAF, issuer=CA, algorithm=hashes.SHA1(), cert_status=status, this_update=NOW,
        next_update=NOW + span if span is not None else None,
        revocation_time=NOW - HOUR if status == ocsp.OCSPCertStatus.REVOKED else None,
        revocation_reason=reason)
    b = b.responder_id(ocsp.OCSPResponderEncoding.HASH, CA)
    return b.sign(KEY, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


write("clean-ocsp", response())
write("clean-ocsp-revoked", response(ocsp.OCSPCertStatus.REVOKED,
                                     reason=x509.ReasonFlags.key_compromise))
write("clean-ocsp-7-days", response(span=7 * DAY))
write("clean-ocsp-8-hours", response(span=8 * HOUR))
write("e_ocsp_next_update_missing", response(span=None))
write("e_ocsp_next_update_before_this_update", response(span=-HOUR))
write("e_ocsp_validity_over_10_days", response(span=10 * DAY + HOUR))
write("w_ocsp_validity_over_7_days", response(span=7 * DAY + HOUR))
write("e_ocsp_validity_under_8_hours", response(span=8 * HOUR - datetime.timedelta(seconds=1)))
write("e_ocsp_reason_unspecified", response(ocsp.OCSPCertStatus.REVOKED,
                                            reason=x509.ReasonFlags.unspecified))
write("e_ocsp_reason_certificate_hold", response(ocsp.OCSPCertStatus.REVOKED,
                                                 reason=x509.ReasonFlags.certificate_hold))
def with_single_reason(der):
    """der with the reasonCode CRL entry extension also in its SingleResponse's
    singleExtensions (cryptography's builder cannot write singleExtensions;
    asn1crypto can), signed again."""
    from asn1crypto import ocsp as aocsp
    r = aocsp.OCSPResponse.load(der)
    basic = r["response_bytes"]["response"].parsed
    basic["tbs_response_data"]["responses"][0]["single_extensions"] = [
        {"extn_id": "crl_reason", "critical": False, "extn_value": "key_compromise"}]
    tbs = basic["tbs_response_data"].dump(force=True)
    basic["signature"] = KEY.sign(tbs, ec.ECDSA(hashes.SHA256()))
    r["response_bytes"]["response"] = basic
    return r.dump(force=True)


write("e_ocsp_single_extension_reason_code", with_single_reason(
    response(ocsp.OCSPCertStatus.REVOKED, reason=x509.ReasonFlags.key_compromise)))
with open(f"{OUT}/ca.pem", "wb") as f:
    f.write(CA.public_bytes(serialization.Encoding.PEM))
with open(f"{OUT}/ca.key", "wb") as f:
    f.write(KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))
with open(f"{OUT}/leaf.pem", "wb") as f:
    f.write(LEAF.public_bytes(serialization.Encoding.PEM))
