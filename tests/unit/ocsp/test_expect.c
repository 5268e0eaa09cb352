/*
 * Unit tests for ocsp/expect.c: what `lancre status` says the server
 * answers (item 17 of issue 15: `good` while OCSP answered `unauthorized`).
 */
#include "testutil.h"
#include "ocsp/expect.h"

#define NOW 1800000000
#define GRACE 86400

static const char *
expect(const struct cert_record *r, int signed_yet, char *why)
{
	const char *answer;

	ocsp_expect(&(struct ocsp_expect_in){r, signed_yet, NOW, GRACE}, &answer, why, 256);
	return answer;
}

static void
test_each_case(void **state)
{
	struct cert_record good = {.not_before = NOW - 100, .not_after = NOW + 1000,
				   .status = CERT_GOOD},
			   revoked = good, expired = good, long_expired = good;
	char why[256];

	(void)state;
	revoked.status = CERT_REVOKED;
	expired.not_after = NOW - 3600;
	long_expired.not_after = NOW - GRACE - 1;
	assert_string_equal(expect(NULL, 0, why), "unauthorized");
	assert_non_null(strstr(why, "no record"));
	assert_string_equal(expect(&good, 1, why), "good");
	assert_string_equal(expect(&revoked, 1, why), "revoked");
	assert_string_equal(expect(&good, 0, why), "unauthorized");
	assert_non_null(strstr(why, "not signed yet"));
	assert_string_equal(expect(&revoked, 0, why), "revoked");
	assert_non_null(strstr(why, "not signed yet"));
	/* Expired past the grace period: unauthorized, signed or not, whatever the record. */
	assert_string_equal(expect(&long_expired, 1, why), "unauthorized");
	assert_non_null(strstr(why, "expired at"));
	long_expired.status = CERT_REVOKED;
	assert_string_equal(expect(&long_expired, 1, why), "unauthorized");
	/* Expired within the grace period: the last response is still served. */
	assert_string_equal(expect(&expired, 1, why), "good");
	assert_non_null(strstr(why, "expired at"));
	assert_string_equal(expect(&expired, 0, why), "unauthorized");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_each_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
