/*
 * ecverify.c - see ecverify.h.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1 /* EC_GROUP_precompute_mult: no successor in OpenSSL 3 */

#include "pki/ecverify.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

struct ecverify_key {
	EC_GROUP *g;  /* P-256, generator G (OpenSSL's built-in table) */
	EC_GROUP *gq; /* P-256 with generator Q, the key, and a table for it */
};

void
ecverify_key_free(struct ecverify_key *k)
{
	if (k == NULL)
		return;
	EC_GROUP_free(k->g);
	EC_GROUP_free(k->gq);
	free(k);
}

struct ecverify_key *
ecverify_key_new(EVP_PKEY *pub)
{
	struct ecverify_key *k = NULL;
	uint8_t oct[133]; /* an uncompressed point of P-521, the largest EC key */
	char curve[64];
	size_t len = 0;
	EC_POINT *q = NULL;
	BN_CTX *bn = NULL;

	if (!EVP_PKEY_is_a(pub, "EC") ||
	    EVP_PKEY_get_group_name(pub, curve, sizeof(curve), NULL) != 1 ||
	    strcmp(curve, SN_X9_62_prime256v1) != 0 ||
	    EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_PUB_KEY, oct, sizeof(oct),
		&len) != 1)
		goto fail;
	if ((k = calloc(1, sizeof(*k))) == NULL || (bn = BN_CTX_new()) == NULL ||
	    (k->g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)) == NULL ||
	    (k->gq = EC_GROUP_dup(k->g)) == NULL || (q = EC_POINT_new(k->g)) == NULL ||
	    EC_POINT_oct2point(k->g, q, oct, len, bn) != 1 || EC_POINT_is_at_infinity(k->g, q) ||
	    EC_POINT_is_on_curve(k->g, q, bn) != 1 ||
	    EC_GROUP_set_generator(k->gq, q, EC_GROUP_get0_order(k->g), BN_value_one()) != 1 ||
	    EC_GROUP_precompute_mult(k->gq, bn) != 1)
		goto fail;
	EC_POINT_free(q);
	BN_CTX_free(bn);
	return k;
fail:
	EC_POINT_free(q);
	BN_CTX_free(bn);
	ecverify_key_free(k);
	ERR_clear_error();
	return NULL;
}

/* r and s of sig, when it is DER that re-encodes to itself (as ECDSA_verify demands); else NULL. */
static ECDSA_SIG *
sig_read(const uint8_t *sig, size_t sig_len)
{
	const unsigned char *p = sig;
	unsigned char *der = NULL;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
	int n;

	if (s == NULL)
		return NULL;
	n = i2d_ECDSA_SIG(s, &der);
	if (n < 0 || (size_t)n != sig_len || memcmp(der, sig, sig_len) != 0) {
		ECDSA_SIG_free(s);
		s = NULL;
	}
	OPENSSL_free(der);
	return s;
}

/* 0 < v < n */
static int
in_range(const BIGNUM *v, const BIGNUM *n)
{
	return !BN_is_zero(v) && !BN_is_negative(v) && BN_ucmp(v, n) < 0;
}

int
ecverify_check(const struct ecverify_key *k, BN_CTX *bn, const uint8_t dgst[32],
    const uint8_t *sig, size_t sig_len)
{
	const BIGNUM *n = EC_GROUP_get0_order(k->g), *r, *s;
	ECDSA_SIG *rs = sig_read(sig, sig_len);
	EC_POINT *r1 = NULL, *r2 = NULL;
	BIGNUM *e, *w, *u1, *u2, *x;
	int ok = 0;

	if (rs == NULL)
		goto out;
	ECDSA_SIG_get0(rs, &r, &s);
	BN_CTX_start(bn);
	e = BN_CTX_get(bn);
	w = BN_CTX_get(bn);
	u1 = BN_CTX_get(bn);
	u2 = BN_CTX_get(bn);
	x = BN_CTX_get(bn);
	/* The order has 256 bits, as the digest: e is the digest whole, as OpenSSL takes it. */
	ok = x != NULL && in_range(r, n) && in_range(s, n) &&
	     BN_mod_inverse(w, s, n, bn) != NULL && BN_bin2bn(dgst, 32, e) != NULL &&
	     BN_mod_mul(u1, e, w, n, bn) == 1 && BN_mod_mul(u2, r, w, n, bn) == 1 &&
	     (r1 = EC_POINT_new(k->g)) != NULL && (r2 = EC_POINT_new(k->gq)) != NULL &&
	     EC_POINT_mul(k->g, r1, u1, NULL, NULL, bn) == 1 &&  /* u1*G: G's table */
	     EC_POINT_mul(k->gq, r2, u2, NULL, NULL, bn) == 1 && /* u2*Q: Q's table */
	     EC_POINT_add(k->g, r1, r1, r2, bn) == 1 && !EC_POINT_is_at_infinity(k->g, r1) &&
	     EC_POINT_get_affine_coordinates(k->g, r1, x, NULL, bn) == 1 &&
	     BN_nnmod(x, x, n, bn) == 1 && BN_cmp(x, r) == 0;
	BN_CTX_end(bn);
out:
	EC_POINT_free(r1);
	EC_POINT_free(r2);
	ECDSA_SIG_free(rs);
	ERR_clear_error();
	return ok;
}
