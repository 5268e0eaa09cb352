/*
 * sqlite_check.c - is this file lancre's store?  Asked before anything is
 * written to it.
 *
 * SQLite turns any empty or missing file it is allowed to create into a new
 * database, and the first PRAGMA or migration then writes lancre's schema
 * into it: a truncated lancre.db became an empty store that the server
 * answered `unauthorized` from for every certificate, and that `sign --once`
 * rewrote.  Only `lancre init` creates a store, so every other open checks,
 * without writing: the file exists and is a regular file, is not empty, starts
 * with SQLite's header, and (once open) carries lancre's schema (a
 * user_version of 1 or more and the meta table every version has).
 */
#include "store/sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first 16 bytes of every SQLite 3 database file (fileformat.html, 1.3). */
static const char sqlite_header[16] = "SQLite format 3";

int
sqlite_check_file(const char *path, struct err *e)
{
	char head[sizeof(sqlite_header)];
	struct stat st;
	ssize_t n;
	int fd;

	if (stat(path, &st) != 0 && errno == ENOENT)
		return err_set(e, "no store at %s (only `lancre init` creates one)", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, "cannot open the store %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, "the store %s is not a regular file", path);
	}
	n = st.st_size > 0 ? read(fd, head, sizeof(head)) : 0;
	close(fd);
	if (st.st_size == 0)
		return err_set(e, "the store %s is empty: not a lancre store (only `lancre init` "
				  "creates one; restore it from a backup)", path);
	if (n != (ssize_t)sizeof(head) || memcmp(head, sqlite_header, sizeof(head)) != 0)
		return err_set(e, "%s is not a lancre store (not an SQLite database)", path);
	return 0;
}

int
sqlite_check_schema(struct store_sqlite *s, const char *path, int version, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (version >= 1) {
		if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND "
			"name = 'meta'", -1, &st, NULL) != SQLITE_OK)
			return sqlite_db_err(s, e, "reading the schema");
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_ROW)
			return 0;
		if (rc != SQLITE_DONE)
			return sqlite_db_err(s, e, "reading the schema");
	}
	return err_set(e, "%s is not a lancre store (an SQLite database without lancre's "
			  "tables)", path);
}
