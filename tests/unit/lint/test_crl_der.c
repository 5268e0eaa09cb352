/*
 * Unit tests for lint/crl_der.h: a CRL made and signed by OpenSSL, read back
 * by the walker (every entry's serial, date and reason as OpenSSL reads them),
 * its headers, its signature over the signed bytes (a flipped byte or another
 * key fails), every truncation refused, and the serial order.
 */
#include "testutil.h"
#include "lint/crl_der.h"

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "pki/cert.h"

#define NENTRIES 40

static EVP_PKEY *key;

/* A signed CRL of NENTRIES entries (reasons 0..5 in turn, every 7th without one). */
static unsigned char *
make_crl(int *len)
{
	X509_CRL *crl = X509_CRL_new();
	X509_NAME *name = X509_NAME_new();
	ASN1_TIME *t0 = ASN1_TIME_set(NULL, 1800000000), *t1 = ASN1_TIME_set(NULL, 1800086400);
	unsigned char *der = NULL;

	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"der CA", -1, -1, 0);
	assert_int_equal(X509_CRL_set_version(crl, 1), 1);
	assert_int_equal(X509_CRL_set_issuer_name(crl, name), 1);
	assert_int_equal(X509_CRL_set1_lastUpdate(crl, t0), 1);
	assert_int_equal(X509_CRL_set1_nextUpdate(crl, t1), 1);
	for (long i = 0; i < NENTRIES; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *s = ASN1_INTEGER_new();
		/* a GeneralizedTime date after 2049 for one entry, UTCTime for the others */
		ASN1_TIME *t = i == 3 ? ASN1_TIME_set(NULL, 2600000000) : ASN1_TIME_set(NULL, 1799990000 + i);
		ASN1_ENUMERATED *code = ASN1_ENUMERATED_new();

		ASN1_INTEGER_set(s, i == 5 ? -77 : 0x100000 * i + 1);
		ASN1_ENUMERATED_set(code, i % 6);
		assert_int_equal(X509_REVOKED_set_serialNumber(r, s), 1);
		assert_int_equal(X509_REVOKED_set_revocationDate(r, t), 1);
		if (i % 7 != 0)
			assert_int_equal(X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, code, 0, 0), 1);
		assert_int_equal(X509_CRL_add0_revoked(crl, r), 1);
		ASN1_INTEGER_free(s);
		ASN1_TIME_free(t);
		ASN1_ENUMERATED_free(code);
	}
	assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
	assert_true((*len = i2d_X509_CRL(crl, &der)) > 0);
	X509_CRL_free(crl);
	X509_NAME_free(name);
	ASN1_TIME_free(t0);
	ASN1_TIME_free(t1);
	return der;
}

static void
test_walk(void **state)
{
	int len;
	unsigned char *der = make_crl(&len);
	const unsigned char *p = der;
	X509_CRL *full = d2i_X509_CRL(NULL, &p, len), *headers;
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(full);
	struct crl_der c;
	struct crl_der_entry e;
	size_t pos = 0;
	int i = 0;

	(void)state;
	assert_int_equal(crl_der_open(der, (size_t)len, &c), 0);
	assert_int_equal(crl_der_count(&c), NENTRIES);
	while (crl_der_next(&c, &pos, &e) == 1) {
		X509_REVOKED *r = sk_X509_REVOKED_value(revs, i);
		ASN1_INTEGER *serial = crl_der_serial(e.serial, e.serial_len);
		ASN1_ENUMERATED *code = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
		int64_t when;

		assert_int_equal(ASN1_INTEGER_cmp(serial, X509_REVOKED_get0_serialNumber(r)), 0);
		assert_int_equal(cert_time(X509_REVOKED_get0_revocationDate(r), &when), 0);
		assert_true(e.date_ok);
		assert_int_equal(e.date, when);
		assert_int_equal(e.reason, code != NULL ? ASN1_ENUMERATED_get(code) : -1);
		ASN1_INTEGER_free(serial);
		ASN1_ENUMERATED_free(code);
		i++;
	}
	assert_int_equal(i, NENTRIES);
	assert_non_null(headers = crl_der_headers(&c));
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(headers), X509_CRL_get_issuer(full)), 0);
	assert_int_equal(ASN1_TIME_compare(X509_CRL_get0_nextUpdate(headers), X509_CRL_get0_nextUpdate(full)), 0);
	assert_true(X509_CRL_get_REVOKED(headers) == NULL || sk_X509_REVOKED_num(X509_CRL_get_REVOKED(headers)) == 0);
	X509_CRL_free(headers);
	X509_CRL_free(full);
	OPENSSL_free(der);
}

static void
test_verify(void **state)
{
	int len;
	unsigned char *der = make_crl(&len);
	EVP_PKEY *other = EVP_EC_gen("P-256");
	struct crl_der c;

	(void)state;
	assert_int_equal(crl_der_open(der, (size_t)len, &c), 0);
	assert_int_equal(crl_der_verify(&c, key), 1);
	assert_int_equal(crl_der_verify(&c, other), 0);
	der[len / 2] ^= 0x01; /* inside the entries: signed bytes */
	assert_int_equal(crl_der_open(der, (size_t)len, &c), 0);
	assert_int_equal(crl_der_verify(&c, key), 0);
	EVP_PKEY_free(other);
	OPENSSL_free(der);
}

/*
 * The algorithm must match the key: bytes signed with RSA and labelled
 * ecdsa-with-SHA256 are not verified here (X509_CRL_verify refuses them:
 * WRONG_PUBLIC_KEY_TYPE), and RSA PKCS#1 parameters other than NULL or none
 * are left to OpenSSL; with NULL or none they verify.
 */
static void
test_verify_key_type(void **state)
{
	static const uint8_t ecdsa256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
	static const uint8_t rsa_null[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
	    0x0b, 0x05, 0x00};
	static const uint8_t rsa_none[] = {0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
	    0x0b};
	static const uint8_t rsa_int[] = {0x30, 0x0e, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
	    0x0b, 0x02, 0x01, 0x00};
	static const uint8_t tbs[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t sig[1 + 512] = {0};
	size_t sig_len = sizeof(sig) - 1;
	struct crl_der c = {0};

	(void)state;
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, rsa), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig + 1, &sig_len, tbs, sizeof(tbs)), 1);
	c.tbs = tbs;
	c.tbs_len = sizeof(tbs);
	c.sig = sig;
	c.sig_len = sig_len + 1;
	c.alg = c.inner_alg = ecdsa256;
	c.alg_len = c.inner_alg_len = sizeof(ecdsa256);
	assert_int_equal(crl_der_verify(&c, rsa), -1);
	c.alg = c.inner_alg = rsa_int;
	c.alg_len = c.inner_alg_len = sizeof(rsa_int);
	assert_int_equal(crl_der_verify(&c, rsa), -1);
	c.alg = c.inner_alg = rsa_null;
	c.alg_len = c.inner_alg_len = sizeof(rsa_null);
	assert_int_equal(crl_der_verify(&c, rsa), 1);
	c.alg = c.inner_alg = rsa_none;
	c.alg_len = c.inner_alg_len = sizeof(rsa_none);
	assert_int_equal(crl_der_verify(&c, rsa), 1);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(rsa);
}

/* No prefix of a CRL is a CRL, and reading one never reads past it (ASan). */
static void
test_truncated(void **state)
{
	int len;
	unsigned char *der = make_crl(&len);
	struct crl_der c;

	(void)state;
	for (int n = 0; n < len; n++) {
		unsigned char *cut = malloc((size_t)n + 1);

		memcpy(cut, der, (size_t)n);
		assert_int_not_equal(crl_der_open(cut, (size_t)n, &c), 0);
		free(cut);
	}
	OPENSSL_free(der);
}

static void
test_serial_order(void **state)
{
	static const uint8_t neg2[] = {0xff, 0x00}, neg1[] = {0x80}, zero[] = {0x00}, one[] = {0x01},
			     big[] = {0x01, 0x00}, big2[] = {0x01, 0x01};

	(void)state;
	assert_true(crl_der_serial_cmp(neg2, 2, neg1, 1) < 0); /* -256 < -128 */
	assert_true(crl_der_serial_cmp(neg1, 1, zero, 1) < 0);
	assert_true(crl_der_serial_cmp(zero, 1, one, 1) < 0);
	assert_true(crl_der_serial_cmp(one, 1, big, 2) < 0);
	assert_true(crl_der_serial_cmp(big2, 2, big, 2) > 0);
	assert_int_equal(crl_der_serial_cmp(big, 2, big, 2), 0);
	assert_true(crl_der_serial_eq(big, 2, big, 2) && !crl_der_serial_eq(big, 2, big2, 2));
}

static int
setup(void **state)
{
	(void)state;
	key = EVP_EC_gen("P-256");
	return key == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(key);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_walk),
	    cmocka_unit_test(test_verify),
	    cmocka_unit_test(test_verify_key_type),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_serial_order),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
