/*
 * postgresql_exec.c - the PostgreSQL backend's statement helpers: parameters
 * (integers as text, bytea binary), running statements (prepared lazily per
 * connection for the hot ones), results read in binary format, errors
 * folded to one line, counters under THE CURSOR RULE, meta rows, and the
 * cursor walker that streams a SELECT to a callback.
 *
 * Results are always binary (resultFormat 1): bytea arrives as its bytes,
 * not hex text to decode, and an integer as 1, 2, 4 or 8 big-endian bytes,
 * which pg_int() reads by the column's size, so a query may return int2,
 * int4, int8 or boolean and the reader need not know which.
 */
#include "store/postgresql_int.h"

#include <endian.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
pg_param_int(struct pg_params *p, int64_t v)
{
	int i = p->n++;

	snprintf(p->text[i], sizeof(p->text[i]), "%" PRId64, v);
	p->values[i] = p->text[i];
	p->lengths[i] = 0;
	p->formats[i] = 0;
}

void
pg_param_bytea(struct pg_params *p, const void *b, size_t len)
{
	int i = p->n++;

	p->values[i] = len > 0 ? b : "";
	p->lengths[i] = (int)len;
	p->formats[i] = 1;
}

void
pg_param_text(struct pg_params *p, const char *s)
{
	int i = p->n++;

	p->values[i] = s;
	p->lengths[i] = 0;
	p->formats[i] = 0;
}

void
pg_param_null(struct pg_params *p)
{
	int i = p->n++;

	p->values[i] = NULL;
	p->lengths[i] = 0;
	p->formats[i] = 0;
}

void
pg_fold(const char *msg, char *buf, size_t len)
{
	size_t o = 0;
	int space = 0;

	if (len == 0)
		return;
	for (const char *c = msg != NULL ? msg : ""; *c != '\0' && o + 1 < len; c++) {
		if (*c == '\n' || *c == '\r' || *c == '\t' || *c == ' ') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < len)
			buf[o++] = ' ';
		space = 0;
		buf[o++] = *c;
	}
	buf[o] = '\0';
}

int
pg_err(struct store_pg *s, const PGresult *r, const char *what, struct err *e)
{
	char msg[ERR_MSG_MAX];
	const char *m = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (m == NULL && r != NULL && PQresultErrorMessage(r)[0] != '\0')
		m = PQresultErrorMessage(r);
	if (m == NULL)
		m = PQerrorMessage(s->conn);
	pg_fold(m, msg, sizeof(msg));
	if (msg[0] == '\0')
		snprintf(msg, sizeof(msg), "unknown error");
	return err_set(e, "store: %s: %s", what, msg);
}

const char *
pg_sqlstate(const PGresult *r)
{
	const char *c = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	return c != NULL ? c : "";
}

/* r if it succeeded, else NULL with *e set (r cleared). */
static PGresult *
checked(struct store_pg *s, PGresult *r, const char *what, struct err *e)
{
	ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	pg_err(s, r, what, e);
	PQclear(r);
	return NULL;
}

/*
 * After r failed: whether it failed because the connection was lost, outside
 * a transaction, and the connection is back (pg_reconnect), so that the
 * statement may run once more: the first statement after a database restart
 * then succeeds instead of only finding the connection broken.  Outside a
 * transaction every statement lancre runs is a read, a BEGIN, or a write
 * that is the same done twice (an upsert, a SET); inside one, the work
 * before it is gone, which the caller must hear about.
 */
static int
retry(struct store_pg *s, PGresult *r)
{
	ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	int back;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || s->in_txn || s->walk_depth > 0 ||
	    s->retrying || !pg_conn_lost(s))
		return 0;
	s->retrying = 1; /* restoring the session runs statements: no retry within it */
	back = pg_reconnect(s, NULL) == 0;
	s->retrying = 0;
	return back;
}

static PGresult *
exec_params(struct store_pg *s, const char *sql, const struct pg_params *p)
{
	return PQexecParams(s->conn, sql, p != NULL ? p->n : 0, NULL, p != NULL ? p->values : NULL,
	    p != NULL ? p->lengths : NULL, p != NULL ? p->formats : NULL, 1);
}

PGresult *
pg_exec(struct store_pg *s, const char *sql, const struct pg_params *p, const char *what,
    struct err *e)
{
	PGresult *r;

	if (pg_conn_lost(s) && pg_reconnect(s, e) != 0)
		return NULL;
	r = exec_params(s, sql, p);
	if (retry(s, r)) {
		PQclear(r);
		r = exec_params(s, sql, p);
	}
	return checked(s, r, what, e);
}

static const char *const stmt_names[PG_STMT_COUNT] = {
#define PG_STMT_NAME(id, name) [id] = name,
    PG_STMTS(PG_STMT_NAME)
#undef PG_STMT_NAME
};

/* Prepare statement id unless this connection has: NULL, or the failed result. */
static PGresult *
prepare(struct store_pg *s, enum pg_stmt id, const char *sql)
{
	PGresult *r;

	if (s->prepared & (UINT64_C(1) << id))
		return NULL;
	r = PQprepare(s->conn, stmt_names[id], sql, 0, NULL);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
		return r != NULL ? r : PQmakeEmptyPGresult(s->conn, PGRES_FATAL_ERROR);
	PQclear(r);
	s->prepared |= UINT64_C(1) << id;
	return NULL;
}

const char *
pg_prepared_name(struct store_pg *s, enum pg_stmt id, const char *sql, const char *what,
    struct err *e)
{
	PGresult *r = prepare(s, id, sql);

	if (r != NULL) {
		pg_err(s, r, what, e);
		PQclear(r);
		return NULL;
	}
	return stmt_names[id];
}

/* Statement id, prepared first if this connection has not yet: its result, or a failure. */
static PGresult *
exec_prepared(struct store_pg *s, enum pg_stmt id, const char *sql, const struct pg_params *p)
{
	PGresult *r = prepare(s, id, sql);

	if (r != NULL)
		return r;
	return PQexecPrepared(s->conn, stmt_names[id], p != NULL ? p->n : 0,
	    p != NULL ? p->values : NULL, p != NULL ? p->lengths : NULL,
	    p != NULL ? p->formats : NULL, 1);
}

PGresult *
pg_exec_prepared(struct store_pg *s, enum pg_stmt id, const char *sql,
    const struct pg_params *p, const char *what, struct err *e)
{
	PGresult *r;

	if (pg_conn_lost(s) && pg_reconnect(s, e) != 0)
		return NULL;
	r = exec_prepared(s, id, sql, p);
	if (retry(s, r)) {
		PQclear(r);
		r = exec_prepared(s, id, sql, p);
	}
	return checked(s, r, what, e);
}

int
pg_run(struct store_pg *s, const char *sql, const struct pg_params *p, const char *what,
    int64_t *changed, struct err *e)
{
	PGresult *r = pg_exec(s, sql, p, what, e);

	if (r == NULL)
		return -1;
	if (changed != NULL)
		*changed = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return 0;
}

int
pg_exec_simple(struct store_pg *s, const char *sql, const char *what, struct err *e)
{
	PGresult *r;

	if (pg_conn_lost(s) && pg_reconnect(s, e) != 0)
		return -1;
	r = PQexec(s->conn, sql);
	if (retry(s, r)) {
		PQclear(r);
		r = PQexec(s->conn, sql);
	}
	if ((r = checked(s, r, what, e)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

int64_t
pg_int(const PGresult *r, int row, int col)
{
	const unsigned char *v;
	uint64_t u = 0;
	int size;

	if (PQgetisnull(r, row, col))
		return 0;
	v = (const unsigned char *)PQgetvalue(r, row, col);
	size = PQgetlength(r, row, col);
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return 0; /* not an integer: the query must cast it (see postgresql_int.h) */
	for (int i = 0; i < size; i++)
		u = u << 8 | v[i];
	switch (size) {
	case 1:
		return (int8_t)u;
	case 2:
		return (int16_t)u;
	case 4:
		return (int32_t)u;
	default:
		return (int64_t)u;
	}
}

const uint8_t *
pg_bytes(const PGresult *r, int row, int col, size_t *len)
{
	if (PQgetisnull(r, row, col)) {
		*len = 0;
		return NULL;
	}
	*len = (size_t)PQgetlength(r, row, col);
	return (const uint8_t *)PQgetvalue(r, row, col);
}

int
pg_bytes_dup(const PGresult *r, int row, int col, uint8_t **out, size_t *len)
{
	const uint8_t *b = pg_bytes(r, row, col, len);

	*out = NULL;
	if (b == NULL)
		return 0;
	*out = malloc(*len > 0 ? *len : 1);
	if (*out == NULL)
		return -1;
	memcpy(*out, b, *len);
	return 0;
}

int
pg_txn_enter(struct store_pg *s, int *own, struct err *e)
{
	*own = !s->in_txn;
	return *own ? pg_begin(&s->base, e) : 0;
}

int
pg_txn_leave(struct store_pg *s, int own, int rc, struct err *e)
{
	if (!own)
		return rc;
	if (rc == 0 && pg_commit(&s->base, e) == 0)
		return 0;
	pg_rollback(&s->base, NULL);
	return -1;
}

int
pg_counter_take(struct store_pg *s, const char *name, int64_t n, int64_t *last,
    struct err *e)
{
	struct pg_params p = {0};
	PGresult *r;

	if (!s->in_txn)
		return err_set(e, "store: counter %s taken outside a transaction", name);
	pg_param_text(&p, name);
	pg_param_int(&p, n);
	r = pg_exec_prepared(s, PG_STMT_COUNTER_TAKE,
	    "UPDATE meta SET value = value + $2::bigint WHERE key = $1::text RETURNING value", &p,
	    "taking a sequence number", e);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return err_set(e, "store: no sequence '%s'", name);
	}
	*last = pg_int(r, 0, 0);
	PQclear(r);
	return 0;
}

int
pg_txn_change_seq(struct store_pg *s, int64_t *out, struct err *e)
{
	if (s->change_seq == 0 && pg_counter_take(s, "change_seq", 1, &s->change_seq, e) != 0)
		return -1;
	*out = s->change_seq;
	return 0;
}

int
pg_meta_get(struct store_pg *s, const char *name, int64_t *v, struct err *e)
{
	struct pg_params p = {0};
	PGresult *r;
	int found;

	*v = 0;
	pg_param_text(&p, name);
	r = pg_exec_prepared(s, PG_STMT_META_GET, "SELECT value FROM meta WHERE key = $1::text",
	    &p, "reading a stored counter", e);
	if (r == NULL)
		return -1;
	found = PQntuples(r) == 1;
	if (found)
		*v = pg_int(r, 0, 0);
	PQclear(r);
	return found;
}

int
pg_meta_set(struct store_pg *s, const char *name, int64_t v, struct err *e)
{
	struct pg_params p = {0};

	pg_param_text(&p, name);
	pg_param_int(&p, v);
	return pg_run(s, "INSERT INTO meta (key, value) VALUES ($1::text, $2::bigint)"
			 " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
	    &p, "writing a stored counter", NULL, e);
}

int
pg_issuer_changed(struct store_pg *s, struct err *e)
{
	int64_t seq;

	return pg_counter_take(s, "issuer_seq", 1, &seq, e);
}

/* Fetch and hand out the cursor's rows until done, stopped or failed. */
static int
walk_rows(struct store_pg *s, const char *fetch, const char *what,
    int (*row)(void *arg, const PGresult *r, int i, struct err *e), void *arg, struct err *e)
{
	for (;;) {
		PGresult *r = pg_exec(s, fetch, NULL, what, e);
		int n;

		if (r == NULL)
			return -1;
		n = PQntuples(r);
		for (int i = 0; i < n; i++) {
			if (row(arg, r, i, e) != 0) {
				PQclear(r);
				return -1;
			}
		}
		PQclear(r);
		if (n < PG_FETCH_ROWS)
			return 0;
	}
}

int
pg_walk(struct store_pg *s, const char *sql, const struct pg_params *p, const char *what,
    int (*row)(void *arg, const PGresult *r, int i, struct err *e), void *arg, struct err *e)
{
	char name[32], fetch[64], closing[64];
	size_t len = strlen(sql) + 64;
	char *declare = malloc(len);
	int own, rc;

	if (declare == NULL)
		return err_set(e, "store: out of memory");
	snprintf(name, sizeof(name), "lancre_walk_%d", s->walk_depth);
	snprintf(declare, len, "DECLARE %s NO SCROLL CURSOR FOR %s", name, sql);
	snprintf(fetch, sizeof(fetch), "FETCH %d FROM %s", PG_FETCH_ROWS, name);
	snprintf(closing, sizeof(closing), "CLOSE %s", name);
	if (pg_txn_enter(s, &own, e) != 0) {
		free(declare);
		return -1;
	}
	rc = pg_run(s, declare, p, what, NULL, e);
	free(declare);
	if (rc == 0) {
		s->walk_depth++;
		rc = walk_rows(s, fetch, what, row, arg, e);
		s->walk_depth--;
		/* In the caller's transaction the cursor must go; our own ends with it. */
		if (!own && rc == 0)
			rc = pg_run(s, closing, NULL, what, NULL, e);
		else if (!own)
			(void)pg_run(s, closing, NULL, what, NULL, NULL);
	}
	return pg_txn_leave(s, own, rc, e);
}

void
pg_sign_row(const PGresult *r, int row, int col, struct cert_record *out)
{
	const uint8_t *b;
	size_t len;

	memset(out, 0, sizeof(*out));
	out->id = pg_int(r, row, col);
	out->issuer_id = pg_int(r, row, col + 1);
	b = pg_bytes(r, row, col + 2, &len);
	if (len > STORE_SERIAL_MAX)
		len = STORE_SERIAL_MAX;
	if (b != NULL)
		memcpy(out->serial, b, len);
	out->serial_len = len;
	out->not_after = pg_int(r, row, col + 3);
	out->status = pg_int(r, row, col + 4) == 1 ? CERT_REVOKED : CERT_GOOD;
	out->revoked_at = pg_int(r, row, col + 5);
	out->reason = (int)pg_int(r, row, col + 6);
	out->change_seq = pg_int(r, row, col + 7);
	out->has_fingerprint = pg_int(r, row, col + 8) != 0;
	out->shard = (int)pg_int(r, row, col + 9);
}

void
pg_cert_row(const PGresult *r, int row, int col, struct cert_record *out)
{
	const uint8_t *b;
	size_t len;

	pg_sign_row(r, row, col, out);
	col += PG_SIGN_NCOLUMNS;
	out->not_before = pg_int(r, row, col);
	b = pg_bytes(r, row, col + 1, &len);
	if (b != NULL && len == STORE_FINGERPRINT_LEN)
		memcpy(out->fingerprint, b, STORE_FINGERPRINT_LEN);
	out->added_at = pg_int(r, row, col + 2);
	out->is_ca = (int)pg_int(r, row, col + 3);
	b = pg_bytes(r, row, col + 4, &len);
	if (b != NULL && len == STORE_SPKI_HASH_LEN) {
		memcpy(out->spki_sha256, b, STORE_SPKI_HASH_LEN);
		out->has_spki = 1;
	}
	out->precert = (int)pg_int(r, row, col + 5);
	b = pg_bytes(r, row, col + 6, &len);
	if (b != NULL && len == STORE_PRECERT_TBS_LEN) {
		memcpy(out->precert_tbs, b, STORE_PRECERT_TBS_LEN);
		out->has_precert_tbs = 1;
	}
}

static void
put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

uint8_t *
pg_array_start(struct pg_array *a, size_t size, size_t n, uint32_t oid)
{
	a->len = 20;
	if ((a->buf = malloc(size)) == NULL)
		return NULL;
	put32(a->buf, 1);       /* dimensions */
	put32(a->buf + 4, 0);   /* no NULL */
	put32(a->buf + 8, oid); /* element type */
	put32(a->buf + 12, (uint32_t)n);
	put32(a->buf + 16, 1); /* lower bound */
	return a->buf;
}

void
pg_array_int(struct pg_array *a, int64_t v)
{
	uint64_t be = htobe64((uint64_t)v);

	put32(a->buf + a->len, sizeof(be));
	memcpy(a->buf + a->len + 4, &be, sizeof(be));
	a->len += 4 + sizeof(be);
}

void
pg_array_bytes(struct pg_array *a, const void *b, size_t len)
{
	put32(a->buf + a->len, (uint32_t)len);
	if (len > 0)
		memcpy(a->buf + a->len + 4, b, len);
	a->len += 4 + len;
}

uint8_t *
pg_bin_room(struct pg_bin *c, size_t more)
{
	uint8_t *nb;
	size_t cap;

	if (c->failed)
		return NULL;
	if (c->len + more > c->cap) {
		cap = c->cap ? c->cap : 65536;
		while (cap < c->len + more)
			cap *= 2;
		if ((nb = realloc(c->b, cap)) == NULL) {
			c->failed = 1;
			return NULL;
		}
		c->b = nb;
		c->cap = cap;
	}
	c->len += more;
	return c->b + c->len - more;
}

/* v in size bytes, network order, at p. */
static void
bin_be(uint8_t *p, uint64_t v, size_t size)
{
	for (size_t i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * (size - 1 - i)));
}

void
pg_bin_header(struct pg_bin *c)
{
	/* "PGCOPY\n\377\r\n\0", flags 0, no header extension. */
	static const uint8_t header[19] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};
	uint8_t *p = pg_bin_room(c, sizeof(header));

	if (p != NULL)
		memcpy(p, header, sizeof(header));
}

void
pg_bin_row(struct pg_bin *c, int fields)
{
	uint8_t *p = pg_bin_room(c, 2);

	if (p != NULL)
		bin_be(p, (uint64_t)fields, 2);
}

void
pg_bin_int(struct pg_bin *c, int64_t v, size_t size)
{
	uint8_t *p = pg_bin_room(c, 4 + size);

	if (p != NULL) {
		bin_be(p, size, 4);
		bin_be(p + 4, (uint64_t)v, size);
	}
}

void
pg_bin_bytes(struct pg_bin *c, const uint8_t *p, size_t n)
{
	uint8_t *q = pg_bin_room(c, 4 + (p != NULL ? n : 0));

	if (q == NULL)
		return;
	bin_be(q, p != NULL ? n : UINT32_MAX, 4);
	if (p != NULL)
		memcpy(q + 4, p, n);
}

void
pg_bin_end(struct pg_bin *c)
{
	uint8_t *p = pg_bin_room(c, 2);

	if (p != NULL)
		bin_be(p, 0xffff, 2);
}

PGresult *
pg_copy_in(struct store_pg *s, const char *sql, const struct pg_bin *c, const char *what,
    struct err *e)
{
	PGresult *r = PQexec(s->conn, sql), *last = NULL;
	int sent;

	if (PQresultStatus(r) != PGRES_COPY_IN) {
		pg_err(s, r, what, e);
		PQclear(r);
		return NULL;
	}
	PQclear(r);
	sent = PQputCopyData(s->conn, (const char *)c->b, (int)c->len) == 1 &&
	       PQputCopyEnd(s->conn, NULL) == 1;
	/* Every result read, whatever happens: the connection leaves COPY mode clean. */
	while ((r = PQgetResult(s->conn)) != NULL) {
		PQclear(last);
		last = r;
	}
	if (!sent || last == NULL) {
		PQclear(last);
		pg_err(s, NULL, what, e);
		return NULL;
	}
	return last;
}
