/*
 * reach.h - what a process must be able to reach to use a store, for its
 * sandbox (src/sandbox/): a SQLite store is files in the data directory
 * (the sandbox's store rules); a PostgreSQL store is a database server,
 * reached through stream sockets (TCP, or a unix socket), on the ports its
 * URL names, with the password file libpq reads when it connects.
 */
#ifndef LANCRE_STORE_REACH_H
#define LANCRE_STORE_REACH_H

#include <limits.h>

#include "util/err.h"

#define STORE_REACH_PORTS_MAX 8    /* hosts of one URL, each with its port */
#define STORE_REACH_DEFAULT_PORT 5432 /* libpq's, when neither the URL nor PGPORT says */

struct store_reach {
	int sockets; /* 1: a database server reached through sockets; 0: files only */
	int nports;
	unsigned short ports[STORE_REACH_PORTS_MAX]; /* the TCP ports its connections use */
	/* The password file libpq reads on connecting (passfile= in the URL, else
	 * PGPASSFILE, else ~/.pgpass from HOME), as this process sees them now. */
	char passfile[PATH_MAX];
};

/*
 * What location (lancre.conf's [store] store) needs, into *r.  A file name is
 * files only.  -1 with e set for a postgresql:// URL libpq cannot parse, or
 * with more than STORE_REACH_PORTS_MAX hosts.
 */
int store_reach(const char *location, struct store_reach *r, struct err *e);

#endif
