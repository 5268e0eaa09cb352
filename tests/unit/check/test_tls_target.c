/* Unit tests for check/tls: HOST[:PORT] as given on the command line. */
#include "testutil.h"
#include "check/tls.h"

static void
ok_target(const char *arg, const char *host, const char *port, int is_ip)
{
	struct check_tls_target t;
	struct err e;

	assert_int_equal(check_tls_target_parse(arg, &t, &e), 0);
	assert_string_equal(t.host, host);
	assert_string_equal(t.port, port);
	assert_int_equal(t.is_ip, is_ip);
}

static void
test_targets(void **state)
{
	(void)state;
	ok_target("example.org", "example.org", "443", 0);
	ok_target("example.org:8443", "example.org", "8443", 0);
	ok_target("127.0.0.1", "127.0.0.1", "443", 1);
	ok_target("127.0.0.1:8443", "127.0.0.1", "8443", 1);
	ok_target("[::1]:8443", "::1", "8443", 1);
	ok_target("[::1]", "::1", "443", 1);
	ok_target("::1", "::1", "443", 1);
	ok_target("2001:db8::1", "2001:db8::1", "443", 1);
	ok_target("localhost:1", "localhost", "1", 0);
	ok_target("localhost:65535", "localhost", "65535", 0);
}

static void
test_bad_targets(void **state)
{
	static const char *bad[] = {
	    "", ":443", "host:", "host:0", "host:65536", "host:-1", "host:44x", "host: 443",
	    "[::1", "[::1]x", "[::1]:", "[]:443", "ho st", "host/path", "a\nb",
	};
	char longname[CHECK_TLS_HOST_MAX + 8];
	struct check_tls_target t;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(check_tls_target_parse(bad[i], &t, &e), -1);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(check_tls_target_parse(longname, &t, &e), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_targets),
	    cmocka_unit_test(test_bad_targets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
