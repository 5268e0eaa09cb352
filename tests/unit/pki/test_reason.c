/* Unit tests for pki/reason: RFC 5280 names and the BR rules. */
#include "testutil.h"
#include "pki/reason.h"

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(reason_name(REASON_KEY_COMPROMISE), "keyCompromise");
	assert_string_equal(reason_name(REASON_PRIVILEGE_WITHDRAWN), "privilegeWithdrawn");
	assert_null(reason_name(7));
	assert_null(reason_name(11));
	assert_null(reason_name(-1));
}

static void
test_parse_allowed(void **state)
{
	struct err e;
	int c = -1;

	(void)state;
	assert_int_equal(reason_parse("keycompromise", &c, &e), 0);
	assert_int_equal(c, REASON_KEY_COMPROMISE);
	assert_int_equal(reason_parse("superseded", &c, &e), 0);
	assert_int_equal(c, REASON_SUPERSEDED);
	assert_int_equal(reason_parse("0", &c, &e), 0);
	assert_int_equal(c, REASON_UNSPECIFIED);
	assert_int_equal(reason_parse("9", &c, &e), 0);
	assert_int_equal(c, REASON_PRIVILEGE_WITHDRAWN);
	/* For CA certificates: revoke_decide() refuses it for the others. */
	assert_int_equal(reason_parse("cACompromise", &c, &e), 0);
	assert_int_equal(c, REASON_CA_COMPROMISE);
}

static void
test_parse_refused(void **state)
{
	static const char *const bad[] = {"certificateHold", "6", "removeFromCRL", "8",
	    "aACompromise", "7", "11", "1/", "-1", "", "keyCompromised"};
	struct err e;
	int c = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(reason_parse(bad[i], &c, &e), -1);
		assert_int_equal(c, 42);
	}
	reason_parse("certificateHold", &c, &e);
	assert_non_null(strstr(e.msg, "BR 7.2.2"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_parse_allowed),
	    cmocka_unit_test(test_parse_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
