/*
 * postgresql_lease.c - the leases of many signers (store.h, store_lease_*)
 * in the PostgreSQL store, as the SQLite store keeps them (sqlite_lease.c):
 * table leases, one row per unit (issuer, shard) ever leased, with its
 * holder, expiry and mark; table lease_holders, the holders alive.
 *
 * A take is one statement, an upsert whose update applies only when the
 * row is free, expired or already the taker's: two signers taking one unit
 * at once serialize on the row, and the second sees the first's holder.
 * The fence reads the holder's rows FOR SHARE inside the caller's write
 * transaction: a take (an UPDATE of the row) then waits for that
 * transaction to end, and a fence after a take no longer finds the row.
 * The mark of a unit never leased before comes from the single signer's
 * mark (meta signed_*), read in C through pg_signed_upto_get.
 *
 * Time is the database server's (PG_LEASE_NOW, clock_timestamp(): not the
 * transaction's start), never the signers': they pass only a lease's
 * length, so one whose clock runs ahead does not see the others' leases
 * expired (store.h).  The callers' now is ignored.
 *
 * What each holder can sign (store_lease_signs) is kept in meta, as the
 * SQLite store keeps it (sqlite_lease.c): a row "signs:<issuer id>:<holder>"
 * per issuer and one with id 0, gone with the holder's row of
 * lease_holders (PG_SIGNS_FORGET).  Meta's trigger notifies the servers of
 * an insert: only when what a signer signs changes (its start, a key
 * failing), never at a renewal that changes nothing.
 */
#include "store/backend.h"
#include "store/postgresql_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The holder of a meta row of store_lease_signs: what follows "signs:<id>:". */
#define PG_SIGNS_HOLDER(k) "substr(" k ", 7 + strpos(substr(" k ", 7), ':'))"
#define PG_SIGNS_ROW(k) "left(" k ", 6) = '" STORE_SIGNS_PREFIX "'"
_Static_assert(sizeof(STORE_SIGNS_PREFIX) == 7, "PG_SIGNS_*'s offsets are the prefix's length");
/* What holders no longer in lease_holders published: forgotten with them. */
#define PG_SIGNS_FORGET                                                                      \
	"DELETE FROM meta WHERE " PG_SIGNS_ROW("key") " AND NOT EXISTS (SELECT 1"            \
	" FROM lease_holders h WHERE h.holder = " PG_SIGNS_HOLDER("key") ")"
#define PG_SIGNS_KEY_MAX (sizeof(STORE_SIGNS_PREFIX) + 21 + STORE_LEASE_HOLDER_MAX + 1)

/* The database server's clock, in whole seconds, now (not at the transaction's start). */
#define PG_LEASE_NOW "floor(extract(epoch FROM clock_timestamp()))::bigint"

#define PG_LEASE_COLUMNS                                                                     \
	"issuer_id, shard, holder, expires_at, mark_issuer_seq, mark0, mark1, mark2"

static void
lease_row(const PGresult *r, int row, struct store_lease *l)
{
	const uint8_t *h;
	size_t len;

	memset(l, 0, sizeof(*l));
	l->issuer_id = pg_int(r, row, 0);
	l->shard = (int)pg_int(r, row, 1);
	h = pg_bytes(r, row, 2, &len);
	if (len > STORE_LEASE_HOLDER_MAX)
		len = STORE_LEASE_HOLDER_MAX;
	if (h != NULL)
		memcpy(l->holder, h, len);
	l->expires_at = pg_int(r, row, 3);
	l->upto.issuer_seq = pg_int(r, row, 4);
	for (int i = 0; i < STORE_CURSOR_WORDS; i++)
		l->upto.at.pos[i] = pg_int(r, row, 5 + i);
}

int
pg_lease_take(struct store *base, struct store_lease *l, int64_t now, int64_t secs,
    struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct store_signed_upto first;
	struct store_lease got;
	struct pg_params p = {0};
	PGresult *r;
	int taken;

	if (pg_signed_upto_get(base, &first, e) != 0)
		return -1;
	pg_param_int(&p, l->issuer_id);
	pg_param_int(&p, l->shard);
	(void)now;
	pg_param_text(&p, l->holder);
	pg_param_int(&p, secs);
	pg_param_int(&p, first.issuer_seq);
	for (int i = 0; i < STORE_CURSOR_WORDS; i++)
		pg_param_int(&p, first.at.pos[i]);
	r = pg_exec(s,
	    "INSERT INTO leases AS l (" PG_LEASE_COLUMNS ") VALUES ($1::bigint, $2::integer,"
	    " $3::text, " PG_LEASE_NOW " + $4::bigint, $5::bigint, $6::bigint, $7::bigint,"
	    " $8::bigint)"
	    " ON CONFLICT (issuer_id, shard) DO UPDATE SET holder = EXCLUDED.holder,"
	    "  expires_at = EXCLUDED.expires_at"
	    " WHERE l.holder = EXCLUDED.holder OR l.holder = '' OR l.expires_at < " PG_LEASE_NOW
	    " RETURNING " PG_LEASE_COLUMNS, &p, "taking a lease", e);
	if (r == NULL)
		return -1;
	taken = PQntuples(r) == 1;
	if (taken) {
		lease_row(r, 0, &got);
		l->expires_at = got.expires_at;
		l->upto = got.upto;
	}
	PQclear(r);
	return taken;
}

static int
renew(struct store_pg *s, const char *holder, int64_t secs, int64_t *live, struct err *e)
{
	struct pg_params p = {0};
	PGresult *r;

	pg_param_text(&p, holder);
	pg_param_int(&p, secs);
	if (pg_run(s, "INSERT INTO lease_holders (holder, expires_at) VALUES ($1::text, "
		PG_LEASE_NOW " + $2::bigint) ON CONFLICT (holder) DO UPDATE SET"
		" expires_at = EXCLUDED.expires_at", &p, "renewing leases", NULL, e) != 0 ||
	    pg_run(s, "UPDATE leases SET expires_at = " PG_LEASE_NOW " + $2::bigint"
		" WHERE holder = $1::text", &p, "renewing leases", NULL, e) != 0)
		return -1;
	p = (struct pg_params){0};
	pg_param_text(&p, holder);
	if (pg_run(s, "DELETE FROM lease_holders WHERE expires_at < " PG_LEASE_NOW
		" AND holder <> $1::text", &p, "renewing leases", NULL, e) != 0 ||
	    pg_run(s, PG_SIGNS_FORGET, NULL, "renewing leases", NULL, e) != 0)
		return -1;
	r = pg_exec(s, "SELECT count(*) FROM lease_holders WHERE expires_at >= " PG_LEASE_NOW,
	    NULL, "counting the signers", e);
	if (r == NULL)
		return -1;
	*live = pg_int(r, 0, 0);
	PQclear(r);
	return 0;
}

int
pg_lease_renew(struct store *base, const char *holder, int64_t now, int64_t secs,
    int64_t *live, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int own;

	(void)now;
	if (pg_txn_enter(s, &own, e) != 0)
		return -1;
	return pg_txn_leave(s, own, renew(s, holder, secs, live, e), e);
}

struct each {
	int (*cb)(void *arg, const struct store_lease *l, struct err *e);
	void *arg;
};

static int
each_row(void *arg, const PGresult *r, int i, struct err *e)
{
	struct each *w = arg;
	struct store_lease l;

	lease_row(r, i, &l);
	l.expired = pg_int(r, i, 8) != 0;
	return w->cb(w->arg, &l, e);
}

int
pg_lease_each(struct store *base, int64_t now,
    int (*cb)(void *arg, const struct store_lease *l, struct err *e), void *arg, struct err *e)
{
	struct each w = {cb, arg};

	(void)now;
	return pg_walk((struct store_pg *)base, "SELECT " PG_LEASE_COLUMNS ","
	    " (expires_at < " PG_LEASE_NOW ")::integer FROM leases ORDER BY issuer_id, shard",
	    NULL, "reading the leases", each_row, &w, e);
}

static int
evict(struct store_pg *s, const char *holder, int64_t seen, int64_t *n, struct err *e)
{
	struct pg_params p = {0};

	pg_param_text(&p, holder);
	pg_param_int(&p, seen);
	/* Renewed since seen: its presence moved past it, and it is alive after all. */
	if (pg_run(s, "UPDATE leases SET holder = '', expires_at = 0 WHERE holder = $1::text"
		" AND expires_at <= $2::bigint AND NOT EXISTS (SELECT 1 FROM lease_holders h"
		"  WHERE h.holder = $1::text AND h.expires_at > $2::bigint)", &p,
		"freeing a dead signer's leases", n, e) != 0)
		return -1;
	if (pg_run(s, "DELETE FROM lease_holders WHERE holder = $1::text"
		" AND expires_at <= $2::bigint", &p, "freeing a dead signer's leases", NULL, e) != 0)
		return -1;
	return pg_run(s, PG_SIGNS_FORGET, NULL, "freeing a dead signer's leases", NULL, e);
}

int
pg_lease_evict(struct store *base, const char *holder, int64_t seen, int64_t *n,
    struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int own;

	*n = 0;
	if (pg_txn_enter(s, &own, e) != 0)
		return -1;
	return pg_txn_leave(s, own, evict(s, holder, seen, n, e), e);
}

static int
release(struct store_pg *s, const char *holder, int64_t issuer_id, int shard, struct err *e)
{
	struct pg_params p = {0};

	pg_param_text(&p, holder);
	if (issuer_id == 0)
		return pg_run(s, "UPDATE leases SET holder = '', expires_at = 0"
			       " WHERE holder = $1::text", &p, "releasing leases", NULL, e) != 0 ||
			       pg_run(s, "DELETE FROM lease_holders WHERE holder = $1::text", &p,
				   "releasing leases", NULL, e) != 0 ||
			       pg_run(s, PG_SIGNS_FORGET, NULL, "releasing leases", NULL, e) != 0
			   ? -1 : 0;
	pg_param_int(&p, issuer_id);
	pg_param_int(&p, shard);
	return pg_run(s, "UPDATE leases SET holder = '', expires_at = 0 WHERE holder = $1::text"
	    " AND issuer_id = $2::bigint AND shard = $3::integer", &p, "releasing a lease", NULL,
	    e);
}

int
pg_lease_release(struct store *base, const char *holder, int64_t issuer_id, int shard,
    struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int own;

	if (pg_txn_enter(s, &own, e) != 0)
		return -1;
	return pg_txn_leave(s, own, release(s, holder, issuer_id, shard, e), e);
}

int
pg_lease_fence(struct store *base, const char *holder,
    int (*cb)(void *arg, int64_t issuer_id, int shard), void *arg, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct pg_params p = {0};
	PGresult *r;
	int rc = 0;

	if (!s->in_txn) /* the row locks last until the caller's transaction ends */
		return err_set(e, "store: the lease fence needs a transaction");
	pg_param_text(&p, holder);
	r = pg_exec(s, "SELECT issuer_id, shard FROM leases WHERE holder = $1::text"
		       " ORDER BY issuer_id, shard FOR SHARE", &p, "reading the leases held", e);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		if (cb(arg, pg_int(r, i, 0), (int)pg_int(r, i, 1)) != 0)
			rc = err_set(e, "out of memory");
	}
	PQclear(r);
	return rc;
}

int
pg_lease_mark(struct store *base, const char *holder, int64_t issuer_id,
    const struct store_signed_upto *u, struct err *e)
{
	struct pg_params p = {0};

	pg_param_text(&p, holder);
	pg_param_int(&p, issuer_id);
	pg_param_int(&p, u->issuer_seq);
	for (int i = 0; i < STORE_CURSOR_WORDS; i++)
		pg_param_int(&p, u->at.pos[i]);
	return pg_run((struct store_pg *)base, "UPDATE leases SET mark_issuer_seq = $3::bigint,"
	    " mark0 = $4::bigint, mark1 = $5::bigint, mark2 = $6::bigint"
	    " WHERE holder = $1::text AND issuer_id = $2::bigint", &p, "setting a lease's mark",
	    NULL, e);
}

/* 1 when holder's rows are the ids of want (sorted, n), 0 when not, -1 error. */
static int
signs_same(struct store_pg *s, const char *holder, const int64_t *want, size_t n,
    struct err *e)
{
	struct pg_params p = {0};
	PGresult *r;
	int same;

	pg_param_text(&p, holder);
	r = pg_exec(s, "SELECT key FROM meta WHERE " PG_SIGNS_ROW("key") " AND "
	    PG_SIGNS_HOLDER("key") " = $1::text", &p, "reading what a signer signs", e);
	if (r == NULL)
		return -1;
	same = (size_t)PQntuples(r) == n;
	for (int i = 0; i < PQntuples(r) && same; i++) {
		size_t len;
		const uint8_t *k = pg_bytes(r, i, 0, &len);
		int64_t id = store_signs_id((const char *)k, len);
		same = id >= 0 && bsearch(&id, want, n, sizeof(*want), store_signs_cmp) != NULL;
	}
	PQclear(r);
	return same;
}

static int
signs_write(struct store_pg *s, const char *holder, const int64_t *want, size_t n,
    struct err *e)
{
	struct pg_params p = {0};
	char key[PG_SIGNS_KEY_MAX];

	pg_param_text(&p, holder);
	if (pg_run(s, "DELETE FROM meta WHERE " PG_SIGNS_ROW("key") " AND " PG_SIGNS_HOLDER("key")
		" = $1::text", &p, "publishing what a signer signs", NULL, e) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), STORE_SIGNS_PREFIX "%lld:%s", (long long)want[i], holder);
		if (pg_meta_set(s, key, 1, e) != 0)
			return -1;
	}
	return 0;
}

int
pg_lease_signs(struct store *base, const char *holder, const int64_t *issuer_ids, size_t n,
    struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int64_t *want;
	size_t len;
	int own, rc;

	if (store_signs_set(issuer_ids, n, &want, &len) != 0)
		return err_set(e, "out of memory");
	if ((rc = signs_same(s, holder, want, len, e)) != 0) {
		free(want);
		return rc < 0 ? -1 : 0; /* unchanged: nothing written, nobody notified */
	}
	if (pg_txn_enter(s, &own, e) != 0) {
		free(want);
		return -1;
	}
	rc = pg_txn_leave(s, own, signs_write(s, holder, want, len, e), e);
	free(want);
	return rc;
}

int
pg_lease_signers(struct store *base, int64_t now,
    int (*cb)(void *arg, const char *holder, int64_t issuer_id, struct err *e), void *arg,
    struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	PGresult *r;
	int rc = 0;

	(void)now;
	r = pg_exec(s, "SELECT h.holder, m.key FROM meta m JOIN lease_holders h"
	    " ON " PG_SIGNS_HOLDER("m.key") " = h.holder WHERE " PG_SIGNS_ROW("m.key")
	    " AND h.expires_at >= " PG_LEASE_NOW " ORDER BY h.holder", NULL,
	    "reading what the signers sign", e);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		char holder[STORE_LEASE_HOLDER_MAX + 1] = "";
		size_t hlen, klen;
		const uint8_t *h = pg_bytes(r, i, 0, &hlen), *k = pg_bytes(r, i, 1, &klen);
		int64_t id = store_signs_id((const char *)k, klen);
		if (id < 0 || h == NULL || hlen > STORE_LEASE_HOLDER_MAX)
			continue;
		memcpy(holder, h, hlen);
		rc = cb(arg, holder, id, e) != 0 ? -1 : 0;
	}
	PQclear(r);
	return rc;
}
