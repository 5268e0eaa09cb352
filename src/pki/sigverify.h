/*
 * sigverify.h - checking a certificate's signature from its raw parts (see
 * certparse.h), with digests fetched once instead of on every call.
 *
 * OpenSSL 3 looks a digest up by name, under a lock, each time a legacy
 * EVP_sha256() pointer is used; a sigverify context fetches SHA-256/384/512
 * once and reuses its EVP_MD_CTX.  One context per thread.
 *
 * For ECDSA and RSA it also keeps, per key and algorithm (up to
 * SIGVERIFY_KEYS pairs; more are checked the slow way), an EVP_PKEY_CTX set
 * up for verification once: each check hashes the signed bytes and verifies
 * the digest, what EVP_DigestVerify does inside, without the per-call
 * EVP_DigestVerifyInit (fetches by name under locks, new provider contexts:
 * as for signing, sigctx.h).  The context holds a reference to each key it
 * saw until sigverify_free.
 */
#ifndef LANCRE_PKI_SIGVERIFY_H
#define LANCRE_PKI_SIGVERIFY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "pki/certparse.h"
#include "pki/ecverify.h"

struct sigverify;

/* The (key, algorithm) pairs a context keeps set up: an import's issuers, a few. */
#define SIGVERIFY_KEYS 8

struct sigverify *sigverify_new(void);
void sigverify_free(struct sigverify *sv); /* accepts NULL */

/* 1 if sig over tbs verifies with pub under alg (and pub's type fits alg), else 0. */
int sigverify_check(struct sigverify *sv, EVP_PKEY *pub, enum cert_sig_alg alg,
    const uint8_t *tbs, size_t tbs_len, const uint8_t *sig, size_t sig_len);

/*
 * sigverify_check, with table a table of pub's multiples (pki/ecverify.h;
 * NULL: none).  ECDSA with SHA-256 is checked with it, in a third of the
 * CPU; a signature it refuses is checked again as sigverify_check does, so
 * that the answer for a refused one is OpenSSL's own.
 */
int sigverify_check_table(struct sigverify *sv, const struct ecverify_key *table, EVP_PKEY *pub,
    enum cert_sig_alg alg, const uint8_t *tbs, size_t tbs_len, const uint8_t *sig,
    size_t sig_len);

/* SHA-256 of data into out[32]. */
int sigverify_sha256(struct sigverify *sv, const uint8_t *data, size_t len, uint8_t *out);

#endif
