/*
 * postgresql_audit.c - tokens and the audit trail in the PostgreSQL store
 * (migration 4, postgresql_schema.c; the contract in store.h).
 *
 * The chain's head is audit_head's one row, taken with UPDATE ... RETURNING
 * inside the appending transaction (THE CURSOR RULE, postgresql.c): the row
 * stays locked until commit, so a concurrent writer's append waits, then
 * reads the head this one committed, and rows chain in commit order.  Take
 * it late (just before the rows are written): the lock serialises writers.
 * A batch (a bulk import's certificates) is one COPY, not a statement per
 * row.
 */
#include "store/postgresql_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "store/audit.h"

/* Rows per COPY message of a batch: bounds the text built (a few hundred bytes a row). */
#define AUDIT_PG_ROWS 4096

/* ---- tokens ---- */

#define TOKEN_COLUMNS "id, name, scopes, hash, created, revoked"

static void
token_row(const PGresult *r, int i, struct token_record *t)
{
	size_t len;
	const uint8_t *b;

	memset(t, 0, sizeof(*t));
	t->id = pg_int(r, i, 0);
	b = pg_bytes(r, i, 1, &len);
	snprintf(t->name, sizeof(t->name), "%.*s", (int)len, b != NULL ? (const char *)b : "");
	t->scopes = (unsigned)pg_int(r, i, 2);
	b = pg_bytes(r, i, 3, &len);
	if (b != NULL && len == sizeof(t->hash))
		memcpy(t->hash, b, sizeof(t->hash));
	t->created = pg_int(r, i, 4);
	t->revoked = pg_int(r, i, 5);
}

int
pg_token_put(struct store *base, const struct token_record *t, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct pg_params p = {0};
	PGresult *r;

	if (t->name[0] == '\0' || strlen(t->name) > STORE_TOKEN_NAME_MAX)
		return err_set(e, "store: a token's name is 1 to %d bytes", STORE_TOKEN_NAME_MAX);
	pg_param_text(&p, t->name);
	pg_param_int(&p, t->scopes);
	pg_param_bytea(&p, t->hash, sizeof(t->hash));
	pg_param_int(&p, t->created);
	pg_param_int(&p, t->revoked);
	/* ON CONFLICT DO NOTHING: a taken name is an answer, not an aborted transaction. */
	r = pg_exec(s, "INSERT INTO tokens (name, scopes, hash, created, revoked)"
	    " VALUES ($1::text, $2::int, $3::bytea, $4::bigint, $5::bigint)"
	    " ON CONFLICT DO NOTHING RETURNING id", &p, "adding a token", e);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return err_set(e, "a token named '%s' already exists", t->name);
	}
	PQclear(r);
	return 0;
}

int
pg_token_find(struct store *base, const uint8_t hash[32], struct token_record *out,
    struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct pg_params p = {0};
	PGresult *r;
	int found;

	/* Looked up by the hash of the secret: the index's timing is about the hash only. */
	pg_param_bytea(&p, hash, 32);
	r = pg_exec(s, "SELECT " TOKEN_COLUMNS " FROM tokens WHERE hash = $1::bytea AND revoked = 0",
	    &p, "looking up a token", e);
	if (r == NULL)
		return -1;
	found = PQntuples(r) == 1;
	if (found)
		token_row(r, 0, out);
	PQclear(r);
	/* The bytes compared in constant time all the same (the index compared them first). */
	return found && CRYPTO_memcmp(out->hash, hash, sizeof(out->hash)) == 0 ? 1 : 0;
}

int
pg_token_revoke(struct store *base, const char *name, int64_t now, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct pg_params p = {0};
	int64_t n = 0;

	pg_param_int(&p, now != 0 ? now : 1); /* 0 means active */
	pg_param_text(&p, name);
	if (pg_run(s, "UPDATE tokens SET revoked = $1::bigint WHERE name = $2::text AND revoked = 0",
		&p, "revoking a token", &n, e) != 0)
		return -1;
	return n > 0 ? 1 : 0;
}

struct token_walk {
	int (*cb)(void *arg, const struct token_record *t, struct err *e);
	void *arg;
};

static int
token_each_row(void *arg, const PGresult *r, int i, struct err *e)
{
	struct token_walk *w = arg;
	struct token_record t;

	token_row(r, i, &t);
	return w->cb(w->arg, &t, e);
}

int
pg_token_each(struct store *base,
    int (*cb)(void *arg, const struct token_record *t, struct err *e), void *arg, struct err *e)
{
	struct token_walk w = {cb, arg};

	return pg_walk((struct store_pg *)base, "SELECT " TOKEN_COLUMNS " FROM tokens ORDER BY name, id",
	    NULL, "listing tokens", token_each_row, &w, e);
}

/* ---- the audit trail ---- */

/* A growing text buffer: a batch's COPY data. */
struct abuf {
	char *p;
	size_t len, cap;
	int failed;
};

static void
abuf_put(struct abuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (np == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Rows to insert: events and their hashes apart (an append), or records (an import). */
struct audit_rows {
	const struct audit_event *ev;
	const uint8_t *h; /* AUDIT_HASH_LEN bytes per event */
	const struct audit_record *rec;
	int64_t first; /* an append's first number (records carry their own) */
};

static int64_t
row_at(const struct audit_rows *r, size_t i, const struct audit_event **ev, const uint8_t **h)
{
	if (r->rec != NULL) {
		*ev = &r->rec[i].ev;
		*h = r->rec[i].hash;
		return r->rec[i].id;
	}
	*ev = &r->ev[i];
	*h = r->h + i * AUDIT_HASH_LEN;
	return r->first + (int64_t)i;
}

/* A column of COPY's text format: tab, newline, carriage return and backslash escaped. */
static void
copy_text(struct abuf *b, const char *s, int last)
{
	for (const char *q = s != NULL ? s : ""; *q != '\0'; q++) {
		const char *esc = *q == '\\' ? "\\\\" : *q == '\t' ? "\\t" : *q == '\n' ? "\\n"
				: *q == '\r' ? "\\r" : NULL;
		if (esc != NULL)
			abuf_put(b, esc, 2);
		else
			abuf_put(b, q, 1);
	}
	abuf_put(b, last ? "\n" : "\t", 1);
}

/* A bytea column: its hex input form, \x..., the backslash doubled for COPY. */
static void
copy_bytea(struct abuf *b, const uint8_t *v, size_t n, int last)
{
	static const char hex[] = "0123456789abcdef";
	char two[2];

	abuf_put(b, "\\\\x", 3);
	for (size_t k = 0; v != NULL && k < n; k++) {
		two[0] = hex[v[k] >> 4];
		two[1] = hex[v[k] & 15];
		abuf_put(b, two, 2);
	}
	abuf_put(b, last ? "\n" : "\t", 1);
}

static void
copy_int(struct abuf *b, int64_t v)
{
	char d[24];

	snprintf(d, sizeof(d), "%" PRId64 "\t", v);
	abuf_put(b, d, strlen(d));
}

/*
 * All of rows (n), with COPY FROM STDIN in text format, AUDIT_PG_ROWS rows
 * per message: a bulk import's rows at COPY's cost per row (the cheapest
 * way into a table: no statement per row, no arrays to parse), in the open
 * transaction.  Every COPY is ended and its result read whatever happens,
 * so the connection leaves COPY mode clean.
 */
static int
audit_insert_all(struct store_pg *s, const struct audit_rows *rows, size_t n, struct err *e)
{
	struct abuf b = {0};
	PGresult *r;
	int rc = 0;

	r = PQexec(s->conn, "COPY audit (id, at, actor, origin, action, issuer_id, serial, detail,"
			    " hash) FROM STDIN");
	if (r == NULL || PQresultStatus(r) != PGRES_COPY_IN) {
		rc = pg_err(s, r, "appending to the audit trail", e);
		PQclear(r);
		return rc;
	}
	PQclear(r);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct audit_event *v;
		const uint8_t *h;

		copy_int(&b, row_at(rows, i, &v, &h));
		copy_int(&b, v->at);
		copy_text(&b, v->actor, 0);
		copy_text(&b, v->origin, 0);
		copy_text(&b, v->action, 0);
		copy_int(&b, v->issuer_id);
		copy_bytea(&b, v->serial, v->serial != NULL ? v->serial_len : 0, 0);
		copy_text(&b, v->detail, 0);
		copy_bytea(&b, h, AUDIT_HASH_LEN, 1);
		if (b.failed)
			rc = err_set(e, "store: appending to the audit trail: out of memory");
		else if ((i + 1) % AUDIT_PG_ROWS == 0 || i + 1 == n) {
			if (PQputCopyData(s->conn, b.p, (int)b.len) != 1)
				rc = pg_err(s, NULL, "appending to the audit trail", e);
			b.len = 0;
		}
	}
	free(b.p);
	if (PQputCopyEnd(s->conn, rc == 0 ? NULL : "lancre: the batch failed") != 1 && rc == 0)
		rc = pg_err(s, NULL, "appending to the audit trail", e);
	while ((r = PQgetResult(s->conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0)
			rc = pg_err(s, r, "appending to the audit trail", e);
		PQclear(r);
	}
	return rc;
}

static int
head_set(struct store_pg *s, int64_t id, const uint8_t hash[AUDIT_HASH_LEN], struct err *e)
{
	struct pg_params p = {0};

	pg_param_int(&p, id);
	pg_param_bytea(&p, hash, AUDIT_HASH_LEN);
	return pg_run(s, "UPDATE audit_head SET id = $1::bigint, hash = $2::bytea WHERE one", &p,
	    "moving the audit trail's head", NULL, e);
}

static int
audit_append(struct store_pg *s, const struct audit_event *ev, size_t n, struct err *e)
{
	struct pg_params p = {0};
	uint8_t *h = malloc(n * AUDIT_HASH_LEN);
	const uint8_t *prev;
	PGresult *r;
	int64_t first;
	size_t len = 0;
	int rc = 0;

	if (h == NULL)
		return err_set(e, "store: appending to the audit trail: out of memory");
	/* THE CURSOR RULE: the head's row is locked from here until this transaction ends. */
	pg_param_int(&p, (int64_t)n);
	r = pg_exec(s, "UPDATE audit_head SET id = id + $1::bigint WHERE one RETURNING id, hash", &p,
	    "taking the audit trail's head", e);
	if (r == NULL) {
		free(h);
		return -1;
	}
	prev = PQntuples(r) == 1 ? pg_bytes(r, 0, 1, &len) : NULL;
	if (prev == NULL || len != AUDIT_HASH_LEN) {
		PQclear(r);
		free(h);
		return err_set(e, "store: the audit trail has no head (audit_head is empty)");
	}
	first = pg_int(r, 0, 0) - (int64_t)n + 1;
	for (size_t i = 0; i < n && rc == 0; i++)
		if (audit_hash(i == 0 ? prev : h + (i - 1) * AUDIT_HASH_LEN, first + (int64_t)i, &ev[i],
			h + i * AUDIT_HASH_LEN) != 0)
			rc = err_set(e, "store: hashing an audit row: out of memory");
	PQclear(r);
	if (rc == 0)
		rc = audit_insert_all(s, &(struct audit_rows){.ev = ev, .h = h, .first = first}, n, e);
	if (rc == 0)
		rc = head_set(s, first + (int64_t)n - 1, h + (n - 1) * AUDIT_HASH_LEN, e);
	free(h);
	return rc;
}

int
pg_audit_append_many(struct store *base, const struct audit_event *ev, size_t n, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int own;

	if (n == 0)
		return 0;
	if (pg_txn_enter(s, &own, e) != 0)
		return -1;
	return pg_txn_leave(s, own, audit_append(s, ev, n, e), e);
}

int
pg_audit_append(struct store *base, const struct audit_event *ev, struct err *e)
{
	return pg_audit_append_many(base, ev, 1, e);
}

struct audit_walk {
	int (*cb)(void *arg, const struct audit_record *r, struct err *e);
	void *arg;
};

static int
audit_each_row(void *arg, const PGresult *r, int i, struct err *e)
{
	struct audit_walk *w = arg;
	struct audit_record a;
	const uint8_t *b;
	size_t len;

	memset(&a, 0, sizeof(a));
	a.id = pg_int(r, i, 0);
	a.ev.at = pg_int(r, i, 1);
	/* libpq ends every value with a NUL: text columns read as C strings. */
	a.ev.actor = (const char *)pg_bytes(r, i, 2, &len);
	a.ev.origin = (const char *)pg_bytes(r, i, 3, &len);
	a.ev.action = (const char *)pg_bytes(r, i, 4, &len);
	a.ev.issuer_id = pg_int(r, i, 5);
	a.ev.serial = pg_bytes(r, i, 6, &a.ev.serial_len);
	a.ev.detail = (const char *)pg_bytes(r, i, 7, &len);
	/* A hash of the wrong length (a row changed by hand) reads as zeros: --verify says so. */
	b = pg_bytes(r, i, 8, &len);
	if (b != NULL && len == AUDIT_HASH_LEN)
		memcpy(a.hash, b, AUDIT_HASH_LEN);
	return w->cb(w->arg, &a, e);
}

int
pg_audit_each(struct store *base, const struct audit_filter *f,
    int (*cb)(void *arg, const struct audit_record *r, struct err *e), void *arg, struct err *e)
{
	static const struct audit_filter all;
	struct audit_walk w = {cb, arg};
	struct pg_params p = {0};

	if (f == NULL)
		f = &all;
	pg_param_int(&p, f->after_id);
	pg_param_int(&p, f->issuer_id);
	if (f->serial != NULL && f->serial_len > 0)
		pg_param_bytea(&p, f->serial, f->serial_len);
	else
		pg_param_null(&p);
	pg_param_int(&p, f->since);
	return pg_walk((struct store_pg *)base,
	    "SELECT id, at, actor, origin, action, issuer_id, serial, detail, hash FROM audit"
	    " WHERE id > $1::bigint AND ($2::bigint = 0 OR issuer_id = $2::bigint)"
	    " AND ($3::bytea IS NULL OR serial = $3::bytea)"
	    " AND ($4::bigint = 0 OR at >= $4::bigint) ORDER BY id",
	    &p, "reading the audit trail", audit_each_row, &w, e);
}

int
pg_audit_head(struct store *base, int64_t *id, uint8_t hash[32], struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	const uint8_t *b;
	PGresult *r;
	size_t len = 0;

	*id = 0;
	memset(hash, 0, AUDIT_HASH_LEN);
	r = pg_exec(s, "SELECT id, hash FROM audit_head WHERE one", NULL,
	    "reading the audit trail's head", e);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return err_set(e, "store: the audit trail has no head (audit_head is empty)");
	}
	*id = pg_int(r, 0, 0);
	b = pg_bytes(r, 0, 1, &len);
	if (b != NULL && len == AUDIT_HASH_LEN)
		memcpy(hash, b, AUDIT_HASH_LEN);
	PQclear(r);
	return 0;
}

int
pg_audit_import(struct store *base, const struct audit_record *r, size_t n, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int own, rc;

	if (n == 0)
		return 0;
	if (pg_txn_enter(s, &own, e) != 0)
		return -1;
	rc = audit_insert_all(s, &(struct audit_rows){.rec = r}, n, e);
	if (rc == 0)
		rc = head_set(s, r[n - 1].id, r[n - 1].hash, e);
	return pg_txn_leave(s, own, rc, e);
}
