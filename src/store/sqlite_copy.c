/*
 * sqlite_copy.c - the SQLite backend's side of copying a store (store.h,
 * "Copying a store"; store/copy.c drives it): records written exactly as
 * given, the walk of certificates by id, the contract's counters raised,
 * and the copy's progress mark in meta (copy_source, copy_step, copy_done).
 *
 * Exactly means the ids too: issuers.id and certificates.id are given, and a
 * response's id, which is its seq in this backend (its place in the write
 * order, AUTOINCREMENT), is its seq.  AUTOINCREMENT keeps the largest id ever
 * given in sqlite_sequence, so responses the signer writes later come after
 * every copied one; store_seq_raise(STORE_SEQ_OCSP) raises it too, past the
 * source's responses purged before the copy.  What this backend derives
 * from the rows it derives here: each imported batch of responses is one
 * range of ocsp_due (sqlite_ocsp.c: every response lies in one range whose
 * due_at is at or before its own), meta ocsp_seq, ocsp_cert_seq (the seam
 * below which the signer's search for changed certificates looks for a
 * response; left at 0 it would take every certificate for changed and sign
 * it all again) and ocsp_newest, and ocsp_held_<issuer> for a held response.
 * certificates.changed_at, which no operation reads, is the revocation time
 * of a revoked certificate and the recording time of a good one.
 */
#include "store/sqlite_int.h"

#include <stdio.h>
#include <string.h>

static int
issuer_import(struct store_sqlite *s, const struct issuer_record *r,
    const struct store_issuer_keys *k, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db,
		"INSERT INTO issuers (id, name, cert, key_ref, crl_shards, added_at, ocsp_cert,"
		" has_key, retired_at) VALUES (?, ?, ?, '', ?, ?, ?, ?, ?)", -1, &st, NULL) !=
	    SQLITE_OK)
		return sqlite_db_err(s, e, "importing an issuer");
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, r->cert_der, (int)r->cert_len, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, r->crl_shards);
	sqlite3_bind_int64(st, 5, r->added_at);
	if (r->ocsp_cert_der != NULL)
		sqlite3_bind_blob(st, 6, r->ocsp_cert_der, (int)r->ocsp_cert_len, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, r->has_key != 0);
	sqlite3_bind_int64(st, 8, r->retired_at);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "importing an issuer");
	if (k == NULL || (k->key_ref[0] == '\0' && k->key_pass_ref[0] == '\0' &&
			     k->ocsp_key_ref[0] == '\0'))
		return 0;
	/* Both writes: one sets key_ref and key_pass_ref, the other ocsp_key_ref. */
	if (sqlite_keys_put(s, r->id, k->key_ref, k->key_pass_ref, NULL, e) != 0 ||
	    sqlite_keys_put(s, r->id, NULL, NULL, k->ocsp_key_ref, e) != 0)
		return err_prefix(e, "issuer %s", r->name);
	return 0;
}

int
sqlite_issuer_import(struct store *base, const struct issuer_record *r,
    const struct store_issuer_keys *keys, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, issuer_import(s, r, keys, e), e);
}

int
sqlite_cert_export(struct store *base, int64_t after_id,
    int (*cb)(void *arg, const struct cert_record *c, struct err *e), void *arg, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct cert_record c;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db,
		"SELECT " SQLITE_CERT_COLUMNS " FROM certificates c WHERE c.id > ? ORDER BY c.id",
		-1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading certificates");
	sqlite3_bind_int64(st, 1, after_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite_cert_row(st, 0, &c);
		if (cb(arg, &c, e) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, e, "reading certificates");
}

static void
cert_bind(sqlite3_stmt *st, const struct cert_record *r)
{
	static const uint8_t none[STORE_FINGERPRINT_LEN];
	int revoked = r->status == CERT_REVOKED;

	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_int64(st, 2, r->issuer_id);
	sqlite3_bind_blob(st, 3, r->serial, (int)r->serial_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->not_before);
	sqlite3_bind_int64(st, 5, r->not_after);
	sqlite3_bind_int(st, 6, revoked);
	if (revoked) {
		sqlite3_bind_int64(st, 7, r->revoked_at);
		sqlite3_bind_int(st, 8, r->reason);
	} else {
		sqlite3_bind_null(st, 7);
		sqlite3_bind_null(st, 8);
	}
	sqlite3_bind_int(st, 9, r->shard);
	sqlite3_bind_blob(st, 10, r->has_fingerprint ? r->fingerprint : none,
	    STORE_FINGERPRINT_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, r->added_at);
	sqlite3_bind_int64(st, 12, revoked ? r->revoked_at : r->added_at);
	sqlite3_bind_int64(st, 13, r->change_seq);
	sqlite3_bind_int(st, 14, r->is_ca != 0);
	if (r->has_spki)
		sqlite3_bind_blob(st, 15, r->spki_sha256, STORE_SPKI_HASH_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 15);
	sqlite3_bind_int(st, 16, r->precert != 0);
	if (r->has_precert_tbs)
		sqlite3_bind_blob(st, 17, r->precert_tbs, STORE_PRECERT_TBS_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 17);
}

static int
cert_import(struct store_sqlite *s, const struct cert_record *r, size_t n, struct err *e)
{
	sqlite3_stmt *st;
	int rc = SQLITE_DONE;

	if (sqlite3_prepare_v2(s->db,
		"INSERT INTO certificates (id, issuer_id, serial, not_before, not_after, status,"
		" revoked_at, reason, shard, fingerprint, added_at, changed_at, change_seq, is_ca,"
		" spki_sha256, precert, precert_tbs)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) !=
	    SQLITE_OK)
		return sqlite_db_err(s, e, "importing certificates");
	for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_reset(st);
		cert_bind(st, &r[i]);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		sqlite_db_err(s, e, "importing certificates");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
sqlite_cert_import(struct store *base, const struct cert_record *r, size_t n, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, cert_import(s, r, n, e), e);
}

/* meta name raised to v (added if missing). */
static int
meta_raise(struct store_sqlite *s, const char *name, int64_t v, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO meta (key, value) VALUES (?, ?)"
		" ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)", -1, &st,
		NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "raising a stored counter");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, e, "raising a stored counter");
}

/* A held response (sqlite_ocsp_hold.c) leaves its issuer marked as having some. */
static int
ocsp_import_held(struct store_sqlite *s, const struct ocsp_record *r, struct err *e)
{
	char key[SQLITE_HELD_KEY_MAX];

	sqlite_held_key(key, sizeof(key), r->issuer_id);
	return sqlite_meta_set(s, key, 1, e);
}

/* The batch r[0..n-1] (ids first..last) as one due range, and the meta it moves. */
static int
ocsp_import_range(struct store_sqlite *s, const struct ocsp_record *r, size_t n,
    struct err *e)
{
	int64_t due = INT64_MAX, cert_seq = 0, newest = 0;

	for (size_t i = 0; i < n; i++) {
		if (r[i].hash == OCSP_HASH_SHA1 && r[i].due_at < due)
			due = r[i].due_at;
		if (r[i].cert_seq > cert_seq)
			cert_seq = r[i].cert_seq;
		if (r[i].this_update > newest)
			newest = r[i].this_update;
		if (r[i].due_at == SQLITE_DUE_HELD && ocsp_import_held(s, &r[i], e) != 0)
			return -1;
	}
	if (sqlite_run(s, "INSERT INTO ocsp_due (last_id, first_id, due_at) VALUES (?, ?, ?)",
		(const int64_t[]){r[n - 1].seq, r[0].seq, due}, 3, "importing OCSP responses",
		e) != 0)
		return -1;
	return meta_raise(s, "ocsp_seq", r[n - 1].seq, e) != 0 ||
		       meta_raise(s, "ocsp_cert_seq", cert_seq, e) != 0 ||
		       meta_raise(s, "ocsp_newest", newest, e) != 0
		   ? -1
		   : 0;
}

static int
ocsp_import(struct store_sqlite *s, const struct ocsp_record *r, size_t n, struct err *e)
{
	sqlite3_stmt *st;
	int rc = SQLITE_DONE;

	if (n == 0)
		return 0;
	for (size_t i = 1; i < n; i++)
		if (r[i].seq <= r[i - 1].seq)
			return err_set(e, "store: importing OCSP responses: not in seq order");
	if (sqlite3_prepare_v2(s->db,
		"INSERT INTO ocsp_responses (id, cert_id, hash_alg, der, this_update, next_update,"
		" due_at, cert_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "importing OCSP responses");
	for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, r[i].seq);
		sqlite3_bind_int64(st, 2, r[i].cert_id);
		sqlite3_bind_int(st, 3, r[i].hash);
		sqlite3_bind_blob(st, 4, r[i].der, (int)r[i].der_len, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, r[i].this_update);
		sqlite3_bind_int64(st, 6, r[i].next_update);
		sqlite3_bind_int64(st, 7, r[i].due_at);
		sqlite3_bind_int64(st, 8, r[i].cert_seq);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		sqlite_db_err(s, e, "importing OCSP responses");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? ocsp_import_range(s, r, n, e) : -1;
}

int
sqlite_ocsp_import(struct store *base, const struct ocsp_record *r, size_t n, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, ocsp_import(s, r, n, e), e);
}

int
sqlite_crl_import(struct store *base, const struct crl_record *r, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, sqlite_crl_write(s, r, "importing a CRL", e), e);
}

/* Responses written later get ids above v: AUTOINCREMENT's high-water mark raised. */
static int
ocsp_ids_raise(struct store_sqlite *s, int64_t v, struct err *e)
{
	if (sqlite_run(s, "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name ="
		" 'ocsp_responses'", &v, 1, "raising a stored counter", e) != 0)
		return -1;
	if (sqlite3_changes(s->db) > 0)
		return 0;
	return sqlite_run(s, "INSERT INTO sqlite_sequence (name, seq) VALUES ('ocsp_responses', ?)",
	    &v, 1, "raising a stored counter", e);
}

static int
seq_raise(struct store_sqlite *s, enum store_seq which, int64_t v, struct err *e)
{
	const char *key = sqlite_seq_key(which);

	if (key == NULL)
		return err_set(e, "store: unknown sequence %d", (int)which);
	if (meta_raise(s, key, v, e) != 0)
		return -1;
	return which == STORE_SEQ_OCSP ? ocsp_ids_raise(s, v, e) : 0;
}

int
sqlite_seq_raise(struct store *base, enum store_seq which, int64_t v, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, seq_raise(s, which, v, e), e);
}

int
sqlite_copy_mark_get(struct store *base, struct store_copy_mark *m, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int found;

	*m = (struct store_copy_mark){0};
	if ((found = sqlite_meta_get(s, "copy_source", &m->source, e)) <= 0)
		return found;
	if (sqlite_meta_get(s, "copy_step", &m->step, e) < 0 ||
	    sqlite_meta_get(s, "copy_done", &m->done, e) < 0)
		return -1;
	return 1;
}

int
sqlite_copy_mark_set(struct store *base, const struct store_copy_mark *m, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own, rc;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	rc = sqlite_meta_set(s, "copy_source", m->source, e);
	if (rc == 0)
		rc = sqlite_meta_set(s, "copy_step", m->step, e);
	if (rc == 0)
		rc = sqlite_meta_set(s, "copy_done", m->done, e);
	return sqlite_txn_leave(s, own, rc, e);
}
