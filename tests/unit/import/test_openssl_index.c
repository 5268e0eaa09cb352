/* Unit tests for import/openssl_index: every line form `openssl ca` writes, and refusals. */
#include "testutil.h"
#include "import/openssl_index.h"
#include "pki/reason.h"
#include "util/timefmt.h"

/* Parse text; the entries into out (up to max), their count, or -1 with *line and e. */
static int
parse(const char *text, struct openssl_index_entry *out, size_t max, size_t *line,
    struct err *e)
{
	struct openssl_index_reader r;
	struct openssl_index_entry ent;
	int n = 0, rc;

	openssl_index_init(&r, text, strlen(text));
	while ((rc = openssl_index_next(&r, &ent, e)) == 1) {
		if ((size_t)n < max)
			out[n] = ent;
		n++;
	}
	*line = r.line;
	return rc < 0 ? -1 : n;
}

static void
test_valid_and_expired(void **state)
{
	struct openssl_index_entry v[4];
	struct err e;
	size_t line;

	(void)state;
	assert_int_equal(parse("# a comment, as TXT_DB skips it\n"
			       "V\t271231235959Z\t\t0A\tunknown\t/CN=a.example\n"
			       "E\t20510101000000Z\t\t80\tunknown\t/O=tab\\\there/CN=b\n",
			     v, 4, &line, &e),
	    2);
	assert_int_equal(v[0].status, 'V');
	assert_int_equal(v[0].expires, timefmt_from_civil(2027, 12, 31, 23, 59, 59));
	assert_int_equal(v[0].reason, -1);
	assert_string_equal(v[0].serial_hex, "0A");
	assert_int_equal(v[0].serial_len, 1);
	assert_int_equal(v[0].serial[0], 0x0a);
	/* GeneralizedTime from 2050 on; a top-bit serial is 00 80 in DER; an escaped tab. */
	assert_int_equal(v[1].status, 'E');
	assert_int_equal(v[1].expires, timefmt_from_civil(2051, 1, 1, 0, 0, 0));
	assert_int_equal(v[1].serial_len, 2);
	assert_int_equal(v[1].serial[0], 0x00);
	assert_int_equal(v[1].serial[1], 0x80);
}

static void
test_revocation_forms(void **state)
{
	static const struct {
		const char *field;
		enum openssl_index_rev rev;
		int reason;
	} cases[] = {
	    {"261206120000Z", OPENSSL_REV_NONE, -1},
	    {"261206120000Z,unspecified", OPENSSL_REV_REASON, REASON_UNSPECIFIED},
	    {"261206120000Z,keyCompromise", OPENSSL_REV_REASON, REASON_KEY_COMPROMISE},
	    {"261206120000Z,CACompromise", OPENSSL_REV_REASON, REASON_CA_COMPROMISE},
	    {"261206120000Z,affiliationChanged", OPENSSL_REV_REASON, REASON_AFFILIATION_CHANGED},
	    {"261206120000Z,superseded", OPENSSL_REV_REASON, REASON_SUPERSEDED},
	    {"261206120000Z,cessationOfOperation", OPENSSL_REV_REASON,
		REASON_CESSATION_OF_OPERATION},
	    {"261206120000Z,certificateHold", OPENSSL_REV_REASON, REASON_CERTIFICATE_HOLD},
	    {"261206120000Z,removeFromCRL", OPENSSL_REV_REASON, REASON_REMOVE_FROM_CRL},
	    {"261206120000Z,SUPERSEDED", OPENSSL_REV_REASON, REASON_SUPERSEDED}, /* as strcasecmp */
	    {"261206120000Z,holdInstruction,holdInstructionReject", OPENSSL_REV_HOLD,
		REASON_CERTIFICATE_HOLD},
	    {"261206120000Z,holdInstruction,1.2.840.10040.2.2", OPENSSL_REV_HOLD,
		REASON_CERTIFICATE_HOLD},
	    {"261206120000Z,keyTime,20261201000000Z", OPENSSL_REV_KEY_TIME, REASON_KEY_COMPROMISE},
	    {"261206120000Z,CAkeyTime,20261130000000Z", OPENSSL_REV_CA_KEY_TIME,
		REASON_CA_COMPROMISE},
	};
	char text[256];
	struct openssl_index_entry v;
	struct err e;
	size_t line;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "R\t271231235959Z\t%s\t1000\tunknown\t/CN=x\n",
		    cases[i].field);
		assert_int_equal(parse(text, &v, 1, &line, &e), 1);
		assert_int_equal(v.status, 'R');
		assert_int_equal(v.revoked_at, timefmt_from_civil(2026, 12, 6, 12, 0, 0));
		assert_int_equal(v.rev, cases[i].rev);
		assert_int_equal(v.reason, cases[i].reason);
	}
	assert_string_equal(v.hold, "");
	assert_int_equal(v.compromised_at, timefmt_from_civil(2026, 11, 30, 0, 0, 0));
	assert_int_equal(parse("R\t271231235959Z\t261206120000Z,holdInstruction,holdInstructionReject"
			       "\t1000\tunknown\t/CN=x\n",
			     &v, 1, &line, &e),
	    1);
	assert_string_equal(v.hold, "holdInstructionReject");
}

static void
expect_error(const char *text, size_t want_line, const char *want)
{
	struct openssl_index_entry v[4];
	struct err e = {{0}};
	size_t line;

	assert_int_equal(parse(text, v, 4, &line, &e), -1);
	assert_int_equal(line, want_line);
	if (strstr(e.msg, want) == NULL)
		fail_msg("'%s': wanted '%s' in '%s'", text, want, e.msg);
}

static void
test_refusals(void **state)
{
	const char *ok = "V\t271231235959Z\t\t01\tunknown\t/CN=a\n";
	char text[512];

	(void)state;
	expect_error("\n", 1, "1 tab-separated fields");
	snprintf(text, sizeof(text), "%s%s\n", ok, "V\t271231235959Z\t\t02\tunknown");
	expect_error(text, 2, "5 tab-separated fields");
	expect_error("V\t271231235959Z\t\t02\tunknown\t/CN=a\textra\n", 1, "more than 6");
	snprintf(text, sizeof(text), "%s%s", ok, "V\t271231235959Z\t\t02\tunknown\t/CN=b");
	expect_error(text, 2, "no newline");
	expect_error("S\t271231235959Z\t\t02\tunknown\t/CN=a\n", 1, "status 'S'");
	expect_error("V\t2712312359Z9\t\t02\tunknown\t/CN=a\n", 1, "expiry '2712312359Z9'");
	expect_error("V\t271231235959Z\t261206120000Z\t02\tunknown\t/CN=a\n", 1,
	    "status V with a revocation field");
	expect_error("R\t271231235959Z\t\t02\tunknown\t/CN=a\n", 1, "without a revocation date");
	expect_error("R\t271231235959Z\tyesterday\t02\tunknown\t/CN=a\n", 1, "revocation date");
	expect_error("R\t271231235959Z\t261206120000Z,stolen\t02\tunknown\t/CN=a\n", 1,
	    "unknown revocation reason 'stolen'");
	expect_error("R\t271231235959Z\t261206120000Z,\t02\tunknown\t/CN=a\n", 1,
	    "unknown revocation reason ''");
	expect_error("R\t271231235959Z\t261206120000Z,superseded,x\t02\tunknown\t/CN=a\n", 1,
	    "unexpected 'x' after the reason");
	expect_error("R\t271231235959Z\t261206120000Z,keyTime\t02\tunknown\t/CN=a\n", 1,
	    "keyTime without the compromise time");
	expect_error("R\t271231235959Z\t261206120000Z,keyTime,261201000000Z\t02\tunknown\t/CN=a\n",
	    1, "not a GeneralizedTime");
	expect_error("R\t271231235959Z\t261206120000Z,holdInstruction\t02\tunknown\t/CN=a\n", 1,
	    "holdInstruction without");
	expect_error("R\t271231235959Z\t261206120000Z,holdInstruction,no such\t02\tunknown\t/CN=a\n",
	    1, "not an object identifier");
	expect_error("V\t271231235959Z\t\t0G\tunknown\t/CN=a\n", 1, "serial '0G' is not hex");
	expect_error("V\t271231235959Z\t\t\tunknown\t/CN=a\n", 1, "no serial");
	expect_error("V\t271231235959Z\t\t-01\tunknown\t/CN=a\n", 1, "not hex");
}

static void
test_limits(void **state)
{
	size_t big = OPENSSL_INDEX_LINE_MAX + 64;
	char *text = malloc(big + 1);

	(void)state;
	assert_non_null(text);
	memset(text, 'a', big);
	text[big - 1] = '\n';
	text[big] = '\0';
	expect_error(text, 1, "more than 65536 bytes");
	/* 129 hex digits: more than a 64-byte serial. */
	snprintf(text, big, "V\t271231235959Z\t\t%0129d\tunknown\t/CN=a\n", 1);
	expect_error(text, 1, "129 hex digits");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_and_expired),
	    cmocka_unit_test(test_revocation_forms),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
