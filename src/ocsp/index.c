/*
 * index.c - see index.h.
 *
 * Arena entry: struct entry (aligned to 8) followed by the serial bytes and
 * the response DER, padded to 8.  Table: power-of-two array of uint64_t, each
 * 0 (empty) or arena offset + 1; linear probing; kept at most half full.  The
 * hash is seeded per index from the OS RNG, so clients cannot aim requests at
 * one probe chain.
 */
#include "ocsp/index.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "ocsp/certid.h"
#include "pki/issuer.h"
#include "util/hash.h"

struct entry {
	int64_t this_update, next_update;
	uint64_t etag;
	uint32_t der_len;
	uint16_t issuer;  /* slot in ix->issuers */
	uint8_t hash;     /* enum ocsp_hash */
	uint8_t serial_len;
	/* uint8_t serial[serial_len], der[der_len] follow */
};

struct index_issuer {
	int64_t id;
	struct ocsp_issuer_hashes h;
};

struct ocsp_index {
	struct index_issuer issuers[OCSP_INDEX_ISSUERS_MAX];
	size_t nissuers;
	uint8_t *arena;
	size_t arena_len, arena_cap;
	uint64_t *table;
	size_t table_cap; /* power of two */
	size_t count;
	uint64_t seed;
	int64_t min_this_update, min_next_update;
	int64_t max_this_update, max_next_update;
};

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

static uint64_t
mix(uint64_t h)
{
	/* MurmurHash3's 64-bit finaliser: every input bit reaches every output bit. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

static uint64_t
key_hash(uint64_t seed, unsigned issuer, unsigned hash, const uint8_t *serial, size_t len)
{
	uint64_t h = seed ^ ((uint64_t)issuer << 8 | hash) * 0x9e3779b97f4a7c15ULL;

	/* FNV-1a over the serial, then a full mix. */
	return mix(hash_fnv1a(h, serial, len) ^ len);
}

static const struct entry *
entry_at(const struct ocsp_index *ix, uint64_t slot)
{
	return (const struct entry *)(const void *)(ix->arena + (slot - 1));
}

static int
entry_is(const struct entry *en, unsigned issuer, unsigned hash, const uint8_t *serial,
    size_t len)
{
	return en->issuer == issuer && en->hash == hash && en->serial_len == len &&
	       memcmp((const uint8_t *)(en + 1), serial, len) == 0;
}

struct ocsp_index *
ocsp_index_new(struct err *e)
{
	struct ocsp_index *ix = calloc(1, sizeof(*ix));

	if (ix == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	ix->table_cap = 1024;
	ix->table = calloc(ix->table_cap, sizeof(*ix->table));
	if (ix->table == NULL || RAND_bytes((unsigned char *)&ix->seed, sizeof(ix->seed)) != 1) {
		ocsp_index_free(ix);
		err_set(e, "out of memory");
		return NULL;
	}
	return ix;
}

void
ocsp_index_free(struct ocsp_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->arena);
	free(ix->table);
	free(ix);
}

struct ocsp_index *
ocsp_index_copy(const struct ocsp_index *ix, struct err *e)
{
	struct ocsp_index *c = malloc(sizeof(*c));

	if (c == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	*c = *ix;
	c->arena = ix->arena_cap > 0 ? malloc(ix->arena_cap) : NULL;
	c->table = malloc(ix->table_cap * sizeof(*ix->table));
	if ((ix->arena_cap > 0 && c->arena == NULL) || c->table == NULL) {
		ocsp_index_free(c);
		err_set(e, "out of memory");
		return NULL;
	}
	if (ix->arena_len > 0)
		memcpy(c->arena, ix->arena, ix->arena_len);
	memcpy(c->table, ix->table, ix->table_cap * sizeof(*ix->table));
	return c;
}

int
ocsp_index_add_issuer(struct ocsp_index *ix, int64_t issuer_id, X509 *cert, struct err *e)
{
	if (ix->nissuers == OCSP_INDEX_ISSUERS_MAX)
		return err_set(e, "more than %d issuers", OCSP_INDEX_ISSUERS_MAX);
	ix->issuers[ix->nissuers].id = issuer_id;
	if (ocsp_issuer_hashes(cert, &ix->issuers[ix->nissuers].h, e) != 0)
		return -1;
	ix->nissuers++;
	return 0;
}

static int
issuer_slot_by_id(const struct ocsp_index *ix, int64_t id)
{
	for (size_t i = 0; i < ix->nissuers; i++) {
		if (ix->issuers[i].id == id)
			return (int)i;
	}
	return -1;
}

/* Where (issuer, hash, serial) lives in the table, or the empty slot it would take. */
static size_t
probe(const struct ocsp_index *ix, unsigned issuer, unsigned hash, const uint8_t *serial,
    size_t len)
{
	size_t mask = ix->table_cap - 1;
	size_t i = key_hash(ix->seed, issuer, hash, serial, len) & mask;

	while (ix->table[i] != 0 && !entry_is(entry_at(ix, ix->table[i]), issuer, hash, serial, len))
		i = (i + 1) & mask;
	return i;
}

static int
grow_table(struct ocsp_index *ix, struct err *e)
{
	uint64_t *old = ix->table;
	size_t old_cap = ix->table_cap;

	ix->table_cap *= 2;
	ix->table = calloc(ix->table_cap, sizeof(*ix->table));
	if (ix->table == NULL) {
		ix->table = old;
		ix->table_cap = old_cap;
		return err_set(e, "out of memory");
	}
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i] == 0)
			continue;
		const struct entry *en = entry_at(ix, old[i]);
		ix->table[probe(ix, en->issuer, en->hash, (const uint8_t *)(en + 1),
		    en->serial_len)] = old[i];
	}
	free(old);
	return 0;
}

static int
arena_reserve(struct ocsp_index *ix, size_t need, struct err *e)
{
	size_t cap = ix->arena_cap ? ix->arena_cap : 1 << 20;
	uint8_t *na;

	if (ix->arena_len + need <= ix->arena_cap)
		return 0;
	while (cap < ix->arena_len + need)
		cap *= 2;
	na = realloc(ix->arena, cap);
	if (na == NULL)
		return err_set(e, "out of memory (%zu bytes of OCSP responses)", cap);
	ix->arena = na;
	ix->arena_cap = cap;
	return 0;
}

int
ocsp_index_put(struct ocsp_index *ix, const struct ocsp_record *r, struct err *e)
{
	int issuer = issuer_slot_by_id(ix, r->issuer_id);
	size_t size = ALIGN8(sizeof(struct entry) + r->serial_len + r->der_len), i;
	struct entry en;

	if (issuer < 0)
		return 0;
	if (r->serial_len == 0 || r->serial_len > STORE_SERIAL_MAX || r->der_len > UINT32_MAX)
		return err_set(e, "bad OCSP record");
	if ((ix->count + 1) * 2 > ix->table_cap && grow_table(ix, e) != 0)
		return -1;
	if (arena_reserve(ix, size, e) != 0)
		return -1;
	en = (struct entry){.this_update = r->this_update, .next_update = r->next_update,
	    .etag = ocsp_index_etag(r->der, r->der_len),
	    .der_len = (uint32_t)r->der_len, .issuer = (uint16_t)issuer, .hash = (uint8_t)r->hash,
	    .serial_len = (uint8_t)r->serial_len};
	memcpy(ix->arena + ix->arena_len, &en, sizeof(en));
	memcpy(ix->arena + ix->arena_len + sizeof(en), r->serial, r->serial_len);
	memcpy(ix->arena + ix->arena_len + sizeof(en) + r->serial_len, r->der, r->der_len);
	i = probe(ix, (unsigned)issuer, r->hash, r->serial, r->serial_len);
	if (ix->table[i] == 0)
		ix->count++;
	if (ix->min_this_update == 0 || r->this_update < ix->min_this_update)
		ix->min_this_update = r->this_update;
	if (ix->min_next_update == 0 || r->next_update < ix->min_next_update)
		ix->min_next_update = r->next_update;
	if (r->this_update > ix->max_this_update)
		ix->max_this_update = r->this_update;
	if (r->next_update > ix->max_next_update)
		ix->max_next_update = r->next_update;
	ix->table[i] = ix->arena_len + 1;
	ix->arena_len += size;
	return 0;
}

uint64_t
ocsp_index_etag(const uint8_t *der, size_t len)
{
	return key_hash(0, 0, 0, der, len);
}

/* The slot of the issuer q names, or ix->nissuers when none. */
static unsigned
issuer_of(const struct ocsp_index *ix, const struct ocsp_query *q)
{
	int k = ocsp_hash_index(q->hash);
	size_t hlen = ocsp_hash_len(q->hash);
	unsigned issuer;

	for (issuer = 0; issuer < ix->nissuers; issuer++) {
		const struct ocsp_issuer_hashes *h = &ix->issuers[issuer].h;
		if (memcmp(h->key[k], q->key_hash, hlen) == 0 &&
		    memcmp(h->name[k], q->name_hash, hlen) == 0)
			break;
	}
	return issuer;
}

int64_t
ocsp_index_issuer_of(const struct ocsp_index *ix, const struct ocsp_query *q)
{
	unsigned issuer = issuer_of(ix, q);

	return issuer < ix->nissuers ? ix->issuers[issuer].id : 0;
}

enum ocsp_find_result
ocsp_index_find(const struct ocsp_index *ix, const struct ocsp_query *q, struct ocsp_entry *out)
{
	unsigned issuer = issuer_of(ix, q);
	const struct entry *en;
	size_t i;

	if (issuer == ix->nissuers)
		return OCSP_UNKNOWN_ISSUER;
	i = probe(ix, issuer, q->hash, q->serial, q->serial_len);
	if (ix->table[i] == 0)
		return OCSP_UNKNOWN_SERIAL;
	en = entry_at(ix, ix->table[i]);
	out->der = (const uint8_t *)(en + 1) + en->serial_len;
	out->der_len = en->der_len;
	out->this_update = en->this_update;
	out->next_update = en->next_update;
	out->etag = en->etag;
	return OCSP_FOUND;
}

struct load_ctx {
	struct ocsp_index *ix;
	const struct ocsp_index_check *check; /* or NULL */
	struct err *e;
};

static int
load_one(void *arg, const struct ocsp_record *r)
{
	struct load_ctx *ctx = arg;
	int ok = ctx->check != NULL ? ctx->check->fn(ctx->check->arg, r) : 1;

	if (ok < 0)
		return err_set(ctx->e, "stopped");
	if (ok == 0)
		return 0; /* left out: the check counts it */
	return ocsp_index_put(ctx->ix, r, ctx->e);
}

int
ocsp_index_load(struct ocsp_index *ix, struct store *s, int64_t after_seq, struct err *e)
{
	return ocsp_index_load_checked(ix, s, after_seq, NULL, e);
}

int
ocsp_index_load_checked(struct ocsp_index *ix, struct store *s, int64_t after_seq,
    const struct ocsp_index_check *check, struct err *e)
{
	struct issuer_set set;
	struct load_ctx ctx = {ix, check, e};
	int rc = 0;

	if (issuer_set_load(s, &set, e) != 0)
		return -1;
	for (size_t i = 0; rc == 0 && i < set.n; i++) {
		if (issuer_slot_by_id(ix, set.v[i].rec.id) < 0) /* known: a copy's */
			rc = ocsp_index_add_issuer(ix, set.v[i].rec.id, set.v[i].cert, e);
	}
	issuer_set_free(&set);
	if (rc == 0)
		rc = store_ocsp_each(s, after_seq, load_one, &ctx, e);
	return rc;
}

void
ocsp_index_oldest(const struct ocsp_index *ix, int64_t *this_update, int64_t *next_update)
{
	*this_update = ix->min_this_update;
	*next_update = ix->min_next_update;
}

void
ocsp_index_newest(const struct ocsp_index *ix, int64_t *this_update, int64_t *next_update)
{
	*this_update = ix->max_this_update;
	*next_update = ix->max_next_update;
}

size_t
ocsp_index_count(const struct ocsp_index *ix)
{
	return ix->count;
}

void
ocsp_index_trim(struct ocsp_index *ix)
{
	uint8_t *na;

	if (ix->arena_len == 0 || ix->arena_len == ix->arena_cap)
		return;
	/* glibc moves the pages of a large block (mremap): no copy. */
	na = realloc(ix->arena, ix->arena_len);
	if (na == NULL)
		return; /* keeps the larger block, which is as good */
	ix->arena = na;
	ix->arena_cap = ix->arena_len;
}

size_t
ocsp_index_memory(const struct ocsp_index *ix)
{
	return sizeof(*ix) + ix->arena_cap + ix->table_cap * sizeof(*ix->table);
}
