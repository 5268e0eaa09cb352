/*
 * Unit tests for the CRL writer (crl/build.c): what it signs about each
 * entry.  Whole CRLs are checked against OpenSSL, Python cryptography and
 * GnuTLS in tests/e2e/crl.sh; here, the rules on single fields.
 */
#include "testutil.h"
#include "crl/build.h"

#include <openssl/x509.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_revocation_date_never_after_this_update),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
