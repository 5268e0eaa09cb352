/*
 * certparse.h - a fast, strict reader for the fields of an X.509 certificate
 * that intake needs, without building an OpenSSL X509 object.
 *
 * Why by hand: with OpenSSL 3.0 (Debian 12), d2i_X509 decodes every
 * certificate's public key through the provider decoder machinery, which
 * takes global locks and allocates heavily; importing 200,000 certificates
 * ran at 3,500/s on two cores, 0.15 of the signature-verification bound, and
 * did not scale with threads (perf: pthread_rwlock and OSSL_DECODER at the
 * top).  Intake never needs a leaf's public key, so this reader only frames
 * the DER and points into it.
 *
 * It understands the common shape (v3, the usual signature algorithms,
 * UTCTime/GeneralizedTime in Z form) and returns -1 for anything else; the
 * caller then falls back to OpenSSL's full parse, so an unusual certificate
 * costs time, never correctness.  Everything it accepts is re-checked by
 * OpenSSL in the tests (tests/unit/pki/test_certparse.c).
 */
#ifndef LANCRE_PKI_CERTPARSE_H
#define LANCRE_PKI_CERTPARSE_H

#include <stddef.h>
#include <stdint.h>

enum cert_sig_alg {
	CERT_SIG_ECDSA_SHA256,
	CERT_SIG_ECDSA_SHA384,
	CERT_SIG_ECDSA_SHA512,
	CERT_SIG_RSA_SHA256,
	CERT_SIG_RSA_SHA384,
	CERT_SIG_RSA_SHA512,
	CERT_SIG_ED25519,
};

struct cert_parsed {
	const uint8_t *tbs; /* the signed TBSCertificate, tag and length included */
	size_t tbs_len;
	const uint8_t *issuer; /* issuer Name, tag and length included */
	size_t issuer_len;
	const uint8_t *serial; /* INTEGER content bytes */
	size_t serial_len;
	int64_t not_before, not_after;
	enum cert_sig_alg sig_alg;
	const uint8_t *sig; /* signature value (BIT STRING content after the unused-bits byte) */
	size_t sig_len;
	int is_ca;             /* basicConstraints cA, or keyUsage keyCertSign */
	int precert;           /* the CT poison extension (precert.h): a precertificate */
	const uint8_t *crldp;  /* CRLDistributionPoints DER, or NULL */
	size_t crldp_len;
	const uint8_t *aia;    /* AuthorityInfoAccessSyntax DER, or NULL */
	size_t aia_len;
	const uint8_t *spki;   /* SubjectPublicKeyInfo, tag and length included */
	size_t spki_len;
};

/* 0 and *out filled, or -1: not a certificate this reader handles. */
int certparse(const uint8_t *der, size_t len, struct cert_parsed *out);

/*
 * The SubjectPublicKeyInfo of a DER certificate, tag and length included,
 * as the certificate carries it (what cert_parsed.spki points at too), for
 * any version: 0, or -1 when the DER does not frame.  Its SHA-256 is the
 * key a certificate is found by when its key is compromised (store.h).
 */
int certparse_spki(const uint8_t *der, size_t len, const uint8_t **spki, size_t *spki_len);

#endif
