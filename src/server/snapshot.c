/*
 * snapshot.c - see snapshot.h.
 */
#include "server/snapshot.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "ocsp/index.h"
#include "pki/cert.h"
#include "pki/issuer.h"
#include "server/verify.h"
#include "util/fsutil.h"
#include "util/hash.h"

static void
base_release(struct shared_index *b)
{
	if (b != NULL && atomic_fetch_sub(&b->refs, 1) == 1) {
		ocsp_index_free(b->ix);
		free(b);
	}
}

static void
catalog_release(struct shared_catalog *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	for (size_t i = 0; i < c->nissuers; i++) {
		free(c->issuers[i].der);
		free(c->issuers[i].pem);
		X509_free(c->issuers[i].cert);
	}
	for (size_t i = 0; i < c->ncrls; i++)
		free(c->crls[i].der);
	free(c->crls);
	free(c->issuers);
	free(c);
}

void
snapshot_catalog_hold(struct shared_catalog *c)
{
	atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

void
snapshot_catalog_release(struct shared_catalog *c)
{
	catalog_release(c);
}

void
snapshot_free(struct snapshot *snap)
{
	if (snap == NULL)
		return;
	base_release(snap->base);
	base_release(snap->layer);
	catalog_release(snap->catalog);
	free(snap->key_ok);
	about_free(snap->about);
	free(snap);
}

const struct snapshot_issuer *
snapshot_issuer(const struct snapshot *snap, const char *name)
{
	const struct shared_catalog *c = snap->catalog;

	for (size_t i = 0; i < c->nissuers; i++) {
		if (strcmp(c->issuers[i].name, name) == 0)
			return &c->issuers[i];
	}
	return NULL;
}

const struct snapshot_crl *
snapshot_crl(const struct snapshot *snap, const char *name, int shard)
{
	const struct shared_catalog *c = snap->catalog;

	for (size_t i = 0; i < c->ncrls; i++) {
		if (c->crls[i].shard == shard && strcmp(c->crls[i].issuer->name, name) == 0)
			return &c->crls[i];
	}
	return NULL;
}

static int
load_issuers(struct store *s, struct shared_catalog *cat, struct err *e)
{
	struct issuer_set set;
	BIO *b = NULL;
	char *data;
	long len;

	if (issuer_set_load(s, &set, e) != 0)
		return -1;
	cat->issuers = calloc(set.n ? set.n : 1, sizeof(*cat->issuers));
	if (cat->issuers == NULL)
		goto nomem;
	for (size_t i = 0; i < set.n; i++) {
		struct snapshot_issuer *si = &cat->issuers[cat->nissuers];
		snprintf(si->name, sizeof(si->name), "%s", set.v[i].rec.name);
		si->der = malloc(set.v[i].rec.cert_len);
		b = BIO_new(BIO_s_mem());
		si->cert = X509_dup(set.v[i].cert);
		if (si->der == NULL || b == NULL || si->cert == NULL ||
		    PEM_write_bio_X509(b, set.v[i].cert) != 1)
			goto nomem;
		cat->nissuers++;
		memcpy(si->der, set.v[i].rec.cert_der, set.v[i].rec.cert_len);
		si->der_len = set.v[i].rec.cert_len;
		len = BIO_get_mem_data(b, &data);
		si->pem = malloc((size_t)len);
		if (si->pem == NULL)
			goto nomem;
		memcpy(si->pem, data, (size_t)len);
		si->pem_len = (size_t)len;
		si->etag = hash_fnv1a(HASH_FNV_OFFSET, si->der, si->der_len);
		si->id = set.v[i].rec.id;
		si->crl_shards = set.v[i].rec.crl_shards;
		cert_time(X509_get0_notBefore(set.v[i].cert), &si->last_modified);
		BIO_free(b);
		b = NULL;
	}
	issuer_set_free(&set);
	return 0;
nomem:
	BIO_free(b);
	issuer_set_free(&set);
	return err_set(e, "out of memory");
}

/* What a catalog load needs: the catalog being filled and the one it replaces (or NULL). */
struct crl_load {
	struct shared_catalog *cat;
	const struct shared_catalog *prev;
};

static const struct snapshot_crl *
catalog_find(const struct shared_catalog *c, int64_t issuer_id, int shard)
{
	for (size_t i = 0; c != NULL && i < c->ncrls; i++) {
		if (c->crls[i].issuer->id == issuer_id && c->crls[i].shard == shard)
			return &c->crls[i];
	}
	return NULL;
}

/*
 * A CRL from the store, verified (verify.h) unless the previous catalog held
 * the same bytes (verified then).  One that fails is counted and replaced by
 * the previous good copy, or left out.
 */
static int
add_crl(void *arg, const struct crl_record *r, struct err *e)
{
	struct crl_load *ld = arg;
	struct shared_catalog *cat = ld->cat;
	const struct snapshot_issuer *si = NULL;
	const struct snapshot_crl *old;
	struct snapshot_crl *c, *nv, from;

	for (size_t i = 0; i < cat->nissuers; i++) {
		if (cat->issuers[i].id == r->issuer_id)
			si = &cat->issuers[i];
	}
	if (si == NULL)
		return 0;
	old = catalog_find(ld->prev, r->issuer_id, r->shard);
	from = (struct snapshot_crl){.der = (uint8_t *)r->der, .der_len = r->der_len,
	    .this_update = r->this_update, .next_update = r->next_update};
	if ((old == NULL || old->der_len != r->der_len || memcmp(old->der, r->der, r->der_len) != 0) &&
	    !verify_crl(r->der, r->der_len, si->cert)) {
		cat->crl_bad++;
		if (old == NULL)
			return 0;
		from = *old;
	}
	nv = realloc(cat->crls, (cat->ncrls + 1) * sizeof(*cat->crls));
	if (nv == NULL)
		return err_set(e, "out of memory");
	cat->crls = nv;
	c = &cat->crls[cat->ncrls];
	c->der = malloc(from.der_len ? from.der_len : 1);
	if (c->der == NULL)
		return err_set(e, "out of memory");
	cat->ncrls++;
	memcpy(c->der, from.der, from.der_len);
	c->der_len = from.der_len;
	c->issuer = si;
	c->shard = r->shard;
	c->this_update = from.this_update;
	c->next_update = from.next_update;
	c->etag = hash_fnv1a(HASH_FNV_OFFSET, c->der, c->der_len);
	return 0;
}

/* The issuers and CRLs in the store now, in a catalog of one reference. */
static struct shared_catalog *
catalog_load(struct store *s, const struct shared_catalog *prev, struct err *e)
{
	struct shared_catalog *c = calloc(1, sizeof(*c));
	struct crl_load ld = {c, prev};

	if (c == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	atomic_init(&c->refs, 1);
	if (load_issuers(s, c, e) != 0)
		goto fail;
	/* CRLs are replaced whole, and few (shards x issuers): all of them, each time. */
	if (store_crl_each(s, add_crl, &ld, e) != 0)
		goto fail;
	return c;
fail:
	catalog_release(c);
	return NULL;
}

/* The responses of one load, a sample of them verified (verify.h). */
struct ocsp_sample {
	const struct shared_catalog *cat;
	uint64_t seen, checked, bad;
	const atomic_int *cancel; /* non-zero: stop the load; or NULL */
};

static int
check_response(void *arg, const struct ocsp_record *r)
{
	struct ocsp_sample *sm = arg;
	const struct shared_catalog *c = sm->cat;

	if (sm->cancel != NULL && atomic_load_explicit(sm->cancel, memory_order_relaxed))
		return -1;
	sm->seen++;
	if (sm->seen > VERIFY_OCSP_FIRST && sm->seen % VERIFY_OCSP_EVERY != 0)
		return 1;
	for (size_t i = 0; i < c->nissuers; i++) {
		if (c->issuers[i].id != r->issuer_id)
			continue;
		sm->checked++;
		if (verify_ocsp(r->der, r->der_len, c->issuers[i].cert))
			return 1;
		sm->bad++;
		return 0;
	}
	return 1; /* an issuer the catalog does not know: the index leaves it out itself */
}

/* The base layer: every stored response, in an index that is never added to. */
static struct ocsp_index *
load_base(struct store *s, struct ocsp_sample *sm, struct err *e)
{
	struct ocsp_index *ix = ocsp_index_new_unshared(e);
	struct ocsp_index_check check = {check_response, sm};

	if (ix == NULL)
		return NULL;
	if (ocsp_index_load_checked(ix, s, 0, &check, e) != 0) {
		ocsp_index_free(ix);
		return NULL;
	}
	ocsp_index_trim(ix);
	return ix;
}

static struct shared_index *
shared_index_of(struct ocsp_index *ix, struct err *e)
{
	struct shared_index *b;

	if (ix == NULL)
		return NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		ocsp_index_free(ix);
		err_set(e, "out of memory");
		return NULL;
	}
	b->ix = ix;
	atomic_init(&b->refs, 1);
	return b;
}

/* A new, empty recent layer for snap. */
static int
new_layer(struct snapshot *snap, struct err *e)
{
	snap->layer = shared_index_of(ocsp_index_new(e), e);
	snap->recent = snap->layer != NULL ? snap->layer->ix : NULL;
	return snap->layer != NULL ? 0 : -1;
}

/*
 * The recent layer of snap: prev's, shared, with the responses written
 * since prev read the store added to it (some may be in it already: put
 * again, they replace themselves).  prev is still being served meanwhile,
 * and sees them too (ocsp/index.h: one writer, readers without locks).
 * Reading the whole layer again from the store on every reload cost ~1 us a
 * response; copying it, as this did before, ~28 ms at 90,000 responses, at
 * every reload: while a base loads (23 s at 10M) the layer only grows, so
 * copying it made a rebuild cost the square of the write rate.
 */
static int
extend_recent(struct store *s, const struct snapshot *prev, struct snapshot *snap,
    struct ocsp_sample *sm, struct err *e)
{
	struct ocsp_index_check check = {check_response, sm};

	if (prev->layer == NULL) {
		if (new_layer(snap, e) != 0)
			return -1;
	} else {
		snap->layer = prev->layer;
		snap->recent = snap->layer->ix;
		atomic_fetch_add(&snap->layer->refs, 1);
	}
	return ocsp_index_load_checked(snap->recent, s, prev->ocsp_seq, &check, e);
}

/* The newest thisUpdate and nextUpdate of the responses snap serves (0, 0: none). */
static void
view_newest(const struct snapshot *snap, int64_t *this_update, int64_t *next_update)
{
	int64_t t = 0, n = 0;

	ocsp_index_newest(snap->view.base, this_update, next_update);
	if (snap->view.recent != NULL)
		ocsp_index_newest(snap->view.recent, &t, &n);
	if (t > *this_update)
		*this_update = t;
	if (n > *next_update)
		*next_update = n;
	if (snap->cache != NULL) { /* bounded: what the lookups and the feed have seen */
		ocsp_cache_newest(snap->cache, &t, &n);
		if (t > *this_update)
			*this_update = t;
		if (n > *next_update)
			*next_update = n;
	}
}

const char *
snapshot_unhealthy(const struct snapshot *snap, int64_t now)
{
	const struct shared_catalog *c = snap->catalog;
	int64_t t, n;

	for (size_t i = 0; i < c->ncrls; i++) {
		if (c->crls[i].this_update > now + SNAPSHOT_CLOCK_SKEW)
			return "a CRL is dated in the future";
	}
	view_newest(snap, &t, &n);
	if (t > now + SNAPSHOT_CLOCK_SKEW)
		return "an OCSP response is dated in the future";
	if (t != 0 && n <= now)
		return "every OCSP response is past its nextUpdate (tryLater only)";
	return NULL;
}

/* Responses dated in the future were loaded, and the store changed since the base: rebuild it. */
static int
future_stale(const struct snapshot *prev, int64_t ocsp_seq, int64_t now)
{
	int64_t t, n;

	if (prev->base_seq == ocsp_seq || now - prev->base_built < SNAPSHOT_FUTURE_RECHECK)
		return 0;
	view_newest(prev, &t, &n);
	return t > now + SNAPSHOT_CLOCK_SKEW;
}

/* An empty base that knows cat's issuers: a partial snapshot's (snapshot.h). */
static struct ocsp_index *
empty_base(const struct shared_catalog *cat, struct err *e)
{
	struct ocsp_index *ix = ocsp_index_new(e);

	for (size_t i = 0; ix != NULL && i < cat->nissuers; i++) {
		if (ocsp_index_add_issuer(ix, cat->issuers[i].id, cat->issuers[i].cert, e) != 0) {
			ocsp_index_free(ix);
			ix = NULL;
		}
	}
	return ix;
}

struct snapshot_base *
snapshot_base_load(struct store *s, const struct shared_catalog *cat, int64_t now,
    const atomic_int *cancel, struct err *e)
{
	struct ocsp_sample sm = {.cat = cat, .cancel = cancel};
	struct snapshot_base *b = calloc(1, sizeof(*b));

	if (b == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	/* The counter first: anything written during the load lands in a later recent layer. */
	if (store_seq(s, STORE_SEQ_OCSP, &b->seq, e) != 0 ||
	    (b->base = shared_index_of(load_base(s, &sm, e), e)) == NULL) {
		free(b);
		return NULL;
	}
	b->built = now;
	b->checked = sm.checked;
	b->bad = sm.bad;
	return b;
}

void
snapshot_base_free(struct snapshot_base *b)
{
	if (b == NULL)
		return;
	base_release(b->base);
	free(b);
}

/*
 * snap serves fresh from now on, with the responses written since it was
 * read.  snap takes a reference of its own: fresh keeps its one until the
 * new snapshot is complete (a failure later in the same reload must not
 * lose a load that took minutes).
 */
static int
take_fresh(struct store *s, struct snapshot *snap, struct snapshot_base *fresh,
    struct ocsp_sample *sm, struct err *e)
{
	struct ocsp_index_check check = {check_response, sm};

	snap->base = fresh->base;
	atomic_fetch_add(&snap->base->refs, 1);
	snap->base_seq = fresh->seq;
	snap->base_built = fresh->built;
	sm->checked += fresh->checked;
	sm->bad += fresh->bad;
	if (new_layer(snap, e) != 0)
		return -1;
	return ocsp_index_load_checked(snap->recent, s, fresh->seq, &check, e);
}

/* The change feed of a bounded snapshot: each response written goes to the cache. */
struct cache_feed {
	struct ocsp_cache *cache;
	struct ocsp_sample *sm;
};

static int
feed_one(void *arg, const struct ocsp_record *r)
{
	struct cache_feed *f = arg;

	/* One whose signature fails is dropped, so an older copy is not served either. */
	ocsp_cache_update(f->cache, r, check_response(f->sm, r) > 0);
	return 0;
}

/*
 * snap's responses when bounded (how->cache): an empty base that knows the
 * issuers (prev's while the catalog is the same), and the responses written
 * since prev told to the cache.
 */
static int
feed_cache(struct store *s, const struct snapshot *prev, struct snapshot *snap,
    struct ocsp_cache *cache, int64_t now, struct ocsp_sample *sm, struct err *e)
{
	struct cache_feed f = {cache, sm};

	snap->partial = 1;
	snap->cache = cache;
	snap->base_seq = snap->ocsp_seq;
	snap->base_built = now;
	if (prev != NULL && prev->catalog == snap->catalog) {
		snap->base = prev->base;
		atomic_fetch_add(&snap->base->refs, 1);
	} else if ((snap->base = shared_index_of(empty_base(snap->catalog, e), e)) == NULL) {
		return -1;
	}
	if (prev != NULL && snap->ocsp_seq < prev->ocsp_seq) {
		/* The store went back (a restore, a promoted standby): what the cache holds,
		 * and the feed's cursor, may be ahead of it.  The feed starts again here. */
		ocsp_cache_flush(cache);
		return 0;
	}
	return prev != NULL ? store_ocsp_each(s, prev->ocsp_seq, feed_one, &f, e) : 0;
}

/*
 * A partial snap whose recent layer grew past the bound while its base
 * loads (23 s at 10M, the changes streaming in): the layer is dropped
 * instead of growing on (its memory).  What it held is then missed, and looked up in
 * the store, which has it or something newer (lookup.h); the new layer
 * holds what was written since prev.  The empty base is made again from
 * snap's catalog, since prev's recent layer may have been the one that
 * knew a newer issuer.
 */
static int
restart_recent(struct store *s, const struct snapshot *prev, struct snapshot *snap,
    struct ocsp_sample *sm, struct err *e)
{
	struct ocsp_index_check check = {check_response, sm};

	if ((snap->base = shared_index_of(empty_base(snap->catalog, e), e)) == NULL ||
	    new_layer(snap, e) != 0)
		return -1;
	return ocsp_index_load_checked(snap->recent, s, prev->ocsp_seq, &check, e);
}

static size_t
recent_max(const struct snapshot_how *how)
{
	return how != NULL && how->recent_max > 0 ? how->recent_max : SNAPSHOT_RECENT_MAX;
}

/*
 * snap's responses: a new base read whole (full), else prev's base shared
 * and the responses written since added to recent.  sm counts the signature
 * checks.  snap->ocsp_seq is read before the load: anything written during it
 * lands in the next snapshot's recent.  how (may be NULL): a base loaded
 * apart to take, or none to load here (a first snapshot is then partial).
 */
static int
load_responses(struct store *s, const struct snapshot *prev, struct snapshot *snap, int full,
    int64_t now, struct ocsp_sample *sm, const struct snapshot_how *how, struct err *e)
{
	int defer = how != NULL && how->defer_base;

	if (how != NULL && how->cache != NULL)
		return feed_cache(s, prev, snap, how->cache, now, sm, e);
	if (how != NULL && how->fresh != NULL)
		return take_fresh(s, snap, how->fresh, sm, e);
	if (full && !defer) {
		snap->base = calloc(1, sizeof(*snap->base));
		if (snap->base == NULL)
			return err_set(e, "out of memory");
		atomic_init(&snap->base->refs, 1);
		snap->base->ix = load_base(s, sm, e);
		if (snap->base->ix == NULL)
			return -1;
		snap->base_seq = snap->ocsp_seq;
		snap->base_built = now;
		return 0;
	}
	if (prev == NULL) {
		/* Nothing loaded: every miss goes to the store until a base arrives. */
		snap->partial = 1;
		snap->base_seq = snap->ocsp_seq;
		snap->base = shared_index_of(empty_base(snap->catalog, e), e);
		return snap->base != NULL ? 0 : -1;
	}
	snap->base_seq = prev->base_seq;
	snap->base_built = prev->base_built;
	snap->partial = prev->partial;
	if (prev->partial && prev->recent != NULL &&
	    ocsp_index_count(prev->recent) > recent_max(how))
		return restart_recent(s, prev, snap, sm, e);
	snap->base = prev->base;
	atomic_fetch_add(&snap->base->refs, 1);
	return extend_recent(s, prev, snap, sm, e);
}

/* The signer's word on each issuer's key and its refusals (snapshot.h), for /metrics. */
static int
load_key_states(struct store *s, struct snapshot *snap, struct err *e)
{
	const struct shared_catalog *cat = snap->catalog;
	int64_t seq;

	snap->key_ok = calloc(cat->nissuers ? cat->nissuers : 1, sizeof(*snap->key_ok));
	if (snap->key_ok == NULL)
		return err_set(e, "out of memory");
	for (size_t i = 0; i < cat->nissuers; i++) {
		if (store_key_state_get(s, cat->issuers[i].id, &snap->key_ok[i], &seq, e) != 0)
			return -1;
	}
	return store_refusals_get(s, snap->refusals, e);
}

struct snapshot *
snapshot_update(struct store *s, struct snapshot *prev, const struct conf *c, const char *dir,
    int64_t now, int *changed, struct err *e)
{
	return snapshot_update_ex(s, prev, c, dir, now, NULL, changed, e);
}

/* Whether prev's base is due to be read again (snapshot.h's top). */
static int
base_due(const struct snapshot *prev, int64_t issuer_seq, int64_t now, int stale,
    const struct snapshot_how *how)
{
	return prev == NULL || prev->partial || prev->issuer_seq != issuer_seq ||
	       now - prev->base_built >= SNAPSHOT_BASE_MAX_AGE ||
	       (prev->recent != NULL && ocsp_index_count(prev->recent) > recent_max(how)) ||
	       stale;
}

struct snapshot *
snapshot_update_ex(struct store *s, struct snapshot *prev, const struct conf *c,
    const char *dir, int64_t now, struct snapshot_how *how, int *changed, struct err *e)
{
	struct snapshot *snap;
	struct ocsp_sample sm = {0};
	int64_t ocsp_seq, issuer_seq, crl_seq, key_seq;
	int full, stale, any, bounded = how != NULL && how->cache != NULL;
	int defer = bounded || (how != NULL && how->defer_base);
	int force = how != NULL && how->force, fresh = how != NULL && how->fresh != NULL;

	*changed = 0;
	if (store_seq(s, STORE_SEQ_OCSP, &ocsp_seq, e) != 0 ||
	    store_seq(s, STORE_SEQ_ISSUER, &issuer_seq, e) != 0 ||
	    store_seq(s, STORE_SEQ_CRL, &crl_seq, e) != 0 ||
	    store_key_state_get(s, 0, &any, &key_seq, e) != 0)
		return NULL;
	stale = prev != NULL && future_stale(prev, ocsp_seq, now);
	full = base_due(prev, issuer_seq, now, stale, how);
	if (how != NULL) /* a fresh base is as new as a base gets: the next is due from it */
		how->want_base = defer && !bounded && !fresh && (full || force);
	if (prev != NULL && !force && !fresh && prev->ocsp_seq == ocsp_seq &&
	    prev->issuer_seq == issuer_seq && prev->crl_seq == crl_seq && prev->key_seq == key_seq &&
	    (defer || (now - prev->base_built < SNAPSHOT_BASE_MAX_AGE && !stale)) &&
	    memcmp(&prev->conf, c, sizeof(*c)) == 0)
		return prev;
	snap = calloc(1, sizeof(*snap));
	if (snap == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	snap->conf = *c;
	snap->ocsp_seq = ocsp_seq;
	snap->issuer_seq = issuer_seq;
	snap->crl_seq = crl_seq;
	snap->key_seq = key_seq;
	if (prev != NULL && !force && prev->issuer_seq == issuer_seq && prev->crl_seq == crl_seq) {
		snap->catalog = prev->catalog;
		atomic_fetch_add(&snap->catalog->refs, 1);
	} else if ((snap->catalog = catalog_load(s, prev != NULL ? prev->catalog : NULL, e)) ==
		   NULL) {
		goto fail;
	} else {
		snap->crl_bad_total = snap->catalog->crl_bad;
	}
	sm.cat = snap->catalog;
	if ((snap->about = about_build(&snap->conf, snap->catalog, dir, now, e)) == NULL)
		goto fail;
	if (load_key_states(s, snap, e) != 0 ||
	    load_responses(s, prev, snap, full, now, &sm, how, e) != 0)
		goto fail;
	if (prev != NULL) {
		snap->crl_bad_total += prev->crl_bad_total;
		snap->ocsp_checked_total = prev->ocsp_checked_total;
		snap->ocsp_bad_total = prev->ocsp_bad_total;
	}
	snap->ocsp_checked_total += sm.checked;
	snap->ocsp_bad_total += sm.bad;
	snap->view.base = snap->base->ix;
	snap->view.recent = snap->recent;
	*changed = 1;
	if (how != NULL) {
		snapshot_base_free(how->fresh);
		how->fresh = NULL;
	}
	return snap;
fail:
	snapshot_free(snap); /* how->fresh, if any, is kept for the caller's next try */
	return NULL;
}
