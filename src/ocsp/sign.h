/*
 * sign.h - building and signing one OCSP response, the lightweight way
 * (RFC 5019 and its revision): one SingleResponse, ResponderID byKey,
 * thisUpdate = producedAt truncated to the minute, nextUpdate always set, no
 * nonce, no extensions.  The status is good, or revoked with its time and
 * reason (the reason left out when unspecified, as in CRLs, BR 7.2.2).
 */
#ifndef LANCRE_OCSP_SIGN_H
#define LANCRE_OCSP_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "store/store.h"
#include "util/err.h"

struct ocsp_signer {
	X509 *issuer;    /* the CA: the CertID names it */
	X509 *responder; /* whose key signs: the issuer itself, or a delegated responder */
	EVP_PKEY *key;   /* the responder's private key */
	int delegated;   /* include the responder's certificate in the response */
};

struct ocsp_status {
	const uint8_t *serial; /* DER INTEGER content bytes */
	size_t serial_len;
	enum cert_status status;
	int64_t revoked_at;
	int reason;
	int64_t this_update, next_update; /* this_update is also producedAt */
};

/*
 * Sign the response for st with a CertID hashed with hash; *der gets the
 * whole OCSPResponse (free with OPENSSL_free).  ctx is the caller's scratch
 * context (one per thread), reset here.
 */
int ocsp_sign(const struct ocsp_signer *sg, EVP_MD_CTX *ctx, enum ocsp_hash hash,
    const struct ocsp_status *st, unsigned char **der, size_t *len, struct err *e);

#endif
