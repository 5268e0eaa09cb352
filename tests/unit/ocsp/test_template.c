/*
 * Unit tests for OCSP responses laid out from a template (ocsp/template.c):
 * for every key type, direct and delegated, and every status, the response
 * must carry exactly the tbsResponseData OpenSSL's own builder (ocsp_sign)
 * makes, encode canonically, and verify.  And a key that does not match the
 * responder gets no template.
 */
#include "testutil.h"
#include "ocsp/template.h"

#include <openssl/ocsp.h>

/* The DER of a response's tbsResponseData, decoded by OpenSSL. */
static size_t
respdata(const uint8_t *der, size_t len, uint8_t **out)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs;
	int n;

	assert_non_null(resp);
	assert_ptr_equal(p, der + len);
	bs = OCSP_response_get1_basic(resp);
	assert_non_null(bs);
	*out = NULL;
	n = i2d_OCSP_RESPDATA((OCSP_RESPDATA *)OCSP_resp_get0_respdata(bs), out);
	assert_true(n > 0);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return (size_t)n;
}

static void
verify(const uint8_t *der, size_t len, X509 *signer, int ncerts)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = OCSP_response_get1_basic(resp);
	STACK_OF(X509) *certs = sk_X509_new_null();
	unsigned char *again = NULL;

	assert_int_equal(i2d_OCSP_RESPONSE(resp, &again), (int)len);
	assert_memory_equal(again, der, len); /* canonical DER */
	sk_X509_push(certs, signer);
	assert_int_equal(OCSP_basic_verify(bs, certs, NULL, OCSP_NOVERIFY | OCSP_TRUSTOTHER), 1);
	/* sk_X509_num() of no certificates at all is -1 */
	assert_int_equal(sk_X509_num(OCSP_resp_get0_certs(bs)), ncerts ? ncerts : -1);
	OPENSSL_free(again);
	sk_X509_free(certs);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
}

static void
same_as_openssl(const struct ocsp_signer *sg)
{
	static const uint8_t s1[] = {0x01}, s2[] = {0x00, 0xff, 0x10}, s3[] = {0xfe, 0x01};
	uint8_t s64[STORE_SERIAL_MAX];
	const int64_t now = 1800000000 - 1800000000 % 60;
	const struct ocsp_status cases[] = {
	    {s1, sizeof(s1), CERT_GOOD, 0, 0, now, now + 4 * 86400},
	    {s2, sizeof(s2), CERT_REVOKED, now - 7777, 0, now, now + 86400},
	    {s3, sizeof(s3), CERT_REVOKED, now - 60, 10, now, now + 10 * 86400},
	    {s64, sizeof(s64), CERT_REVOKED, now - 1, 4, now, now + 8 * 3600},
	};
	static const enum ocsp_hash hashes[] = {OCSP_HASH_SHA1, OCSP_HASH_SHA256};
	struct ocsp_template t;
	struct sigctx sc;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t *ours, *a, *b;
	unsigned char *ref;
	size_t len, ref_len, na, nb;
	struct err e;

	memset(s64, 0x42, sizeof(s64));
	assert_int_equal(ocsp_template_init(&t, sg, &e), 0);
	assert_int_equal(sigctx_init(&sc, sg->key, &e), 0);
	ours = malloc(ocsp_template_max(&t));
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			assert_int_equal(ocsp_template_sign(&t, &sc, hashes[k], &cases[i], ours, &len,
					     &e), 0);
			assert_true(len <= ocsp_template_max(&t));
			assert_int_equal(ocsp_sign(sg, ctx, hashes[k], &cases[i], &ref, &ref_len, &e), 0);
			na = respdata(ours, len, &a);
			nb = respdata(ref, ref_len, &b);
			assert_int_equal(na, nb);
			assert_memory_equal(a, b, na);
			verify(ours, len, sg->responder, sg->delegated);
			OPENSSL_free(a);
			OPENSSL_free(b);
			OPENSSL_free(ref);
		}
	}
	free(ours);
	sigctx_clear(&sc);
	ocsp_template_clear(&t);
	EVP_MD_CTX_free(ctx);
}

static void
test_direct_every_key_type(void **state)
{
	static const enum mint_key_type types[] = {MINT_P256, MINT_P384, MINT_RSA2048,
	    MINT_ED25519};
	struct test_ca ca;

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		test_ca_make(&ca, "template CA", NULL, types[i]);
		same_as_openssl(&(struct ocsp_signer){ca.cert, ca.cert, ca.key, 0});
		test_ca_free(&ca);
	}
}

static void
test_delegated_responder(void **state)
{
	struct test_ca ca, responder;

	(void)state;
	test_ca_make(&ca, "template CA", NULL, MINT_P256);
	test_ca_make(&responder, "template responder", &ca, MINT_RSA2048);
	same_as_openssl(&(struct ocsp_signer){ca.cert, responder.cert, responder.key, 1});
	test_ca_free(&responder);
	test_ca_free(&ca);
}

/* A key that is not the responder's: no template (OpenSSL's reference signing refuses it). */
static void
test_self_check_refuses_a_mismatch(void **state)
{
	struct test_ca ca, other;
	struct ocsp_template t;
	struct err e;

	(void)state;
	test_ca_make(&ca, "template CA", NULL, MINT_P256);
	test_ca_make(&other, "another CA", NULL, MINT_P256);
	assert_int_equal(ocsp_template_init(&t, &(struct ocsp_signer){ca.cert, ca.cert, other.key,
					       0}, &e), -1);
	assert_non_null(strstr(e.msg, "key values mismatch"));
	ocsp_template_clear(&t);
	test_ca_free(&other);
	test_ca_free(&ca);
}

/* The revocationTime a response carries, as seconds. */
static int64_t
revocation_time(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = OCSP_response_get1_basic(resp);
	ASN1_GENERALIZEDTIME *rev = NULL;
	int reason;
	struct tm tm;

	assert_int_equal(OCSP_single_get0_status(OCSP_resp_get0(bs, 0), &reason, &rev, NULL, NULL),
	    V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(ASN1_TIME_to_tm(rev, &tm), 1);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return (int64_t)timegm(&tm);
}

/*
 * Item 16 of issue 15: a revocation recorded a few minutes ahead (inside the
 * clock-skew allowance) must not be signed after the response's thisUpdate,
 * by either builder.
 */
static void
test_revocation_time_never_after_this_update(void **state)
{
	static const uint8_t s1[] = {0x01};
	const int64_t now = 1800000000 - 1800000000 % 60;
	const struct ocsp_status st = {s1, sizeof(s1), CERT_REVOKED, now + 240, 1, now, now + 86400};
	struct test_ca ca;
	struct ocsp_template t;
	struct sigctx sc;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	struct ocsp_signer sg;
	unsigned char *ref;
	uint8_t *ours;
	size_t len;
	struct err e;

	(void)state;
	test_ca_make(&ca, "template CA", NULL, MINT_P256);
	sg = (struct ocsp_signer){ca.cert, ca.cert, ca.key, 0};
	assert_int_equal(ocsp_template_init(&t, &sg, &e), 0);
	assert_int_equal(sigctx_init(&sc, sg.key, &e), 0);
	ours = malloc(ocsp_template_max(&t));
	assert_int_equal(ocsp_template_sign(&t, &sc, OCSP_HASH_SHA1, &st, ours, &len, &e), 0);
	assert_int_equal(revocation_time(ours, len), now);
	assert_int_equal(ocsp_sign(&sg, ctx, OCSP_HASH_SHA1, &st, &ref, &len, &e), 0);
	assert_int_equal(revocation_time(ref, len), now);
	OPENSSL_free(ref);
	free(ours);
	sigctx_clear(&sc);
	ocsp_template_clear(&t);
	EVP_MD_CTX_free(ctx);
	test_ca_free(&ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_direct_every_key_type),
	    cmocka_unit_test(test_delegated_responder),
	    cmocka_unit_test(test_self_check_refuses_a_mismatch),
	    cmocka_unit_test(test_revocation_time_never_after_this_update),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
