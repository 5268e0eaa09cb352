/*
 * sigctx.h - signing many small messages with one key, on one thread, at the
 * speed of the signature itself.
 *
 * EVP_DigestSignInit() costs a third of a P-256 signature in OpenSSL 3.0:
 * it fetches the digest and the signature algorithm by name, under locks,
 * and builds fresh provider contexts.  A sigctx does that once: for ECDSA and
 * RSA (PKCS#1 v1.5) keys it keeps an EVP_PKEY_CTX initialised for signing
 * with SHA-256 and a fetched SHA-256, and each message is hashed and its
 * digest signed.  EdDSA keys hash inside the signature, so for them each
 * message is signed with a one-shot EVP_DigestSign (the EdDSA init is cheap).
 * Keys behind the PKCS#11 engine work the same way.
 *
 * One sigctx per thread and key; the key itself may be shared.
 */
#ifndef LANCRE_PKI_SIGCTX_H
#define LANCRE_PKI_SIGCTX_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "util/err.h"

struct sigctx {
	EVP_PKEY *key;      /* borrowed */
	EVP_PKEY_CTX *pctx; /* ECDSA, RSA: initialised once */
	EVP_MD_CTX *mctx;
	EVP_MD *sha256;
	int eddsa;
};

int sigctx_init(struct sigctx *s, EVP_PKEY *key, struct err *e);
/* Free what s holds (any part may be NULL, as after a failed init) and zero it. */
void sigctx_clear(struct sigctx *s);

/* The largest signature the key makes. */
size_t sigctx_max(const struct sigctx *s);

/* Sign msg into sig (room for sigctx_max() bytes); *siglen gets its length. */
int sigctx_sign(struct sigctx *s, const uint8_t *msg, size_t len, uint8_t *sig, size_t *siglen,
    struct err *e);

#endif
