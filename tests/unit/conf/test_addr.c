/* Unit tests for conf/addr: listen addresses, the base URL and the domain (issue 15 item 5). */
#include "testutil.h"
#include "conf/addr.h"

static void
test_listen(void **state)
{
	static const char *const good[] = {"127.0.0.1:8080", "0.0.0.0:80", "[::1]:8080",
	    "[::]:1", "localhost:65535", "ocsp.example-ca.test:80"};
	static const char *const bad[] = {"127.0.0.1:99999", "127.0.0.1:0", "127.0.0.1:",
	    "127.0.0.1", ":8080", "127.0.0.1:80 ", "127.0.0.1: 80", "127.0.0.1:+80",
	    "127.0.0.1:0x50", "::1:8080", "[::1:8080", "[nope]:80", "ex ample:80",
	    "999.1.1.1:80", "-x.test:80", "x-.test:80", "a..b:80", "http://x:80"};
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (addr_check_listen(good[i], &e) != 0)
			fail_msg("'%s' refused: %s", good[i], e.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (addr_check_listen(bad[i], &e) == 0)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(e.msg, "HOST:PORT"));
	}
}

static void
test_base_url(void **state)
{
	static const struct {
		const char *in, *out;
	} good[] = {
	    {"http://127.0.0.1:18080/", "http://127.0.0.1:18080"},
	    {"http://pki.example//", "http://pki.example"},
	    {"http://[::1]:8080", "http://[::1]:8080"},
	    {"http://ca.example:80", "http://ca.example:80"},
	};
	static const struct {
		const char *in, *msg;
	} bad[] = {
	    {"https://pki.example", "http://"}, {"pki.example", "http://"},
	    {"http://", "not http://HOST"}, {"http://pki.example/ocsp", "has a path"},
	    {"http://ex ample", "not http://HOST"}, {"http://x:99999", "not http://HOST"},
	    {"http://user@x", "not http://HOST"}, {"http://x?q", "not http://HOST"},
	    {"http://x:", "not http://HOST"},
	};
	char buf[128];
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", good[i].in);
		if (addr_check_base_url(buf, &e) != 0)
			fail_msg("'%s' refused: %s", good[i].in, e.msg);
		assert_string_equal(buf, good[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", bad[i].in);
		if (addr_check_base_url(buf, &e) == 0)
			fail_msg("'%s' accepted", bad[i].in);
		if (strstr(e.msg, bad[i].msg) == NULL)
			fail_msg("'%s': '%s' lacks '%s'", bad[i].in, e.msg, bad[i].msg);
	}
}

static void
test_domain(void **state)
{
	static const char *const good[] = {"pki.example", "lencr.org", "localhost", "a-b.c9.test"};
	static const char *const bad[] = {"", "http://example.test", "ex ample", "example.test.",
	    "example.test:80", "example.test/x", "1.2.3.4", "-a.test", "a..test", "a_b.test"};
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (addr_check_domain(good[i], &e) != 0)
			fail_msg("'%s' refused: %s", good[i], e.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (addr_check_domain(bad[i], &e) == 0)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(e.msg, "not a domain name"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_listen),
	    cmocka_unit_test(test_base_url),
	    cmocka_unit_test(test_domain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
