/*
 * sqlite_list.c - listing recorded certificates (store_cert_each), for
 * `lancre cert list`; those of one key (store_cert_by_spki).
 *
 * One statement stepped row by row, each row handed to the callback and
 * forgotten: a million certificates cost one row of memory, and the first
 * line is out before the last row is read.  Rows come in id order (the
 * primary key, the order they were recorded); restricted to revoked ones,
 * the partial index of revoked certificates serves the filter.
 */
#include "store/sqlite_int.h"

int
sqlite_cert_each(struct store *base, int64_t issuer_id, int only_revoked,
    int (*cb)(void *arg, const struct cert_record *c, struct err *e), void *arg, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct cert_record c;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db,
		"SELECT " SQLITE_CERT_COLUMNS " FROM certificates c"
		" WHERE (?1 = 0 OR c.issuer_id = ?1) AND (?2 = 0 OR c.status = 1)"
		" ORDER BY c.id", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "listing certificates");
	sqlite3_bind_int64(st, 1, issuer_id);
	sqlite3_bind_int(st, 2, only_revoked != 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite_cert_row(st, 0, &c);
		if (cb(arg, &c, e) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "listing certificates");
	return 0;
}

/*
 * Through the index on spki_sha256 (schema 10), both: the rows of the key,
 * then the count of NULLs, a range of the same index, not a table scan.
 */
int
sqlite_cert_by_spki(struct store *base, const uint8_t spki[STORE_SPKI_HASH_LEN],
    int (*cb)(void *arg, const struct cert_record *c, struct err *e), void *arg,
    int64_t *unkeyed, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct cert_record c;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db,
		"SELECT " SQLITE_CERT_COLUMNS " FROM certificates c"
		" WHERE c.spki_sha256 = ? ORDER BY c.id", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "finding certificates by key");
	sqlite3_bind_blob(st, 1, spki, STORE_SPKI_HASH_LEN, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite_cert_row(st, 0, &c);
		if (cb(arg, &c, e) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "finding certificates by key");
	if (unkeyed == NULL)
		return 0;
	if (sqlite3_prepare_v2(s->db,
		"SELECT count(*) FROM certificates WHERE spki_sha256 IS NULL", -1, &st, NULL) !=
	    SQLITE_OK)
		return sqlite_db_err(s, e, "counting certificates without a key hash");
	rc = sqlite3_step(st);
	*unkeyed = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sqlite_db_err(s, e, "counting certificates without a key hash");
}
