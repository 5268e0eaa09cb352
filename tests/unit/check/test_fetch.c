/*
 * test_fetch.c - what check/fetch.c refuses before any byte goes on the
 * network: schemes other than http and https (file://, ftp://, gopher://,
 * dict://), for the kept and the streamed fetch alike, with the URL and the
 * reason in the error.  (Caps, redirects and error pages need a server:
 * tests/e2e/check_fetch.sh.)
 */
#include "testutil.h"

#include "check/fetch.h"

static int
sink_never(void *arg, const uint8_t *data, size_t len, struct err *e)
{
	(void)arg;
	(void)data;
	(void)len;
	return err_set(e, "the sink was called");
}

static void
test_schemes_refused(void **state)
{
	static const char *urls[] = {"file:///etc/hostname", "ftp://127.0.0.1/x", "gopher://127.0.0.1/x",
	    "dict://127.0.0.1/x", "FILE:///etc/hostname"};
	struct check_fetch f;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		assert_int_equal(check_fetch(urls[i], NULL, 0, NULL, 1024, 2000, &f, &e), -1);
		assert_null(f.body);
		assert_int_equal(f.http_status, 0);
		assert_true(strncmp(e.msg, urls[i], strlen(urls[i])) == 0);
		assert_non_null(strstr(e.msg, "not supported or disabled"));
		check_fetch_free(&f);
		assert_int_equal(check_fetch_stream(urls[i], 1024, 2000, sink_never, NULL, &f, &e), -1);
		assert_non_null(strstr(e.msg, "not supported or disabled"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_schemes_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
