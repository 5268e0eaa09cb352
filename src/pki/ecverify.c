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

/*
 * s^-1 mod n, by the binary extended Euclid on four 64-bit limbs (least
 * significant first).  BN_mod_inverse takes its constant-time path for a
 * group's order (flagged so), 9-12 us, a third of a check; this takes ~2.
 * s is public: no need for constant time.  n odd and prime, 0 < s < n, both
 * 256 bits at most; 0, or -1 if not (never for P-256's order).
 */
typedef uint64_t ecv_num[4];

static int
num_is_even(const ecv_num a)
{
	return (a[0] & 1) == 0;
}

static int
num_is_one(const ecv_num a)
{
	return a[0] == 1 && a[1] == 0 && a[2] == 0 && a[3] == 0;
}

/* a >= b */
static int
num_ge(const ecv_num a, const ecv_num b)
{
	for (int i = 3; i >= 0; i--)
		if (a[i] != b[i])
			return a[i] > b[i];
	return 1;
}

/* a -= b (a >= b) */
static void
num_sub(ecv_num a, const ecv_num b)
{
	uint64_t borrow = 0;

	for (int i = 0; i < 4; i++) {
		uint64_t d = a[i] - b[i] - borrow;
		borrow = (a[i] < b[i]) || (a[i] == b[i] && borrow);
		a[i] = d;
	}
}

/* a += b; the carry out */
static uint64_t
num_add(ecv_num a, const ecv_num b)
{
	uint64_t carry = 0;

	for (int i = 0; i < 4; i++) {
		uint64_t t = a[i] + carry;
		uint64_t c1 = t < carry;
		a[i] = t + b[i];
		carry = c1 + (a[i] < t);
	}
	return carry;
}

/* a = (a + top * 2^256) / 2 */
static void
num_half(ecv_num a, uint64_t top)
{
	for (int i = 0; i < 3; i++)
		a[i] = a[i] >> 1 | a[i + 1] << 63;
	a[3] = a[3] >> 1 | top << 63;
}

/* x / 2 mod n (x < n) */
static void
num_half_mod(ecv_num x, const ecv_num n)
{
	num_half(x, num_is_even(x) ? 0 : num_add(x, n));
}

/* x = x - y mod n (both < n) */
static void
num_sub_mod(ecv_num x, const ecv_num y, const ecv_num n)
{
	if (!num_ge(x, y))
		(void)num_add(x, n); /* wraps past 2^256; the subtraction brings it back below n */
	num_sub(x, y);
}

static void
num_from_bn(ecv_num a, const uint8_t be[32])
{
	for (int i = 0; i < 4; i++) {
		a[i] = 0;
		for (int j = 0; j < 8; j++)
			a[i] = a[i] << 8 | be[31 - 8 * i - 7 + j];
	}
}

static int
inverse_mod(BIGNUM *w, const BIGNUM *s, const BIGNUM *n)
{
	uint8_t buf[32];
	ecv_num u, v, x1 = {1}, x2 = {0}, nn;

	if (BN_num_bytes(n) > 32 || !BN_is_odd(n) || BN_bn2binpad(n, buf, 32) != 32)
		return -1;
	num_from_bn(nn, buf);
	memcpy(v, nn, sizeof(v));
	if (BN_bn2binpad(s, buf, 32) != 32)
		return -1;
	num_from_bn(u, buf);
	/* x1 * s = u and x2 * s = v (mod n); each round halves or shrinks u or v: 512 at most. */
	for (int round = 0; !num_is_one(u) && !num_is_one(v); round++) {
		if (round > 1024 || (u[0] | u[1] | u[2] | u[3]) == 0)
			return -1; /* s and n not coprime */
		while (num_is_even(u)) {
			num_half(u, 0);
			num_half_mod(x1, nn);
		}
		while (num_is_even(v)) {
			num_half(v, 0);
			num_half_mod(x2, nn);
		}
		if (num_ge(u, v)) {
			num_sub(u, v);
			num_sub_mod(x1, x2, nn);
		} else {
			num_sub(v, u);
			num_sub_mod(x2, x1, nn);
		}
	}
	{
		const uint64_t *x = num_is_one(u) ? x1 : x2;
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 8; j++)
				buf[31 - 8 * i - j] = (uint8_t)(x[i] >> (8 * j));
	}
	return BN_bin2bn(buf, 32, w) != NULL ? 0 : -1;
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
	     inverse_mod(w, s, n) == 0 && BN_bin2bn(dgst, 32, e) != NULL &&
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
