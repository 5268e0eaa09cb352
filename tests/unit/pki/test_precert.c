/*
 * Unit tests for pki/precert: the poison is found (and refused when not
 * critical), a precertificate and its final certificate (SCT list added,
 * anywhere among the extensions, or none) hash the same, and a final
 * certificate that differs in anything else (subject, validity, serial)
 * does not; precert_decide's table; the fast reader flags precertificates.
 */
#include "precert_fixture.h"
#include "pki/certparse.h"
#include "pki/precert.h"

static struct test_ca ca;

static int
setup(void **state)
{
	(void)state;
	test_ca_make(&ca, "pre-ca", NULL, MINT_P256);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	test_ca_free(&ca);
	return 0;
}

static X509 *
parse(const unsigned char *der, int len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, len);

	assert_non_null(x);
	return x;
}

/* The TBS hash of f's certificate. */
static void
tbs_of(const struct fix_leaf *f, uint8_t out[PRECERT_TBS_LEN])
{
	int len;
	unsigned char *der = fix_leaf_der(&ca, f, &len);
	uint8_t again[PRECERT_TBS_LEN];
	X509 *x = parse(der, len);
	struct err e;

	assert_int_equal(precert_tbs_sha256(x, out, &e), 0);
	/* From the DER, the same; and x is left as it was (its own bytes still encode it). */
	assert_int_equal(precert_tbs_sha256_der(der, (size_t)len, again, &e), 0);
	assert_memory_equal(out, again, PRECERT_TBS_LEN);
	{
		unsigned char *re = NULL;
		int relen = i2d_X509(x, &re);
		assert_int_equal(relen, len);
		assert_memory_equal(re, der, (size_t)len);
		OPENSSL_free(re);
	}
	X509_free(x);
	OPENSSL_free(der);
}

static void
test_poison_found(void **state)
{
	struct fix_leaf plain = {0}, pre = {.flags = FIX_POISON}, weak = {.flags = FIX_POISON_NONCRIT};
	unsigned char *der;
	struct cert_parsed c;
	struct err e;
	int len;
	X509 *x;

	(void)state;
	der = fix_leaf_der(&ca, &plain, &len);
	x = parse(der, len);
	assert_int_equal(precert_poisoned(x, &e), 0);
	assert_int_equal(certparse(der, (size_t)len, &c), 0);
	assert_int_equal(c.precert, 0);
	X509_free(x);
	OPENSSL_free(der);

	der = fix_leaf_der(&ca, &pre, &len);
	x = parse(der, len);
	assert_int_equal(precert_poisoned(x, &e), 1);
	assert_int_equal(certparse(der, (size_t)len, &c), 0);
	assert_int_equal(c.precert, 1);
	X509_free(x);
	OPENSSL_free(der);

	der = fix_leaf_der(&ca, &weak, &len);
	x = parse(der, len);
	assert_int_equal(precert_poisoned(x, &e), -1);
	assert_non_null(strstr(e.msg, "not critical"));
	X509_free(x);
	OPENSSL_free(der);
}

static void
test_final_matches_its_precert(void **state)
{
	struct fix_leaf pre = {.flags = FIX_POISON}, fin = {.flags = FIX_SCT},
			fin_first = {.flags = FIX_SCT_FIRST}, bare = {0};
	uint8_t a[PRECERT_TBS_LEN], b[PRECERT_TBS_LEN];

	(void)state;
	tbs_of(&pre, a);
	tbs_of(&fin, b);
	assert_memory_equal(a, b, PRECERT_TBS_LEN);
	tbs_of(&fin_first, b); /* the SCT list may sit anywhere */
	assert_memory_equal(a, b, PRECERT_TBS_LEN);
	tbs_of(&bare, b); /* a final certificate without SCTs (embedded ones are optional) */
	assert_memory_equal(a, b, PRECERT_TBS_LEN);
}

static void
test_a_tampered_final_does_not(void **state)
{
	struct fix_leaf pre = {.flags = FIX_POISON};
	struct fix_leaf other[] = {
	    {.flags = FIX_SCT, .cn = "other.test"},
	    {.flags = FIX_SCT, .na = (int64_t)time(NULL) / 86400 * 86400 + 91 * 86400},
	    {.flags = FIX_SCT, .nb = (int64_t)time(NULL) / 86400 * 86400 - 2 * 86400},
	    {.flags = FIX_SCT, .serial = {0x42, 0x02}, .serial_len = 2},
	};
	uint8_t a[PRECERT_TBS_LEN], b[PRECERT_TBS_LEN];

	(void)state;
	tbs_of(&pre, a);
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		tbs_of(&other[i], b);
		assert_memory_not_equal(a, b, PRECERT_TBS_LEN);
	}
}

/* Without the two extensions, the hash is that of the certificate's own TBSCertificate. */
static void
test_hash_is_the_plain_tbs(void **state)
{
	struct fix_leaf bare = {0};
	uint8_t a[PRECERT_TBS_LEN], b[PRECERT_TBS_LEN];
	const unsigned char *p;
	unsigned char *der;
	unsigned int n;
	struct cert_parsed c;
	int len;

	(void)state;
	tbs_of(&bare, a);
	der = fix_leaf_der(&ca, &bare, &len);
	p = der;
	assert_int_equal(certparse(p, (size_t)len, &c), 0);
	assert_int_equal(EVP_Digest(c.tbs, c.tbs_len, b, &n, EVP_sha256(), NULL), 1);
	assert_memory_equal(a, b, PRECERT_TBS_LEN);
	OPENSSL_free(der);
}

static void
test_decide(void **state)
{
	struct precert_facts pre = {.precert = 1, .has_tbs = 1}, fin = {.has_tbs = 1},
			     other = {.has_tbs = 1}, done = {.has_tbs = 1}, direct = {0},
			     pre2 = {.precert = 1, .has_tbs = 1};

	(void)state;
	memset(pre.tbs, 1, PRECERT_TBS_LEN);
	memset(fin.tbs, 1, PRECERT_TBS_LEN);
	memset(done.tbs, 1, PRECERT_TBS_LEN);
	memset(pre2.tbs, 1, PRECERT_TBS_LEN);
	memset(other.tbs, 2, PRECERT_TBS_LEN);
	/* The recorded precertificate: its final certificate completes it, nothing else. */
	assert_int_equal(precert_decide(&pre, &fin), PRECERT_COMPLETES);
	assert_int_equal(precert_decide(&pre, &other), PRECERT_DIFFERENT);
	assert_int_equal(precert_decide(&pre, &pre2), PRECERT_DIFFERENT);
	/* The completed record: its precertificate again is the same, another is not. */
	assert_int_equal(precert_decide(&done, &pre), PRECERT_SAME);
	other.precert = 1;
	assert_int_equal(precert_decide(&done, &other), PRECERT_DIFFERENT);
	/* A final certificate recorded first: a precertificate cannot be compared, changes nothing. */
	assert_int_equal(precert_decide(&direct, &pre), PRECERT_SAME);
	/* Two final certificates: the old conflict. */
	assert_int_equal(precert_decide(&direct, &fin), PRECERT_DIFFERENT);
	assert_int_equal(precert_decide(&done, &fin), PRECERT_DIFFERENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_poison_found),
	    cmocka_unit_test(test_final_matches_its_precert),
	    cmocka_unit_test(test_a_tampered_final_does_not),
	    cmocka_unit_test(test_hash_is_the_plain_tbs),
	    cmocka_unit_test(test_decide),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
