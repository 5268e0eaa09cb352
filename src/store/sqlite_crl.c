/*
 * sqlite_crl.c - the SQLite backend's CRL operations: stored CRLs, the
 * revoked certificates that go into one, and which shards a revocation made
 * stale (found by change_seq, like the OCSP signer's work).
 */
#include "store/sqlite_int.h"

#include <string.h>

/*
 * The signer looks up every CRL (shard, delta) of every issuer on each pass,
 * five times a second: the statement is prepared once (preparing it each
 * time was most of an idle signer's CPU with 128 shards).
 */
int
sqlite_crl_get(struct store *base, int64_t issuer_id, int shard, struct crl_record *out,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	int rc;

	st = sqlite_stmt(s, STMT_CRL_GET,
	    "SELECT number, this_update, next_update, built_seq, seq FROM crls"
	    " WHERE issuer_id = ? AND shard = ?", e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, issuer_id);
	sqlite3_bind_int(st, 2, shard);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		out->issuer_id = issuer_id;
		out->shard = shard;
		out->number = sqlite3_column_int64(st, 0);
		out->this_update = sqlite3_column_int64(st, 1);
		out->next_update = sqlite3_column_int64(st, 2);
		out->built_seq = sqlite3_column_int64(st, 3);
		out->seq = sqlite3_column_int64(st, 4);
	} else if (rc != SQLITE_DONE) {
		sqlite_db_err(s, e, "reading a CRL");
	}
	sqlite3_reset(st); /* left on its row, it would keep its read transaction open */
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/*
 * The highest number stored in the scope of a CRL with key `key`: its
 * shard's base and delta (RFC 5280 5.2.3: one sequence for both), -1 none.
 */
static int
scope_max(struct store_sqlite *s, int64_t issuer_id, int key, int64_t *max, struct err *e)
{
	sqlite3_stmt *st;
	int shard = crl_key_shard(key);

	if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(number), -1) FROM crls"
				      " WHERE issuer_id = ? AND shard IN (?, ?)", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading CRL numbers");
	sqlite3_bind_int64(st, 1, issuer_id);
	sqlite3_bind_int(st, 2, crl_key(shard, 0));
	sqlite3_bind_int(st, 3, crl_key(shard, 1));
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return sqlite_db_err(s, e, "reading CRL numbers");
	}
	*max = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* In the caller's write transaction: no other writer between the check and the write. */
static int
crl_put(struct store_sqlite *s, struct crl_record *r, struct err *e)
{
	int64_t max = -1;

	if (scope_max(s, r->issuer_id, r->shard, &max, e) != 0)
		return -1;
	if (r->number <= max)
		return err_set(e, "store: CRL number %lld of shard %d is not above the %lld stored: "
				  "a CRL number never repeats or goes back; not stored",
		    (long long)r->number, crl_key_shard(r->shard), (long long)max);
	if (sqlite_txn_seq(s, "crl_seq", &s->crl_seq, &r->seq, e) != 0)
		return -1;
	return sqlite_crl_write(s, r, "storing a CRL", e);
}

/* The row of r as given, replacing the one with its key (crl_put, and a copy's import). */
int
sqlite_crl_write(struct store_sqlite *s, const struct crl_record *r, const char *what, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db,
		"INSERT OR REPLACE INTO crls (issuer_id, shard, number, this_update, next_update,"
		" der, built_seq, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, what);
	sqlite3_bind_int64(st, 1, r->issuer_id);
	sqlite3_bind_int(st, 2, r->shard);
	sqlite3_bind_int64(st, 3, r->number);
	sqlite3_bind_int64(st, 4, r->this_update);
	sqlite3_bind_int64(st, 5, r->next_update);
	sqlite3_bind_blob(st, 6, r->der, (int)r->der_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, r->built_seq);
	sqlite3_bind_int64(st, 8, r->seq);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, e, what);
}

int
sqlite_crl_put(struct store *base, struct crl_record *r, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, crl_put(s, r, e), e);
}

int
sqlite_crl_each(struct store *base, int (*cb)(void *arg, const struct crl_record *r, struct err *e), void *arg,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct crl_record r;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db,
		"SELECT issuer_id, shard, number, this_update, next_update, der, built_seq, seq"
		" FROM crls ORDER BY issuer_id, shard", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading CRLs");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = (struct crl_record){
		    .issuer_id = sqlite3_column_int64(st, 0),
		    .shard = sqlite3_column_int(st, 1),
		    .number = sqlite3_column_int64(st, 2),
		    .this_update = sqlite3_column_int64(st, 3),
		    .next_update = sqlite3_column_int64(st, 4),
		    .der = sqlite3_column_blob(st, 5),
		    .der_len = (size_t)sqlite3_column_bytes(st, 5),
		    .built_seq = sqlite3_column_int64(st, 6),
		    .seq = sqlite3_column_int64(st, 7),
		};
		if (cb(arg, &r, e) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "reading CRLs");
	return 0;
}

int
sqlite_crl_entries(struct store *base, int64_t issuer_id, int shard, int64_t min_not_after,
    int64_t after_seq, int (*cb)(void *arg, const struct cert_record *c, struct err *e), void *arg, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct cert_record c;
	sqlite3_stmt *st;
	int rc;

	/*
	 * The partial index certificates_revoked (issuer_id, shard) WHERE status = 1
	 * serves this.  No ORDER BY: RFC 5280 does not order CRL entries, and sorting a
	 * million rows would cost more than building the CRL.  Only what an entry needs.
	 */
	if (sqlite3_prepare_v2(s->db,
		"SELECT serial, revoked_at, reason FROM certificates"
		" WHERE issuer_id = ?1 AND status = 1 AND (?2 = 0 OR shard = ?2)"
		" AND not_after >= ?3 AND change_seq > ?4", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading revoked certificates");
	sqlite3_bind_int64(st, 1, issuer_id);
	sqlite3_bind_int(st, 2, shard);
	sqlite3_bind_int64(st, 3, min_not_after);
	sqlite3_bind_int64(st, 4, after_seq);
	memset(&c, 0, sizeof(c));
	c.issuer_id = issuer_id;
	c.status = CERT_REVOKED;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c.serial_len = (size_t)sqlite3_column_bytes(st, 0);
		if (c.serial_len == 0 || c.serial_len > STORE_SERIAL_MAX)
			continue;
		memcpy(c.serial, sqlite3_column_blob(st, 0), c.serial_len);
		c.revoked_at = sqlite3_column_int64(st, 1);
		c.reason = sqlite3_column_int(st, 2);
		if (cb(arg, &c, e) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "reading revoked certificates");
	return 0;
}

int
sqlite_revoked_since(struct store *base, int64_t after_seq,
    int (*cb)(void *arg, int64_t issuer_id, int shard, int64_t seq, int64_t n, struct err *e), void *arg, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, after_seq > 0 ? SQLITE_REVOKED_SINCE : SQLITE_REVOKED_ALL, -1,
		&st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "finding revocations");
	if (after_seq > 0)
		sqlite3_bind_int64(st, 1, after_seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cb(arg, sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1),
			sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3), e) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "finding revocations");
	return 0;
}
