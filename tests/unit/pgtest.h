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
 */
#ifndef LANCRE_PGTEST_H
#define LANCRE_PGTEST_H

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

#endif
