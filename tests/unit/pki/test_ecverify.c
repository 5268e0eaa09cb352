/*
 * Unit tests for pki/ecverify: the same answer as OpenSSL's EVP_PKEY_verify
 * for valid signatures, tampered digests, r and s out of range or moved,
 * high s, encodings that are not DER, and another key.
 */
#include "testutil.h"
#include "pki/ecverify.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <string.h>

/* OpenSSL's answer: 1 valid, 0 not (errors included). */
static int
openssl_says(EVP_PKEY *key, const uint8_t dgst[32], const uint8_t *sig, size_t len)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(key, NULL);
	int ok;

	assert_non_null(c);
	assert_int_equal(EVP_PKEY_verify_init(c), 1);
	assert_int_equal(EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()), 1);
	ok = EVP_PKEY_verify(c, sig, len, dgst, 32) == 1;
	EVP_PKEY_CTX_free(c);
	ERR_clear_error();
	return ok;
}

static size_t
sign(EVP_PKEY *key, const uint8_t dgst[32], uint8_t *sig, size_t cap)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(key, NULL);
	size_t len = cap;

	assert_non_null(c);
	assert_int_equal(EVP_PKEY_sign_init(c), 1);
	assert_int_equal(EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()), 1);
	assert_int_equal(EVP_PKEY_sign(c, sig, &len, dgst, 32), 1);
	EVP_PKEY_CTX_free(c);
	return len;
}

/* sig with (r, s) made by how: 0 as is, 1 r+1, 2 s+1, 3 s = n-s, 4 r = 0, 5 r = n, 6 s = n, 7 r = r+n. */
static size_t
moved(const uint8_t *sig, size_t len, int how, uint8_t *out)
{
	const unsigned char *p = sig;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	const BIGNUM *n = EC_GROUP_get0_order(g), *r0, *s0;
	BIGNUM *r = NULL, *ss = NULL;
	unsigned char *o = out;
	int olen;

	assert_non_null(s);
	ECDSA_SIG_get0(s, &r0, &s0);
	r = BN_dup(r0);
	ss = BN_dup(s0);
	switch (how) {
	case 1: BN_add_word(r, 1); break;
	case 2: BN_add_word(ss, 1); break;
	case 3: BN_sub(ss, n, ss); break;
	case 4: BN_zero(r); break;
	case 5: BN_copy(r, n); break;
	case 6: BN_copy(ss, n); break;
	case 7: BN_add(r, r, n); break;
	}
	assert_int_equal(ECDSA_SIG_set0(s, r, ss), 1);
	olen = i2d_ECDSA_SIG(s, &o);
	assert_true(olen > 0);
	ECDSA_SIG_free(s);
	EC_GROUP_free(g);
	return (size_t)olen;
}

static void
test_as_openssl(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct ecverify_key *k, *ko;
	BN_CTX *bn = BN_CTX_new();
	uint8_t dgst[32], bad[32], sig[80], m[80], odd[90];
	size_t len, mlen;
	int valid = 0;

	(void)state;
	assert_non_null(key);
	assert_non_null(other);
	k = ecverify_key_new(key);
	ko = ecverify_key_new(other);
	assert_non_null(k);
	assert_non_null(ko);
	for (int i = 0; i < 200; i++) {
		assert_int_equal(RAND_bytes(dgst, sizeof(dgst)), 1);
		if (i < 8)
			memset(dgst, i < 4 ? 0xff : 0, sizeof(dgst)); /* e above n; e = 0 */
		len = sign(key, dgst, sig, sizeof(sig));
		for (int how = 0; how < 8; how++) {
			mlen = moved(sig, len, how, m);
			int want = openssl_says(key, dgst, m, mlen);
			assert_int_equal(ecverify_check(k, bn, dgst, m, mlen), want);
			valid += want;
			if (how == 0 || how == 3) /* as signed, and with the other s: both valid */
				assert_int_equal(want, 1);
		}
		memcpy(bad, dgst, sizeof(bad));
		bad[i % 32] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(ecverify_check(k, bn, bad, sig, len), 0);
		assert_int_equal(openssl_says(key, bad, sig, len), 0);
		assert_int_equal(ecverify_check(ko, bn, dgst, sig, len), 0);
		/* Not DER: a byte after it, the length in long form, truncated. */
		memcpy(odd, sig, len);
		odd[len] = 0;
		assert_int_equal(ecverify_check(k, bn, dgst, odd, len + 1), 0);
		assert_int_equal(openssl_says(key, dgst, odd, len + 1), 0);
		odd[0] = 0x30;
		odd[1] = 0x81;
		odd[2] = sig[1];
		memcpy(odd + 3, sig + 2, len - 2);
		assert_int_equal(ecverify_check(k, bn, dgst, odd, len + 1),
		    openssl_says(key, dgst, odd, len + 1));
		assert_int_equal(ecverify_check(k, bn, dgst, sig, len - 1), 0);
	}
	assert_int_equal(valid, 400);
	ecverify_key_free(k);
	ecverify_key_free(ko);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	BN_CTX_free(bn);
}

/* DER of (r, s), whatever their values (i2d_ECDSA_SIG writes any non-negative pair). */
static size_t
sig_of(const BIGNUM *r, const BIGNUM *s, uint8_t *out)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	unsigned char *o = out;
	int len;

	assert_non_null(sig);
	assert_int_equal(ECDSA_SIG_set0(sig, BN_dup(r), BN_dup(s)), 1);
	len = i2d_ECDSA_SIG(sig, &o);
	assert_true(len > 0);
	ECDSA_SIG_free(sig);
	return (size_t)len;
}

/* An INTEGER of the big-endian bytes v (n of them) at out, as given: no padding added or taken. */
static size_t
der_int(const uint8_t *v, size_t n, uint8_t *out)
{
	out[0] = 0x02;
	out[1] = (uint8_t)n;
	memcpy(out + 2, v, n);
	return n + 2;
}

/* The DER INTEGER of the non-negative big-endian bytes v (a 0 first when the top bit is set). */
static size_t
der_uint(const uint8_t *v, size_t n, uint8_t *out)
{
	uint8_t pad[40];

	if ((v[0] & 0x80) == 0)
		return der_int(v, n, out);
	pad[0] = 0;
	memcpy(pad + 1, v, n);
	return der_int(pad, n + 1, out);
}

/* SEQUENCE { a, b } and extra zero bytes inside it after them. */
static size_t
der_seq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, size_t extra, uint8_t *out)
{
	out[0] = 0x30;
	out[1] = (uint8_t)(alen + blen + extra);
	memcpy(out + 2, a, alen);
	memcpy(out + 2 + alen, b, blen);
	memset(out + 2 + alen + blen, 0, extra);
	return 2 + alen + blen + extra;
}

/*
 * r and s at the edges (0, 1, n-1, n, n+1, 2^256-1) beside a valid other
 * half, and encodings that are not DER (negative integers, a superfluous
 * leading zero, bytes after the integers inside the SEQUENCE or after it):
 * the same answer as OpenSSL's each time, and none valid.
 */
static void
test_edges(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	const BIGNUM *n = EC_GROUP_get0_order(g), *r0, *s0;
	struct ecverify_key *k = ecverify_key_new(key);
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *edge[6];
	uint8_t dgst[32], sig[160], m[160], ri[40], si[40], a[48], b[48];
	size_t len, mlen, alen, blen;
	const unsigned char *p;
	ECDSA_SIG *rs;
	int rn, sn, want;

	(void)state;
	assert_non_null(k);
	for (int i = 0; i < 6; i++)
		edge[i] = BN_new();
	BN_zero(edge[0]);
	BN_one(edge[1]);
	BN_copy(edge[2], n);
	BN_sub_word(edge[2], 1);
	BN_copy(edge[3], n);
	BN_copy(edge[4], n);
	BN_add_word(edge[4], 1);
	BN_one(edge[5]);
	BN_lshift(edge[5], edge[5], 256);
	BN_sub_word(edge[5], 1);
	assert_int_equal(RAND_bytes(dgst, sizeof(dgst)), 1);
	len = sign(key, dgst, sig, sizeof(sig));
	p = sig;
	rs = d2i_ECDSA_SIG(NULL, &p, (long)len);
	assert_non_null(rs);
	ECDSA_SIG_get0(rs, &r0, &s0);
	for (int i = 0; i < 6; i++) {
		for (int j = 0; j < 3; j++) { /* (edge, s), (r, edge), (edge, edge) */
			mlen = sig_of(j == 1 ? r0 : edge[i], j == 0 ? s0 : edge[i], m);
			assert_int_equal(openssl_says(key, dgst, m, mlen), 0);
			assert_int_equal(ecverify_check(k, bn, dgst, m, mlen), 0);
		}
	}
	rn = BN_bn2bin(r0, ri);
	sn = BN_bn2bin(s0, si);
	for (int v = 0; v < 6; v++) {
		switch (v) {
		case 0: /* r negative: its bytes with the top bit set, no leading zero */
			memcpy(m + 100, ri, (size_t)rn);
			m[100] |= 0x80;
			alen = der_int(m + 100, (size_t)rn, a);
			blen = der_uint(si, (size_t)sn, b);
			mlen = der_seq(a, alen, b, blen, 0, m);
			break;
		case 1: /* s = -1 */
			alen = der_uint(ri, (size_t)rn, a);
			blen = der_int((const uint8_t *)"\xff", 1, b);
			mlen = der_seq(a, alen, b, blen, 0, m);
			break;
		case 2: /* r with a superfluous leading zero (two when one is needed) */
			m[100] = m[101] = 0;
			memcpy(m + 102, ri, (size_t)rn);
			alen = (ri[0] & 0x80) ? der_int(m + 100, (size_t)rn + 2, a)
					      : der_int(m + 101, (size_t)rn + 1, a);
			blen = der_uint(si, (size_t)sn, b);
			mlen = der_seq(a, alen, b, blen, 0, m);
			break;
		case 3: /* two zero bytes inside the SEQUENCE after s */
			alen = der_uint(ri, (size_t)rn, a);
			blen = der_uint(si, (size_t)sn, b);
			mlen = der_seq(a, alen, b, blen, 2, m);
			break;
		case 4: /* as signed, but built here: the one valid */
			alen = der_uint(ri, (size_t)rn, a);
			blen = der_uint(si, (size_t)sn, b);
			mlen = der_seq(a, alen, b, blen, 0, m);
			break;
		default: /* two bytes after the SEQUENCE */
			memcpy(m, sig, len);
			m[len] = m[len + 1] = 0;
			mlen = len + 2;
			break;
		}
		want = openssl_says(key, dgst, m, mlen);
		assert_int_equal(want, v == 4);
		assert_int_equal(ecverify_check(k, bn, dgst, m, mlen), want);
	}
	ECDSA_SIG_free(rs);
	for (int i = 0; i < 6; i++)
		BN_free(edge[i]);
	ecverify_key_free(k);
	EVP_PKEY_free(key);
	EC_GROUP_free(g);
	BN_CTX_free(bn);
}

/*
 * The rare wrap: R.x >= n, and the signature's r is R.x mod n.  Built with a
 * public key Q whose x is n + j (the smallest j that is on the curve): (r, s)
 * = (j, j) over a zero digest gives u1 = 0, u2 = 1, R = Q.  Valid for both;
 * r = n + j (out of range) for neither, nor another digest.
 */
static void
test_wrap(void **state)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	const BIGNUM *n = EC_GROUP_get0_order(g);
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *x = BN_new(), *j = BN_new();
	EC_POINT *q = EC_POINT_new(g);
	uint8_t oct[65], dgst[32] = {0}, m[80];
	char name[] = "prime256v1";
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *key = NULL;
	struct ecverify_key *k;
	size_t mlen;

	(void)state;
	for (BN_ULONG w = 1;; w++) {
		BN_set_word(j, w);
		BN_add(x, n, j);
		if (EC_POINT_set_compressed_coordinates(g, q, x, 0, bn) == 1)
			break;
		ERR_clear_error();
	}
	assert_int_equal(EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, oct, sizeof(oct),
			     bn),
	    65);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, name, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, oct, sizeof(oct));
	params[2] = OSSL_PARAM_construct_end();
	assert_non_null(c);
	assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
	assert_int_equal(EVP_PKEY_fromdata(c, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
	k = ecverify_key_new(key);
	assert_non_null(k);
	mlen = sig_of(j, j, m);
	assert_int_equal(openssl_says(key, dgst, m, mlen), 1);
	assert_int_equal(ecverify_check(k, bn, dgst, m, mlen), 1);
	mlen = sig_of(x, j, m); /* r = R.x itself: not below n */
	assert_int_equal(openssl_says(key, dgst, m, mlen), 0);
	assert_int_equal(ecverify_check(k, bn, dgst, m, mlen), 0);
	dgst[31] = 1; /* another digest: R moves */
	mlen = sig_of(j, j, m);
	assert_int_equal(openssl_says(key, dgst, m, mlen), 0);
	assert_int_equal(ecverify_check(k, bn, dgst, m, mlen), 0);
	ecverify_key_free(k);
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(c);
	EC_POINT_free(q);
	BN_free(x);
	BN_free(j);
	BN_CTX_free(bn);
	EC_GROUP_free(g);
}

/* The inverse: small values, values just below n, powers of 2, random ones; what is refused. */
static void
test_inverse(void **state)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *n = BN_dup(EC_GROUP_get0_order(g)), *s = BN_new(), *w = BN_new(), *c = BN_new();
	BN_CTX *bn = BN_CTX_new();

	(void)state;
	for (int i = 0; i < 2400; i++) {
		if (i < 64) {
			BN_set_word(s, (BN_ULONG)i + 1);
		} else if (i < 128) {
			BN_copy(s, n);
			BN_sub_word(s, (BN_ULONG)i - 63);
		} else if (i < 384) {
			BN_one(s);
			BN_lshift(s, s, i - 128);
			if (BN_cmp(s, n) >= 0)
				continue;
		} else {
			BN_rand_range(s, n);
			if (BN_is_zero(s))
				continue;
		}
		assert_int_equal(ecverify_inverse(w, s, n), 0);
		assert_int_equal(BN_mod_mul(c, w, s, n, bn), 1);
		assert_true(BN_is_one(c));
		assert_true(BN_cmp(w, n) < 0);
	}
	BN_zero(s);
	assert_int_equal(ecverify_inverse(w, s, n), -1);
	BN_set_word(n, 15); /* not prime: 6 has no inverse */
	BN_set_word(s, 6);
	assert_int_equal(ecverify_inverse(w, s, n), -1);
	BN_free(n);
	BN_free(s);
	BN_free(w);
	BN_free(c);
	BN_CTX_free(bn);
	EC_GROUP_free(g);
}

/* Other keys get no table: they are checked the usual way. */
static void
test_p256_only(void **state)
{
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	(void)state;
	assert_null(ecverify_key_new(p384));
	assert_null(ecverify_key_new(rsa));
	assert_null(ecverify_key_new(ed));
	ecverify_key_free(NULL);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_as_openssl),
	    cmocka_unit_test(test_edges),
	    cmocka_unit_test(test_wrap),
	    cmocka_unit_test(test_inverse),
	    cmocka_unit_test(test_p256_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
