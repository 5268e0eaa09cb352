/*
 * Unit tests for the CRL writer (crl/build.c): what it signs about each
 * entry.  Whole CRLs are checked against OpenSSL, Python cryptography and
 * GnuTLS in tests/e2e/crl.sh; here, the rules on single fields.
 */
#include "testutil.h"
#include "crl/build.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

/*
 * Item 16 of issue 15: an entry whose recorded revocation time lies after
 * the CRL's thisUpdate (a date accepted inside the clock-skew allowance) is
 * signed at thisUpdate, never after it; earlier ones are kept as recorded.
 */
static void
test_revocation_date_never_after_this_update(void **state)
{
	const int64_t now = 1800000000;
	struct test_ca ca;
	struct crl_params p;
	struct crl_builder *b;
	struct cert_record early = {.serial = {0x01}, .serial_len = 1, .revoked_at = now - 3600},
			   ahead = {.serial = {0x02}, .serial_len = 1, .revoked_at = now + 240};
	const unsigned char *der, *q;
	size_t len, count;
	X509_CRL *crl;
	struct err e;
	struct tm tm;

	(void)state;
	test_ca_make(&ca, "crl CA", NULL, MINT_P256);
	p = (struct crl_params){.issuer = ca.cert, .key = ca.key, .number = 1,
	    .this_update = now, .next_update = now + 86400};
	b = crl_builder_new(&p, &e);
	assert_non_null(b);
	assert_int_equal(crl_builder_add(b, &early, &e), 0);
	assert_int_equal(crl_builder_add(b, &ahead, &e), 0);
	assert_int_equal(crl_builder_finish(b, &der, &len, &count, &e), 0);
	q = der;
	crl = d2i_X509_CRL(NULL, &q, (long)len);
	assert_non_null(crl);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);
	for (int i = 0; i < 2; i++) {
		const X509_REVOKED *r = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), i);
		long sn = ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(r));
		assert_int_equal(ASN1_TIME_to_tm(X509_REVOKED_get0_revocationDate(r), &tm), 1);
		assert_int_equal((int64_t)timegm(&tm), sn == 1 ? now - 3600 : now);
	}
	X509_CRL_free(crl);
	crl_builder_free(b);
	test_ca_free(&ca);
}

/* The IDP of a CRL built with scope and url (NULL: none), or NULL when it has none. */
static ISSUING_DIST_POINT *
idp_of(const struct test_ca *ca, enum crl_scope scope, const char *url)
{
	struct crl_params p = {.issuer = ca->cert, .key = ca->key, .number = 1,
	    .this_update = 1800000000, .next_update = 1800086400, .idp_url = url, .scope = scope};
	const unsigned char *der, *q;
	ISSUING_DIST_POINT *idp;
	size_t len, count;
	X509_CRL *crl;
	struct err e;
	int crit = -1;
	struct crl_builder *b = crl_builder_new(&p, &e);

	assert_non_null(b);
	assert_int_equal(crl_builder_finish(b, &der, &len, &count, &e), 0);
	q = der;
	crl = d2i_X509_CRL(NULL, &q, (long)len);
	assert_non_null(crl);
	idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, NULL);
	if (idp != NULL)
		assert_int_equal(crit, 1); /* RFC 5280 5.2.5: critical */
	X509_CRL_free(crl);
	crl_builder_free(b);
	return idp;
}

/*
 * The scope of a CRL (RFC 5280 5.2.5): a root's ARL says onlyContainsCACerts,
 * its full CRL too (an IDP with that flag alone); leaf shards say
 * onlyContainsUserCerts as before; an issuer with both says neither; a full
 * CRL of leaves has no IDP, as before.
 */
static void
test_scope_in_idp(void **state)
{
	struct test_ca ca;
	ISSUING_DIST_POINT *idp;

	(void)state;
	test_ca_make(&ca, "scope CA", NULL, MINT_P256);
	idp = idp_of(&ca, CRL_SCOPE_CA, NULL);
	assert_non_null(idp);
	assert_true(idp->onlyCA && !idp->onlyuser && idp->distpoint == NULL);
	ISSUING_DIST_POINT_free(idp);
	idp = idp_of(&ca, CRL_SCOPE_CA, "http://c.test/crl/r/1.crl");
	assert_true(idp->onlyCA && !idp->onlyuser && idp->distpoint != NULL);
	ISSUING_DIST_POINT_free(idp);
	idp = idp_of(&ca, CRL_SCOPE_USER, "http://c.test/crl/e/1.crl");
	assert_true(!idp->onlyCA && idp->onlyuser && idp->distpoint != NULL);
	ISSUING_DIST_POINT_free(idp);
	idp = idp_of(&ca, CRL_SCOPE_ALL, "http://c.test/crl/e/1.crl");
	assert_true(!idp->onlyCA && !idp->onlyuser && idp->distpoint != NULL);
	ISSUING_DIST_POINT_free(idp);
	assert_null(idp_of(&ca, CRL_SCOPE_USER, NULL));
	assert_null(idp_of(&ca, CRL_SCOPE_ALL, NULL));
	test_ca_free(&ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_revocation_date_never_after_this_update),
	    cmocka_unit_test(test_scope_in_idp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
