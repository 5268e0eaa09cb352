/*
 * sqlite_readonly.c - opening the store for a user who may only read it.
 *
 * Read-only commands (status, issuer list, answer, urls) open the database
 * with SQLITE_OPEN_READONLY, so that they work as a user who may read the
 * data directory and not write it, and never change the store.
 *
 * A WAL database needs its -shm (the WAL index) to be read.  SQLite's rules
 * for a read-only connection (wal.html, "Read-Only Databases", 3.22 and
 * later): it reads if the -shm and -wal files exist and are readable (a
 * running server or signer keeps them), or if it may create them (a
 * writable directory), or if the database is opened immutable.  The one case
 * left is a store that nothing has open (SQLite removes both files when the
 * last connection closes) in a directory this user may not write: then every
 * committed transaction is in the main file, since the last close
 * checkpointed the WAL into it, and the file is opened immutable (no locks,
 * no WAL).  The cost: a writer that starts while such a reader runs is not
 * seen by it, and a checkpoint under it may make it fail (SQLITE_CORRUPT),
 * never answer from a torn page silently; read-only commands are short.
 */
#include "store/sqlite_int.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A file: URI for path with the immutable flag, or -1 if it does not fit. */
static int
immutable_uri(const char *path, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (len < 6)
		return -1;
	memcpy(out, "file:", 5);
	o = 5;
	for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++) {
		int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/._-~", *p) != NULL;
		if (o + 4 >= len)
			return -1;
		if (plain) {
			out[o++] = (char)*p;
		} else { /* '?', '#', '%' and the rest would end or garble the path */
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	return snprintf(out + o, len - o, "?immutable=1") >= (int)(len - o) ? -1 : 0;
}

/* Can db read the schema?  SQLite opens lazily: the first read says. */
static int
readable(sqlite3 *db)
{
	return sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) ==
	    SQLITE_OK;
}

int
sqlite_open_readonly(const char *path, sqlite3 **db, struct err *e)
{
	const int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
	char uri[PATH_MAX * 3 + 32], wal[PATH_MAX + 8];

	if (sqlite3_open_v2(path, db, flags, NULL) == SQLITE_OK && readable(*db))
		return 0;
	if (*db == NULL)
		return err_set(e, "cannot open the store %s: out of memory", path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	/* With a -wal left behind, the main file alone may lack committed transactions. */
	if (access(wal, F_OK) == 0 || immutable_uri(path, uri, sizeof(uri)) != 0) {
		err_set(e, "cannot read the store %s: %s", path, sqlite3_errmsg(*db));
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	sqlite3_close(*db);
	if (sqlite3_open_v2(uri, db, flags | SQLITE_OPEN_URI, NULL) == SQLITE_OK && readable(*db))
		return 0;
	err_set(e, "cannot read the store %s: %s", path,
	    *db != NULL ? sqlite3_errmsg(*db) : "out of memory");
	sqlite3_close(*db);
	*db = NULL;
	return -1;
}
