/*
 * postgresql_ocsp.c - the PostgreSQL backend's OCSP operations: what the
 * signer must (re)sign, the signer's mark, purges and clock steps, and
 * reading responses back for the server.  Writing them is
 * postgresql_ocsp_put.c; holding and releasing an issuer's,
 * postgresql_ocsp_hold.c.
 *
 * The contract's cursors, in this backend's terms (PG_CUR_* below):
 *  - store_certs_changed stands at (change_seq, id) in certificates, read
 *    through the index on (change_seq, id), a row comparison that is one
 *    index range;
 *  - store_ocsp_due stands at (due_at, cert_id) of the SHA-1 responses
 *    (a certificate's SHA-1 row stands for both of its responses), read
 *    through the partial index on those, one per partition, merged in
 *    order.  Nothing is kept per batch (SQLite's ocsp_due ranges), so the
 *    refresh has nothing to settle: store_ocsp_refresh_done does nothing.
 * Both cursors move past the rows they passed over, never past a row that
 * may still commit (THE CURSOR RULE, postgresql.c): a scan that found less
 * than a page moves to the change_seq counter as committed when it read,
 * which every lower number has committed before.
 *
 * Responses are walked for the server in seq order through a cursor
 * (pg_walk): a server's start reads millions of them, never all at once.
 */
#include "store/postgresql_int.h"

#include <stdio.h>
#include <string.h>

/* The cursors (store.h's opaque struct store_cursor) as this backend fills them. */
#define PG_CUR_CHANGE_SEQ(c) ((c)->pos[0])
#define PG_CUR_CERT_ID(c) ((c)->pos[1])
#define PG_CUR_DUE_AT(c) ((c)->pos[0])
#define PG_CUR_DUE_CERT(c) ((c)->pos[1])

static struct store_cursor
pg_changed_cursor(int64_t change_seq, int64_t cert_id)
{
	return (struct store_cursor){{change_seq, cert_id, 0}};
}

/*
 * Certificates changed after the cursor whose SHA-1 response is missing or
 * older than their change (ocsp_responses.cert_seq < change_seq), unexpired
 * at $3; the committed change_seq counter comes first, one row even when
 * no certificate does.  Meta (ocsp_cert_seq, ocsp_cert_id) is at least the
 * highest (cert_seq, cert_id) of any response (postgresql_ocsp_put.c; no
 * ocsp_cert_id: INT64_MAX): a certificate whose (change_seq, id) is above
 * it has no response that reflects it, and needs no look into the
 * responses (new certificates and revocations, nearly all of the signer's
 * work).  The OR is evaluated in order, so the probe runs only below that
 * seam.  The
 * probe's hash_alg + 0 keeps the partial due index (WHERE hash_alg = 1, on
 * (due_at, cert_id)) out of it: on partitions without statistics yet (a new
 * store's first signing) the planner chose that index for cert_id = c.id
 * and read it whole for every probe (8-67 us each at 200,000 responses,
 * growing with the partition), where the primary key finds the row.
 */
#define PG_CERTS_CHANGED                                                                     \
	"SELECT m.value, c.* FROM meta m LEFT JOIN LATERAL ("                                  \
	"  SELECT " PG_SIGN_COLUMNS " FROM certificates c"                                    \
	"  WHERE (c.change_seq, c.id) > ($1::bigint, $2::bigint) AND c.not_after >= $3::bigint" \
	"  AND ((c.change_seq, c.id) > ((SELECT value FROM meta WHERE key = 'ocsp_cert_seq'),"  \
	"    coalesce((SELECT value FROM meta WHERE key = 'ocsp_cert_id'), 9223372036854775807))" \
	"   OR NOT EXISTS (SELECT 1 FROM ocsp_responses r WHERE r.cert_id = c.id"              \
	"    AND r.hash_alg + 0 = 1 AND r.cert_seq >= c.change_seq))"                          \
	"  ORDER BY c.change_seq, c.id LIMIT $4::bigint) c ON true"                            \
	" WHERE m.key = 'change_seq'"

int
pg_certs_changed(struct store *base, struct store_cursor *after, int64_t min_not_after,
    struct cert_record *out, size_t max, size_t *n, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct pg_params p = {0};
	struct store_cursor end;
	PGresult *r;
	int rows;

	*n = 0;
	pg_param_int(&p, PG_CUR_CHANGE_SEQ(after));
	pg_param_int(&p, PG_CUR_CERT_ID(after));
	pg_param_int(&p, min_not_after);
	pg_param_int(&p, (int64_t)max);
	r = pg_exec_prepared(s, PG_STMT_CERTS_CHANGED, PG_CERTS_CHANGED, &p,
	    "finding changed certificates", e);
	if (r == NULL)
		return -1;
	if ((rows = PQntuples(r)) == 0) {
		PQclear(r);
		return err_set(e, "store: finding changed certificates: no change_seq counter");
	}
	for (int i = 0; i < rows && *n < max && !PQgetisnull(r, i, 1); i++)
		pg_sign_row(r, i, 1, &out[(*n)++]);
	/* Nothing left before the committed counter: the scan has passed all of it. */
	end = pg_changed_cursor(pg_int(r, 0, 0), INT64_MAX);
	PQclear(r);
	if (*n > 0)
		*after = pg_changed_cursor(out[*n - 1].change_seq, out[*n - 1].id);
	if (*n < max && !pg_cursor_passed(base, after, &(struct cert_record){
				.change_seq = PG_CUR_CHANGE_SEQ(&end), .id = INT64_MAX}))
		*after = end;
	return 0;
}

/* A changed-certificates cursor has passed what is at or before it in (change_seq, id). */
int
pg_cursor_passed(struct store *base, const struct store_cursor *at, const struct cert_record *c)
{
	(void)base;
	return c->change_seq < PG_CUR_CHANGE_SEQ(at) ||
	       (c->change_seq == PG_CUR_CHANGE_SEQ(at) && c->id <= PG_CUR_CERT_ID(at));
}

/*
 * SHA-1 responses due at $3 after the cursor, for certificates unexpired
 * at $4, in (due_at, cert_id) order: each partition's partial due index
 * read from the cursor (one index range: the row comparison is an index
 * condition), merged.  What the signer re-signs is due later than now, so
 * it does not come back in a later page.
 */
#define PG_OCSP_DUE                                                                          \
	"SELECT " PG_SIGN_COLUMNS ", r.due_at FROM ocsp_responses r"                           \
	" JOIN certificates c ON c.id = r.cert_id"                                            \
	" WHERE r.hash_alg = 1 AND r.due_at <= $3::bigint"                                    \
	" AND (r.due_at, r.cert_id) > ($1::bigint, $2::bigint) AND c.not_after >= $4::bigint" \
	" ORDER BY r.due_at, r.cert_id LIMIT $5::bigint"

int
pg_ocsp_due(struct store *base, int64_t now, int64_t min_not_after, struct store_cursor *after,
    struct cert_record *out, size_t max, size_t *n, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct pg_params p = {0};
	PGresult *r;
	int rows;

	*n = 0;
	pg_param_int(&p, PG_CUR_DUE_AT(after));
	pg_param_int(&p, PG_CUR_DUE_CERT(after));
	pg_param_int(&p, now);
	pg_param_int(&p, min_not_after);
	pg_param_int(&p, (int64_t)max);
	r = pg_exec_prepared(s, PG_STMT_OCSP_DUE, PG_OCSP_DUE, &p, "finding due responses", e);
	if (r == NULL)
		return -1;
	rows = PQntuples(r);
	for (int i = 0; i < rows && (size_t)i < max; i++)
		pg_sign_row(r, i, 0, &out[(*n)++]);
	if (*n > 0) {
		PG_CUR_DUE_AT(after) = pg_int(r, (int)*n - 1, PG_SIGN_NCOLUMNS);
		PG_CUR_DUE_CERT(after) = out[*n - 1].id;
	}
	PQclear(r);
	return 0;
}

/* Nothing to settle: the due index is exact (see the top). */
int
pg_ocsp_refresh_done(struct store *base, int64_t now, int64_t min_not_after, struct err *e)
{
	(void)base, (void)now, (void)min_not_after, (void)e;
	return 0;
}

/*
 * The signer's mark is three meta rows, written together in one statement;
 * a store that never had one reads {0}.
 */
int
pg_signed_upto_get(struct store *base, struct store_signed_upto *u, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;

	*u = (struct store_signed_upto){0};
	if (pg_meta_get(s, "signed_issuer_seq", &u->issuer_seq, e) < 0 ||
	    pg_meta_get(s, "signed_change_seq", &PG_CUR_CHANGE_SEQ(&u->at), e) < 0 ||
	    pg_meta_get(s, "signed_cert_id", &PG_CUR_CERT_ID(&u->at), e) < 0)
		return -1;
	return 0;
}

int
pg_signed_upto_set(struct store *base, const struct store_signed_upto *u, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct pg_params p = {0};

	pg_param_int(&p, u->issuer_seq);
	pg_param_int(&p, PG_CUR_CHANGE_SEQ(&u->at));
	pg_param_int(&p, PG_CUR_CERT_ID(&u->at));
	return pg_run(s,
	    "INSERT INTO meta (key, value) VALUES ('signed_issuer_seq', $1::bigint),"
	    " ('signed_change_seq', $2::bigint), ('signed_cert_id', $3::bigint)"
	    " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
	    &p, "recording what is signed", NULL, e);
}

/*
 * Responses of certificates that expired between the last purge's cutoff
 * (meta ocsp_purged_before; 0 at first) and expired_before, through the
 * certificates' not_after index: only those expired since, never all that
 * ever expired (see sqlite_ocsp.c).  Each is deleted in its hash partition
 * through that partition's key; the dead rows are spread over the
 * partitions, each vacuumed on its own.
 */
static int
ocsp_purge(struct store_pg *s, int64_t expired_before, int64_t *deleted, struct err *e)
{
	struct pg_params p = {0};
	int64_t from;

	*deleted = 0;
	if (pg_meta_get(s, "ocsp_purged_before", &from, e) < 0)
		return -1;
	if (expired_before <= from)
		return 0;
	pg_param_int(&p, from);
	pg_param_int(&p, expired_before);
	if (pg_run(s,
		"DELETE FROM ocsp_responses WHERE cert_id IN (SELECT id FROM certificates"
		" WHERE not_after >= $1::bigint AND not_after < $2::bigint)",
		&p, "purging expired responses", deleted, e) != 0)
		return -1;
	return pg_meta_set(s, "ocsp_purged_before", expired_before, e);
}

int
pg_ocsp_purge(struct store *base, int64_t expired_before, int64_t *deleted, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int own;

	if (pg_txn_enter(s, &own, e) != 0)
		return -1;
	return pg_txn_leave(s, own, ocsp_purge(s, expired_before, deleted, e), e);
}

/*
 * Responses dated after `after` become due at 0, and meta ocsp_newest comes
 * down to after, in one statement: a scan of every response, run only when
 * ocsp_newest says there is something to find (once per clock step).  A
 * store without ocsp_newest (written by other means than store_ocsp_put)
 * has it computed once, from every response.
 */
int
pg_ocsp_future_due(struct store *base, int64_t after, int64_t *newest, int64_t *n, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct pg_params p = {0};
	PGresult *r;
	int found;

	*n = 0;
	if ((found = pg_meta_get(s, "ocsp_newest", newest, e)) < 0)
		return -1;
	if (found == 0) {
		r = pg_exec(s,
		    "INSERT INTO meta (key, value) SELECT 'ocsp_newest',"
		    " coalesce(max(this_update), 0) FROM ocsp_responses"
		    " ON CONFLICT (key) DO UPDATE SET value = meta.value RETURNING value",
		    NULL, "finding the newest OCSP response", e);
		if (r == NULL)
			return -1;
		*newest = PQntuples(r) == 1 ? pg_int(r, 0, 0) : 0;
		PQclear(r);
	}
	if (*newest <= after)
		return 0;
	pg_param_int(&p, after);
	return pg_run(s,
	    "WITH m AS (UPDATE meta SET value = $1::bigint WHERE key = 'ocsp_newest')"
	    " UPDATE ocsp_responses SET due_at = 0 WHERE this_update > $1::bigint",
	    &p, "making responses dated in the future due", n, e);
}

/* What store_ocsp_each reads: a response, its certificate's issuer and serial. */
#define PG_OCSP_EACH                                                                         \
	"SELECT r.cert_id, c.issuer_id, c.serial, r.hash_alg, r.der, r.this_update,"           \
	" r.next_update, r.due_at, r.cert_seq, r.seq"                                         \
	" FROM ocsp_responses r JOIN certificates c ON c.id = r.cert_id"                      \
	" WHERE r.seq > $1::bigint ORDER BY r.seq"

struct each_walk {
	int (*cb)(void *arg, const struct ocsp_record *r);
	void *arg;
};

static int
each_row(void *arg, const PGresult *res, int i, struct err *e)
{
	struct each_walk *w = arg;
	struct ocsp_record r;
	const uint8_t *b;

	memset(&r, 0, sizeof(r));
	r.cert_id = pg_int(res, i, 0);
	r.issuer_id = pg_int(res, i, 1);
	b = pg_bytes(res, i, 2, &r.serial_len);
	if (b == NULL || r.serial_len > STORE_SERIAL_MAX)
		return 0; /* not a serial lancre stores: left out, as SQLite does */
	memcpy(r.serial, b, r.serial_len);
	r.hash = pg_int(res, i, 3) == OCSP_HASH_SHA256 ? OCSP_HASH_SHA256 : OCSP_HASH_SHA1;
	r.der = pg_bytes(res, i, 4, &r.der_len);
	r.this_update = pg_int(res, i, 5);
	r.next_update = pg_int(res, i, 6);
	r.due_at = pg_int(res, i, 7);
	r.cert_seq = pg_int(res, i, 8);
	r.seq = pg_int(res, i, 9);
	if (w->cb(w->arg, &r) == 0)
		return 0;
	if (e->msg[0] == '\0')
		err_set(e, "stopped");
	return -1;
}

int
pg_ocsp_each(struct store *base, int64_t after_seq,
    int (*cb)(void *arg, const struct ocsp_record *r), void *arg, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct each_walk w = {cb, arg};
	struct pg_params p = {0};

	e->msg[0] = '\0'; /* a stop without a message is told apart (each_row) */
	pg_param_int(&p, after_seq);
	return pg_walk(s, PG_OCSP_EACH, &p, "reading OCSP responses", each_row, &w, e);
}

int
pg_ocsp_get(struct store *base, int64_t issuer_id, enum ocsp_hash hash, const uint8_t *serial,
    size_t len, int (*cb)(void *arg, const struct ocsp_record *r), void *arg, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct pg_params p = {0};
	struct ocsp_record rec;
	PGresult *r;
	int found;

	if (len == 0 || len > STORE_SERIAL_MAX)
		return 0;
	pg_param_int(&p, issuer_id);
	pg_param_bytea(&p, serial, len);
	pg_param_int(&p, (int64_t)hash);
	r = pg_exec_prepared(s, PG_STMT_OCSP_GET,
	    "SELECT r.cert_id, r.der, r.this_update, r.next_update, r.due_at, r.cert_seq, r.seq"
	    " FROM certificates c JOIN ocsp_responses r ON r.cert_id = c.id"
	    " AND r.hash_alg = $3::smallint"
	    " WHERE c.issuer_id = $1::bigint AND c.serial = $2::bytea",
	    &p, "looking up an OCSP response", e);
	if (r == NULL)
		return -1;
	found = PQntuples(r) == 1;
	if (found) {
		memset(&rec, 0, sizeof(rec));
		rec.cert_id = pg_int(r, 0, 0);
		rec.issuer_id = issuer_id;
		memcpy(rec.serial, serial, len);
		rec.serial_len = len;
		rec.hash = hash;
		rec.der = pg_bytes(r, 0, 1, &rec.der_len);
		rec.this_update = pg_int(r, 0, 2);
		rec.next_update = pg_int(r, 0, 3);
		rec.due_at = pg_int(r, 0, 4);
		rec.cert_seq = pg_int(r, 0, 5);
		rec.seq = pg_int(r, 0, 6);
		if (rec.der == NULL)
			found = 0;
		else
			(void)cb(arg, &rec);
	}
	PQclear(r);
	return found;
}
