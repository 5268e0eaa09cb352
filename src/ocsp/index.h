/*
 * index.h - every pre-signed OCSP response held in memory, found in O(1).
 *
 * This is the server's hot path: a request's CertID is turned into an issuer
 * (a short list, compared by name and key hash) and then looked up by
 * (issuer, hash algorithm, serial) in an open-addressing hash table.  Lookups
 * allocate nothing and touch two cache lines in the common case.
 *
 * Memory layout: responses live back to back in chunks that never move,
 * each behind a small fixed header; the table holds their addresses only,
 * so a million responses cost their bytes plus about 40 bytes each.  A
 * response replaced by a newer one leaves its old bytes in the arena until
 * the index is rebuilt (the server builds a fresh index beside the old one
 * and swaps).
 *
 * One thread adds to an index while any number of others look it up,
 * without locks: a reader finds what was put before its look, or something
 * put since (never a half-written entry).  So the server's snapshots share
 * one recent layer that the reloads extend, instead of each copying it
 * (server/snapshot.h).  ocsp_index_trim is the exception: before readers.
 */
#ifndef LANCRE_OCSP_INDEX_H
#define LANCRE_OCSP_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ocsp/request.h"
#include "store/store.h"
#include "util/err.h"

#define OCSP_INDEX_ISSUERS_MAX 1024

struct ocsp_index;

/* A found response: der points into the index and lives as long as it does. */
struct ocsp_entry {
	const uint8_t *der;
	size_t der_len;
	int64_t this_update, next_update;
	uint64_t etag; /* a 64-bit hash of der, computed when it was added */
};

enum ocsp_find_result {
	OCSP_FOUND,
	OCSP_UNKNOWN_ISSUER,
	OCSP_UNKNOWN_SERIAL,
};

struct ocsp_index *ocsp_index_new(struct err *e);
/*
 * An index no other thread looks up until it is done growing (the server's
 * base, handed over once loaded): a table it outgrows is freed at once
 * instead of kept for readers.
 */
struct ocsp_index *ocsp_index_new_unshared(struct err *e);
void ocsp_index_free(struct ocsp_index *ix); /* accepts NULL */

/* Make an issuer known to the index (its CertID hashes are computed here). */
int ocsp_index_add_issuer(struct ocsp_index *ix, int64_t issuer_id, X509 *cert, struct err *e);

/*
 * Add or replace a response.  One of an issuer the index does not know is
 * skipped.  Readers of the index may be looking it up meanwhile (above).
 */
int ocsp_index_put(struct ocsp_index *ix, const struct ocsp_record *r, struct err *e);

enum ocsp_find_result ocsp_index_find(const struct ocsp_index *ix, const struct ocsp_query *q,
    struct ocsp_entry *out);

/*
 * The id of the issuer q names (by its CertID hashes), or 0 if the index does
 * not know it: for a request the index has no response for, whether the
 * store may have one (ocsp_index_find said OCSP_UNKNOWN_SERIAL).
 */
int64_t ocsp_index_issuer_of(const struct ocsp_index *ix, const struct ocsp_query *q);

/* The ETag the index gives der (struct ocsp_entry's etag), for bytes found elsewhere. */
uint64_t ocsp_index_etag(const uint8_t *der, size_t len);

/* Every issuer not yet known, and every stored response with seq > after_seq (0: all). */
int ocsp_index_load(struct ocsp_index *ix, struct store *s, int64_t after_seq, struct err *e);

/*
 * The same, each response first shown to check->fn: one it refuses (0) is
 * left out; -1 stops the load (it fails with "stopped").
 */
struct ocsp_index_check {
	int (*fn)(void *arg, const struct ocsp_record *r);
	void *arg;
};
int ocsp_index_load_checked(struct ocsp_index *ix, struct store *s, int64_t after_seq,
    const struct ocsp_index_check *check, struct err *e);

/*
 * Give back the room the arena holds and did not use (the newest chunk's
 * tail, and the tables it outgrew).  For an index that is done growing,
 * such as the server's base, before any other thread looks it up: it may
 * move entries.  It can still grow afterwards.
 */
void ocsp_index_trim(struct ocsp_index *ix);

/*
 * The smallest thisUpdate and nextUpdate among the responses added (0 when
 * empty).  A response replaced by a newer one still counts until the index is
 * rebuilt, so the figures can only err on the old side.
 */
void ocsp_index_oldest(const struct ocsp_index *ix, int64_t *this_update, int64_t *next_update);
/* The largest, likewise (replaced responses count until a rebuild: they err on the new side). */
void ocsp_index_newest(const struct ocsp_index *ix, int64_t *this_update, int64_t *next_update);

/* Responses held, and bytes allocated (arena + table). */
size_t ocsp_index_count(const struct ocsp_index *ix);
size_t ocsp_index_memory(const struct ocsp_index *ix);

#endif
