/*
 * index.c - see index.h.
 *
 * Arena entry: struct entry (aligned to 8) followed by the serial bytes and
 * the response DER, padded to 8, in chunks that never move.  Table:
 * power-of-two array of entry addresses (NULL: empty); linear probing; kept
 * at most half full.  The hash is seeded per index from the OS RNG, so
 * clients cannot aim requests at one probe chain.
 *
 * One writer, readers on other threads at the same time (index.h): the
 * writer only ever fills an empty slot or swaps a slot's address for a newer
 * entry's, each after the entry is written (release), and replaces a table
 * that grows whole, keeping the old one; nothing is removed, moved or freed
 * before ocsp_index_free.  So a reader, without a lock, finds a response as
 * it was put, or the one put after it.
 */
#include "ocsp/index.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/*
 * The table readers probe.  Slots hold entry addresses (chunks never move),
 * stored with release after the entry is written and loaded with acquire,
 * so a reader sees a whole entry or the slot's previous one.  A table that
 * grows is replaced by a bigger one; the old one stays (retired) until the
 * index is freed, for readers still probing it.
 */
struct table {
	size_t cap; /* power of two */
	struct table *retired; /* the one it replaced */
	_Atomic(const struct entry *) slot[];
};

/* One block of entries, never moved or grown once readers may see it. */
struct chunk {
	struct chunk *prev;
	size_t used, cap;
	_Alignas(8) uint8_t bytes[];
};

struct ocsp_index {
	struct index_issuer issuers[OCSP_INDEX_ISSUERS_MAX];
	atomic_size_t nissuers;
	struct chunk *chunk; /* the newest, entries are added to; ->prev the older ones */
	_Atomic(struct table *) table;
	atomic_size_t count, memory;
	uint64_t seed;
	int unshared; /* no reader before it is done (ocsp_index_new_unshared) */
	atomic_int_least64_t min_this_update, min_next_update;
	atomic_int_least64_t max_this_update, max_next_update;
};

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)
#define CHUNK_MIN ((size_t)1 << 20)
#define CHUNK_MAX ((size_t)64 << 20)

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

static int
entry_is(const struct entry *en, unsigned issuer, unsigned hash, const uint8_t *serial,
    size_t len)
{
	return en->issuer == issuer && en->hash == hash && en->serial_len == len &&
	       memcmp((const uint8_t *)(en + 1), serial, len) == 0;
}

static size_t
relaxed_size(const atomic_size_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static int64_t
relaxed_i64(const atomic_int_least64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

/* Blocks at least this large are given huge pages (advise_huge). */
#define HUGE_MIN ((size_t)4 << 20)

/*
 * Ask the kernel for transparent huge pages on a large block, before it is
 * touched: Debian's default THP mode ("madvise") gives them only where asked.
 * A node holding 10M responses reads 3.4 GB at random, a table slot and then
 * an entry per request, and with 4 KiB pages each is a TLB miss and a page
 * walk; with 2 MiB pages the walks mostly hit the caches (docs/BENCHMARKS.md,
 * session 15).  Only the block's whole pages are advised; a kernel without
 * THP refuses, which changes nothing but speed.
 */
static void
advise_huge(void *p, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), a, b;

	if (len < HUGE_MIN || page == 0 || (page & (page - 1)) != 0)
		return;
	a = ((uintptr_t)p + page - 1) & ~(page - 1);
	b = ((uintptr_t)p + len) & ~(page - 1);
	if (b > a)
		(void)madvise((void *)a, b - a, MADV_HUGEPAGE);
}

static struct table *
table_new(size_t cap)
{
	size_t size = sizeof(struct table) + cap * sizeof(((struct table *)NULL)->slot[0]);
	struct table *t = calloc(1, size);

	if (t != NULL) {
		advise_huge(t, size);
		t->cap = cap;
	}
	return t;
}

static void
table_free_all(struct table *t)
{
	while (t != NULL) {
		struct table *next = t->retired;
		free(t);
		t = next;
	}
}

struct ocsp_index *
ocsp_index_new(struct err *e)
{
	struct ocsp_index *ix = calloc(1, sizeof(*ix));
	struct table *t = table_new(1024);

	if (ix == NULL || t == NULL || RAND_bytes((unsigned char *)&ix->seed, sizeof(ix->seed)) != 1) {
		free(ix);
		free(t);
		err_set(e, "out of memory");
		return NULL;
	}
	atomic_init(&ix->table, t);
	atomic_init(&ix->memory, sizeof(*ix) + t->cap * sizeof(t->slot[0]));
	return ix;
}

struct ocsp_index *
ocsp_index_new_unshared(struct err *e)
{
	struct ocsp_index *ix = ocsp_index_new(e);

	if (ix != NULL)
		ix->unshared = 1;
	return ix;
}

void
ocsp_index_free(struct ocsp_index *ix)
{
	if (ix == NULL)
		return;
	for (struct chunk *c = ix->chunk, *prev; c != NULL; c = prev) {
		prev = c->prev;
		free(c);
	}
	table_free_all(atomic_load_explicit(&ix->table, memory_order_relaxed));
	free(ix);
}

int
ocsp_index_add_issuer(struct ocsp_index *ix, int64_t issuer_id, X509 *cert, struct err *e)
{
	size_t n = relaxed_size(&ix->nissuers);

	if (n == OCSP_INDEX_ISSUERS_MAX)
		return err_set(e, "more than %d issuers", OCSP_INDEX_ISSUERS_MAX);
	ix->issuers[n].id = issuer_id;
	if (ocsp_issuer_hashes(cert, &ix->issuers[n].h, e) != 0)
		return -1;
	/* Published after it is written: a reader counting it reads it whole. */
	atomic_store_explicit(&ix->nissuers, n + 1, memory_order_release);
	return 0;
}

static int
issuer_slot_by_id(const struct ocsp_index *ix, int64_t id)
{
	size_t n = atomic_load_explicit(&ix->nissuers, memory_order_acquire);

	for (size_t i = 0; i < n; i++) {
		if (ix->issuers[i].id == id)
			return (int)i;
	}
	return -1;
}

/* Where (issuer, hash, serial) lives in t, or the empty slot it would take. */
static size_t
probe(const struct table *t, uint64_t seed, unsigned issuer, unsigned hash,
    const uint8_t *serial, size_t len, const struct entry **found)
{
	size_t mask = t->cap - 1;
	size_t i = key_hash(seed, issuer, hash, serial, len) & mask;
	const struct entry *en;

	while ((en = atomic_load_explicit(&t->slot[i], memory_order_acquire)) != NULL &&
	    !entry_is(en, issuer, hash, serial, len))
		i = (i + 1) & mask;
	*found = en;
	return i;
}

/*
 * A table twice as big, filled from the current one, then published; the
 * current one is retired (not freed: a reader may still be probing it).
 */
static int
grow_table(struct ocsp_index *ix, struct err *e)
{
	struct table *old = atomic_load_explicit(&ix->table, memory_order_relaxed), *t;
	const struct entry *en, *dup;

	if ((t = table_new(old->cap * 2)) == NULL)
		return err_set(e, "out of memory");
	for (size_t i = 0; i < old->cap; i++) {
		if ((en = atomic_load_explicit(&old->slot[i], memory_order_relaxed)) == NULL)
			continue;
		atomic_store_explicit(&t->slot[probe(t, ix->seed, en->issuer, en->hash,
		    (const uint8_t *)(en + 1), en->serial_len, &dup)], en, memory_order_relaxed);
	}
	atomic_store_explicit(&ix->table, t, memory_order_release);
	atomic_fetch_add_explicit(&ix->memory, t->cap * sizeof(t->slot[0]), memory_order_relaxed);
	if (ix->unshared) { /* nobody probes the old one: a 10M base's would add 256 MB */
		atomic_fetch_sub_explicit(&ix->memory, old->cap * sizeof(old->slot[0]),
		    memory_order_relaxed);
		free(old);
	} else {
		t->retired = old;
	}
	return 0;
}

/*
 * Room for size bytes in the newest chunk, or a new chunk: an eighth of
 * what the index holds (1 to 64 MiB), so that a big base is a few thousand
 * blocks and a small recent layer one.  Entries never move.
 */
static uint8_t *
arena_reserve(struct ocsp_index *ix, size_t size, struct err *e)
{
	struct chunk *c = ix->chunk;
	size_t cap = relaxed_size(&ix->memory) / 8;

	if (c != NULL && c->cap - c->used >= size)
		return c->bytes + c->used;
	cap = cap < CHUNK_MIN ? CHUNK_MIN : cap > CHUNK_MAX ? CHUNK_MAX : cap;
	if (cap < size)
		cap = size;
	if ((c = malloc(sizeof(*c) + cap)) == NULL) {
		err_set(e, "out of memory (%zu bytes of OCSP responses)", cap);
		return NULL;
	}
	advise_huge(c, sizeof(*c) + cap);
	c->prev = ix->chunk;
	c->used = 0;
	c->cap = cap;
	ix->chunk = c;
	atomic_fetch_add_explicit(&ix->memory, sizeof(*c) + cap, memory_order_relaxed);
	return c->bytes;
}

static void
lower(atomic_int_least64_t *v, int64_t x)
{
	int64_t cur = relaxed_i64(v);

	if (cur == 0 || x < cur)
		atomic_store_explicit(v, x, memory_order_relaxed);
}

static void
raise_to(atomic_int_least64_t *v, int64_t x)
{
	if (x > relaxed_i64(v))
		atomic_store_explicit(v, x, memory_order_relaxed);
}

int
ocsp_index_put(struct ocsp_index *ix, const struct ocsp_record *r, struct err *e)
{
	int issuer = issuer_slot_by_id(ix, r->issuer_id);
	size_t size = ALIGN8(sizeof(struct entry) + r->serial_len + r->der_len), i;
	struct table *t = atomic_load_explicit(&ix->table, memory_order_relaxed);
	const struct entry *old;
	struct entry en;
	uint8_t *at;

	if (issuer < 0)
		return 0;
	if (r->serial_len == 0 || r->serial_len > STORE_SERIAL_MAX || r->der_len > UINT32_MAX)
		return err_set(e, "bad OCSP record");
	if ((relaxed_size(&ix->count) + 1) * 2 > t->cap) {
		if (grow_table(ix, e) != 0)
			return -1;
		t = atomic_load_explicit(&ix->table, memory_order_relaxed);
	}
	if ((at = arena_reserve(ix, size, e)) == NULL)
		return -1;
	en = (struct entry){.this_update = r->this_update, .next_update = r->next_update,
	    .etag = ocsp_index_etag(r->der, r->der_len),
	    .der_len = (uint32_t)r->der_len, .issuer = (uint16_t)issuer, .hash = (uint8_t)r->hash,
	    .serial_len = (uint8_t)r->serial_len};
	memcpy(at, &en, sizeof(en));
	memcpy(at + sizeof(en), r->serial, r->serial_len);
	memcpy(at + sizeof(en) + r->serial_len, r->der, r->der_len);
	ix->chunk->used += size;
	i = probe(t, ix->seed, (unsigned)issuer, r->hash, r->serial, r->serial_len, &old);
	lower(&ix->min_this_update, r->this_update);
	lower(&ix->min_next_update, r->next_update);
	raise_to(&ix->max_this_update, r->this_update);
	raise_to(&ix->max_next_update, r->next_update);
	/* The entry's bytes before its address: a reader that finds it reads it whole. */
	atomic_store_explicit(&t->slot[i], (const struct entry *)(const void *)at,
	    memory_order_release);
	if (old == NULL)
		atomic_fetch_add_explicit(&ix->count, 1, memory_order_relaxed);
	return 0;
}

uint64_t
ocsp_index_etag(const uint8_t *der, size_t len)
{
	return key_hash(0, 0, 0, der, len);
}

/* The slot of the issuer q names, or *n (the issuers known) when none. */
static unsigned
issuer_of(const struct ocsp_index *ix, const struct ocsp_query *q, size_t *n)
{
	int k = ocsp_hash_index(q->hash);
	size_t hlen = ocsp_hash_len(q->hash);
	unsigned issuer;

	*n = atomic_load_explicit(&ix->nissuers, memory_order_acquire);
	for (issuer = 0; issuer < *n; issuer++) {
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
	size_t n;
	unsigned issuer = issuer_of(ix, q, &n);

	return issuer < n ? ix->issuers[issuer].id : 0;
}

enum ocsp_find_result
ocsp_index_find(const struct ocsp_index *ix, const struct ocsp_query *q, struct ocsp_entry *out)
{
	size_t n;
	unsigned issuer = issuer_of(ix, q, &n);
	const struct table *t;
	const struct entry *en;

	if (issuer == n)
		return OCSP_UNKNOWN_ISSUER;
	t = atomic_load_explicit(&ix->table, memory_order_acquire);
	probe(t, ix->seed, issuer, q->hash, q->serial, q->serial_len, &en);
	if (en == NULL)
		return OCSP_UNKNOWN_SERIAL;
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
		if (issuer_slot_by_id(ix, set.v[i].rec.id) < 0) /* known: a layer extended again */
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
	*this_update = relaxed_i64(&ix->min_this_update);
	*next_update = relaxed_i64(&ix->min_next_update);
}

void
ocsp_index_newest(const struct ocsp_index *ix, int64_t *this_update, int64_t *next_update)
{
	*this_update = relaxed_i64(&ix->max_this_update);
	*next_update = relaxed_i64(&ix->max_next_update);
}

size_t
ocsp_index_count(const struct ocsp_index *ix)
{
	return relaxed_size(&ix->count);
}

/*
 * The newest chunk shrunk to what it holds.  Before any reader sees the
 * index (index.h), so a chunk realloc moves has its entries' addresses
 * rewritten in the table; the retired tables, which nobody reads yet, are
 * dropped.
 */
void
ocsp_index_trim(struct ocsp_index *ix)
{
	struct chunk *c = ix->chunk, *nc;
	struct table *t = atomic_load_explicit(&ix->table, memory_order_relaxed);
	uintptr_t from;
	size_t freed;

	for (struct table *r = t->retired; r != NULL; r = r->retired)
		atomic_fetch_sub_explicit(&ix->memory, r->cap * sizeof(r->slot[0]),
		    memory_order_relaxed);
	table_free_all(t->retired);
	t->retired = NULL;
	if (c == NULL || c->used == c->cap)
		return;
	/* glibc shrinks a large block in place (or moves its pages: mremap). */
	from = (uintptr_t)c->bytes;
	if ((nc = realloc(c, sizeof(*c) + c->used)) == NULL)
		return; /* keeps the larger block, which is as good */
	if ((uintptr_t)nc->bytes != from) {
		uintptr_t to = from + nc->used;
		for (size_t i = 0; i < t->cap; i++) {
			uintptr_t a = (uintptr_t)atomic_load_explicit(&t->slot[i],
			    memory_order_relaxed);
			if (a >= from && a < to)
				atomic_store_explicit(&t->slot[i],
				    (const struct entry *)(const void *)(nc->bytes + (a - from)),
				    memory_order_relaxed);
		}
	}
	freed = nc->cap - nc->used;
	nc->cap = nc->used;
	ix->chunk = nc;
	atomic_fetch_sub_explicit(&ix->memory, freed, memory_order_relaxed);
}

size_t
ocsp_index_memory(const struct ocsp_index *ix)
{
	return relaxed_size(&ix->memory);
}
