/*
 * sqlite_keys.c - the issuers' key references, in a database of their own.
 *
 * key_ref, key_pass_ref and ocsp_key_ref name where the keys are (a PEM
 * path, a passphrase file, a PKCS#11 URI): nothing a public server needs,
 * and what an attacker who took it over would look for first.  So they live
 * in DIR/private/keys.db, a directory 0700 and a file 0600 that belong to
 * the signer's user, attached (ATTACH ... AS lancre_keys) to read-write
 * connections only: the server's read-only connection never opens it, and
 * lancre.db's issuers table keeps only has_key (schema 7 moved the old
 * values out and blanked them; a trigger refuses new ones there).
 *
 * keys.db keeps SQLite's rollback journal, not WAL: it is written a few
 * times in its life and read once per issuer load, and a transaction across
 * two WAL databases is not atomic across both anyway.  An issuer's row in
 * lancre.db and its keys are written in one transaction; a crash between the
 * two files' commits can leave keys without an issuer (harmless: nothing
 * reads them) or an issuer without keys (the signer says the key is
 * missing, and `issuer set-key` sets it).  secure_delete is on for keys.db:
 * a replaced reference is overwritten, not left in a free page.
 */
#include "store/sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/pkcs11_uri.h"

#define SQLITE_KEYS_DIR "private"
#define SQLITE_KEYS_FILE "keys.db"

/*
 * Run as root, what the store creates belongs to the store's owner, as SQLite
 * does for the -wal and -shm: a root command (an upgrade by `issuer list`)
 * must not leave a key store the signer's user cannot open.  path gets the
 * owner of like (its user, and that user's own group when user_group, else
 * like's group).
 */
static void
give_to_owner(const char *path, const char *like, int user_group)
{
	struct passwd *pw;
	struct stat st;
	gid_t g;

	if (geteuid() != 0 || stat(like, &st) != 0)
		return;
	g = st.st_gid;
	if (user_group && (pw = getpwuid(st.st_uid)) != NULL)
		g = pw->pw_gid;
	(void)!lchown(path, st.st_uid, g);
}

/* DIR/private for the store at db_path (in DIR), created 0700 if missing; never a link. */
static int
keys_dir(const char *db_path, char *out, size_t len, struct err *e)
{
	const char *slash = strrchr(db_path, '/');
	struct stat st;
	int n;

	n = slash != NULL ? snprintf(out, len, "%.*s/%s", (int)(slash - db_path), db_path,
				SQLITE_KEYS_DIR)
			  : snprintf(out, len, "%s", SQLITE_KEYS_DIR);
	if (n < 0 || (size_t)n >= len)
		return err_set(e, "store: path too long");
	if (mkdir(out, SQLITE_PRIVATE_DIR_MODE) == 0)
		give_to_owner(out, db_path, 1);
	else if (errno != EEXIST)
		return err_set(e, "cannot create %s: %s", out, strerror(errno));
	if (lstat(out, &st) != 0 || !S_ISDIR(st.st_mode))
		return err_set(e, "%s is not a directory", out);
	return 0;
}

/* The key store's file, created empty (a new database) and 0600 if missing. */
static int
keys_file(const char *path, const char *dir, struct err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    SQLITE_PRIVATE_FILE_MODE);

	if (fd < 0 && errno == EEXIST)
		return 0;
	if (fd < 0)
		return err_set(e, "cannot create the key store %s: %s", path, strerror(errno));
	give_to_owner(path, dir, 0);
	if (fchmod(fd, SQLITE_PRIVATE_FILE_MODE) != 0) {
		int saved = errno;
		close(fd);
		unlink(path);
		return err_set(e, "cannot create the key store %s: %s", path, strerror(saved));
	}
	close(fd);
	return 0;
}

static int
keys_table_exists(struct store_sqlite *s)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM lancre_keys.sqlite_schema WHERE name ="
		" 'issuer_keys'", -1, &st, NULL) != SQLITE_OK)
		return 0;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW;
}

/*
 * The signer's record of what it signed revoked (store.h), made with the key
 * store; when made for a store that already has certificates (an upgrade),
 * seeded with those revoked now, which the signer has signed or is about to.
 */
static int
revoked_signed_create(struct store_sqlite *s, struct err *e)
{
	sqlite3_stmt *st;
	int rc, have_certs;

	if (sqlite3_prepare_v2(s->db, "SELECT (SELECT 1 FROM lancre_keys.sqlite_schema WHERE name ="
		" 'signed_revoked'), (SELECT 1 FROM main.sqlite_schema WHERE name = 'certificates')",
		-1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading the key store's schema");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return sqlite_db_err(s, e, "reading the key store's schema");
	}
	if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
		sqlite3_finalize(st);
		return 0; /* there already: written once, when new */
	}
	have_certs = sqlite3_column_type(st, 1) != SQLITE_NULL;
	sqlite3_finalize(st);
	if (sqlite_exec(s, "CREATE TABLE lancre_keys.signed_revoked ("
			   "  issuer_id INTEGER NOT NULL,"
			   "  serial BLOB NOT NULL,"
			   "  PRIMARY KEY (issuer_id, serial)"
			   ") WITHOUT ROWID", e) != 0)
		return -1;
	return have_certs ? sqlite_exec(s, "INSERT OR IGNORE INTO lancre_keys.signed_revoked"
					   " SELECT issuer_id, serial FROM main.certificates WHERE status = 1",
				e)
			  : 0;
}

/*
 * keys.db in rollback-journal mode, as designed: a key store that an older
 * writer_setup() (sqlite.c) turned into a WAL database, as it did every
 * attached one, is turned back.  That needs the file to itself: with another
 * connection open (a running signer) SQLite refuses at once, without
 * waiting, and a later open that is alone does it.
 */
static void
keys_journal(struct store_sqlite *s)
{
	const unsigned char *mode;
	sqlite3_stmt *st;
	int wal = 0;

	if (sqlite3_prepare_v2(s->db, "PRAGMA lancre_keys.journal_mode", -1, &st, NULL) !=
	    SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && (mode = sqlite3_column_text(st, 0)) != NULL)
		wal = strcmp((const char *)mode, "wal") == 0;
	sqlite3_finalize(st);
	if (wal)
		(void)sqlite3_exec(s->db, "PRAGMA lancre_keys.journal_mode = DELETE", NULL, NULL,
		    NULL);
}

int
sqlite_keys_attach(struct store_sqlite *s, const char *db_path, struct err *e)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	sqlite3_stmt *st;
	int rc;

	if (keys_dir(db_path, dir, sizeof(dir), e) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, SQLITE_KEYS_FILE);
	if (keys_file(path, dir, e) != 0)
		return -1;
	if (sqlite3_prepare_v2(s->db, "ATTACH DATABASE ? AS lancre_keys", -1, &st, NULL) !=
	    SQLITE_OK)
		return sqlite_db_err(s, e, "opening the key store");
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return err_set(e, "cannot open the key store %s: %s", path, sqlite3_errmsg(s->db));
	keys_journal(s);
	/* Written once, when new: an open that only reads writes nothing (a full disk). */
	if (sqlite_exec(s, "PRAGMA lancre_keys.secure_delete = ON", e) != 0 ||
	    (!keys_table_exists(s) && sqlite_exec(s, "CREATE TABLE lancre_keys.issuer_keys ("
			   "  issuer_id INTEGER PRIMARY KEY," /* lancre.db issuers.id */
			   "  key_ref TEXT NOT NULL DEFAULT '',"
			   "  key_pass_ref TEXT NOT NULL DEFAULT '',"
			   "  ocsp_key_ref TEXT NOT NULL DEFAULT ''"
			   ")", e) != 0))
		return err_prefix(e, "%s", path);
	if (revoked_signed_create(s, e) != 0)
		return err_prefix(e, "%s", path);
	s->keys = 1;
	return 0;
}

int
sqlite_revoked_signed_add(struct store *base, int64_t issuer_id, const uint8_t *serial,
    size_t len, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	int rc;

	if (!s->keys)
		return err_set(e, "store: the key store is not open (read-only handle)");
	if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO lancre_keys.signed_revoked"
		" (issuer_id, serial) VALUES (?, ?)", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "recording a signed revocation");
	sqlite3_bind_int64(st, 1, issuer_id);
	sqlite3_bind_blob(st, 2, serial, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, e, "recording a signed revocation");
}

/*
 * Read in pages by key, each statement finished before cb sees its rows: the
 * key store is a rollback-journal database, and a statement left open on it
 * holds its read lock, under which no other connection can commit to it
 * (store copy writes the same file, private/keys.db, when it copies to
 * another store of the same directory).
 */
#define SQLITE_REVOKED_PAGE 1024

struct revoked_row {
	int64_t issuer_id;
	uint8_t serial[STORE_SERIAL_MAX];
	size_t len;
};

/* The page after (issuer_id, serial) of last (first page: last->len == SIZE_MAX). */
static int
revoked_page(struct store_sqlite *s, const struct revoked_row *last, struct revoked_row *out,
    size_t *n, struct err *e)
{
	sqlite3_stmt *st;
	int rc, first = last->len == SIZE_MAX;

	if (sqlite3_prepare_v2(s->db, first
		? "SELECT issuer_id, serial FROM lancre_keys.signed_revoked"
		  " ORDER BY issuer_id, serial LIMIT ?3"
		: "SELECT issuer_id, serial FROM lancre_keys.signed_revoked"
		  " WHERE (issuer_id, serial) > (?1, ?2) ORDER BY issuer_id, serial LIMIT ?3",
		-1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading the signed revocations");
	if (!first) {
		sqlite3_bind_int64(st, 1, last->issuer_id);
		sqlite3_bind_blob(st, 2, last->serial, (int)last->len, SQLITE_STATIC);
	}
	sqlite3_bind_int(st, 3, SQLITE_REVOKED_PAGE);
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct revoked_row *r = &out[(*n)++];
		r->issuer_id = sqlite3_column_int64(st, 0);
		r->len = (size_t)sqlite3_column_bytes(st, 1);
		if (r->len > STORE_SERIAL_MAX)
			r->len = STORE_SERIAL_MAX;
		memcpy(r->serial, sqlite3_column_blob(st, 1), r->len);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, e, "reading the signed revocations");
}

int
sqlite_revoked_signed_each(struct store *base,
    int (*cb)(void *arg, int64_t issuer_id, const uint8_t *serial, size_t len), void *arg,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct revoked_row *page, last = {.len = SIZE_MAX};
	size_t n;
	int rc = 0;

	if (!s->keys)
		return err_set(e, "store: the key store is not open (read-only handle)");
	page = malloc(SQLITE_REVOKED_PAGE * sizeof(*page));
	if (page == NULL)
		return err_set(e, "out of memory");
	do {
		if ((rc = revoked_page(s, &last, page, &n, e)) != 0)
			break;
		for (size_t i = 0; i < n && rc == 0; i++)
			if (cb(arg, page[i].issuer_id, page[i].serial, page[i].len) != 0)
				rc = err_set(e, "out of memory");
		if (n > 0)
			last = page[n - 1];
	} while (rc == 0 && n == SQLITE_REVOKED_PAGE);
	free(page);
	return rc;
}

int
sqlite_keys_put(struct store_sqlite *s, int64_t issuer_id, const char *key_ref,
    const char *pass_ref, const char *ocsp_key_ref, struct err *e)
{
	static const char *const sql[] = {
	    /* key_ref and key_pass_ref */
	    "INSERT INTO lancre_keys.issuer_keys (issuer_id, key_ref, key_pass_ref) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (issuer_id) DO UPDATE SET key_ref = ?2, key_pass_ref = ?3",
	    /* ocsp_key_ref */
	    "INSERT INTO lancre_keys.issuer_keys (issuer_id, ocsp_key_ref) VALUES (?1, ?4)"
	    " ON CONFLICT (issuer_id) DO UPDATE SET ocsp_key_ref = ?4",
	};
	sqlite3_stmt *st;
	int rc;

	if (!s->keys)
		return err_set(e, "store: the key store is not open (read-only handle)");
	if (pkcs11_uri_refuse_pin(key_ref, e) != 0 || pkcs11_uri_refuse_pin(ocsp_key_ref, e) != 0)
		return -1;
	if (sqlite3_prepare_v2(s->db, sql[key_ref == NULL], -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "recording the key");
	sqlite3_bind_int64(st, 1, issuer_id);
	sqlite3_bind_text(st, 2, key_ref != NULL ? key_ref : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, pass_ref != NULL ? pass_ref : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ocsp_key_ref != NULL ? ocsp_key_ref : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, e, "recording the key");
}

int
sqlite_issuer_keys(struct store *base, int64_t issuer_id, struct store_issuer_keys *out,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s->keys)
		return err_set(e, "store: key references are not open to a read-only handle");
	if (sqlite3_prepare_v2(s->db, "SELECT key_ref, key_pass_ref, ocsp_key_ref"
		" FROM lancre_keys.issuer_keys WHERE issuer_id = ?", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading the key references");
	sqlite3_bind_int64(st, 1, issuer_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(out->key_ref, sizeof(out->key_ref), "%s", sqlite3_column_text(st, 0));
		snprintf(out->key_pass_ref, sizeof(out->key_pass_ref), "%s",
		    sqlite3_column_text(st, 1));
		snprintf(out->ocsp_key_ref, sizeof(out->ocsp_key_ref), "%s",
		    sqlite3_column_text(st, 2));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "reading the key references");
	return rc == SQLITE_ROW;
}

/* One stored reference without its PIN: 1 if there was one (column col of issuer id). */
static int
strip_one(struct store_sqlite *s, int64_t id, const char *col, const char *ref, struct err *e)
{
	char clean[STORE_KEY_REF_MAX + 1], sql[128];
	sqlite3_stmt *st;
	int n = pkcs11_uri_strip_pin(ref, clean, sizeof(clean)), rc;

	if (n <= 0)
		return 0;
	snprintf(sql, sizeof(sql), "UPDATE lancre_keys.issuer_keys SET %s = ? WHERE issuer_id = ?",
	    col);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "removing a stored PIN");
	sqlite3_bind_text(st, 1, clean, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 1 : sqlite_db_err(s, e, "removing a stored PIN");
}

int
sqlite_keys_strip_pins(struct store_sqlite *s, char *notice, size_t len, struct err *e)
{
	char names[STORE_NOTICE_MAX / 2] = "";
	size_t o = 0;
	sqlite3_stmt *st;
	int rc, any = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT k.issuer_id, i.name, k.key_ref, k.ocsp_key_ref"
		" FROM lancre_keys.issuer_keys k JOIN main.issuers i ON i.id = k.issuer_id"
		" ORDER BY i.name", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "looking for stored PINs");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		int a = strip_one(s, id, "key_ref", (const char *)sqlite3_column_text(st, 2), e);
		int b = a < 0 ? -1 : strip_one(s, id, "ocsp_key_ref",
						 (const char *)sqlite3_column_text(st, 3), e);
		if (a < 0 || b < 0) {
			sqlite3_finalize(st);
			return -1;
		}
		if (a + b > 0 && o < sizeof(names)) {
			int n = snprintf(names + o, sizeof(names) - o, "%s%s", any ? ", " : "",
			    (const char *)sqlite3_column_text(st, 1));
			o += n > 0 ? (size_t)n : 0;
			any = 1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "looking for stored PINs");
	if (any)
		snprintf(notice, len, "the PKCS#11 URI of issuer %s held a PIN (pin-value=), now "
				      "removed from the store; the signer needs it from elsewhere: %s",
		    names, PKCS11_URI_PIN_HINT);
	return 0;
}
