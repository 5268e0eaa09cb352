/*
 * reach.c - see reach.h.  The URL is parsed by libpq itself
 * (PQconninfoParse), so the ports are the ones libpq will use: a URL's
 * hosts and ports lists ("h1:5432,h2:5433" or host=/port= parameters), a
 * single port applying to every host, PGPORT, then 5432.  A unix-socket
 * host (a directory) has a port too (the socket's name): listing it allows
 * a TCP port that is not used, which is harmless.
 */
#include "store/reach.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
is_postgresql(const char *location)
{
	return strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0;
}

/* The value of keyword in opts, or NULL when unset or empty. */
static const char *
option(const PQconninfoOption *opts, const char *keyword)
{
	for (const PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, keyword) == 0)
			return o->val != NULL && o->val[0] != '\0' ? o->val : NULL;
	}
	return NULL;
}

/* One port of a comma-separated list into r; an empty item is the default. */
static int
add_port(struct store_reach *r, const char *s, size_t len, struct err *e)
{
	char buf[16], *end;
	const char *env = getenv("PGPORT");
	long v;

	if (len == 0 && env != NULL && env[0] != '\0') {
		s = env;
		len = strlen(env);
	}
	if (len == 0) {
		v = STORE_REACH_DEFAULT_PORT;
	} else {
		snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) - 1 ? len : sizeof(buf) - 1), s);
		v = strtol(buf, &end, 10);
		if (*end != '\0' || len >= sizeof(buf) || v < 1 || v > 65535)
			return err_set(e, "store: not a TCP port in the PostgreSQL URL: '%.*s'", (int)len, s);
	}
	for (int i = 0; i < r->nports; i++) {
		if (r->ports[i] == (unsigned short)v)
			return 0;
	}
	if (r->nports == STORE_REACH_PORTS_MAX)
		return err_set(e, "store: more than %d hosts in the PostgreSQL URL", STORE_REACH_PORTS_MAX);
	r->ports[r->nports++] = (unsigned short)v;
	return 0;
}

static int
add_ports(struct store_reach *r, const char *list, struct err *e)
{
	const char *s = list != NULL ? list : "";

	for (;;) {
		size_t n = strcspn(s, ",");
		if (add_port(r, s, n, e) != 0)
			return -1;
		if (s[n] == '\0')
			return 0;
		s += n + 1;
	}
}

/* The password file libpq would read: the URL's, PGPASSFILE, or ~/.pgpass (HOME, else passwd). */
static void
passfile(struct store_reach *r, const PQconninfoOption *opts)
{
	const char *p = option(opts, "passfile"), *home;
	struct passwd *pw;

	/* PQconninfoParse leaves out what the environment says: PGPASSFILE is read here. */
	if (p == NULL)
		p = getenv("PGPASSFILE");
	if (p != NULL && p[0] != '\0') {
		snprintf(r->passfile, sizeof(r->passfile), "%s", p);
		return;
	}
	home = getenv("HOME");
	if ((home == NULL || home[0] == '\0') && (pw = getpwuid(geteuid())) != NULL)
		home = pw->pw_dir;
	if (home != NULL && home[0] != '\0')
		snprintf(r->passfile, sizeof(r->passfile), "%s/.pgpass", home);
}

int
store_reach(const char *location, struct store_reach *r, struct err *e)
{
	PQconninfoOption *opts;
	char *msg = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	if (location == NULL || !is_postgresql(location))
		return 0;
	opts = PQconninfoParse(location, &msg);
	if (opts == NULL) {
		/* Not libpq's words: they may quote the URL, and with it a password. */
		err_set(e, "store: not a valid PostgreSQL URL");
		PQfreemem(msg);
		return -1;
	}
	r->sockets = 1;
	rc = add_ports(r, option(opts, "port"), e);
	passfile(r, opts);
	PQconninfoFree(opts);
	return rc;
}
