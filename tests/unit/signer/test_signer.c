/* Unit tests for the signer's policy: validity, refresh and jitter; and ocsp_sign's output. */
#include "testutil.h"
#include "ocsp/sign.h"
#include "signer/signer.h"

#include <openssl/ocsp.h>

static void
test_times_within_bounds(void **state)
{
	struct conf c;
	int64_t t, n, d, now = 1800000000 + 37;
	uint8_t serial[8];
	int64_t min_next = INT64_MAX, max_next = 0;

	(void)state;
	conf_defaults(&c); /* 4d validity, 2d refresh */
	for (uint32_t i = 0; i < 2000; i++) {
		memcpy(serial, &i, sizeof(i));
		memcpy(serial + 4, &i, sizeof(i));
		signer_times(&c, serial, sizeof(serial), now, &t, &n, &d);
		assert_int_equal(t, now - 37);     /* to the minute */
		assert_int_equal(n % 60, 0);
		assert_true(n - t >= CONF_OCSP_VALIDITY_MIN);
		assert_true(n - t <= c.ocsp_validity);
		assert_true(d > t && d - t <= c.ocsp_refresh);
		assert_true(d - t <= (n - t) / 2 + 60);
		if (n < min_next)
			min_next = n;
		if (n > max_next)
			max_next = n;
	}
	/* Jitter spreads expiry over most of a tenth of the validity. */
	assert_true(max_next - min_next > c.ocsp_validity / 20);
}

static void
test_times_minimum_validity_has_no_jitter(void **state)
{
	struct conf c;
	int64_t t, n, d;
	uint8_t serial[] = {1, 2, 3};

	(void)state;
	conf_defaults(&c);
	c.ocsp_validity = CONF_OCSP_VALIDITY_MIN;
	c.ocsp_refresh = CONF_OCSP_VALIDITY_MIN / 2;
	signer_times(&c, serial, sizeof(serial), 1800000000, &t, &n, &d);
	assert_int_equal(n - t, CONF_OCSP_VALIDITY_MIN);
	assert_int_equal(d - t, CONF_OCSP_VALIDITY_MIN / 2);
}

static void
sign_and_check(enum mint_key_type type)
{
	struct test_ca ca;
	struct ocsp_signer sg;
	uint8_t serial[] = {0x00, 0x80, 0x01};
	struct ocsp_status st = {serial, sizeof(serial), CERT_REVOKED, 1800000000 - 5000, 1,
	    1800000000, 1800000000 + 86400};
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *der;
	const unsigned char *p;
	size_t len;
	struct err e;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	STACK_OF(X509) *certs = sk_X509_new_null();

	test_ca_make(&ca, "sign test CA", NULL, type);
	sg = (struct ocsp_signer){ca.cert, ca.cert, ca.key, 0};
	assert_int_equal(ocsp_sign(&sg, ctx, OCSP_HASH_SHA1, &st, &der, &len, &e), 0);
	p = der;
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	assert_non_null(resp);
	assert_int_equal(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = OCSP_response_get1_basic(resp);
	assert_non_null(bs);
	sk_X509_push(certs, ca.cert);
	/* Verify with the CA as the (only, trusted) signer. */
	assert_int_equal(OCSP_basic_verify(bs, certs, NULL, OCSP_NOVERIFY | OCSP_TRUSTOTHER), 1);
	assert_int_equal(OCSP_resp_count(bs), 1);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	OPENSSL_free(der);
	sk_X509_free(certs);
	EVP_MD_CTX_free(ctx);
	test_ca_free(&ca);
}

static void
test_sign_key_types(void **state)
{
	(void)state;
	sign_and_check(MINT_P256);
	sign_and_check(MINT_P384);
	sign_and_check(MINT_RSA2048);
	sign_and_check(MINT_ED25519);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_times_within_bounds),
	    cmocka_unit_test(test_times_minimum_validity_has_no_jitter),
	    cmocka_unit_test(test_sign_key_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
