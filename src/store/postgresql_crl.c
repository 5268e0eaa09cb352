/*
 * postgresql_crl.c - the PostgreSQL backend's CRL operations: stored CRLs,
 * the revoked certificates that go into one, and which shards a revocation
 * made stale (found by change_seq, like the OCSP signer's work).
 *
 * crls keeps der last: a CRL of more than about 2 kB is TOASTed, out of the
 * row, so that the signer's look at every CRL's number and seqs on each
 * pass (store_crl_get, prepared) does not read CRLs.  Each CRL stored takes
 * the next crl_seq (THE CURSOR RULE, postgresql.c) and must carry a number
 * above every one stored in its scope, whichever signer wrote them.  The walks stream: CRLs a few at a time by key (a CRL may
 * be many megabytes), revoked certificates through a cursor (a mass
 * revocation makes millions).
 */
#include "store/postgresql_int.h"

#include <string.h>

/* CRLs read per page by store_crl_each: a few, whatever their size. */
#define PG_CRL_PAGE 4

int
pg_crl_get(struct store *base, int64_t issuer_id, int shard, struct crl_record *out,
    struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct pg_params p = {0};
	PGresult *r;
	int found;

	pg_param_int(&p, issuer_id);
	pg_param_int(&p, shard);
	r = pg_exec_prepared(s, PG_STMT_CRL_GET,
	    "SELECT number, this_update, next_update, built_seq, seq FROM crls"
	    " WHERE issuer_id = $1::bigint AND shard = $2::integer",
	    &p, "reading a CRL", e);
	if (r == NULL)
		return -1;
	if ((found = PQntuples(r) == 1)) {
		*out = (struct crl_record){
		    .issuer_id = issuer_id,
		    .shard = shard,
		    .number = pg_int(r, 0, 0),
		    .this_update = pg_int(r, 0, 1),
		    .next_update = pg_int(r, 0, 2),
		    .built_seq = pg_int(r, 0, 3),
		    .seq = pg_int(r, 0, 4),
		};
	}
	PQclear(r);
	return found;
}

/*
 * The highest number stored in the scope of a CRL with key `key`: its
 * shard's base and delta (RFC 5280 5.2.3: one sequence for both), -1 none.
 */
static int
scope_max(struct store_pg *s, int64_t issuer_id, int key, int64_t *max, struct err *e)
{
	struct pg_params p = {0};
	PGresult *r;
	int shard = crl_key_shard(key);

	pg_param_int(&p, issuer_id);
	pg_param_int(&p, crl_key(shard, 0));
	pg_param_int(&p, crl_key(shard, 1));
	r = pg_exec(s,
	    "SELECT coalesce(max(number), -1) FROM crls"
	    " WHERE issuer_id = $1::bigint AND shard IN ($2::integer, $3::integer)",
	    &p, "reading CRL numbers", e);
	if (r == NULL)
		return -1;
	*max = pg_int(r, 0, 0);
	PQclear(r);
	return 0;
}

/*
 * The counter's row locked first (THE CURSOR RULE): CRL writers take turns,
 * and the statements after it see every CRL committed before, so the number
 * check below cannot race with another signer's.  The number is taken only
 * once the CRL passes it: a refusal in a caller's transaction that commits
 * anyway moves no counter (and tells the servers of no change).
 */
static int
crl_put(struct store_pg *s, struct crl_record *r, struct err *e)
{
	int64_t max = -1;

	if (pg_run(s, "SELECT value FROM meta WHERE key = 'crl_seq' FOR UPDATE", NULL,
		"locking the CRL sequence", NULL, e) != 0 ||
	    scope_max(s, r->issuer_id, r->shard, &max, e) != 0)
		return -1;
	if (r->number <= max)
		return err_set(e, "store: CRL number %lld of shard %d is not above the %lld stored: "
				  "a CRL number never repeats or goes back; not stored",
		    (long long)r->number, crl_key_shard(r->shard), (long long)max);
	if (pg_counter_take(s, "crl_seq", 1, &r->seq, e) != 0)
		return -1;
	return pg_crl_write(s, r, "storing a CRL", e);
}

/* The row of r as given, replacing the one with its key (crl_put, and a copy's import). */
int
pg_crl_write(struct store_pg *s, const struct crl_record *r, const char *what, struct err *e)
{
	struct pg_params p = {0};

	pg_param_int(&p, r->issuer_id);
	pg_param_int(&p, r->shard);
	pg_param_int(&p, r->number);
	pg_param_int(&p, r->this_update);
	pg_param_int(&p, r->next_update);
	pg_param_int(&p, r->built_seq);
	pg_param_int(&p, r->seq);
	pg_param_bytea(&p, r->der, r->der_len);
	return pg_run(s,
	    "INSERT INTO crls (issuer_id, shard, number, this_update, next_update, built_seq,"
	    "  seq, der) VALUES ($1::bigint, $2::integer, $3::bigint, $4::bigint, $5::bigint,"
	    "  $6::bigint, $7::bigint, $8::bytea)"
	    " ON CONFLICT (issuer_id, shard) DO UPDATE SET number = EXCLUDED.number,"
	    "  this_update = EXCLUDED.this_update, next_update = EXCLUDED.next_update,"
	    "  built_seq = EXCLUDED.built_seq, seq = EXCLUDED.seq, der = EXCLUDED.der",
	    &p, what, NULL, e);
}

int
pg_crl_put(struct store *base, struct crl_record *r, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int own;

	if (pg_txn_enter(s, &own, e) != 0)
		return -1;
	return pg_txn_leave(s, own, crl_put(s, r, e), e);
}

/* Hand out one page of CRLs; *last_* moves to its last key.  The number read, or -1. */
static int
crl_page(struct store_pg *s, int64_t *last_issuer, int64_t *last_shard,
    int (*cb)(void *arg, const struct crl_record *r, struct err *e), void *arg, struct err *e)
{
	struct pg_params p = {0};
	struct crl_record c;
	PGresult *r;
	int rows;

	pg_param_int(&p, *last_issuer);
	pg_param_int(&p, *last_shard);
	pg_param_int(&p, PG_CRL_PAGE);
	r = pg_exec(s,
	    "SELECT issuer_id, shard, number, this_update, next_update, built_seq, seq, der"
	    " FROM crls WHERE (issuer_id, shard) > ($1::bigint, $2::integer)"
	    " ORDER BY issuer_id, shard LIMIT $3::integer",
	    &p, "reading CRLs", e);
	if (r == NULL)
		return -1;
	rows = PQntuples(r);
	for (int i = 0; i < rows; i++) {
		c = (struct crl_record){
		    .issuer_id = pg_int(r, i, 0),
		    .shard = (int)pg_int(r, i, 1),
		    .number = pg_int(r, i, 2),
		    .this_update = pg_int(r, i, 3),
		    .next_update = pg_int(r, i, 4),
		    .built_seq = pg_int(r, i, 5),
		    .seq = pg_int(r, i, 6),
		};
		c.der = pg_bytes(r, i, 7, &c.der_len);
		*last_issuer = c.issuer_id;
		*last_shard = c.shard;
		if (cb(arg, &c, e) != 0) {
			PQclear(r);
			return -1;
		}
	}
	PQclear(r);
	return rows;
}

/*
 * By (issuer_id, shard) pages of PG_CRL_PAGE: at most that many CRLs in
 * memory, and cb may call the store between pages.  A CRL replaced during
 * the walk is read as it is when its page is; none is skipped (a shard key
 * below the walk's place is one already handed out).
 */
int
pg_crl_each(struct store *base, int (*cb)(void *arg, const struct crl_record *r, struct err *e),
    void *arg, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int64_t issuer = INT64_MIN, shard = INT32_MIN;
	int rows;

	do {
		if ((rows = crl_page(s, &issuer, &shard, cb, arg, e)) < 0)
			return -1;
	} while (rows == PG_CRL_PAGE);
	return 0;
}

/* The revoked certificates of issuer $1, unexpired at $2, changed after $3. */
#define PG_CRL_ENTRIES                                                                       \
	"SELECT serial, coalesce(revoked_at, 0), coalesce(reason, 0) FROM certificates"       \
	" WHERE issuer_id = $1::bigint AND status = 1 AND not_after >= $2::bigint"            \
	" AND change_seq > $3::bigint"

struct entries_walk {
	int (*cb)(void *arg, const struct cert_record *c, struct err *e);
	void *arg;
	struct cert_record c;
};

static int
entry_row(void *arg, const PGresult *r, int i, struct err *e)
{
	struct entries_walk *w = arg;
	const uint8_t *b = pg_bytes(r, i, 0, &w->c.serial_len);

	if (b == NULL || w->c.serial_len == 0 || w->c.serial_len > STORE_SERIAL_MAX)
		return 0; /* not a serial: left out, as SQLite does */
	memcpy(w->c.serial, b, w->c.serial_len);
	w->c.revoked_at = pg_int(r, i, 1);
	w->c.reason = (int)pg_int(r, i, 2);
	return w->cb(w->arg, &w->c, e);
}

/*
 * The partial index of revoked certificates (issuer_id, shard) serves a base
 * CRL; the change_seq index a delta's few since its base; the statement is
 * planned with the values (unnamed), so PostgreSQL picks.  No ORDER BY: RFC
 * 5280 does not order entries (see sqlite_crl.c).  shard 0 has no shard
 * test at all, so that the index is not read through an OR.
 */
int
pg_crl_entries(struct store *base, int64_t issuer_id, int shard, int64_t min_not_after,
    int64_t after_seq, int (*cb)(void *arg, const struct cert_record *c, struct err *e),
    void *arg, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct entries_walk w = {.cb = cb, .arg = arg};
	struct pg_params p = {0};

	w.c.issuer_id = issuer_id;
	w.c.status = CERT_REVOKED;
	pg_param_int(&p, issuer_id);
	pg_param_int(&p, min_not_after);
	pg_param_int(&p, after_seq);
	if (shard != 0)
		pg_param_int(&p, shard);
	return pg_walk(s,
	    shard == 0 ? PG_CRL_ENTRIES : PG_CRL_ENTRIES " AND shard = $4::integer",
	    &p, "reading revoked certificates", entry_row, &w, e);
}

/*
 * For each (issuer, shard) with revocations changed after after_seq, the
 * newest change_seq: one row per shard, read whole.  PostgreSQL plans it
 * with the value: through the change_seq index for the few since, the
 * partial index of revoked ones from the start.
 */
int
pg_revoked_since(struct store *base, int64_t after_seq,
    int (*cb)(void *arg, int64_t issuer_id, int shard, int64_t seq, int64_t n, struct err *e), void *arg,
    struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct pg_params p = {0};
	PGresult *r;
	int rows, rc = 0;

	pg_param_int(&p, after_seq);
	r = pg_exec(s,
	    "SELECT issuer_id, shard, max(change_seq), count(*) FROM certificates"
	    " WHERE change_seq > $1::bigint AND status = 1 GROUP BY issuer_id, shard",
	    &p, "finding revocations", e);
	if (r == NULL)
		return -1;
	rows = PQntuples(r);
	for (int i = 0; i < rows && rc == 0; i++) {
		if (cb(arg, pg_int(r, i, 0), (int)pg_int(r, i, 1), pg_int(r, i, 2), pg_int(r, i, 3),
			e) != 0)
			rc = -1;
	}
	PQclear(r);
	return rc;
}
