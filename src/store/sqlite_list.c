/*
 * sqlite_list.c - listing recorded certificates (store_cert_each), for
 * `lancre cert list`.
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
