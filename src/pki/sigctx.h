/*
 * sigctx.h - signing many small messages with one key, on one thread, at the
 * speed of the signature itself.
 *
 * EVP_DigestSignInit() costs a third of a P-256 signature in OpenSSL 3.0:
 * it fetches the digest and the signature algorithm by name, under locks,
 * and builds fresh provider contexts.  A sigctx does that once: for ECDSA and
 * RSA (PKCS#1 v1.5) keys it keeps an EVP_PKEY_CTX initialised for signing
 * with the key's digest (sigctx_md_name) and that digest fetched, and each
 * message is hashed and its digest signed.  EdDSA keys hash inside the signature, so for them each
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
	EVP_MD *md;         /* ECDSA, RSA: the key's digest (sigctx_md_name) */
	int eddsa;
};

/*
 * The one choice of digest for everything lancre signs (OCSP responses,
 * CRLs, delegated responders' keys, PKCS#11 keys, key checks), from the key
 * alone, as the Baseline Requirements (7.1.3.2.2) ask: ECDSA P-256 with
 * SHA-256, P-384 with SHA-384, P-521 with SHA-512; RSA with SHA-256; EdDSA
 * hashes inside the signature, so NULL (no digest).  sigctx_md_name gives
 * OpenSSL's name for EVP_MD_fetch, sigctx_md the EVP_MD for the one-shot
 * OpenSSL signers (X509_CRL_sign, EVP_DigestSignInit).
 */
const char *sigctx_md_name(const EVP_PKEY *key);
const EVP_MD *sigctx_md(const EVP_PKEY *key);

int sigctx_init(struct sigctx *s, EVP_PKEY *key, struct err *e);
/* Free what s holds (any part may be NULL, as after a failed init) and zero it. */
void sigctx_clear(struct sigctx *s);

/* The largest signature the key makes. */
size_t sigctx_max(const struct sigctx *s);

/* Sign msg into sig (room for sigctx_max() bytes); *siglen gets its length. */
int sigctx_sign(struct sigctx *s, const uint8_t *msg, size_t len, uint8_t *sig, size_t *siglen,
    struct err *e);

#endif
