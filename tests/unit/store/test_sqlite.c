/* Unit tests for the SQLite store through the store interface. */
#include "testutil.h"
#include "store/store.h"
#include "store/sqlite_int.h" /* the SQL whose query plan a test checks */

#include <sqlite3.h>
#include <sys/stat.h>

static char dir[256];
static struct store *s;

static int
setup(void **state)
{
	struct err e;

	(void)state;
	test_mkdtemp(dir, sizeof(dir));
	s = store_open(dir, "lancre.db", 1, &e);
	assert_non_null(s);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	store_close(s);
	test_rmdir(dir);
	return 0;
}

/* An issuer of the test's store (testutil.h): its id. */
static int64_t
add_issuer(const char *name)
{
	return test_issuer_stub(s, name);
}

static void
exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

/* Undoes schema 10 (a certificate's key hash, precert): back to schema 9. */
#define UNDO_SCHEMA_10                                                                       \
	"DROP INDEX certificates_spki; ALTER TABLE certificates DROP COLUMN spki_sha256;"     \
	"ALTER TABLE certificates DROP COLUMN precert;"                                       \
	"ALTER TABLE certificates DROP COLUMN precert_tbs;"

/* Undoes schemas 10, 9 and 8, 7 (key store, final revocations), then 6 (issuer
 * management), for tests that put a store back to an older version. */
#define UNDO_SCHEMA_6                                                                        \
	UNDO_SCHEMA_10                                                                       \
	"DROP TABLE tokens; DROP TABLE audit; DROP TABLE audit_head;" /* schema 9 */          \
	"DROP TABLE leases; DROP TABLE lease_holders;" /* schema 8 */                         \
	"DROP TRIGGER issuers_no_key_refs; DROP TRIGGER issuers_no_key_refs_update;"          \
	"DROP TRIGGER certificates_revocation_final; DROP TRIGGER certificates_revoked_kept;"  \
	"ALTER TABLE issuers DROP COLUMN has_key;"                                             \
	"DROP INDEX certificates_ca; ALTER TABLE certificates DROP COLUMN is_ca;"              \
	"ALTER TABLE issuers DROP COLUMN retired_at; ALTER TABLE issuers DROP COLUMN key_pass_ref;"

/*
 * Close s, the store in directory in, and run sql on its database directly
 * (to put it back into an older shape, as an older lancre left it); returns
 * the database, still open.
 */
static sqlite3 *
store_rewind(const char *in, const char *sql)
{
	char path[300];
	sqlite3 *db;

	store_close(s);
	s = NULL;
	snprintf(path, sizeof(path), "%s/lancre.db", in);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec_sql(db, sql);
	return db;
}

static struct cert_record
record(int64_t issuer, const uint8_t *serial, size_t len, uint8_t fp)
{
	struct cert_record r = {0};

	r.issuer_id = issuer;
	memcpy(r.serial, serial, len);
	r.serial_len = len;
	r.not_before = 100;
	r.not_after = 200;
	r.shard = 3;
	memset(r.fingerprint, fp, sizeof(r.fingerprint));
	r.added_at = 150;
	return r;
}

static void
test_open_modes(void **state)
{
	struct issuer_record r = {0};
	struct store *ro;
	struct err e;

	(void)state;
	/* A read-only handle's write fails as SQLite says (test_contract.c: that it fails). */
	assert_non_null(ro = store_open(dir, "lancre.db", STORE_READ, &e));
	snprintf(r.name, sizeof(r.name), "ro");
	r.crl_shards = 1;
	assert_int_equal(store_issuer_add(ro, &r, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "readonly"));
	store_close(ro);
	assert_null(store_open(dir, "lancre.db", 1, &e));
	assert_non_null(strstr(e.msg, "already exists"));
	assert_null(store_open(dir, "missing.db", 0, &e));
	assert_null(store_open(dir, "../escape.db", 0, &e));
	assert_null(store_open(dir, "postgresql://x/y", 0, &e));
	assert_non_null(strstr(e.msg, "PostgreSQL"));
	/* sqlite:NAME is the same file as NAME; sqlite:../x escapes no more than ../x. */
	assert_null(store_open(dir, "sqlite:lancre.db", 1, &e));
	assert_non_null(strstr(e.msg, "already exists"));
	assert_null(store_open(dir, "sqlite:../escape.db", 0, &e));
	assert_non_null(strstr(e.msg, "file name inside"));
}

/* Only a create makes a store: an empty or foreign file stays as it was (issue 15 item 8). */
static void
test_open_refuses_foreign_files(void **state)
{
	char path[512];
	sqlite3 *db;
	struct stat st;
	struct err e;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/empty.db", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_null(store_open(dir, "empty.db", 0, &e));
	assert_non_null(strstr(e.msg, "is empty"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);

	snprintf(path, sizeof(path), "%s/text.db", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a database, but long enough to hold a header\n", f);
	fclose(f);
	assert_null(store_open(dir, "text.db", 0, &e));
	assert_non_null(strstr(e.msg, "not an SQLite database"));

	snprintf(path, sizeof(path), "%s/other.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x); PRAGMA user_version = 3", NULL,
			     NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(store_open(dir, "other.db", 0, &e));
	assert_non_null(strstr(e.msg, "not a lancre store"));

	assert_null(store_open(dir, "missing.db", 0, &e));
	assert_non_null(strstr(e.msg, "only `lancre init` creates one"));
	assert_int_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/missing.db", dir);
	assert_int_not_equal(stat(path, &st), 0);
}

/* STORE_READ reads and never writes (issue 15 item 15). */
static void
test_reopen_keeps_data_and_schema(void **state)
{
	static const uint8_t sn[] = {0x77};
	struct cert_record r, got;
	enum store_insert_result res;
	struct err e;
	int64_t iss = add_issuer("p1");
	sqlite3 *db;
	sqlite3_stmt *st;
	char path[300];

	(void)state;
	r = record(iss, sn, 1, 5);
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	store_close(s);
	s = store_open(dir, "lancre.db", 0, &e);
	assert_non_null(s);
	assert_int_equal(store_cert_get(s, iss, sn, 1, &got, &e), 1);
	snprintf(path, sizeof(path), "%s/lancre.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* store_set_intent() sets the handle's page cache by intent, or back to the default; refuses nonsense. */
static int64_t
cache_size(void)
{
	sqlite3_stmt *st;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(((struct store_sqlite *)s)->db, "PRAGMA cache_size",
	    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
test_cache(void **state)
{
	struct err e;

	(void)state;
	assert_int_equal(cache_size(), -2000);
	assert_int_equal(store_set_intent(s, STORE_INTENT_SIGN, &e), 0);
	assert_int_equal(cache_size(), -1024 * SQLITE_CACHE_SIGN_MIB);
	assert_int_equal(store_set_intent(s, STORE_INTENT_BULK_IMPORT, &e), 0);
	assert_int_equal(cache_size(), -1024 * SQLITE_CACHE_IMPORT_MIB);
	assert_int_equal(store_set_intent(s, STORE_INTENT_COUNT, &e), -1);
	assert_non_null(strstr(e.msg, "unknown intent"));
	assert_int_equal(cache_size(), -1024 * SQLITE_CACHE_IMPORT_MIB);
	assert_int_equal(store_set_intent(s, STORE_INTENT_DEFAULT, &e), 0);
	assert_int_equal(cache_size(), -1024 * SQLITE_CACHE_DEFAULT_MIB);
}

/*
 * Due responses come by due time, then in the order they were written, page
 * after page, from a cursor: a page read before the previous one's new
 * due_at is written must not return it again.  Expired certificates and future due times are left
 * out; the SHA-256 row does not make a certificate come twice.
 */
static void store_purge_and_reschedule(int64_t iss);

/* How many certificates store_ocsp_due() returns at now, min_not_after, in pages of 2. */
static size_t
due_count(int64_t now, int64_t min_not_after)
{
	struct store_cursor after = {0};
	struct cert_record out[2];
	struct err e;
	size_t n, total = 0;

	do {
		assert_int_equal(store_ocsp_due(s, now, min_not_after, &after, out, 2, &n, &e), 0);
		total += n;
	} while (n == 2);
	return total;
}

static void
test_ocsp_due_pages(void **state)
{
	static const int64_t due[] = {50, 10, 30, 10, 999, 20, 40};
	uint8_t sn[1], der[] = {0x30, 0x00};
	struct cert_record r, out[3];
	struct store_cursor after = {0};
	struct ocsp_record o;
	enum store_insert_result res;
	struct err e;
	int64_t iss = add_issuer("due1"), ids[7], seen[8];
	size_t n, total = 0;

	(void)state;
	for (int i = 0; i < 7; i++) {
		sn[0] = (uint8_t)(i + 1);
		r = record(iss, sn, 1, (uint8_t)(10 + i));
		r.not_after = i == 6 ? 90 : 200; /* the last one is expired at 100 */
		assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
		ids[i] = r.id;
		for (int h = OCSP_HASH_SHA1; h <= OCSP_HASH_SHA256; h++) {
			o = (struct ocsp_record){.cert_id = r.id, .issuer_id = iss, .hash = h,
			    .der = der, .der_len = sizeof(der), .this_update = 1, .next_update = 2,
			    .due_at = due[i]};
			assert_int_equal(store_ocsp_put(s, &o, 1, &e), 0);
		}
	}
	do { /* now = 100: all but the one due at 999 and the expired one */
		assert_int_equal(store_ocsp_due(s, 100, 100, &after, out, 3, &n, &e), 0);
		for (size_t i = 0; i < n; i++)
			seen[total++] = out[i].id;
	} while (n == 3);
	assert_int_equal(total, 5);
	assert_int_equal(seen[0], ids[1]); /* due 10 */
	assert_int_equal(seen[1], ids[3]); /* due 10, written later */
	assert_int_equal(seen[2], ids[5]); /* 20 */
	assert_int_equal(seen[3], ids[2]); /* 30 */
	assert_int_equal(seen[4], ids[0]); /* 50 */
	store_purge_and_reschedule(iss);
}

/* The first row sql gives on the store in directory d, its columns joined by '|'. */
static void
query_row(const char *d, const char *sql, char *out, size_t len)
{
	char path[300];
	size_t used = 0;
	sqlite3 *db;
	sqlite3_stmt *st;

	snprintf(path, sizeof(path), "%s/lancre.db", d);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	out[0] = '\0';
	for (int i = 0; i < sqlite3_column_count(st) && used < len; i++) {
		used += (size_t)snprintf(out + used, len - used, "%s%s", i > 0 ? "|" : "",
		    (const char *)sqlite3_column_text(st, i));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* The due times of the ranges in the store in directory d, in order: "10,500". */
static void
due_ranges(const char *d, char *out, size_t len)
{
	query_row(d, "SELECT coalesce(group_concat(due_at), '') FROM"
		     " (SELECT due_at FROM ocsp_due ORDER BY last_id)", out, len);
}

/*
 * For a test with a store of its own, in own (the shared store's rows would
 * be in the way): s is that store until own_store_end().  Returns the shared one.
 */
static struct store *
own_store_begin(char *own, size_t len)
{
	struct store *shared = s;
	struct err e;

	test_mkdtemp(own, len);
	s = store_open(own, "lancre.db", 1, &e);
	assert_non_null(s);
	return shared;
}

static void
own_store_end(struct store *shared, const char *own)
{
	store_close(s);
	s = shared;
	test_rmdir(own);
}

/* Write both responses of each certificate in c[0..n-1], due at due, in one call. */
static void
put_both(const int64_t *c, size_t n, int64_t due)
{
	static uint8_t der[] = {0x30, 0x00};
	struct ocsp_record o[8];
	struct err e;

	assert_true(n <= 4);
	for (size_t i = 0; i < 2 * n; i++)
		o[i] = (struct ocsp_record){.cert_id = c[i / 2], .hash = i % 2 ? OCSP_HASH_SHA256
		    : OCSP_HASH_SHA1, .der = der, .der_len = sizeof(der), .this_update = 1,
		    .next_update = 2, .due_at = due};
	assert_int_equal(store_ocsp_put(s, o, 2 * n, &e), 0);
}

/*
 * Settling after a refresh: a range whose responses were all rewritten is
 * dropped; one with responses left moves to the earliest still due, those of
 * expired certificates left out; a purge drops the ranges it empties.  In a
 * store of its own (the other tests' ranges would be in the way).
 */
static void
test_ocsp_refresh_done(void **state)
{
	uint8_t sn[1];
	struct cert_record r;
	enum store_insert_result res;
	struct err e;
	char own[256], got[128], path[300];
	struct store *shared = own_store_begin(own, sizeof(own));
	sqlite3 *db;
	int64_t iss, c[4], deleted; /* a, b, c, and d which expires at 90 */

	(void)state;
	iss = add_issuer("settle1");
	for (int i = 0; i < 4; i++) {
		sn[0] = (uint8_t)(i + 1);
		r = record(iss, sn, 1, (uint8_t)i);
		r.not_after = i == 3 ? 90 : 5000;
		assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
		c[i] = r.id;
		put_both(&c[i], 1, i == 0 ? 10 : i == 1 ? 50 : i == 2 ? 999 : 20);
	}
	/* One range per write, due at its SHA-1 response's time. */
	due_ranges(own, got, sizeof(got));
	assert_string_equal(got, "10,50,999,20");
	/* Nothing due at 0: settling writes nothing, so another writer does not hold it up. */
	snprintf(path, sizeof(path), "%s/lancre.db", own);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec_sql(db, "BEGIN IMMEDIATE");
	assert_int_equal(store_ocsp_refresh_done(s, 0, 100, &e), 0);
	exec_sql(db, "COMMIT");
	sqlite3_close(db);
	due_ranges(own, got, sizeof(got));
	assert_string_equal(got, "10,50,999,20");
	assert_int_equal(due_count(100, 100), 2); /* a and b; not c (999), not d (expired) */
	put_both(c, 2, 500);                       /* a and b re-signed */
	assert_int_equal(store_ocsp_refresh_done(s, 100, 100, &e), 0);
	due_ranges(own, got, sizeof(got)); /* a's and b's gone; d's never (expired) */
	assert_string_equal(got, "999,9223372036854775807,500");
	assert_int_equal(due_count(100, 100), 0);
	assert_int_equal(due_count(600, 100), 2);
	assert_int_equal(due_count(1000, 100), 3);
	/* A purge drops d's responses, and the ranges they leave empty. */
	assert_int_equal(store_ocsp_purge(s, 100, &deleted, &e), 0);
	assert_int_equal(deleted, 2);
	due_ranges(own, got, sizeof(got));
	assert_string_equal(got, "999,500");
	/* A range whose responses are all rewritten goes at the next settling. */
	put_both(c, 3, 2000);
	assert_int_equal(store_ocsp_refresh_done(s, 1000, 100, &e), 0);
	due_ranges(own, got, sizeof(got));
	assert_string_equal(got, "2000");
	own_store_end(shared, own);
}

/*
 * The ids store_certs_changed() returns from *after ({0}: the start), in pages
 * of max, into ids; how many.  *after ends where the scan did.
 */
static size_t
changed_ids(struct store_cursor *after, size_t max, int64_t *ids, size_t cap)
{
	struct cert_record out[4];
	struct err e;
	size_t n, total = 0;

	assert_true(max <= 4);
	do {
		assert_int_equal(store_certs_changed(s, after, 100, out, max, &n, &e), 0);
		for (size_t i = 0; i < n; i++) {
			assert_true(total < cap);
			ids[total++] = out[i].id;
		}
		if (n > 0) { /* at or past the last row */
			assert_true(store_cursor_passed(s, after, &out[n - 1]));
		}
	} while (n == max);
	return total;
}

/*
 * Changed certificates: those above the highest cert_seq of any response are
 * returned without looking for their responses, those at or below it only if
 * their response is missing or older; in (change_seq, id) order across the
 * seam, a page at a time.  The cursor moves past what the scan passed over:
 * resumed from it, a scan finds only what changed since.  In a store of its
 * own.
 */
static void
test_certs_changed_above_responses(void **state)
{
	static uint8_t der[] = {0x30, 0x00};
	uint8_t sn[1];
	struct cert_record r[4];
	struct ocsp_record o;
	enum store_insert_result res;
	struct err e;
	char own[256];
	struct store *shared = own_store_begin(own, sizeof(own));
	int64_t iss, ids[8], top;
	struct store_cursor from, mark;

	(void)state;
	iss = add_issuer("changed1");
	for (int i = 0; i < 3; i++) { /* a, b, c: change_seq 1, 2, 3 */
		sn[0] = (uint8_t)(i + 1);
		r[i] = record(iss, sn, 1, (uint8_t)i);
		assert_int_equal(store_cert_insert(s, &r[i], &res, &e), 0);
	}
	from = (struct store_cursor){{0}};
	assert_int_equal(changed_ids(&from, 4, ids, 8), 3);
	/* a and b signed: only c is left, and the highest cert_seq is b's. */
	for (int i = 0; i < 2; i++) {
		o = (struct ocsp_record){.cert_id = r[i].id, .hash = OCSP_HASH_SHA1, .der = der,
		    .der_len = sizeof(der), .this_update = 1, .next_update = 2, .due_at = 150,
		    .cert_seq = r[i].change_seq};
		assert_int_equal(store_ocsp_put(s, &o, 1, &e), 0);
	}
	assert_int_equal(sqlite_counter((struct store_sqlite *)s, "ocsp_cert_seq", &top, &e), 0);
	assert_int_equal(top, r[1].change_seq);
	from = (struct store_cursor){{0}};
	assert_int_equal(changed_ids(&from, 4, ids, 8), 1);
	assert_int_equal(ids[0], r[2].id);
	/* d signed before c: c is below the top now, and found by its missing response. */
	sn[0] = 4;
	r[3] = record(iss, sn, 1, 3);
	assert_int_equal(store_cert_insert(s, &r[3], &res, &e), 0);
	o.cert_id = r[3].id;
	o.cert_seq = r[3].change_seq;
	assert_int_equal(store_ocsp_put(s, &o, 1, &e), 0);
	mark = (struct store_cursor){{0}};
	assert_int_equal(changed_ids(&mark, 4, ids, 8), 1);
	assert_int_equal(ids[0], r[2].id);
	/* The scan passed over d (signed): its cursor is at the top, past d. */
	assert_int_equal(SQLITE_CUR_CHANGE_SEQ(&mark), r[3].change_seq);
	assert_int_equal(SQLITE_CUR_CERT_ID(&mark), INT64_MAX);
	/* a revoked: above the top again; c, then a, one page at a time. */
	assert_int_equal(store_cert_revoke(s, r[0].id, 160, 1, &e), 0);
	from = (struct store_cursor){{0}};
	assert_int_equal(changed_ids(&from, 1, ids, 8), 2);
	assert_int_equal(ids[0], r[2].id);
	assert_int_equal(ids[1], r[0].id);
	/* Resumed from the mark: a alone. */
	assert_int_equal(changed_ids(&mark, 4, ids, 8), 1);
	assert_int_equal(ids[0], r[0].id);
	own_store_end(shared, own);
}

struct revoked_seen {
	int n;
	int64_t issuer[4], seq[4];
	int shard[4];
};

static int
note_revoked(void *arg, int64_t issuer_id, int shard, int64_t seq, int64_t n, struct err *e)
{
	(void)e, (void)n;
	struct revoked_seen *r = arg;

	assert_true(r->n < 4);
	r->issuer[r->n] = issuer_id;
	r->shard[r->n] = shard;
	r->seq[r->n++] = seq;
	return 0;
}

static int
stop_walk(void *arg, int64_t issuer_id, int shard, int64_t seq, int64_t n, struct err *e)
{
	(void)arg, (void)issuer_id, (void)shard, (void)seq, (void)n;
	return err_set(e, "stopped by the callback");
}

/* The change_seq of the certificate with this one-byte serial. */
static int64_t
cert_seq(int64_t iss, uint8_t serial)
{
	struct cert_record got;
	struct err e;

	assert_int_equal(store_cert_get(s, iss, &serial, 1, &got, &e), 1);
	return got.change_seq;
}

/*
 * Revocations since a change_seq, by (issuer, shard) with the newest
 * change_seq of each; after a change_seq, through the change_seq index, not
 * the partial index of every revoked certificate.  In a store of its own.
 */
static void
test_revoked_since(void **state)
{
	uint8_t sn[1];
	struct cert_record r;
	enum store_insert_result res;
	struct revoked_seen seen = {0};
	struct err e;
	char own[256], plan[512];
	struct store *shared = own_store_begin(own, sizeof(own));
	int64_t iss, a, c;

	(void)state;
	iss = add_issuer("revoked1");
	for (int i = 0; i < 2; i++) { /* a in shard 1, b in shard 2; c (shard 2) comes later */
		sn[0] = (uint8_t)(i + 1);
		r = record(iss, sn, 1, (uint8_t)i);
		r.shard = i + 1;
		assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
		assert_int_equal(store_cert_revoke(s, r.id, 170, 1, &e), 0);
	}
	assert_int_equal(store_revoked_since(s, 0, note_revoked, &seen, &e), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.issuer[0], iss);
	assert_int_equal(seen.shard[0], 1);
	assert_int_equal(seen.seq[0], a = cert_seq(iss, 1));
	assert_int_equal(seen.shard[1], 2);
	assert_int_equal(seen.seq[1], cert_seq(iss, 2));
	sn[0] = 3;
	r = record(iss, sn, 1, 2);
	r.shard = 2;
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	assert_int_equal(store_cert_revoke(s, r.id, 180, 1, &e), 0);
	c = cert_seq(iss, 3);
	seen.n = 0;
	assert_int_equal(store_revoked_since(s, a, note_revoked, &seen, &e), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.shard[0], 2);
	assert_int_equal(seen.seq[0], c);
	seen.n = 0;
	assert_int_equal(store_revoked_since(s, c, note_revoked, &seen, &e), 0);
	assert_int_equal(seen.n, 0);
	/* A callback that stops the walk says why, in the walk's own error. */
	assert_int_equal(store_revoked_since(s, 0, stop_walk, NULL, &e), -1);
	assert_string_equal(e.msg, "stopped by the callback");
	query_row(own, "EXPLAIN QUERY PLAN " SQLITE_REVOKED_SINCE, plan, sizeof(plan));
	if (strstr(plan, "INDEX certificates_change_seq") == NULL)
		fail_msg("revocations since a change_seq: %s", plan);
	own_store_end(shared, own);
}

/*
 * A purge looks only at certificates that expired since the last one's
 * cutoff: a response put back (by hand: the signer signs no expired
 * certificate) for one expired before it stays; the cutoff only rises.  In a
 * store of its own.
 */
static void
test_purge_since_last_cutoff(void **state)
{
	uint8_t sn[1];
	struct cert_record r;
	enum store_insert_result res;
	struct err e;
	char own[256], got[64], want[64];
	struct store *shared = own_store_begin(own, sizeof(own));
	int64_t iss, c[3], deleted;

	(void)state;
	iss = add_issuer("purge1");
	for (int i = 0; i < 3; i++) { /* a, b, c expire at 50, 150, 300 */
		sn[0] = (uint8_t)(i + 1);
		r = record(iss, sn, 1, (uint8_t)i);
		r.not_after = i == 0 ? 50 : i == 1 ? 150 : 300;
		assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
		c[i] = r.id;
	}
	put_both(c, 3, 999);
	assert_int_equal(store_ocsp_purge(s, 100, &deleted, &e), 0);
	assert_int_equal(deleted, 2); /* a's */
	query_row(own, "SELECT value FROM meta WHERE key = 'ocsp_purged_before'", got, sizeof(got));
	assert_string_equal(got, "100");
	assert_int_equal(store_ocsp_purge(s, 100, &deleted, &e), 0);
	assert_int_equal(deleted, 0);
	put_both(c, 1, 999); /* a's back */
	assert_int_equal(store_ocsp_purge(s, 200, &deleted, &e), 0);
	assert_int_equal(deleted, 2); /* b's, not a's */
	assert_int_equal(store_ocsp_purge(s, 150, &deleted, &e), 0); /* an earlier cutoff */
	assert_int_equal(deleted, 0);
	query_row(own, "SELECT group_concat(cert_id) FROM (SELECT DISTINCT cert_id FROM"
		       " ocsp_responses ORDER BY cert_id)", got, sizeof(got));
	snprintf(want, sizeof(want), "%lld,%lld", (long long)c[0], (long long)c[2]);
	assert_string_equal(got, want);
	assert_int_equal(store_ocsp_purge(s, 400, &deleted, &e), 0);
	assert_int_equal(deleted, 2); /* c's */
	own_store_end(shared, own);
}

/*
 * Certificates written by one transaction share a change_seq: a scan paged
 * one at a time goes through them in id order (the rest of the cursor's
 * change_seq), then on to later ones.  In a store of its own.
 */
static void
test_certs_changed_same_seq(void **state)
{
	uint8_t sn[1];
	struct cert_record r[4];
	enum store_insert_result res;
	struct store_cursor from = {{0}};
	struct err e;
	char own[256];
	struct store *shared = own_store_begin(own, sizeof(own));
	int64_t iss, ids[8];

	(void)state;
	iss = add_issuer("sameseq1");
	assert_int_equal(store_begin(s, &e), 0);
	for (int i = 0; i < 3; i++) {
		sn[0] = (uint8_t)(i + 1);
		r[i] = record(iss, sn, 1, (uint8_t)i);
		assert_int_equal(store_cert_insert(s, &r[i], &res, &e), 0);
	}
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(r[0].change_seq, r[2].change_seq);
	assert_int_equal(changed_ids(&from, 1, ids, 8), 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ids[i], r[i].id);
	sn[0] = 4;
	r[3] = record(iss, sn, 1, 3);
	assert_int_equal(store_cert_insert(s, &r[3], &res, &e), 0);
	assert_int_equal(changed_ids(&from, 1, ids, 8), 1);
	assert_int_equal(ids[0], r[3].id);
	own_store_end(shared, own);
}

/* The signer's mark: {0} in a new store; what was set, after a reopen too; a rollback keeps none. */
static void
test_signed_upto(void **state)
{
	const struct store_signed_upto want = {7, sqlite_changed_cursor(12, INT64_MAX)},
				      other = {8, sqlite_changed_cursor(13, 5)};
	struct store_signed_upto got;
	struct err e;
	char own[256];
	struct store *shared = own_store_begin(own, sizeof(own));

	(void)state;
	assert_int_equal(store_signed_upto_get(s, &got, &e), 0);
	assert_int_equal(got.issuer_seq, 0);
	assert_int_equal(SQLITE_CUR_CHANGE_SEQ(&got.at), 0);
	assert_int_equal(SQLITE_CUR_CERT_ID(&got.at), 0);
	assert_int_equal(store_signed_upto_set(s, &want, &e), 0);
	store_close(s);
	assert_non_null(s = store_open(own, "lancre.db", 0, &e));
	assert_int_equal(store_signed_upto_get(s, &got, &e), 0);
	assert_int_equal(got.issuer_seq, 7);
	assert_int_equal(SQLITE_CUR_CHANGE_SEQ(&got.at), 12);
	assert_int_equal(SQLITE_CUR_CERT_ID(&got.at), INT64_MAX);
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(store_signed_upto_set(s, &other, &e), 0);
	assert_int_equal(store_rollback(s, &e), 0);
	assert_int_equal(store_signed_upto_get(s, &got, &e), 0);
	assert_int_equal(got.issuer_seq, 7);
	assert_int_equal(SQLITE_CUR_CHANGE_SEQ(&got.at), 12);
	own_store_end(shared, own);
}

/* Responses held (*(int *)arg)++, and those due at once (due_at 0) in arg[1]. */
static int
count_response(void *arg, const struct ocsp_record *r)
{
	(*(int *)arg)++;
	((int *)arg)[1] += r->due_at == 0;
	return 0;
}

/*
 * After test_ocsp_due_pages: purging at 100 drops both responses of the
 * expired certificate and no other; a new OCSP responder for the issuer
 * makes every remaining response, of both hashes, due at once.
 */
static void
store_purge_and_reschedule(int64_t iss)
{
	int64_t deleted;
	int counts[2] = {0, 0};
	struct err e;

	assert_int_equal(store_ocsp_purge(s, 100, &deleted, &e), 0);
	assert_int_equal(deleted, 2);
	assert_int_equal(store_ocsp_each(s, 0, count_response, counts, &e), 0);
	assert_int_equal(counts[0], 12);
	assert_int_equal(counts[1], 0);
	assert_int_equal(store_issuer_set_ocsp_signer(s, iss, NULL, 0, "", &e), 0);
	counts[0] = counts[1] = 0;
	assert_int_equal(store_ocsp_each(s, 0, count_response, counts, &e), 0);
	assert_int_equal(counts[0], 12);
	assert_int_equal(counts[1], 12);
	/* And the refresh finds them all, the one due at 999 too. */
	assert_int_equal(due_count(1, 1), 6);
}

struct many_seen {
	int n;
	uint8_t first[200]; /* der[0] of each response, by (cert_id - base) * 2 + hash - 1 */
	int64_t base;
};

static int
note_many(void *arg, const struct ocsp_record *r)
{
	struct many_seen *m = arg;
	int64_t k = (r->cert_id - m->base) * 2 + (int64_t)r->hash - 1;

	assert_true(k >= 0 && k < 200);
	assert_int_equal(r->der_len, 3);
	m->first[k] = r->der[0];
	m->n++;
	return 0;
}

/*
 * Many responses in one call (two statements of 64 rows and four of one):
 * every one stored with its own bytes; writing them again replaces them.
 */
static void
test_ocsp_put_many(void **state)
{
	enum { CERTS = 66, N = 2 * CERTS };
	struct ocsp_record o[N];
	uint8_t der[N][3], sn[2];
	struct cert_record r;
	enum store_insert_result res;
	struct many_seen seen;
	struct err e;
	int64_t iss = add_issuer("many1"), base = 0;

	(void)state;
	for (int i = 0; i < CERTS; i++) {
		sn[0] = 0x70;
		sn[1] = (uint8_t)i;
		r = record(iss, sn, 2, (uint8_t)(100 + i));
		r.not_after = 200;
		assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
		base = i == 0 ? r.id : base;
		for (int h = 0; h < 2; h++) {
			int k = 2 * i + h;
			der[k][0] = (uint8_t)k;
			der[k][1] = der[k][2] = 0;
			o[k] = (struct ocsp_record){.cert_id = r.id, .issuer_id = iss,
			    .hash = h == 0 ? OCSP_HASH_SHA1 : OCSP_HASH_SHA256, .der = der[k],
			    .der_len = 3, .this_update = 1, .next_update = 2, .due_at = 150};
		}
	}
	for (int round = 0; round < 2; round++) {
		for (int k = 0; k < N; k++)
			der[k][0] = (uint8_t)(k + 100 * round);
		assert_int_equal(store_ocsp_put(s, o, N, &e), 0);
		assert_true(o[0].seq > 0);
		assert_int_equal(o[N - 1].seq, o[0].seq + N - 1); /* in write order */
		memset(&seen, 0, sizeof(seen));
		seen.base = base;
		assert_int_equal(store_ocsp_each(s, o[0].seq - 1, note_many, &seen, &e), 0);
		assert_int_equal(seen.n, N);
		for (int k = 0; k < N; k++)
			assert_int_equal(seen.first[k], (uint8_t)(k + 100 * round));
	}
}

/*
 * Schema 1 -> 4: ocsp_responses was a WITHOUT ROWID table keyed by
 * (cert_id, hash_alg); 2 made it a rowid table, 3 kept only SHA-1 rows in
 * the due index, 4 numbers responses in write order and keeps due times per
 * range of them.  A store at version 1 with responses (put back into that
 * shape by hand, as a version-1 lancre left it) opens at the latest version
 * (5) with every response kept and readable, by certificate, by due time and
 * in order.
 */
static void
test_migration_keeps_responses(void **state)
{
	static const uint8_t sn[] = {0x51};
	uint8_t der[] = {0x30, 0x03, 0x02, 0x01, 0x07};
	struct cert_record r, out[4];
	struct store_cursor after = {0};
	struct ocsp_record o;
	enum store_insert_result res;
	struct err e;
	sqlite3 *db;
	sqlite3_stmt *st;
	char got[64];
	size_t n;
	int64_t iss = add_issuer("m1"), seq, n64;

	(void)state;
	r = record(iss, sn, 1, 9);
	r.not_after = 1000;
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	db = store_rewind(dir, UNDO_SCHEMA_6 "DROP TABLE ocsp_responses;"
		     "DROP TABLE ocsp_due;"
		     "DELETE FROM meta WHERE key = 'ocsp_cert_seq';"
		     "CREATE TABLE ocsp_responses (cert_id INTEGER NOT NULL REFERENCES"
		     " certificates(id) ON DELETE CASCADE, hash_alg INTEGER NOT NULL,"
		     " der BLOB NOT NULL, this_update INTEGER NOT NULL, next_update INTEGER"
		     " NOT NULL, due_at INTEGER NOT NULL, cert_seq INTEGER NOT NULL, seq INTEGER"
		     " NOT NULL, PRIMARY KEY (cert_id, hash_alg)) WITHOUT ROWID;"
		     "CREATE INDEX ocsp_responses_due ON ocsp_responses (due_at);"
		     "CREATE INDEX ocsp_responses_seq ON ocsp_responses (seq);"
		     "UPDATE meta SET value = 12 WHERE key = 'ocsp_seq';" /* as written below */
		     "PRAGMA user_version = 1;");
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO ocsp_responses VALUES (?, ?, ?, 1, 2,"
					    " 50, 1, ?)", -1, &st, NULL), SQLITE_OK);
	for (int h = 1; h <= 2; h++) {
		sqlite3_bind_int64(st, 1, r.id);
		sqlite3_bind_int(st, 2, h);
		sqlite3_bind_blob(st, 3, der, sizeof(der), SQLITE_STATIC);
		sqlite3_bind_int(st, 4, 10 + h);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);

	s = store_open(dir, "lancre.db", 0, &e);
	assert_non_null(s);
	query_row(dir, "PRAGMA user_version", got, sizeof(got));
	assert_string_equal(got, "10");
	/* Schema 4: the two responses are one range (count, first id, last id, due time). */
	query_row(dir, "SELECT count(*), min(first_id), max(last_id), min(due_at) FROM ocsp_due",
	    got, sizeof(got));
	assert_string_equal(got, "1|1|2|50");
	assert_int_equal(store_seq(s, STORE_SEQ_OCSP, &seq, &e), 0);
	assert_int_equal(seq, 2); /* the server's cursor: the highest id */
	assert_int_equal(sqlite_counter((struct store_sqlite *)s, "ocsp_cert_seq", &n64, &e), 0);
	assert_int_equal(n64, 1); /* the highest cert_seq of the copied responses */
	/* By due time (the signer's cursor) ... */
	assert_int_equal(store_ocsp_due(s, 100, 100, &after, out, 4, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].id, r.id);
	/* ... in order (the server's reload: both, then only the rewritten one) ... */
	int seen[2] = {0, 0};
	assert_int_equal(store_ocsp_each(s, 0, count_response, seen, &e), 0);
	assert_int_equal(seen[0], 2);
	/* ... and a rewrite replaces, not adds. */
	o = (struct ocsp_record){.cert_id = r.id, .issuer_id = iss, .hash = OCSP_HASH_SHA1,
	    .der = der, .der_len = sizeof(der), .this_update = 3, .next_update = 4, .due_at = 60};
	assert_int_equal(store_ocsp_put(s, &o, 1, &e), 0);
	query_row(dir, "SELECT count(*), sum(hash_alg), min(due_at), max(due_at) FROM ocsp_responses",
	    got, sizeof(got));
	assert_string_equal(got, "2|3|50|60");
	seen[0] = 0;
	assert_int_equal(store_ocsp_each(s, seq, count_response, seen, &e), 0);
	assert_int_equal(seen[0], 1);
	assert_int_equal(o.seq, 3); /* after the copied ones (AUTOINCREMENT kept by the rename) */
}

static int
note_crl(void *arg, const struct crl_record *r, struct err *e)
{
	(void)e;
	char *out = arg;

	snprintf(out, 64, "%d:%02x%02x%02x", r->shard, r->der[0], r->der[1], r->der[2]);
	return 0;
}

/*
 * Schema 4 -> 5: crls was a WITHOUT ROWID table with der before built_seq
 * and seq; 5 makes it a rowid table with der last.  A stored CRL is kept,
 * found by (issuer, shard) (by a statement kept prepared, which must not
 * keep a read transaction open), read whole, and replaced, not added to.
 * In a store of its own.
 */
static void
test_migration_crls(void **state)
{
	static const uint8_t der[] = {0x30, 0x01, 0x05};
	struct crl_record got, put;
	struct err e;
	char own[256], row[128];
	struct store *shared = own_store_begin(own, sizeof(own));
	sqlite3 *db;
	int64_t iss;

	(void)state;
	iss = add_issuer("crl5");
	db = store_rewind(own, UNDO_SCHEMA_6 "DROP TABLE crls;"
		     "CREATE TABLE crls (issuer_id INTEGER NOT NULL REFERENCES issuers(id),"
		     " shard INTEGER NOT NULL, number INTEGER NOT NULL, this_update INTEGER NOT"
		     " NULL, next_update INTEGER NOT NULL, der BLOB NOT NULL, built_seq INTEGER"
		     " NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (issuer_id, shard))"
		     " WITHOUT ROWID;"
		     "INSERT INTO crls VALUES (1, 0, 7, 100, 200, x'300102', 3, 4);"
		     "PRAGMA user_version = 4;");
	sqlite3_close(db);
	assert_non_null(s = store_open(own, "lancre.db", 0, &e));
	query_row(own, "SELECT (SELECT user_version FROM pragma_user_version),"
		       " instr(sql, 'WITHOUT ROWID') FROM sqlite_master WHERE name = 'crls'",
	    row, sizeof(row));
	assert_string_equal(row, "10|0");
	assert_int_equal(store_crl_get(s, iss, 0, &got, &e), 1);
	assert_int_equal(got.number, 7);
	assert_int_equal(got.this_update, 100);
	assert_int_equal(got.next_update, 200);
	assert_int_equal(got.built_seq, 3);
	assert_int_equal(got.seq, 4);
	/* The lookup keeps no read transaction open: a checkpoint can empty the WAL. */
	query_row(own, "PRAGMA wal_checkpoint(TRUNCATE)", row, sizeof(row));
	assert_string_equal(row, "0|0|0");
	assert_int_equal(store_crl_each(s, note_crl, row, &e), 0);
	assert_string_equal(row, "0:300102");
	put = (struct crl_record){.issuer_id = iss, .shard = 0, .number = 8, .this_update = 300,
	    .next_update = 400, .der = der, .der_len = sizeof(der), .built_seq = 5};
	assert_int_equal(store_crl_put(s, &put, &e), 0);
	assert_int_equal(store_crl_get(s, iss, 0, &got, &e), 1);
	assert_int_equal(got.number, 8);
	assert_int_equal(got.built_seq, 5);
	assert_int_equal(store_crl_each(s, note_crl, row, &e), 0);
	assert_string_equal(row, "0:300105");
	query_row(own, "SELECT count(*) FROM crls", row, sizeof(row));
	assert_string_equal(row, "1");
	own_store_end(shared, own);
}

/*
 * Schema 9 -> 10: a store of schema 9 with a certificate opens at 10; the
 * old row has no key hash (NULL: its DER was never kept) and is not
 * precert, a certificate recorded after has both columns as given, and
 * the key hash is indexed without the issuer (one key, several issuers).
 */
static void
test_migration_spki(void **state)
{
	struct cert_record r, got;
	enum store_insert_result res;
	struct err e;
	char own[256], row[256];
	struct store *shared = own_store_begin(own, sizeof(own));
	int64_t iss;

	(void)state;
	iss = add_issuer("spki9");
	r = record(iss, (const uint8_t[]){0x61}, 1, 7);
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	sqlite3_close(store_rewind(own, UNDO_SCHEMA_10 "PRAGMA user_version = 9;"));
	query_row(own, "SELECT count(*) FROM pragma_table_info('certificates')"
		       " WHERE name IN ('spki_sha256', 'precert', 'precert_tbs')", row, sizeof(row));
	assert_string_equal(row, "0");
	assert_non_null(s = store_open(own, "lancre.db", 0, &e));
	query_row(own, "SELECT (SELECT user_version FROM pragma_user_version),"
		       " (SELECT group_concat(name) FROM pragma_index_info('certificates_spki')),"
		       " quote(spki_sha256), precert, quote(precert_tbs) FROM certificates",
	    row, sizeof(row));
	assert_string_equal(row, "10|spki_sha256|NULL|0|NULL");
	assert_int_equal(store_cert_get(s, iss, r.serial, 1, &got, &e), 1);
	assert_int_equal(got.has_spki, 0);
	assert_int_equal(got.precert, 0);
	r = record(iss, (const uint8_t[]){0x62}, 1, 8);
	memset(r.spki_sha256, 0xab, sizeof(r.spki_sha256));
	r.has_spki = 1;
	r.precert = 1;
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	assert_int_equal(store_cert_get(s, iss, r.serial, 1, &got, &e), 1);
	assert_int_equal(got.has_spki, 1);
	assert_int_equal(got.spki_sha256[31], 0xab);
	assert_int_equal(got.precert, 1);
	own_store_end(shared, own);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_modes),
	    cmocka_unit_test(test_open_refuses_foreign_files),
	    cmocka_unit_test(test_cache),
	    cmocka_unit_test(test_reopen_keeps_data_and_schema),
	    cmocka_unit_test(test_ocsp_due_pages),
	    cmocka_unit_test(test_ocsp_refresh_done),
	    cmocka_unit_test(test_certs_changed_above_responses),
	    cmocka_unit_test(test_certs_changed_same_seq),
	    cmocka_unit_test(test_purge_since_last_cutoff),
	    cmocka_unit_test(test_signed_upto),
	    cmocka_unit_test(test_revoked_since),
	    cmocka_unit_test(test_ocsp_put_many),
	    cmocka_unit_test(test_migration_keeps_responses),
	    cmocka_unit_test(test_migration_crls),
	    cmocka_unit_test(test_migration_spki),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
