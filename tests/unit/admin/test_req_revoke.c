/* Unit tests for admin/req_revoke: the JSON of POST /api/v1/revocations. */
#include "testutil.h"
#include "admin/req_revoke.h"
#include "pki/reason.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1795860000 /* 2026-11-28T10:00:00Z */

static int
decode(const char *json, struct admin_revocations *r, struct err *e)
{
	return admin_revocations_decode((const uint8_t *)json, strlen(json), NOW, r, e);
}

/* decode() must fail with exactly msg, leaving r empty. */
static void
refused(const char *json, const char *msg)
{
	struct admin_revocations r;
	struct err e;

	assert_int_equal(decode(json, &r, &e), -1);
	if (strcmp(e.msg, msg) != 0)
		fail_msg("for %s\n  got:  %s\n  want: %s", json, e.msg, msg);
	assert_null(r.v);
	assert_int_equal(r.n, 0);
}

static void
test_one_object(void **state)
{
	struct admin_revocations r;
	struct err e;

	(void)state;
	assert_int_equal(decode("{\"issuer\": \"Example CA\", \"serial\": \"01:A2\", \"reason\": "
				"\"keyCompromise\", \"date\": \"2026-11-28T09:00:00Z\"}",
			     &r, &e),
	    0);
	assert_int_equal(r.n, 1);
	assert_false(r.list);
	assert_string_equal(r.v[0].issuer, "Example CA");
	assert_int_equal(r.v[0].exact_len, 2);
	assert_memory_equal(r.v[0].exact, "\x01\xa2", 2);
	assert_int_equal(r.v[0].reason, REASON_KEY_COMPROMISE);
	assert_int_equal(r.v[0].date, NOW - 3600);
	admin_revocations_free(&r);
}

static void
test_defaults_and_canon(void **state)
{
	struct admin_revocations r;
	struct err e;

	(void)state;
	/* reason unspecified and date now, as `lancre revoke`; 80 is also 00 80 */
	assert_int_equal(decode("{\"serial\": \"0x80\", \"issuer\": \"a\"}", &r, &e), 0);
	assert_int_equal(r.v[0].reason, REASON_UNSPECIFIED);
	assert_int_equal(r.v[0].date, NOW);
	assert_int_equal(r.v[0].exact_len, 1);
	assert_int_equal(r.v[0].canon_len, 2);
	assert_memory_equal(r.v[0].canon, "\x00\x80", 2);
	admin_revocations_free(&r);
}

static void
test_list(void **state)
{
	struct admin_revocations r;
	struct err e;

	(void)state;
	assert_int_equal(decode(" [{\"issuer\": \"a\", \"serial\": \"01\"},\n"
				"  {\"issuer\": \"b\", \"serial\": \"02\", \"reason\": \"superseded\"}]\n",
			     &r, &e),
	    0);
	assert_true(r.list);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[1].issuer, "b");
	assert_int_equal(r.v[1].reason, REASON_SUPERSEDED);
	admin_revocations_free(&r);
}

/* 100,000 elements decode; 100,001 are refused, by count, before any element is read. */
static void
test_list_limit(void **state)
{
	static const char one[] = "{\"issuer\":\"a\",\"serial\":\"01\"},";
	size_t n = ADMIN_REVOCATIONS_MAX + 1, len = n * (sizeof(one) - 1) + 2;
	char *s = malloc(len + 1), *p = s;
	struct admin_revocations r;
	struct err e;

	(void)state;
	assert_non_null(s);
	*p++ = '[';
	for (size_t i = 0; i < n; i++, p += sizeof(one) - 1)
		memcpy(p, one, sizeof(one) - 1);
	p[-1] = ']';
	*p = '\0';
	assert_int_equal(decode(s, &r, &e), -1);
	assert_string_equal(e.msg, "100001 revocations in one request; at most 100000");
	p -= sizeof(one) - 1; /* drop the last element */
	p[-1] = ']';
	*p = '\0';
	assert_int_equal(decode(s, &r, &e), 0);
	assert_int_equal(r.n, ADMIN_REVOCATIONS_MAX);
	admin_revocations_free(&r);
	free(s);
}

static void
test_refused(void **state)
{
	(void)state;
	refused("", "not valid JSON: line 1, column 0: '[' or '{' expected near end of file");
	refused("{\"issuer\": \"a\", \"serial\": \"01\"", "not valid JSON: line 1, column 30: "
						      "'}' expected near end of file");
	refused("{\"issuer\": \"a\", \"serial\": \"01\"} x",
	    "not valid JSON: line 1, column 33: end of file expected near 'x'");
	refused("\"01\"", "not valid JSON: line 1, column 4: '[' or '{' expected near '\"01\"'");
	refused("[]", "an empty list: nothing to revoke");
	refused("{\"serial\": \"01\"}", "\"issuer\": missing");
	refused("{\"issuer\": \"a\"}", "\"serial\": missing");
	refused("{\"issuer\": 1, \"serial\": \"01\"}", "\"issuer\": expected a string");
	refused("{\"issuer\": \"\", \"serial\": \"01\"}", "\"issuer\": empty");
	refused("{\"issuer\": \"a\\nb\", \"serial\": \"01\"}",
	    "\"issuer\": control characters are not allowed");
	refused("{\"issuer\": \"a\", \"serial\": null}", "\"serial\": expected a string");
	refused("{\"issuer\": \"a\", \"serial\": \"0g\"}",
	    "\"serial\": '0g' is not a hex serial number of at most 64 bytes");
	refused("{\"issuer\": \"a\", \"serial\": \"01\", \"reason\": \"certificateHold\"}",
	    "\"reason\": certificateHold is not allowed: certificates cannot be suspended or "
	    "un-revoked (CA/B Forum BR 7.2.2)");
	refused("{\"issuer\": \"a\", \"serial\": \"01\", \"date\": \"yesterday\"}",
	    "\"date\": 'yesterday' is not an RFC 3339 date-time (like 2026-11-28T10:00:00Z)");
	refused("{\"issuer\": \"a\", \"serial\": \"01\", \"reson\": \"keyCompromise\"}",
	    "unknown member \"reson\" (known: issuer, serial, reason, date)");
	refused("{\"issuer\": \"a\", \"serial\": \"01\", \"issuer\": \"b\"}",
	    "not valid JSON: line 1, column 40: duplicate object key near '\"issuer\"'");
	refused("[{\"issuer\": \"a\", \"serial\": \"01\"}, {\"issuer\": \"a\", \"serial\": \"02\", "
		"\"reason\": 4}]",
	    "revocation 2: \"reason\": expected a string");
	refused("[{\"issuer\": \"a\", \"serial\": \"01\"}, [1]]",
	    "revocation 2: expected an object {\"issuer\": ..., \"serial\": ...}");
	refused("{\"issuer\": \"a\", \"serial\": \"01\", \"x\\u0001\": 1}",
	    "an unknown member (known: issuer, serial, reason, date)");
	refused("{\"issuer\": \"a\\u0000b\", \"serial\": \"01\"}",
	    "not valid JSON: line 1, column 21: \\u0000 is not allowed without JSON_ALLOW_NUL "
	    "near '\"a\\u0000b\"'");
}

/* A long value is refused by length, not quoted whole. */
static void
test_long_values(void **state)
{
	char s[512];

	(void)state;
	snprintf(s, sizeof(s), "{\"issuer\": \"%0*d\", \"serial\": \"01\"}", 65, 0);
	refused(s, "\"issuer\": longer than 64 bytes");
	snprintf(s, sizeof(s), "{\"issuer\": \"a\", \"serial\": \"%0*d\"}", 200, 0);
	refused(s, "\"serial\": longer than 194 bytes");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_object),
	    cmocka_unit_test(test_defaults_and_canon),
	    cmocka_unit_test(test_list),
	    cmocka_unit_test(test_list_limit),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_long_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
