/*
 * test_postgresql_ocsp_put.c - how the PostgreSQL store writes a batch of
 * OCSP responses (postgresql_ocsp_put.c), beside the contract that
 * test_contract.c checks on both backends: new rows go in by a plain INSERT
 * (the cheap statement), or in a caller's transaction (the signer's) by a
 * binary COPY, with the numbers and meta rows the INSERT would give them;
 * a batch that meets a stored row is written by the upsert instead and
 * replaces it, inside a caller's transaction too (a savepoint), and the
 * next batches after such a one go to the upsert at once.  Which statement ran is read from pg_prepared_statements on the
 * store's own connection (its execution counts).  Each test gets a fresh
 * database (pgtest.h); without LANCRE_TEST_PG the tests are not run.
 */
#include "testutil.h"
#include "pgtest.h"
#include "store/postgresql_int.h"
#include "store/store.h"

#define CERTS 64
/* postgresql_ocsp_put.c's PG_OCSP_UPSERT_RUN. */
#define UPSERT_RUN 16

/* A store with one issuer and CERTS certificates, ids in id[]. */
static struct store *
store_with_certs(int64_t *id)
{
	struct issuer_record r = {0};
	uint8_t der[] = {0x30, 0x00};
	enum store_insert_result res;
	struct store *s;
	struct err e;

	assert_non_null(s = store_open(test_dir, pgtest_db, STORE_CREATE, &e));
	snprintf(r.name, sizeof(r.name), "put1");
	r.cert_der = der;
	r.cert_len = sizeof(der);
	r.crl_shards = 1;
	assert_int_equal(store_issuer_add(s, &r, NULL, &e), 0);
	for (int i = 0; i < CERTS; i++) {
		struct cert_record c = {.issuer_id = r.id, .serial_len = 2, .shard = 1,
		    .not_after = 4000000000};
		c.serial[0] = 1;
		c.serial[1] = (uint8_t)i;
		assert_int_equal(store_cert_insert(s, &c, &res, &e), 0);
		id[i] = c.id;
	}
	return s;
}

/* How many times the store's connection ran prepared statement stmt (0: never prepared). */
static long
runs(struct store *s, const char *stmt)
{
	struct pg_params p = {0};
	struct err e;
	PGresult *r;
	long n;

	pg_param_text(&p, stmt);
	r = pg_exec((struct store_pg *)s,
	    "SELECT coalesce(sum(generic_plans + custom_plans), 0)::bigint"
	    " FROM pg_prepared_statements WHERE name = $1::text",
	    &p, "reading the prepared statements", &e);
	assert_non_null(r);
	n = (long)pg_int(r, 0, 0);
	PQclear(r);
	return n;
}

/* Write responses for certificates id[from..to-1], SHA-1, DER {0x30, tag}. */
static void
put(struct store *s, const int64_t *id, int from, int to, uint8_t tag)
{
	static uint8_t der[CERTS][2];
	struct ocsp_record r[CERTS];
	struct err e;
	int n = 0;

	for (int i = from; i < to; i++, n++) {
		der[n][0] = 0x30;
		der[n][1] = tag;
		r[n] = (struct ocsp_record){.cert_id = id[i], .hash = OCSP_HASH_SHA1,
		    .der = der[n], .der_len = 2, .this_update = 100, .next_update = 200,
		    .due_at = 150, .cert_seq = 1};
	}
	assert_int_equal(store_ocsp_put(s, r, (size_t)n, &e), 0);
	for (int i = 1; i < n; i++)
		assert_int_equal(r[i].seq, r[0].seq + i); /* in array order, numbers of its own */
}

struct seen {
	int n;
	uint8_t tag[CERTS];
	int64_t last_seq;
};

static int
collect(void *arg, const struct ocsp_record *r)
{
	struct seen *w = arg;

	assert_int_equal(r->der_len, 2);
	assert_true(r->seq > w->last_seq);
	w->last_seq = r->seq;
	w->tag[w->n++] = r->der[1];
	return 0;
}

/* The stored responses' tags, in seq order. */
static struct seen
stored(struct store *s)
{
	struct seen w = {0};
	struct err e;

	assert_int_equal(store_ocsp_each(s, 0, collect, &w, &e), 0);
	return w;
}

/*
 * New rows: the plain INSERT alone.  A batch with one row already there:
 * the plain INSERT is refused and the upsert writes the batch, replacing
 * that row (its new seq after the others'); the next UPSERT_RUN batches go
 * to the upsert at once, then the plain INSERT is tried again.
 */
static void
test_new_rows_plain_then_upsert(void **state)
{
	int64_t id[CERTS];
	struct store *s;
	struct seen w;

	(void)state;
	s = store_with_certs(id);
	put(s, id, 0, 10, 1);
	assert_int_equal(runs(s, "lancre_ocsp_insert"), 1);
	assert_int_equal(runs(s, "lancre_ocsp_put"), 0);
	put(s, id, 9, 20, 2); /* id[9] is stored */
	assert_int_equal(runs(s, "lancre_ocsp_insert"), 2);
	assert_int_equal(runs(s, "lancre_ocsp_put"), 1);
	w = stored(s);
	assert_int_equal(w.n, 20);
	for (int i = 0; i < 9; i++)
		assert_int_equal(w.tag[i], 1);
	for (int i = 9; i < 20; i++)
		assert_int_equal(w.tag[i], 2); /* id[9] replaced, rewritten last */
	for (int i = 0; i < UPSERT_RUN; i++)
		put(s, id, 20 + i, 21 + i, 3);
	assert_int_equal(runs(s, "lancre_ocsp_insert"), 2);
	assert_int_equal(runs(s, "lancre_ocsp_put"), 1 + UPSERT_RUN);
	put(s, id, 40, 41, 3);
	assert_int_equal(runs(s, "lancre_ocsp_insert"), 3);
	assert_int_equal(stored(s).n, 20 + UPSERT_RUN + 1);
	store_close(s);
}

/*
 * In the caller's transaction: the refused plain INSERT goes back to its
 * savepoint, the transaction goes on (the upsert, then more writes) and
 * commits all of it; rolled back, none of it is kept.
 */
static void
test_in_transaction(void **state)
{
	int64_t id[CERTS];
	struct store *s;
	struct err e;
	struct seen w;

	(void)state;
	s = store_with_certs(id);
	put(s, id, 0, 5, 1);
	assert_int_equal(store_begin(s, &e), 0);
	put(s, id, 4, 8, 2); /* id[4] is stored: refused, then the upsert */
	assert_int_equal(runs(s, "lancre_ocsp_put"), 1);
	assert_int_equal(store_commit(s, &e), 0);
	w = stored(s);
	assert_int_equal(w.n, 8);
	assert_int_equal(w.tag[3], 1);
	assert_int_equal(w.tag[7], 2);
	for (int i = 0; i < UPSERT_RUN; i++) /* past the upserts' run */
		put(s, id, 8 + i, 9 + i, 3);
	assert_int_equal(store_begin(s, &e), 0);
	put(s, id, 30, 40, 4); /* the plain INSERT, in the transaction */
	put(s, id, 39, 45, 5); /* refused, then the upsert */
	assert_int_equal(store_rollback(s, &e), 0);
	assert_int_equal(stored(s).n, 8 + UPSERT_RUN);
	store_close(s);
}

/* meta.key of s's store. */
static int64_t
meta(struct store *s, const char *key)
{
	struct err e;
	int64_t v;

	assert_int_equal(pg_meta_get((struct store_pg *)s, key, &v, &e), 1);
	return v;
}

/*
 * In a transaction, new rows go in by COPY (neither prepared statement
 * runs) with ocsp_seq's next numbers in array order, a duplicate
 * (cert_id, hash) written once (the later), and meta ocsp_cert_seq,
 * ocsp_newest and the seam's ocsp_cert_id raised as PG_OCSP_INSERT does.
 * A batch meeting a stored row: the COPY is refused, its savepoint rolls
 * the numbers it took back, and the upsert takes them (no gap in seq).
 */
static void
test_copy_in_transaction(void **state)
{
	static uint8_t der[3][2] = {{0x30, 7}, {0x30, 8}, {0x30, 9}};
	int64_t id[CERTS];
	struct ocsp_record r[3];
	struct store *s;
	struct err e;
	struct seen w;

	(void)state;
	s = store_with_certs(id);
	assert_int_equal(store_begin(s, &e), 0);
	put(s, id, 0, 10, 1);
	for (int i = 0; i < 3; i++) /* id[10] twice: the later one is kept */
		r[i] = (struct ocsp_record){.cert_id = id[10 + (i == 2)], .hash = OCSP_HASH_SHA1,
		    .der = der[i], .der_len = 2, .this_update = 300, .next_update = 400,
		    .due_at = 350, .cert_seq = 2};
	r[1].cert_id = id[10];
	r[2].cert_id = id[11];
	assert_int_equal(store_ocsp_put(s, r, 3, &e), 0);
	assert_int_equal(r[2].seq, 13);
	assert_int_equal(runs(s, "lancre_ocsp_insert") + runs(s, "lancre_ocsp_put"), 0);
	assert_int_equal(store_commit(s, &e), 0);
	w = stored(s);
	assert_int_equal(w.n, 12);
	assert_int_equal(w.tag[9], 1);
	assert_int_equal(w.tag[10], 8); /* id[10]: the later of its two */
	assert_int_equal(w.tag[11], 9);
	assert_int_equal(w.last_seq, 13);
	assert_int_equal(meta(s, "ocsp_seq"), 13);
	assert_int_equal(meta(s, "ocsp_cert_seq"), 2);
	assert_int_equal(meta(s, "ocsp_cert_id"), id[11]);
	assert_int_equal(meta(s, "ocsp_newest"), 300);
	assert_int_equal(store_begin(s, &e), 0);
	put(s, id, 11, 20, 2); /* id[11] is stored: COPY refused, then the upsert */
	assert_int_equal(runs(s, "lancre_ocsp_put"), 1);
	assert_int_equal(store_commit(s, &e), 0);
	w = stored(s);
	assert_int_equal(w.n, 20);
	assert_int_equal(w.tag[10], 8);
	for (int i = 11; i < 20; i++)
		assert_int_equal(w.tag[i], 2); /* id[11] replaced, rewritten last */
	assert_int_equal(w.last_seq, 22); /* 14..22: the refused COPY's numbers taken again */
	assert_int_equal(meta(s, "ocsp_cert_seq"), 2); /* not lowered by cert_seq 1 */
	assert_int_equal(meta(s, "ocsp_newest"), 300);
	store_close(s);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
	    pgtest_unit_test(test_new_rows_plain_then_upsert),
	    pgtest_unit_test(test_in_transaction),
	    pgtest_unit_test(test_copy_in_transaction),
	};

	return pgtest_run_group("postgresql_ocsp_put", tests);
}
