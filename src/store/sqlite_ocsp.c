/*
 * sqlite_ocsp.c - the SQLite backend's OCSP operations: what the signer must
 * (re)sign, writing signed responses, and reading them back for the server.
 *
 * Work for the signer is found two ways, both by index:
 *  - by change: certificates.change_seq (one number per writing transaction)
 *    greater than what the signer saw last, filtered to those whose SHA-1
 *    response is missing or older (ocsp_responses.cert_seq < change_seq);
 *  - by time: ocsp_responses.due_at at or before now.
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
		sqlite_cert_row(st, 0, &out[(*n)++]);
	if (*n < max && rc != SQLITE_DONE) {
		sqlite3_finalize(st);
		return sqlite_db_err(s, e, "reading certificates");
	}
	sqlite3_finalize(st);
	return 0;
}

int
sqlite_certs_changed(struct store *base, int64_t after_seq, int64_t after_id,
    int64_t min_not_after, struct cert_record *out, size_t max, size_t *n, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db,
		"SELECT " SQLITE_CERT_COLUMNS " FROM certificates c"
		" LEFT JOIN ocsp_responses r ON r.cert_id = c.id AND r.hash_alg = 1"
		" WHERE (c.change_seq, c.id) > (?, ?) AND c.not_after >= ?"
		"   AND (r.cert_id IS NULL OR r.cert_seq < c.change_seq)"
		" ORDER BY c.change_seq, c.id LIMIT ?", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "finding changed certificates");
	sqlite3_bind_int64(st, 1, after_seq);
	sqlite3_bind_int64(st, 2, after_id);
	sqlite3_bind_int64(st, 3, min_not_after);
	sqlite3_bind_int64(st, 4, (int64_t)max);
	return fetch_certs(s, st, out, max, n, e);
}

/* Every signed certificate has a SHA-1 response; its row stands for both. */
int
sqlite_ocsp_due(struct store *base, int64_t now, int64_t min_not_after,
    struct store_due_cursor *after, struct cert_record *out, size_t max, size_t *n,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	int rc = SQLITE_DONE;

	if (sqlite3_prepare_v2(s->db,
		"SELECT " SQLITE_CERT_COLUMNS ", r.due_at FROM ocsp_responses r"
		" JOIN certificates c ON c.id = r.cert_id"
		" WHERE r.hash_alg = 1 AND r.due_at <= ? AND (r.due_at, r.cert_id) > (?, ?)"
		"   AND c.not_after >= ?"
		" ORDER BY r.due_at, r.cert_id LIMIT ?", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "finding due responses");
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, after->due_at);
	sqlite3_bind_int64(st, 3, after->cert_id);
	sqlite3_bind_int64(st, 4, min_not_after);
	sqlite3_bind_int64(st, 5, (int64_t)max);
	*n = 0;
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite_cert_row(st, 0, &out[*n]);
		after->due_at = sqlite3_column_int64(st, 12);
		after->cert_id = out[(*n)++].id;
	}
	sqlite3_finalize(st);
	if (*n < max && rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "finding due responses");
	return 0;
}

/*
 * Responses are written SQLITE_OCSP_ROWS to an INSERT: one statement per row
 * cost 6.2 us a row, 64 per statement 3.4 us (each statement run opens a
 * cursor on the table and on each of its three indexes; measured with the
 * signer's 4,096-row transactions).  The rest go one per statement.
 */
#define SQLITE_OCSP_ROWS 64
#define SQLITE_OCSP_INSERT                                                                   \
	"INSERT OR REPLACE INTO ocsp_responses (cert_id, hash_alg, der, this_update,"         \
	" next_update, due_at, cert_seq, seq) VALUES "
#define SQLITE_OCSP_VALUES "(?, ?, ?, ?, ?, ?, ?, ?)"
#define SQLITE_OCSP_COLUMNS 8

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
	sqlite3_bind_int64(st, first + 8, r->seq);
}

static int
ocsp_put(struct store_sqlite *s, struct ocsp_record *r, size_t n, struct err *e)
{
	int64_t seq;

	if (sqlite_txn_seq(s, "ocsp_seq", &s->ocsp_seq, &seq, e) != 0)
		return -1;
	while (n > 0) {
		size_t rows = n >= SQLITE_OCSP_ROWS ? SQLITE_OCSP_ROWS : 1;
		sqlite3_stmt *st = ocsp_put_stmt(s, rows, e);
		if (st == NULL)
			return -1;
		for (size_t i = 0; i < rows; i++) {
			r[i].seq = seq;
			ocsp_bind(st, (int)i * SQLITE_OCSP_COLUMNS, &r[i]);
		}
		if (sqlite3_step(st) != SQLITE_DONE)
			return sqlite_db_err(s, e, "storing an OCSP response");
		r += rows;
		n -= rows;
	}
	return 0;
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

int
sqlite_ocsp_purge(struct store *base, int64_t expired_before, int64_t *deleted, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db,
		"DELETE FROM ocsp_responses WHERE cert_id IN"
		" (SELECT id FROM certificates WHERE not_after < ?)", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "purging expired responses");
	sqlite3_bind_int64(st, 1, expired_before);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "purging expired responses");
	*deleted = sqlite3_changes(s->db);
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
		"SELECT r.cert_id, c.issuer_id, c.serial, r.hash_alg, r.der, r.this_update,"
		" r.next_update, r.due_at, r.cert_seq, r.seq"
		" FROM ocsp_responses r JOIN certificates c ON c.id = r.cert_id"
		" WHERE r.seq > ? ORDER BY r.seq", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading OCSP responses");
	sqlite3_bind_int64(st, 1, after_seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.cert_id = sqlite3_column_int64(st, 0);
		r.issuer_id = sqlite3_column_int64(st, 1);
		r.serial_len = (size_t)sqlite3_column_bytes(st, 2);
		if (r.serial_len > STORE_SERIAL_MAX)
			continue;
		memcpy(r.serial, sqlite3_column_blob(st, 2), r.serial_len);
		r.hash = sqlite3_column_int(st, 3) == OCSP_HASH_SHA256 ? OCSP_HASH_SHA256
								      : OCSP_HASH_SHA1;
		r.der = sqlite3_column_blob(st, 4);
		r.der_len = (size_t)sqlite3_column_bytes(st, 4);
		r.this_update = sqlite3_column_int64(st, 5);
		r.next_update = sqlite3_column_int64(st, 6);
		r.due_at = sqlite3_column_int64(st, 7);
		r.cert_seq = sqlite3_column_int64(st, 8);
		r.seq = sqlite3_column_int64(st, 9);
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
