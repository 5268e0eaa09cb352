/*
 * test_token.c - the admin API's tokens as text (store/token.h) and the
 * audit trail's hash and JSON strings (store/audit.h): what the store's
 * contract tests take as given.
 */
#include "testutil.h"

#include "store/audit.h"
#include "store/token.h"

static void
test_generate(void **state)
{
	char a[TOKEN_TEXT_LEN + 1], b[TOKEN_TEXT_LEN + 1];
	struct err e;

	(void)state;
	assert_int_equal(token_generate(a, &e), 0);
	assert_int_equal(token_generate(b, &e), 0);
	assert_int_equal(strlen(a), 47);
	assert_memory_equal(a, "lct_", 4);
	assert_true(token_text_valid(a, strlen(a)));
	assert_string_not_equal(a, b);
	/* The last character encodes 4 bits and 2 zero bits: one of 16 of the alphabet. */
	assert_non_null(strchr("AEIMQUYcgkosw048", a[46]));
	assert_false(token_text_valid(a, 46));
	a[10] = '+'; /* base64, not base64url */
	assert_false(token_text_valid(a, strlen(a)));
	assert_false(token_text_valid("lct-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 47));
	assert_true(token_text_valid("lct_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 47));
}

static void
test_hash(void **state)
{
	/* SHA-256("abc"), FIPS 180-2 B.1. */
	static const uint8_t abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41,
	    0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a,
	    0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	uint8_t h[32];

	(void)state;
	assert_int_equal(token_hash("abc", 3, h), 0);
	assert_memory_equal(h, abc, 32);
}

static void
test_names_and_scopes(void **state)
{
	char text[TOKEN_SCOPES_TEXT_MAX];
	unsigned s;
	struct err e;

	(void)state;
	assert_int_equal(token_name_check("ci-01.issuer_A", &e), 0);
	assert_int_equal(token_name_check("", &e), -1);
	assert_int_equal(token_name_check("-x", &e), -1);
	assert_int_equal(token_name_check("a b", &e), -1);
	assert_int_equal(token_name_check("a\"b", &e), -1);
	assert_int_equal(token_name_check(
			     "0123456789012345678901234567890123456789012345678901234567890123", &e),
	    -1);
	assert_int_equal(token_scopes_parse("read,intake", &s, &e), 0);
	assert_int_equal(s, TOKEN_SCOPE_READ | TOKEN_SCOPE_INTAKE);
	token_scopes_format(s, text);
	assert_string_equal(text, "intake,read");
	token_scopes_format(TOKEN_SCOPE_ALL, text);
	assert_string_equal(text, "intake,revoke,read");
	assert_int_equal(token_scopes_parse("intake,intake", &s, &e), -1);
	assert_int_equal(token_scopes_parse("intake,", &s, &e), -1);
	assert_int_equal(token_scopes_parse("", &s, &e), -1);
	assert_int_equal(token_scopes_parse("admin", &s, &e), -1);
	assert_non_null(strstr(e.msg, "unknown scope 'admin'"));
}

/* Each field is in the hash, and the length prefixes keep two rows from encoding alike. */
static void
test_audit_hash(void **state)
{
	uint8_t prev[32] = {0}, h0[32], h[32];
	static const uint8_t s1[] = {1, 2};
	struct audit_event ev = {.at = 5, .actor = "cli:a", .origin = "cli", .action = "cert.add",
	    .issuer_id = 3, .serial = s1, .serial_len = 2, .detail = "{}"};
	struct audit_event moved = ev;

	(void)state;
	assert_int_equal(audit_hash(prev, 1, &ev, h0), 0);
	assert_int_equal(audit_hash(prev, 1, &ev, h), 0);
	assert_memory_equal(h, h0, 32);
	assert_int_equal(audit_hash(prev, 2, &ev, h), 0);
	assert_memory_not_equal(h, h0, 32);
	prev[0] = 1;
	assert_int_equal(audit_hash(prev, 1, &ev, h), 0);
	assert_memory_not_equal(h, h0, 32);
	prev[0] = 0;
	/* "cli:a" + "cli" and "cli:ac" + "li": the same bytes, another row. */
	moved.actor = "cli:ac";
	moved.origin = "li";
	assert_int_equal(audit_hash(prev, 1, &moved, h), 0);
	assert_memory_not_equal(h, h0, 32);
	moved = ev;
	moved.serial_len = 1;
	assert_int_equal(audit_hash(prev, 1, &moved, h), 0);
	assert_memory_not_equal(h, h0, 32);
	moved = ev;
	moved.at = 6;
	assert_int_equal(audit_hash(prev, 1, &moved, h), 0);
	assert_memory_not_equal(h, h0, 32);
	/* NULL and "" are the same (the store keeps ""). */
	moved = ev;
	moved.detail = NULL;
	ev.detail = "";
	assert_int_equal(audit_hash(prev, 1, &moved, h), 0);
	assert_int_equal(audit_hash(prev, 1, &ev, h0), 0);
	assert_memory_equal(h, h0, 32);
}

static void
test_json_str(void **state)
{
	char out[16];

	(void)state;
	audit_json_str("a\"b\\c\n", out, sizeof(out));
	assert_string_equal(out, "\"a\\\"b\\\\c\\u000a\"");
	audit_json_str("abcdefghijklmnopqrstuvwxyz", out, sizeof(out));
	assert_string_equal(out, "\"abcdefghijklm\"");
	/* Cut before a UTF-8 sequence that does not fit whole. */
	audit_json_str("abcdefghijkl\xc3\xa9", out, sizeof(out));
	assert_string_equal(out, "\"abcdefghijkl\"");
	audit_json_str(NULL, out, sizeof(out));
	assert_string_equal(out, "\"\"");
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_generate),
	    cmocka_unit_test(test_hash),
	    cmocka_unit_test(test_names_and_scopes),
	    cmocka_unit_test(test_audit_hash),
	    cmocka_unit_test(test_json_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
