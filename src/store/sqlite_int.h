/*
 * sqlite_int.h - what the SQLite backend's files share (sqlite.c: the
 * connection, schema, issuers and certificates; sqlite_ocsp.c: signed OCSP
 * responses; sqlite_ocsp_hold.c: those held for an issuer that cannot be
 * signed for).  Not for use outside src/store/.
 */
#ifndef LANCRE_STORE_SQLITE_INT_H
#define LANCRE_STORE_SQLITE_INT_H

#include <limits.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "store/backend.h"

/*
 * Modes of the files the store creates, whatever the umask: the database
 * (its owner writes, the server's group reads; its -wal and -shm take the
 * same mode from SQLite), and the private directory and key store, which
 * only their owner, the signer's user, may read.
 */
#define SQLITE_FILE_MODE 0640
#define SQLITE_BUSY_TIMEOUT_MS 10000
#define SQLITE_PRIVATE_DIR_MODE 0700
#define SQLITE_PRIVATE_FILE_MODE 0600

/* Statements prepared once per connection, by purpose. */
enum sqlite_stmt {
	STMT_CERT_INSERT,
	STMT_CERT_GET,
	STMT_CERT_FINGERPRINT,
	STMT_CERT_COMPLETE,
	STMT_OCSP_PUT,
	STMT_OCSP_PUT_MANY,
	STMT_OCSP_DUE_RANGE,
	STMT_OCSP_SEQ_SET,
	STMT_OCSP_NEWEST_SET,
	STMT_SEQ_NEXT,
	STMT_CRL_GET,
	STMT_OCSP_GET,
	STMT_AUDIT_INSERT,
	STMT_CERT_REVOKE,
	/* Each admin API request ran these through the parser (issue 19's single rate). */
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_TOKEN_FIND,
	STMT_META_GET, /* a writer's only: a read-only handle's db may be a stand-in */
	STMT_AUDIT_HEAD_TAKE,
	STMT_AUDIT_HEAD_SET,
	STMT_COUNT
};

struct store_sqlite {
	struct store base;
	sqlite3 *db;
	char path[PATH_MAX];
	int readonly;  /* opened STORE_READ */
	int immutable; /* a read-only handle opened immutable (sqlite_readonly.c) */
	ino_t files[2]; /* a read-only handle's -wal and -shm when opened (0: none) */
	struct stat db_seen; /* and the database file's (an immutable handle watches it) */
	int ro_slot;         /* its database in sqlite_readonly.c's table (-1: not counted) */
	unsigned long ro_gen; /* the files' generation it opened at */
	int ro_lost;         /* let go of its connection: db is an empty stand-in until reopened */
	int ro_wait_db;      /* and the database in that table whose connections it waits on */
	int keys;      /* the key store is attached as lancre_keys (sqlite_keys.c) */
	sqlite3_stmt *stmt[STMT_COUNT];
	int in_txn;
	/* Sequence numbers taken by the open transaction (0: none yet). */
	int64_t change_seq, crl_seq;
};

/* The backend's operations, sqlite_<name>() for each of STORE_OPS (backend.h). */
#define SQLITE_OP_DECLARE(name, params, args) int sqlite_##name params;
STORE_OPS(SQLITE_OP_DECLARE)
#undef SQLITE_OP_DECLARE

int sqlite_db_err(struct store_sqlite *s, struct err *e, const char *what);
/* meta.key = name into *v: 1 found, 0 not there (*v = 0), -1 on error. */
int sqlite_meta_get(struct store_sqlite *s, const char *name, int64_t *v, struct err *e);
/* meta.key = name set to v (added if not there), in the caller's transaction. */
int sqlite_meta_set(struct store_sqlite *s, const char *name, int64_t v, struct err *e);
/* The counter meta.key = name, which must be there (store_seq() and internal ones). */
int sqlite_counter(struct store_sqlite *s, const char *name, int64_t *v, struct err *e);
/* The meta key of a contract counter (store_seq), or NULL for an unknown one. */
const char *sqlite_seq_key(enum store_seq which);

/*
 * The page cache of a handle by its intent (store_set_intent), in MiB.
 * SQLite's default is 2 MiB: enough to stream through tables.  A bulk
 * import writes the (issuer, serial) index in random order and wants much
 * more; the signer's transactions write up to ~2.5 MB of responses in order
 * (a cache smaller than that spills pages to the WAL before the commit; a
 * larger one only costs page faults filling it: 64 MiB cost 15% more CPU
 * per response than 8 MiB to sign 100,000 certificates).
 */
#define SQLITE_CACHE_DEFAULT_MIB 2
#define SQLITE_CACHE_SIGN_MIB 8
#define SQLITE_CACHE_IMPORT_MIB 64

/*
 * The store's opaque cursors as this backend fills them: a scan of changed
 * certificates stands at (change_seq, certificate id), a scan of due
 * responses at (its range's due_at, the range's last id, the response's id).
 */
#define SQLITE_CUR_CHANGE_SEQ(c) ((c)->pos[0])
#define SQLITE_CUR_CERT_ID(c) ((c)->pos[1])
#define SQLITE_CUR_DUE_AT(c) ((c)->pos[0])
#define SQLITE_CUR_RANGE(c) ((c)->pos[1])
#define SQLITE_CUR_ID(c) ((c)->pos[2])

static inline struct store_cursor
sqlite_changed_cursor(int64_t change_seq, int64_t cert_id)
{
	return (struct store_cursor){{change_seq, cert_id, 0}};
}
int sqlite_exec(struct store_sqlite *s, const char *sql, struct err *e);
/*
 * Run sql, a statement that returns no rows, with v[0..n-1] bound to its
 * parameters 1..n; what names it in an error.  sqlite3_changes() tells how
 * many rows it changed.
 */
int sqlite_run(struct store_sqlite *s, const char *sql, const int64_t *v, int n, const char *what,
    struct err *e);

/* The cached statement for id, reset and ready to bind. */
sqlite3_stmt *sqlite_stmt(struct store_sqlite *s, enum sqlite_stmt id, const char *sql,
    struct err *e);

/*
 * The sequence number (meta.key = name) of the open transaction: the first
 * call in a transaction increments the counter, later calls return the same
 * value, so every row a transaction writes carries one number and numbers
 * grow in commit order.  Requires an open transaction.
 */
int sqlite_txn_seq(struct store_sqlite *s, const char *name, int64_t *cache, int64_t *out,
    struct err *e);

/* Begin a transaction unless one is open; *own says whether to end it. */
int sqlite_txn_enter(struct store_sqlite *s, int *own, struct err *e);
/* End a transaction begun by sqlite_txn_enter: commit if rc == 0, else roll back. */
int sqlite_txn_leave(struct store_sqlite *s, int own, int rc, struct err *e);

/*
 * Before opening an existing store (sqlite_check.c), without writing: path is
 * a regular, non-empty SQLite file; once open, with schema version version,
 * it has lancre's schema.  Each fails with one line naming path.
 */
int sqlite_check_file(const char *path, struct err *e);
int sqlite_check_schema(struct store_sqlite *s, const char *path, int version, struct err *e);

/* Any change to issuers bumps meta issuer_seq, so that a running signer reloads them. */
int sqlite_issuer_changed(struct store_sqlite *s, struct err *e);

/*
 * The key store (sqlite_keys.c): attach DIR/private/keys.db (created 0600 in
 * a 0700 directory if missing) to a read-write connection of db_path.
 */
int sqlite_keys_attach(struct store_sqlite *s, const char *db_path, struct err *e);
/*
 * Record issuer_id's key_ref and pass_ref (key_ref non-NULL) or its
 * ocsp_key_ref (key_ref NULL), in the caller's transaction; a reference with
 * a PIN is refused.
 */
int sqlite_keys_put(struct store_sqlite *s, int64_t issuer_id, const char *key_ref,
    const char *pass_ref, const char *ocsp_key_ref, struct err *e);
/*
 * Schema 7: remove the PIN (pin-value) from every stored PKCS#11 URI; when
 * there was one, notice says which issuers and what to configure instead.
 */
int sqlite_keys_strip_pins(struct store_sqlite *s, char *notice, size_t len, struct err *e);

/* Issuer management (sqlite_issuer.c). */

/*
 * Open path read-only into *db (sqlite_readonly.c), immutable (*immutable
 * set) when its WAL index cannot be had and nothing has it open; the first
 * read is made.
 */
int sqlite_open_readonly(const char *path, sqlite3 **db, int *immutable, struct err *e);
/*
 * A read-only handle reopened when the -wal and -shm are no longer the files
 * it opened (an immutable one: once a writer has made a -wal); else nothing.
 */
int sqlite_readonly_refresh(struct store_sqlite *s, struct err *e);
/* A read-only handle's connection opened (join) or about to close (leave): counted per
 * database in this process (sqlite_readonly.c). */
void sqlite_readonly_join(struct store_sqlite *s);
void sqlite_readonly_leave(struct store_sqlite *s);
/* The inodes of path's -wal and -shm (0: missing). */
void sqlite_readonly_files(const char *path, ino_t id[2]);

/* A held response's due_at (sqlite_ocsp_hold.c): past any time, never due. */
#define SQLITE_DUE_HELD (INT64_MAX - 1)
/* Meta ocsp_held_<issuer id> (sqlite_ocsp_hold.c): the issuer has held responses. */
#define SQLITE_HELD_KEY_MAX 48 /* "ocsp_held_" and a 64-bit id */
void sqlite_held_key(char *key, size_t size, int64_t issuer_id);

/* Whether any response is due at now (sqlite_ocsp.c). */
int sqlite_ocsp_due_any(struct store_sqlite *s, int64_t now, struct err *e);

/*
 * What the signer needs of a certificate, the rest of the cert_record left
 * zero (store_certs_changed, store_ocsp_due): eight columns, not twelve
 * (callgrind: 16% fewer instructions to read one).  sqlite_sign_row() fills
 * a cert_record from them, starting at column col.
 */
#define SQLITE_SIGN_COLUMNS                                                                  \
	"c.id, c.issuer_id, c.serial, c.not_after, c.status, c.revoked_at, c.reason,"         \
	" c.change_seq, length(c.fingerprint) = 32 AND c.fingerprint != zeroblob(32), c.shard"
#define SQLITE_SIGN_NCOLUMNS 10
void sqlite_sign_row(sqlite3_stmt *st, int col, struct cert_record *out);

/*
 * Revocations by (issuer, shard), with the newest change_seq of each
 * (store_revoked_since).  After a change_seq: through the change_seq index,
 * the few rows changed since.  Left to itself SQLite's planner takes the
 * partial index of revoked certificates and reads every one of them, on each
 * signer pass that follows any change: 52 ms a pass with 100,000 revoked,
 * against 3 ms.  From the start: that index, all revoked and nothing else.
 */
#define SQLITE_REVOKED_SINCE                                                                 \
	"SELECT issuer_id, shard, max(change_seq), count(*) FROM certificates"                \
	" INDEXED BY certificates_change_seq WHERE change_seq > ? AND status = 1"             \
	" GROUP BY issuer_id, shard"
#define SQLITE_REVOKED_ALL                                                                   \
	"SELECT issuer_id, shard, max(change_seq), count(*) FROM certificates WHERE status = 1" \
	" GROUP BY issuer_id, shard"

/* All of a certificate: the signer's columns, then the rest; sqlite_cert_row() reads them. */
#define SQLITE_CERT_COLUMNS                                                                  \
	SQLITE_SIGN_COLUMNS ", c.not_before, c.fingerprint, c.added_at, c.is_ca, c.spki_sha256,"  \
	" c.precert, c.precert_tbs"
void sqlite_cert_row(sqlite3_stmt *st, int col, struct cert_record *out);

/* A CRL's row as given, replacing the one with its key: store_crl_put's write, a copy's import. */
int sqlite_crl_write(struct store_sqlite *s, const struct crl_record *r, const char *what,
    struct err *e);

#endif
