/*
 * cache.c - see cache.h.
 *
 * A shard: a chained hash table (a power of two of buckets, doubled when
 * the entries outnumber them, its array counted in the shard's bytes) and a
 * doubly linked LRU list of the entries that hold bytes, most recent first.
 * An entry reserved by a miss and holding nothing yet is in the table only:
 * eviction never takes it, and it goes when its last reservation is filled
 * with nothing.  An entry's bytes are a separate allocation, so that a
 * replacement does not move the entry.  The shard's seed, drawn once from
 * the OS RNG, keeps clients from aiming every serial at one chain.
 */
#include "ocsp/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "util/hash.h"

#define CACHE_BUCKETS_MIN 64

struct centry {
	struct centry *chain;             /* next in its bucket */
	struct centry *newer, *older;     /* the LRU list, while it holds bytes */
	int64_t issuer_id;
	int64_t seq; /* of what it holds, or of the last change it was told of */
	int64_t this_update, next_update;
	uint64_t etag;
	uint8_t *der; /* NULL: holds nothing (reserved) */
	size_t der_len;
	unsigned pending; /* misses waiting for their lookup */
	uint8_t hash;
	uint8_t serial_len;
	uint8_t serial[STORE_SERIAL_MAX];
};

struct shard {
	pthread_mutex_t mu;
	struct centry **buckets;
	size_t nbuckets, count;
	struct centry lru; /* sentinel: lru.older is the most recent, lru.newer the least */
	size_t bytes, max_bytes;
	uint64_t hits, misses, evictions;
};

struct ocsp_cache {
	uint64_t seed;
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
	en->newer->older = en->older;
	en->older->newer = en->newer;
	en->newer = en->older = NULL;
}

/* Make en the most recently used (linking it if it was not). */
static void
lru_front(struct shard *sh, struct centry *en)
{
	if (en->newer != NULL)
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

/* Drop en's bytes (it stays in the table). */
static void
drop_bytes(struct shard *sh, struct centry *en)
{
	if (en->der == NULL)
		return;
	sh->bytes -= en->der_len;
	free(en->der);
	en->der = NULL;
	en->der_len = 0;
	lru_unlink(en);
}

/* Take en out of the table and free it (it holds no reservation). */
static void
remove_entry(struct ocsp_cache *c, struct shard *sh, struct centry *en)
{
	struct ocsp_cache_key k = {en->issuer_id, (enum ocsp_hash)en->hash, en->serial,
	    en->serial_len};
	struct centry **p = find_slot(sh, key_hash(c->seed, &k), &k);

	drop_bytes(sh, en);
	*p = en->chain;
	sh->count--;
	sh->bytes -= OCSP_CACHE_ENTRY_COST;
	free(en);
}

/* The least recently used go until the shard is within its bytes. */
static void
evict(struct ocsp_cache *c, struct shard *sh)
{
	while (sh->bytes > sh->max_bytes && sh->lru.newer != &sh->lru) {
		struct centry *en = sh->lru.newer;
		sh->evictions++;
		if (en->pending > 0)
			drop_bytes(sh, en); /* a miss waits on it: keep the key, reserved */
		else
			remove_entry(c, sh, en);
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

/* en holds r's bytes from now on (if they can be copied), as the most recent. */
static void
set_bytes(struct ocsp_cache *c, struct shard *sh, struct centry *en, const struct ocsp_record *r)
{
	uint8_t *der = malloc(r->der_len ? r->der_len : 1);

	drop_bytes(sh, en);
	en->seq = r->seq;
	if (der == NULL)
		return;
	memcpy(der, r->der, r->der_len);
	en->der = der;
	en->der_len = r->der_len;
	en->this_update = r->this_update;
	en->next_update = r->next_update;
	en->etag = ocsp_index_etag(r->der, r->der_len);
	sh->bytes += r->der_len;
	lru_front(sh, en);
	evict(c, sh);
}

struct ocsp_cache *
ocsp_cache_new(size_t max_bytes, struct err *e)
{
	struct ocsp_cache *c;

	if (max_bytes < OCSP_CACHE_MIN) {
		err_set(e, "a cache of %zu bytes is below the smallest, %d", max_bytes,
		    OCSP_CACHE_MIN);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto nomem;
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

static struct shard *
shard_of(struct ocsp_cache *c, uint64_t h)
{
	return &c->shards[h % OCSP_CACHE_SHARDS];
}

int
ocsp_cache_get(struct ocsp_cache *c, const struct ocsp_cache_key *k, uint8_t *buf, size_t cap,
    struct ocsp_entry *out)
{
	uint64_t h = key_hash(c->seed, k);
	struct shard *sh = shard_of(c, h);
	struct centry **p, *en;
	int hit = 0;

	if (k->serial_len == 0 || k->serial_len > STORE_SERIAL_MAX)
		return 0; /* never stored: nothing to reserve, the fill does nothing */
	pthread_mutex_lock(&sh->mu);
	p = find_slot(sh, h, k);
	if ((en = *p) != NULL && en->der != NULL && en->der_len <= cap) {
		memcpy(buf, en->der, en->der_len);
		*out = (struct ocsp_entry){.der = buf, .der_len = en->der_len,
		    .this_update = en->this_update, .next_update = en->next_update,
		    .etag = en->etag};
		lru_front(sh, en);
		sh->hits++;
		hit = 1;
	} else if (en != NULL) {
		en->pending++;
		sh->misses++;
	} else if ((en = calloc(1, sizeof(*en))) != NULL) {
		en->issuer_id = k->issuer_id;
		en->hash = (uint8_t)k->hash;
		en->serial_len = (uint8_t)k->serial_len;
		memcpy(en->serial, k->serial, k->serial_len);
		en->pending = 1;
		*p = en;
		sh->count++;
		sh->bytes += OCSP_CACHE_ENTRY_COST;
		sh->misses++;
		maybe_grow(c, sh);
		evict(c, sh);
	}
	pthread_mutex_unlock(&sh->mu);
	return hit;
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
		en->pending--;
		if (r != NULL && (en->der == NULL || r->seq > en->seq) && r->seq >= en->seq)
			set_bytes(c, sh, en, r);
		else if (en->der == NULL && en->pending == 0)
			remove_entry(c, sh, en);
	}
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
		if (valid) {
			set_bytes(c, sh, en, r);
		} else {
			drop_bytes(sh, en);
			en->seq = r->seq; /* nothing older fills it now */
			if (en->pending == 0)
				remove_entry(c, sh, en);
		}
	}
	pthread_mutex_unlock(&sh->mu);
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
		out->hits += sh->hits;
		out->misses += sh->misses;
		out->evictions += sh->evictions;
		pthread_mutex_unlock(&sh->mu);
	}
}
