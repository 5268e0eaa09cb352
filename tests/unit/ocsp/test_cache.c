/*
 * Unit tests for the bounded OCSP response cache (issue 18, [server] cache):
 * a miss reserves its key and the lookup fills it; the bytes held never pass
 * the bound, the least recently used going first; a change replaces a held
 * or reserved response and nothing older ever replaces a newer one, whatever
 * the order a lookup and a change arrive in; a response whose signature
 * failed marks its key absent, and so does a lookup that found nothing,
 * until the feed brings a response; a held response past its nextUpdate is
 * read again; a flush forgets everything and refuses the fills of misses
 * still out; the bytes counted are at least what malloc gives; threads
 * share it.
 */
#include "testutil.h"

#include <malloc.h>
#include <pthread.h>

#include "ocsp/cache.h"

#define MB (1024 * 1024)
#define NOW 150 /* rec()'s responses are good from 100 to 200 */
#define DER_MAX 16384

/* A buffer for hits of up to cap bytes (ocsp_cache_get's alloc). */
struct sink {
	uint8_t buf[4096];
	size_t cap;
};

static void *
sink_alloc(void *arg, size_t len)
{
	struct sink *s = arg;

	return len <= s->cap ? s->buf : NULL;
}

/* ocsp_cache_get at now into s (cap 4096 unless set). */
static enum ocsp_cache_got
get_at(struct ocsp_cache *c, const struct ocsp_cache_key *k, int64_t now, struct sink *s,
    struct ocsp_entry *en)
{
	if (s->cap == 0)
		s->cap = sizeof(s->buf);
	return ocsp_cache_get(c, k, now, sink_alloc, s, en);
}

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

/*
 * What the cache answers for r's key at NOW: the first byte of the bytes
 * held, -1 (a miss, released) or -2 (known absent).
 */
static int
held(struct ocsp_cache *c, const struct ocsp_record *r)
{
	struct ocsp_cache_key k = key_of(r);
	struct sink s = {.cap = 0};
	struct ocsp_entry en;

	switch (get_at(c, &k, NOW, &s, &en)) {
	case OCSP_CACHE_HIT:
		assert_ptr_equal(en.der, s.buf);
		return s.buf[0];
	case OCSP_CACHE_ABSENT:
		return -2;
	case OCSP_CACHE_MISS:
		ocsp_cache_release(c, &k);
		return -1;
	default:
		return -3;
	}
}

static void
test_miss_fill_hit(void **state)
{
	struct ocsp_cache *c;
	struct ocsp_cache_stats st;
	uint8_t der[300];
	struct ocsp_record r = rec(1, sizeof(der), 0xaa, 5, der);
	struct ocsp_cache_key k = key_of(&r);
	struct sink s = {.cap = 0};
	struct ocsp_entry en;
	struct err e;

	(void)state;
	assert_null(ocsp_cache_new(OCSP_CACHE_MIN - 1, DER_MAX, &e));
	assert_non_null(c = ocsp_cache_new(OCSP_CACHE_MIN, DER_MAX, &e));
	assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_MISS);
	ocsp_cache_fill(c, &k, &r);
	assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_HIT);
	assert_int_equal(en.der_len, sizeof(der));
	assert_memory_equal(en.der, der, sizeof(der));
	assert_int_equal(en.next_update, 200);
	assert_int_equal(en.etag, ocsp_index_etag(der, sizeof(der)));
	/* Another hash or serial is another key. */
	r.hash = OCSP_HASH_SHA256;
	assert_int_equal(held(c, &r), -1);
	/* No room in the caller's buffer: a miss. */
	k = key_of(&(struct ocsp_record){.issuer_id = 7, .hash = OCSP_HASH_SHA1, .serial = {0, 1},
	    .serial_len = 2});
	s.cap = 100;
	assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_MISS);
	ocsp_cache_release(c, &k);
	/* A miss the store could not answer leaves nothing behind. */
	r = rec(2, 10, 0xbb, 6, der);
	assert_int_equal(held(c, &r), -1);
	ocsp_cache_stats(c, &st);
	assert_int_equal(st.count, 1);
	assert_int_equal(st.hits, 1);
	/* A key never stored (no serial) is a miss with no reservation. */
	k.serial_len = 0;
	assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_UNRESERVED);
	ocsp_cache_free(c);
}

/* A response larger than the cache's max_der is read from the store each time, never held. */
static void
test_too_big(void **state)
{
	struct ocsp_cache *c;
	struct ocsp_cache_stats st;
	uint8_t der[300];
	struct ocsp_record r = rec(1, sizeof(der), 0xaa, 5, der);
	struct ocsp_cache_key k = key_of(&r);
	struct sink s = {.cap = 0};
	struct ocsp_entry en;
	struct err e;

	(void)state;
	assert_non_null(c = ocsp_cache_new(OCSP_CACHE_MIN, 299, &e));
	assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_MISS);
	ocsp_cache_fill(c, &k, &r);
	assert_int_equal(held(c, &r), -1);
	ocsp_cache_stats(c, &st);
	assert_int_equal(st.count, 0);
	/* A held one replaced by a newer one too big: neither is held. */
	r = rec(1, 299, 0xaa, 6, der);
	assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_MISS);
	ocsp_cache_fill(c, &k, &r);
	assert_int_equal(held(c, &r), 0xaa);
	r = rec(1, sizeof(der), 0xbb, 7, der);
	ocsp_cache_update(c, &r, 1);
	assert_int_equal(held(c, &r), -1);
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
	assert_non_null(c = ocsp_cache_new(2 * MB, DER_MAX, &e));
	{
		struct ocsp_record r0 = rec(0, sizeof(der), 0, 1, der);
		struct ocsp_cache_key k0 = key_of(&r0);
		struct sink s = {.cap = 0};
		struct ocsp_entry en;
		assert_int_equal(get_at(c, &k0, NOW, &s, &en), OCSP_CACHE_MISS);
		ocsp_cache_fill(c, &k0, &r0);
	}
	for (unsigned i = 1; i < n; i++) {
		struct ocsp_record r = rec(i, sizeof(der), (uint8_t)i, i + 1, der);
		struct ocsp_cache_key k = key_of(&r);
		struct sink s = {.cap = 0};
		struct ocsp_entry en;
		if (get_at(c, &k, NOW, &s, &en) == OCSP_CACHE_MISS)
			ocsp_cache_fill(c, &k, &r);
		/* Serial 0 is asked for all along: it stays. */
		r = rec(0, sizeof(der), 0, 1, der);
		assert_int_equal(held(c, &r), 0);
		ocsp_cache_stats(c, &st);
		assert_true(st.bytes <= st.max_bytes);
	}
	assert_true(st.max_bytes <= 2 * MB);
	assert_true(st.evictions > 0);
	/* About 2 MB of 1,200-byte entries: well under 20,000, well over 100. */
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
	uint8_t d1[50], d2[50], d3[50], d4[50];
	struct ocsp_record v1 = rec(9, sizeof(d1), 0x01, 10, d1);
	struct ocsp_record v2 = rec(9, sizeof(d2), 0x02, 20, d2);
	struct ocsp_record v3 = rec(9, sizeof(d3), 0x03, 30, d3);
	struct ocsp_record v4 = rec(9, sizeof(d4), 0x04, 40, d4);
	struct ocsp_cache_key k = key_of(&v1);
	struct sink s = {.cap = 0};
	struct ocsp_entry en;
	struct err e;

	(void)state;
	assert_non_null(c = ocsp_cache_new(OCSP_CACHE_MIN, DER_MAX, &e));
	ocsp_cache_update(c, &v1, 1); /* not held, not reserved: ignored */
	assert_int_equal(held(c, &v1), -1);
	assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_MISS); /* reserved */
	ocsp_cache_update(c, &v2, 1);                                  /* the feed: v2 */
	ocsp_cache_fill(c, &k, &v1);                                   /* the lookup: v1 */
	assert_int_equal(held(c, &v1), 0x02);
	ocsp_cache_update(c, &v1, 1); /* older: ignored */
	assert_int_equal(held(c, &v1), 0x02);
	ocsp_cache_update(c, &v3, 1);
	assert_int_equal(held(c, &v1), 0x03);
	/* A newer response whose signature failed marks the key absent: v3 is not served. */
	ocsp_cache_update(c, &v4, 0);
	assert_int_equal(held(c, &v1), -2);
	ocsp_cache_free(c);
}

/*
 * A response whose signature failed (v4, told while a miss waits) is never
 * held: not from an older fill, nor from a fill of the same seq (the lookup
 * read that same bad row).  A newer good one replaces the mark.
 */
static void
test_invalid_then_equal_fill(void **state)
{
	struct ocsp_cache *c;
	uint8_t d3[50], d4[50], d5[50];
	struct ocsp_record v3 = rec(9, sizeof(d3), 0x03, 30, d3);
	struct ocsp_record v4 = rec(9, sizeof(d4), 0x04, 40, d4);
	struct ocsp_record v5 = rec(9, sizeof(d5), 0x05, 50, d5);
	struct ocsp_cache_key k = key_of(&v3);
	struct sink s = {.cap = 0};
	struct ocsp_entry en;
	struct err e;

	(void)state;
	assert_non_null(c = ocsp_cache_new(OCSP_CACHE_MIN, DER_MAX, &e));
	assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_MISS);
	assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_MISS); /* two misses out */
	ocsp_cache_update(c, &v4, 0);
	ocsp_cache_fill(c, &k, &v3);
	ocsp_cache_fill(c, &k, &v4);
	assert_int_equal(held(c, &v3), -2);
	ocsp_cache_update(c, &v5, 1);
	assert_int_equal(held(c, &v3), 0x05);
	ocsp_cache_free(c);
}

/*
 * A miss waits on a key while everything is evicted around it: the key
 * stays reserved (never freed under its lookup), what the feed told it is
 * remembered, and the older fill is refused.
 */
static void
test_evicted_while_waiting(void **state)
{
	struct ocsp_cache *c;
	struct ocsp_cache_stats st;
	uint8_t d1[50], d2[50], big[1000];
	struct ocsp_record v1 = rec(9, sizeof(d1), 0x01, 10, d1);
	struct ocsp_record v2 = rec(9, sizeof(d2), 0x02, 20, d2);
	struct ocsp_cache_key k = key_of(&v1);
	struct sink s = {.cap = 0};
	struct ocsp_entry en;
	struct err e;

	(void)state;
	assert_non_null(c = ocsp_cache_new(OCSP_CACHE_MIN, DER_MAX, &e));
	assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_MISS);
	ocsp_cache_update(c, &v2, 1); /* the feed, while the lookup reads v1 */
	for (unsigned i = 100; i < 100 + 4000; i++) {
		struct ocsp_record r = rec(i, sizeof(big), (uint8_t)i, 100 + i, big);
		struct ocsp_cache_key ki = key_of(&r);
		if (get_at(c, &ki, NOW, &s, &en) == OCSP_CACHE_MISS)
			ocsp_cache_fill(c, &ki, &r);
	}
	ocsp_cache_stats(c, &st);
	assert_true(st.evictions > 0);
	ocsp_cache_fill(c, &k, &v1); /* v2 was evicted meanwhile: v1 is still older */
	assert_int_equal(held(c, &v1), -1);
	ocsp_cache_free(c);
}

/* A held response at or past its nextUpdate is a miss, read again; not one before. */
static void
test_expired_hit(void **state)
{
	struct ocsp_cache *c;
	uint8_t d1[50], d2[50];
	struct ocsp_record v1 = rec(9, sizeof(d1), 0x01, 10, d1);
	struct ocsp_record v2 = rec(9, sizeof(d2), 0x02, 20, d2);
	struct ocsp_cache_key k = key_of(&v1);
	struct sink s = {.cap = 0};
	struct ocsp_entry en;
	struct err e;

	(void)state;
	assert_non_null(c = ocsp_cache_new(OCSP_CACHE_MIN, DER_MAX, &e));
	assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_MISS);
	ocsp_cache_fill(c, &k, &v1);
	assert_int_equal(get_at(c, &k, 199, &s, &en), OCSP_CACHE_HIT);
	assert_int_equal(get_at(c, &k, 200, &s, &en), OCSP_CACHE_MISS);
	/* The store still holds v1 (the signer is late): kept, and read again next time. */
	ocsp_cache_fill(c, &k, &v1);
	assert_int_equal(get_at(c, &k, 250, &s, &en), OCSP_CACHE_MISS);
	v2.next_update = 400;
	ocsp_cache_fill(c, &k, &v2); /* the signer's new one */
	assert_int_equal(get_at(c, &k, 250, &s, &en), OCSP_CACHE_HIT);
	assert_int_equal(s.buf[0], 0x02);
	ocsp_cache_free(c);
}

/*
 * A miss the store has nothing for leaves an absent marker: the next asks
 * do not reach the store, until the feed brings the key's first response.
 * A marker counts in the bytes and is evicted like a response.
 */
static void
test_absent(void **state)
{
	struct ocsp_cache *c;
	struct ocsp_cache_stats st, st0;
	uint8_t d1[50];
	struct ocsp_record v1 = rec(9, sizeof(d1), 0x01, 10, d1);
	struct ocsp_cache_key k = key_of(&v1);
	struct sink s = {.cap = 0};
	struct ocsp_entry en;
	struct err e;

	(void)state;
	assert_non_null(c = ocsp_cache_new(OCSP_CACHE_MIN, DER_MAX, &e));
	ocsp_cache_stats(c, &st0);
	assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_MISS);
	ocsp_cache_fill_absent(c, &k, 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_ABSENT);
	ocsp_cache_stats(c, &st);
	assert_int_equal(st.misses, 1);
	assert_int_equal(st.absent_hits, 5);
	assert_int_equal(st.absent, 1);
	assert_true(st.bytes > st0.bytes);
	ocsp_cache_update(c, &v1, 1); /* the certificate is added and signed */
	assert_int_equal(held(c, &v1), 0x01);
	/* A lookup that found nothing, ending after the feed's response: the response stays. */
	{
		struct ocsp_record w = rec(10, sizeof(d1), 0x0a, 11, d1);
		struct ocsp_cache_key kw = key_of(&w);
		assert_int_equal(get_at(c, &kw, NOW, &s, &en), OCSP_CACHE_MISS);
		ocsp_cache_update(c, &w, 1);
		ocsp_cache_fill_absent(c, &kw, 0);
		assert_int_equal(held(c, &w), 0x0a);
	}
	/* Markers are evicted under pressure. */
	for (unsigned i = 1000; i < 1000 + 20000; i++) {
		struct ocsp_record r = rec(i, 1, 0, 0, d1);
		struct ocsp_cache_key ki = key_of(&r);
		if (get_at(c, &ki, NOW, &s, &en) == OCSP_CACHE_MISS)
			ocsp_cache_fill_absent(c, &ki, 0);
	}
	ocsp_cache_stats(c, &st);
	assert_true(st.bytes <= st.max_bytes);
	assert_true(st.absent > 1000 && st.absent < 20000);
	assert_true(st.evictions > 0);
	ocsp_cache_free(c);
}

/*
 * The store went back in time: a flush forgets everything held, the fills
 * of misses out before it are refused (they read the store as it was), and
 * responses older than those held before are kept from then on.
 */
static void
test_flush(void **state)
{
	struct ocsp_cache *c;
	struct ocsp_cache_stats st;
	uint8_t d1[50], d2[50], d3[50];
	struct ocsp_record v3 = rec(9, sizeof(d3), 0x03, 30, d3);
	struct ocsp_record old = rec(9, sizeof(d1), 0x01, 5, d1);
	struct ocsp_record w = rec(10, sizeof(d2), 0x0a, 31, d2);
	struct ocsp_cache_key k = key_of(&v3), kw = key_of(&w);
	struct sink s = {.cap = 0};
	struct ocsp_entry en;
	int64_t t, n;
	struct err e;

	(void)state;
	assert_non_null(c = ocsp_cache_new(OCSP_CACHE_MIN, DER_MAX, &e));
	assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_MISS);
	ocsp_cache_fill(c, &k, &v3);
	assert_int_equal(get_at(c, &kw, NOW, &s, &en), OCSP_CACHE_MISS); /* out over the flush */
	ocsp_cache_flush(c);
	ocsp_cache_newest(c, &t, &n);
	assert_int_equal(t, 0);
	assert_int_equal(n, 0);
	ocsp_cache_fill(c, &kw, &w); /* read before: refused */
	assert_int_equal(held(c, &w), -1);
	assert_int_equal(held(c, &v3), -1);
	assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_MISS);
	ocsp_cache_fill(c, &k, &old);
	assert_int_equal(held(c, &v3), 0x01);
	ocsp_cache_stats(c, &st);
	assert_int_equal(st.count, 1);
	ocsp_cache_free(c);
}

/* The newest thisUpdate and nextUpdate filled or told (for /healthz). */
static void
test_newest(void **state)
{
	struct ocsp_cache *c;
	uint8_t d1[50], d2[50];
	struct ocsp_record v1 = rec(9, sizeof(d1), 0x01, 10, d1);
	struct ocsp_record w = rec(10, sizeof(d2), 0x0a, 11, d2);
	struct ocsp_cache_key k = key_of(&v1);
	struct sink s = {.cap = 0};
	struct ocsp_entry en;
	int64_t t, n;
	struct err e;

	(void)state;
	assert_non_null(c = ocsp_cache_new(OCSP_CACHE_MIN, DER_MAX, &e));
	ocsp_cache_newest(c, &t, &n);
	assert_int_equal(t + n, 0);
	assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_MISS);
	ocsp_cache_fill(c, &k, &v1);
	ocsp_cache_newest(c, &t, &n);
	assert_int_equal(t, 100);
	assert_int_equal(n, 200);
	w.this_update = 150;
	w.next_update = 300;
	k = key_of(&w);
	assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_MISS);
	ocsp_cache_fill(c, &k, &w);
	ocsp_cache_newest(c, &t, &n);
	assert_int_equal(t, 150);
	assert_int_equal(n, 300);
	ocsp_cache_free(c);
}

/* The bytes counted are at least what malloc gives the entries and their responses. */
static void
test_counts_what_malloc_gives(void **state)
{
	struct ocsp_cache *c;
	struct ocsp_cache_stats st0, st;
	struct mallinfo2 m0, m;
	uint8_t der[301];
	struct sink s = {.cap = 0};
	struct ocsp_entry en;
	struct err e;

	(void)state;
	assert_non_null(c = ocsp_cache_new(64 * MB, DER_MAX, &e));
	ocsp_cache_stats(c, &st0);
	m0 = mallinfo2();
	for (unsigned i = 0; i < 20000; i++) {
		struct ocsp_record r = rec(i, sizeof(der) - i % 7, (uint8_t)i, i + 1, der);
		struct ocsp_cache_key k = key_of(&r);
		assert_int_equal(get_at(c, &k, NOW, &s, &en), OCSP_CACHE_MISS);
		ocsp_cache_fill(c, &k, &r);
	}
	m = mallinfo2();
	ocsp_cache_stats(c, &st);
	assert_int_equal(st.evictions, 0);
	if (m.uordblks <= m0.uordblks) {
		print_message("skipped: this allocator does not report mallinfo2 (a sanitizer's)\n");
	} else {
		print_message("malloc %zu bytes, counted %zu\n", m.uordblks - m0.uordblks,
		    st.bytes - st0.bytes);
		/* Within 1% either way (counting the request alone was 4% under). */
		assert_true((st.bytes - st0.bytes) * 100 >= (m.uordblks - m0.uordblks) * 99);
		assert_true((st.bytes - st0.bytes) * 100 <= (m.uordblks - m0.uordblks) * 101);
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
	uint8_t der[400];
	struct sink s = {.cap = 0};
	struct ocsp_entry en;

	for (unsigned i = 0; i < 20000; i++) {
		unsigned n = (i * 7919 + h->id * 104729) % 5000;
		struct ocsp_record r = rec(n, sizeof(der), (uint8_t)n, i + 1, der);
		struct ocsp_cache_key k = key_of(&r);
		enum ocsp_cache_got got;
		if (i % 5 == 0) {
			ocsp_cache_update(h->c, &r, 1);
			continue;
		}
		got = get_at(h->c, &k, NOW, &s, &en);
		if (got == OCSP_CACHE_MISS && i % 7 == 0)
			ocsp_cache_fill_absent(h->c, &k, 0);
		else if (got == OCSP_CACHE_MISS)
			ocsp_cache_fill(h->c, &k, &r);
		else if (got == OCSP_CACHE_HIT && (s.buf[0] != (uint8_t)n || en.der_len != sizeof(der)))
			return "wrong bytes";
		if (h->id == 0 && i % 5000 == 4999)
			ocsp_cache_flush(h->c);
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
	h[0].c = ocsp_cache_new(OCSP_CACHE_MIN, DER_MAX, &e);
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
	    cmocka_unit_test(test_too_big),
	    cmocka_unit_test(test_bound_and_lru),
	    cmocka_unit_test(test_nothing_stale),
	    cmocka_unit_test(test_invalid_then_equal_fill),
	    cmocka_unit_test(test_evicted_while_waiting),
	    cmocka_unit_test(test_expired_hit),
	    cmocka_unit_test(test_absent),
	    cmocka_unit_test(test_flush),
	    cmocka_unit_test(test_newest),
	    cmocka_unit_test(test_counts_what_malloc_gives),
	    cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
