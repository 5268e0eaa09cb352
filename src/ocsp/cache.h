/*
 * cache.h - a bounded cache of OCSP responses, for a server whose store does
 * not fit in memory ([server] cache).
 *
 * Keyed like the index (issuer id, CertID hash, serial bytes), holding at
 * most max_bytes: what the allocator gives each entry and its response
 * (their sizes with malloc's header, rounded up to its 16 bytes), and the
 * hash tables.  Past the bound the least recently used response goes.  Shared
 * by every thread: OCSP_CACHE_SHARDS shards, each with its own lock, LRU
 * list and share of the bytes, so that two loops rarely wait for each other
 * (a hit holds its shard's lock for a lookup and a copy of a few hundred
 * bytes).
 *
 * Nothing stale may be served, while lookups and changes race:
 *   - a miss reserves its key (ocsp_cache_get: OCSP_CACHE_MISS) before the
 *     store is read; the lookup then ends it (ocsp_cache_fill, _absent or
 *     _release), once;
 *   - every response written to the store since (the server's change feed,
 *     store_ocsp_each) goes through ocsp_cache_update, which replaces a held
 *     or reserved key's bytes with the newer ones (or marks it absent, when
 *     its signature failed) and ignores a key not there (a later miss reads
 *     the store);
 *   - each entry keeps the seq (the store's write order) of what it holds
 *     or was last told, and nothing older replaces it.
 * So a lookup that read a response just before the signer replaced it
 * cannot leave the old bytes behind: the change reaches the reserved key
 * after the read began, and the fill, older, is refused.  This holds when
 * the lookup reads a store at least as new as the change feed's (one store
 * host: a lookup handle on a standby behind the feed's could read an older
 * response after the feed passed its change; SQLite handles look at their
 * files before each read).
 *
 * Also kept: what the store does not hold (an "absent" marker, counted like
 * an entry, replaced by the feed's first response for it), so an unknown
 * serial costs one store read, not one a request.  A held response at or
 * past its nextUpdate is dropped when asked for and read again (the signer
 * may have written a newer one the feed did not bring).  When the store's
 * change counter goes back (a restore, a promoted standby),
 * ocsp_cache_flush() forgets everything, and the lookups still out when it
 * ran fill nothing.
 */
#ifndef LANCRE_OCSP_CACHE_H
#define LANCRE_OCSP_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/index.h"
#include "store/store.h"
#include "util/err.h"

#define OCSP_CACHE_SHARDS 16
#define OCSP_CACHE_MIN (1024 * 1024) /* the smallest bound: 64 KB a shard */

struct ocsp_cache;

/* A key: one certificate's response for one CertID hash. */
struct ocsp_cache_key {
	int64_t issuer_id;
	enum ocsp_hash hash;
	const uint8_t *serial;
	size_t serial_len;
};

/*
 * A cache of at most max_bytes (at least OCSP_CACHE_MIN) holding responses
 * of at most max_der bytes each (larger ones are read from the store each
 * time), or NULL with e set.
 */
struct ocsp_cache *ocsp_cache_new(size_t max_bytes, size_t max_der, struct err *e);
void ocsp_cache_free(struct ocsp_cache *c); /* accepts NULL */

/* What ocsp_cache_get found. */
enum ocsp_cache_got {
	OCSP_CACHE_UNRESERVED, /* a miss not reserved (no memory, a bad key): never fill it */
	OCSP_CACHE_MISS,       /* a miss, reserved: the caller ends it once (fill, absent or release) */
	OCSP_CACHE_HIT,        /* *out holds the response */
	OCSP_CACHE_ABSENT,     /* the store holds no response to serve for k */
};

/*
 * k's response at now.  A hit copies the bytes once, into alloc(arg, len)
 * (NULL: a miss), and fills *out (der = that copy); the key becomes the
 * most recently used.  A response held at or past its nextUpdate is dropped
 * and missed.
 */
enum ocsp_cache_got ocsp_cache_get(struct ocsp_cache *c, const struct ocsp_cache_key *k,
    int64_t now, void *(*alloc)(void *arg, size_t len), void *arg, struct ocsp_entry *out);

/* The end of a miss on k: r is what the store holds; kept unless something newer is. */
void ocsp_cache_fill(struct ocsp_cache *c, const struct ocsp_cache_key *k,
    const struct ocsp_record *r);
/*
 * The end of a miss on k: the store holds no response to serve (seq 0:
 * none; else the seq of one whose signature failed), kept as an absent
 * marker unless something newer is held.
 */
void ocsp_cache_fill_absent(struct ocsp_cache *c, const struct ocsp_cache_key *k, int64_t seq);
/* The end of a miss on k that learnt nothing (the store failed, no lookup ran). */
void ocsp_cache_release(struct ocsp_cache *c, const struct ocsp_cache_key *k);

/*
 * A response written since (r->issuer_id, hash, serial, seq): replaces the
 * bytes of its key if held, reserved or marked absent; valid 0 (its
 * signature failed) marks the key absent at r's seq instead.  A key not
 * there is left alone.
 */
void ocsp_cache_update(struct ocsp_cache *c, const struct ocsp_record *r, int valid);

/* Forget every key (the store went back in time); the misses still out fill nothing. */
void ocsp_cache_flush(struct ocsp_cache *c);

/*
 * The newest thisUpdate and nextUpdate of the responses filled or told
 * since the start or the last flush (0, 0: none), for /healthz.
 */
void ocsp_cache_newest(struct ocsp_cache *c, int64_t *this_update, int64_t *next_update);

struct ocsp_cache_stats {
	size_t bytes, max_bytes, count, absent;
	uint64_t hits, misses, evictions, absent_hits;
};
void ocsp_cache_stats(struct ocsp_cache *c, struct ocsp_cache_stats *out);

#endif
