/*
 * crl_der.h - a CRL read from its DER without OpenSSL building an object for
 * every entry.  d2i_X509_CRL turns each revoked certificate into an
 * X509_REVOKED with its extensions decoded (about 480 bytes and a dozen
 * allocations each: 480 MB and most of the time for a million entries), and
 * `lancre explain` only needs each entry's serial, date and reason once.
 *
 * So the CRL's top-level structure is walked here (tbsCertList, the
 * revokedCertificates SEQUENCE, the signature), the rest of the CRL (issuer,
 * times, extensions) is handed to d2i_X509_CRL without its entries (a
 * "headers" CRL whose signature no longer matches: never verify it), the
 * entries are walked one by one in place, and the signature is checked over
 * the original tbsCertList bytes.  Memory: the DER itself, nothing per entry.
 *
 * Every length is checked against its enclosing TLV: nothing is read past
 * the buffer whatever the bytes (fuzz_explain, fuzz_crl_diff).  Only the
 * shapes RFC 5280 5.1 allows are taken; anything else is "not a CRL".
 */
#ifndef LANCRE_LINT_CRL_DER_H
#define LANCRE_LINT_CRL_DER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct crl_der {
	const uint8_t *der;
	size_t len;
	const uint8_t *tbs;         /* the tbsCertList TLV: the signed bytes */
	size_t tbs_len;
	const uint8_t *entries;     /* revokedCertificates' TLV, or NULL */
	size_t entries_len;
	const uint8_t *inner_alg;   /* tbsCertList.signature TLV */
	size_t inner_alg_len;
	const uint8_t *alg;         /* signatureAlgorithm TLV */
	size_t alg_len;
	const uint8_t *sig;         /* the signature BIT STRING's content (unused-bits byte first) */
	size_t sig_len;
};

struct crl_der_entry {
	const uint8_t *serial;      /* the INTEGER's content bytes (two's complement) */
	size_t serial_len;
	int64_t date;               /* revocationDate, seconds since the epoch */
	int date_ok;
	int reason;                 /* reasonCode, or -1 when the entry has none */
};

/* Split der into its parts: 0, or -1 when it is not a CRL's shape. */
int crl_der_open(const uint8_t *der, size_t len, struct crl_der *c);

/* The CRL without its entries, parsed by OpenSSL (never verify it), or NULL. */
X509_CRL *crl_der_headers(const struct crl_der *c);

/*
 * The next entry from *pos (start with *pos = 0): 1 and *e filled, 0 at the
 * end, -1 when an entry is malformed.
 */
int crl_der_next(const struct crl_der *c, size_t *pos, struct crl_der_entry *e);

/* Number of entries, or -1 when one is malformed. */
long crl_der_count(const struct crl_der *c);

/* The signature with key: 1 verifies, 0 does not, -1 when it cannot be checked here. */
int crl_der_verify(const struct crl_der *c, EVP_PKEY *key);

/* A serial's content bytes as an ASN1_INTEGER (the caller frees it), or NULL. */
ASN1_INTEGER *crl_der_serial(const uint8_t *p, size_t n);

/* 1 if a and b are the same serial (content bytes). */
int crl_der_serial_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* <0, 0, >0: a's serial against b's, by value. */
int crl_der_serial_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

#endif
