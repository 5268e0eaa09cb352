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
 * s^-1 mod n, by Kaliski's "almost inverse" (a binary extended Euclid) on
 * four 64-bit limbs, least significant first.  BN_mod_inverse takes its
 * constant-time path for a group's order (flagged so): 9-12 us, a third of
 * a check.  s is public: no need for constant time.  Each round subtracts
 * the smaller of u and v from the larger and shifts out all its trailing
 * zeros at once, doubling the other coefficient as often (a shift); the
 * result, s^-1 * 2^k, is divided by 2^k at the end, 63 bits at a time as
 * Montgomery reduction divides (num_div2t).  n odd and prime, 0 < s < n,
 * 256 bits at most.
 */
typedef uint64_t ecv_num[4];

/* a >= b */
static int
num_ge(const ecv_num a, const ecv_num b)
{
	for (int i = 3; i >= 0; i--)
		if (a[i] != b[i])
			return a[i] > b[i];
	return 1;
}

/* a -= b, the borrow out */
static uint64_t
num_sub(ecv_num a, const ecv_num b)
{
	uint64_t borrow = 0;

	for (int i = 0; i < 4; i++) {
		unsigned __int128 d = (unsigned __int128)a[i] - b[i] - borrow;
		a[i] = (uint64_t)d;
		borrow = (uint64_t)(d >> 64) & 1;
	}
	return borrow;
}

/* a += b (no carry out: the callers' sums stay below n) */
static void
num_add(ecv_num a, const ecv_num b)
{
	unsigned __int128 t = 0;

	for (int i = 0; i < 4; i++) {
		t += (unsigned __int128)a[i] + b[i];
		a[i] = (uint64_t)t;
		t >>= 64;
	}
}

/* a >>= t until a is odd (a != 0); how many bits */
static int
num_strip(ecv_num a)
{
	int t = 0, b;

	while (a[0] == 0) { /* a whole limb of zeros: once in 2^64 */
		a[0] = a[1], a[1] = a[2], a[2] = a[3], a[3] = 0;
		t += 64;
	}
	if ((b = __builtin_ctzll(a[0])) > 0) {
		for (int i = 0; i < 3; i++)
			a[i] = a[i] >> b | a[i + 1] << (64 - b);
		a[3] >>= b;
	}
	return t + b;
}

/* a <<= t (the callers' values stay below n: nothing shifts out) */
static void
num_shl(ecv_num a, int t)
{
	for (; t >= 64; t -= 64)
		a[3] = a[2], a[2] = a[1], a[1] = a[0], a[0] = 0;
	if (t > 0) {
		for (int i = 3; i > 0; i--)
			a[i] = a[i] << t | a[i - 1] >> (64 - t);
		a[0] <<= t;
	}
}

/*
 * x = x / 2^t mod n, 0 < t < 64 (x < n): with m = -x / n mod 2^t, x + m*n is a
 * multiple of 2^t below 2^(256+t) + n, and (x + m*n) / 2^t is below 2n.
 * ninv = -n^-1 mod 2^64.
 */
static void
num_div2t(ecv_num x, int t, const ecv_num n, uint64_t ninv)
{
	uint64_t m = (x[0] * ninv) & ((UINT64_C(1) << t) - 1), y[5];
	unsigned __int128 acc = 0;

	for (int i = 0; i < 4; i++) {
		acc += (unsigned __int128)m * n[i] + x[i];
		y[i] = (uint64_t)acc;
		acc >>= 64;
	}
	y[4] = (uint64_t)acc;
	for (int i = 0; i < 4; i++)
		x[i] = y[i] >> t | y[i + 1] << (64 - t);
	if (y[4] >> t != 0 || num_ge(x, n))
		(void)num_sub(x, n); /* wraps back below 2^256 when the top bit was set */
}

static void
num_from_be(ecv_num a, const uint8_t be[32])
{
	for (int i = 0; i < 4; i++) {
		a[i] = 0;
		for (int j = 0; j < 8; j++)
			a[i] = a[i] << 8 | be[24 - 8 * i + j];
	}
}

int
ecverify_inverse(BIGNUM *w, const BIGNUM *s, const BIGNUM *n)
{
	uint8_t buf[32];
	ecv_num u, v, r = {0}, c = {1}, nn;
	uint64_t ninv;
	int k, t;

	if (BN_num_bytes(n) > 32 || !BN_is_odd(n) || BN_bn2binpad(n, buf, 32) != 32)
		return -1;
	num_from_be(nn, buf);
	memcpy(u, nn, sizeof(u));
	if (BN_bn2binpad(s, buf, 32) != 32)
		return -1;
	num_from_be(v, buf);
	if ((v[0] | v[1] | v[2] | v[3]) == 0)
		return -1;
	/*
	 * s * r = -u * 2^k and s * c = v * 2^k (mod n), with n = u*c + v*r: r + c
	 * stays at most n.  u = n, v = s, r = 0, c = 1, k = 0 to start; u and v
	 * odd at each round's start; both 1 (the gcd) at the end.
	 */
	k = num_strip(v);
	for (int round = 0; memcmp(u, v, sizeof(u)) != 0; round++) {
		if (round > 1024)
			return -1; /* cannot happen for 0 < s < n, n prime */
		if (num_ge(u, v)) {
			(void)num_sub(u, v);
			num_add(r, c);
			t = num_strip(u);
			num_shl(c, t);
		} else {
			(void)num_sub(v, u);
			num_add(c, r);
			t = num_strip(v);
			num_shl(r, t);
		}
		k += t;
	}
	if (u[0] != 1 || (u[1] | u[2] | u[3]) != 0)
		return -1; /* the gcd is not 1: n is not prime */
	/* s^-1 = -r / 2^k = (n - r) / 2^k (0 < r < n). */
	memcpy(c, nn, sizeof(c));
	(void)num_sub(c, r);
	ninv = nn[0]; /* -n^-1 mod 2^64 by Newton's iteration: each step doubles the good bits */
	for (int i = 0; i < 6; i++)
		ninv *= 2 - nn[0] * ninv;
	ninv = 0 - ninv;
	for (; k > 0; k -= t)
		num_div2t(c, t = k < 63 ? k : 63, nn, ninv);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++)
			buf[31 - 8 * i - j] = (uint8_t)(c[i] >> (8 * j));
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
	     ecverify_inverse(w, s, n) == 0 && BN_bin2bn(dgst, 32, e) != NULL &&
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
