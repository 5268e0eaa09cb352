/* Unit tests for util/num: strict decimal numbers in a range. */
#include "testutil.h"
#include "util/num.h"

#include <limits.h>

static void
test_accepts(void **state)
{
	unsigned long long v;
	int i;

	(void)state;
	assert_int_equal(num_parse("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(num_parse("18446744073709551615", 0, ULLONG_MAX, &v), 0);
	assert_true(v == ULLONG_MAX);
	assert_int_equal(num_parse_int("64", 1, 64, &i), 0);
	assert_int_equal(i, 64);
	assert_int_equal(num_parse_int("007", 1, 64, &i), 0); /* leading zeros are digits */
	assert_int_equal(i, 7);
}

static void
test_refuses(void **state)
{
	static const char *const bad[] = {"", "-1", "+1", " 1", "1 ", "1x", "0x10", "1e3",
	    "18446744073709551616", "4294967297"};
	unsigned long long v = 42;
	int i = 42;

	(void)state;
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		assert_int_equal(num_parse_int(bad[k], 0, INT_MAX, &i), -1);
		assert_int_equal(i, 42); /* untouched */
	}
	assert_int_equal(num_parse("65", 1, 64, &v), -1);
	assert_int_equal(num_parse("0", 1, 64, &v), -1);
	assert_int_equal(v, 42);
	assert_int_equal(num_parse_int("1", -1, 5, &i), -1); /* negative ranges are not numbers here */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts),
	    cmocka_unit_test(test_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
