/*
 * cache.c - see cache.h.
 *
 * A shard: a chained hash table (a power of two of buckets, doubled when
 * the entries outnumber them, its array counted in the shard's bytes) and a
 * doubly linked LRU list of the entries that hold something (bytes or an
 * absent marker), most recent first.  An entry reserved by a miss and
 * holding nothing is in the table only: eviction never takes it, and it
 * goes when its last miss ends with nothing to keep.  An entry with misses
 * out is never freed (they end on it), only emptied.  An entry's bytes are
 * a separate allocation, so that a replacement does not move the entry.
 * The shard's seed, drawn once from the OS RNG, keeps clients from aiming
 * every serial at one chain.
 */
#include "ocsp/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "util/hash.h"

#define CACHE_BUCKETS_MIN 64
/*
 * What malloc takes for n bytes: glibc's chunk, n plus its 8-byte header
 * rounded up to 16, at least 32.  Counting the request alone undercounted
 * the bound by a few percent.
 */
#define CACHE_MALLOC_COST(n) ((n) + 8 <= 32 ? (size_t)32 : ((size_t)(n) + 8 + 15) & ~(size_t)15)

struct centry {
	struct centry *chain;         /* next in its bucket */
	struct centry *newer, *older; /* the LRU list, while it holds bytes or is absent */
	int64_t issuer_id;
	int64_t seq; /* of what it holds, or of the last change it was told of */
	int64_t this_update, next_update;
	uint64_t etag;
	uint8_t *der; /* NULL: holds no bytes */
	size_t der_len;
	unsigned pending; /* misses waiting for their lookup */
	uint8_t hash;
	uint8_t serial_len;
	uint8_t absent;  /* the store holds no response to serve (as of seq) */
	uint8_t flushed; /* flushed while misses were out: their fills are refused */
	uint8_t serial[STORE_SERIAL_MAX];
};

#define CACHE_ENTRY_COST CACHE_MALLOC_COST(sizeof(struct centry))

struct shard {
	pthread_mutex_t mu;
	struct centry **buckets;
	size_t nbuckets, count, absent;
	struct centry lru; /* sentinel: lru.older is the most recent, lru.newer the least */
	size_t bytes, max_bytes;
	int64_t newest_this, newest_next;
	uint64_t hits, misses, evictions, absent_hits;
};

struct ocsp_cache {
	uint64_t seed;
	size_t max_der;
	struct shard shards[OCSP_CACHE_SHARDS];
};

static uint64_t
key_hash(uint64_t seed, const struct ocsp_cache_key *k)
{
	uint64_t h = hash_fnv1a(seed ^ (uint64_t)k->issuer_id * 0x9e3779b97f4a7c15ULL, k->serial,
	    k->serial_len);

	h ^= (uint64_t)k->hash << 56;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 33);
}

static int
same_key(const struct centry *en, const struct ocsp_cache_key *k)
{
	return en->issuer_id == k->issuer_id && en->hash == (uint8_t)k->hash &&
	       en->serial_len == k->serial_len && memcmp(en->serial, k->serial, k->serial_len) == 0;
}

static void
lru_unlink(struct centry *en)
{
	if (en->newer == NULL)
		return;
	en->newer->older = en->older;
	en->older->newer = en->newer;
	en->newer = en->older = NULL;
}

/* Make en the most recently used (linking it if it was not). */
static void
lru_front(struct shard *sh, struct centry *en)
{
	lru_unlink(en);
	en->newer = &sh->lru;
	en->older = sh->lru.older;
	sh->lru.older->newer = en;
	sh->lru.older = en;
}

static struct centry **
find_slot(struct shard *sh, uint64_t h, const struct ocsp_cache_key *k)
{
	struct centry **p = &sh->buckets[(h >> 4) & (sh->nbuckets - 1)];

	while (*p != NULL && !same_key(*p, k))
		p = &(*p)->chain;
	return p;
}

static struct shard *
shard_of(struct ocsp_cache *c, uint64_t h)
{
	return &c->shards[h % OCSP_CACHE_SHARDS];
}

/* Drop what en holds, bytes or absent mark (it stays in the table, its seq kept). */
static void
forget(struct shard *sh, struct centry *en)
{
	if (en->der != NULL) {
		sh->bytes -= CACHE_MALLOC_COST(en->der_len);
		free(en->der);
		en->der = NULL;
		en->der_len = 0;
	}
	if (en->absent) {
		en->absent = 0;
		sh->absent--;
	}
	lru_unlink(en);
}

/* Take en out of the table and free it (no miss is out on it). */
static void
remove_entry(struct ocsp_cache *c, struct shard *sh, struct centry *en)
{
	struct ocsp_cache_key k = {en->issuer_id, (enum ocsp_hash)en->hash, en->serial,
	    en->serial_len};
	struct centry **p = find_slot(sh, key_hash(c->seed, &k), &k);

	forget(sh, en);
	*p = en->chain;
	sh->count--;
	sh->bytes -= CACHE_ENTRY_COST;
	free(en);
}

/* en goes if it holds nothing and no miss is out on it. */
static void
settle(struct ocsp_cache *c, struct shard *sh, struct centry *en)
{
	if (en->pending == 0 && en->der == NULL && !en->absent)
		remove_entry(c, sh, en);
}

/* The least recently used go until the shard is within its bytes; keep is spared. */
static void
evict(struct ocsp_cache *c, struct shard *sh, const struct centry *keep)
{
	while (sh->bytes > sh->max_bytes && sh->lru.newer != &sh->lru && sh->lru.newer != keep) {
		struct centry *en = sh->lru.newer;
		sh->evictions++;
		forget(sh, en); /* a miss waiting on it keeps the key, reserved */
		settle(c, sh, en);
	}
}

/* Double the buckets when the entries outnumber them (their array counts in bytes). */
static void
maybe_grow(struct ocsp_cache *c, struct shard *sh)
{
	size_t n = sh->nbuckets * 2;
	struct centry **nb;

	if (sh->count <= sh->nbuckets || (nb = calloc(n, sizeof(*nb))) == NULL)
		return; /* without memory for a bigger table the chains get longer: still correct */
	for (size_t i = 0; i < sh->nbuckets; i++) {
		struct centry *en = sh->buckets[i], *next;
		for (; en != NULL; en = next) {
			struct ocsp_cache_key k = {en->issuer_id, (enum ocsp_hash)en->hash,
			    en->serial, en->serial_len};
			size_t b = (key_hash(c->seed, &k) >> 4) & (n - 1);
			next = en->chain;
			en->chain = nb[b];
			nb[b] = en;
		}
	}
	free(sh->buckets);
	sh->bytes += (n - sh->nbuckets) * sizeof(*nb);
	sh->buckets = nb;
	sh->nbuckets = n;
}

/*
 * en holds r's bytes from now on, as the most recent (or nothing, at r's
 * seq, when they are too big or cannot be copied: the caller settles it).
 */
static void
hold_bytes(struct ocsp_cache *c, struct shard *sh, struct centry *en,
    const struct ocsp_record *r)
{
	uint8_t *der;

	forget(sh, en);
	en->seq = r->seq;
	if (r->der_len > c->max_der || (der = malloc(r->der_len ? r->der_len : 1)) == NULL)
		return;
	memcpy(der, r->der, r->der_len);
	en->der = der;
	en->der_len = r->der_len;
	en->this_update = r->this_update;
	en->next_update = r->next_update;
	en->etag = ocsp_index_etag(r->der, r->der_len);
	if (r->this_update > sh->newest_this)
		sh->newest_this = r->this_update;
	if (r->next_update > sh->newest_next)
		sh->newest_next = r->next_update;
	sh->bytes += CACHE_MALLOC_COST(r->der_len);
	lru_front(sh, en);
	evict(c, sh, en);
}

/* en is known absent from the store as of seq, as the most recent. */
static void
mark_absent(struct ocsp_cache *c, struct shard *sh, struct centry *en, int64_t seq)
{
	forget(sh, en);
	en->seq = seq;
	en->absent = 1;
	sh->absent++;
	lru_front(sh, en);
	evict(c, sh, en);
}

/* Whether a miss's answer at seq may replace what en has: nothing older does. */
static int
fill_accepts(const struct centry *en, int64_t seq)
{
	if (en->flushed)
		return 0; /* read from the store as it was before it went back */
	/* Held or marked: only newer.  Nothing (reserved, evicted, expired): its seq or newer. */
	return en->der != NULL || en->absent ? seq > en->seq : seq >= en->seq;
}

/* One miss on en ended. */
static void
end_miss(struct ocsp_cache *c, struct shard *sh, struct centry *en)
{
	if (--en->pending == 0)
		en->flushed = 0;
	settle(c, sh, en);
}

struct ocsp_cache *
ocsp_cache_new(size_t max_bytes, size_t max_der, struct err *e)
{
	struct ocsp_cache *c;

	if (max_bytes < OCSP_CACHE_MIN) {
		err_set(e, "a cache of %zu bytes is below the smallest, %d", max_bytes,
		    OCSP_CACHE_MIN);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto nomem;
	c->max_der = max_der;
	if (RAND_bytes((unsigned char *)&c->seed, sizeof(c->seed)) != 1) {
		free(c);
		goto nomem;
	}
	for (int i = 0; i < OCSP_CACHE_SHARDS; i++) {
		struct shard *sh = &c->shards[i];
		pthread_mutex_init(&sh->mu, NULL);
		sh->lru.newer = sh->lru.older = &sh->lru;
		sh->max_bytes = max_bytes / OCSP_CACHE_SHARDS;
		sh->nbuckets = CACHE_BUCKETS_MIN;
		sh->bytes = sh->nbuckets * sizeof(*sh->buckets);
		if ((sh->buckets = calloc(sh->nbuckets, sizeof(*sh->buckets))) == NULL) {
			ocsp_cache_free(c);
			goto nomem;
		}
	}
	return c;
nomem:
	err_set(e, "out of memory");
	return NULL;
}

void
ocsp_cache_free(struct ocsp_cache *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < OCSP_CACHE_SHARDS; i++) {
		struct shard *sh = &c->shards[i];
		for (size_t b = 0; sh->buckets != NULL && b < sh->nbuckets; b++) {
			struct centry *en = sh->buckets[b], *next;
			for (; en != NULL; en = next) {
				next = en->chain;
				free(en->der);
				free(en);
			}
		}
		free(sh->buckets);
		pthread_mutex_destroy(&sh->mu);
	}
	free(c);
}

/* A hit on en (held, fresh): its bytes copied into alloc's buffer, or 0. */
static int
copy_out(struct centry *en, void *(*alloc)(void *, size_t), void *arg, struct ocsp_entry *out)
{
	uint8_t *buf = alloc(arg, en->der_len);

	if (buf == NULL)
		return 0;
	memcpy(buf, en->der, en->der_len);
	*out = (struct ocsp_entry){.der = buf, .der_len = en->der_len,
	    .this_update = en->this_update, .next_update = en->next_update, .etag = en->etag};
	return 1;
}

/* A new entry for k, reserved by one miss, or NULL (no memory). */
static struct centry *
reserve_new(struct ocsp_cache *c, struct shard *sh, struct centry **slot,
    const struct ocsp_cache_key *k)
{
	struct centry *en = calloc(1, sizeof(*en));

	if (en == NULL)
		return NULL;
	en->issuer_id = k->issuer_id;
	en->hash = (uint8_t)k->hash;
	en->serial_len = (uint8_t)k->serial_len;
	memcpy(en->serial, k->serial, k->serial_len);
	en->pending = 1;
	*slot = en;
	sh->count++;
	sh->bytes += CACHE_ENTRY_COST;
	maybe_grow(c, sh);
	evict(c, sh, NULL); /* en is not in the LRU list: never taken */
	return en;
}

enum ocsp_cache_got
ocsp_cache_get(struct ocsp_cache *c, const struct ocsp_cache_key *k, int64_t now,
    void *(*alloc)(void *arg, size_t len), void *arg, struct ocsp_entry *out)
{
	uint64_t h = key_hash(c->seed, k);
	struct shard *sh = shard_of(c, h);
	struct centry **p, *en;
	enum ocsp_cache_got got = OCSP_CACHE_MISS;

	if (k->serial_len == 0 || k->serial_len > STORE_SERIAL_MAX)
		return OCSP_CACHE_UNRESERVED; /* never stored */
	pthread_mutex_lock(&sh->mu);
	p = find_slot(sh, h, k);
	en = *p;
	if (en != NULL && en->der != NULL && now >= en->next_update)
		forget(sh, en); /* tryLater only: read again, the signer may have written since */
	if (en != NULL && en->der != NULL && copy_out(en, alloc, arg, out)) {
		lru_front(sh, en);
		sh->hits++;
		got = OCSP_CACHE_HIT;
	} else if (en != NULL && en->absent) {
		lru_front(sh, en);
		sh->absent_hits++;
		got = OCSP_CACHE_ABSENT;
	} else if (en != NULL) {
		en->pending++;
		sh->misses++;
	} else {
		sh->misses++;
		if (reserve_new(c, sh, p, k) == NULL)
			got = OCSP_CACHE_UNRESERVED;
	}
	pthread_mutex_unlock(&sh->mu);
	return got;
}

void
ocsp_cache_fill(struct ocsp_cache *c, const struct ocsp_cache_key *k,
    const struct ocsp_record *r)
{
	uint64_t h = key_hash(c->seed, k);
	struct shard *sh = shard_of(c, h);
	struct centry *en;

	pthread_mutex_lock(&sh->mu);
	en = *find_slot(sh, h, k);
	if (en != NULL && en->pending > 0) {
		if (fill_accepts(en, r->seq))
			hold_bytes(c, sh, en, r);
		end_miss(c, sh, en);
	}
	pthread_mutex_unlock(&sh->mu);
}

void
ocsp_cache_fill_absent(struct ocsp_cache *c, const struct ocsp_cache_key *k, int64_t seq)
{
	uint64_t h = key_hash(c->seed, k);
	struct shard *sh = shard_of(c, h);
	struct centry *en;

	pthread_mutex_lock(&sh->mu);
	en = *find_slot(sh, h, k);
	if (en != NULL && en->pending > 0) {
		if (fill_accepts(en, seq))
			mark_absent(c, sh, en, seq);
		end_miss(c, sh, en);
	}
	pthread_mutex_unlock(&sh->mu);
}

void
ocsp_cache_release(struct ocsp_cache *c, const struct ocsp_cache_key *k)
{
	uint64_t h = key_hash(c->seed, k);
	struct shard *sh = shard_of(c, h);
	struct centry *en;

	pthread_mutex_lock(&sh->mu);
	en = *find_slot(sh, h, k);
	if (en != NULL && en->pending > 0)
		end_miss(c, sh, en);
	pthread_mutex_unlock(&sh->mu);
}

void
ocsp_cache_update(struct ocsp_cache *c, const struct ocsp_record *r, int valid)
{
	struct ocsp_cache_key k = {r->issuer_id, r->hash, r->serial, r->serial_len};
	uint64_t h = key_hash(c->seed, &k);
	struct shard *sh = shard_of(c, h);
	struct centry *en;

	if (r->serial_len == 0 || r->serial_len > STORE_SERIAL_MAX)
		return;
	pthread_mutex_lock(&sh->mu);
	en = *find_slot(sh, h, &k);
	if (en != NULL && r->seq > en->seq) {
		if (valid)
			hold_bytes(c, sh, en, r);
		else
			mark_absent(c, sh, en, r->seq); /* and nothing older fills it */
		settle(c, sh, en);
	}
	pthread_mutex_unlock(&sh->mu);
}

/* Forget every entry of sh; those with misses out refuse their fills. */
static void
flush_shard(struct shard *sh)
{
	for (size_t b = 0; b < sh->nbuckets; b++) {
		struct centry **p = &sh->buckets[b];
		while (*p != NULL) {
			struct centry *en = *p;
			forget(sh, en);
			en->seq = 0;
			if (en->pending > 0) {
				en->flushed = 1;
				p = &en->chain;
				continue;
			}
			*p = en->chain;
			sh->count--;
			sh->bytes -= CACHE_ENTRY_COST;
			free(en);
		}
	}
	sh->newest_this = sh->newest_next = 0;
}

void
ocsp_cache_flush(struct ocsp_cache *c)
{
	for (int i = 0; i < OCSP_CACHE_SHARDS; i++) {
		pthread_mutex_lock(&c->shards[i].mu);
		flush_shard(&c->shards[i]);
		pthread_mutex_unlock(&c->shards[i].mu);
	}
}

void
ocsp_cache_newest(struct ocsp_cache *c, int64_t *this_update, int64_t *next_update)
{
	*this_update = *next_update = 0;
	for (int i = 0; i < OCSP_CACHE_SHARDS; i++) {
		struct shard *sh = &c->shards[i];
		pthread_mutex_lock(&sh->mu);
		if (sh->newest_this > *this_update)
			*this_update = sh->newest_this;
		if (sh->newest_next > *next_update)
			*next_update = sh->newest_next;
		pthread_mutex_unlock(&sh->mu);
	}
}

void
ocsp_cache_stats(struct ocsp_cache *c, struct ocsp_cache_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < OCSP_CACHE_SHARDS; i++) {
		struct shard *sh = &c->shards[i];
		pthread_mutex_lock(&sh->mu);
		out->bytes += sh->bytes;
		out->max_bytes += sh->max_bytes;
		out->count += sh->count;
		out->absent += sh->absent;
		out->hits += sh->hits;
		out->misses += sh->misses;
		out->evictions += sh->evictions;
		out->absent_hits += sh->absent_hits;
		pthread_mutex_unlock(&sh->mu);
	}
}
