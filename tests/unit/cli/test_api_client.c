/*
 * Unit tests for cli/api_client: the token file's rules, the mapping of the
 * admin API's answers, and the index a refused bundle's answer names.
 */
#include "testutil.h"
#include "cli/api_client.h"
#include "pki/reason.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_token_file(void **state)
{
	char path[512], tok[API_TOKEN_MAX];
	struct err e;

	(void)state;
	snprintf(path, sizeof(path), "%s/t", test_dir);
	write_file(path, "lct_abc\nsecond line\n", 0600);
	assert_int_equal(api_token_read(path, tok, sizeof(tok), &e), 0);
	assert_string_equal(tok, "lct_abc");
	write_file(path, "lct_abc\r\n", 0400);
	assert_int_equal(api_token_read(path, tok, sizeof(tok), &e), 0);
	assert_string_equal(tok, "lct_abc");
	/* Refused: readable by group or others, empty, a space in it (a header's end). */
	write_file(path, "lct_abc\n", 0640);
	assert_int_equal(api_token_read(path, tok, sizeof(tok), &e), -1);
	assert_non_null(strstr(e.msg, "group or others may read it (mode 0640)"));
	write_file(path, "lct_abc\n", 0604);
	assert_int_equal(api_token_read(path, tok, sizeof(tok), &e), -1);
	write_file(path, "\nlct_abc\n", 0600);
	assert_int_equal(api_token_read(path, tok, sizeof(tok), &e), -1);
	assert_non_null(strstr(e.msg, "first line is empty"));
	write_file(path, "lct_a bc\n", 0600);
	assert_int_equal(api_token_read(path, tok, sizeof(tok), &e), -1);
	/* The message never holds the token. */
	assert_null(strstr(e.msg, "lct_a"));
}

/* A token goes over plain http:// only to this machine; https:// anywhere. */
static void
test_url_check(void **state)
{
	static const char *const ok_urls[] = {"http://127.0.0.1:8082", "http://127.1.2.3/api/v1",
	    "http://localhost:8082/", "http://LOCALHOST", "http://[::1]:8082",
	    "https://ca.example:8443", "https://10.0.0.5"};
	static const char *const refused[] = {"http://ca.example:8082", "http://10.0.0.5:8082",
	    "http://127.0.0.1.evil.example/", "http://127.0.0.1@evil.example/",
	    "http://[::2]:8082", "http://", "ftp://127.0.0.1/", "127.0.0.1:8082"};
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(ok_urls) / sizeof(ok_urls[0]); i++)
		assert_int_equal(api_url_check(ok_urls[i], &e), 0);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(api_url_check(refused[i], &e), -1);
		assert_non_null(strstr(e.msg, refused[i]));
	}
	assert_int_equal(api_url_check("http://ca.example/", &e), -1);
	assert_non_null(strstr(e.msg, "clear text"));
}

static void
test_refused_index(void **state)
{
	(void)state;
	assert_int_equal(api_refused_index("certificate 12: unknown issuer"), 12);
	assert_int_equal(api_refused_index("certificate 1: x (nothing was recorded)"), 1);
	assert_int_equal(api_refused_index("certificate 0: x"), 0);
	assert_int_equal(api_refused_index("certificate 12 x"), 0);
	assert_int_equal(api_refused_index("no certificate in the body"), 0);
	assert_int_equal(api_refused_index("certificate 99999999999999999999: x"), 0);
	assert_int_equal(api_refused_index(NULL), 0);
}

/* A known tail cut off, only when something comes before it. */
static void
test_sans_tail(void **state)
{
	static const char tail[] = " (nothing was revoked)";

	(void)state;
	assert_int_equal(api_sans_tail("bad date (nothing was revoked)", tail), 8);
	assert_int_equal(api_sans_tail("x (nothing was revoked)", tail), 1);
	assert_int_equal(api_sans_tail(" (nothing was revoked)", tail), 22);
	assert_int_equal(api_sans_tail("bad date (nothing was revoked).", tail), 31);
	assert_int_equal(api_sans_tail("bad", tail), 3);
	assert_int_equal(api_sans_tail("", tail), 0);
}

static json_t *load(const char *text);

/* A 422's "index" and "reason" fields; the message alone from a lancre before them. */
static void
test_refused(void **state)
{
	char why[256];
	json_t *o;

	(void)state;
	o = load("{\"error\": \"certificate 2: not issued by x (nothing was recorded)\", "
		 "\"index\": 2, \"reason\": \"not issued by x\"}");
	assert_int_equal(api_refused(o, why, sizeof(why)), 2);
	assert_string_equal(why, "not issued by x");
	json_decref(o);
	/* The fields win over the message's wording. */
	o = load("{\"error\": \"refused\", \"index\": 7, \"reason\": \"r\"}");
	assert_int_equal(api_refused(o, why, sizeof(why)), 7);
	assert_string_equal(why, "r");
	json_decref(o);
	o = load("{\"error\": \"certificate 3: bad (nothing was recorded)\"}");
	assert_int_equal(api_refused(o, why, sizeof(why)), 3);
	assert_string_equal(why, "bad");
	json_decref(o);
	o = load("{\"error\": \"certificate 1: bad\"}");
	assert_int_equal(api_refused(o, why, sizeof(why)), 1);
	assert_string_equal(why, "bad");
	json_decref(o);
	o = load("{\"error\": \"no certificate in the body\", \"index\": 0, \"reason\": \"x\"}");
	assert_int_equal(api_refused(o, why, sizeof(why)), 0);
	json_decref(o);
	o = load("{\"error\": \"certificate 4:\"}");
	assert_int_equal(api_refused(o, why, sizeof(why)), 4);
	assert_string_equal(why, "");
	json_decref(o);
	assert_int_equal(api_refused(NULL, why, sizeof(why)), 0);
}

/*
 * A --wait's 504: every entry counted, the first well-formed one named, and
 * the admin process's "asking" (why it could not ask the public server) in
 * the line; nothing for another status or without --wait.
 */
static void
test_unserved(void **state)
{
	static const char answer[] =
	    "{\"error\": \"not served within the timeout\", \"answer\": {\"certificates\": []},"
	    " \"not_served\": [{\"issuer\": 1}, {\"issuer\": \"e1\", \"serial\": \"1A\","
	    " \"ocsp\": false, \"crl\": true}, {\"issuer\": \"e1\", \"serial\": \"2B\","
	    " \"ocsp\": false, \"crl\": false}], \"asking\": \"127.0.0.1:8080: connection refused\"}";
	struct api_client c = {.wait = "?wait=served"};
	struct err e;
	json_t *o = load(answer);

	(void)state;
	assert_non_null(api_unserved(&c, 504, o));
	assert_int_equal(c.not_served, 3);
	assert_string_equal(c.first_not_served, "e1 serial 1A (OCSP)");
	assert_string_equal(c.asking, "127.0.0.1:8080: connection refused");
	assert_int_equal(api_unserved_error(&c, &e), -1);
	assert_string_equal(e.msg, "recorded, but not served within the --wait timeout: 3 certificates, "
				   "the first e1 serial 1A (OCSP) not served yet; asking the public "
				   "server: 127.0.0.1:8080: connection refused (nothing is undone; "
				   "ask again to wait again)");
	assert_null(api_unserved(&c, 200, o));
	c.wait[0] = '\0';
	assert_null(api_unserved(&c, 504, o));
	json_decref(o);
	/* Without "asking" (the server was asked, and had not signed yet): as before. */
	o = load("{\"answer\": {}, \"not_served\": [{\"issuer\": \"e1\", \"serial\": \"03\","
		 " \"ocsp\": true, \"crl\": false}]}");
	c = (struct api_client){.wait = "?wait=served"};
	assert_non_null(api_unserved(&c, 504, o));
	assert_int_equal(api_unserved_error(&c, &e), -1);
	assert_string_equal(e.msg, "recorded, but not served within the --wait timeout: 1 certificate, "
				   "the first e1 serial 03 (CRL) not served yet (nothing is undone; ask "
				   "again to wait again)");
	json_decref(o);
}

static json_t *
load(const char *text)
{
	json_error_t je;
	json_t *o = json_loads(text, 0, &je);

	assert_non_null(o);
	return o;
}

static void
test_cert_mapping(void **state)
{
	struct api_cert c;
	struct err e;
	json_t *o;

	(void)state;
	o = load("{\"issuer\":\"e1\",\"serial\":\"1a2b\",\"status\":\"revoked\","
		 "\"not_before\":\"2026-01-01T00:00:00Z\",\"not_after\":\"2027-01-01T00:00:00Z\","
		 "\"added_at\":\"2026-12-07T01:00:00Z\",\"is_ca\":false,\"crl_shard\":3,"
		 "\"revoked_at\":\"2026-12-06T00:00:00Z\",\"reason\":\"keyCompromise\","
		 "\"result\":\"changed\",\"ocsp\":{\"signed\":true,\"current\":false}}");
	assert_int_equal(api_cert_from_json(o, &c, &e), 0);
	assert_string_equal(c.issuer, "e1");
	assert_string_equal(c.serial, "1a2b");
	assert_int_equal(c.revoked, 1);
	assert_int_equal(c.reason, REASON_KEY_COMPROMISE);
	assert_int_equal(c.shard, 3);
	assert_string_equal(c.result, "changed");
	assert_int_equal(c.has_ocsp, 1);
	assert_int_equal(c.ocsp_signed, 1);
	assert_int_equal(c.ocsp_current, 0);
	json_decref(o);
	/* What is missing or wrong is named. */
	o = load("{\"issuer\":\"e1\",\"serial\":\"01\",\"status\":\"good\"}");
	assert_int_equal(api_cert_from_json(o, &c, &e), -1);
	assert_string_equal(e.msg, "the answer's \"not_before\" is missing or not a string");
	json_decref(o);
	o = load("{\"issuer\":\"e1\",\"serial\":\"01\",\"status\":\"maybe\","
		 "\"not_before\":\"2026-01-01T00:00:00Z\",\"not_after\":\"2027-01-01T00:00:00Z\","
		 "\"added_at\":\"2026-12-07T01:00:00Z\",\"is_ca\":false,\"crl_shard\":0}");
	assert_int_equal(api_cert_from_json(o, &c, &e), -1);
	assert_string_equal(e.msg, "the answer's \"status\" is neither good nor revoked");
	json_decref(o);
	o = load("{\"issuer\":\"e1\",\"serial\":\"01\",\"status\":\"revoked\","
		 "\"not_before\":\"2026-01-01T00:00:00Z\",\"not_after\":\"2027-01-01T00:00:00Z\","
		 "\"added_at\":\"2026-12-07T01:00:00Z\",\"is_ca\":false,\"crl_shard\":0,"
		 "\"revoked_at\":\"2026-12-06T00:00:00Z\",\"reason\":\"nonsense\"}");
	assert_int_equal(api_cert_from_json(o, &c, &e), -1);
	json_decref(o);
	o = load("{\"issuer\":\"e1\",\"serial\":\"01\",\"result\":\"duplicate\"}");
	assert_int_equal(api_cert_from_json(o, &c, &e), 0);
	assert_string_equal(c.result, "duplicate");
	json_decref(o);
	o = load("[1]");
	assert_int_equal(api_cert_from_json(o, &c, &e), -1);
	json_decref(o);
}

static void
test_issuers_mapping(void **state)
{
	struct api_issuer v[2];
	struct err e;
	size_t n;
	json_t *o;

	(void)state;
	o = load("{\"issuers\":[{\"name\":\"e1\",\"subject\":\"CN=e1\"},{\"name\":\"r\"}]}");
	assert_int_equal(api_issuers_from_json(o, v, 2, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].subject, "CN=e1");
	assert_string_equal(v[1].subject, "");
	assert_int_equal(api_issuers_from_json(o, v, 1, &n, &e), -1);
	json_decref(o);
	o = load("{\"issuers\":[{\"subject\":\"CN=e1\"}]}");
	assert_int_equal(api_issuers_from_json(o, v, 2, &n, &e), -1);
	assert_string_equal(e.msg, "issuer 1: the answer's \"name\" is missing or not a string");
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    test_dir_unit_test(test_token_file),
	    cmocka_unit_test(test_url_check),
	    cmocka_unit_test(test_refused_index),
	    cmocka_unit_test(test_sans_tail),
	    cmocka_unit_test(test_unserved),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_cert_mapping),
	    cmocka_unit_test(test_issuers_mapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
