/*
 * mint.h - making keys and certificates, for `lancre demo`, the test-data
 * generator and the tests.  lancre does not issue certificates for a CA
 * (the CA's own software does); this is here so that the demo universe and
 * test fixtures are real, verifiable certificates built by OpenSSL.
 */
#ifndef LANCRE_PKI_MINT_H
#define LANCRE_PKI_MINT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/err.h"

enum mint_key_type {
	MINT_P256,
	MINT_P384,
	MINT_RSA2048,
	MINT_ED25519,
};

EVP_PKEY *mint_key(enum mint_key_type type, struct err *e);

struct mint_cert {
	const char *common_name;
	const char *organization; /* optional */
	X509 *issuer;             /* NULL: self-signed */
	EVP_PKEY *issuer_key;     /* the signing key (the subject's own when self-signed) */
	EVP_PKEY *subject_key;    /* public key to certify */
	const uint8_t *serial;    /* DER INTEGER content bytes */
	size_t serial_len;
	int64_t not_before, not_after;
	int ca;                     /* basicConstraints cA, keyCertSign + cRLSign */
	int pathlen;                /* for CAs; -1: none */
	const char *san;            /* subjectAltName, "DNS:a,IP:1.2.3.4"; NULL: none */
	const char *ocsp_url;       /* AIA OCSP; NULL: none */
	const char *ca_issuers_url; /* AIA caIssuers; NULL: none */
	const char *crl_url;        /* CRL Distribution Point; NULL: none */
};

/* Build and sign a certificate (SHA-256, or pure EdDSA for Ed25519 issuers). */
X509 *mint_certificate(const struct mint_cert *m, struct err *e);

/* PEM files; keys are written 0600.  Both replace the file atomically. */
int mint_write_cert_pem(const char *path, X509 *const *certs, size_t n, struct err *e);
int mint_write_key_pem(const char *path, EVP_PKEY *key, struct err *e);

#endif
