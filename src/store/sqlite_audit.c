/*
 * sqlite_audit.c - tokens and the audit trail in the SQLite store (schema
 * 9, sqlite.c; the contract in store.h).
 *
 * The chain's head is audit_head's one row: an append takes it (UPDATE ...
 * RETURNING: the new last number, and the hash before) inside the writing
 * transaction, which in SQLite holds the database's write lock (BEGIN
 * IMMEDIATE), so appends chain in commit order; it computes each row's hash
 * from the one before (audit_hash()), inserts the rows with one prepared
 * statement, and moves the head's hash to the last.
 */
#include "store/sqlite_int.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "store/audit.h"

/* ---- tokens ---- */

#define TOKEN_COLUMNS "id, name, scopes, hash, created, revoked"

static void
token_row(sqlite3_stmt *st, struct token_record *t)
{
	const void *h = sqlite3_column_blob(st, 3);

	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(st, 0);
	snprintf(t->name, sizeof(t->name), "%s", (const char *)sqlite3_column_text(st, 1));
	t->scopes = (unsigned)sqlite3_column_int64(st, 2);
	if (h != NULL && sqlite3_column_bytes(st, 3) == (int)sizeof(t->hash))
		memcpy(t->hash, h, sizeof(t->hash));
	t->created = sqlite3_column_int64(st, 4);
	t->revoked = sqlite3_column_int64(st, 5);
}

int
sqlite_token_put(struct store *base, const struct token_record *t, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	int rc;

	if (t->name[0] == '\0' || strlen(t->name) > STORE_TOKEN_NAME_MAX)
		return err_set(e, "store: a token's name is 1 to %d bytes", STORE_TOKEN_NAME_MAX);
	if (sqlite3_prepare_v2(s->db, "INSERT INTO tokens (name, scopes, hash, created, revoked)"
		" VALUES (?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "adding a token");
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, t->scopes);
	sqlite3_bind_blob(st, 3, t->hash, sizeof(t->hash), SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, t->created);
	sqlite3_bind_int64(st, 5, t->revoked);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return err_set(e, "a token named '%s' already exists", t->name);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, e, "adding a token");
}

int
sqlite_token_find(struct store *base, const uint8_t hash[32], struct token_record *out,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	int rc;

	/* Looked up by the hash of the secret: the index's timing is about the hash only. */
	/* Prepared once: every admin API request looks its token up. */
	if ((st = sqlite_stmt(s, STMT_TOKEN_FIND, "SELECT " TOKEN_COLUMNS " FROM tokens"
		" WHERE hash = ? AND revoked = 0", e)) == NULL)
		return -1;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		token_row(st, out);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return sqlite_db_err(s, e, "looking up a token");
	/* The bytes compared in constant time all the same (the index compared them first). */
	return CRYPTO_memcmp(out->hash, hash, sizeof(out->hash)) == 0 ? 1 : 0;
}

int
sqlite_token_revoke(struct store *base, const char *name, int64_t now, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	int rc;

	if (now == 0)
		now = 1; /* 0 means active */
	if (sqlite3_prepare_v2(s->db, "UPDATE tokens SET revoked = ? WHERE name = ? AND revoked = 0",
		-1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "revoking a token");
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "revoking a token");
	return sqlite3_changes(s->db) > 0 ? 1 : 0;
}

int
sqlite_token_each(struct store *base,
    int (*cb)(void *arg, const struct token_record *t, struct err *e), void *arg, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct token_record t;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT " TOKEN_COLUMNS " FROM tokens ORDER BY name, id", -1,
		&st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "listing tokens");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		token_row(st, &t);
		if (cb(arg, &t, e) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, e, "listing tokens");
}

/* ---- the audit trail ---- */

static int
audit_insert(struct store_sqlite *s, int64_t id, const struct audit_event *ev,
    const uint8_t hash[AUDIT_HASH_LEN], struct err *e)
{
	sqlite3_stmt *st = sqlite_stmt(s, STMT_AUDIT_INSERT,
	    "INSERT INTO audit (id, at, actor, origin, action, issuer_id, serial, detail, hash)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", e);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, ev->at);
	sqlite3_bind_text(st, 3, ev->actor != NULL ? ev->actor : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ev->origin != NULL ? ev->origin : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ev->action != NULL ? ev->action : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, ev->issuer_id);
	/* An empty blob, not NULL (bind_blob of no bytes binds NULL). */
	if (ev->serial != NULL && ev->serial_len > 0)
		sqlite3_bind_blob(st, 7, ev->serial, (int)ev->serial_len, SQLITE_STATIC);
	else
		sqlite3_bind_zeroblob(st, 7, 0);
	sqlite3_bind_text(st, 8, ev->detail != NULL ? ev->detail : "", -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 9, hash, AUDIT_HASH_LEN, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return sqlite_db_err(s, e, "appending to the audit trail");
	sqlite3_reset(st);
	return 0;
}

/* Take the head for n rows: *first their first number, prev the hash before them. */
static int
head_take(struct store_sqlite *s, int64_t n, int64_t *first, uint8_t prev[AUDIT_HASH_LEN],
    struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = sqlite_stmt(s, STMT_AUDIT_HEAD_TAKE, "UPDATE audit_head SET id = id + ?"
		" WHERE one = 1 RETURNING id, hash", e)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, n);
	rc = sqlite3_step(st);
	int bad = rc == SQLITE_ROW && sqlite3_column_bytes(st, 1) != AUDIT_HASH_LEN;

	if (rc == SQLITE_ROW && !bad) {
		*first = sqlite3_column_int64(st, 0) - n + 1;
		memcpy(prev, sqlite3_column_blob(st, 1), AUDIT_HASH_LEN);
	}
	if (rc == SQLITE_ROW)
		while (sqlite3_step(st) == SQLITE_ROW)
			;
	sqlite3_reset(st);
	/* Never chain from an unknown hash: the trail would fork without a word. */
	if (bad)
		return err_set(e, "store: the audit trail's head is damaged (its hash is not %d "
				  "bytes): `lancre audit --verify`",
		    AUDIT_HASH_LEN);
	if (rc == SQLITE_DONE)
		return err_set(e, "store: the audit trail has no head (audit_head is empty)");
	if (rc != SQLITE_ROW)
		return sqlite_db_err(s, e, "taking the audit trail's head");
	return 0;
}

static int
head_set(struct store_sqlite *s, int64_t id, const uint8_t hash[AUDIT_HASH_LEN], struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = sqlite_stmt(s, STMT_AUDIT_HEAD_SET,
		 "UPDATE audit_head SET id = ?, hash = ? WHERE one = 1", e)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_blob(st, 2, hash, AUDIT_HASH_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, e, "moving the audit trail's head");
}

static int
audit_append(struct store_sqlite *s, const struct audit_event *ev, size_t n, struct err *e)
{
	uint8_t h[AUDIT_HASH_LEN];
	int64_t first = 0;

	if (head_take(s, (int64_t)n, &first, h, e) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (audit_hash(h, first + (int64_t)i, &ev[i], h) != 0)
			return err_set(e, "store: hashing an audit row: out of memory");
		if (audit_insert(s, first + (int64_t)i, &ev[i], h, e) != 0)
			return -1;
	}
	return head_set(s, first + (int64_t)n - 1, h, e);
}

int
sqlite_audit_append_many(struct store *base, const struct audit_event *ev, size_t n,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own;

	if (n == 0)
		return 0;
	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, audit_append(s, ev, n, e), e);
}

int
sqlite_audit_append(struct store *base, const struct audit_event *ev, struct err *e)
{
	return sqlite_audit_append_many(base, ev, 1, e);
}

int
sqlite_audit_each(struct store *base, const struct audit_filter *f,
    int (*cb)(void *arg, const struct audit_record *r, struct err *e), void *arg, struct err *e)
{
	static const struct audit_filter all;
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct audit_record r;
	sqlite3_stmt *st;
	int rc;

	if (f == NULL)
		f = &all;
	if (sqlite3_prepare_v2(s->db,
		"SELECT id, at, actor, origin, action, issuer_id, serial, detail, hash FROM audit"
		" WHERE id > ?1 AND (?2 = 0 OR issuer_id = ?2) AND (?3 IS NULL OR serial = ?3)"
		" AND (?4 = 0 OR at >= ?4) ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading the audit trail");
	sqlite3_bind_int64(st, 1, f->after_id);
	sqlite3_bind_int64(st, 2, f->issuer_id);
	if (f->serial != NULL && f->serial_len > 0)
		sqlite3_bind_blob(st, 3, f->serial, (int)f->serial_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, f->since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(st, 0);
		r.ev.at = sqlite3_column_int64(st, 1);
		r.ev.actor = (const char *)sqlite3_column_text(st, 2);
		r.ev.origin = (const char *)sqlite3_column_text(st, 3);
		r.ev.action = (const char *)sqlite3_column_text(st, 4);
		r.ev.issuer_id = sqlite3_column_int64(st, 5);
		r.ev.serial = sqlite3_column_blob(st, 6);
		r.ev.serial_len = (size_t)sqlite3_column_bytes(st, 6);
		r.ev.detail = (const char *)sqlite3_column_text(st, 7);
		/* A hash of the wrong length (a row changed by hand) reads as zeros: --verify says so. */
		if (sqlite3_column_bytes(st, 8) == AUDIT_HASH_LEN)
			memcpy(r.hash, sqlite3_column_blob(st, 8), AUDIT_HASH_LEN);
		if (cb(arg, &r, e) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, e, "reading the audit trail");
}

int
sqlite_audit_head(struct store *base, int64_t *id, uint8_t hash[32], struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	int rc;

	*id = 0;
	memset(hash, 0, AUDIT_HASH_LEN);
	if (sqlite3_prepare_v2(s->db, "SELECT id, hash FROM audit_head WHERE one = 1", -1, &st,
		NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading the audit trail's head");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == AUDIT_HASH_LEN)
			memcpy(hash, sqlite3_column_blob(st, 1), AUDIT_HASH_LEN);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return err_set(e, "store: the audit trail has no head (audit_head is empty)");
	return rc == SQLITE_ROW ? 0 : sqlite_db_err(s, e, "reading the audit trail's head");
}

static int
audit_import(struct store_sqlite *s, const struct audit_record *r, size_t n, struct err *e)
{
	for (size_t i = 0; i < n; i++)
		if (audit_insert(s, r[i].id, &r[i].ev, r[i].hash, e) != 0)
			return -1;
	return head_set(s, r[n - 1].id, r[n - 1].hash, e);
}

int
sqlite_audit_import(struct store *base, const struct audit_record *r, size_t n, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own;

	if (n == 0)
		return 0;
	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, audit_import(s, r, n, e), e);
}
