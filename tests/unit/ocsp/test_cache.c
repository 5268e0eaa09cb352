/*
 * Unit tests for the bounded OCSP response cache (issue 18, [server] cache):
 * a miss reserves its key and the lookup fills it; the bytes held never pass
 * the bound, the least recently used going first; a change replaces a held
 * or reserved response and nothing older ever replaces a newer one, whatever
 * the order a lookup and a change arrive in; a response whose signature
 * failed is dropped; threads share it.
 */
#include "testutil.h"

#include <pthread.h>

#include "ocsp/cache.h"

#define MB (1024 * 1024)

/* A response for serial (2 bytes, n), der of len bytes all equal to tag, at seq. */
static struct ocsp_record
rec(unsigned n, size_t len, uint8_t tag, int64_t seq, uint8_t *der)
{
	struct ocsp_record r = {.issuer_id = 7, .hash = OCSP_HASH_SHA1, .serial = {(uint8_t)(n >> 8),
	    (uint8_t)n}, .serial_len = 2, .der = der, .der_len = len, .this_update = 100,
	    .next_update = 200, .seq = seq};

	memset(der, tag, len);
	return r;
}

static struct ocsp_cache_key
key_of(const struct ocsp_record *r)
{
	return (struct ocsp_cache_key){r->issuer_id, r->hash, r->serial, r->serial_len};
}

/* What the cache answers for r's key: the first byte of the bytes held, or -1 (a miss, released). */
static int
held(struct ocsp_cache *c, const struct ocsp_record *r)
{
	struct ocsp_cache_key k = key_of(r);
	uint8_t buf[4096];
	struct ocsp_entry en;

	if (ocsp_cache_get(c, &k, buf, sizeof(buf), &en)) {
		assert_ptr_equal(en.der, buf);
		return buf[0];
	}
	ocsp_cache_fill(c, &k, NULL);
	return -1;
}

static void
test_miss_fill_hit(void **state)
{
	struct ocsp_cache *c;
	struct ocsp_cache_stats st;
	uint8_t der[300], buf[4096];
	struct ocsp_record r = rec(1, sizeof(der), 0xaa, 5, der);
	struct ocsp_cache_key k = key_of(&r);
	struct ocsp_entry en;
	struct err e;

	(void)state;
	assert_null(ocsp_cache_new(OCSP_CACHE_MIN - 1, &e));
	assert_non_null(c = ocsp_cache_new(OCSP_CACHE_MIN, &e));
	assert_int_equal(ocsp_cache_get(c, &k, buf, sizeof(buf), &en), 0);
	ocsp_cache_fill(c, &k, &r);
	assert_int_equal(ocsp_cache_get(c, &k, buf, sizeof(buf), &en), 1);
	assert_int_equal(en.der_len, sizeof(der));
	assert_memory_equal(en.der, der, sizeof(der));
	assert_int_equal(en.next_update, 200);
	assert_int_equal(en.etag, ocsp_index_etag(der, sizeof(der)));
	/* Another hash or serial is another key. */
	r.hash = OCSP_HASH_SHA256;
	assert_int_equal(held(c, &r), -1);
	/* Too big for the caller's buffer: a miss. */
	k = key_of(&(struct ocsp_record){.issuer_id = 7, .hash = OCSP_HASH_SHA1, .serial = {0, 1},
	    .serial_len = 2});
	assert_int_equal(ocsp_cache_get(c, &k, buf, 100, &en), 0);
	ocsp_cache_fill(c, &k, NULL);
	/* A miss the store could not answer leaves nothing behind. */
	r = rec(2, 10, 0xbb, 6, der);
	assert_int_equal(held(c, &r), -1);
	ocsp_cache_stats(c, &st);
	assert_int_equal(st.count, 1);
	assert_int_equal(st.hits, 1);
	ocsp_cache_free(c);
}

/* Held bytes never pass the bound; the least recently used goes first. */
static void
test_bound_and_lru(void **state)
{
	struct ocsp_cache *c;
	struct ocsp_cache_stats st;
	uint8_t der[1000];
	struct err e;
	unsigned n = 20000;

	(void)state;
	assert_non_null(c = ocsp_cache_new(2 * MB, &e));
	{
		struct ocsp_record r0 = rec(0, sizeof(der), 0, 1, der);
		struct ocsp_cache_key k0 = key_of(&r0);
		uint8_t buf[4096];
		struct ocsp_entry en;
		assert_int_equal(ocsp_cache_get(c, &k0, buf, sizeof(buf), &en), 0);
		ocsp_cache_fill(c, &k0, &r0);
	}
	for (unsigned i = 1; i < n; i++) {
		struct ocsp_record r = rec(i, sizeof(der), (uint8_t)i, i + 1, der);
		struct ocsp_cache_key k = key_of(&r);
		uint8_t buf[4096];
		struct ocsp_entry en;
		if (!ocsp_cache_get(c, &k, buf, sizeof(buf), &en))
			ocsp_cache_fill(c, &k, &r);
		/* Serial 0 is asked for all along: it stays. */
		r = rec(0, sizeof(der), 0, 1, der);
		assert_int_equal(held(c, &r), 0);
		ocsp_cache_stats(c, &st);
		assert_true(st.bytes <= st.max_bytes);
	}
	assert_true(st.max_bytes <= 2 * MB);
	assert_true(st.evictions > 0);
	/* About 2 MB of 1,160-byte entries: well under 20,000, well over 100. */
	assert_true(st.count > 1000 && st.count < 2000);
	{
		struct ocsp_record first = rec(1, sizeof(der), 1, 2, der);
		struct ocsp_record last = rec(n - 1, sizeof(der), (uint8_t)(n - 1), n, der);
		assert_int_equal(held(c, &first), -1);
		assert_int_equal(held(c, &last), (uint8_t)(n - 1));
	}
	ocsp_cache_free(c);
}

/*
 * A lookup read v1, the signer then wrote v2 and the change feed told the
 * cache before the lookup's fill: v2 stays.  A change to a key not held is
 * ignored; one to a held key replaces it; an older one never does.
 */
static void
test_nothing_stale(void **state)
{
	struct ocsp_cache *c;
	uint8_t d1[50], d2[50], d3[50];
	struct ocsp_record v1 = rec(9, sizeof(d1), 0x01, 10, d1);
	struct ocsp_record v2 = rec(9, sizeof(d2), 0x02, 20, d2);
	struct ocsp_record v3 = rec(9, sizeof(d3), 0x03, 30, d3);
	struct ocsp_cache_key k = key_of(&v1);
	uint8_t buf[4096];
	struct ocsp_entry en;
	struct err e;

	(void)state;
	assert_non_null(c = ocsp_cache_new(OCSP_CACHE_MIN, &e));
	ocsp_cache_update(c, &v1, 1); /* not held, not reserved: ignored */
	assert_int_equal(held(c, &v1), -1);
	assert_int_equal(ocsp_cache_get(c, &k, buf, sizeof(buf), &en), 0); /* reserved */
	ocsp_cache_update(c, &v2, 1);                                      /* the feed: v2 */
	ocsp_cache_fill(c, &k, &v1);                                       /* the lookup: v1 */
	assert_int_equal(held(c, &v1), 0x02);
	ocsp_cache_update(c, &v1, 1); /* older: ignored */
	assert_int_equal(held(c, &v1), 0x02);
	ocsp_cache_update(c, &v3, 1);
	assert_int_equal(held(c, &v1), 0x03);
	/* A newer response whose signature failed drops the key, and the older fill is refused. */
	{
		uint8_t d4[50];
		struct ocsp_record v4 = rec(9, sizeof(d4), 0x04, 40, d4);
		assert_int_equal(ocsp_cache_get(c, &k, buf, sizeof(buf), &en), 1);
		ocsp_cache_update(c, &v4, 0);
		assert_int_equal(ocsp_cache_get(c, &k, buf, sizeof(buf), &en), 0);
		ocsp_cache_update(c, &v4, 0); /* while reserved */
		ocsp_cache_fill(c, &k, &v3);
		assert_int_equal(held(c, &v1), -1);
	}
	ocsp_cache_free(c);
}

struct hammer {
	struct ocsp_cache *c;
	unsigned id;
};

static void *
hammer_main(void *arg)
{
	struct hammer *h = arg;
	uint8_t der[400], buf[4096];
	struct ocsp_entry en;

	for (unsigned i = 0; i < 20000; i++) {
		unsigned n = (i * 7919 + h->id * 104729) % 5000;
		struct ocsp_record r = rec(n, sizeof(der), (uint8_t)n, i + 1, der);
		struct ocsp_cache_key k = key_of(&r);
		if (i % 5 == 0)
			ocsp_cache_update(h->c, &r, 1);
		else if (!ocsp_cache_get(h->c, &k, buf, sizeof(buf), &en))
			ocsp_cache_fill(h->c, &k, &r);
		else if (buf[0] != (uint8_t)n || en.der_len != sizeof(der))
			return "wrong bytes";
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct ocsp_cache_stats st;
	struct hammer h[4];
	pthread_t t[4];
	struct err e;
	void *rv;

	(void)state;
	h[0].c = ocsp_cache_new(OCSP_CACHE_MIN, &e);
	assert_non_null(h[0].c);
	for (unsigned i = 0; i < 4; i++) {
		h[i] = (struct hammer){h[0].c, i};
		assert_int_equal(pthread_create(&t[i], NULL, hammer_main, &h[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &rv), 0);
		assert_null(rv);
	}
	ocsp_cache_stats(h[0].c, &st);
	assert_true(st.bytes <= st.max_bytes);
	assert_true(st.hits > 0);
	ocsp_cache_free(h[0].c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_miss_fill_hit),
	    cmocka_unit_test(test_bound_and_lru),
	    cmocka_unit_test(test_nothing_stale),
	    cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
