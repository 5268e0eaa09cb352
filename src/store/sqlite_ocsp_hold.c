/*
 * sqlite_ocsp_hold.c - the SQLite backend's held responses: those of an
 * issuer the signer cannot sign for while its key fails to load.
 *
 * Left due, they kept their batches' ranges in ocsp_due due (a range's
 * due_at is at or before every response in it, sqlite_ocsp.c), so every
 * pass of the signer, five a second, read them all again, passed them over
 * and opened a write transaction to settle ranges that could not move.
 * Holding sets their due_at to SQLITE_DUE_HELD, past any time: settling then
 * raises their ranges past them, and the next passes find nothing due.  It
 * touches only the ranges due now, and only responses due now, so it costs
 * what one pass already read.  Meta ocsp_held_<issuer id> records that the
 * issuer has held responses, so that releasing them (when its key loads,
 * in this process or after a restart) costs one read when there are none;
 * with some, one scan of the responses makes them due at 0 and marks due
 * every range that holds one, as a clock step does.
 */
#include "store/sqlite_int.h"

#include <stdio.h>

void
sqlite_held_key(char *key, size_t size, int64_t issuer_id)
{
	snprintf(key, size, "ocsp_held_%lld", (long long)issuer_id);
}

static int
ocsp_hold(struct store_sqlite *s, int64_t issuer_id, int64_t now, int64_t *n, struct err *e)
{
	char key[SQLITE_HELD_KEY_MAX];

	if (sqlite_run(s,
		"UPDATE ocsp_responses SET due_at = ?3 WHERE id IN (SELECT r.id FROM ocsp_due d"
		" CROSS JOIN ocsp_responses r WHERE d.due_at <= ?1"
		" AND r.id BETWEEN d.first_id AND d.last_id AND +r.due_at <= ?1)"
		" AND cert_id IN (SELECT id FROM certificates WHERE issuer_id = ?2)",
		(const int64_t[]){now, issuer_id, SQLITE_DUE_HELD}, 3, "holding OCSP responses",
		e) != 0)
		return -1;
	*n = sqlite3_changes(s->db);
	if (*n == 0)
		return 0;
	sqlite_held_key(key, sizeof(key), issuer_id);
	return sqlite_meta_set(s, key, 1, e);
}

int
sqlite_ocsp_hold(struct store *base, int64_t issuer_id, int64_t now, int64_t *n,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own, any;

	*n = 0;
	if ((any = sqlite_ocsp_due_any(s, now, e)) <= 0)
		return any;
	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, ocsp_hold(s, issuer_id, now, n, e), e);
}

static int
ocsp_release(struct store_sqlite *s, int64_t issuer_id, const char *key, int64_t *n,
    struct err *e)
{
	if (sqlite_run(s,
		"UPDATE ocsp_responses SET due_at = 0 WHERE due_at = ?2"
		" AND cert_id IN (SELECT id FROM certificates WHERE issuer_id = ?1)",
		(const int64_t[]){issuer_id, SQLITE_DUE_HELD}, 2, "releasing held OCSP responses",
		e) != 0)
		return -1;
	*n = sqlite3_changes(s->db);
	if (*n > 0 &&
	    sqlite_run(s, "UPDATE ocsp_due SET due_at = 0 WHERE EXISTS (SELECT 1 FROM"
		" ocsp_responses r WHERE r.id BETWEEN ocsp_due.first_id AND ocsp_due.last_id"
		" AND r.due_at = 0)", NULL, 0, "releasing held OCSP responses", e) != 0)
		return -1;
	return sqlite_meta_set(s, key, 0, e); /* none held */
}

int
sqlite_ocsp_release(struct store *base, int64_t issuer_id, int64_t *n, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	char key[SQLITE_HELD_KEY_MAX];
	int64_t v;
	int own, found;

	*n = 0;
	sqlite_held_key(key, sizeof(key), issuer_id);
	if ((found = sqlite_meta_get(s, key, &v, e)) <= 0 || v == 0)
		return found < 0 ? -1 : 0;
	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, ocsp_release(s, issuer_id, key, n, e), e);
}
