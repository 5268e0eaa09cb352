/*
 * sqlite_readonly.c - opening the store for a user who may only read it.
 *
 * The public server and the read-only commands (status, issuer list,
 * answer, urls) open the database with SQLITE_OPEN_READONLY, so that they
 * work as a user who may read the data directory and not write it, and
 * never change the store.  They also pass readonly_shm=1: SQLite otherwise
 * opens the -shm (the WAL index) read-write whenever the file mode lets it,
 * and a reader that may write the WAL index can make the signer read pages
 * that are not the committed ones: the index is trusted by every connection.
 * With readonly_shm the -shm is only mapped for reading; when no writer has
 * it open, SQLite builds a private copy of the index in the reader's memory
 * from the -wal (slower per transaction, correct).  Writers keep the -wal
 * and -shm in place (sqlite.c), so the server finds them even when it starts
 * before any writer, in a directory it may not write.  And every file goes
 * through a VFS ("lancre-readonly") that opens it O_RDONLY: SQLite asks for
 * the -wal read-write even on a read-only connection and falls back to
 * read-only only when the kernel refuses, so a reader that may write the
 * file (root, or the store's owner) held a writable descriptor on it.
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
 * never answer from a torn page silently.  Read-only commands are short; the
 * server is not, and meets this case whenever something that does not keep
 * the WAL (the sqlite3 shell, an older lancre) was the last to close the
 * store before it started: so an immutable handle looks for a -wal at each
 * sequence read (the server's poll) and, once a writer has made one, reopens
 * itself the ordinary way (sqlite_readonly_refresh).  The same tool closing
 * while the server runs with no writer (the server's read-only connection
 * holds no lock that stops it) removes the -wal and -shm the server has open,
 * and the next writer makes new ones the server would never see: so every
 * read-only handle compares, at each poll, the files' inodes with those it
 * opened (two stat() calls) and reopens itself when they changed.
 *
 * One catch in that reopening: SQLite's unix layer shares one mapping of a
 * database's -shm among all the connections of a process to that file (it
 * keys it by the file's inode), for as long as one of them is open.  A
 * connection opened while another one of this process still maps a -shm
 * that was removed since joins that dead mapping, which no writer updates:
 * it would read the store as it was, forever (a revocation answered good).
 * So this file counts the read-only connections of the process per database
 * (a table, process-wide as SQLite's own sharing is) and the generation of
 * its files: when any handle sees them changed, every connection then open
 * is "older", and a handle that reopens while an older one is still open
 * is unsettled and reopens again at its next look, until none is left.
 * The other handles let go of theirs at their next look: each use, and the
 * server's helper threads also look while idle (server/lookup.c, builder.c).
 */
#include "store/sqlite_int.h"

#include <limits.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A file: URI for path with query (e.g. "immutable=1"), or -1 if it does not fit. */
static int
file_uri(const char *path, const char *query, char *out, size_t len)
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
	return snprintf(out + o, len - o, "?%s", query) >= (int)(len - o) ? -1 : 0;
}

#define SQLITE_READONLY_VFS "lancre-readonly"

static sqlite3_vfs readonly_vfs;

/* The default VFS's open, asked for reading only whatever SQLite asked for. */
static int
readonly_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *out)
{
	sqlite3_vfs *base = vfs->pAppData;

	flags &= ~(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_DELETEONCLOSE);
	flags |= SQLITE_OPEN_READONLY;
	return base->xOpen(base, name, f, flags, out);
}

static int readonly_vfs_rc = SQLITE_ERROR;

static void
readonly_vfs_register(void)
{
	sqlite3_vfs *base = sqlite3_vfs_find(NULL);

	if (base == NULL)
		return;
	readonly_vfs = *base;
	readonly_vfs.zName = SQLITE_READONLY_VFS;
	readonly_vfs.pAppData = base;
	readonly_vfs.xOpen = readonly_open;
	readonly_vfs.pNext = NULL;
	readonly_vfs_rc = sqlite3_vfs_register(&readonly_vfs, 0);
}

/* Can db read the schema?  SQLite opens lazily: the first read says. */
static int
readable(sqlite3 *db)
{
	return sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) ==
	    SQLITE_OK;
}

int
sqlite_open_readonly(const char *path, sqlite3 **db, int *immutable, struct err *e)
{
	const int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
	static pthread_once_t registered = PTHREAD_ONCE_INIT;
	char uri[PATH_MAX * 3 + 32], wal[PATH_MAX + 8];

	*db = NULL;
	*immutable = 0;
	pthread_once(&registered, readonly_vfs_register);
	if (readonly_vfs_rc != SQLITE_OK)
		return err_set(e, "cannot open the store %s: no read-only file layer", path);
	if (file_uri(path, "readonly_shm=1", uri, sizeof(uri)) != 0)
		return err_set(e, "cannot open the store %s: path too long", path);
	/* A writer running WAL recovery makes readers wait a moment, not fail. */
	if (sqlite3_open_v2(uri, db, flags, SQLITE_READONLY_VFS) == SQLITE_OK &&
	    sqlite3_busy_timeout(*db, SQLITE_BUSY_TIMEOUT_MS) == SQLITE_OK && readable(*db))
		return 0;
	if (*db == NULL)
		return err_set(e, "cannot open the store %s: out of memory", path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	/* With a -wal left behind, the main file alone may lack committed transactions. */
	if (access(wal, F_OK) == 0 || file_uri(path, "immutable=1", uri, sizeof(uri)) != 0) {
		err_set(e, "cannot read the store %s: %s", path, sqlite3_errmsg(*db));
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	sqlite3_close(*db);
	*immutable = 1;
	if (sqlite3_open_v2(uri, db, flags, SQLITE_READONLY_VFS) == SQLITE_OK && readable(*db))
		return 0;
	err_set(e, "cannot read the store %s: %s", path,
	    *db != NULL ? sqlite3_errmsg(*db) : "out of memory");
	sqlite3_close(*db);
	*db = NULL;
	return -1;
}

#define SQLITE_READONLY_DBS 16 /* databases whose read-only connections are counted */

/* A database file's read-only connections in this process. */
struct readonly_db {
	dev_t dev;
	ino_t ino;
	ino_t files[2];         /* its -wal and -shm as a connection last saw them */
	unsigned long gen;      /* moved on each time they changed */
	unsigned long clear;    /* the last generation at which none was left open */
	size_t live;            /* connections open */
};

static pthread_mutex_t readonly_mu = PTHREAD_MUTEX_INITIALIZER;
static struct readonly_db readonly_dbs[SQLITE_READONLY_DBS];

void
sqlite_readonly_join(struct store_sqlite *s)
{
	struct readonly_db *d = NULL;

	s->ro_slot = -1;
	pthread_mutex_lock(&readonly_mu);
	for (int i = 0; i < SQLITE_READONLY_DBS && s->ro_slot < 0; i++) {
		d = &readonly_dbs[i];
		if (d->live > 0 && d->dev == s->db_seen.st_dev && d->ino == s->db_seen.st_ino)
			s->ro_slot = i;
	}
	for (int i = 0; i < SQLITE_READONLY_DBS && s->ro_slot < 0; i++) {
		d = &readonly_dbs[i];
		if (d->live == 0) {
			*d = (struct readonly_db){.dev = s->db_seen.st_dev, .ino = s->db_seen.st_ino,
			    .files = {s->files[0], s->files[1]}};
			s->ro_slot = i;
		}
	}
	if (s->ro_slot >= 0) { /* else not counted: a reopen cannot tell, as before */
		d = &readonly_dbs[s->ro_slot];
		d->live++;
		s->ro_gen = d->gen;
	}
	pthread_mutex_unlock(&readonly_mu);
}

void
sqlite_readonly_leave(struct store_sqlite *s)
{
	if (s->ro_slot < 0)
		return;
	pthread_mutex_lock(&readonly_mu);
	struct readonly_db *d = &readonly_dbs[s->ro_slot];
	if (--d->live == 0)
		d->clear = d->gen; /* every connection let go: a new one maps the files afresh */
	pthread_mutex_unlock(&readonly_mu);
	s->ro_slot = -1;
}

/* Whether s's connection is older than its database's files, as any connection saw them. */
static int
readonly_moved(struct store_sqlite *s, const ino_t now[2])
{
	int moved;

	if (s->ro_slot < 0)
		return 0;
	pthread_mutex_lock(&readonly_mu);
	struct readonly_db *d = &readonly_dbs[s->ro_slot];
	if (now[0] != d->files[0] || now[1] != d->files[1]) {
		d->files[0] = now[0];
		d->files[1] = now[1];
		d->gen++;
	}
	moved = s->ro_gen != d->gen;
	pthread_mutex_unlock(&readonly_mu);
	return moved;
}

/* Whether a handle that let go may open again: no connection of the old files is left. */
static int
readonly_clear(struct store_sqlite *s)
{
	int clear;

	if (s->ro_wait_db < 0)
		return 1;
	pthread_mutex_lock(&readonly_mu);
	struct readonly_db *d = &readonly_dbs[s->ro_wait_db];
	clear = d->live == 0 || d->clear == d->gen;
	pthread_mutex_unlock(&readonly_mu);
	return clear;
}

void
sqlite_readonly_files(const char *path, ino_t id[2])
{
	static const char *const suffix[2] = {"-wal", "-shm"};
	char name[PATH_MAX + 8];
	struct stat st;

	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%s%s", path, suffix[i]);
		id[i] = stat(name, &st) == 0 ? st.st_ino : 0;
	}
}

/*
 * A handle between two connections: an empty stand-in fails every statement
 * (and SQLite's checks refuse a NULL one) until a look reopens the store.
 * why (may be NULL: e says already) is the error.
 */
static int
lost(struct store_sqlite *s, struct err *e, const char *why)
{
	if (s->db == NULL && sqlite3_open_v2(":memory:", &s->db, SQLITE_OPEN_READONLY, NULL) !=
				 SQLITE_OK) {
		sqlite3_close(s->db);
		s->db = NULL; /* out of memory */
	}
	return why != NULL ? err_set(e, "%s", why) : -1;
}

int
sqlite_readonly_refresh(struct store_sqlite *s, struct err *e)
{
	struct stat db_now;
	ino_t now[2];
	sqlite3 *db;
	int immutable, moved;

	if (!s->readonly || s->in_txn)
		return 0;
	sqlite_readonly_files(s->path, now);
	if (stat(s->path, &db_now) != 0)
		memset(&db_now, 0, sizeof(db_now));
	moved = !s->ro_lost && readonly_moved(s, now);
	/* Immutable: SQLite caches the file as never changing; a writer that came and went
	 * (its WAL checkpointed into the file and removed since) changed it. */
	if (!s->ro_lost && !moved && s->immutable && now[0] == 0 &&
	    db_now.st_ino == s->db_seen.st_ino && db_now.st_size == s->db_seen.st_size &&
	    db_now.st_mtim.tv_sec == s->db_seen.st_mtim.tv_sec &&
	    db_now.st_mtim.tv_nsec == s->db_seen.st_mtim.tv_nsec)
		return 0; /* still no writer since: the main file is the store */
	if (!s->ro_lost && !moved && !s->immutable && now[0] == s->files[0] &&
	    now[1] == s->files[1])
		return 0; /* the files this connection reads are still the store's */
	if (!s->ro_lost) { /* let go first, and of the mapping of a -shm removed since */
		for (int i = 0; i < STMT_COUNT; i++) {
			sqlite3_finalize(s->stmt[i]);
			s->stmt[i] = NULL;
		}
		s->ro_wait_db = s->ro_slot; /* the others of its database: waited on below */
		sqlite_readonly_leave(s);
		sqlite3_close(s->db);
		s->db = NULL;
		s->ro_lost = 1;
	}
	if (!readonly_clear(s))
		return lost(s, e, "the store's files changed: waiting for this process's other "
				  "connections to let go of the old ones");
	if (s->db != NULL) {
		sqlite3_close(s->db); /* the stand-in */
		s->db = NULL;
	}
	if (sqlite_open_readonly(s->path, &db, &immutable, e) != 0)
		return lost(s, e, NULL);
	s->ro_lost = 0;
	s->ro_wait_db = -1;
	s->db = db;
	s->immutable = immutable;
	s->files[0] = now[0]; /* as found before this open: a change since is seen next time */
	s->files[1] = now[1];
	s->db_seen = db_now;
	sqlite_readonly_join(s);
	sqlite3_extended_result_codes(s->db, 0);
	return sqlite_exec(s, "PRAGMA temp_store = MEMORY", e);
}
