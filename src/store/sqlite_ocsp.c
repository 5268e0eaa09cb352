/*
 * sqlite_ocsp.c - the SQLite backend's OCSP operations: what the signer must
 * (re)sign, writing signed responses, and reading them back for the server.
 *
 * A response's id is its place in the write order (AUTOINCREMENT: a
 * rewritten response gets a new id, never one used before), so the server's
 * reload reads the ids above the last it saw, and one write's responses hold
 * consecutive ids.
 *
 * Work for the signer is found two ways:
 *  - by change: certificates.change_seq (one number per writing transaction)
 *    greater than what the signer saw last, filtered to those whose SHA-1
 *    response is missing or older (ocsp_responses.cert_seq < change_seq);
 *    where the signer got is kept in meta (signed_*) for its next start;
 *  - by time: every write of responses (a signer batch) adds a row to
 *    ocsp_due: its range of ids and the earliest due_at among its SHA-1
 *    responses.  The refresh reads the ranges that are due, range by range,
 *    and picks the responses due in them; once those are re-signed (given
 *    new ids, in a new range), settling raises each range's due_at to its
 *    earliest response still due, or drops it when nothing is left in it.
 *    An index on the responses' due_at cost two B-tree writes per response
 *    (with the one on seq, the server's order before ids took its place):
 *    3.9 us per stored response against 2.2 without them (docs/DESIGN.md).
 *    Invariant: every response lies in one range, whose due_at is at or
 *    before the response's.
 * Purges delete the responses of certificates expired since the last
 * purge's cutoff (meta ocsp_purged_before).
 */
#include "store/sqlite_int.h"

#include <stdio.h>
#include <string.h>

static int
fetch_certs(struct store_sqlite *s, sqlite3_stmt *st, struct cert_record *out, size_t max,
    size_t *n, struct err *e)
{
	int rc;

	*n = 0;
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		sqlite_sign_row(st, 0, &out[(*n)++]);
	if (*n < max && rc != SQLITE_DONE) {
		sqlite3_finalize(st);
		return sqlite_db_err(s, e, "reading certificates");
	}
	sqlite3_finalize(st);
	return 0;
}

/*
 * Up to max certificates changed after *after, up to change_seq upto, in
 * (change_seq, id) order, into out: with same_seq, the rest of after's
 * change_seq; else the change_seqs after it.  With join, only those whose
 * SHA-1 response is missing or older.
 */
static int
changed_rows(struct store_sqlite *s, int join, int same_seq,
    const struct store_cursor *after, int64_t upto, int64_t min_not_after,
    struct cert_record *out, size_t max, size_t *n, struct err *e)
{
	char sql[768];
	sqlite3_stmt *st;

	snprintf(sql, sizeof(sql),
	    "SELECT " SQLITE_SIGN_COLUMNS " FROM certificates c%s"
	    " WHERE %s AND c.change_seq <= ?3 AND c.not_after >= ?4%s"
	    " ORDER BY c.change_seq, c.id LIMIT ?5",
	    join ? " LEFT JOIN ocsp_responses r ON r.cert_id = c.id AND r.hash_alg = 1" : "",
	    same_seq ? "c.change_seq = ?1 AND c.id > ?2" : "c.change_seq > ?1",
	    join ? " AND (r.cert_id IS NULL OR r.cert_seq < c.change_seq)" : "");
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "finding changed certificates");
	sqlite3_bind_int64(st, 1, SQLITE_CUR_CHANGE_SEQ(after));
	if (same_seq)
		sqlite3_bind_int64(st, 2, SQLITE_CUR_CERT_ID(after));
	sqlite3_bind_int64(st, 3, upto);
	sqlite3_bind_int64(st, 4, min_not_after);
	sqlite3_bind_int64(st, 5, (int64_t)max);
	return fetch_certs(s, st, out, max, n, e);
}

/*
 * A page of certificates changed after *after, up to change_seq upto (with
 * join, only those whose SHA-1 response is missing or older); *after moves
 * to the last one.  Two ranges that each seek the index on change_seq (whose
 * entries end with the id): the rest of the cursor's change_seq, then the
 * later ones.  As one row-value comparison, (change_seq, id) > (?, ?), SQLite
 * sought on change_seq alone and stepped over every row of the cursor's
 * change_seq: an idle signer read its last import batch again on every pass
 * (20,000 rows: 3.5 ms, five times a second).
 */
static int
changed_page(struct store_sqlite *s, int join, struct store_cursor *after, int64_t upto,
    int64_t min_not_after, struct cert_record *out, size_t max, size_t *n, struct err *e)
{
	size_t k = 0;

	*n = 0;
	if (changed_rows(s, join, 1, after, upto, min_not_after, out, max, &k, e) != 0 ||
	    (k < max && changed_rows(s, join, 0, after, upto, min_not_after, out + k, max - k, n,
			    e) != 0))
		return -1;
	*n += k;
	if (*n > 0)
		*after = sqlite_changed_cursor(out[*n - 1].change_seq, out[*n - 1].id);
	return 0;
}

/* A changed-certificates cursor has passed what is at or before it in (change_seq, id). */
int
sqlite_cursor_passed(struct store *base, const struct store_cursor *at,
    const struct cert_record *c)
{
	(void)base;
	return c->change_seq < SQLITE_CUR_CHANGE_SEQ(at) ||
	       (c->change_seq == SQLITE_CUR_CHANGE_SEQ(at) && c->id <= SQLITE_CUR_CERT_ID(at));
}

/*
 * A certificate whose change_seq is above every response's cert_seq (meta
 * ocsp_cert_seq) has no response that reflects it: only those at or below
 * need the join that looks for one, a probe of the responses' index each
 * (0.4 of the 1.8 us it took to read a certificate).  New certificates and
 * revocations are above; a signer that starts over from 0 reads the rest
 * with the join.  Once the join has found all it will below the seam, the
 * cursor moves to the seam, past the certificates it passed over.
 */
int
sqlite_certs_changed(struct store *base, struct store_cursor *after,
    int64_t min_not_after, struct cert_record *out, size_t max, size_t *n, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int64_t top;
	size_t k = 0;

	if (sqlite_counter(s, "ocsp_cert_seq", &top, e) != 0)
		return -1;
	if (SQLITE_CUR_CHANGE_SEQ(after) < top) {
		if (changed_page(s, 1, after, top, min_not_after, out, max, &k, e) != 0)
			return -1;
		if (k == max) {
			*n = k;
			return 0;
		}
		*after = sqlite_changed_cursor(top, INT64_MAX);
	}
	if (changed_page(s, 0, after, INT64_MAX, min_not_after, out + k, max - k, n, e) != 0)
		return -1;
	*n += k;
	return 0;
}

/*
 * Every signed certificate has a SHA-1 response; its row stands for both.
 * The ranges due are read in (due_at, last_id) order from their index (a
 * running signer writes a range per pass: one per few certificates), their
 * responses by id, from the range's first or from past the cursor in its
 * own range.  No range changes during a pass: what it writes is due later,
 * and settling comes after.  The unary + keeps SQLite from building a
 * temporary index on hash_alg (a scan of every response, on every page).
 */
int
sqlite_ocsp_due(struct store *base, int64_t now, int64_t min_not_after,
    struct store_cursor *after, struct cert_record *out, size_t max, size_t *n,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	int rc = SQLITE_DONE;

	if (sqlite3_prepare_v2(s->db,
		"SELECT " SQLITE_SIGN_COLUMNS ", d.due_at, d.last_id, r.id"
		" FROM ocsp_due d CROSS JOIN ocsp_responses r CROSS JOIN certificates c"
		" WHERE d.due_at <= ?4 AND (d.due_at, d.last_id) >= (?1, ?2)"
		"   AND r.id >= max(d.first_id, CASE WHEN d.due_at = ?1 AND d.last_id = ?2"
		"     THEN ?3 + 1 ELSE 0 END) AND r.id <= d.last_id"
		"   AND +r.hash_alg = 1 AND +r.due_at <= ?4"
		"   AND c.id = r.cert_id AND c.not_after >= ?5"
		" ORDER BY d.due_at, d.last_id, r.id LIMIT ?6", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "finding due responses");
	sqlite3_bind_int64(st, 1, SQLITE_CUR_DUE_AT(after));
	sqlite3_bind_int64(st, 2, SQLITE_CUR_RANGE(after));
	sqlite3_bind_int64(st, 3, SQLITE_CUR_ID(after));
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, min_not_after);
	sqlite3_bind_int64(st, 6, (int64_t)max);
	*n = 0;
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite_sign_row(st, 0, &out[(*n)++]);
		SQLITE_CUR_DUE_AT(after) = sqlite3_column_int64(st, SQLITE_SIGN_NCOLUMNS);
		SQLITE_CUR_RANGE(after) = sqlite3_column_int64(st, SQLITE_SIGN_NCOLUMNS + 1);
		SQLITE_CUR_ID(after) = sqlite3_column_int64(st, SQLITE_SIGN_NCOLUMNS + 2);
	}
	sqlite3_finalize(st);
	if (*n < max && rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "finding due responses");
	return 0;
}

/* Drop the ranges due at or before upto whose responses are all gone (rewritten, purged). */
static int
due_drop_empty(struct store_sqlite *s, int64_t upto, struct err *e)
{
	return sqlite_run(s,
	    "DELETE FROM ocsp_due WHERE due_at <= ? AND NOT EXISTS (SELECT 1 FROM"
	    " ocsp_responses r WHERE r.id BETWEEN ocsp_due.first_id AND ocsp_due.last_id)",
	    &upto, 1, "dropping empty due ranges", e);
}

/*
 * The ranges due at now: drop those left empty, and move the others to their
 * earliest response still due for an unexpired certificate, if any.
 */
static int
due_settle(struct store_sqlite *s, int64_t now, int64_t min_not_after, struct err *e)
{
	if (due_drop_empty(s, now, e) != 0)
		return -1;
	return sqlite_run(s,
	    "UPDATE ocsp_due SET due_at = coalesce((SELECT min(r.due_at) FROM ocsp_responses r"
	    " JOIN certificates c ON c.id = r.cert_id"
	    " WHERE r.id BETWEEN ocsp_due.first_id AND ocsp_due.last_id AND +r.hash_alg = 1"
	    " AND c.not_after >= ?2), ?3) WHERE due_at <= ?1",
	    (const int64_t[]){now, min_not_after, INT64_MAX}, 3, "settling due responses", e);
}

/* Whether any range is due at now: 1, 0, or -1 on error. */
int
sqlite_ocsp_due_any(struct store_sqlite *s, int64_t now, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM ocsp_due WHERE due_at <= ? LIMIT 1", -1, &st,
		NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "settling due responses");
	sqlite3_bind_int64(st, 1, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "settling due responses");
	return rc == SQLITE_ROW;
}

/*
 * The refresh done (store_ocsp_refresh_done) is where this backend settles
 * its due ranges: it keeps one due time per batch written, the earliest in
 * it, and the responses re-signed have left their old batches, whose due
 * times would otherwise stay in the past and be read again by every scan.
 * Nothing due, as in most of a running signer's passes: no write
 * transaction either.
 */
int
sqlite_ocsp_refresh_done(struct store *base, int64_t now, int64_t min_not_after,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own, any = sqlite_ocsp_due_any(s, now, e);

	if (any <= 0)
		return any;
	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, due_settle(s, now, min_not_after, e), e);
}

/*
 * Responses are written SQLITE_OCSP_ROWS to an INSERT: one statement per row
 * cost 6.2 us a row, 64 per statement 3.4 us (each statement run opens a
 * cursor on the table and on each of its indexes, three when measured with
 * the signer's 4,096-row transactions).  The rest go one per statement.
 */
#define SQLITE_OCSP_ROWS 64
#define SQLITE_OCSP_INSERT                                                                   \
	"INSERT OR REPLACE INTO ocsp_responses (cert_id, hash_alg, der, this_update,"         \
	" next_update, due_at, cert_seq) VALUES "
#define SQLITE_OCSP_VALUES "(?, ?, ?, ?, ?, ?, ?)"
#define SQLITE_OCSP_COLUMNS 7

/* The statement for 1 or SQLITE_OCSP_ROWS rows. */
static sqlite3_stmt *
ocsp_put_stmt(struct store_sqlite *s, size_t rows, struct err *e)
{
	char sql[sizeof(SQLITE_OCSP_INSERT) + SQLITE_OCSP_ROWS * sizeof(", " SQLITE_OCSP_VALUES)];
	size_t len;

	if (rows == 1)
		return sqlite_stmt(s, STMT_OCSP_PUT, SQLITE_OCSP_INSERT SQLITE_OCSP_VALUES, e);
	if (s->stmt[STMT_OCSP_PUT_MANY] != NULL) /* prepared: no need to spell it again */
		return sqlite_stmt(s, STMT_OCSP_PUT_MANY, NULL, e);
	len = sizeof(SQLITE_OCSP_INSERT) - 1;
	memcpy(sql, SQLITE_OCSP_INSERT, len);
	for (size_t i = 0; i < rows; i++) {
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s" SQLITE_OCSP_VALUES,
		    i > 0 ? ", " : "");
	}
	return sqlite_stmt(s, STMT_OCSP_PUT_MANY, sql, e);
}

static void
ocsp_bind(sqlite3_stmt *st, int first, const struct ocsp_record *r)
{
	sqlite3_bind_int64(st, first + 1, r->cert_id);
	sqlite3_bind_int(st, first + 2, r->hash);
	sqlite3_bind_blob(st, first + 3, r->der, (int)r->der_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, first + 4, r->this_update);
	sqlite3_bind_int64(st, first + 5, r->next_update);
	sqlite3_bind_int64(st, first + 6, r->due_at);
	sqlite3_bind_int64(st, first + 7, r->cert_seq);
}

/*
 * Record the range of ids [first, last] that one write gave r[0..n-1]: their
 * seq, their entry in ocsp_due, meta ocsp_seq and ocsp_cert_seq.
 */
static int
ocsp_put_range(struct store_sqlite *s, struct ocsp_record *r, size_t n, int64_t first,
    struct err *e)
{
	int64_t last = sqlite3_last_insert_rowid(s->db), due = INT64_MAX, cert_seq = 0, newest = 0;
	sqlite3_stmt *st;

	if (last - first + 1 != (int64_t)n) /* AUTOINCREMENT in one transaction: never */
		return err_set(e, "store: %zu responses took ids %lld..%lld", n,
		    (long long)first, (long long)last);
	for (size_t i = 0; i < n; i++) {
		r[i].seq = first + (int64_t)i;
		if (r[i].hash == OCSP_HASH_SHA1 && r[i].due_at < due)
			due = r[i].due_at;
		if (r[i].cert_seq > cert_seq)
			cert_seq = r[i].cert_seq;
		if (r[i].this_update > newest)
			newest = r[i].this_update;
	}
	st = sqlite_stmt(s, STMT_OCSP_DUE_RANGE,
	    "INSERT INTO ocsp_due (last_id, first_id, due_at) VALUES (?, ?, ?)", e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, last);
	sqlite3_bind_int64(st, 2, first);
	sqlite3_bind_int64(st, 3, due);
	if (sqlite3_step(st) != SQLITE_DONE)
		return sqlite_db_err(s, e, "storing an OCSP response");
	st = sqlite_stmt(s, STMT_OCSP_SEQ_SET,
	    "UPDATE meta SET value = CASE key WHEN 'ocsp_seq' THEN ?1 ELSE max(value, ?2) END"
	    " WHERE key IN ('ocsp_seq', 'ocsp_cert_seq')", e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, last);
	sqlite3_bind_int64(st, 2, cert_seq);
	if (sqlite3_step(st) != SQLITE_DONE)
		return sqlite_db_err(s, e, "storing an OCSP response");
	/* Only raised: an absent value stays absent until computed from every row. */
	st = sqlite_stmt(s, STMT_OCSP_NEWEST_SET,
	    "UPDATE meta SET value = max(value, ?1) WHERE key = 'ocsp_newest'", e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, newest);
	if (sqlite3_step(st) != SQLITE_DONE)
		return sqlite_db_err(s, e, "storing an OCSP response");
	return 0;
}

static int
ocsp_put(struct store_sqlite *s, struct ocsp_record *r, size_t n, struct err *e)
{
	int64_t first = 0;

	for (size_t done = 0; done < n;) {
		size_t rows = n - done >= SQLITE_OCSP_ROWS ? SQLITE_OCSP_ROWS : 1;
		sqlite3_stmt *st = ocsp_put_stmt(s, rows, e);
		if (st == NULL)
			return -1;
		for (size_t i = 0; i < rows; i++)
			ocsp_bind(st, (int)i * SQLITE_OCSP_COLUMNS, &r[done + i]);
		if (sqlite3_step(st) != SQLITE_DONE)
			return sqlite_db_err(s, e, "storing an OCSP response");
		if (done == 0)
			first = sqlite3_last_insert_rowid(s->db) - (int64_t)rows + 1;
		done += rows;
	}
	return n > 0 ? ocsp_put_range(s, r, n, first, e) : 0;
}

int
sqlite_ocsp_put(struct store *base, struct ocsp_record *r, size_t n, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, ocsp_put(s, r, n, e), e);
}

/*
 * Responses dated after `after` (signed while the clock was ahead) become due
 * at 0, and so do the due ranges that hold them; meta ocsp_newest comes down
 * to after.  A scan of every response, run only when ocsp_newest says there
 * is something to find (once per clock step).
 */
static int
ocsp_future_due(struct store_sqlite *s, int64_t after, int64_t *n, struct err *e)
{
	if (sqlite_run(s, "UPDATE ocsp_responses SET due_at = 0 WHERE this_update > ?", &after, 1,
		"finding responses dated in the future", e) != 0)
		return -1;
	*n = sqlite3_changes(s->db);
	if (*n > 0 &&
	    sqlite_run(s, "UPDATE ocsp_due SET due_at = 0 WHERE EXISTS (SELECT 1 FROM"
		" ocsp_responses r WHERE r.id BETWEEN ocsp_due.first_id AND ocsp_due.last_id"
		" AND r.due_at = 0)", NULL, 0, "making responses dated in the future due", e) != 0)
		return -1;
	return sqlite_meta_set(s, "ocsp_newest", after, e);
}

/*
 * A store written before meta ocsp_newest existed (or by a version that did
 * not keep it) has none: it is computed once from every stored response's
 * this_update, a column (a scan of the table, no index: measured at 1M
 * certificates in docs/BENCHMARKS.md), and kept up from then on by each write
 * (ocsp_put_range() only raises a value that is there).  Without this, the
 * responses an upgraded store holds dated in the future were never found.
 */
static int
ocsp_newest_compute(struct store_sqlite *s, int64_t *newest, struct err *e)
{
	if (sqlite_run(s, "INSERT OR IGNORE INTO meta (key, value) SELECT 'ocsp_newest',"
		" coalesce(max(this_update), 0) FROM ocsp_responses", NULL, 0,
		"finding the newest OCSP response", e) != 0)
		return -1;
	return sqlite_meta_get(s, "ocsp_newest", newest, e) == 1
		   ? 0
		   : err_set(e, "store: finding the newest OCSP response: not recorded");
}

int
sqlite_ocsp_future_due(struct store *base, int64_t after, int64_t *newest, int64_t *n,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own, found;

	*n = 0;
	if ((found = sqlite_meta_get(s, "ocsp_newest", newest, e)) < 0)
		return -1;
	if (found == 0) {
		if (sqlite_txn_enter(s, &own, e) != 0 ||
		    sqlite_txn_leave(s, own, ocsp_newest_compute(s, newest, e), e) != 0)
			return -1;
	}
	if (*newest <= after)
		return 0;
	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, ocsp_future_due(s, after, n, e), e);
}

/*
 * The signer's mark lives in meta, three rows written together; a store that
 * never had one reads {0}.
 */
int
sqlite_signed_upto_get(struct store *base, struct store_signed_upto *u, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;

	*u = (struct store_signed_upto){0};
	if (sqlite_meta_get(s, "signed_issuer_seq", &u->issuer_seq, e) < 0 ||
	    sqlite_meta_get(s, "signed_change_seq", &SQLITE_CUR_CHANGE_SEQ(&u->at), e) < 0 ||
	    sqlite_meta_get(s, "signed_cert_id", &SQLITE_CUR_CERT_ID(&u->at), e) < 0)
		return -1;
	return 0;
}

int
sqlite_signed_upto_set(struct store *base, const struct store_signed_upto *u, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own, rc;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	rc = sqlite_meta_set(s, "signed_issuer_seq", u->issuer_seq, e);
	if (rc == 0)
		rc = sqlite_meta_set(s, "signed_change_seq", SQLITE_CUR_CHANGE_SEQ(&u->at), e);
	if (rc == 0)
		rc = sqlite_meta_set(s, "signed_cert_id", SQLITE_CUR_CERT_ID(&u->at), e);
	return sqlite_txn_leave(s, own, rc, e);
}

/*
 * Responses of certificates that expired between the last purge's cutoff
 * (meta ocsp_purged_before; 0 at first) and expired_before, then the ranges
 * left empty; the cutoff moves up.  Looking at every certificate that ever
 * expired instead read them all on each hourly purge, inside a write
 * transaction: 0.32 s with 900,000 of them, growing without end.  Nothing
 * expired before the cutoff can have gained a response since: the signer
 * signs only unexpired certificates, and the cutoff is a grace period in
 * the past.
 */
static int
ocsp_purge(struct store_sqlite *s, int64_t expired_before, int64_t *deleted, struct err *e)
{
	int64_t from;

	*deleted = 0;
	if (sqlite_meta_get(s, "ocsp_purged_before", &from, e) < 0)
		return -1;
	if (expired_before <= from)
		return 0;
	if (sqlite_run(s, "DELETE FROM ocsp_responses WHERE cert_id IN (SELECT id FROM"
		" certificates WHERE not_after >= ?1 AND not_after < ?2)",
		(const int64_t[]){from, expired_before}, 2, "purging expired responses", e) != 0)
		return -1;
	*deleted = sqlite3_changes(s->db);
	if (sqlite_meta_set(s, "ocsp_purged_before", expired_before, e) != 0)
		return -1;
	return due_drop_empty(s, INT64_MAX, e);
}

int
sqlite_ocsp_purge(struct store *base, int64_t expired_before, int64_t *deleted, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, ocsp_purge(s, expired_before, deleted, e), e);
}

/* The columns ocsp_row() reads, r: ocsp_responses, c: certificates. */
#define OCSP_ROW_COLUMNS                                                                 \
	"r.cert_id, c.issuer_id, c.serial, r.hash_alg, r.der, r.this_update, r.next_update," \
	" r.due_at, r.cert_seq, r.id"

/* A row of OCSP_ROW_COLUMNS as a record (der borrowed from st); -1: its serial is too long. */
static int
ocsp_row(sqlite3_stmt *st, struct ocsp_record *r)
{
	memset(r, 0, sizeof(*r));
	r->cert_id = sqlite3_column_int64(st, 0);
	r->issuer_id = sqlite3_column_int64(st, 1);
	r->serial_len = (size_t)sqlite3_column_bytes(st, 2);
	if (r->serial_len > STORE_SERIAL_MAX)
		return -1;
	memcpy(r->serial, sqlite3_column_blob(st, 2), r->serial_len);
	r->hash = sqlite3_column_int(st, 3) == OCSP_HASH_SHA256 ? OCSP_HASH_SHA256 : OCSP_HASH_SHA1;
	r->der = sqlite3_column_blob(st, 4);
	r->der_len = (size_t)sqlite3_column_bytes(st, 4);
	r->this_update = sqlite3_column_int64(st, 5);
	r->next_update = sqlite3_column_int64(st, 6);
	r->due_at = sqlite3_column_int64(st, 7);
	r->cert_seq = sqlite3_column_int64(st, 8);
	r->seq = sqlite3_column_int64(st, 9);
	return 0;
}

int
sqlite_ocsp_each(struct store *base, int64_t after_seq,
    int (*cb)(void *arg, const struct ocsp_record *r), void *arg, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct ocsp_record r;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db,
		"SELECT " OCSP_ROW_COLUMNS
		" FROM ocsp_responses r JOIN certificates c ON c.id = r.cert_id"
		" WHERE r.id > ? ORDER BY r.id", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading OCSP responses");
	sqlite3_bind_int64(st, 1, after_seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (ocsp_row(st, &r) != 0)
			continue;
		if (cb(arg, &r) != 0) {
			sqlite3_finalize(st);
			if (e != NULL && e->msg[0] == '\0')
				err_set(e, "stopped");
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "reading OCSP responses");
	return 0;
}

int
sqlite_ocsp_get(struct store *base, int64_t issuer_id, enum ocsp_hash hash,
    const uint8_t *serial, size_t len, int (*cb)(void *arg, const struct ocsp_record *r),
    void *arg, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct ocsp_record r;
	sqlite3_stmt *st;
	int rc;

	if (len == 0 || len > STORE_SERIAL_MAX)
		return 0;
	/*
	 * A read-only handle opened immutable, or on -wal/-shm files a tool
	 * has since removed, reads a store that is no longer the one written:
	 * look first, as the server's poll does (sqlite_readonly.c; two or
	 * three stat() calls).  A lookup server asks nothing else, so without
	 * this a revocation could be answered from before it, and cached.
	 */
	if (!s->in_txn && sqlite_readonly_refresh(s, e) != 0)
		return -1;
	/* Two unique indexes: certificates (issuer_id, serial), responses (cert_id, hash_alg). */
	st = sqlite_stmt(s, STMT_OCSP_GET,
	    "SELECT " OCSP_ROW_COLUMNS
	    " FROM certificates c JOIN ocsp_responses r ON r.cert_id = c.id AND r.hash_alg = ?"
	    " WHERE c.issuer_id = ? AND c.serial = ?", e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, (int)hash);
	sqlite3_bind_int64(st, 2, issuer_id);
	sqlite3_bind_blob(st, 3, serial, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		(void)ocsp_row(st, &r); /* its serial is the one asked for: not too long */
		(void)cb(arg, &r);
	} else if (rc != SQLITE_DONE) {
		sqlite_db_err(s, e, "looking up an OCSP response");
	}
	sqlite3_reset(st); /* left on its row, it would keep its read transaction open */
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}
