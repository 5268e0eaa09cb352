/* Unit tests for util/timefmt: RFC 3339 parsing and formatting. */
#include "testutil.h"
#include "util/timefmt.h"

#include <string.h>
#include <time.h>

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

/* The C library's gmtime_r() + strftime() in the C locale, for comparison. */
static void
libc_http(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	assert_non_null(gmtime_r(&tt, &tm));
	assert_int_equal(strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm), TIMEFMT_HTTP_LEN);
}

static void
test_http_date(void **state)
{
	char ours[TIMEFMT_HTTP_LEN + 1] = {0}, theirs[TIMEFMT_HTTP_LEN + 1];
	uint64_t x = 88172645463325252ULL;

	(void)state;
	timefmt_http(784111777, ours); /* RFC 9110's example */
	assert_string_equal(ours, "Sun, 06 Nov 1994 08:49:37 GMT");
	timefmt_http(-1, ours);
	assert_string_equal(ours, "Wed, 31 Dec 1969 23:59:59 GMT");
	/* Every day for 200 years from 1900, and 100,000 random seconds in 1000-9999
	 * (strftime's %Y does not pad years before 1000 to four digits). */
	for (int64_t t = -2208988800LL; t < 4102444800LL; t += 86400 + 3607) {
		timefmt_http(t, ours);
		libc_http(t, theirs, sizeof(theirs));
		assert_string_equal(ours, theirs);
	}
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int64_t t = (int64_t)(x % 284012524800ULL) - 30610224000LL; /* 1000 to 9999 */
		timefmt_http(t, ours);
		libc_http(t, theirs, sizeof(theirs));
		assert_string_equal(ours, theirs);
	}
}

/* timefmt_format by hand for years 0000-9999: what "%04d-%02d-..." writes, at every edge. */
static void
test_format_as_printf(void **state)
{
	static const int64_t edges[] = {-62167219201, -62167219200, -86401, -1, 0, 59, 86399,
	    951782400, 1767225599, 1767225600, 4102444800, 253402300799, 253402300800,
	    INT64_C(400000000000)};
	uint64_t x = 88172645463325252u;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct timefmt_civil c;
		char got[TIMEFMT_LEN], want[TIMEFMT_LEN];
		int64_t t;

		if (i < (int)(sizeof(edges) / sizeof(edges[0]))) {
			t = edges[i];
		} else { /* xorshift over 0000-9999 and a little around */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			t = (int64_t)(x % UINT64_C(320000000000)) - INT64_C(63000000000);
		}
		timefmt_to_civil(t, &c);
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.mon, c.day,
		    c.hour, c.min, c.sec);
		memset(got, 'x', sizeof(got));
		timefmt_format(t, got, sizeof(got));
		assert_string_equal(got, want);
	}
	{ /* a short buffer: cut as snprintf cuts */
		char got[8];
		timefmt_format(0, got, sizeof(got));
		assert_string_equal(got, "1970-01");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_as_printf),
	    cmocka_unit_test(test_format_epoch_and_leap_day),
	    cmocka_unit_test(test_parse_forms),
	    cmocka_unit_test(test_parse_rejects),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_http_date),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
