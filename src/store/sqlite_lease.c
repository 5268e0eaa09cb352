/*
 * sqlite_lease.c - the leases of many signers (store.h, store_lease_*) in
 * the SQLite store: table leases, one row per unit (issuer, shard) ever
 * leased, with its holder, expiry and mark; table lease_holders, the
 * holders alive.  Every write runs in a BEGIN IMMEDIATE transaction (the
 * caller's or its own), which no other writer can interleave with: a take
 * reads the row and writes it with the file locked, and a fence holds the
 * lock until the caller commits, so no take can come in between.  Time is
 * the callers' clock (one host: store.h).
 *
 * What each holder can sign (store_lease_signs) is kept in meta, a row
 * "signs:<issuer id>:<holder>" per issuer and one with id 0 (it published),
 * so that no schema version was needed; they go with the holder's row of
 * lease_holders (SQLITE_SIGNS_FORGET).  Meta is a few dozen rows: the
 * holder is matched by scanning them, not by an index.
 */
#include "store/backend.h"
#include "store/sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The holder of a meta row of store_lease_signs: what follows "signs:<id>:". */
#define SQLITE_SIGNS_HOLDER(k) "substr(" k ", 7 + instr(substr(" k ", 7), ':'))"
#define SQLITE_SIGNS_ROW(k) "substr(" k ", 1, 6) = '" STORE_SIGNS_PREFIX "'"
_Static_assert(sizeof(STORE_SIGNS_PREFIX) == 7, "SQLITE_SIGNS_*'s offsets are the prefix's length");
/* What holders no longer in lease_holders published: forgotten with them. */
#define SQLITE_SIGNS_FORGET                                                                  \
	"DELETE FROM meta WHERE " SQLITE_SIGNS_ROW("key") " AND " SQLITE_SIGNS_HOLDER("key")  \
	" NOT IN (SELECT holder FROM lease_holders)"
#define SQLITE_SIGNS_KEY_MAX (sizeof(STORE_SIGNS_PREFIX) + 21 + STORE_LEASE_HOLDER_MAX + 1)

#define SQLITE_LEASE_COLUMNS                                                                 \
	"issuer_id, shard, holder, expires_at, mark_issuer_seq, mark0, mark1, mark2"

/* A row of SQLITE_LEASE_COLUMNS into *l. */
static void
lease_row(sqlite3_stmt *st, struct store_lease *l)
{
	const unsigned char *h = sqlite3_column_text(st, 2);

	memset(l, 0, sizeof(*l));
	l->issuer_id = sqlite3_column_int64(st, 0);
	l->shard = sqlite3_column_int(st, 1);
	snprintf(l->holder, sizeof(l->holder), "%s", h != NULL ? (const char *)h : "");
	l->expires_at = sqlite3_column_int64(st, 3);
	l->upto.issuer_seq = sqlite3_column_int64(st, 4);
	for (int i = 0; i < STORE_CURSOR_WORDS; i++)
		l->upto.at.pos[i] = sqlite3_column_int64(st, 5 + i);
}

/* The unit's row into *row: 1, 0 when never leased, -1 error. */
static int
lease_get(struct store_sqlite *s, int64_t issuer_id, int shard, struct store_lease *row,
    struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT " SQLITE_LEASE_COLUMNS " FROM leases"
		" WHERE issuer_id = ? AND shard = ?", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading a lease");
	sqlite3_bind_int64(st, 1, issuer_id);
	sqlite3_bind_int(st, 2, shard);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		lease_row(st, row);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "reading a lease");
	return rc == SQLITE_ROW;
}

/* Write the whole row of l (insert or replace). */
static int
lease_write(struct store_sqlite *s, const struct store_lease *l, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO leases (" SQLITE_LEASE_COLUMNS ")"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "writing a lease");
	sqlite3_bind_int64(st, 1, l->issuer_id);
	sqlite3_bind_int(st, 2, l->shard);
	sqlite3_bind_text(st, 3, l->holder, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, l->expires_at);
	sqlite3_bind_int64(st, 5, l->upto.issuer_seq);
	for (int i = 0; i < STORE_CURSOR_WORDS; i++)
		sqlite3_bind_int64(st, 6 + i, l->upto.at.pos[i]);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, e, "writing a lease");
}

/* The take, in a transaction: 1 taken, 0 held by another. */
static int
take(struct store_sqlite *s, struct store_lease *l, int64_t now, int64_t secs, struct err *e)
{
	struct store_lease row;
	int found = lease_get(s, l->issuer_id, l->shard, &row, e);

	if (found < 0)
		return -1;
	if (!found) { /* the first lease of the unit: the single signer's mark */
		memset(&row, 0, sizeof(row));
		if (sqlite_signed_upto_get(&s->base, &row.upto, e) != 0)
			return -1;
	} else if (strcmp(row.holder, l->holder) != 0 && row.holder[0] != '\0' &&
		   row.expires_at >= now) {
		return 0;
	}
	row.issuer_id = l->issuer_id;
	row.shard = l->shard;
	memcpy(row.holder, l->holder, sizeof(row.holder));
	row.expires_at = now + secs;
	if (lease_write(s, &row, e) != 0)
		return -1;
	l->expires_at = row.expires_at;
	l->upto = row.upto;
	return 1;
}

int
sqlite_lease_take(struct store *base, struct store_lease *l, int64_t now, int64_t secs,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own, rc;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	rc = take(s, l, now, secs, e);
	if (sqlite_txn_leave(s, own, rc < 0 ? -1 : 0, e) != 0)
		return -1;
	return rc;
}

/* Bind holder to parameter 1 and the integers v[0..n-1] after it; run. */
static int
run_holder(struct store_sqlite *s, const char *sql, const char *holder, const int64_t *v,
    int n, const char *what, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, what);
	sqlite3_bind_text(st, 1, holder, -1, SQLITE_STATIC);
	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(st, i + 2, v[i]);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, e, what);
}

static int
count_live(struct store_sqlite *s, int64_t now, int64_t *live, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM lease_holders WHERE expires_at >= ?",
		-1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "counting the signers");
	sqlite3_bind_int64(st, 1, now);
	rc = sqlite3_step(st);
	*live = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sqlite_db_err(s, e, "counting the signers");
}

static int
renew(struct store_sqlite *s, const char *holder, int64_t now, int64_t secs, int64_t *live,
    struct err *e)
{
	int64_t until = now + secs;

	if (run_holder(s, "INSERT OR REPLACE INTO lease_holders (holder, expires_at)"
		" VALUES (?1, ?2)", holder, &until, 1, "renewing leases", e) != 0 ||
	    run_holder(s, "UPDATE leases SET expires_at = ?2 WHERE holder = ?1", holder, &until,
		1, "renewing leases", e) != 0 ||
	    run_holder(s, "DELETE FROM lease_holders WHERE expires_at < ?2 AND holder != ?1",
		holder, &now, 1, "renewing leases", e) != 0 ||
	    sqlite_run(s, SQLITE_SIGNS_FORGET, NULL, 0, "renewing leases", e) != 0)
		return -1;
	return count_live(s, now, live, e);
}

int
sqlite_lease_renew(struct store *base, const char *holder, int64_t now, int64_t secs,
    int64_t *live, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, renew(s, holder, now, secs, live, e), e);
}

int
sqlite_lease_each(struct store *base, int64_t now,
    int (*cb)(void *arg, const struct store_lease *l, struct err *e), void *arg, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct store_lease l;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT " SQLITE_LEASE_COLUMNS " FROM leases"
		" ORDER BY issuer_id, shard", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading the leases");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		lease_row(st, &l);
		l.expired = l.expires_at < now;
		if (cb(arg, &l, e) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, e, "reading the leases");
}

int
sqlite_lease_release(struct store *base, const char *holder, int64_t issuer_id, int shard,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own, rc;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	if (issuer_id == 0)
		rc = run_holder(s, "UPDATE leases SET holder = '', expires_at = 0 WHERE holder = ?1",
			 holder, NULL, 0, "releasing leases", e) != 0 ||
		     run_holder(s, "DELETE FROM lease_holders WHERE holder = ?1", holder, NULL, 0,
			 "releasing leases", e) != 0 ||
		     sqlite_run(s, SQLITE_SIGNS_FORGET, NULL, 0, "releasing leases", e) != 0 ? -1 : 0;
	else
		rc = run_holder(s, "UPDATE leases SET holder = '', expires_at = 0"
		    " WHERE holder = ?1 AND issuer_id = ?2 AND shard = ?3", holder,
		    (const int64_t[]){issuer_id, shard}, 2, "releasing a lease", e);
	return sqlite_txn_leave(s, own, rc, e);
}

int
sqlite_lease_evict(struct store *base, const char *holder, int64_t seen, int64_t *n,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own, rc;

	*n = 0;
	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	/* Renewed since seen: its presence moved past it, and it is alive after all. */
	rc = run_holder(s, "UPDATE leases SET holder = '', expires_at = 0 WHERE holder = ?1"
	    " AND NOT EXISTS (SELECT 1 FROM lease_holders WHERE holder = ?1 AND expires_at > ?2)"
	    " AND expires_at <= ?2", holder, &seen, 1, "freeing a dead signer's leases", e);
	if (rc == 0)
		*n = sqlite3_changes(s->db);
	if (rc == 0)
		rc = run_holder(s, "DELETE FROM lease_holders WHERE holder = ?1 AND expires_at <= ?2",
		    holder, &seen, 1, "freeing a dead signer's leases", e);
	if (rc == 0)
		rc = sqlite_run(s, SQLITE_SIGNS_FORGET, NULL, 0, "freeing a dead signer's leases", e);
	return sqlite_txn_leave(s, own, rc, e);
}

int
sqlite_lease_fence(struct store *base, const char *holder,
    int (*cb)(void *arg, int64_t issuer_id, int shard), void *arg, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	int rc;

	if (!s->in_txn) /* BEGIN IMMEDIATE: no other writer until the caller commits */
		return err_set(e, "store: the lease fence needs a transaction");
	if (sqlite3_prepare_v2(s->db, "SELECT issuer_id, shard FROM leases WHERE holder = ?",
		-1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading the leases held");
	sqlite3_bind_text(st, 1, holder, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cb(arg, sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1)) != 0) {
			sqlite3_finalize(st);
			return err_set(e, "out of memory");
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, e, "reading the leases held");
}

int
sqlite_lease_mark(struct store *base, const char *holder, int64_t issuer_id,
    const struct store_signed_upto *u, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;

	return run_holder(s, "UPDATE leases SET mark_issuer_seq = ?3, mark0 = ?4, mark1 = ?5,"
	    " mark2 = ?6 WHERE holder = ?1 AND issuer_id = ?2", holder,
	    (const int64_t[]){issuer_id, u->issuer_seq, u->at.pos[0], u->at.pos[1], u->at.pos[2]},
	    5, "setting a lease's mark", e);
}

/* 1 when holder's rows are the ids of want (sorted, n), 0 when not, -1 error. */
static int
signs_same(struct store_sqlite *s, const char *holder, const int64_t *want, size_t n,
    struct err *e)
{
	sqlite3_stmt *st;
	size_t rows = 0;
	int rc, same = 1;

	if (sqlite3_prepare_v2(s->db, "SELECT key FROM meta WHERE " SQLITE_SIGNS_ROW("key")
		" AND " SQLITE_SIGNS_HOLDER("key") " = ?1", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading what a signer signs");
	sqlite3_bind_text(st, 1, holder, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0); /* then its length */
		int64_t id = store_signs_id(k, (size_t)sqlite3_column_bytes(st, 0));
		rows++;
		if (id < 0 || bsearch(&id, want, n, sizeof(*want), store_signs_cmp) == NULL)
			same = 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "reading what a signer signs");
	return same && rows == n;
}

static int
signs_write(struct store_sqlite *s, const char *holder, const int64_t *want, size_t n,
    struct err *e)
{
	char key[SQLITE_SIGNS_KEY_MAX];

	if (run_holder(s, "DELETE FROM meta WHERE " SQLITE_SIGNS_ROW("key") " AND "
		SQLITE_SIGNS_HOLDER("key") " = ?1", holder, NULL, 0, "publishing what a signer signs",
		e) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), STORE_SIGNS_PREFIX "%lld:%s", (long long)want[i], holder);
		if (sqlite_meta_set(s, key, 1, e) != 0)
			return -1;
	}
	return 0;
}

int
sqlite_lease_signs(struct store *base, const char *holder, const int64_t *issuer_ids, size_t n,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int64_t *want;
	size_t len;
	int own, rc;

	if (store_signs_set(issuer_ids, n, &want, &len) != 0)
		return err_set(e, "out of memory");
	if ((rc = signs_same(s, holder, want, len, e)) != 0) {
		free(want);
		return rc < 0 ? -1 : 0; /* unchanged: nothing written */
	}
	if (sqlite_txn_enter(s, &own, e) != 0) {
		free(want);
		return -1;
	}
	rc = sqlite_txn_leave(s, own, signs_write(s, holder, want, len, e), e);
	free(want);
	return rc;
}

int
sqlite_lease_signers(struct store *base, int64_t now,
    int (*cb)(void *arg, const char *holder, int64_t issuer_id, struct err *e), void *arg,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT h.holder, m.key FROM meta m JOIN lease_holders h"
		" ON " SQLITE_SIGNS_HOLDER("m.key") " = h.holder WHERE " SQLITE_SIGNS_ROW("m.key")
		" AND h.expires_at >= ?1 ORDER BY h.holder", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading what the signers sign");
	sqlite3_bind_int64(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 1); /* then its length */
		int64_t id = store_signs_id(k, (size_t)sqlite3_column_bytes(st, 1));
		if (id >= 0 && cb(arg, (const char *)sqlite3_column_text(st, 0), id, e) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, e, "reading what the signers sign");
}
