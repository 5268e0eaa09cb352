/* Unit tests for conf: defaults, durations, validation, the template round trip. */
#include "testutil.h"
#include "conf/conf.h"

static int
write_conf(const char *text, struct conf *c, struct err *e)
{
	char path[300];
	FILE *f;

	test_path(path, sizeof(path), "lancre.conf");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return conf_load(path, c, e);
}

static void
test_durations(void **state)
{
	struct err e;
	int64_t d;

	(void)state;
	assert_int_equal(conf_parse_duration("90", &d, &e), 0);
	assert_int_equal(d, 90);
	assert_int_equal(conf_parse_duration("15m", &d, &e), 0);
	assert_int_equal(d, 900);
	assert_int_equal(conf_parse_duration("8h", &d, &e), 0);
	assert_int_equal(d, 28800);
	assert_int_equal(conf_parse_duration("4d", &d, &e), 0);
	assert_int_equal(d, 345600);
	assert_int_equal(conf_parse_duration("4 d", &d, &e), -1);
	assert_int_equal(conf_parse_duration("4w", &d, &e), -1);
	assert_int_equal(conf_parse_duration("-1h", &d, &e), -1);
	assert_int_equal(conf_parse_duration("h", &d, &e), -1);
	assert_int_equal(conf_parse_duration("4dd", &d, &e), -1);
	assert_int_equal(conf_parse_duration("99999999999999999999d", &d, &e), -1);
}

static void
test_empty_file_is_defaults(void **state)
{
	struct conf c, def;
	struct err e;

	(void)state;
	assert_int_equal(write_conf("", &c, &e), 0);
	conf_defaults(&def);
	assert_memory_equal(&c, &def, sizeof(c));
	assert_int_equal(c.ocsp_validity, 4 * 86400);
	assert_int_equal(c.write_timeout, 30);
	assert_int_equal(c.h2_max_streams, 32);
	assert_int_equal(c.admin_max_connections, 64);
}

static void
test_template_round_trips(void **state)
{
	struct conf c, back;
	struct err e;
	char *text;

	(void)state;
	conf_defaults(&c);
	c.crl_shards = 128;
	c.ocsp_validity = 3 * 86400 + 3600;
	c.ocsp_refresh = 86400;
	c.url_style = URL_STYLE_HOST;
	c.cache = 3LL * 1024 * 1024 * 1024 + 1024; /* written in K */
	snprintf(c.domain, sizeof(c.domain), "pki.example");
	snprintf(c.pkcs11_module, sizeof(c.pkcs11_module), "/usr/lib/softhsm/libsofthsm2.so");
	snprintf(c.api_tls_cert, sizeof(c.api_tls_cert), "/etc/lancre/admin.pem");
	snprintf(c.api_tls_key, sizeof(c.api_tls_key), "/etc/lancre/admin.key");
	snprintf(c.api_client_ca, sizeof(c.api_client_ca), "/etc/lancre/clients.pem");
	snprintf(c.api_client_crl, sizeof(c.api_client_crl), "/etc/lancre/clients.crl");
	snprintf(c.api_clients[0].subject, sizeof(c.api_clients[0].subject), "CN=a,O=Example\\, Inc.");
	c.api_clients[0].scopes = 1 | 2; /* intake, revoke */
	snprintf(c.api_clients[1].subject, sizeof(c.api_clients[1].subject), "CN=host:443");
	c.api_clients[1].scopes = 4; /* read */
	c.api_nclients = 2;
	text = conf_template(&c);
	assert_non_null(text);
	assert_int_equal(write_conf(text, &back, &e), 0);
	assert_memory_equal(&c, &back, sizeof(c));
	free(text);
}

/* [server] cache: a size in bytes, K, M or G (binary); 0 (the default) is every response. */
static void
test_cache_size(void **state)
{
	struct conf c;
	struct err e;

	(void)state;
	assert_int_equal(write_conf("", &c, &e), 0);
	assert_int_equal(c.cache, 0);
	assert_int_equal(write_conf("[server]\ncache = 512M\n", &c, &e), 0);
	assert_int_equal(c.cache, 512LL * 1024 * 1024);
	assert_int_equal(write_conf("[server]\ncache = 2g\n", &c, &e), 0);
	assert_int_equal(c.cache, 2LL * 1024 * 1024 * 1024);
	assert_int_equal(write_conf("[server]\ncache = 1048576\n", &c, &e), 0);
	assert_int_equal(c.cache, 1048576);
	assert_int_equal(write_conf("[server]\ncache = 4096K\n", &c, &e), 0);
	assert_int_equal(c.cache, 4 * 1024 * 1024);
	assert_int_equal(write_conf("[server]\ncache = 0\n", &c, &e), 0);
	assert_int_equal(c.cache, 0);
}

/* [store] store = sqlite:NAME is kept as the file name the layout and sandbox use. */
static void
test_store_sqlite_scheme(void **state)
{
	struct conf c;
	struct err e;

	(void)state;
	assert_int_equal(write_conf("[store]\nstore = sqlite:ca.db\n", &c, &e), 0);
	assert_string_equal(c.store, "ca.db");
	assert_int_equal(write_conf("[store]\nstore = ca.db\n", &c, &e), 0);
	assert_string_equal(c.store, "ca.db");
	assert_string_equal(c.server_store, "");
	assert_int_equal(write_conf("[store]\nstore = postgresql://db/ca\n"
				    "server_store = postgresql://reader@replica/ca\n", &c, &e), 0);
	assert_string_equal(c.server_store, "postgresql://reader@replica/ca");
	assert_string_equal(c.admin_store, "");
	assert_int_equal(write_conf("[store]\nstore = postgresql://db/ca\n"
				    "admin_store = postgresql://lancre_admin@db/ca\n", &c, &e), 0);
	assert_string_equal(c.admin_store, "postgresql://lancre_admin@db/ca");
	/* A SQLite store has no roles: admin_store is a PostgreSQL URL or nothing. */
	assert_int_equal(write_conf("[store]\nadmin_store = ca.db\n", &c, &e), -1);
	assert_non_null(strstr(e.msg, "admin_store must be a postgresql:// URL"));
}

static void
test_rejections(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
	    {"[ocsp]\nvalidity = 7h\n", "between 8h and 10d"},
	    {"[ocsp]\nvalidity = 11d\n", "between 8h and 10d"},
	    {"[ocsp]\nvalidity = 4d\nrefresh = 3d\n", "half the validity"},
	    {"[ocsp]\nvalidity = 10d\nrefresh = 5d\n", "at most 4d"},
	    {"[crl]\nshards = 0\n", "shards"},
	    {"[server]\nwrite_timeout = 0s\n", "write_timeout must be between 1s and 300s"},
	    {"[server]\nwrite_timeout = 301s\n", "write_timeout must be between 1s and 300s"},
	    {"[server]\nh2_max_streams = 0\n", "h2_max_streams must be between 1 and 100"},
	    {"[server]\nh2_max_streams = 101\n", "h2_max_streams must be between 1 and 100"},
	    {"[server]\nadmin_max_connections = 0\n", "admin_max_connections must be at least 1"},
	    {"[crl]\nvalidity = 11d\n", "at most 10d"},
	    {"[crl]\nperiod = 8d\nvalidity = 7d\n", "shorter than the validity"},
	    {"[urls]\nstyle = host\n", "needs [urls] domain"},
	    {"[urls]\nstyle = sideways\n", "'path' or 'host'"},
	    {"[urls]\nbase = https://x\n", "http://"},
	    {"[nope]\nx = 1\n", "unknown setting [nope] x"},
	    {"[ocsp]\nvalidity = soon\n", "not a duration"},
	    {"[crl]\nshards = many\n", "not a number"},
	    {"this is not ini\n", "syntax error"},
	    {"[store]\nserver_store = replica.db\n", "server_store must be a postgresql:// URL"},
	    {"[server]\ncache = 512K\n", "cache must be 0 (every response) or at least 1M"},
	    {"[server]\ncache = lots\n", "'lots' is not a size"},
	    {"[server]\ncache = 2T\n", "not a size"},
	    {"[server]\ncache = -1M\n", "not a size"},
	    {"[server]\ncache = 99999999999G\n", "not a size"},
	};
	struct conf c;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(write_conf(cases[i].text, &c, &e), -1);
		if (strstr(e.msg, cases[i].msg) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, cases[i].msg);
	}
}

/* [admin] TLS: client lines (the one repeated key), and what goes with what. */
static void
test_admin_tls(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
	    {"[admin]\ntls_cert = admin.pem\ntls_key = /k\n", "tls_cert: 'admin.pem' is not an absolute"},
	    {"[admin]\ntls_cert = /c\n", "lancre.conf:2: [admin] tls_cert needs tls_key"},
	    {"[admin]\ntls_key = /k\n", "[admin] tls_key needs tls_cert"},
	    {"[admin]\nclient_ca = /ca\n", "[admin] client_ca needs tls_cert and tls_key"},
	    {"[admin]\ntls_cert = /c\ntls_key = /k\nclient_ca = /ca\nclient_crl = ca.crl\n",
		"lancre.conf:5: [admin] client_crl: 'ca.crl' is not an absolute path"},
	    {"[admin]\ntls_cert = /c\ntls_key = /k\nclient_crl = /ca.crl\n",
		"lancre.conf:4: [admin] client_crl needs client_ca"},
	    {"[admin]\ntls_cert = /c\ntls_key = /k\nclient = CN=a : intake\n",
		"lancre.conf:4: [admin] client lines need client_ca"},
	    {"[admin]\nclient = CN=a intake\n", "[admin] client: 'CN=a intake' is not SUBJECT : SCOPES"},
	    {"[admin]\nclient = issuance : intake\n", "'issuance' is not a certificate subject"},
	    {"[admin]\nclient = : intake\n", "'' is not a certificate subject"},
	    {"[admin]\nclient = CN=a :\n", "no scope after ':'"},
	    {"[admin]\nclient = CN=a : intake,write\n", "unknown scope 'write'"},
	    {"[admin]\nclient = CN=a : intake\nclient = CN=a : read\n",
		"lancre.conf:3: [admin] client: 'CN=a' is listed twice"},
	};
	struct conf c;
	struct err e;

	(void)state;
	assert_int_equal(write_conf("[admin]\ntls_cert = /etc/l/admin.pem\ntls_key = /etc/l/admin.key\n"
				    "client_ca = /etc/l/clients.pem\n"
				    "client = CN=issuance,O=Example CA : intake, revoke\n"
				    "client=CN=reader:read\n"
				    "client = CN=host:443,O=X : read,intake\n",
			     &c, &e),
	    0);
	assert_int_equal(c.api_nclients, 3);
	assert_string_equal(c.api_clients[0].subject, "CN=issuance,O=Example CA");
	assert_int_equal(c.api_clients[0].scopes, 1 | 2);
	assert_string_equal(c.api_clients[1].subject, "CN=reader");
	assert_int_equal(c.api_clients[1].scopes, 4);
	/* The scopes follow the last ':' */
	assert_string_equal(c.api_clients[2].subject, "CN=host:443,O=X");
	assert_int_equal(c.api_clients[2].scopes, 1 | 4);
	assert_string_equal(c.api_client_ca, "/etc/l/clients.pem");
	/* TLS without client certificates is fine (on loopback: admin/listen.h). */
	assert_int_equal(write_conf("[admin]\ntls_cert = /c\ntls_key = /k\n", &c, &e), 0);
	assert_int_equal(c.api_nclients, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(write_conf(bad[i].text, &c, &e), -1);
		if (strstr(e.msg, bad[i].msg) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, bad[i].msg);
	}
}

/* Out-of-range values and duplicate keys name their line (issue 15 item 19). */
static void
test_errors_name_the_line(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
	    {"[ocsp]\n\nvalidity = 30d\n", "lancre.conf:3: [ocsp] validity must be between"},
	    {"; x\n[crl]\nvalidity = 7d\nperiod = 8d\n", "lancre.conf:4: [crl] period must"},
	    {"[server]\nmax_header_size = 10\n", "lancre.conf:2: [server] max_header_size"},
	    {"[server]\n\n\nlisten = 127.0.0.1:99999\n", "lancre.conf:4: [server] listen: "},
	    {"[urls]\nbase = http://a.test/x\n", "lancre.conf:2: [urls] base: "},
	    {"[crl]\nshards = 2\n; again\nshards = 3\n",
		"lancre.conf:4: [crl] shards is set twice (first on line 2)"},
	    {"[ocsp]\nsha256 = yes\n[ocsp]\nsha256 = yes\n",
		"lancre.conf:4: [ocsp] sha256 is set twice (first on line 2)"},
	};
	struct conf c;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(write_conf(cases[i].text, &c, &e), -1);
		if (strstr(e.msg, cases[i].msg) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, cases[i].msg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_cache_size),
	    cmocka_unit_test(test_store_sqlite_scheme),
	    cmocka_unit_test(test_empty_file_is_defaults),
	    cmocka_unit_test(test_template_round_trips),
	    cmocka_unit_test(test_admin_tls),
	    cmocka_unit_test(test_rejections),
	    cmocka_unit_test(test_errors_name_the_line),
	};
	return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
