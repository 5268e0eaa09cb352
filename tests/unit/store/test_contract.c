/*
 * test_contract.c - the store contract (store/store.h), one suite run
 * against every backend.  A backend is one entry of backends[]: its name
 * and how a lancre command opens its store for a data directory (the
 * test's first STORE_CREATE makes a fresh one), with what ends a test (done:
 * removes what the open made, NULL: nothing) and whether it can run here
 * (ready: NULL for always).  The tests use store.h only: nothing here knows
 * how a backend keeps its data.  The embedded SQLite store runs always; the
 * PostgreSQL store runs when LANCRE_TEST_PG names a server (pgtest.h), each
 * test on a database of its own, and otherwise says in one line that it was
 * not run.  What only one backend does (its files, its SQL, its query
 * plans) is tested beside it (test_sqlite.c, test_access.c,
 * test_postgresql.c).
 */
#include "testutil.h"
#include "pgtest.h"
#include "store/audit.h"
#include "store/store.h"

#include <pthread.h>

#include <time.h>

struct backend {
	const char *name;
	struct store *(*open)(const char *dir, enum store_mode mode, struct err *e);
	void (*done)(void);
	const char *(*ready)(void); /* NULL when it can run, else why not */
};

static struct store *
sqlite_open_dir(const char *d, enum store_mode mode, struct err *e)
{
	return store_open(d, "sqlite:lancre.db", mode, e);
}

/* The test's database (pgtest.h): made by its first STORE_CREATE, dropped by pg_done. */
static char pg_name[64], pg_db[PGTEST_URL_MAX];

static struct store *
pg_open_dir(const char *d, enum store_mode mode, struct err *e)
{
	if (pg_db[0] == '\0' && mode == STORE_CREATE &&
	    pgtest_create(pg_name, sizeof(pg_name), pg_db, sizeof(pg_db)) != 0)
		fail_msg("postgresql: cannot create a test database");
	return store_open(d, pg_db, mode, e);
}

static void
pg_done(void)
{
	if (pg_name[0] != '\0')
		assert_int_equal(pgtest_drop(pg_name), 0);
	pg_name[0] = pg_db[0] = '\0';
}

static const char *
pg_ready(void)
{
	return pgtest_url() != NULL ? NULL : "LANCRE_TEST_PG is not set";
}

static const struct backend backends[] = {
    {"sqlite", sqlite_open_dir, NULL, NULL},
    {"postgresql", pg_open_dir, pg_done, pg_ready},
};

static const struct backend *cur; /* the backend the suite is running against */
static char dir[256];
static struct store *s;

static int
setup(void **state)
{
	struct err e;

	(void)state;
	test_mkdtemp(dir, sizeof(dir));
	s = cur->open(dir, STORE_CREATE, &e);
	if (s == NULL)
		fail_msg("%s: %s", cur->name, e.msg);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	store_close(s);
	s = NULL;
	if (cur->done != NULL)
		cur->done();
	test_rmdir(dir);
	return 0;
}

/* An issuer of the test's store (testutil.h): its id. */
static int64_t
add_issuer(const char *name)
{
	return test_issuer_stub(s, name);
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

/* Insert a certificate with a two-byte serial (hi, lo); returns its record. */
static struct cert_record
insert(int64_t iss, uint8_t hi, uint8_t lo)
{
	const uint8_t sn[2] = {hi, lo};
	struct cert_record r = record(iss, sn, 2, (uint8_t)(hi ^ lo ^ 0x5a));
	enum store_insert_result res;
	struct err e;

	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	assert_int_equal(res, STORE_INSERTED);
	return r;
}

/*
 * A STORE_READ handle (the server's) reads the issuers, with whether each
 * signs, but not where their keys are, and writes nothing; a key reference
 * with a PIN is refused.
 */
static void
test_open_read_only(void **state)
{
	struct issuer_record r = {0}, *list = NULL;
	struct store_issuer_keys k;
	struct store *ro;
	struct err e;
	size_t n = 0;
	int64_t id;

	(void)state;
	id = add_issuer("k1");
	assert_non_null(ro = cur->open(dir, STORE_READ, &e));
	assert_int_equal(store_issuer_list(ro, &list, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_true(list[0].has_key); /* that it signs, readable by all */
	issuer_records_free(list, n);
	/* Where its key is: the signer's handle only, never the server's. */
	assert_int_equal(store_issuer_keys(ro, id, &k, &e), -1);
	assert_int_equal(store_issuer_keys(s, id, &k, &e), 1);
	assert_string_equal(k.key_ref, "keys/k1.key");
	snprintf(r.name, sizeof(r.name), "ro");
	r.crl_shards = 1;
	assert_int_equal(store_issuer_add(ro, &r, NULL, &e), -1);
	assert_true(e.msg[0] != '\0');
	/* An idle reader's look holds nothing up: it reads as before, the writer writes. */
	assert_int_equal(store_idle(ro, &e), 0);
	assert_int_equal(store_idle(s, &e), 0);
	add_issuer("k2");
	assert_int_equal(store_idle(ro, &e), 0);
	assert_int_equal(store_issuer_list(ro, &list, &n, &e), 0);
	assert_int_equal(n, 2);
	issuer_records_free(list, n);
	store_close(ro);
	/* A PIN is never stored. */
	snprintf(k.key_ref, sizeof(k.key_ref), "pkcs11:token=t;object=k?pin-value=4321");
	snprintf(r.name, sizeof(r.name), "pin");
	assert_int_equal(store_issuer_add(s, &r, &k, &e), -1);
	assert_int_equal(store_issuer_set_key(s, id, k.key_ref, "", &e), -1);
	assert_int_equal(store_issuer_keys(s, id, &k, &e), 1);
	assert_string_equal(k.key_ref, "keys/k1.key");
}

static void
test_issuers(void **state)
{
	struct issuer_record *v, dup = {0};
	size_t n;
	struct err e;
	uint8_t der[] = {0x30, 0x00};

	(void)state;
	add_issuer("r1");
	add_issuer("e1");
	snprintf(dup.name, sizeof(dup.name), "e1");
	dup.cert_der = der;
	dup.cert_len = 2;
	dup.crl_shards = 1;
	assert_int_equal(store_issuer_add(s, &dup, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "already exists"));
	assert_int_equal(store_issuer_list(s, &v, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "e1"); /* ordered by name */
	assert_true(v[0].has_key && v[1].has_key);
	struct store_issuer_keys k;
	assert_int_equal(store_issuer_keys(s, v[1].id, &k, &e), 1);
	assert_string_equal(k.key_ref, "keys/r1.key");
	assert_int_equal(v[1].crl_shards, 4);
	assert_int_equal(v[0].cert_len, 2);
	issuer_records_free(v, n);
}

/*
 * Issuer management (schema 6): a new key reference and passphrase file,
 * retirement (once), and the kinds of certificates an issuer has; each
 * change to an issuer bumps issuer_seq, so that a running signer reloads.
 */
static void
test_issuer_manage(void **state)
{
	static const uint8_t s1[] = {1}, s2[] = {2}, s3[] = {3};
	struct store_issuer_certs k;
	struct issuer_record *v;
	struct cert_record r;
	enum store_insert_result res;
	int64_t id = add_issuer("mg1"), seq0, seq;
	size_t n;
	struct err e;

	(void)state;
	assert_int_equal(store_seq(s, STORE_SEQ_ISSUER, &seq0, &e), 0);
	assert_int_equal(store_issuer_set_key(s, id, "/new/m1.key", "/etc/m1.pass", &e), 0);
	assert_int_equal(store_issuer_set_key(s, 9999, "x", "", &e), -1);
	assert_int_equal(store_issuer_retire(s, id, 1234, &e), 0);
	assert_int_equal(store_issuer_retire(s, id, 1235, &e), -1);
	assert_non_null(strstr(e.msg, "already retired"));
	assert_int_equal(store_seq(s, STORE_SEQ_ISSUER, &seq, &e), 0);
	assert_int_equal(seq, seq0 + 2);
	assert_int_equal(store_issuer_list(s, &v, &n, &e), 0);
	for (size_t i = 0; i < n; i++) {
		if (v[i].id != id)
			continue;
		struct store_issuer_keys kr;
		assert_true(v[i].has_key);
		assert_int_equal(store_issuer_keys(s, id, &kr, &e), 1);
		assert_string_equal(kr.key_ref, "/new/m1.key");
		assert_string_equal(kr.key_pass_ref, "/etc/m1.pass");
		assert_int_equal(v[i].retired_at, 1234);
	}
	issuer_records_free(v, n);

	assert_int_equal(store_issuer_certs(s, id, 1, &k, &e), 0);
	assert_true(!k.has_ca && !k.has_ee && k.last_not_after == 0);
	r = record(id, s1, 1, 1);
	r.is_ca = 1;
	r.not_after = 300;
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	assert_int_equal(store_issuer_certs(s, id, 1, &k, &e), 0);
	assert_true(k.has_ca && !k.has_ee && k.last_not_after == 300);
	assert_int_equal(store_cert_get(s, id, s1, 1, &r, &e), 1);
	assert_int_equal(r.is_ca, 1);
	r = record(id, s2, 1, 2);
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	r = record(id, s3, 1, 3);
	r.not_after = 500;
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	assert_int_equal(store_issuer_certs(s, id, 1, &k, &e), 0);
	assert_true(k.has_ca && k.has_ee && k.last_not_after == 500);
	assert_int_equal(store_cert_get(s, id, s2, 1, &r, &e), 1);
	assert_int_equal(r.is_ca, 0);
}

static void
test_serials_are_exact_bytes(void **state)
{
	static const uint8_t s80[] = {0x00, 0x80}, s80short[] = {0x80}, neg[] = {0xfb};
	uint8_t s20[20];
	struct cert_record r, got;
	enum store_insert_result res;
	struct err e;
	int64_t iss = add_issuer("x1");

	(void)state;
	memset(s20, 0x7f, sizeof(s20));
	r = record(iss, s80, sizeof(s80), 1);
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	assert_int_equal(res, STORE_INSERTED);
	r = record(iss, s80short, sizeof(s80short), 2);
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	assert_int_equal(res, STORE_INSERTED); /* 80 and 00 80 are different serials */
	r = record(iss, neg, sizeof(neg), 3);
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	r = record(iss, s20, sizeof(s20), 4);
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);

	assert_int_equal(store_cert_get(s, iss, s80, sizeof(s80), &got, &e), 1);
	assert_int_equal(got.fingerprint[0], 1);
	assert_int_equal(got.serial_len, 2);
	assert_int_equal(store_cert_get(s, iss, s80short, 1, &got, &e), 1);
	assert_int_equal(got.fingerprint[0], 2);
	assert_int_equal(store_cert_get(s, iss, s20, sizeof(s20), &got, &e), 1);
	assert_int_equal(got.shard, 3);
	assert_int_equal(got.not_after, 200);
	assert_int_equal(got.status, CERT_GOOD);
	assert_int_equal(store_cert_get(s, iss + 1000, s80, sizeof(s80), &got, &e), 0);
}

static void
test_duplicates_and_conflicts(void **state)
{
	static const uint8_t sn[] = {0x42};
	struct cert_record r;
	enum store_insert_result res;
	struct err e;
	int64_t iss = add_issuer("d1"), total, revoked;

	(void)state;
	r = record(iss, sn, 1, 9);
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	assert_int_equal(res, STORE_INSERTED);
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	assert_int_equal(res, STORE_DUPLICATE);
	r = record(iss, sn, 1, 10);
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	assert_int_equal(res, STORE_CONFLICT);
	assert_int_equal(store_cert_count(s, iss, &total, &revoked, &e), 0);
	assert_int_equal(total, 1);
	assert_int_equal(revoked, 0);
}

/*
 * A precertificate's record (precert, its TBS hash) completed by its final
 * certificate (store_cert_complete): the fingerprint replaced, precert 0,
 * the rest kept (a revocation, change_seq, the TBS hash); only once, only a
 * precertificate's, undone by a rollback.
 */
static void
test_cert_complete(void **state)
{
	static const uint8_t sn[] = {0x7c};
	struct cert_record r, got, plain;
	enum store_insert_result res;
	uint8_t fp[STORE_FINGERPRINT_LEN];
	struct err e;
	int64_t iss = add_issuer("p1");

	(void)state;
	r = record(iss, sn, 1, 9);
	r.precert = 1;
	r.has_precert_tbs = 1;
	memset(r.precert_tbs, 0x33, sizeof(r.precert_tbs));
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	assert_int_equal(res, STORE_INSERTED);
	plain = insert(iss, 0x7d, 0x00);
	assert_int_equal(store_cert_revoke(s, r.id, 170, 1, &e), 0);
	assert_int_equal(store_cert_get(s, iss, sn, 1, &got, &e), 1);
	assert_int_equal(got.precert, 1);
	assert_int_equal(got.has_precert_tbs, 1);
	assert_int_equal(got.precert_tbs[31], 0x33);

	/* Rolled back: nothing changed. */
	memset(fp, 10, sizeof(fp));
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(store_cert_complete(s, r.id, fp, &e), 0);
	assert_int_equal(store_rollback(s, &e), 0);
	assert_int_equal(store_cert_get(s, iss, sn, 1, &r, &e), 1);
	assert_int_equal(r.precert, 1);
	assert_int_equal(r.fingerprint[0], 9);

	assert_int_equal(store_cert_complete(s, r.id, fp, &e), 0);
	assert_int_equal(store_cert_get(s, iss, sn, 1, &r, &e), 1);
	assert_int_equal(r.precert, 0);
	assert_memory_equal(r.fingerprint, fp, sizeof(fp));
	assert_int_equal(r.status, CERT_REVOKED);
	assert_int_equal(r.reason, 1);
	assert_int_equal(r.change_seq, got.change_seq);
	assert_int_equal(r.has_precert_tbs, 1);
	assert_int_equal(r.precert_tbs[0], 0x33);
	/* Once only, and only for a precertificate's record. */
	assert_int_equal(store_cert_complete(s, r.id, fp, &e), -1);
	assert_int_equal(store_cert_complete(s, plain.id, fp, &e), -1);
	assert_int_equal(store_cert_complete(s, plain.id + 1000, fp, &e), -1);
	assert_int_equal(store_cert_get(s, iss, plain.serial, plain.serial_len, &got, &e), 1);
	assert_int_equal(got.precert, 0);
	assert_int_equal(got.has_precert_tbs, 0);
	assert_memory_equal(got.fingerprint, plain.fingerprint, STORE_FINGERPRINT_LEN);
}

static void
test_revoke_and_rollback(void **state)
{
	static const uint8_t a[] = {0x0a}, b[] = {0x0b};
	struct cert_record r, got, seen[4];
	struct store_cursor after;
	enum store_insert_result res;
	struct err e;
	int64_t iss = add_issuer("v1"), total, revoked;
	size_t n;

	(void)state;
	r = record(iss, a, 1, 1);
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	assert_int_equal(store_cert_revoke(s, r.id, 170, 4, &e), 0);
	assert_int_equal(store_cert_get(s, iss, a, 1, &got, &e), 1);
	assert_int_equal(got.status, CERT_REVOKED);
	assert_int_equal(got.revoked_at, 170);
	assert_int_equal(got.reason, 4);
	assert_int_equal(store_cert_revoke(s, 999999, 170, 4, &e), -1);

	/* What the signer reads of it: what it needs, the rest zero. */
	after = (struct store_cursor){{0}};
	assert_int_equal(store_certs_changed(s, &after, 100, seen, 4, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(seen[0].id, r.id);
	assert_int_equal(seen[0].issuer_id, iss);
	assert_int_equal(seen[0].serial_len, 1);
	assert_int_equal(seen[0].serial[0], 0x0a);
	assert_int_equal(seen[0].not_after, 200);
	assert_int_equal(seen[0].status, CERT_REVOKED);
	assert_int_equal(seen[0].revoked_at, 170);
	assert_int_equal(seen[0].reason, 4);
	assert_int_equal(seen[0].change_seq, got.change_seq);
	assert_int_equal(seen[0].not_before, 0);
	assert_int_equal(seen[0].fingerprint[0], 0);

	/* A rolled-back transaction leaves nothing behind. */
	assert_int_equal(store_begin(s, &e), 0);
	r = record(iss, b, 1, 2);
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	assert_int_equal(store_rollback(s, &e), 0);
	assert_int_equal(store_cert_get(s, iss, b, 1, &got, &e), 0);
	assert_int_equal(store_cert_count(s, iss, &total, &revoked, &e), 0);
	assert_int_equal(total, 1);
	assert_int_equal(revoked, 1);
}

/*
 * The signer's word on each issuer's key (store_key_state_set/get, issue 16
 * keys in HSMs item 2): unknown until said; only a change is written and
 * raises key_seq; a read-only opener (the server) sees it.
 */
static void
test_key_states(void **state)
{
	int64_t a = add_issuer("ka"), b = add_issuer("kb"), seq, seq2;
	struct store *ro;
	struct err e;
	int ok;

	(void)state;
	assert_int_equal(store_key_state_get(s, a, &ok, &seq, &e), 0);
	assert_int_equal(ok, -1);
	assert_int_equal(seq, 0);
	assert_int_equal(store_key_state_set(s, a, 1, &e), 0);
	assert_int_equal(store_key_state_set(s, b, 0, &e), 0);
	assert_int_equal(store_key_state_get(s, a, &ok, &seq, &e), 0);
	assert_int_equal(ok, 1);
	assert_int_equal(seq, 2);
	assert_int_equal(store_key_state_set(s, a, 1, &e), 0); /* no change */
	assert_int_equal(store_key_state_get(s, b, &ok, &seq2, &e), 0);
	assert_int_equal(ok, 0);
	assert_int_equal(seq2, 2);
	assert_int_equal(store_key_state_set(s, a, 0, &e), 0);
	assert_non_null(ro = cur->open(dir, STORE_READ, &e));
	assert_int_equal(store_key_state_get(ro, a, &ok, &seq, &e), 0);
	assert_int_equal(ok, 0);
	assert_int_equal(seq, 3);
	assert_int_equal(store_key_state_get(ro, 0, &ok, &seq, &e), 0); /* the counter alone */
	assert_int_equal(ok, -1);
	assert_int_equal(seq, 3);
	store_close(ro);
}

/*
 * A transaction is all or nothing, and other handles see it only once it
 * is committed: the server's handle (STORE_READ) does not see a row of an
 * open transaction and does after the commit (from its next poll, which
 * starts with store_seq); a rollback undoes every call in it; a store opened
 * again keeps what was committed.
 */
static void
test_transactions_and_readers(void **state)
{
	static const uint8_t a[] = {0x0a}, b[] = {0x0b};
	struct cert_record r, r2, got;
	enum store_insert_result res;
	struct store *ro;
	struct err e;
	int64_t iss = add_issuer("t1"), total, revoked, seq;

	(void)state;
	assert_non_null(ro = cur->open(dir, STORE_READ, &e));
	assert_int_equal(store_begin(s, &e), 0);
	r = record(iss, a, 1, 1);
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	assert_int_equal(store_cert_get(s, iss, a, 1, &got, &e), 1); /* its own writes */
	assert_int_equal(store_seq(ro, STORE_SEQ_CHANGE, &seq, &e), 0);
	assert_int_equal(store_cert_get(ro, iss, a, 1, &got, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(store_seq(ro, STORE_SEQ_CHANGE, &seq, &e), 0);
	assert_int_equal(store_cert_get(ro, iss, a, 1, &got, &e), 1);
	assert_int_equal(got.id, r.id);

	assert_int_equal(store_begin(s, &e), 0);
	r2 = record(iss, b, 1, 2);
	assert_int_equal(store_cert_insert(s, &r2, &res, &e), 0);
	assert_int_equal(store_cert_revoke(s, r.id, 170, 1, &e), 0);
	assert_int_equal(store_rollback(s, &e), 0);
	assert_int_equal(store_cert_get(s, iss, b, 1, &got, &e), 0);
	assert_int_equal(store_cert_get(s, iss, a, 1, &got, &e), 1);
	assert_int_equal(got.status, CERT_GOOD);
	assert_int_equal(store_cert_count(s, iss, &total, &revoked, &e), 0);
	assert_int_equal(total, 1);
	assert_int_equal(revoked, 0);
	store_close(ro);
	store_close(s);
	assert_non_null(s = cur->open(dir, STORE_WRITE, &e));
	assert_int_equal(store_cert_get(s, iss, a, 1, &got, &e), 1);
	assert_int_equal(store_cert_get(s, iss, b, 1, &got, &e), 0);
}

struct revoked_seen {
	int entries, walked, since;
	int64_t revoked_at;
	int reason, shard;
};

static int
note_entry(void *arg, const struct cert_record *c, struct err *e)
{
	struct revoked_seen *v = arg;

	(void)e;
	v->entries++;
	v->revoked_at = c->revoked_at;
	v->reason = c->reason;
	assert_int_equal(c->serial_len, 1);
	assert_int_equal(c->serial[0], 0x0c);
	return 0;
}

static int
note_walked(void *arg, const struct cert_record *c, struct err *e)
{
	(void)e;
	assert_int_equal(c->status, CERT_REVOKED);
	((struct revoked_seen *)arg)->walked++;
	return 0;
}

static int
note_since(void *arg, int64_t issuer_id, int shard, int64_t seq, int64_t n, struct err *e)
{
	(void)issuer_id, (void)seq, (void)n, (void)e;
	((struct revoked_seen *)arg)->since++;
	((struct revoked_seen *)arg)->shard = shard;
	return 0;
}

/*
 * Revocation is final through the contract: the certificate inserted again
 * as issued (status good) is a duplicate and stays revoked; another
 * certificate under its serial is a conflict; revoking a certificate that
 * is not there fails.  The revoked one is in its shard's CRL entries (not
 * in another shard's, nor once expired), in the walk of revoked ones and
 * in revoked_since, with its time and reason.
 */
static void
test_revocation_is_final(void **state)
{
	static const uint8_t sn[] = {0x0c}, other[] = {0x0d};
	struct cert_record r, again, got;
	enum store_insert_result res;
	struct revoked_seen v = {0};
	struct err e;
	int64_t iss = add_issuer("rv1");

	(void)state;
	r = record(iss, sn, 1, 7);
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	again = record(iss, other, 1, 8);
	assert_int_equal(store_cert_insert(s, &again, &res, &e), 0);
	assert_int_equal(store_cert_revoke(s, r.id, 170, 1, &e), 0);
	assert_int_equal(store_cert_revoke(s, r.id + again.id + 1000, 170, 1, &e), -1);

	again = record(iss, sn, 1, 7);
	assert_int_equal(store_cert_insert(s, &again, &res, &e), 0);
	assert_int_equal(res, STORE_DUPLICATE);
	again = record(iss, sn, 1, 9);
	assert_int_equal(store_cert_insert(s, &again, &res, &e), 0);
	assert_int_equal(res, STORE_CONFLICT);
	assert_int_equal(store_cert_get(s, iss, sn, 1, &got, &e), 1);
	assert_int_equal(got.status, CERT_REVOKED);
	assert_int_equal(got.revoked_at, 170);
	assert_int_equal(got.reason, 1);

	assert_int_equal(store_crl_entries(s, iss, 3, 100, 0, note_entry, &v, &e), 0);
	assert_int_equal(store_crl_entries(s, iss, 0, 100, 0, note_entry, &v, &e), 0);
	assert_int_equal(store_crl_entries(s, iss, 2, 100, 0, note_entry, &v, &e), 0);
	assert_int_equal(store_crl_entries(s, iss, 3, 201, 0, note_entry, &v, &e), 0);
	assert_int_equal(store_crl_entries(s, iss, 3, 100, got.change_seq, note_entry, &v, &e), 0);
	assert_int_equal(v.entries, 2);
	assert_int_equal(v.revoked_at, 170);
	assert_int_equal(v.reason, 1);
	assert_int_equal(store_cert_each(s, iss, 1, note_walked, &v, &e), 0);
	assert_int_equal(v.walked, 1);
	assert_int_equal(store_revoked_since(s, 0, note_since, &v, &e), 0);
	assert_int_equal(store_revoked_since(s, got.change_seq, note_since, &v, &e), 0);
	assert_int_equal(v.since, 1);
	assert_int_equal(v.shard, 3);
}

struct seen_row {
	int64_t id, change;
};

/*
 * The scan of changed certificates never skips a committed row, whatever
 * lands between its pages: transactions of 1 to 4 certificates, some with
 * a revocation of an earlier one, each followed by one page of 1 to 3; then
 * the rest.  What was read is in (change, id) order, each once, and holds
 * every certificate as it is at the end (a revoked one at its revocation).
 */
static void
test_changed_cursor_never_skips(void **state)
{
	enum { ROUNDS = 16, CAP = 128, PAGE = 4 };
	struct store_cursor at = {{0}};
	struct cert_record page[PAGE], all[CAP], got;
	struct seen_row seen[CAP];
	size_t nseen = 0, nall = 0, n;
	struct err e;
	int64_t iss = add_issuer("c1");

	(void)state;
	for (int round = 0; round < ROUNDS; round++) {
		assert_int_equal(store_begin(s, &e), 0);
		for (int k = 0; k <= round % 4; k++)
			all[nall++] = insert(iss, (uint8_t)round, (uint8_t)k);
		if (round % 3 == 2)
			assert_int_equal(store_cert_revoke(s, all[round / 2].id, 170, 1, &e), 0);
		assert_int_equal(store_commit(s, &e), 0);
		assert_int_equal(store_certs_changed(s, &at, 0, page, 1 + (size_t)round % 3, &n, &e),
		    0);
		if (n > 0)
			assert_int_equal(store_cursor_passed(s, &at, &page[n - 1]), 1);
		for (size_t i = 0; i < n; i++)
			seen[nseen++] = (struct seen_row){page[i].id, page[i].change_seq};
	}
	do {
		assert_int_equal(store_certs_changed(s, &at, 0, page, PAGE, &n, &e), 0);
		for (size_t i = 0; i < n; i++) {
			assert_true(nseen < CAP);
			seen[nseen++] = (struct seen_row){page[i].id, page[i].change_seq};
		}
	} while (n == PAGE);
	assert_int_equal(store_certs_changed(s, &at, 0, page, PAGE, &n, &e), 0);
	assert_int_equal(n, 0);
	for (size_t i = 1; i < nseen; i++)
		assert_true(seen[i - 1].change < seen[i].change ||
			    (seen[i - 1].change == seen[i].change && seen[i - 1].id < seen[i].id));
	for (size_t j = 0; j < nall; j++) {
		size_t i = 0;

		assert_int_equal(store_cert_get(s, iss, all[j].serial, 2, &got, &e), 1);
		assert_int_equal(store_cursor_passed(s, &at, &got), 1);
		while (i < nseen && !(seen[i].id == got.id && seen[i].change == got.change_seq))
			i++;
		if (i == nseen)
			fail_msg("%s: certificate %lld at change %lld was never read", cur->name,
			    (long long)got.id, (long long)got.change_seq);
	}
}

/* Write one SHA-1 response for c, due at due_at; its seq into *seq if asked. */
static void
put_response(const struct cert_record *c, int64_t due_at, uint8_t tag, int64_t *seq)
{
	uint8_t der[4] = {0x30, 0x02, 0x00, tag};
	struct ocsp_record o = {.cert_id = c->id, .issuer_id = c->issuer_id,
	    .hash = OCSP_HASH_SHA1, .der = der, .der_len = sizeof(der), .this_update = 1,
	    .next_update = 2, .due_at = due_at, .cert_seq = c->change_seq};
	struct err e;

	assert_int_equal(store_ocsp_put(s, &o, 1, &e), 0);
	if (seq != NULL)
		*seq = o.seq;
}

/* How many certificates store_ocsp_due() returns at now, in pages of 2. */
static size_t
due_total(int64_t now)
{
	struct store_cursor at = {{0}};
	struct cert_record page[2];
	size_t n, total = 0;
	struct err e;

	do {
		assert_int_equal(store_ocsp_due(s, now, 100, &at, page, 2, &n, &e), 0);
		total += n;
	} while (n == 2);
	return total;
}

/*
 * The due scan's cursor pages through every response due, each once, while
 * the signer re-signs what it read between pages (rewritten, due later).
 * Once the refresh is done nothing is due at that time; every response is
 * due at a time past all of them.
 */
static void
test_due_cursor_pages(void **state)
{
	enum { N = 9, BATCH = 3 };
	struct cert_record c[N], page[2];
	struct ocsp_record o[BATCH];
	uint8_t der[] = {0x30, 0x00};
	struct store_cursor at = {{0}};
	int hits[N] = {0};
	size_t n;
	struct err e;
	int64_t iss = add_issuer("due1");

	(void)state;
	for (int i = 0; i < N; i++)
		c[i] = insert(iss, 0x40, (uint8_t)i);
	for (int b = 0; b < N / BATCH; b++) { /* three writes, due 0, 10, ... 80 */
		for (int k = 0; k < BATCH; k++) {
			const struct cert_record *x = &c[b * BATCH + k];

			o[k] = (struct ocsp_record){.cert_id = x->id, .issuer_id = iss,
			    .hash = OCSP_HASH_SHA1, .der = der, .der_len = sizeof(der),
			    .this_update = 1, .next_update = 2, .due_at = 10 * (b * BATCH + k),
			    .cert_seq = x->change_seq};
		}
		assert_int_equal(store_ocsp_put(s, o, BATCH, &e), 0);
	}
	do {
		assert_int_equal(store_ocsp_due(s, 45, 100, &at, page, 2, &n, &e), 0);
		for (size_t j = 0; j < n; j++) {
			int i = (int)(page[j].id - c[0].id);

			assert_true(i >= 0 && i < N);
			hits[i]++;
			put_response(&c[i], 1000, 1, NULL);
		}
	} while (n == 2);
	for (int i = 0; i < N; i++)
		assert_int_equal(hits[i], i <= 4);
	assert_int_equal(store_ocsp_refresh_done(s, 45, 100, &e), 0);
	assert_int_equal(due_total(45), 0);
	assert_int_equal(due_total(1000), N);
}

static int
count_each(void *arg, const struct ocsp_record *r)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

/*
 * Responses of an issuer that cannot be signed for are held: no longer
 * due, the other issuers' still; released, due again; each only once.  A
 * purge deletes the responses of certificates expired before its cutoff.
 */
static void
test_hold_release_purge(void **state)
{
	struct cert_record a1, a2, b1;
	int64_t ia = add_issuer("ha"), ib = add_issuer("hb"), n;
	int count = 0;
	struct err e;

	(void)state;
	a1 = insert(ia, 0x60, 1);
	a2 = insert(ia, 0x60, 2);
	b1 = insert(ib, 0x60, 3);
	put_response(&a1, 10, 1, NULL);
	put_response(&a2, 10, 2, NULL);
	put_response(&b1, 10, 3, NULL);
	assert_int_equal(store_ocsp_hold(s, ia, 50, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(due_total(50), 1);
	assert_int_equal(store_ocsp_hold(s, ia, 50, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_ocsp_release(s, ia, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(due_total(50), 3);
	assert_int_equal(store_ocsp_release(s, ia, &n, &e), 0);
	assert_int_equal(n, 0);

	assert_int_equal(store_ocsp_purge(s, 200, &n, &e), 0); /* not_after 200: not before */
	assert_int_equal(n, 0);
	assert_int_equal(store_ocsp_purge(s, 201, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_ocsp_each(s, 0, count_each, &count, &e), 0);
	assert_int_equal(count, 0);
}

struct each_seen {
	int n;
	int64_t last_seq;
	uint8_t tags[8];
};

static int
note_each(void *arg, const struct ocsp_record *r)
{
	struct each_seen *v = arg;

	assert_true(r->seq > v->last_seq);
	v->last_seq = r->seq;
	assert_int_equal(r->der_len, 4);
	assert_int_equal(r->der[0], 0x30);
	assert_int_equal(r->der[2], 0x00);
	assert_int_equal(r->serial_len, 2);
	assert_true(r->issuer_id > 0);
	v->tags[v->n++ % 8] = r->der[3];
	return 0;
}

/*
 * Responses are read back byte for byte in write order (their seq, which
 * STORE_SEQ_OCSP follows): a rewritten one takes a new, higher seq, so a
 * reader that remembers the last seq it saw finds exactly what is newer.
 */
static void
test_ocsp_write_order(void **state)
{
	struct cert_record c[3];
	struct each_seen v = {0};
	int64_t seq[4], top;
	struct err e;
	int64_t iss = add_issuer("o1");

	(void)state;
	for (int i = 0; i < 3; i++) {
		c[i] = insert(iss, 0x50, (uint8_t)i);
		put_response(&c[i], 500, (uint8_t)(0xa0 + i), &seq[i]);
	}
	assert_true(seq[0] < seq[1] && seq[1] < seq[2]);
	assert_int_equal(store_seq(s, STORE_SEQ_OCSP, &top, &e), 0);
	assert_int_equal(top, seq[2]);
	assert_int_equal(store_ocsp_each(s, 0, note_each, &v, &e), 0);
	assert_int_equal(v.n, 3);
	assert_memory_equal(v.tags, "\xa0\xa1\xa2", 3);
	put_response(&c[0], 500, 0xb0, &seq[3]);
	assert_true(seq[3] > seq[2]);
	v = (struct each_seen){0};
	assert_int_equal(store_ocsp_each(s, seq[2], note_each, &v, &e), 0);
	assert_int_equal(v.n, 1);
	assert_int_equal(v.tags[0], 0xb0);
	v = (struct each_seen){0};
	assert_int_equal(store_ocsp_each(s, 0, note_each, &v, &e), 0);
	assert_int_equal(v.n, 3); /* replaced, not added */
}

/* What store_ocsp_get handed its callback. */
struct got_one {
	int calls;
	struct ocsp_record r;
	uint8_t der[16];
};

static int
note_got(void *arg, const struct ocsp_record *r)
{
	struct got_one *g = arg;

	g->calls++;
	g->r = *r;
	memcpy(g->der, r->der, r->der_len < sizeof(g->der) ? r->der_len : sizeof(g->der));
	return 0;
}

/*
 * A point lookup finds one certificate's response by issuer, exact serial
 * bytes and CertID hash, the newest version, with its seq as the walk gives
 * it; another serial, hash or issuer finds nothing.
 */
static void
test_ocsp_get(void **state)
{
	int64_t iss = add_issuer("g1"), other = add_issuer("g2"), seq[3];
	struct cert_record c = insert(iss, 0x61, 0x01), d = insert(iss, 0x61, 0x02);
	struct got_one g = {0};
	struct err e;

	(void)state;
	put_response(&c, 500, 0xc1, &seq[0]);
	put_response(&d, 500, 0xd1, &seq[1]);
	assert_int_equal(store_ocsp_get(s, iss, OCSP_HASH_SHA1, c.serial, c.serial_len, note_got,
			     &g, &e), 1);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.der[3], 0xc1);
	assert_int_equal(g.r.der_len, 4);
	assert_int_equal(g.r.seq, seq[0]);
	assert_int_equal(g.r.cert_id, c.id);
	assert_int_equal(g.r.issuer_id, iss);
	assert_int_equal(g.r.next_update, 2);
	assert_int_equal(g.r.serial_len, c.serial_len);
	assert_memory_equal(g.r.serial, c.serial, c.serial_len);
	put_response(&c, 500, 0xc2, &seq[2]);
	g = (struct got_one){0};
	assert_int_equal(store_ocsp_get(s, iss, OCSP_HASH_SHA1, c.serial, c.serial_len, note_got,
			     &g, &e), 1);
	assert_int_equal(g.der[3], 0xc2);
	assert_int_equal(g.r.seq, seq[2]);
	g = (struct got_one){0};
	assert_int_equal(store_ocsp_get(s, iss, OCSP_HASH_SHA1, d.serial, d.serial_len, note_got,
			     &g, &e), 1);
	assert_int_equal(g.der[3], 0xd1);
	g = (struct got_one){0};
	assert_int_equal(store_ocsp_get(s, iss, OCSP_HASH_SHA256, c.serial, c.serial_len,
			     note_got, &g, &e), 0);
	assert_int_equal(store_ocsp_get(s, other, OCSP_HASH_SHA1, c.serial, c.serial_len,
			     note_got, &g, &e), 0);
	assert_int_equal(store_ocsp_get(s, iss, OCSP_HASH_SHA1, c.serial, c.serial_len - 1,
			     note_got, &g, &e), 0);
	assert_int_equal(g.calls, 0);
}

/*
 * The counters rise with what they count, a transaction's certificates
 * sharing one change; every intent is accepted and nonsense refused.
 */
static void
test_seqs_and_intents(void **state)
{
	uint8_t der[] = {0x30, 0x00};
	struct crl_record crl = {.shard = 1, .number = 5, .this_update = 1, .next_update = 2,
	    .der = der, .der_len = sizeof(der)}, got;
	struct cert_record a, b;
	int64_t iss0, iss1, ch0, ch1, crl0, crl1, v;
	struct err e;

	(void)state;
	assert_int_equal(store_seq(s, STORE_SEQ_ISSUER, &iss0, &e), 0);
	crl.issuer_id = add_issuer("q1");
	assert_int_equal(store_seq(s, STORE_SEQ_ISSUER, &iss1, &e), 0);
	assert_true(iss1 > iss0);
	assert_int_equal(store_seq(s, STORE_SEQ_CHANGE, &ch0, &e), 0);
	assert_int_equal(store_begin(s, &e), 0);
	a = insert(crl.issuer_id, 1, 1);
	b = insert(crl.issuer_id, 1, 2);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(store_seq(s, STORE_SEQ_CHANGE, &ch1, &e), 0);
	assert_int_equal(a.change_seq, b.change_seq);
	assert_true(ch1 > ch0);
	assert_int_equal(store_cert_get(s, crl.issuer_id, a.serial, 2, &a, &e), 1);
	assert_int_equal(a.change_seq, ch1);
	assert_int_equal(store_seq(s, STORE_SEQ_CRL, &crl0, &e), 0);
	assert_int_equal(store_crl_put(s, &crl, &e), 0);
	assert_int_equal(store_seq(s, STORE_SEQ_CRL, &crl1, &e), 0);
	assert_true(crl1 > crl0);
	assert_int_equal(crl.seq, crl1);
	assert_int_equal(store_crl_get(s, crl.issuer_id, 1, &got, &e), 1);
	assert_int_equal(got.number, 5);
	assert_int_equal(store_crl_get(s, crl.issuer_id, 2, &got, &e), 0);
	assert_int_equal(store_seq(s, STORE_SEQ_COUNT, &v, &e), -1);

	for (int i = 0; i < STORE_INTENT_COUNT; i++)
		assert_int_equal(store_set_intent(s, (enum store_intent)i, &e), 0);
	assert_int_equal(store_set_intent(s, STORE_INTENT_COUNT, &e), -1);
}

/*
 * The signer's mark holds a cursor the store gave it, whatever is in it:
 * {0} until set, the same cursor after a reopen, unchanged by a rolled-back
 * set; a cursor has passed what it read and not what is after.
 */
static void
test_signed_upto_keeps_cursor(void **state)
{
	struct store_cursor at = {{0}}, start = {{0}};
	struct store_signed_upto got, mark;
	struct cert_record page[2], first, second;
	size_t n;
	struct err e;
	int64_t iss = add_issuer("su1");

	(void)state;
	assert_int_equal(store_signed_upto_get(s, &got, &e), 0);
	assert_int_equal(got.issuer_seq, 0);
	assert_true(store_cursor_same(&got.at, &start));
	first = insert(iss, 2, 1);
	second = insert(iss, 2, 2);
	assert_int_equal(store_cursor_passed(s, &start, &first), 0);
	assert_int_equal(store_certs_changed(s, &at, 0, page, 1, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_false(store_cursor_same(&at, &start));
	/* `lancre status` asks whether the mark has passed a certificate. */
	assert_int_equal(store_cursor_passed(s, &at, &first), 1);
	assert_int_equal(store_cursor_passed(s, &at, &second), 0);
	mark = (struct store_signed_upto){7, at};
	assert_int_equal(store_signed_upto_set(s, &mark, &e), 0);
	store_close(s);
	assert_non_null(s = cur->open(dir, STORE_WRITE, &e));
	assert_int_equal(store_signed_upto_get(s, &got, &e), 0);
	assert_int_equal(got.issuer_seq, 7);
	assert_true(store_cursor_same(&got.at, &at));
	/* Resuming from it reads the second certificate, not the first again. */
	assert_int_equal(store_certs_changed(s, &got.at, 0, page, 2, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(page[0].serial[1], 2);
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(store_signed_upto_set(s, &(struct store_signed_upto){8, got.at}, &e), 0);
	assert_int_equal(store_rollback(s, &e), 0);
	assert_int_equal(store_signed_upto_get(s, &got, &e), 0);
	assert_int_equal(got.issuer_seq, 7);
	assert_true(store_cursor_same(&got.at, &at));
}

static int64_t
elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * store_changes_wait on a reader's handle (the server's): "maybe" first;
 * then either a backend that cannot be told (it sleeps the time out and
 * says "maybe") or one that can (a quiet wait says 0, and a commit by
 * another handle wakes it well before its time out).  Either way, after a
 * commit elsewhere it never says 0.
 */
static void
test_changes_wait(void **state)
{
	struct store *ro;
	struct timespec t0;
	struct err e;
	int quiet;

	(void)state;
	assert_non_null(ro = cur->open(dir, STORE_READ, &e));
	assert_int_equal(store_changes_wait(ro, 0, &e), 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	quiet = store_changes_wait(ro, 300, &e);
	assert_true(quiet == 0 || quiet == 1);
	assert_true(elapsed_ms(&t0) >= 250); /* nothing happened: it waited */
	add_issuer("w1");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(store_changes_wait(ro, 1200, &e), 1);
	if (quiet == 0) /* told: woken by the commit, not by the time out */
		assert_true(elapsed_ms(&t0) < 1000);
	print_message("%s: a quiet wait says %d; woken after %lld ms\n", cur->name, quiet,
	    (long long)elapsed_ms(&t0));
	store_close(ro);
}

/* A store is created once: a second STORE_CREATE of the same store is refused. */
static void
test_create_refuses_existing(void **state)
{
	struct store *again;
	struct err e;

	(void)state;
	add_issuer("cr1");
	again = cur->open(dir, STORE_CREATE, &e);
	if (again != NULL) {
		store_close(again);
		fail_msg("%s: a second STORE_CREATE opened the existing store", cur->name);
	}
	assert_true(e.msg[0] != '\0');
	assert_non_null(again = cur->open(dir, STORE_WRITE, &e)); /* still there, whole */
	store_close(again);
}

struct signed_seen {
	int n;
	int64_t issuer;
	uint8_t serial[4];
	size_t len;
};

static int
note_signed(void *arg, int64_t issuer_id, const uint8_t *serial, size_t len)
{
	struct signed_seen *v = arg;

	v->n++;
	v->issuer = issuer_id;
	v->len = len;
	memcpy(v->serial, serial, len < sizeof(v->serial) ? len : sizeof(v->serial));
	return 0;
}

static int
stop_signed(void *arg, int64_t issuer_id, const uint8_t *serial, size_t len)
{
	(void)arg;
	(void)issuer_id;
	(void)serial;
	(void)len;
	return 1;
}

/*
 * The signer's own records: what it signed revoked (once each, read-write
 * handles only), its refusals counted by reason (read by all, raising the
 * key state counter), and a delegated responder recorded and removed, its
 * key reference kept with the other key references.
 */
static void
test_signer_records(void **state)
{
	static const uint8_t sn[] = {0x00, 0x99};
	struct signed_seen v = {0};
	struct store_issuer_keys k;
	struct issuer_record *list;
	struct store *ro;
	int64_t add[STORE_REFUSED_COUNT] = {0}, got[STORE_REFUSED_COUNT], seq0, seq, iseq0, iseq;
	uint8_t resp[] = {0x30, 0x03, 0x02, 0x01, 0x07};
	int64_t id = add_issuer("sg1");
	struct err e;
	size_t n;
	int ok;

	(void)state;
	assert_int_equal(store_revoked_signed_add(s, id, sn, sizeof(sn), &e), 0);
	assert_int_equal(store_revoked_signed_add(s, id, sn, sizeof(sn), &e), 0); /* again */
	assert_int_equal(store_revoked_signed_each(s, note_signed, &v, &e), 0);
	assert_int_equal(v.n, 1);
	assert_int_equal(v.issuer, id);
	assert_int_equal(v.len, 2);
	assert_memory_equal(v.serial, sn, 2);
	assert_int_equal(store_revoked_signed_each(s, stop_signed, NULL, &e), -1);

	assert_int_equal(store_refusals_get(s, got, &e), 0);
	assert_true(got[0] == 0 && got[1] == 0 && got[2] == 0);
	assert_int_equal(store_key_state_get(s, 0, &ok, &seq0, &e), 0);
	assert_int_equal(store_refusals_add(s, add, &e), 0); /* all zero: nothing written */
	assert_int_equal(store_key_state_get(s, 0, &ok, &seq, &e), 0);
	assert_int_equal(seq, seq0);
	add[STORE_REFUSED_NO_CERTIFICATE] = 3;
	assert_int_equal(store_refusals_add(s, add, &e), 0);
	assert_int_equal(store_refusals_add(s, add, &e), 0);
	assert_int_equal(store_key_state_get(s, 0, &ok, &seq, &e), 0);
	assert_int_equal(seq, seq0 + 2);

	assert_int_equal(store_seq(s, STORE_SEQ_ISSUER, &iseq0, &e), 0);
	assert_int_equal(store_issuer_set_ocsp_signer(s, id, resp, sizeof(resp), "keys/r.key", &e),
	    0);
	assert_int_equal(store_issuer_set_ocsp_signer(s, id + 1000, resp, sizeof(resp), "x", &e),
	    -1);
	assert_int_equal(store_issuer_keys(s, id, &k, &e), 1);
	assert_string_equal(k.ocsp_key_ref, "keys/r.key");
	assert_string_equal(k.key_ref, "keys/sg1.key");
	assert_int_equal(store_seq(s, STORE_SEQ_ISSUER, &iseq, &e), 0);
	assert_true(iseq > iseq0);

	assert_non_null(ro = cur->open(dir, STORE_READ, &e));
	assert_int_equal(store_refusals_get(ro, got, &e), 0);
	assert_int_equal(got[STORE_REFUSED_NO_CERTIFICATE], 6);
	assert_int_equal(got[STORE_REFUSED_REVOKED_BEFORE], 0);
	assert_int_equal(store_revoked_signed_each(ro, note_signed, &v, &e), -1);
	assert_int_equal(store_revoked_signed_add(ro, id, sn, 1, &e), -1);
	assert_int_equal(store_issuer_list(ro, &list, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].ocsp_cert_len, sizeof(resp));
	assert_memory_equal(list[0].ocsp_cert_der, resp, sizeof(resp));
	issuer_records_free(list, n);
	store_close(ro);

	assert_int_equal(store_issuer_set_ocsp_signer(s, id, NULL, 0, NULL, &e), 0);
	assert_int_equal(store_issuer_keys(s, id, &k, &e), 1);
	assert_string_equal(k.ocsp_key_ref, "");
	assert_int_equal(store_issuer_list(s, &list, &n, &e), 0);
	assert_null(list[0].ocsp_cert_der);
	issuer_records_free(list, n);
}

struct walk_seen {
	int n, stop_at;
	int64_t last_id;
	int revoked;
};

static int
note_walk(void *arg, const struct cert_record *c, struct err *e)
{
	struct walk_seen *v = arg;

	assert_true(c->id > v->last_id); /* in the order recorded */
	v->last_id = c->id;
	v->revoked += c->status == CERT_REVOKED;
	if (++v->n == v->stop_at)
		return err_set(e, "stopped by the callback");
	return 0;
}

/*
 * The walk of certificates streams every one, in the order recorded, more
 * than a backend fetches at a time (PostgreSQL: 1,000 a page); by issuer,
 * revoked only; a callback that fails stops it with its own message.
 */
static void
test_cert_each_walks_all(void **state)
{
	enum { N = 2100 };
	struct walk_seen v = {0};
	struct cert_record r;
	int64_t a = add_issuer("wa"), b = add_issuer("wb"), total, revoked;
	struct err e;

	(void)state;
	assert_int_equal(store_begin(s, &e), 0);
	for (int i = 0; i < N; i++) {
		r = insert(i % 7 == 0 ? b : a, (uint8_t)(i >> 8), (uint8_t)i);
		if (i % 100 == 1)
			assert_int_equal(store_cert_revoke(s, r.id, 170, 1, &e), 0);
	}
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(store_cert_each(s, 0, 0, note_walk, &v, &e), 0);
	assert_int_equal(v.n, N);
	assert_int_equal(v.revoked, N / 100);
	v = (struct walk_seen){0};
	assert_int_equal(store_cert_each(s, b, 0, note_walk, &v, &e), 0);
	assert_int_equal(v.n, (N + 6) / 7);
	v = (struct walk_seen){0};
	assert_int_equal(store_cert_each(s, 0, 1, note_walk, &v, &e), 0);
	assert_int_equal(v.n, N / 100);
	assert_int_equal(v.revoked, N / 100);
	v = (struct walk_seen){.stop_at = 1500};
	assert_int_equal(store_cert_each(s, 0, 0, note_walk, &v, &e), -1);
	assert_string_equal(e.msg, "stopped by the callback");
	assert_int_equal(v.n, 1500);
	assert_int_equal(store_cert_count(s, 0, &total, &revoked, &e), 0);
	assert_int_equal(total, N);
	assert_int_equal(revoked, N / 100);
	assert_int_equal(store_cert_count(s, a, &total, &revoked, &e), 0);
	assert_int_equal(total, N - (N + 6) / 7);
	/* The handle still works after a stopped walk, in and out of a transaction. */
	assert_int_equal(store_begin(s, &e), 0);
	v = (struct walk_seen){.stop_at = 10};
	assert_int_equal(store_cert_each(s, 0, 0, note_walk, &v, &e), -1);
	v = (struct walk_seen){0};
	assert_int_equal(store_cert_each(s, b, 1, note_walk, &v, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(store_cert_count(s, 0, &total, &revoked, &e), 0);
	assert_int_equal(total, N);
}

/*
 * A transaction's inserts and revocations share one change_seq, the
 * counter's value once it commits; the next transaction's is higher; a
 * rolled-back one leaves the counter as it was.
 */
static void
test_change_seq_per_transaction(void **state)
{
	struct cert_record a, b, c, got;
	int64_t iss = add_issuer("cs1"), seq, before;
	struct err e;

	(void)state;
	a = insert(iss, 3, 1);
	assert_int_equal(store_begin(s, &e), 0);
	b = insert(iss, 3, 2);
	c = insert(iss, 3, 3);
	assert_int_equal(store_cert_revoke(s, a.id, 170, 1, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(b.change_seq, c.change_seq);
	assert_true(b.change_seq > a.change_seq);
	assert_int_equal(store_cert_get(s, iss, a.serial, 2, &got, &e), 1);
	assert_int_equal(got.change_seq, b.change_seq);
	assert_int_equal(store_seq(s, STORE_SEQ_CHANGE, &seq, &e), 0);
	assert_int_equal(seq, b.change_seq);
	before = seq;
	assert_int_equal(store_begin(s, &e), 0);
	insert(iss, 3, 4);
	assert_int_equal(store_rollback(s, &e), 0);
	assert_int_equal(store_seq(s, STORE_SEQ_CHANGE, &seq, &e), 0);
	assert_int_equal(seq, before);
	c = insert(iss, 3, 5);
	assert_int_equal(c.change_seq, before + 1);
}

/*
 * A batch inserted in one call is the same as one insert after the other:
 * in order, a certificate met again in the batch a duplicate, another under
 * a serial already there a conflict, ids and change_seq set; over several
 * of a backend's pipeline lengths.  A batch that fails (an issuer that is
 * not there) leaves nothing once rolled back.
 */
static void
test_cert_insert_many(void **state)
{
	enum { N = 700 };
	static struct cert_record recs[N + 3];
	struct cert_record *r[N + 3], got, bad;
	enum store_insert_result res[N + 3];
	int64_t iss = add_issuer("im1"), total, revoked;
	struct cert_record first = insert(iss, 0x7f, 0x01);
	struct err e;

	(void)state;
	for (int i = 0; i < N; i++) {
		recs[i] = record(iss, (const uint8_t[]){0x70, (uint8_t)(i >> 8), (uint8_t)i}, 3,
		    (uint8_t)(i + 1));
		r[i] = &recs[i];
	}
	recs[N] = recs[5];                        /* the same again: a duplicate */
	recs[N + 1] = record(iss, recs[6].serial, 3, 0xee); /* another, same serial: conflict */
	recs[N + 2] = first;                      /* there before the batch */
	for (int i = N; i < N + 3; i++)
		r[i] = &recs[i];
	assert_int_equal(store_cert_insert_many(s, r, N + 3, res, &e), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(res[i], STORE_INSERTED);
		assert_true(recs[i].id > 0 && (i == 0 || recs[i].id > recs[i - 1].id));
		assert_int_equal(recs[i].change_seq, recs[0].change_seq);
	}
	assert_int_equal(res[N], STORE_DUPLICATE);
	assert_int_equal(recs[N].id, recs[5].id);
	assert_int_equal(res[N + 1], STORE_CONFLICT);
	assert_int_equal(recs[N + 1].id, recs[6].id);
	assert_int_equal(res[N + 2], STORE_DUPLICATE);
	assert_int_equal(recs[N + 2].id, first.id);
	assert_int_equal(store_cert_get(s, iss, recs[N - 1].serial, 3, &got, &e), 1);
	assert_int_equal(got.id, recs[N - 1].id);
	assert_int_equal(got.fingerprint[0], (uint8_t)N);
	assert_int_equal(store_cert_insert_many(s, r, 0, res, &e), 0);

	assert_int_equal(store_begin(s, &e), 0);
	for (int i = 0; i < 300; i++)
		recs[i] = record(iss, (const uint8_t[]){0x71, (uint8_t)(i >> 8), (uint8_t)i}, 3, 1);
	bad = record(iss + 1000, (const uint8_t[]){0x72}, 1, 1);
	r[299] = &bad;
	assert_int_equal(store_cert_insert_many(s, r, 300, res, &e), -1);
	assert_true(e.msg[0] != '\0');
	assert_int_equal(store_rollback(s, &e), 0);
	assert_int_equal(store_cert_count(s, iss, &total, &revoked, &e), 0);
	assert_int_equal(total, N + 1);
	/* The handle carries on after the failed batch. */
	r[0] = &recs[0];
	assert_int_equal(store_cert_insert_many(s, r, 1, res, &e), 0);
	assert_int_equal(res[0], STORE_INSERTED);
}

/*
 * Every field of a batch's rows as given, read back: a revoked certificate
 * (its time and reason kept), a CA, a good one (no revocation time or
 * reason), each with its own dates, shard and added_at (PostgreSQL sends
 * a batch's columns as arrays and keeps a revocation's fields only for a
 * revoked row: PG_CERTS_WRITE).
 */
static void
test_cert_insert_many_fields(void **state)
{
	struct cert_record recs[3], *r[3], got;
	enum store_insert_result res[3];
	int64_t iss = add_issuer("imf1");
	struct err e;

	(void)state;
	for (int i = 0; i < 3; i++) {
		recs[i] = record(iss, (const uint8_t[]){0x75, (uint8_t)i}, 2, (uint8_t)(0x40 + i));
		recs[i].not_before = 1000000000000LL + i;
		recs[i].not_after = 2000000000000LL + i;
		recs[i].shard = 2 + i;
		recs[i].added_at = 1700000000 + i;
		r[i] = &recs[i];
	}
	recs[0].status = CERT_REVOKED;
	recs[0].revoked_at = 1600000000;
	recs[0].reason = 4;
	recs[1].is_ca = 1;
	assert_int_equal(store_cert_insert_many(s, r, 3, res, &e), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(res[i], STORE_INSERTED);
		assert_int_equal(store_cert_get(s, iss, recs[i].serial, 2, &got, &e), 1);
		assert_int_equal(got.id, recs[i].id);
		assert_int_equal(got.issuer_id, iss);
		assert_int_equal(got.not_before, 1000000000000LL + i);
		assert_int_equal(got.not_after, 2000000000000LL + i);
		assert_int_equal(got.shard, 2 + i);
		assert_int_equal(got.added_at, 1700000000 + i);
		assert_int_equal(got.change_seq, recs[0].change_seq);
		assert_int_equal(got.status, i == 0 ? CERT_REVOKED : CERT_GOOD);
		assert_int_equal(got.revoked_at, i == 0 ? 1600000000 : 0);
		assert_int_equal(got.reason, i == 0 ? 4 : 0);
		assert_int_equal(got.is_ca, i == 1);
		assert_memory_equal(got.fingerprint, recs[i].fingerprint, STORE_FINGERPRINT_LEN);
	}
}

static int
note_export(void *arg, const struct cert_record *c, struct err *e)
{
	struct cert_record *out = arg;

	(void)e;
	out[c->id % 8] = *c;
	return 0;
}

/*
 * A certificate's key hash, precert flag and precert TBS hash (SQLite
 * schema 10, PostgreSQL migration 6) as written, alone or in a batch
 * (PostgreSQL: arrays, which carry no NULL), and read back by lookup and
 * by the copy's export; a certificate without a known key hash keeps none.
 */
static void
test_cert_spki_precert(void **state)
{
	struct cert_record recs[4], *r[4], got, seen[8];
	enum store_insert_result res[4];
	int64_t iss = add_issuer("spk1");
	struct err e;

	(void)state;
	for (int i = 0; i < 4; i++) {
		recs[i] = record(iss, (const uint8_t[]){0x74, (uint8_t)i}, 2, (uint8_t)(i + 1));
		recs[i].has_spki = i % 2 == 0;
		if (recs[i].has_spki)
			memset(recs[i].spki_sha256, 0x30 + i, STORE_SPKI_HASH_LEN);
		recs[i].precert = i >= 2;
		recs[i].has_precert_tbs = i == 1 || i == 2;
		if (recs[i].has_precert_tbs)
			memset(recs[i].precert_tbs, 0x50 + i, STORE_PRECERT_TBS_LEN);
		r[i] = &recs[i];
	}
	assert_int_equal(store_cert_insert(s, &recs[0], &res[0], &e), 0);
	assert_int_equal(store_cert_insert(s, &recs[1], &res[1], &e), 0);
	assert_int_equal(store_cert_insert_many(s, r + 2, 2, res + 2, &e), 0);
	memset(seen, 0, sizeof(seen));
	assert_int_equal(store_cert_export(s, 0, note_export, seen, &e), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(res[i], STORE_INSERTED);
		assert_int_equal(store_cert_get(s, iss, recs[i].serial, 2, &got, &e), 1);
		for (int k = 0; k < 2; k++) {
			const struct cert_record *c = k == 0 ? &got : &seen[recs[i].id % 8];

			assert_int_equal(c->id, recs[i].id);
			assert_int_equal(c->has_spki, i % 2 == 0);
			assert_int_equal(c->spki_sha256[0], i % 2 == 0 ? 0x30 + i : 0);
			assert_int_equal(c->spki_sha256[31], i % 2 == 0 ? 0x30 + i : 0);
			assert_int_equal(c->precert, i >= 2);
			assert_int_equal(c->has_precert_tbs, i == 1 || i == 2);
			assert_int_equal(c->precert_tbs[7], i == 1 || i == 2 ? 0x50 + i : 0);
		}
	}
}

struct by_key {
	int64_t id[8];
	int status[8];
	int n;
};

static int
note_by_key(void *arg, const struct cert_record *c, struct err *e)
{
	struct by_key *k = arg;

	if (k->n == 8)
		return err_set(e, "too many");
	k->status[k->n] = c->status;
	k->id[k->n++] = c->id;
	return 0;
}

static int
stop_by_key(void *arg, const struct cert_record *c, struct err *e)
{
	(void)arg;
	(void)c;
	return err_set(e, "stopped here");
}

/*
 * Certificates by key hash: those of every issuer with that hash, revoked
 * or not, in id order, none of another key; and the count of those without
 * a key hash (recorded before the schema had one), which a search by key
 * cannot see.  Inside a transaction too, where it sees the transaction's
 * own writes.
 */
static void
test_cert_by_spki(void **state)
{
	int64_t a = add_issuer("bk1"), b = add_issuer("bk2"), unkeyed = -1;
	uint8_t key[STORE_SPKI_HASH_LEN], other[STORE_SPKI_HASH_LEN], none[STORE_SPKI_HASH_LEN];
	struct cert_record r[5];
	enum store_insert_result res;
	struct by_key k = {0};
	struct err e;

	(void)state;
	memset(key, 0x42, sizeof(key));
	memset(other, 0x42, sizeof(other));
	other[31] = 0x43; /* one byte apart */
	memset(none, 0x44, sizeof(none));
	for (int i = 0; i < 5; i++) {
		r[i] = record(i == 1 ? b : a, (const uint8_t[]){0x75, (uint8_t)i}, 2, (uint8_t)(i + 1));
		r[i].has_spki = i != 4;
		memcpy(r[i].spki_sha256, i == 3 ? other : key, STORE_SPKI_HASH_LEN);
		if (i == 4)
			memset(r[i].spki_sha256, 0, STORE_SPKI_HASH_LEN);
		assert_int_equal(store_cert_insert(s, &r[i], &res, &e), 0);
		assert_int_equal(res, STORE_INSERTED);
	}
	assert_int_equal(store_cert_revoke(s, r[2].id, 160, 1, &e), 0);
	assert_int_equal(store_cert_by_spki(s, key, note_by_key, &k, &unkeyed, &e), 0);
	assert_int_equal(k.n, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(k.id[i], r[i].id); /* two issuers, in id order */
	assert_int_equal(k.status[0], CERT_GOOD);
	assert_int_equal(k.status[2], CERT_REVOKED);
	assert_int_equal(unkeyed, 1);
	k.n = 0;
	assert_int_equal(store_cert_by_spki(s, other, note_by_key, &k, NULL, &e), 0);
	assert_int_equal(k.n, 1);
	assert_int_equal(k.id[0], r[3].id);
	k.n = 0;
	assert_int_equal(store_cert_by_spki(s, none, note_by_key, &k, &unkeyed, &e), 0);
	assert_int_equal(k.n, 0);
	assert_int_equal(unkeyed, 1);
	assert_int_equal(store_cert_by_spki(s, key, stop_by_key, NULL, NULL, &e), -1);
	assert_string_equal(e.msg, "stopped here");
	/* In a transaction: its own new row is found, and gone after the rollback. */
	assert_int_equal(store_begin(s, &e), 0);
	r[4] = record(b, (const uint8_t[]){0x76}, 1, 9);
	r[4].has_spki = 1;
	memcpy(r[4].spki_sha256, none, STORE_SPKI_HASH_LEN);
	assert_int_equal(store_cert_insert(s, &r[4], &res, &e), 0);
	k.n = 0;
	assert_int_equal(store_cert_by_spki(s, none, note_by_key, &k, &unkeyed, &e), 0);
	assert_int_equal(k.n, 1);
	assert_int_equal(store_rollback(s, &e), 0);
	k.n = 0;
	assert_int_equal(store_cert_by_spki(s, none, note_by_key, &k, &unkeyed, &e), 0);
	assert_int_equal(k.n, 0);
}

/*
 * A certificate of an issuer the store does not have is refused, alone or
 * in a batch with others of a known issuer, in a transaction of the
 * operation's own: nothing of it is written (the PostgreSQL store checks a
 * batch's issuers once, migration 5 having dropped the per-row foreign key).
 */
static void
test_cert_unknown_issuer(void **state)
{
	int64_t iss = add_issuer("ui1"), total, revoked;
	struct cert_record one = record(iss + 1000, (const uint8_t[]){0x73, 0x01}, 2, 1);
	struct cert_record recs[3], *r[3];
	enum store_insert_result res[3];
	struct err e;

	(void)state;
	assert_int_equal(store_cert_insert(s, &one, &res[0], &e), -1);
	assert_true(e.msg[0] != '\0');
	for (int i = 0; i < 3; i++) {
		recs[i] = record(i == 1 ? iss + 1000 : iss, (const uint8_t[]){0x74, (uint8_t)i}, 2, 1);
		r[i] = &recs[i];
	}
	assert_int_equal(store_cert_insert_many(s, r, 3, res, &e), -1);
	assert_true(e.msg[0] != '\0');
	assert_int_equal(store_cert_count(s, iss, &total, &revoked, &e), 0);
	assert_int_equal(total, 0);
	assert_int_equal(store_cert_count(s, iss + 1000, &total, &revoked, &e), 0);
	assert_int_equal(total, 0);
	/* The handle carries on. */
	r[1] = &recs[0];
	assert_int_equal(store_cert_insert_many(s, r, 1, res, &e), 0);
	assert_int_equal(res[0], STORE_INSERTED);
}

/* A response for c (hash h, due_at, this_update), der 30 02 00 tag. */
static struct ocsp_record
response(const struct cert_record *c, enum ocsp_hash h, int64_t due_at, int64_t this_update,
    const uint8_t *der)
{
	return (struct ocsp_record){.cert_id = c->id, .issuer_id = c->issuer_id, .hash = h,
	    .der = der, .der_len = 4, .this_update = this_update, .next_update = this_update + 1,
	    .due_at = due_at, .cert_seq = c->change_seq};
}

struct resp_seen {
	int n, stop_at;
	int64_t last_seq, first_seq;
	int64_t due[8]; /* due_at by the der's tag, for tags 0..7 */
	int sha256;
};

static int
note_resp(void *arg, const struct ocsp_record *r)
{
	struct resp_seen *v = arg;

	assert_true(r->seq > v->last_seq);
	if (v->n == 0)
		v->first_seq = r->seq;
	v->last_seq = r->seq;
	assert_int_equal(r->der_len, 4);
	assert_int_equal(r->der[0], 0x30);
	assert_int_equal(r->serial_len, 2);
	v->due[r->der[3] % 8] = r->due_at;
	v->sha256 += r->hash == OCSP_HASH_SHA256;
	return ++v->n == v->stop_at; /* stop_at 0: never */
}

/*
 * A batch takes consecutive seqs in array order; read back through more
 * than one page of the store's walk, in seq order, whole.  A (cert, hash)
 * twice in one batch is written once, as the later one.  A walk from a seq
 * reads what is after it; a callback that stops it makes it fail.
 */
static void
test_ocsp_put_batch(void **state)
{
	enum { CERTS = 1300, N = 2 * CERTS };
	struct ocsp_record *o = calloc(N + 1, sizeof(*o));
	static const uint8_t der[2][4] = {{0x30, 0x02, 0x00, 1}, {0x30, 0x02, 0x00, 2}};
	struct resp_seen v = {0};
	struct cert_record c;
	int64_t iss = add_issuer("pb1"), top;
	struct err e;

	(void)state;
	assert_non_null(o);
	assert_int_equal(store_begin(s, &e), 0);
	for (int i = 0; i < CERTS; i++) {
		c = insert(iss, (uint8_t)(i >> 8), (uint8_t)i);
		o[2 * i] = response(&c, OCSP_HASH_SHA1, 500, 10, der[0]);
		o[2 * i + 1] = response(&c, OCSP_HASH_SHA256, 500, 10, der[0]);
	}
	o[N] = o[0]; /* the first again, later in the batch: it is the one kept */
	o[N].der = der[1];
	assert_int_equal(store_ocsp_put(s, o, N + 1, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	for (int i = 1; i <= N; i++)
		assert_int_equal(o[i].seq, o[i - 1].seq + 1);
	assert_int_equal(store_seq(s, STORE_SEQ_OCSP, &top, &e), 0);
	assert_int_equal(top, o[N].seq);
	assert_int_equal(store_ocsp_each(s, 0, note_resp, &v, &e), 0);
	assert_int_equal(v.n, N);
	assert_int_equal(v.sha256, CERTS);
	assert_int_equal(v.last_seq, o[N].seq); /* the repeated one, at its later seq */
	assert_int_equal(v.first_seq, o[1].seq);
	v = (struct resp_seen){0};
	assert_int_equal(store_ocsp_each(s, o[N - 10].seq, note_resp, &v, &e), 0);
	assert_int_equal(v.n, 10);
	v = (struct resp_seen){.stop_at = 3};
	assert_int_equal(store_ocsp_each(s, 0, note_resp, &v, &e), -1);
	assert_int_equal(v.n, 3);
	assert_true(e.msg[0] != '\0');
	free(o);
}

/*
 * The scan of changed certificates passes over those whose responses
 * reflect their last change (and those expired), and its cursor moves past
 * them; a revocation brings one back.
 */
static void
test_changed_skips_signed(void **state)
{
	static const uint8_t der[4] = {0x30, 0x02, 0x00, 1};
	struct store_cursor at = {{0}};
	struct cert_record c[4], page[4];
	struct ocsp_record o;
	int64_t iss = add_issuer("cs1");
	size_t n;
	struct err e;

	(void)state;
	for (int i = 0; i < 4; i++)
		c[i] = insert(iss, 7, (uint8_t)i);
	o = response(&c[0], OCSP_HASH_SHA1, 500, 10, der);
	assert_int_equal(store_ocsp_put(s, &o, 1, &e), 0);
	o = response(&c[2], OCSP_HASH_SHA1, 500, 10, der);
	o.cert_seq = c[2].change_seq - 1; /* older than the certificate */
	assert_int_equal(store_ocsp_put(s, &o, 1, &e), 0);
	o = response(&c[3], OCSP_HASH_SHA1, 500, 10, der);
	assert_int_equal(store_ocsp_put(s, &o, 1, &e), 0);
	assert_int_equal(store_certs_changed(s, &at, 0, page, 4, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(page[0].id, c[1].id);
	assert_int_equal(page[1].id, c[2].id);
	/* Past the last one read, and past the signed one after it too. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(store_cursor_passed(s, &at, &c[i]), 1);
	assert_int_equal(store_certs_changed(s, &at, 0, page, 4, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_cert_revoke(s, c[0].id, 170, 1, &e), 0);
	assert_int_equal(store_cert_get(s, iss, c[0].serial, 2, &c[0], &e), 1);
	assert_int_equal(store_cursor_passed(s, &at, &c[0]), 0);
	assert_int_equal(store_certs_changed(s, &at, 0, page, 4, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(page[0].id, c[0].id);
	assert_int_equal(page[0].status, CERT_REVOKED);
	/* Expired at min_not_after (200 < 201): not offered. */
	at = (struct store_cursor){{0}};
	assert_int_equal(store_certs_changed(s, &at, 201, page, 4, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(due_total(0), 0);
}

/*
 * Certificates sharing a change_seq (one batch of intake), some signed in
 * the writer's transactions, some not: the scan offers only the unsigned,
 * after each of the writes (the PostgreSQL store's seam is the
 * highest (cert_seq, cert_id) written, kept by a second statement in the
 * writer's transaction: too low, it would offer signed ones again).
 */
static void
test_changed_skips_signed_in_batch(void **state)
{
	static const uint8_t der[4] = {0x30, 0x02, 0x00, 1};
	struct store_cursor at = {{0}};
	struct cert_record c[6], *r[6], page[6];
	enum store_insert_result res[6];
	struct ocsp_record o[3];
	int64_t iss = add_issuer("cs2");
	size_t n;
	struct err e;

	(void)state;
	for (int i = 0; i < 6; i++) {
		c[i] = record(iss, (const uint8_t[]){0x75, (uint8_t)i}, 2, 1);
		r[i] = &c[i];
	}
	assert_int_equal(store_cert_insert_many(s, r, 6, res, &e), 0);
	assert_int_equal(c[5].change_seq, c[0].change_seq);
	for (int i = 0; i < 3; i++)
		o[i] = response(&c[i], OCSP_HASH_SHA1, 500, 10, der);
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(store_ocsp_put(s, o, 3, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(store_certs_changed(s, &at, 0, page, 6, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(page[0].id, c[3].id);
	at = (struct store_cursor){{0}};
	o[0] = response(&c[4], OCSP_HASH_SHA1, 500, 10, der);
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(store_ocsp_put(s, o, 1, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(store_certs_changed(s, &at, 0, page, 6, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(page[0].id, c[3].id);
	assert_int_equal(page[1].id, c[5].id);
}

/*
 * Holding and releasing move both of a certificate's responses; a purge
 * looks only at what expired since the last one.
 */
static void
test_hold_both_hashes(void **state)
{
	static const uint8_t d1[4] = {0x30, 0x02, 0x00, 1}, d2[4] = {0x30, 0x02, 0x00, 2};
	struct ocsp_record o[2];
	struct resp_seen v = {0};
	struct cert_record c;
	int64_t iss = add_issuer("hh1"), n;
	struct err e;

	(void)state;
	c = insert(iss, 8, 1);
	o[0] = response(&c, OCSP_HASH_SHA1, 10, 5, d1);
	o[1] = response(&c, OCSP_HASH_SHA256, 10, 5, d2);
	assert_int_equal(store_ocsp_put(s, o, 2, &e), 0);
	assert_int_equal(store_ocsp_hold(s, iss, 40, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_ocsp_each(s, 0, note_resp, &v, &e), 0);
	assert_true(v.due[1] > 40 && v.due[2] > 40);
	assert_int_equal(store_ocsp_refresh_done(s, 40, 100, &e), 0);
	assert_int_equal(due_total(40), 0);
	assert_int_equal(store_ocsp_release(s, iss, &n, &e), 0);
	assert_int_equal(n, 2);
	v = (struct resp_seen){0};
	assert_int_equal(store_ocsp_each(s, 0, note_resp, &v, &e), 0);
	assert_true(v.due[1] <= 40 && v.due[2] <= 40);
	assert_int_equal(due_total(40), 1);
	assert_int_equal(store_ocsp_purge(s, 201, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_ocsp_purge(s, 201, &n, &e), 0);
	assert_int_equal(n, 0);
}

/*
 * A clock step: responses dated after `after` are made due at once and the
 * newest thisUpdate comes down to after; nothing is written otherwise.
 */
static void
test_future_due(void **state)
{
	static const uint8_t d1[4] = {0x30, 0x02, 0x00, 1}, d2[4] = {0x30, 0x02, 0x00, 2};
	struct ocsp_record o[2];
	struct cert_record a, b;
	int64_t iss = add_issuer("fd1"), newest, n;
	struct err e;

	(void)state;
	assert_int_equal(store_ocsp_future_due(s, INT64_MAX, &newest, &n, &e), 0);
	assert_int_equal(newest, 0);
	a = insert(iss, 9, 1);
	b = insert(iss, 9, 2);
	o[0] = response(&a, OCSP_HASH_SHA1, 90, 10, d1);
	o[1] = response(&b, OCSP_HASH_SHA1, 90, 80, d2);
	assert_int_equal(store_ocsp_put(s, o, 2, &e), 0);
	assert_int_equal(store_ocsp_future_due(s, INT64_MAX, &newest, &n, &e), 0);
	assert_int_equal(newest, 80);
	assert_int_equal(n, 0);
	assert_int_equal(due_total(50), 0);
	assert_int_equal(store_ocsp_future_due(s, 50, &newest, &n, &e), 0);
	assert_int_equal(newest, 80);
	assert_int_equal(n, 1);
	assert_int_equal(due_total(50), 1); /* b's, made due now */
	assert_int_equal(store_ocsp_future_due(s, 50, &newest, &n, &e), 0);
	assert_int_equal(newest, 50);
	assert_int_equal(n, 0);
}

struct crl_seen {
	int n, stop_at;
	int64_t issuer[8];
	int shard[8];
	int64_t number[8];
	uint8_t tag[8];
};

static int
note_crl(void *arg, const struct crl_record *r, struct err *e)
{
	struct crl_seen *v = arg;

	if (v->stop_at > 0 && v->n == v->stop_at)
		return err_set(e, "enough");
	assert_true(v->n < 8);
	v->issuer[v->n] = r->issuer_id;
	v->shard[v->n] = r->shard;
	v->number[v->n] = r->number;
	assert_int_equal(r->der_len, 3);
	v->tag[v->n++] = r->der[2];
	return 0;
}

/*
 * CRLs by (issuer, key): a base, the full CRL, a delta; each stored takes a
 * new seq; a replaced one keeps its key with the new number; the walk reads
 * them all, whole, in (issuer, key) order, and a callback can stop it.
 */
static void
test_crls(void **state)
{
	static const int keys[3] = {1, 0, -2}; /* shard 1, full, delta of shard 1 */
	uint8_t der[3] = {0x30, 0x01, 0};
	struct crl_record r, got;
	struct crl_seen v = {0};
	int64_t iss[2] = {add_issuer("cr1"), add_issuer("cr2")}, last = 0;
	struct err e;

	(void)state;
	for (int i = 0; i < 2; i++) {
		for (int k = 0; k < 3; k++) {
			der[2] = (uint8_t)(10 * i + k);
			r = (struct crl_record){.issuer_id = iss[i], .shard = keys[k],
			    .number = 100 + 10 * i + k, .this_update = 5, .next_update = 6,
			    .der = der, .der_len = 3, .built_seq = 7};
			assert_int_equal(store_crl_put(s, &r, &e), 0);
			assert_true(r.seq > last);
			last = r.seq;
		}
	}
	der[2] = 99;
	r = (struct crl_record){.issuer_id = iss[0], .shard = 1, .number = 200, .this_update = 8,
	    .next_update = 9, .der = der, .der_len = 3, .built_seq = 11};
	assert_int_equal(store_crl_put(s, &r, &e), 0);
	assert_true(r.seq > last);
	assert_int_equal(store_crl_get(s, iss[0], 1, &got, &e), 1);
	assert_int_equal(got.number, 200);
	assert_int_equal(got.this_update, 8);
	assert_int_equal(got.next_update, 9);
	assert_int_equal(got.built_seq, 11);
	assert_int_equal(got.seq, r.seq);
	assert_int_equal(store_crl_get(s, iss[1], -2, &got, &e), 1);
	assert_int_equal(got.number, 112);
	assert_int_equal(store_crl_get(s, iss[1], 2, &got, &e), 0);
	assert_int_equal(store_crl_each(s, note_crl, &v, &e), 0);
	assert_int_equal(v.n, 6);
	for (int i = 0; i < 6; i++) {
		static const int order[3] = {-2, 0, 1};
		assert_int_equal(v.issuer[i], iss[i / 3]);
		assert_int_equal(v.shard[i], order[i % 3]);
	}
	assert_int_equal(v.number[2], 200);
	assert_int_equal(v.tag[2], 99);
	assert_int_equal(v.tag[3], 12);
	v = (struct crl_seen){.stop_at = 5};
	assert_int_equal(store_crl_each(s, note_crl, &v, &e), -1);
	assert_string_equal(e.msg, "enough");
}

/* Store a 3-byte CRL for (iss, key) with number n: store_crl_put's result. */
static int
put_crl(int64_t iss, int key, int64_t n, struct err *e)
{
	static uint8_t der[3] = {0x30, 0x01, 0};
	struct crl_record r = {.issuer_id = iss, .shard = key, .number = n, .this_update = 5,
	    .next_update = 6, .der = der, .der_len = 3, .built_seq = 7};

	return store_crl_put(s, &r, e);
}

/*
 * CRL numbers never repeat and never go back within a scope (a shard's base
 * and delta: one sequence), whoever stores them: a lower or equal number is
 * refused, nothing is stored and no seq is spent; other shards are apart.
 */
static void
test_crl_numbers_only_go_up(void **state)
{
	int64_t iss = add_issuer("cn1"), seq0, seq1;
	struct crl_record got;
	struct err e;

	(void)state;
	assert_int_equal(put_crl(iss, 1, 50, &e), 0);
	assert_int_equal(store_seq(s, STORE_SEQ_CRL, &seq0, &e), 0);
	assert_int_equal(put_crl(iss, 1, 50, &e), -1);
	assert_non_null(strstr(e.msg, "never repeats or goes back"));
	assert_int_equal(put_crl(iss, 1, 40, &e), -1);
	assert_int_equal(put_crl(iss, crl_key(1, 1), 50, &e), -1); /* its delta: the same scope */
	assert_int_equal(store_seq(s, STORE_SEQ_CRL, &seq1, &e), 0);
	assert_int_equal(seq1, seq0);
	assert_int_equal(store_crl_get(s, iss, 1, &got, &e), 1);
	assert_int_equal(got.number, 50);
	assert_int_equal(store_crl_get(s, iss, crl_key(1, 1), &got, &e), 0);
	assert_int_equal(put_crl(iss, crl_key(1, 1), 51, &e), 0);
	assert_int_equal(put_crl(iss, 1, 51, &e), -1); /* the delta took 51 */
	assert_int_equal(put_crl(iss, 1, 52, &e), 0);
	assert_int_equal(put_crl(iss, 2, 1, &e), 0); /* another shard: its own sequence */
	assert_int_equal(put_crl(iss, 0, 1, &e), 0); /* the full CRL too */
	/* In the caller's transaction: refused there too, and the caller rolls back. */
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(put_crl(iss, 2, 1, &e), -1);
	assert_int_equal(store_rollback(s, &e), 0);
	assert_int_equal(store_crl_get(s, iss, 1, &got, &e), 1);
	assert_int_equal(got.number, 52);
	/* A caller that commits anyway: the refusal took no CRL sequence number (nothing
	 * was stored, and the servers are told of no change). */
	assert_int_equal(store_seq(s, STORE_SEQ_CRL, &seq0, &e), 0);
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(put_crl(iss, 2, 1, &e), -1);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(store_seq(s, STORE_SEQ_CRL, &seq1, &e), 0);
	assert_int_equal(seq1, seq0);
}

struct entry_seen {
	int n;
	uint8_t lo[8];
};

static int
note_entries(void *arg, const struct cert_record *c, struct err *e)
{
	struct entry_seen *v = arg;

	(void)e;
	assert_int_equal(c->status, CERT_REVOKED);
	assert_int_equal(c->reason, 1);
	assert_true(v->n < 8);
	v->lo[v->n++] = c->serial[1];
	return 0;
}

static int
note_shards(void *arg, int64_t issuer_id, int shard, int64_t seq, int64_t n, struct err *e)
{
	int64_t *v = arg;

	(void)issuer_id, (void)e;
	assert_true(shard >= 1 && shard <= 2);
	v[shard] = seq;
	v[3 + shard] = n; /* how many */
	return 0;
}

/* How many entries store_crl_entries gives for (iss, shard) changed after seq. */
static int
entries(int64_t iss, int shard, int64_t after, struct entry_seen *v)
{
	struct err e;

	*v = (struct entry_seen){0};
	assert_int_equal(store_crl_entries(s, iss, shard, 0, after, note_entries, v, &e), 0);
	return v->n;
}

/*
 * A shard's entries, all shards' (0), and a delta's (after its base's
 * seq); the newest revocation of each shard after a seq.
 */
static void
test_crl_entries_and_since(void **state)
{
	struct cert_record c[4];
	struct entry_seen v;
	int64_t iss = add_issuer("ce1"), seq1, since[6] = {0};
	enum store_insert_result res;
	struct err e;

	(void)state;
	for (int i = 0; i < 4; i++) {
		const uint8_t sn[2] = {0x33, (uint8_t)i};
		c[i] = record(iss, sn, 2, (uint8_t)(i + 1));
		c[i].shard = 1 + i % 2;
		assert_int_equal(store_cert_insert(s, &c[i], &res, &e), 0);
	}
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(store_cert_revoke(s, c[0].id, 170, 1, &e), 0);
	assert_int_equal(store_cert_revoke(s, c[1].id, 170, 1, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(store_seq(s, STORE_SEQ_CHANGE, &seq1, &e), 0);
	assert_int_equal(store_cert_revoke(s, c[2].id, 171, 1, &e), 0);
	assert_int_equal(entries(iss, 1, 0, &v), 2); /* c0 and c2 */
	assert_true((v.lo[0] == 0 && v.lo[1] == 2) || (v.lo[0] == 2 && v.lo[1] == 0));
	assert_int_equal(entries(iss, 2, 0, &v), 1);
	assert_int_equal(v.lo[0], 1);
	assert_int_equal(entries(iss, 0, 0, &v), 3);
	assert_int_equal(entries(iss, 1, seq1, &v), 1);
	assert_int_equal(v.lo[0], 2);
	assert_int_equal(entries(iss, 2, seq1, &v), 0);
	assert_int_equal(entries(iss + 1000, 0, 0, &v), 0);
	assert_int_equal(store_revoked_since(s, 0, note_shards, since, &e), 0);
	assert_true(since[1] > seq1 && since[2] == seq1);
	assert_true(since[4] == 2 && since[5] == 1); /* c0 and c2; c1 */
	memset(since, 0, sizeof(since));
	assert_int_equal(store_revoked_since(s, seq1, note_shards, since, &e), 0);
	assert_true(since[1] > seq1 && since[2] == 0);
	assert_true(since[4] == 1 && since[5] == 0); /* c2 */
}

/* What a walk of the leases or a fence found, by shard of one issuer. */
struct lease_seen {
	int64_t issuer;
	int n;
	int held[8];
	struct store_lease row[8];
};

static int
note_lease(void *arg, const struct store_lease *l, struct err *e)
{
	struct lease_seen *v = arg;

	(void)e;
	assert_int_equal(l->issuer_id, v->issuer);
	assert_true(l->shard >= 0 && l->shard < 8);
	v->row[l->shard] = *l;
	v->n++;
	return 0;
}

static int
note_fenced(void *arg, int64_t issuer_id, int shard)
{
	struct lease_seen *v = arg;

	assert_int_equal(issuer_id, v->issuer);
	assert_true(shard >= 0 && shard < 8);
	v->held[shard] = 1;
	v->n++;
	return 0;
}

/* The units holder may write now, in a transaction of their own (then rolled back). */
static struct lease_seen
fenced(struct store *st, int64_t iss, const char *holder)
{
	struct lease_seen v = {.issuer = iss};
	struct err e;

	assert_int_equal(store_begin(st, &e), 0);
	assert_int_equal(store_lease_fence(st, holder, note_fenced, &v, &e), 0);
	assert_int_equal(store_rollback(st, &e), 0);
	return v;
}

static struct store_lease
lease(int64_t iss, int shard, const char *holder)
{
	struct store_lease l = {.issuer_id = iss, .shard = shard};

	snprintf(l.holder, sizeof(l.holder), "%s", holder);
	return l;
}

/* An expiry the store set for a lease of secs taken at t, by its clock or the caller's. */
static void
assert_expires(int64_t at, int64_t t, int64_t secs)
{
	assert_true(at >= t + secs - 5 && at <= t + secs + 5);
}

/*
 * Leases (store.h): a unit is taken by one holder at a time, taken again by
 * it, refused to another until it expires, then taken over with the mark
 * its last holder left (the first take of a unit starts from the single
 * signer's mark: a store from before leases).  Renewing keeps only what
 * the holder still holds; the fence gives each holder its own units, and
 * no longer the ones taken from it; a release frees them at once.  Time
 * passing is a renewal of a negative length (the leases ran out), so the
 * test holds whichever clock the store keeps.
 */
static void
test_leases(void **state)
{
	const struct store_signed_upto old = {7, {{3, 4, 0}}}, left = {9, {{10, 11, 0}}};
	int64_t iss = add_issuer("l1"), live, t = (int64_t)time(NULL);
	struct store_lease a = lease(iss, 1, "host:1:a"), b = lease(iss, 1, "host:2:b");
	struct store_lease a2 = lease(iss, 2, "host:1:a");
	struct lease_seen v = {.issuer = iss};
	struct err e;

	(void)state;
	assert_int_equal(store_signed_upto_set(s, &old, &e), 0);
	assert_int_equal(store_lease_take(s, &a, t, 100, &e), 1);
	assert_expires(a.expires_at, t, 100);
	assert_int_equal(a.upto.issuer_seq, 7);
	assert_true(store_cursor_same(&a.upto.at, &old.at));
	assert_int_equal(store_lease_take(s, &a2, t, 100, &e), 1);
	assert_int_equal(store_lease_take(s, &b, t, 100, &e), 0); /* A's for 100 s */
	assert_int_equal(store_lease_take(s, &a, t, 100, &e), 1); /* its own again */
	assert_int_equal(store_lease_mark(s, "host:1:a", iss, &left, &e), 0);
	v = fenced(s, iss, "host:1:a");
	assert_int_equal(v.n, 2);
	assert_true(v.held[1] && v.held[2]);

	/* A stalls past its lease: B takes shard 1 over, from A's mark. */
	assert_int_equal(store_lease_renew(s, "host:1:a", t, -5, &live, &e), 0);
	v = (struct lease_seen){.issuer = iss};
	assert_int_equal(store_lease_each(s, t, note_lease, &v, &e), 0);
	assert_true(v.n == 2 && v.row[1].expired && v.row[2].expired);
	assert_int_equal(store_lease_take(s, &b, t, 100, &e), 1);
	assert_int_equal(b.upto.issuer_seq, 9);
	assert_true(store_cursor_same(&b.upto.at, &left.at));
	v = fenced(s, iss, "host:1:a");
	assert_int_equal(v.n, 1); /* A may write shard 2 (expired, nobody took it), not 1 */
	assert_true(v.held[2] && !v.held[1]);
	v = fenced(s, iss, "host:2:b");
	assert_int_equal(v.n, 1);
	assert_true(v.held[1]);
	/* A renewing does not get shard 1 back; its mark is no longer A's to set. */
	assert_int_equal(store_lease_renew(s, "host:1:a", t, 200, &live, &e), 0);
	assert_int_equal(live, 1); /* B has not said it is alive yet */
	assert_int_equal(store_lease_mark(s, "host:1:a", iss, &old, &e), 0);
	assert_int_equal(store_lease_renew(s, "host:2:b", t, 230, &live, &e), 0);
	assert_int_equal(live, 2);
	v = (struct lease_seen){.issuer = iss};
	assert_int_equal(store_lease_each(s, t, note_lease, &v, &e), 0);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.row[1].holder, "host:2:b");
	assert_expires(v.row[1].expires_at, t, 230);
	assert_false(v.row[1].expired);
	assert_int_equal(v.row[1].upto.issuer_seq, 9); /* A's later mark was not written */
	assert_string_equal(v.row[2].holder, "host:1:a");
	assert_expires(v.row[2].expires_at, t, 200);
	assert_false(v.row[2].expired);
	assert_int_equal(v.row[2].upto.issuer_seq, 7); /* A's own unit: its mark moved */

	/* The fence needs the writer's transaction. */
	assert_int_equal(store_lease_fence(s, "host:1:a", note_fenced, &v, &e), -1);

	/* B leaves cleanly: shard 1 is free at once, its mark kept; B is no longer alive. */
	assert_int_equal(store_lease_release(s, "host:2:b", 0, 0, &e), 0);
	a = lease(iss, 1, "host:1:a");
	assert_int_equal(store_lease_take(s, &a, t, 300, &e), 1);
	assert_int_equal(a.upto.issuer_seq, 9);
	assert_int_equal(store_lease_renew(s, "host:1:a", t, 300, &live, &e), 0);
	assert_int_equal(live, 1);
	/* One unit given back: free for another, the other unit still A's. */
	assert_int_equal(store_lease_release(s, "host:1:a", iss, 2, &e), 0);
	b = lease(iss, 2, "host:2:b");
	assert_int_equal(store_lease_take(s, &b, t, 300, &e), 1);
	v = fenced(s, iss, "host:1:a");
	assert_true(v.n == 1 && v.held[1]);
}

/*
 * Two handles, as two signers: what one takes, the other sees taken, and a
 * holder dead for longer than its lease is no longer counted alive.
 */
static void
test_leases_two_handles(void **state)
{
	int64_t iss = add_issuer("l2"), live, t = (int64_t)time(NULL);
	struct store_lease a = lease(iss, 3, "a"), b = lease(iss, 3, "b");
	struct store *other;
	struct err e;

	(void)state;
	assert_non_null(other = cur->open(dir, STORE_WRITE, &e));
	assert_int_equal(store_lease_renew(s, "a", t, 100, &live, &e), 0);
	assert_int_equal(store_lease_renew(other, "b", t, 100, &live, &e), 0);
	assert_int_equal(live, 2);
	assert_int_equal(store_lease_take(s, &a, t, 100, &e), 1);
	assert_int_equal(store_lease_take(other, &b, t, 100, &e), 0);
	assert_int_equal(store_lease_renew(s, "a", t, -5, &live, &e), 0); /* a stops */
	assert_int_equal(store_lease_renew(other, "b", t, 100, &live, &e), 0);
	assert_int_equal(live, 1); /* a's presence ended */
	assert_int_equal(store_lease_take(other, &b, t, 100, &e), 1);
	assert_int_equal(fenced(s, iss, "a").n, 0);
	assert_int_equal(fenced(other, iss, "b").n, 1);
	store_close(other);
}

/* What store_lease_signers gave: per holder a (by its first letter), the issuers. */
struct signers_seen {
	int published[3]; /* a, b, c: cb(holder, 0) seen */
	int64_t ids[3][4];
	size_t n[3];
};

static int
note_signer(void *arg, const char *holder, int64_t issuer_id, struct err *e)
{
	struct signers_seen *v = arg;
	int h = holder[strlen(holder) - 1] - 'a';

	(void)e;
	assert_true(h >= 0 && h < 3);
	if (issuer_id == 0)
		v->published[h]++;
	else if (v->n[h] < 4)
		v->ids[h][v->n[h]++] = issuer_id;
	return 0;
}

static struct signers_seen
signers(struct store *st, int64_t t)
{
	struct signers_seen v;
	struct err e;

	memset(&v, 0, sizeof(v));
	assert_int_equal(store_lease_signers(st, t, note_signer, &v, &e), 0);
	return v;
}

/*
 * What each signer can sign (store_lease_signs, issue 18 session 14): given
 * in its renewal's transaction, seen by the other handle with the holders
 * alive only; an empty set published too (not an unknown one); replaced,
 * not added to; forgotten with the holder: released, evicted, or expired
 * and forgotten by another's renewal.  Holder names with colons (as
 * signers' are) are told apart from each other's prefixes.
 */
static void
test_lease_signs(void **state)
{
	int64_t i1 = add_issuer("s1"), i2 = add_issuer("s2"), live, n, t = (int64_t)time(NULL);
	struct store_lease l = lease(i1, 1, "h:1:b");
	struct signers_seen v;
	struct store *other;
	struct err e;

	(void)state;
	assert_non_null(other = cur->open(dir, STORE_WRITE, &e));
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(store_lease_renew(s, "h:1:a", t, 100, &live, &e), 0);
	assert_int_equal(store_lease_signs(s, "h:1:a", (const int64_t[]){i2, i1, i2}, 3, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(store_lease_renew(other, "h:1:b", t, 100, &live, &e), 0);
	assert_int_equal(store_lease_signs(other, "h:1:b", NULL, 0, &e), 0);
	/* Published, but not alive: not given. */
	assert_int_equal(store_lease_signs(other, "h:1:c", (const int64_t[]){i1}, 1, &e), 0);
	v = signers(other, t);
	assert_int_equal(v.published[0], 1);
	assert_int_equal(v.n[0], 2);
	assert_true((v.ids[0][0] == i1 && v.ids[0][1] == i2) ||
		    (v.ids[0][0] == i2 && v.ids[0][1] == i1));
	assert_int_equal(v.published[1], 1); /* b signs nothing: said */
	assert_int_equal(v.n[1], 0);
	assert_int_equal(v.published[2], 0);
	/* Replaced, and the same again changes nothing. */
	assert_int_equal(store_lease_signs(s, "h:1:a", (const int64_t[]){i2}, 1, &e), 0);
	assert_int_equal(store_lease_signs(s, "h:1:a", (const int64_t[]){i2}, 1, &e), 0);
	v = signers(other, t);
	assert_true(v.n[0] == 1 && v.ids[0][0] == i2);
	/* b holds a unit and leaves cleanly: forgotten. */
	assert_int_equal(store_lease_take(other, &l, t, 100, &e), 1);
	assert_int_equal(store_lease_release(other, "h:1:b", 0, 0, &e), 0);
	v = signers(s, t);
	assert_true(v.published[0] == 1 && v.published[1] == 0);
	/* b back, then evicted (dead): forgotten. */
	assert_int_equal(store_lease_renew(other, "h:1:b", t, 100, &live, &e), 0);
	assert_int_equal(store_lease_signs(other, "h:1:b", (const int64_t[]){i1}, 1, &e), 0);
	assert_int_equal(signers(s, t).published[1], 1);
	assert_int_equal(store_lease_renew(other, "h:1:b", t, -5, &live, &e), 0);
	assert_int_equal(signers(s, t).published[1], 0); /* expired: not alive */
	assert_int_equal(store_lease_evict(s, "h:1:b", t + 100000, &n, &e), 0);
	assert_int_equal(store_lease_renew(other, "h:1:b", t, 100, &live, &e), 0);
	assert_int_equal(signers(s, t).published[1], 0); /* alive again, its issuers gone */
	/* a expires and another's renewal forgets it, and what it published. */
	assert_int_equal(store_lease_renew(s, "h:1:a", t, -5, &live, &e), 0);
	assert_int_equal(store_lease_renew(other, "h:1:b", t, 100, &live, &e), 0);
	assert_int_equal(store_lease_renew(s, "h:1:a", t, 100, &live, &e), 0);
	v = signers(other, t);
	assert_int_equal(v.published[0], 0);
	store_close(other);
}

/*
 * Whose clock decides (review of the leases, item 3): SQLite, on one host,
 * keeps the caller's; PostgreSQL, shared by hosts, keeps the database's and
 * ignores the caller's, so a signer whose clock runs 1000 s ahead neither
 * takes a live lease nor sees it expired, and one whose clock is behind
 * does not outlive its lease.
 */
static void
test_lease_clock(void **state)
{
	int64_t iss = add_issuer("lc"), live, t = (int64_t)time(NULL);
	struct store_lease a = lease(iss, 1, "a"), b = lease(iss, 1, "b");
	struct lease_seen v = {.issuer = iss};
	struct err e;

	(void)state;
	assert_int_equal(store_lease_take(s, &a, t, 30, &e), 1);
	if (strcmp(cur->name, "postgresql") == 0) {
		assert_int_equal(store_lease_take(s, &b, t + 1000, 30, &e), 0);
		assert_int_equal(store_lease_each(s, t + 1000, note_lease, &v, &e), 0);
		assert_true(v.n == 1 && !v.row[1].expired);
		assert_int_equal(store_lease_take(s, &a, t + 1000, 30, &e), 1);
		assert_expires(a.expires_at, t, 30); /* the database's time, not the caller's */
		assert_int_equal(store_lease_renew(s, "b", t - 1000, 30, &live, &e), 0);
		assert_int_equal(store_lease_renew(s, "c", t + 1000, 30, &live, &e), 0);
		assert_int_equal(live, 2); /* b is alive for the database */
		return;
	}
	assert_int_equal(store_lease_take(s, &b, t + 30, 30, &e), 0); /* expires at t + 30 */
	assert_int_equal(store_lease_each(s, t + 31, note_lease, &v, &e), 0);
	assert_true(v.n == 1 && v.row[1].expired);
	assert_int_equal(store_lease_take(s, &b, t + 31, 30, &e), 1);
	assert_int_equal(b.expires_at, t + 61);
}

/*
 * A holder known dead (store_lease_evict, review item 2) loses its units
 * and its presence, unless it renewed after the caller looked: then it is
 * alive after all, and nothing changes.
 */
static void
test_lease_evict(void **state)
{
	int64_t iss = add_issuer("le"), live, n = -1, t = (int64_t)time(NULL), seen = 0;
	struct store_lease a1 = lease(iss, 1, "a"), a2 = lease(iss, 2, "a");
	struct lease_seen v = {.issuer = iss};
	struct err e;

	(void)state;
	assert_int_equal(store_lease_renew(s, "a", t, 100, &live, &e), 0);
	assert_int_equal(store_lease_take(s, &a1, t, 100, &e), 1);
	assert_int_equal(store_lease_take(s, &a2, t, 100, &e), 1);
	assert_int_equal(store_lease_each(s, t, note_lease, &v, &e), 0);
	for (int sh = 1; sh <= 2; sh++)
		seen = v.row[sh].expires_at > seen ? v.row[sh].expires_at : seen;
	/* a renews after the look (by either clock, later than seen): it stays. */
	assert_int_equal(store_lease_renew(s, "a", t, 110, &live, &e), 0);
	assert_int_equal(store_lease_evict(s, "a", seen, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(fenced(s, iss, "a").n, 2);
	assert_int_equal(store_lease_renew(s, "b", t, 100, &live, &e), 0);
	assert_int_equal(live, 2);
	/* Looked at again, and dead: its units are free, and it is forgotten. */
	v = (struct lease_seen){.issuer = iss};
	assert_int_equal(store_lease_each(s, t, note_lease, &v, &e), 0);
	seen = v.row[1].expires_at > v.row[2].expires_at ? v.row[1].expires_at : v.row[2].expires_at;
	assert_int_equal(store_lease_evict(s, "a", seen, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(fenced(s, iss, "a").n, 0);
	assert_int_equal(store_lease_renew(s, "b", t, 100, &live, &e), 0);
	assert_int_equal(live, 1);
	a1 = lease(iss, 1, "b");
	assert_int_equal(store_lease_take(s, &a1, t, 100, &e), 1);
}

/* ---- tokens and the audit trail (issue 19) ---- */

static struct token_record
token(const char *name, unsigned scopes, uint8_t fill)
{
	struct token_record t = {.scopes = scopes, .created = 1700000000};

	snprintf(t.name, sizeof(t.name), "%s", name);
	memset(t.hash, fill, sizeof(t.hash));
	return t;
}

struct tokens_seen {
	int n;
	char names[8][64];
	int64_t revoked[8];
	unsigned scopes[8];
};

static int
token_seen(void *arg, const struct token_record *t, struct err *e)
{
	struct tokens_seen *v = arg;

	(void)e;
	if (v->n < 8) {
		snprintf(v->names[v->n], sizeof(v->names[0]), "%s", t->name);
		v->revoked[v->n] = t->revoked;
		v->scopes[v->n] = t->scopes;
	}
	v->n++;
	return 0;
}

static void
test_tokens(void **state)
{
	struct token_record a = token("ci", TOKEN_SCOPE_INTAKE, 0xa1),
			    b = token("admin", TOKEN_SCOPE_ALL, 0xb2), got, again;
	struct tokens_seen seen = {0};
	uint8_t unknown[32];
	struct err e;

	(void)state;
	memset(unknown, 0xa1, sizeof(unknown));
	unknown[31] = 0; /* one byte off a's */
	assert_int_equal(store_token_put(s, &a, &e), 0);
	assert_int_equal(store_token_put(s, &b, &e), 0);
	assert_int_equal(store_token_find(s, a.hash, &got, &e), 1);
	assert_string_equal(got.name, "ci");
	assert_int_equal(got.scopes, TOKEN_SCOPE_INTAKE);
	assert_int_equal(got.created, 1700000000);
	assert_int_equal(got.revoked, 0);
	assert_memory_equal(got.hash, a.hash, 32);
	assert_int_equal(store_token_find(s, unknown, &got, &e), 0);
	/* One active token per name; the same hash twice is refused too. */
	again = token("ci", TOKEN_SCOPE_READ, 0xc3);
	assert_int_equal(store_token_put(s, &again, &e), -1);
	assert_non_null(strstr(e.msg, "already exists"));
	/* A put rolled back leaves nothing. */
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(store_token_put(s, &(struct token_record){.name = "gone", .scopes = 1,
					       .hash = {9}, .created = 5}, &e), 0);
	assert_int_equal(store_rollback(s, &e), 0);
	/* Revoked: not found any more, its name free for a new token, its row kept. */
	assert_int_equal(store_token_revoke(s, "ci", 1700000100, &e), 1);
	assert_int_equal(store_token_revoke(s, "ci", 1700000200, &e), 0);
	assert_int_equal(store_token_revoke(s, "nobody", 1700000200, &e), 0);
	assert_int_equal(store_token_find(s, a.hash, &got, &e), 0);
	assert_int_equal(store_token_put(s, &again, &e), 0);
	assert_int_equal(store_token_find(s, again.hash, &got, &e), 1);
	assert_int_equal(got.scopes, TOKEN_SCOPE_READ);
	assert_int_equal(store_token_each(s, token_seen, &seen, &e), 0);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.names[0], "admin");
	assert_string_equal(seen.names[1], "ci");
	assert_int_equal(seen.revoked[1], 1700000100);
	assert_string_equal(seen.names[2], "ci");
	assert_int_equal(seen.revoked[2], 0);
	assert_int_equal(seen.scopes[0], TOKEN_SCOPE_ALL);
}

struct audit_seen {
	int n;
	int64_t ids[16];
	char actions[16][32];
	uint8_t prev[32];
	int chain_ok;
};

/* Collects the rows and computes the chain again as it goes (rows in number order). */
static int
audit_seen(void *arg, const struct audit_record *r, struct err *e)
{
	struct audit_seen *v = arg;
	uint8_t h[32];

	(void)e;
	if (audit_hash(v->prev, r->id, &r->ev, h) != 0 || memcmp(h, r->hash, 32) != 0)
		v->chain_ok = 0;
	memcpy(v->prev, r->hash, 32);
	if (v->n < 16) {
		v->ids[v->n] = r->id;
		snprintf(v->actions[v->n], sizeof(v->actions[0]), "%s", r->ev.action);
	}
	v->n++;
	return 0;
}

static struct audit_seen
audit_walk(struct store *st, const struct audit_filter *f)
{
	struct audit_seen v = {.chain_ok = 1};
	struct err e;

	assert_int_equal(store_audit_each(st, f, audit_seen, &v, &e), 0);
	return v;
}

static void
test_audit_chain(void **state)
{
	static const uint8_t ser1[] = {0x01, 0x02}, ser2[] = {0x00, 0x80};
	struct audit_event ev[3] = {
	    {.at = 100, .actor = "cli:root", .origin = "cli", .action = "issuer.add",
		.issuer_id = 7, .detail = "{\"name\":\"e1\"}"},
	    {.at = 200, .actor = "cli:root", .origin = "cli", .action = "cert.add", .issuer_id = 7,
		.serial = ser1, .serial_len = sizeof(ser1)},
	    {.at = 300, .actor = "token:ci \"q\" \\ \t\n\r\\N", .origin = "127.0.0.1:5555",
		.action = "cert.revoke", .issuer_id = 8, .serial = ser2, .serial_len = sizeof(ser2),
		.detail = "{\"reason\":\"keyCompromise\",\"x\":\"a,b{}\"}"},
	};
	struct audit_seen v;
	uint8_t head[32], zero[32] = {0};
	int64_t head_id;
	struct err e;

	(void)state;
	assert_int_equal(store_audit_head(s, &head_id, head, &e), 0);
	assert_int_equal(head_id, 0);
	assert_memory_equal(head, zero, 32);
	/* One alone (its own transaction), then two in the caller's, then one rolled back. */
	assert_int_equal(store_audit_append(s, &ev[0], &e), 0);
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(store_audit_append_many(s, &ev[1], 2, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(store_audit_append(s, &ev[0], &e), 0);
	assert_int_equal(store_rollback(s, &e), 0);
	v = audit_walk(s, NULL);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.ids[0], 1);
	assert_int_equal(v.ids[2], 3);
	assert_string_equal(v.actions[2], "cert.revoke");
	assert_true(v.chain_ok);
	assert_int_equal(store_audit_head(s, &head_id, head, &e), 0);
	assert_int_equal(head_id, 3);
	assert_memory_equal(head, v.prev, 32);
	/* Each field is stored as given: the chain computed from the rows read back holds. */
	assert_int_equal(audit_walk(s, &(struct audit_filter){.issuer_id = 7}).n, 2);
	v = audit_walk(s, &(struct audit_filter){.serial = ser2, .serial_len = sizeof(ser2)});
	assert_int_equal(v.n, 1);
	assert_int_equal(v.ids[0], 3);
	assert_int_equal(audit_walk(s, &(struct audit_filter){.serial = ser2, .serial_len = 1}).n, 0);
	assert_int_equal(audit_walk(s, &(struct audit_filter){.since = 200}).n, 2);
	v = audit_walk(s, &(struct audit_filter){.after_id = 1});
	assert_int_equal(v.n, 2);
	assert_int_equal(v.ids[0], 2);
}

struct appender {
	struct store *st;
	int rc;
};

static void *
append_other(void *arg)
{
	struct appender *a = arg;
	struct audit_event ev = {.at = 2, .actor = "cli:b", .origin = "cli", .action = "token.add"};
	struct err e;

	a->rc = store_audit_append(a->st, &ev, &e);
	return NULL;
}

/*
 * Two writers: the second appends while the first's transaction holds the
 * head; it waits, and chains after the first's row once that commits (the
 * chain in commit order, THE CURSOR RULE).
 */
static void
test_audit_two_writers(void **state)
{
	struct audit_event ev = {.at = 1, .actor = "cli:a", .origin = "cli", .action = "token.add"};
	struct appender a = {.rc = -1};
	struct audit_seen v;
	pthread_t t;
	struct err e;

	(void)state;
	assert_non_null(a.st = cur->open(dir, STORE_WRITE, &e));
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(store_audit_append(s, &ev, &e), 0);
	assert_int_equal(pthread_create(&t, NULL, append_other, &a), 0);
	usleep(200 * 1000); /* the other is waiting for the head now */
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(a.rc, 0);
	store_close(a.st);
	v = audit_walk(s, NULL);
	assert_int_equal(v.n, 2);
	assert_true(v.chain_ok);
	assert_string_equal(v.actions[0], "token.add");
}

#define CONTRACT_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	static const struct CMUnitTest tests[] = {
	    CONTRACT_TEST(test_open_read_only),
	    CONTRACT_TEST(test_issuers),
	    CONTRACT_TEST(test_issuer_manage),
	    CONTRACT_TEST(test_key_states),
	    CONTRACT_TEST(test_serials_are_exact_bytes),
	    CONTRACT_TEST(test_duplicates_and_conflicts),
	    CONTRACT_TEST(test_revoke_and_rollback),
	    CONTRACT_TEST(test_cert_complete),
	    CONTRACT_TEST(test_transactions_and_readers),
	    CONTRACT_TEST(test_revocation_is_final),
	    CONTRACT_TEST(test_changed_cursor_never_skips),
	    CONTRACT_TEST(test_due_cursor_pages),
	    CONTRACT_TEST(test_ocsp_write_order),
	    CONTRACT_TEST(test_ocsp_get),
	    CONTRACT_TEST(test_hold_release_purge),
	    CONTRACT_TEST(test_seqs_and_intents),
	    CONTRACT_TEST(test_signed_upto_keeps_cursor),
	    CONTRACT_TEST(test_changes_wait),
	    CONTRACT_TEST(test_create_refuses_existing),
	    CONTRACT_TEST(test_signer_records),
	    CONTRACT_TEST(test_cert_each_walks_all),
	    CONTRACT_TEST(test_change_seq_per_transaction),
	    CONTRACT_TEST(test_ocsp_put_batch),
	    CONTRACT_TEST(test_changed_skips_signed),
	    CONTRACT_TEST(test_changed_skips_signed_in_batch),
	    CONTRACT_TEST(test_hold_both_hashes),
	    CONTRACT_TEST(test_future_due),
	    CONTRACT_TEST(test_crls),
	    CONTRACT_TEST(test_crl_numbers_only_go_up),
	    CONTRACT_TEST(test_crl_entries_and_since),
	    CONTRACT_TEST(test_cert_insert_many),
	    CONTRACT_TEST(test_cert_insert_many_fields),
	    CONTRACT_TEST(test_cert_unknown_issuer),
	    CONTRACT_TEST(test_cert_spki_precert),
	    CONTRACT_TEST(test_cert_by_spki),
	    CONTRACT_TEST(test_leases),
	    CONTRACT_TEST(test_leases_two_handles),
	    CONTRACT_TEST(test_lease_clock),
	    CONTRACT_TEST(test_lease_evict),
	    CONTRACT_TEST(test_lease_signs),
	    CONTRACT_TEST(test_tokens),
	    CONTRACT_TEST(test_audit_chain),
	    CONTRACT_TEST(test_audit_two_writers),
	};
	int failed = 0;

	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		const char *why = backends[i].ready != NULL ? backends[i].ready() : NULL;

		cur = &backends[i];
		if (why != NULL) {
			printf("# %s: the contract tests were not run: %s\n", cur->name, why);
			continue;
		}
		failed += cmocka_run_group_tests_name(cur->name, tests, NULL, NULL);
	}
	return failed;
}
