/*
 * cache.h - a bounded cache of OCSP responses, for a server whose store does
 * not fit in memory ([server] cache).
 *
 * Keyed like the index (issuer id, CertID hash, serial bytes), holding at
 * most max_bytes: the responses' bytes and each entry's fixed cost
 * (OCSP_CACHE_ENTRY_COST, its header and the allocator's), and the hash
 * tables.  Past the bound the least recently used response goes.  Shared
 * by every thread: OCSP_CACHE_SHARDS shards, each with its own lock, LRU
 * list and share of the bytes, so that two loops rarely wait for each other
 * (a hit holds its shard's lock for a lookup and a copy of a few hundred
 * bytes).
 *
 * Nothing stale may be served, while lookups and changes race:
 *   - a miss reserves its key (ocsp_cache_get returns 0) before the store is
 *     read; the lookup then fills it (ocsp_cache_fill), once;
 *   - every response written to the store since (the server's change feed,
 *     store_ocsp_each) goes through ocsp_cache_update, which replaces a held
 *     or reserved key's bytes with the newer ones (or drops them, when its
 *     signature failed) and ignores a key not there (a later miss reads the
 *     store);
 *   - each entry keeps the seq (the store's write order) of what it holds
 *     or was last told, and nothing older replaces it.
 * So a lookup that read a response just before the signer replaced it
 * cannot leave the old bytes behind: the change reaches the reserved key
 * after the read began, and the fill, older, is refused.
 */
#ifndef LANCRE_OCSP_CACHE_H
#define LANCRE_OCSP_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/index.h"
#include "store/store.h"
#include "util/err.h"

#define OCSP_CACHE_SHARDS 16
/* Bytes an entry costs besides its response: its header, the serial, two allocations. */
#define OCSP_CACHE_ENTRY_COST 160
#define OCSP_CACHE_MIN (1024 * 1024) /* the smallest bound: 64 KB a shard */

struct ocsp_cache;

/* A key: one certificate's response for one CertID hash. */
struct ocsp_cache_key {
	int64_t issuer_id;
	enum ocsp_hash hash;
	const uint8_t *serial;
	size_t serial_len;
};

/* A cache of at most max_bytes (at least OCSP_CACHE_MIN), or NULL with e set. */
struct ocsp_cache *ocsp_cache_new(size_t max_bytes, struct err *e);
void ocsp_cache_free(struct ocsp_cache *c); /* accepts NULL */

/*
 * 1: k is held, its bytes copied into buf (cap bytes) and *out filled (der
 * = buf); it becomes the most recently used.  0: a miss, and k is reserved
 * for the caller, who must call ocsp_cache_fill(k) once, found or not.  A
 * response larger than cap is a miss.
 */
int ocsp_cache_get(struct ocsp_cache *c, const struct ocsp_cache_key *k, uint8_t *buf,
    size_t cap, struct ocsp_entry *out);

/*
 * The end of a miss on k: r is what the store holds (NULL: nothing, or it
 * is not to be served); kept unless something newer is.
 */
void ocsp_cache_fill(struct ocsp_cache *c, const struct ocsp_cache_key *k,
    const struct ocsp_record *r);

/*
 * A response written since (r->issuer_id, hash, serial, seq): replaces the
 * bytes of its key if held or reserved; valid 0 (its signature failed)
 * drops them instead.  A key not there is left alone.
 */
void ocsp_cache_update(struct ocsp_cache *c, const struct ocsp_record *r, int valid);

struct ocsp_cache_stats {
	size_t bytes, max_bytes, count;
	uint64_t hits, misses, evictions;
};
void ocsp_cache_stats(struct ocsp_cache *c, struct ocsp_cache_stats *out);

#endif
