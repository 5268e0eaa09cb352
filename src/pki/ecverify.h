/*
 * ecverify.h - ECDSA P-256 signatures checked against one fixed key, with a
 * table of the key's multiples made once.
 *
 * Checking a certificate's signature is u1*G + u2*Q for the issuer's key Q.
 * OpenSSL keeps a table of multiples of the curve's generator G, so u1*G is
 * cheap, but computes u2*Q with a window from scratch every time: 39 of the
 * ~46 us of each P-256 check (EC_POINT_mul, measured on the 2-core machine),
 * and the check is 83% of an intake's CPU.  An issuer's key checks millions
 * of certificates, so a table for Q pays at once: a copy of the P-256 group
 * whose generator is Q, and OpenSSL's own precomputation for it
 * (EC_GROUP_precompute_mult: 25 ms and ~150 KB a key), makes u2*Q 6 us.
 *
 * The check itself is OpenSSL's (ossl_ecdsa_simple_verify_sig), step for
 * step: the signature must be DER that re-encodes to the same bytes; r and s
 * in [1, n-1]; e the digest; w = s^-1, u1 = e*w, u2 = r*w mod n; R = u1*G +
 * u2*Q, not infinity; valid when R.x mod n == r.  A "no" from here is not
 * final: sigverify.c asks OpenSSL again (refusals are rare), so that a
 * certificate refused is refused by OpenSSL's code with OpenSSL's answer.
 *
 * A key is read-only once made, and may be used by several threads at once,
 * each with its own BN_CTX.
 */
#ifndef LANCRE_PKI_ECVERIFY_H
#define LANCRE_PKI_ECVERIFY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

struct ecverify_key;

/* The table for pub; NULL when pub is not a P-256 key, or OpenSSL fails (check the usual way). */
struct ecverify_key *ecverify_key_new(EVP_PKEY *pub);
void ecverify_key_free(struct ecverify_key *k); /* accepts NULL */

/* 1 if sig (DER ECDSA-Sig-Value) signs the 32-byte digest dgst with k's key, else 0. */
int ecverify_check(const struct ecverify_key *k, BN_CTX *bn, const uint8_t dgst[32],
    const uint8_t *sig, size_t sig_len);

/*
 * w = s^-1 mod n for an odd prime n of at most 256 bits and 0 < s < n, in
 * variable time (for public values): 0, or -1 if not so.  The check's own
 * inverse, for the tests.
 */
int ecverify_inverse(BIGNUM *w, const BIGNUM *s, const BIGNUM *n);

#endif
