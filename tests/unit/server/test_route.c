/* Unit tests for server/route: both URL forms, raw paths kept for OCSP, refusals. */
#include "testutil.h"
#include "server/route.h"

static struct route
route(const char *host, const char *path, const char *domain)
{
	struct route r;

	route_request(host, host ? strlen(host) : 0, path, strlen(path), domain, &r);
	return r;
}

static void
test_path_form(void **state)
{
	struct route r;

	(void)state;
	r = route("127.0.0.1:8080", "/ocsp/MEkw%2Fab+c==", "");
	assert_int_equal(r.kind, ROUTE_OCSP);
	assert_int_equal(r.ocsp_len, strlen("MEkw%2Fab+c=="));
	assert_memory_equal(r.ocsp, "MEkw%2Fab+c==", r.ocsp_len);
	r = route("x", "/ocsp//MEkw", "");
	assert_int_equal(r.kind, ROUTE_OCSP);
	assert_memory_equal(r.ocsp, "/MEkw", r.ocsp_len); /* the decoder strips the slash */
	r = route("x", "/ocsp", "");
	assert_int_equal(r.kind, ROUTE_OCSP);
	assert_null(r.ocsp);
	r = route("x", "/ocspx", "");
	assert_int_equal(r.kind, ROUTE_NOT_FOUND);
	r = route("x", "/crl/e1/17.crl", "");
	assert_int_equal(r.kind, ROUTE_CRL_SHARD);
	assert_string_equal(r.issuer, "e1");
	assert_int_equal(r.shard, 17);
	r = route("x", "/crl/e1.crl", "");
	assert_int_equal(r.kind, ROUTE_CRL_FULL);
	r = route("x", "/crl/e1.json", "");
	assert_int_equal(r.kind, ROUTE_CRL_LIST);
	r = route("x", "/crl/e1/17-delta.crl", "");
	assert_int_equal(r.kind, ROUTE_CRL_DELTA);
	assert_int_equal(r.shard, 17);
	r = route("x", "/crl/e1-delta.crl", "");
	assert_int_equal(r.kind, ROUTE_CRL_DELTA);
	assert_int_equal(r.shard, 0);
	assert_string_equal(r.issuer, "e1");
	r = route("x", "/issuer/r1", "");
	assert_int_equal(r.kind, ROUTE_ISSUER_DER);
	assert_string_equal(r.issuer, "r1");
	r = route("x", "/issuer/r1.pem", "");
	assert_int_equal(r.kind, ROUTE_ISSUER_PEM);
	r = route("x", "/?lang=fr", "");
	assert_int_equal(r.kind, ROUTE_ABOUT);
	r = route(NULL, "/issuer/r1", "");
	assert_int_equal(r.kind, ROUTE_ISSUER_DER);
}

static void
test_path_form_refusals(void **state)
{
	static const char *const bad[] = {"/crl/e1/0.crl", "/crl/e1/07.crl", "/crl/e1/0-delta.crl", "/crl/e1/-delta.crl", "/crl/e1/x.crl",
	    "/crl/E_1/1.crl", "/crl/-e1/1.crl", "/issuer/", "/issuer/../etc", "/crl/e1/1.crl/x",
	    "/favicon.ico", "", "ocsp/x", "/crl/e1/99999999.crl"};
	struct route r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = route("x", bad[i], "");
		if (r.kind != ROUTE_NOT_FOUND)
			fail_msg("'%s' routed to %d", bad[i], r.kind);
		assert_string_equal(r.issuer, "");
	}
}

static void
test_host_form(void **state)
{
	struct route r;

	(void)state;
	r = route("e1.o.lencr.example", "/MEkwRz", "lencr.example");
	assert_int_equal(r.kind, ROUTE_OCSP);
	assert_string_equal(r.issuer, "e1");
	assert_memory_equal(r.ocsp, "MEkwRz", r.ocsp_len);
	r = route("E1.O.LENCR.EXAMPLE:80", "/", "lencr.example");
	assert_int_equal(r.kind, ROUTE_OCSP_ROOT);
	assert_string_equal(r.issuer, "e1");
	r = route("e1.c.lencr.example", "/36.crl", "lencr.example");
	assert_int_equal(r.kind, ROUTE_CRL_SHARD);
	assert_int_equal(r.shard, 36);
	r = route("e1.c.lencr.example", "/", "lencr.example");
	assert_int_equal(r.kind, ROUTE_CRL_FULL);
	r = route("e1.c.lencr.example", "/36-delta.crl", "lencr.example");
	assert_int_equal(r.kind, ROUTE_CRL_DELTA);
	assert_int_equal(r.shard, 36);
	r = route("e1.c.lencr.example", "/delta.crl", "lencr.example");
	assert_int_equal(r.kind, ROUTE_CRL_DELTA);
	assert_int_equal(r.shard, 0);
	r = route("r10.i.lencr.example", "/", "lencr.example");
	assert_int_equal(r.kind, ROUTE_ISSUER_DER);
	assert_string_equal(r.issuer, "r10");
	r = route("lencr.example", "/", "lencr.example");
	assert_int_equal(r.kind, ROUTE_ABOUT);
	/* A look-alike domain is not ours: path routing applies. */
	r = route("e1.o.evil-lencr.example", "/MEkwRz", "lencr.example");
	assert_int_equal(r.kind, ROUTE_NOT_FOUND);
	r = route("e1.x.lencr.example", "/", "lencr.example");
	assert_int_equal(r.kind, ROUTE_ABOUT);
	/* Without a domain, host names are ignored. */
	r = route("e1.o.lencr.example", "/ocsp/MEkw", "");
	assert_int_equal(r.kind, ROUTE_OCSP);
	/* IPv6 literal with a port. */
	r = route("[::1]:8080", "/issuer/e1", "lencr.example");
	assert_int_equal(r.kind, ROUTE_ISSUER_DER);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path_form),
	    cmocka_unit_test(test_path_form_refusals),
	    cmocka_unit_test(test_host_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
