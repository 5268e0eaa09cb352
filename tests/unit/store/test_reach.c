/*
 * test_reach.c - what a process must reach to use a store (store/reach.h):
 * nothing for a SQLite file; for a PostgreSQL URL, the ports libpq will
 * connect to and the password file it will read, as the sandbox is given
 * them.
 */
#include "testutil.h"
#include "store/reach.h"

#include <stdlib.h>

static struct store_reach r;
static struct err e;

static void
test_file_is_files_only(void **state)
{
	(void)state;
	assert_int_equal(store_reach("lancre.db", &r, &e), 0);
	assert_int_equal(r.sockets, 0);
	assert_int_equal(store_reach("sqlite:lancre.db", &r, &e), 0);
	assert_int_equal(r.sockets, 0);
	assert_int_equal(r.nports, 0);
}

static void
test_ports(void **state)
{
	(void)state;
	unsetenv("PGPORT");
	assert_int_equal(store_reach("postgresql://db.example/lancre", &r, &e), 0);
	assert_int_equal(r.sockets, 1);
	assert_int_equal(r.nports, 1);
	assert_int_equal(r.ports[0], 5432);
	assert_int_equal(store_reach("postgres://u@10.0.0.1:6000/lancre", &r, &e), 0);
	assert_int_equal(r.nports, 1);
	assert_int_equal(r.ports[0], 6000);
	/* Several hosts, one of them on the default port; a repeated port once. */
	assert_int_equal(store_reach("postgresql://a:5433,b,c:5433/lancre", &r, &e), 0);
	assert_int_equal(r.nports, 2);
	assert_int_equal(r.ports[0], 5433);
	assert_int_equal(r.ports[1], 5432);
	/* A unix socket directory with its port, as the tests' URLs have it. */
	assert_int_equal(
	    store_reach("postgresql://postgres@/db?host=/tmp/x/sock&port=41234", &r, &e), 0);
	assert_int_equal(r.nports, 1);
	assert_int_equal(r.ports[0], 41234);
	setenv("PGPORT", "7000", 1);
	assert_int_equal(store_reach("postgresql://db.example/lancre", &r, &e), 0);
	assert_int_equal(r.ports[0], 7000);
	unsetenv("PGPORT");
	assert_int_equal(store_reach("postgresql://db.example:99999/lancre", &r, &e), -1);
	assert_non_null(strstr(e.msg, "port"));
	assert_int_equal(store_reach("postgresql://[::1/lancre", &r, &e), -1);
	assert_non_null(strstr(e.msg, "not a valid PostgreSQL URL"));
}

static void
test_passfile(void **state)
{
	(void)state;
	setenv("HOME", "/home/someone", 1);
	unsetenv("PGPASSFILE");
	assert_int_equal(store_reach("postgresql://db.example/lancre", &r, &e), 0);
	assert_string_equal(r.passfile, "/home/someone/.pgpass");
	setenv("PGPASSFILE", "/etc/lancre/signer.pgpass", 1);
	assert_int_equal(store_reach("postgresql://db.example/lancre", &r, &e), 0);
	assert_string_equal(r.passfile, "/etc/lancre/signer.pgpass");
	assert_int_equal(
	    store_reach("postgresql://db.example/lancre?passfile=/srv/pw", &r, &e), 0);
	assert_string_equal(r.passfile, "/srv/pw");
	unsetenv("PGPASSFILE");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_is_files_only),
	    cmocka_unit_test(test_ports),
	    cmocka_unit_test(test_passfile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
