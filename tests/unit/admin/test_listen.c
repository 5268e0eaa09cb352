/* Unit tests for admin/listen: the admin API's address, loopback only without mutual TLS. */
#include "testutil.h"
#include "admin/listen.h"

static void
test_default_and_off(void **state)
{
	struct conf c;
	char out[CONF_STR_MAX];
	struct err e;

	(void)state;
	conf_defaults(&c);
	assert_int_equal(admin_listen_addr(&c, "127.0.0.1:8080", NULL, out, sizeof(out), &e), 0);
	assert_string_equal(out, "127.0.0.1:8082"); /* + 1 is the server's /healthz */
	assert_int_equal(admin_listen_addr(&c, "0.0.0.0:80", NULL, out, sizeof(out), &e), 0);
	assert_string_equal(out, "127.0.0.1:82"); /* the public side may be anywhere */
	snprintf(c.api_listen, sizeof(c.api_listen), "off");
	assert_int_equal(admin_listen_addr(&c, "127.0.0.1:8080", NULL, out, sizeof(out), &e), 1);
	assert_string_equal(out, "");
	/* --api wins over lancre.conf */
	assert_int_equal(admin_listen_addr(&c, "127.0.0.1:8080", "[::1]:9000", out, sizeof(out),
			     &e),
	    0);
	assert_string_equal(out, "[::1]:9000");
	assert_int_equal(admin_listen_addr(&c, "127.0.0.1:65534", "", out, sizeof(out), &e), -1);
	assert_string_equal(e.msg, "[admin] listen is empty and the public port 65534 + 2 is no "
				   "port: set [admin] listen (or off)");
}

static void
test_loopback_only(void **state)
{
	struct conf c;
	char out[CONF_STR_MAX];
	struct err e;

	(void)state;
	conf_defaults(&c);
	assert_int_equal(admin_listen_is_loopback("127.0.0.2:1", &e), 1);
	assert_int_equal(admin_listen_is_loopback("[::1]:1", &e), 1);
	assert_int_equal(admin_listen_is_loopback("[::ffff:127.0.0.1]:1", &e), 1);
	assert_int_equal(admin_listen_is_loopback("0.0.0.0:1", &e), 0);
	assert_int_equal(admin_listen_is_loopback("[::]:1", &e), 0);
	assert_int_equal(admin_listen_is_loopback("no.such.host.invalid:1", &e), -1);
	assert_int_equal(admin_listen_addr(&c, "127.0.0.1:8080", "192.0.2.1:8443", out, sizeof(out),
			     &e),
	    -1);
	assert_string_equal(e.msg, "[admin] listen 192.0.2.1:8443 is not a loopback address and "
				   "the admin API has no TLS: its bearer tokens would cross the "
				   "network in the clear; set [admin] tls_cert, tls_key and "
				   "client_ca (mutual TLS), or listen on 127.0.0.1 or [::1]");
	/* TLS without client certificates: still loopback only. */
	snprintf(c.api_tls_cert, sizeof(c.api_tls_cert), "/etc/lancre/admin.pem");
	snprintf(c.api_tls_key, sizeof(c.api_tls_key), "/etc/lancre/admin.key");
	assert_int_equal(admin_listen_addr(&c, "127.0.0.1:8080", "0.0.0.0:8443", out, sizeof(out),
			     &e),
	    -1);
	assert_string_equal(e.msg, "[admin] listen 0.0.0.0:8443 is not a loopback address and "
				   "[admin] client_ca is not set: off loopback the admin API takes "
				   "only clients with a certificate (mutual TLS); set client_ca, or "
				   "listen on 127.0.0.1 or [::1]");
	assert_int_equal(admin_listen_addr(&c, "127.0.0.1:8080", "127.0.0.1:8443", out, sizeof(out),
			     &e),
	    0);
	/* Mutual TLS: anywhere. */
	snprintf(c.api_client_ca, sizeof(c.api_client_ca), "/etc/lancre/clients.pem");
	assert_int_equal(admin_listen_addr(&c, "127.0.0.1:8080", "0.0.0.0:8443", out, sizeof(out),
			     &e),
	    0);
	assert_string_equal(out, "0.0.0.0:8443");
	assert_int_equal(admin_listen_addr(&c, "127.0.0.1:8080", "[::]:8443", out, sizeof(out), &e),
	    0);
	/* An address that does not resolve is refused, TLS or not. */
	assert_int_equal(admin_listen_addr(&c, "127.0.0.1:8080", "no.such.host.invalid:1", out,
			     sizeof(out), &e),
	    -1);
	assert_non_null(strstr(e.msg, "cannot resolve"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_and_off),
	    cmocka_unit_test(test_loopback_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
