/*
 * Unit tests for pki/sigctx: the digest chosen from the key (Baseline
 * Requirements 7.1.3.2.2), and signatures a verifier with that digest accepts.
 */
#include "testutil.h"
#include "pki/sigctx.h"

/* A signature by sigctx over msg verifies with the key and want (NULL: EdDSA). */
static void
check_key(EVP_PKEY *key, const EVP_MD *want)
{
	static const uint8_t msg[] = "tbsResponseData";
	uint8_t sig[1024];
	size_t siglen;
	struct sigctx sc;
	struct err e;
	EVP_MD_CTX *v = EVP_MD_CTX_new();

	assert_non_null(key);
	assert_ptr_equal(sigctx_md(key), want);
	if (want == NULL)
		assert_null(sigctx_md_name(key));
	else
		assert_string_equal(sigctx_md_name(key), EVP_MD_get0_name(want));
	assert_int_equal(sigctx_init(&sc, key, &e), 0);
	assert_int_equal(sigctx_sign(&sc, msg, sizeof(msg), sig, &siglen, &e), 0);
	assert_int_equal(EVP_DigestVerifyInit(v, NULL, want, NULL, key), 1);
	assert_int_equal(EVP_DigestVerify(v, sig, siglen, msg, sizeof(msg)), 1);
	sigctx_clear(&sc);
	EVP_MD_CTX_free(v);
	EVP_PKEY_free(key);
}

static void
test_ecdsa(void **state)
{
	(void)state;
	check_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), EVP_sha256());
	check_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"), EVP_sha384());
	check_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521"), EVP_sha512());
}

static void
test_rsa(void **state)
{
	(void)state;
	check_key(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), EVP_sha256());
}

static void
test_eddsa(void **state)
{
	(void)state;
	check_key(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), NULL);
	check_key(EVP_PKEY_Q_keygen(NULL, NULL, "ED448"), NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ecdsa),
	    cmocka_unit_test(test_rsa),
	    cmocka_unit_test(test_eddsa),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
