/*
 * postgresql.c - the shared store: a PostgreSQL database, through libpq.
 *
 * Design:
 *  - Connection: one PGconn per handle, opened from lancre.conf's
 *    `store = postgresql://...` (or postgres://) as libpq parses it.  A
 *    password in the URL (user:pw@host or password=) is refused before
 *    connecting: it belongs in a password file (passfile= in the URL,
 *    PGPASSFILE, or ~/.pgpass), which libpq reads itself.  Errors are one
 *    line (libpq's message with its newlines folded); no password is ever
 *    in one, since none is in the location.  fallback_application_name
 *    "lancre" and a connect_timeout the URL may override (postgresql_conn.c,
 *    which also connects again to the address a host name first resolved to).
 *  - Modes: STORE_CREATE (`lancre init`) creates the schema in an existing,
 *    empty database and refuses one that has tables (lancre's or another
 *    application's); STORE_WRITE and STORE_READ refuse a database without
 *    lancre's schema, and bring an older schema up to date (migrations,
 *    postgresql_schema.c: each version in its own transaction under an
 *    advisory lock, so concurrent opens do not race).  A STORE_READ handle
 *    then sets SESSION CHARACTERISTICS AS TRANSACTION READ ONLY: the
 *    server's connection writes nothing even if asked, and never reads the
 *    signer's tables (issuer_keys, signed_revoked: refused here, as the
 *    SQLite store refuses them to read-only handles; later also by role
 *    grants).
 *  - THE CURSOR RULE: every counter (meta change_seq, ocsp_seq, crl_seq,
 *    issuer_seq, key_seq) is taken with UPDATE meta SET value = value + n
 *    ... RETURNING value inside the writing transaction
 *    (pg_counter_take).  The row lock is held until commit, so the next
 *    writer that takes a number waits until this one commits or rolls back:
 *    numbers commit in the order they are taken, and a reader that loads
 *    "seq > last seen" can never skip a row that commits later with a lower
 *    number, which a SEQUENCE (nextval is taken before commit) or max()+1
 *    would allow.  change_seq is taken once per transaction, by its first
 *    insert or revoke, and forgotten at commit/rollback; a batch of n
 *    responses takes n numbers at once.  Counters are taken as late as
 *    possible in a transaction, just before the writes that need them, so
 *    that the lock is held briefly.
 *  - Transactions: store_begin/commit/rollback map to BEGIN/COMMIT/ROLLBACK
 *    (READ COMMITTED).  An operation that writes several statements opens
 *    its own transaction when the caller has none (pg_txn_enter/leave).
 *    Unlike SQLite, a failed statement aborts the caller's whole
 *    transaction: after an error the caller rolls back, as lancre's
 *    callers do.
 *  - Walks (store_*_each) stream through a cursor, PG_FETCH_ROWS at a time
 *    (pg_walk): bounded memory whatever the table's size.
 *  - Statements on the hot paths are prepared once per connection, lazily.
 */
#include "store/postgresql_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
pg_close(struct store *base)
{
	struct store_pg *s = (struct store_pg *)base;

	if (s == NULL)
		return;
	PQfinish(s->conn);
	free(s->location);
	free(s);
}

int
pg_begin(struct store *base, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;

	if (s->in_txn)
		return err_set(e, "store: a transaction is already open");
	if (pg_exec_simple(s, "BEGIN", "beginning a transaction", e) != 0)
		return -1;
	s->in_txn = 1;
	s->change_seq = s->crl_seq = 0;
	return 0;
}

int
pg_commit(struct store *base, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	PGresult *r = PQexec(s->conn, "COMMIT");
	int ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK &&
	    strcmp(PQcmdStatus(r), "COMMIT") == 0;

	/* COMMIT of a failed transaction "succeeds" as a ROLLBACK: say so. */
	if (!ok && r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK)
		err_set(e, "store: committing: the transaction had failed and was rolled back");
	else if (!ok)
		pg_err(s, r, "committing", e);
	PQclear(r);
	s->in_txn = 0;
	s->change_seq = s->crl_seq = 0;
	return ok ? 0 : -1;
}

int
pg_rollback(struct store *base, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;

	s->in_txn = 0;
	s->change_seq = s->crl_seq = 0;
	return pg_exec_simple(s, "ROLLBACK", "rolling back", e);
}

/* A connection holds nothing that goes stale while it waits. */
int
pg_idle(struct store *base, struct err *e)
{
	(void)base;
	(void)e;
	return 0;
}

/* The contract's counters are these meta rows. */
int
pg_seq(struct store *base, enum store_seq which, int64_t *v, struct err *e)
{
	static const char *const key[STORE_SEQ_COUNT] = {
	    [STORE_SEQ_CHANGE] = "change_seq",
	    [STORE_SEQ_OCSP] = "ocsp_seq",
	    [STORE_SEQ_CRL] = "crl_seq",
	    [STORE_SEQ_ISSUER] = "issuer_seq",
	};
	int rc;

	if ((unsigned)which >= STORE_SEQ_COUNT)
		return err_set(e, "store: unknown sequence %d", (int)which);
	rc = pg_meta_get((struct store_pg *)base, key[which], v, e);
	if (rc == 0)
		return err_set(e, "store: no sequence '%s'", key[which]);
	return rc < 0 ? -1 : 0;
}

/*
 * An intent is what the handle is about to do.  On PostgreSQL every intent
 * keeps the server's synchronous_commit: a commit is durable when it
 * returns, whoever writes.  A bulk import ran with synchronous_commit off
 * until session 14; that was dropped because such a commit is visible, and
 * its NOTIFY delivered, before its WAL is flushed: a crash of the database
 * server (any backend's: the WAL buffers are shared memory) then loses
 * certificates `cert add` had reported added, and hands their change_seq
 * values to later rows, which readers that moved past them skip.  The
 * signer's response batches stay synchronous for the same reason
 * (docs/DESIGN.md, "Intents").  The import's writer commits while its
 * workers check the next batch, so the flush mostly overlaps their work.
 */
int
pg_set_intent(struct store *base, enum store_intent intent, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	const char *sql;

	if ((unsigned)intent >= STORE_INTENT_COUNT)
		return err_set(e, "store: unknown intent %d", (int)intent);
	sql = "SET synchronous_commit TO DEFAULT";
	if (pg_exec_simple(s, sql, "setting the intent", e) != 0)
		return -1;
	s->intent = intent;
	return 0;
}

#define PG_OP_ENTRY(name, params, args) .name = pg_##name,
static const struct store_ops pg_ops = {
    .name = "postgresql",
    .close = pg_close,
    STORE_OPS(PG_OP_ENTRY)
};
#undef PG_OP_ENTRY

/* Refuse a location that carries a password, before libpq sees it. */
static int
refuse_password(const char *location, struct err *e)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(location, &msg);
	int has = 0;

	if (opts == NULL) {
		/* Not libpq's words: they may quote the URL, and with it a password. */
		PQfreemem(msg);
		return err_set(e, "store: not a valid PostgreSQL URL");
	}
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL)
			has = 1;
	PQconninfoFree(opts);
	if (has)
		return err_set(e, "a password does not go in lancre.conf or on the command line: "
				  "put it in a password file (passfile= in the URL, or PGPASSFILE, or "
				  "~/.pgpass)");
	return 0;
}

/*
 * A handle that only reads, on a hot standby whose schema is older than
 * this lancre's (st says so): the standby cannot be migrated (it is read
 * only), and has only to replay the primary's migration, which may be
 * held up (replication lag, a paused replay).  Not a store to refuse for
 * good, then, but one to wait for.  0: not so (on a primary, the usual
 * rules).
 */
static int
standby_behind(struct store_pg *s, int version, struct store_open_state *st, struct err *e)
{
	PGresult *r;
	int recovering;

	if (s->mode != STORE_READ || version >= pg_schema_newest)
		return 0;
	if ((r = pg_exec(s, "SELECT pg_is_in_recovery()", NULL,
		 "asking whether the database is a standby", e)) == NULL)
		return -1;
	recovering = pg_int(r, 0, 0) != 0;
	PQclear(r);
	if (!recovering)
		return 0;
	if (st != NULL)
		*st = (struct store_open_state){.behind = 1, .have = version, .need = pg_schema_newest};
	return err_set(e, "store: the standby's schema is version %d, this lancre needs %d: "
			  "it has not replayed the primary's migration yet", version, pg_schema_newest);
}

/* The database is what mode asks: empty to create, lancre's otherwise; migrated. */
static int
check_and_migrate(struct store_pg *s, struct store_open_state *st, struct err *e)
{
	int version, tables;

	if (pg_schema_version(s, &version, e) != 0 || standby_behind(s, version, st, e) != 0)
		return -1;
	if (s->mode == STORE_CREATE) {
		if (version > 0)
			return err_set(e, "store: the database already holds a lancre store");
		if ((tables = pg_schema_has_tables(s, e)) < 0)
			return -1;
		if (tables)
			return err_set(e, "store: the database is not empty (it has tables of its "
					  "own): lancre init needs an empty database");
	} else if (version == 0) {
		return err_set(e, "store: not a lancre store: run lancre init --store URL first");
	}
	return pg_schema_migrate(s, e);
}

struct store *
store_pg_open(const char *location, enum store_mode mode, struct store_open_state *st,
    struct err *e)
{
	struct store_pg *s;

	if (refuse_password(location, e) != 0)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	s->base.ops = &pg_ops;
	s->mode = mode;
	if ((s->conn = pg_connect(location, NULL, e)) == NULL) {
		free(s);
		return NULL;
	}
	/* Times are numbers and names bytes: nothing depends on the session's settings. */
	if (pg_conn_pin(s, location, e) != 0 ||
	    pg_exec_simple(s, PG_SESSION_SETUP, "setting up", e) != 0 ||
	    check_and_migrate(s, st, e) != 0 ||
	    (mode == STORE_READ &&
		pg_exec_simple(s, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
		    "setting up a read-only handle", e) != 0)) {
		pg_close(&s->base);
		return NULL;
	}
	return &s->base;
}
