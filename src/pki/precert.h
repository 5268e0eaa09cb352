/*
 * precert.h - precertificates (RFC 6962 3.1) and the final certificates that
 * complete them.
 *
 * Before issuing a certificate, a CA that logs in Certificate Transparency
 * signs a precertificate: the certificate's TBSCertificate with a critical
 * "poison" extension (1.3.6.1.4.1.11129.2.4.3, value NULL) that no client
 * accepts.  The final certificate is the same TBSCertificate without the
 * poison and, usually, with the logs' SCT list (1.3.6.1.4.1.11129.2.4.2)
 * added.  Mozilla's root store policy treats a precertificate as a promise
 * that the certificate exists, so lancre records the precertificate's
 * serial (OCSP answers good for it at once) and lets the final certificate
 * complete the record later.
 *
 * The store keeps no certificate's bytes, only hashes, so the match is made
 * on precert_tbs_sha256(): the SHA-256 of the TBSCertificate with both
 * extensions removed and re-encoded by OpenSSL (i2d_re_X509_tbs), the same
 * computation for the precertificate and the final certificate.  Equal
 * hashes are RFC 6962's "same TBSCertificate but for those extensions".
 *
 * Not supported: a precertificate signed by a Precertificate Signing
 * Certificate (RFC 6962's EKU 1.3.6.1.4.1.11129.2.4.4).  Its issuer name and
 * authority key identifier are the signing certificate's, not the CA's, so
 * it is not "issued by" a registered issuer and intake refuses it (saying
 * so); RFC 9162 (CT 2.0) dropped that mechanism and Let's Encrypt and the
 * large CAs sign precertificates with the issuer itself.  Such a CA records
 * its final certificates.
 */
#ifndef LANCRE_PKI_PRECERT_H
#define LANCRE_PKI_PRECERT_H

#include <stdint.h>

#include <openssl/x509.h>

#include "store/store.h"
#include "util/err.h"

/* SHA-256; what the store keeps of it (store_cert.precert_tbs) is the same bytes. */
#define PRECERT_TBS_LEN STORE_PRECERT_TBS_LEN

/*
 * 1 if x carries the CT poison extension (a precertificate), 0 if not; -1
 * with e when it does but not as RFC 6962 3.1 says (not critical, a value
 * that is not NULL, or twice).
 */
int precert_poisoned(X509 *x, struct err *e);

/*
 * The SHA-256 of x's TBSCertificate without the poison and SCT-list
 * extensions, re-encoded: what a precertificate and its final certificate
 * share (x itself is not changed).  0, or -1 with e.
 */
int precert_tbs_sha256(X509 *x, uint8_t out[PRECERT_TBS_LEN], struct err *e);

/* The same from a certificate's DER. */
int precert_tbs_sha256_der(const uint8_t *der, size_t len, uint8_t out[PRECERT_TBS_LEN],
    struct err *e);

/* What is known about one side: the recorded row or the certificate arriving. */
struct precert_facts {
	int precert; /* a precertificate only (the row: no final certificate yet) */
	int has_tbs; /* tbs is known: precert_tbs_sha256() */
	uint8_t tbs[PRECERT_TBS_LEN];
};

enum precert_verdict {
	PRECERT_SAME,      /* nothing to change: a precertificate of the recorded certificate */
	PRECERT_COMPLETES, /* the final certificate of the recorded precertificate */
	PRECERT_DIFFERENT, /* another certificate with the same serial: refused */
};

/*
 * A certificate arrives whose issuer and serial are recorded for a
 * different certificate (another fingerprint): what it is to the recorded
 * one.  The final certificate completes a precertificate when their TBS
 * hashes match.  A precertificate whose final certificate is recorded
 * changes nothing: it is the same when the row kept the TBS hash (it was
 * completed from a precertificate) and the hashes match, and cannot be
 * compared when the final certificate came first (no hash): taken as the
 * same, since its serial is recorded either way.  Anything else (two
 * precertificates, two final certificates, hashes that differ) is different.
 */
enum precert_verdict precert_decide(const struct precert_facts *recorded,
    const struct precert_facts *incoming);

#endif
