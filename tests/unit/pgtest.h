/*
 * pgtest.h - throwaway PostgreSQL databases for unit tests.
 *
 * LANCRE_TEST_PG is the URL of a server's maintenance database where the
 * test may CREATE DATABASE (scripts/pg.sh start writes it, with PGPASSFILE
 * for the password): pgtest_create() makes lancre_t_<pid>_<n> through it and
 * gives that database's URL, pgtest_drop() removes it (WITH (FORCE): a
 * failed test may leave a connection open).  Unset, PostgreSQL tests are
 * not run (pgtest_url() is NULL) and say so in one line.  Header-only, like
 * testutil.h.
 *
 * A test file whose every test gets a fresh database takes the fixture at the
 * end: pgtest_unit_test(f) runs f with the database pgtest_db (its URL; its
 * name in pgtest_db_name) and testutil.h's test_dir made before it and both
 * removed after, and its main runs them with pgtest_run_group(), which runs
 * none without LANCRE_TEST_PG and says so in one line.
 */
#ifndef LANCRE_PGTEST_H
#define LANCRE_PGTEST_H

#include "testutil.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PGTEST_URL_MAX 512

static inline const char *
pgtest_url(void)
{
	const char *u = getenv("LANCRE_TEST_PG");

	return u != NULL && u[0] != '\0' ? u : NULL;
}

/* The server URL with database name db instead of the maintenance one. */
static inline int
pgtest_url_for(const char *db, char *out, size_t len)
{
	const char *u = pgtest_url(), *host, *slash, *query;

	if (u == NULL || (host = strstr(u, "://")) == NULL)
		return -1;
	slash = strchr(host + 3, '/');
	query = strchr(host + 3, '?');
	if (slash == NULL || (query != NULL && query < slash))
		return -1;
	return snprintf(out, len, "%.*s/%s%s", (int)(slash - u), u, db, query != NULL ? query : "")
		   < (int)len ? 0 : -1;
}

/* Run one statement on the maintenance database: 0 or -1 (message on stderr). */
static inline int
pgtest_admin(const char *sql)
{
	PGconn *c = PQconnectdb(pgtest_url());
	PGresult *r;
	int ok;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "# pgtest: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "# pgtest: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

/* Run sql on the database at url (not the maintenance one): 0 or -1, message in msg. */
static inline int
pgtest_exec(const char *url, const char *sql, char *msg, size_t len)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r;
	int ok;

	if (msg != NULL && len > 0)
		msg[0] = '\0';
	if (PQstatus(c) != CONNECTION_OK) {
		if (msg != NULL)
			snprintf(msg, len, "%s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok && msg != NULL)
		snprintf(msg, len, "%s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

/* A new empty database: its name in name, its URL in url. */
static inline int
pgtest_create(char *name, size_t name_len, char *url, size_t url_len)
{
	static int n;
	char sql[128];

	snprintf(name, name_len, "lancre_t_%ld_%d", (long)getpid(), n++);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	if (pgtest_admin(sql) != 0)
		return -1;
	return pgtest_url_for(name, url, url_len);
}

static inline int
pgtest_drop(const char *name)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	return pgtest_admin(sql);
}

/* The fixture: the test's database (name and URL), made and dropped around each test. */
static char pgtest_db_name[64] __attribute__((unused));
static char pgtest_db[PGTEST_URL_MAX] __attribute__((unused));

static inline int
pgtest_db_setup(void **state)
{
	test_dir_setup(state);
	if (pgtest_create(pgtest_db_name, sizeof(pgtest_db_name), pgtest_db, sizeof(pgtest_db)) != 0)
		fail_msg("cannot create a test database");
	return 0;
}

static inline int
pgtest_db_teardown(void **state)
{
	assert_int_equal(pgtest_drop(pgtest_db_name), 0);
	return test_dir_teardown(state);
}

/* A unit test f run with a fresh database pgtest_db and a fresh test_dir of its own. */
#define pgtest_unit_test(f) cmocka_unit_test_setup_teardown(f, pgtest_db_setup, pgtest_db_teardown)

/* main's: run the group's tests, or none, saying so, when LANCRE_TEST_PG is unset. */
#define pgtest_run_group(group, tests)                                                   \
	(pgtest_url() == NULL                                                                \
		? (printf("# %s: not run: LANCRE_TEST_PG is not set\n", group), 0)              \
		: cmocka_run_group_tests_name(group, tests, NULL, NULL))

#endif
