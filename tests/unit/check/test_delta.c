/*
 * test_delta.c - when a delta CRL applies to a base (RFC 5280 5.2.4:
 * indicator, numbers, scope) and what its entry makes of the base's answer
 * (5.3.1 removeFromCRL), without a network: check/check_delta.c.
 */
#include "testutil.h"

#include <openssl/x509v3.h>

#include "check/check_delta.h"

/* Extensions: a CRL number (< 0: none), a Delta CRL Indicator (< 0: none), an IDP URL (NULL: none). */
static STACK_OF(X509_EXTENSION) *
exts(long number, long base, int base_critical, const char *idp)
{
	STACK_OF(X509_EXTENSION) *x = NULL;
	ASN1_INTEGER *n = ASN1_INTEGER_new();

	if (number >= 0) {
		ASN1_INTEGER_set(n, number);
		assert_int_equal(X509V3_add1_i2d(&x, NID_crl_number, n, 0, 0), 1);
	}
	if (base >= 0) {
		ASN1_INTEGER_set(n, base);
		assert_int_equal(X509V3_add1_i2d(&x, NID_delta_crl, n, base_critical, 0), 1);
	}
	if (idp != NULL) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, NID_issuing_distribution_point,
		    idp[0] == 'u' ? "onlyuser:TRUE" : "onlyCA:TRUE");

		assert_non_null(e);
		assert_non_null(X509v3_add_ext(&x, e, -1));
		X509_EXTENSION_free(e);
	}
	if (x == NULL)
		x = sk_X509_EXTENSION_new_null();
	ASN1_INTEGER_free(n);
	return x;
}

static void
applies(STACK_OF(X509_EXTENSION) *base, STACK_OF(X509_EXTENSION) *delta, int want, const char *why_part)
{
	char why[200] = "";

	assert_int_equal(check_delta_applies(base, delta, why, sizeof(why)), want);
	if (why_part != NULL)
		assert_non_null(strstr(why, why_part));
	sk_X509_EXTENSION_pop_free(base, X509_EXTENSION_free);
	sk_X509_EXTENSION_pop_free(delta, X509_EXTENSION_free);
}

static void
test_applies(void **state)
{
	(void)state;
	applies(exts(10, -1, 0, NULL), exts(11, 10, 1, NULL), 1, NULL);
	/* A base newer than the delta's BaseCRLNumber may take it (5.2.4 (c)). */
	applies(exts(10, -1, 0, NULL), exts(11, 9, 1, NULL), 1, NULL);
	applies(exts(10, -1, 0, "user"), exts(11, 10, 1, "user"), 1, NULL);
	applies(exts(10, -1, 0, NULL), exts(12, 11, 1, NULL), 0, "over a base newer");
	applies(exts(10, -1, 0, NULL), exts(10, 9, 1, NULL), 0, "not newer than the base");
	applies(exts(10, -1, 0, NULL), exts(11, 10, 0, NULL), 0, "no critical Delta CRL Indicator");
	applies(exts(10, -1, 0, NULL), exts(11, -1, 0, NULL), 0, "no critical Delta CRL Indicator");
	applies(exts(-1, -1, 0, NULL), exts(11, 10, 1, NULL), 0, "has no CRL number");
	applies(exts(10, -1, 0, NULL), exts(-1, 10, 1, NULL), 0, "the delta CRL has no CRL number");
	applies(exts(10, -1, 0, "user"), exts(11, 10, 1, "ca"), 0, "scope");
	applies(exts(10, -1, 0, "user"), exts(11, 10, 1, NULL), 0, "scope");
	applies(exts(10, -1, 0, NULL), exts(11, 10, 1, "user"), 0, "scope");
}

static X509_REVOKED *
entry(int reason)
{
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_TIME *t = ASN1_TIME_set(NULL, 1800000000);
	ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();

	X509_REVOKED_set_revocationDate(r, t);
	ASN1_ENUMERATED_set(e, reason);
	X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0);
	ASN1_TIME_free(t);
	ASN1_ENUMERATED_free(e);
	return r;
}

static void
test_decide(void **state)
{
	struct check_result r = {.status = CHECK_GOOD, .reason = -1};
	X509_REVOKED *e;

	(void)state;
	snprintf(r.why, sizeof(r.why), "not on the base");
	check_delta_decide(NULL, &r);
	assert_int_equal(r.status, CHECK_GOOD);
	assert_string_equal(r.why, "not on the base; its delta CRL does not list it");
	e = entry(1);
	check_delta_decide(e, &r);
	assert_int_equal(r.status, CHECK_REVOKED);
	assert_int_equal(r.reason, 1);
	assert_true(r.revoked_at == 1800000000);
	X509_REVOKED_free(e);
	/* On hold in the base, removeFromCRL in the delta: no longer revoked. */
	r = (struct check_result){.status = CHECK_REVOKED, .reason = 6, .revoked_at = 1};
	e = entry(8);
	check_delta_decide(e, &r);
	assert_int_equal(r.status, CHECK_GOOD);
	assert_int_equal(r.reason, -1);
	assert_non_null(strstr(r.why, "removeFromCRL"));
	X509_REVOKED_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_applies),
	    cmocka_unit_test(test_decide),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
