/*
 * sqlite_issuer.c - managing registered issuers in the SQLite store: a new
 * key reference (into the key store, sqlite_keys.c), retirement, and what
 * kinds of certificates an issuer has.
 *
 * Each change to an issuer bumps meta issuer_seq in the same transaction,
 * which is how a running signer learns that it must reload its issuers and
 * their keys.  The kinds of certificates are two EXISTS probes: CA
 * certificates through the small partial index certificates_ca, end-entity
 * ones through (issuer_id, serial), where the first row of a leaf issuer
 * answers at once.
 */
#include "store/sqlite_int.h"

#include <string.h>

static int
set_key(struct store_sqlite *s, int64_t issuer_id, const char *key_ref, const char *pass_ref,
    struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "UPDATE issuers SET has_key = 1 WHERE id = ?", -1, &st,
		NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "recording the key");
	sqlite3_bind_int64(st, 1, issuer_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "recording the key");
	if (sqlite3_changes(s->db) != 1)
		return err_set(e, "store: issuer %lld not found", (long long)issuer_id);
	if (sqlite_keys_put(s, issuer_id, key_ref, pass_ref, NULL, e) != 0)
		return -1;
	return sqlite_issuer_changed(s, e);
}

int
sqlite_issuer_set_key(struct store *base, int64_t issuer_id, const char *key_ref,
    const char *pass_ref, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, set_key(s, issuer_id, key_ref, pass_ref, e), e);
}

static int
retire(struct store_sqlite *s, int64_t issuer_id, int64_t at, struct err *e)
{
	if (sqlite_run(s, "UPDATE issuers SET retired_at = ? WHERE id = ? AND retired_at = 0",
		(const int64_t[]){at, issuer_id}, 2, "retiring the issuer", e) != 0)
		return -1;
	if (sqlite3_changes(s->db) != 1)
		return err_set(e, "store: issuer %lld not found or already retired",
		    (long long)issuer_id);
	return sqlite_issuer_changed(s, e);
}

int
sqlite_issuer_retire(struct store *base, int64_t issuer_id, int64_t at, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, retire(s, issuer_id, at, e), e);
}

int
sqlite_issuer_certs(struct store *base, int64_t issuer_id, int with_expiry,
    struct store_issuer_certs *out, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	const char *sql =
	    with_expiry
		? "SELECT EXISTS (SELECT 1 FROM certificates WHERE issuer_id = ?1 AND is_ca = 1),"
		  " EXISTS (SELECT 1 FROM certificates WHERE issuer_id = ?1 AND is_ca = 0),"
		  " (SELECT coalesce(max(not_after), 0) FROM certificates WHERE issuer_id = ?1)"
		: "SELECT EXISTS (SELECT 1 FROM certificates WHERE issuer_id = ?1 AND is_ca = 1),"
		  " EXISTS (SELECT 1 FROM certificates WHERE issuer_id = ?1 AND is_ca = 0), 0";
	sqlite3_stmt *st;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading an issuer's certificates");
	sqlite3_bind_int64(st, 1, issuer_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return sqlite_db_err(s, e, "reading an issuer's certificates");
	}
	out->has_ca = sqlite3_column_int(st, 0);
	out->has_ee = sqlite3_column_int(st, 1);
	out->last_not_after = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	return 0;
}
