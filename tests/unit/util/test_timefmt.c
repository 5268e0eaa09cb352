/* Unit tests for util/timefmt: RFC 3339 parsing and formatting. */
#include "testutil.h"
#include "util/timefmt.h"

static void
test_format_epoch_and_leap_day(void **state)
{
	char buf[TIMEFMT_LEN];

	(void)state;
	timefmt_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	timefmt_format(951782400, buf, sizeof(buf)); /* 2000 is a leap year */
	assert_string_equal(buf, "2000-02-29T00:00:00Z");
	timefmt_format(-1, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
	timefmt_format(253402300799, buf, sizeof(buf));
	assert_string_equal(buf, "9999-12-31T23:59:59Z");
}

static void
test_parse_forms(void **state)
{
	struct err e;
	int64_t t;

	(void)state;
	assert_int_equal(timefmt_parse("2026-11-28T10:00:00Z", &t, &e), 0);
	assert_int_equal(t, 1795860000);
	assert_int_equal(timefmt_parse("2026-11-28t10:00:00.123456z", &t, &e), 0);
	assert_int_equal(t, 1795860000);
	assert_int_equal(timefmt_parse("2026-11-28T11:30:00+01:30", &t, &e), 0);
	assert_int_equal(t, 1795860000);
	assert_int_equal(timefmt_parse("2026-11-28T05:00:00-05:00", &t, &e), 0);
	assert_int_equal(t, 1795860000);
	assert_int_equal(timefmt_parse("2026-11-28", &t, &e), 0);
	assert_int_equal(t, 1795824000);
}

static void
test_parse_rejects(void **state)
{
	static const char *const bad[] = {
	    "", "yesterday", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
	    "2026-11-28T24:00:00Z", "2026-11-28T10:00:00", "2026-11-28T10:00Z",
	    "2026-11-28T10:00:00Zjunk", "2026-11-28T10:00:00+0100", "26-11-28",
	};
	struct err e;
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(timefmt_parse(bad[i], &t, &e), -1);
		assert_non_null(strstr(e.msg, "RFC 3339"));
	}
}

static void
test_round_trip(void **state)
{
	char buf[TIMEFMT_LEN];
	struct err e;
	int64_t t;

	(void)state;
	for (int64_t x = -86400LL * 365 * 70; x < 86400LL * 365 * 200; x += 86400 * 37 + 3671) {
		timefmt_format(x, buf, sizeof(buf));
		assert_int_equal(timefmt_parse(buf, &t, &e), 0);
		assert_int_equal(t, x);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_epoch_and_leap_day),
	    cmocka_unit_test(test_parse_forms),
	    cmocka_unit_test(test_parse_rejects),
	    cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
