/*
 * postgresql_int.h - what the PostgreSQL backend's files share: the handle
 * (struct store_pg), the statement helpers, error mapping, counters under
 * THE CURSOR RULE (postgresql.c's design paragraph), transactions and the
 * streaming row walker.  Not for use outside src/store/.
 *
 * Conventions every file follows:
 *  - Parameters: integers as text (PG_INT), bytea as binary (PG_BYTEA),
 *    text as text; cast each in the SQL ($1::bigint) so that no type is
 *    guessed.  Results always come back in binary format: pg_int() reads
 *    any integer or boolean column by its size (cast sums to bigint: a
 *    numeric cannot be read), pg_bytes() a bytea's or text's bytes as is.
 *  - Errors: "store: <what>: <PostgreSQL's message on one line>".
 *  - An operation that writes more than one statement runs between
 *    pg_txn_enter() and pg_txn_leave(): its own transaction, or the
 *    caller's (store_begin) if one is open.
 */
#ifndef LANCRE_STORE_POSTGRESQL_INT_H
#define LANCRE_STORE_POSTGRESQL_INT_H

#include <libpq-fe.h>
#include <stdint.h>

#include "store/backend.h"

/* The most parameters one pg_params holds (a bulk statement builds its own arrays). */
#define PG_PARAMS_MAX 16
/* Rows fetched at a time by pg_walk()'s cursor: memory stays bounded whatever the table. */
#define PG_FETCH_ROWS 1000
/* Key of pg_advisory_xact_lock() taken by the migrations runner ("lancre" in ASCII). */
#define PG_MIGRATION_LOCK 108097106099114101LL

/* store_changes_wait says "maybe" at least this often, notified or not (postgresql_notify.c). */
#define PG_CHANGES_RECHECK_MS 5000
/* store_pg.session_unset: restoring the settings after a reconnect; failed to (lost). */
#define PG_SESSION_RESTORING 1
#define PG_SESSION_UNSET 2
/* Reconnection back-off: the first wait after a failed attempt, doubled up to the most. */
#define PG_RECONNECT_FIRST_MS 100
#define PG_RECONNECT_MAX_MS 5000
/* An address as PQhostaddr() gives it: an IPv6 address in text is at most 45 bytes. */
#define PG_HOSTADDR_MAX 64

/*
 * Statements prepared once per connection (lazily, on first use), by
 * purpose: one line each, X(id, name).  The name is the server-side name.
 */
#define PG_STMTS(X)                                                                          \
	X(PG_STMT_CERT_INSERT, "lancre_cert_insert")                                          \
	X(PG_STMT_CERT_GET, "lancre_cert_get")                                                \
	X(PG_STMT_CERT_FINGERPRINT, "lancre_cert_fingerprint")                                \
	X(PG_STMT_CERTS_ADD, "lancre_certs_add")                                              \
	X(PG_STMT_COUNTER_TAKE, "lancre_counter_take")                                        \
	X(PG_STMT_META_GET, "lancre_meta_get")                                                \
	X(PG_STMT_OCSP_PUT, "lancre_ocsp_put")                                                \
	X(PG_STMT_OCSP_INSERT, "lancre_ocsp_insert")                                          \
	X(PG_STMT_CERTS_CHANGED, "lancre_certs_changed")                                      \
	X(PG_STMT_OCSP_DUE, "lancre_ocsp_due")                                                \
	X(PG_STMT_CRL_GET, "lancre_crl_get")                                                  \
	X(PG_STMT_OCSP_GET, "lancre_ocsp_get")

#define PG_STMT_ENUM(id, name) id,
enum pg_stmt { PG_STMTS(PG_STMT_ENUM) PG_STMT_COUNT };
#undef PG_STMT_ENUM

struct store_pg {
	struct store base;
	PGconn *conn;
	enum store_mode mode;
	enum store_intent intent;
	int in_txn;        /* a transaction is open (the caller's or an operation's own) */
	int walk_depth;    /* cursors open by pg_walk(), nested */
	uint64_t prepared; /* bit i: statement i of PG_STMTS prepared on this connection */
	/* Numbers taken by the open transaction (0: none yet), forgotten at its end. */
	int64_t change_seq, crl_seq;
	/* store_changes_wait (postgresql_notify.c): LISTEN issued on this connection (-1: refused); */
	int listening;
	int session_unset; /* reconnected, settings not restored: PG_SESSION_UNSET counts as lost */
	/* when it last said "maybe" (ms, monotonic), and when it may next try to reconnect. */
	int64_t changes_said_ms, reconnect_at_ms;
	int reconnect_backoff_ms;
	int retrying; /* a statement is being run again after a reconnection (postgresql_exec.c) */
	int ocsp_upsert_left; /* batches store_ocsp_put sends straight to its upsert (_ocsp_put.c) */
	int cert_add_left; /* batches of intake sent straight to ON CONFLICT (postgresql_cert.c) */
	int ids_by_range; /* 0 not known yet, 1 may setval the certificates' ids, -1 may not */
	/* A database named by a host name: its URL and the address the first connect reached,
	 * which a reconnection uses (postgresql_conn.c); location NULL: PQreset instead. */
	char *location;
	char hostaddr[PG_HOSTADDR_MAX];
};

/* The backend's operations, pg_<name>() for each of STORE_OPS (backend.h). */
#define PG_OP_DECLARE(name, params, args) int pg_##name params;
STORE_OPS(PG_OP_DECLARE)
#undef PG_OP_DECLARE

/*
 * A one-dimensional array in PostgreSQL's binary format, no NULLs, lower
 * bound 1: one parameter of a bulk statement (a column of a batch, unnested
 * on the server), sent as bytea-like binary.  pg_array_start allocates size
 * bytes (the 20-byte header and n elements of 4 + their length each) and
 * returns NULL out of memory; the caller frees buf.
 */
#define PG_OID_INT8 20
#define PG_OID_BYTEA 17
struct pg_array {
	uint8_t *buf;
	size_t len;
};
uint8_t *pg_array_start(struct pg_array *a, size_t size, size_t n, uint32_t oid);
void pg_array_int(struct pg_array *a, int64_t v);
void pg_array_bytes(struct pg_array *a, const void *b, size_t len);

/*
 * COPY ... FROM STDIN (FORMAT binary) data, built a batch at a time (the
 * PostgreSQL manual's "Binary Format": a header; per row a field count,
 * then each field's length, -1 for NULL, and its bytes in network order;
 * -1 at the end), each field in its column's own type.  Out of memory,
 * failed is set and the rest is not written; the caller frees b.
 */
struct pg_bin {
	uint8_t *b;
	size_t len, cap;
	int failed;
};
uint8_t *pg_bin_room(struct pg_bin *c, size_t more); /* more bytes at the end, or NULL */
void pg_bin_header(struct pg_bin *c);
void pg_bin_row(struct pg_bin *c, int fields);
void pg_bin_int(struct pg_bin *c, int64_t v, size_t size); /* 8 bigint, 4 int, 2 smallint, 1 bool */
void pg_bin_bytes(struct pg_bin *c, const uint8_t *p, size_t n); /* bytea; NULL when p is NULL */
void pg_bin_end(struct pg_bin *c);
/*
 * Run the COPY sql and send c: its final result (to PQclear: PGRES_COMMAND_OK,
 * or the failure, whose SQLSTATE the caller reads), or NULL on a broken
 * connection (*e).
 */
PGresult *pg_copy_in(struct store_pg *s, const char *sql, const struct pg_bin *c, const char *what,
    struct err *e);

/*
 * Every session's settings, at open and after a reconnection
 * (postgresql_notify.c).  JIT off: lancre's statements are short, and the
 * planner's cost estimates of several (the signer's scan of changed
 * certificates) pass jit_above_cost as the tables grow, and an execution
 * so planned compiles its expressions first: 40-75 ms for a 2 ms page of
 * 4,096 certificates (EXPLAIN ANALYZE at 200,000), 0.77 s of the server's
 * time in the 245 pages of signing 1M (docs/BENCHMARKS.md, session 13).
 */
#define PG_SESSION_SETUP "SET client_min_messages = warning; SET jit = off"

/* Parameters of one statement, added in order ($1, $2, ...). */
struct pg_params {
	int n;
	const char *values[PG_PARAMS_MAX];
	int lengths[PG_PARAMS_MAX];
	int formats[PG_PARAMS_MAX];
	char text[PG_PARAMS_MAX][24]; /* the integers' digits */
};

void pg_param_int(struct pg_params *p, int64_t v);
void pg_param_bytea(struct pg_params *p, const void *b, size_t len); /* borrowed */
void pg_param_text(struct pg_params *p, const char *s);              /* borrowed */
void pg_param_null(struct pg_params *p);

/*
 * Run sql with p (NULL: none); what names it in an error.  Returns the
 * result (PGRES_COMMAND_OK or PGRES_TUPLES_OK, binary columns) to PQclear,
 * or NULL with *e set.  pg_exec_prepared() runs statement id, preparing sql
 * under its name first if this connection has not yet.
 */
PGresult *pg_exec(struct store_pg *s, const char *sql, const struct pg_params *p,
    const char *what, struct err *e);
PGresult *pg_exec_prepared(struct store_pg *s, enum pg_stmt id, const char *sql,
    const struct pg_params *p, const char *what, struct err *e);
/*
 * Statement id prepared on this connection (sql, if not yet): its name, for
 * PQsendQueryPrepared in pipeline mode; NULL with *e set on failure.
 */
const char *pg_prepared_name(struct store_pg *s, enum pg_stmt id, const char *sql,
    const char *what, struct err *e);
/* pg_exec for a statement whose rows do not matter; *changed: rows it changed (NULL: no). */
int pg_run(struct store_pg *s, const char *sql, const struct pg_params *p, const char *what,
    int64_t *changed, struct err *e);
/* Simple-protocol SQL without parameters (several statements allowed: migrations). */
int pg_exec_simple(struct store_pg *s, const char *sql, const char *what, struct err *e);

/* "store: what: message" from r (or the connection when r is NULL); returns -1. */
int pg_err(struct store_pg *s, const PGresult *r, const char *what, struct err *e);
/* The SQLSTATE of a failed result ("" if none), e.g. PG_UNIQUE_VIOLATION. */
#define PG_UNIQUE_VIOLATION "23505"
const char *pg_sqlstate(const PGresult *r);
/* PostgreSQL's message for r, folded to one line into buf. */
void pg_fold(const char *msg, char *buf, size_t len);

/* Column col of row: an integer or boolean (0 when NULL), as int64. */
int64_t pg_int(const PGresult *r, int row, int col);
/* Column col of row: its bytes (bytea or text; NULL when the value is NULL) and length. */
const uint8_t *pg_bytes(const PGresult *r, int row, int col, size_t *len);
/* A copy of a bytea column into a new buffer (*out NULL when NULL); -1 out of memory. */
int pg_bytes_dup(const PGresult *r, int row, int col, uint8_t **out, size_t *len);

/*
 * Transactions.  pg_txn_enter() begins one unless one is open (*own says
 * whether this call began it); pg_txn_leave() ends it if own: commit when
 * rc == 0, else roll back; returns rc, or -1 if the commit failed.
 */
int pg_txn_enter(struct store_pg *s, int *own, struct err *e);
int pg_txn_leave(struct store_pg *s, int own, int rc, struct err *e);

/*
 * THE CURSOR RULE: take n numbers from the counter meta.key = name inside
 * the open transaction (UPDATE ... RETURNING: the row stays locked until
 * commit, so numbers commit in the order they are taken); *last is the
 * highest, the numbers are *last - n + 1 .. *last.  Fails outside a
 * transaction.  Take it as late as possible: the lock serialises writers.
 */
int pg_counter_take(struct store_pg *s, const char *name, int64_t n, int64_t *last,
    struct err *e);
/*
 * The open transaction's change_seq: taken (pg_counter_take) by its first
 * insert or revoke, reused by the others, forgotten at commit or rollback.
 */
int pg_txn_change_seq(struct store_pg *s, int64_t *out, struct err *e);

/* meta.key = name into *v: 1 found, 0 not there (*v = 0), -1 on error. */
int pg_meta_get(struct store_pg *s, const char *name, int64_t *v, struct err *e);
/* meta.key = name set to v (added if not there). */
int pg_meta_set(struct store_pg *s, const char *name, int64_t v, struct err *e);

/*
 * Stream the rows of sql (a SELECT) to row(), PG_FETCH_ROWS at a time
 * through a cursor (in the open transaction, or one of its own): memory
 * stays bounded and row() may call other operations on the handle.  row()
 * returning non-zero stops the walk, which returns -1 (row() said why in e).
 */
int pg_walk(struct store_pg *s, const char *sql, const struct pg_params *p, const char *what,
    int (*row)(void *arg, const PGresult *r, int i, struct err *e), void *arg, struct err *e);

/*
 * What the signer needs of a certificate (store_certs_changed,
 * store_ocsp_due): PG_SIGN_NCOLUMNS columns of certificates c, read by
 * pg_sign_row() from column col; PG_CERT_COLUMNS adds the rest of the
 * record, read by pg_cert_row().
 */
#define PG_SIGN_COLUMNS                                                                      \
	"c.id, c.issuer_id, c.serial, c.not_after, c.status, coalesce(c.revoked_at, 0),"      \
	" coalesce(c.reason, 0), c.change_seq,"                                               \
	" (length(c.fingerprint) = 32 AND c.fingerprint <> decode(repeat('00', 32), 'hex')),"     \
	" c.shard"
#define PG_SIGN_NCOLUMNS 10
#define PG_CERT_COLUMNS                                                                      \
	PG_SIGN_COLUMNS ", c.not_before, c.fingerprint, c.added_at, c.is_ca, c.spki_sha256,"   \
	" c.precert, c.precert_tbs"
void pg_sign_row(const PGresult *r, int row, int col, struct cert_record *out);
void pg_cert_row(const PGresult *r, int row, int col, struct cert_record *out);

/* Any change to the issuers takes the next issuer_seq, so that a running signer reloads. */
int pg_issuer_changed(struct store_pg *s, struct err *e);

/*
 * Record issuer_id's key_ref and pass_ref (key_ref non-NULL) or its
 * ocsp_key_ref (key_ref NULL) in issuer_keys (postgresql_keys.c); a
 * reference with a PIN is refused, and so is a STORE_READ handle.
 */
int pg_keys_put(struct store_pg *s, int64_t issuer_id, const char *key_ref,
    const char *pass_ref, const char *ocsp_key_ref, struct err *e);

/*
 * The connection (postgresql_notify.c): pg_conn_lost() whether it is
 * broken; pg_reconnect() resets it (outside a transaction, at most once per
 * back-off period) and gives the new session the handle's settings.  The
 * statement helpers call it, so any operation after a database restart
 * gets a connection back; one whose statement found the connection broken
 * (outside a transaction) runs it once more on the new one.
 */
int pg_conn_lost(const struct store_pg *s);
int pg_reconnect(struct store_pg *s, struct err *e);

/*
 * postgresql_conn.c: pg_connect() opens a connection to location (NULL, e set, on
 * failure), to hostaddr if not NULL (the name then only names it: TLS, the password
 * file); pg_conn_pin() notes, after the first connect, the address a host name
 * resolved to; pg_conn_again() connects s again, to that address if pinned, else
 * with PQreset: 0, or -1 with why (len bytes) saying why, s->conn kept, broken.
 */
PGconn *pg_connect(const char *location, const char *hostaddr, struct err *e);
int pg_conn_pin(struct store_pg *s, const char *location, struct err *e);
int pg_conn_again(struct store_pg *s, char *why, size_t len);

/* The schema (postgresql_schema.c): bring the database up to the newest version. */
int pg_schema_migrate(struct store_pg *s, struct err *e);
/* The schema version into *version (0: no lancre_schema table): 0, or -1 on error. */
int pg_schema_version(struct store_pg *s, int *version, struct err *e);
/* Whether the database has any table of its own in the current schema: 1, 0, -1. */
int pg_schema_has_tables(struct store_pg *s, struct err *e);
extern const int pg_schema_newest;

/* A CRL's row as given, replacing the one with its key: store_crl_put's write, a copy's import. */
int pg_crl_write(struct store_pg *s, const struct crl_record *r, const char *what, struct err *e);

#endif
