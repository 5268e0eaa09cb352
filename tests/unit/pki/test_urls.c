/* Unit tests for pki/urls: both URL forms, and reading the shard back from a CRLDP. */
#include "testutil.h"
#include "pki/urls.h"

#include <openssl/x509v3.h>

static void
test_path_style(void **state)
{
	struct conf c;
	char u[URL_MAX];

	(void)state;
	conf_defaults(&c);
	assert_int_equal(urls_ocsp(&c, "e1", u, sizeof(u)), 0);
	assert_string_equal(u, "http://127.0.0.1:8080/ocsp");
	assert_int_equal(urls_ca_issuers(&c, "e1", u, sizeof(u)), 0);
	assert_string_equal(u, "http://127.0.0.1:8080/issuer/e1");
	assert_int_equal(urls_crl_shard(&c, "e1", 17, u, sizeof(u)), 0);
	assert_string_equal(u, "http://127.0.0.1:8080/crl/e1/17.crl");
	assert_int_equal(urls_ocsp(&c, "e1", u, 10), -1);
}

static void
test_host_style(void **state)
{
	struct conf c;
	char u[URL_MAX];

	(void)state;
	conf_defaults(&c);
	c.url_style = URL_STYLE_HOST;
	snprintf(c.domain, sizeof(c.domain), "lencr.example");
	urls_ocsp(&c, "e5", u, sizeof(u));
	assert_string_equal(u, "http://e5.o.lencr.example");
	urls_ca_issuers(&c, "e5", u, sizeof(u));
	assert_string_equal(u, "http://e5.i.lencr.example/");
	urls_crl_shard(&c, "e5", 36, u, sizeof(u));
	assert_string_equal(u, "http://e5.c.lencr.example/36.crl");
}

static X509 *
with_crldp(const char *uri)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	char v[600];

	snprintf(v, sizeof(v), "URI:%s", uri);
	X509V3_set_ctx(&ctx, NULL, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_crl_distribution_points, v);
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return x;
}

static void
test_shard_from_crldp(void **state)
{
	static const struct {
		const char *uri;
		int shard;
	} cases[] = {
	    {"http://127.0.0.1:8080/crl/e1/7.crl", 7},
	    {"http://e1.c.pki.example/12.crl", 12},
	    {"http://127.0.0.1:8080/crl/e1/0.crl", 0},   /* shards start at 1 */
	    {"http://127.0.0.1:8080/crl/e1/129.crl", 0}, /* beyond the issuer's shards */
	    {"http://127.0.0.1:8080/crl/e1/07.crl", 0},  /* not a URL lancre makes */
	    {"http://127.0.0.1:8080/crl/r1/7.crl", 0},   /* another issuer's */
	    {"http://127.0.0.1:8080/crl/e1/7.crlx", 0},
	    {"http://other.example/crl/e1/7.crl", 0},
	};
	struct conf c;
	X509 *x;

	(void)state;
	conf_defaults(&c);
	snprintf(c.domain, sizeof(c.domain), "pki.example");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		x = with_crldp(cases[i].uri);
		assert_int_equal(urls_shard_from_crldp(&c, "e1", 128, x), cases[i].shard);
		X509_free(x);
	}
	x = X509_new();
	assert_int_equal(urls_shard_from_crldp(&c, "e1", 128, x), 0);
	X509_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path_style),
	    cmocka_unit_test(test_host_style),
	    cmocka_unit_test(test_shard_from_crldp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
