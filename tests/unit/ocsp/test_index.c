/* Unit tests for ocsp/index and ocsp/answer: lookups, replacement, growth, outcomes. */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>

#include "ocsp/answer.h"
#include "ocsp/index.h"

static struct test_ca a, b;
static struct ocsp_issuer_hashes ha, hb;

static int
setup(void **state)
{
	struct err e;

	(void)state;
	test_ca_make(&a, "index CA a", NULL, MINT_P256);
	test_ca_make(&b, "index CA b", NULL, MINT_P256);
	assert_int_equal(ocsp_issuer_hashes(a.cert, &ha, &e), 0);
	assert_int_equal(ocsp_issuer_hashes(b.cert, &hb, &e), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	test_ca_free(&a);
	test_ca_free(&b);
	return 0;
}

static void
put(struct ocsp_index *ix, int64_t issuer, enum ocsp_hash h, uint32_t serial, const char *der,
    int64_t next)
{
	struct ocsp_record r = {0};
	struct err e;

	r.issuer_id = issuer;
	r.hash = h;
	r.serial[0] = (uint8_t)(serial >> 24);
	r.serial[1] = (uint8_t)(serial >> 16);
	r.serial[2] = (uint8_t)(serial >> 8);
	r.serial[3] = (uint8_t)serial;
	r.serial_len = 4;
	r.der = (const uint8_t *)der;
	r.der_len = strlen(der);
	r.this_update = next - 1000;
	r.next_update = next;
	assert_int_equal(ocsp_index_put(ix, &r, &e), 0);
}

static struct ocsp_query
query(const struct ocsp_issuer_hashes *h, enum ocsp_hash hash, uint32_t serial)
{
	struct ocsp_query q = {0};
	int k = ocsp_hash_index(hash);

	q.hash = hash;
	memcpy(q.name_hash, h->name[k], ocsp_hash_len(hash));
	memcpy(q.key_hash, h->key[k], ocsp_hash_len(hash));
	q.serial[0] = (uint8_t)(serial >> 24);
	q.serial[1] = (uint8_t)(serial >> 16);
	q.serial[2] = (uint8_t)(serial >> 8);
	q.serial[3] = (uint8_t)serial;
	q.serial_len = 4;
	return q;
}

/* ix answers a's SHA-1 CertID for serial with exactly the bytes want. */
static void
expect_der(const struct ocsp_index *ix, uint32_t serial, const char *want)
{
	struct ocsp_query q = query(&ha, OCSP_HASH_SHA1, serial);
	struct ocsp_entry en;

	assert_int_equal(ocsp_index_find(ix, &q, &en), OCSP_FOUND);
	assert_int_equal(en.der_len, strlen(want));
	assert_memory_equal(en.der, want, en.der_len);
}

static void
test_find(void **state)
{
	struct ocsp_index *ix;
	struct ocsp_entry en;
	struct ocsp_query q;
	struct err e;

	(void)state;
	ix = ocsp_index_new(&e);
	assert_non_null(ix);
	assert_int_equal(ocsp_index_add_issuer(ix, 10, a.cert, &e), 0);
	assert_int_equal(ocsp_index_add_issuer(ix, 20, b.cert, &e), 0);
	put(ix, 10, OCSP_HASH_SHA1, 1, "a-1-sha1", 5000);
	put(ix, 10, OCSP_HASH_SHA256, 1, "a-1-sha256", 5000);
	put(ix, 20, OCSP_HASH_SHA1, 1, "b-1-sha1", 5000);
	put(ix, 99, OCSP_HASH_SHA1, 1, "unknown issuer: skipped", 5000);
	assert_int_equal(ocsp_index_count(ix), 3);

	q = query(&ha, OCSP_HASH_SHA1, 1);
	assert_int_equal(ocsp_index_find(ix, &q, &en), OCSP_FOUND);
	assert_memory_equal(en.der, "a-1-sha1", en.der_len);
	q = query(&ha, OCSP_HASH_SHA256, 1);
	assert_int_equal(ocsp_index_find(ix, &q, &en), OCSP_FOUND);
	assert_memory_equal(en.der, "a-1-sha256", en.der_len);
	q = query(&hb, OCSP_HASH_SHA1, 1);
	assert_int_equal(ocsp_index_find(ix, &q, &en), OCSP_FOUND);
	assert_memory_equal(en.der, "b-1-sha1", en.der_len);
	q = query(&hb, OCSP_HASH_SHA256, 1);
	assert_int_equal(ocsp_index_find(ix, &q, &en), OCSP_UNKNOWN_SERIAL);
	q = query(&ha, OCSP_HASH_SHA1, 2);
	assert_int_equal(ocsp_index_find(ix, &q, &en), OCSP_UNKNOWN_SERIAL);
	/* The key hash of a and the name hash of b: no issuer. */
	q = query(&ha, OCSP_HASH_SHA1, 1);
	memcpy(q.name_hash, hb.name[0], 20);
	assert_int_equal(ocsp_index_find(ix, &q, &en), OCSP_UNKNOWN_ISSUER);
	ocsp_index_free(ix);
}

/* What the reader of test_shared_reader shares with the writer. */
struct shared_run {
	struct ocsp_index *ix;
	atomic_uint written; /* serials below it are in ix */
	atomic_int done;
	unsigned looks, missing, torn;
};

#define SHARED_N 60000u

/*
 * Looks up, while the writer puts, the last serial it said it put (must be
 * found) and one further on (may be): a found one reads whole, as first
 * put or as replaced ("again-").
 */
static void *
shared_reader(void *arg)
{
	struct shared_run *r = arg;
	struct ocsp_entry en;
	struct ocsp_query q;
	char want[32], again[32];
	unsigned k = 0;

	while (!atomic_load(&r->done)) {
		unsigned w = atomic_load(&r->written);
		unsigned look[2] = {w > 0 ? w - 1 : 0, (w + k++ % 97) % SHARED_N};

		for (int j = 0; j < 2; j++) {
			q = query(&ha, OCSP_HASH_SHA1, look[j]);
			r->looks++;
			if (ocsp_index_find(r->ix, &q, &en) != OCSP_FOUND) {
				if (j == 0 && w > 0)
					r->missing++;
				continue;
			}
			snprintf(want, sizeof(want), "resp-%u", look[j]);
			snprintf(again, sizeof(again), "again-%u", look[j]);
			if (!(en.der_len == strlen(want) && memcmp(en.der, want, en.der_len) == 0) &&
			    !(en.der_len == strlen(again) && memcmp(en.der, again, en.der_len) == 0))
				r->torn++;
		}
	}
	return NULL;
}

/*
 * One writer and a reader at once (index.h), as the server's snapshots share
 * a recent layer: through every table growth and replacement, the reader
 * finds what was put before its look, whole.
 */
static void
test_shared_reader(void **state)
{
	struct shared_run r = {0};
	pthread_t tid;
	struct err e;
	char der[32];

	(void)state;
	assert_non_null(r.ix = ocsp_index_new(&e));
	assert_int_equal(ocsp_index_add_issuer(r.ix, 1, a.cert, &e), 0);
	assert_int_equal(pthread_create(&tid, NULL, shared_reader, &r), 0);
	for (unsigned i = 0; i < SHARED_N; i++) {
		snprintf(der, sizeof(der), "resp-%u", i);
		put(r.ix, 1, OCSP_HASH_SHA1, i, der, 1000 + i);
		if (i % 3 == 0 && i > 0) { /* replace an earlier one */
			snprintf(der, sizeof(der), "again-%u", i / 2);
			put(r.ix, 1, OCSP_HASH_SHA1, i / 2, der, 1000);
		}
		atomic_store(&r.written, i + 1);
	}
	atomic_store(&r.done, 1);
	assert_int_equal(pthread_join(tid, NULL), 0);
	assert_true(r.looks > 0);
	assert_int_equal(r.missing, 0);
	assert_int_equal(r.torn, 0);
	assert_int_equal(ocsp_index_count(r.ix), SHARED_N);
	expect_der(r.ix, 7, "again-7");
	expect_der(r.ix, SHARED_N - 1, "resp-59999");
	ocsp_index_free(r.ix);
}

static void
test_replace_and_grow(void **state)
{
	struct ocsp_index *ix;
	struct ocsp_entry en;
	struct ocsp_query q;
	struct err e;
	char der[32];

	(void)state;
	ix = ocsp_index_new(&e);
	assert_int_equal(ocsp_index_add_issuer(ix, 1, a.cert, &e), 0);
	for (uint32_t i = 0; i < 50000; i++) {
		snprintf(der, sizeof(der), "resp-%u", i);
		put(ix, 1, OCSP_HASH_SHA1, i * 2654435761u, der, 1000 + i);
	}
	assert_int_equal(ocsp_index_count(ix), 50000);
	put(ix, 1, OCSP_HASH_SHA1, 7 * 2654435761u, "replaced", 99999);
	assert_int_equal(ocsp_index_count(ix), 50000);
	for (uint32_t i = 0; i < 50000; i += 997) {
		q = query(&ha, OCSP_HASH_SHA1, i * 2654435761u);
		assert_int_equal(ocsp_index_find(ix, &q, &en), OCSP_FOUND);
		snprintf(der, sizeof(der), "resp-%u", i);
		if (i != 7) {
			assert_int_equal(en.der_len, strlen(der));
			assert_memory_equal(en.der, der, en.der_len);
			assert_int_equal(en.next_update, 1000 + i);
		}
	}
	q = query(&ha, OCSP_HASH_SHA1, 7 * 2654435761u);
	assert_int_equal(ocsp_index_find(ix, &q, &en), OCSP_FOUND);
	assert_memory_equal(en.der, "replaced", 8);
	assert_int_equal(en.next_update, 99999);
	assert_true(ocsp_index_memory(ix) > 50000 * 8);
	ocsp_index_free(ix);
}

/* A trimmed index holds only what it uses, finds the same, and can still grow. */
static void
test_trim(void **state)
{
	struct ocsp_index *ix;
	struct err e;
	char der[32];
	size_t before, after;

	(void)state;
	ix = ocsp_index_new(&e);
	assert_int_equal(ocsp_index_add_issuer(ix, 1, a.cert, &e), 0);
	for (uint32_t i = 0; i < 30000; i++) { /* ~1.4 MB of entries: a 2 MiB arena */
		snprintf(der, sizeof(der), "resp-%u", i);
		put(ix, 1, OCSP_HASH_SHA1, i, der, 1000 + i);
	}
	before = ocsp_index_memory(ix);
	ocsp_index_trim(ix);
	after = ocsp_index_memory(ix);
	assert_true(after < before - 400000);
	ocsp_index_trim(ix); /* nothing more to give back */
	assert_int_equal(ocsp_index_memory(ix), after);
	for (uint32_t i = 0; i < 30000; i += 7) {
		snprintf(der, sizeof(der), "resp-%u", i);
		expect_der(ix, i, der);
	}
	put(ix, 1, OCSP_HASH_SHA1, 30000, "after the trim", 5);
	expect_der(ix, 30000, "after the trim");
	expect_der(ix, 29999, "resp-29999");
	ocsp_index_free(ix);
}

static void
test_answer_outcomes(void **state)
{
	static const uint8_t malformed[] = {0x30, 0x03, 0x0a, 0x01, 0x01};
	struct ocsp_index *ix;
	struct ocsp_answer ans;
	struct err e;

	(void)state;
	ix = ocsp_index_new(&e);
	assert_int_equal(ocsp_index_add_issuer(ix, 1, a.cert, &e), 0);
	struct ocsp_view view = {NULL, ix};
	ocsp_answer_der(&view, (const uint8_t *)"junk", 4, 0, &ans);
	assert_int_equal(ans.outcome, OCSP_OUT_MALFORMED);
	assert_memory_equal(ans.der, malformed, sizeof(malformed));
	ocsp_answer_get(&view, "not base64!", 11, 0, &ans);
	assert_int_equal(ans.outcome, OCSP_OUT_MALFORMED);
	assert_string_equal(ocsp_outcome_name(OCSP_OUT_UNAUTHORIZED), "unauthorized");
	assert_string_equal(ocsp_outcome_name(OCSP_OUT_TRY_LATER), "tryLater");
	ocsp_index_free(ix);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_find),
	    cmocka_unit_test(test_shared_reader),
	    cmocka_unit_test(test_replace_and_grow),
	    cmocka_unit_test(test_trim),
	    cmocka_unit_test(test_answer_outcomes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
