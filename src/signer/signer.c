/*
 * signer.c - see signer.h.
 */
#include "signer/signer_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "ocsp/sign.h"
#include "pki/issuer.h"
#include "signer/key.h"
#include "util/hash.h"

/* One certificate's responses: SHA-1 and (optionally) SHA-256. */
struct job {
	const struct cert_record *cert;
	const struct signer_issuer *issuer;
	int64_t due_at; /* the batch's, or SIGNER_NEVER */
	unsigned char *der[2]; /* in the batch's slab, or allocated by OpenSSL if owned */
	size_t len[2];
	int owned[2];
	int failed;
	char why[ERR_MSG_MAX];
};

/* Response k of a job is signed over a CertID hashed with hashes[k]. */
static const enum ocsp_hash hashes[] = {OCSP_HASH_SHA1, OCSP_HASH_SHA256};

static void batch_discard(struct signer *sg);

void
signer_times(const struct conf *c, const uint8_t *serial, size_t len, int64_t now,
    int64_t *this_update, int64_t *next_update, int64_t *due_at)
{
	int64_t v = c->ocsp_validity, r = c->ocsp_refresh, max_jitter = v / 10;
	uint64_t h = hash_fnv1a(HASH_FNV_OFFSET, serial, len);
	int64_t jitter = 0;

	if (max_jitter > v - CONF_OCSP_VALIDITY_MIN)
		max_jitter = v - CONF_OCSP_VALIDITY_MIN;
	if (max_jitter > r / 2)
		max_jitter = r / 2;
	if (max_jitter >= 60)
		jitter = (int64_t)(h % (uint64_t)(max_jitter / 60)) * 60;
	*this_update = now - now % 60;
	*next_update = *this_update + v - jitter;
	*due_at = *this_update + r - jitter;
}

static void
issuer_clear(struct signer_issuer *is)
{
	X509_free(is->cert);
	X509_free(is->responder);
	EVP_PKEY_free(is->key);
	EVP_PKEY_free(is->ocsp_key);
	ocsp_template_clear(&is->tmpl);
	free(is->crl_dirty);
	free(is->crl_new);
	free(is->seen);
	free(is->units);
	memset(is, 0, sizeof(*is));
}

static int
issuer_load(struct signer_issuer *is, const struct issuer *src,
    const struct store_issuer_keys *k, const struct conf *c, const char *dir, struct err *e)
{
	const unsigned char *p;

	is->id = src->rec.id;
	snprintf(is->name, sizeof(is->name), "%s", src->rec.name);
	is->cert = X509_dup(src->cert);
	if (is->cert == NULL)
		return err_ossl(e, "issuer %s", is->name);
	is->crl_shards = src->rec.crl_shards;
	is->key = key_load(k->key_ref, k->key_pass_ref, c, dir, e);
	if (is->key == NULL || key_check_pair(is->key, is->cert, e) != 0)
		return err_prefix(e, "issuer %s", is->name);
	if (src->rec.ocsp_cert_der != NULL) {
		p = src->rec.ocsp_cert_der;
		is->responder = d2i_X509(NULL, &p, (long)src->rec.ocsp_cert_len);
		if (is->responder == NULL)
			return err_ossl(e, "issuer %s: the OCSP responder certificate", is->name);
		is->ocsp_key = key_load(k->ocsp_key_ref, NULL, c, dir, e);
		if (is->ocsp_key == NULL || key_check_pair(is->ocsp_key, is->responder, e) != 0)
			return err_prefix(e, "issuer %s: the OCSP responder", is->name);
	}
	is->sg.issuer = is->cert;
	is->sg.responder = is->responder != NULL ? is->responder : is->cert;
	is->sg.key = is->ocsp_key != NULL ? is->ocsp_key : is->key;
	is->sg.delegated = is->responder != NULL;
	if (ocsp_template_init(&is->tmpl, &is->sg, e) == 0) {
		is->tmpl_ok = 1;
	} else { /* slower, never wrong: see template.h */
		ocsp_template_clear(&is->tmpl);
		memcpy(is->tmpl_why, e->msg, sizeof(is->tmpl_why));
	}
	return 0;
}

static void
issuers_clear(struct signer *sg)
{
	size_t nctx = (size_t)(sg->threads + 1) * sg->nissuers;

	for (size_t i = 0; sg->sigctx != NULL && i < nctx; i++)
		sigctx_clear(&sg->sigctx[i]); /* also one with only mctx, set for ocsp_sign() */
	free(sg->sigctx);
	sg->sigctx = NULL;
	for (size_t i = 0; i < sg->nissuers; i++)
		issuer_clear(&sg->issuers[i]);
	free(sg->issuers);
	sg->issuers = NULL;
	sg->nissuers = 0;
}

/* Size the batches' slabs for the loaded issuers' templates (no batch is in flight). */
static int
slabs_alloc(struct signer *sg)
{
	size_t slot = 0;

	for (size_t i = 0; i < sg->nissuers; i++) {
		if (sg->issuers[i].tmpl_ok && ocsp_template_max(&sg->issuers[i].tmpl) > slot)
			slot = ocsp_template_max(&sg->issuers[i].tmpl);
	}
	for (int b = 0; b < 2; b++) {
		free(sg->batch[b].slab);
		sg->batch[b].slab = slot > 0 ? malloc(2 * SIGNER_BATCH * slot) : NULL;
		if (slot > 0 && sg->batch[b].slab == NULL) {
			sg->slot = 0;
			return -1;
		}
	}
	sg->slot = slot;
	return 0;
}

/*
 * Resume the scan of changed certificates where the store's mark says it
 * got, if the mark was made with the issuers just loaded; else start over
 * (certificates skipped for an issuer that had no key may have one now).
 * With units held, the scan starts instead from the lowest of their marks
 * made with these issuers (signer_lease_scan_start()): the single mark is
 * not kept by several signers, nor by one with an issuer left out, and an
 * issuer retried every minute would read the whole scan again each time.
 */
static int
resume_changed(struct signer *sg, struct err *e)
{
	struct store_signed_upto u;

	if (store_signed_upto_get(sg->store, &u, e) != 0)
		return -1;
	sg->seen = u.issuer_seq == sg->issuer_seq ? u.at : (struct store_cursor){{0}};
	sg->lease.resume = 1; /* or from the marks of the units held, once looked at (lease.c) */
	return 0;
}

/*
 * Whether the retired issuer src has nothing left to sign: its last
 * certificate has expired and every one of its CRLs was signed after that.
 * Sets is's retirement fields either way.
 */
static int
retired_done(struct signer *sg, struct signer_issuer *is, const struct issuer *src,
    int64_t now, int *done, struct err *e)
{
	struct store_issuer_certs k;
	struct crl_record r;
	int found;

	*done = 0;
	is->retired_at = src->rec.retired_at;
	if (is->retired_at == 0)
		return 0;
	if (store_issuer_certs(sg->store, src->rec.id, 1, &k, e) != 0)
		return -1;
	is->last_not_after = k.last_not_after;
	if (k.last_not_after >= now)
		return 0;
	for (int shard = sg->conf->crl_full ? 0 : 1; shard <= src->rec.crl_shards; shard++) {
		found = store_crl_get(sg->store, src->rec.id, shard, &r, e);
		if (found < 0)
			return -1;
		if (!found || r.this_update <= k.last_not_after)
			return 0;
	}
	*done = 1;
	return 0;
}

/*
 * Note that name is left out for why, keeping "reported" if it was left out
 * before: one line when an issuer stops, one when it resumes, however often
 * the reason changes meanwhile (a token pulled out fails first to sign, then
 * to load).
 */
static int
down_add(struct signer_down **v, size_t *n, const struct signer_down *old, size_t nold,
    int64_t id, const char *name, const char *why)
{
	struct signer_down *nv = realloc(*v, (*n + 1) * sizeof(**v)), *d;

	if (nv == NULL)
		return -1;
	*v = nv;
	d = &nv[(*n)++];
	memset(d, 0, sizeof(*d));
	d->id = id;
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->why, sizeof(d->why), "%s", why);
	for (size_t i = 0; i < nold; i++) {
		if (strcmp(old[i].name, name) == 0 && old[i].why[0] != '\0')
			d->reported = old[i].reported;
		if (strcmp(old[i].name, name) == 0) { /* what the looks found, kept (lease.c) */
			d->served = old[i].served;
			d->was_served = old[i].was_served;
			d->unserved_since = old[i].unserved_since;
			d->unserved = old[i].unserved;
		}
	}
	return 0;
}

/* Whether name was left out before (old) for the same reason. */
static int
down_was(const struct signer_down *old, size_t nold, const char *name, const char *why)
{
	for (size_t i = 0; i < nold; i++) {
		if (strcmp(old[i].name, name) == 0 && strcmp(old[i].why, why) == 0)
			return 1;
	}
	return 0;
}

/*
 * An issuer marked as having a key whose reference is not in private/keys.db
 * yet: `issuer add` writes both files in one transaction, but in WAL mode
 * SQLite commits attached databases one at a time, so a signer reloading at
 * that moment sees the issuer before its key.  Left out quietly (why "", told
 * as told) and tried again at the next retry; only a second miss in a row is
 * said.  1 when the issuer was so left out.
 */
static int
keys_pending(struct signer *sg, const struct issuer *src, const struct store_issuer_keys *k,
    const struct signer_down *old, size_t nold, int *oom)
{
	int again = 0;

	*oom = 0;
	if (k->key_ref[0] != '\0')
		return 0;
	for (size_t i = 0; i < nold; i++)
		again |= strcmp(old[i].name, src->rec.name) == 0 && old[i].why[0] == '\0';
	if (down_add(&sg->down, &sg->ndown, old, nold, src->rec.id, src->rec.name,
		again ? "it has no key reference in private/keys.db" : "") != 0) {
		*oom = 1;
		return 1;
	}
	if (!again)
		sg->down[sg->ndown - 1].reported = 1; /* nothing to say yet */
	return 1;
}

/* The issuers left out before (old) and told of, that are left out no more: "up" news. */
static int
down_recovered(struct signer *sg, const struct signer_down *old, size_t nold)
{
	for (size_t i = 0; i < nold; i++) {
		int still = 0;
		for (size_t j = 0; j < sg->ndown; j++)
			still |= strcmp(sg->down[j].name, old[i].name) == 0;
		if (still || !old[i].reported || old[i].why[0] == '\0')
			continue;
		void *nu = realloc(sg->up, (sg->nup + 1) * sizeof(*sg->up));
		if (nu == NULL)
			return -1;
		sg->up = nu;
		snprintf(sg->up[sg->nup++], sizeof(*sg->up), "%s", old[i].name);
	}
	return 0;
}

/*
 * Load each issuer of set that has something to sign into sg->issuers;
 * those whose keys fail go to sg->down instead.
 */
static int
issuers_fill(struct signer *sg, const struct issuer_set *set, const struct signer_down *old,
    size_t nold, struct err *e)
{
	int64_t now = (int64_t)time(NULL);
	struct store_issuer_keys keys;
	struct err why;
	int done, rc, oom;

	for (size_t i = 0; i < set->n; i++) {
		struct signer_issuer *is = &sg->issuers[sg->nissuers];
		if (!set->v[i].rec.has_key)
			continue; /* published only: nothing to sign */
		if (retired_done(sg, is, &set->v[i], now, &done, e) != 0)
			return -1;
		if (done) {
			memset(is, 0, sizeof(*is));
			continue; /* retired and finished: its key may be gone */
		}
		/*
		 * Names and shard counts from the store become file names under
		 * public/: checked again here, whoever wrote them (issuer add checks
		 * them once; a hand-edited store is not held to it).
		 */
		if (issuer_store_check(&set->v[i].rec, &why) != 0) {
			if (!down_was(old, nold, set->v[i].rec.name, why.msg))
				sg->refusals_unsaved[STORE_REFUSED_BAD_ISSUER]++; /* once, as told */
			if (down_add(&sg->down, &sg->ndown, old, nold, set->v[i].rec.id,
				set->v[i].rec.name, why.msg))
				return err_set(e, "out of memory");
			continue;
		}
		/* The key references, from the key store (store.h): only here. */
		if (store_issuer_keys(sg->store, set->v[i].rec.id, &keys, e) < 0)
			return -1;
		if (keys_pending(sg, &set->v[i], &keys, old, nold, &oom)) {
			OPENSSL_cleanse(&keys, sizeof(keys));
			if (oom)
				return err_set(e, "out of memory");
			continue;
		}
		/* Within what the sandbox lets it read (reads.c), then loaded. */
		rc = signer_reads_check(sg, &keys, &why);
		if (rc == 0)
			rc = issuer_load(is, &set->v[i], &keys, sg->conf, sg->dir, &why);
		OPENSSL_cleanse(&keys, sizeof(keys));
		if (rc != 0) {
			issuer_clear(is);
			ERR_clear_error();
			if (down_add(&sg->down, &sg->ndown, old, nold, set->v[i].rec.id,
				set->v[i].rec.name, why.msg))
				return err_set(e, "out of memory");
			continue;
		}
		sg->nissuers++;
	}
	return 0;
}

/*
 * The loaded issuers' responses held while their keys failed to load (by
 * this process or one before it) are due again: re-signed in this pass.
 */
static int
issuers_release(struct signer *sg, struct err *e)
{
	int64_t n;

	for (size_t i = 0; i < sg->nissuers; i++) {
		if (store_ocsp_release(sg->store, sg->issuers[i].id, &n, e) != 0)
			return -1;
	}
	return 0;
}

/*
 * (Re)load every issuer that has a key.  After a reload the scan for changed
 * certificates starts over, so that certificates of an issuer added while the
 * signer ran are not skipped (the scan only returns unsigned ones), unless
 * the store's mark was made with these same issuers (resume_changed()).
 */
static int
issuers_load(struct signer *sg, struct err *e)
{
	struct issuer_set set = {0};
	struct signer_down *old = sg->down;
	size_t nold = sg->ndown;
	int64_t seq;
	int rc;

	issuers_clear(sg);
	sg->issuer_seq = -1; /* until loaded: a failed load is tried again on the next pass */
	sg->down = NULL;
	sg->ndown = 0;
	if (store_seq(sg->store, STORE_SEQ_ISSUER, &seq, e) != 0 ||
	    issuer_set_load(sg->store, &set, e) != 0) {
		free(old);
		return -1;
	}
	sg->issuers = calloc(set.n ? set.n : 1, sizeof(*sg->issuers));
	rc = sg->issuers == NULL ? err_set(e, "out of memory")
				 : issuers_fill(sg, &set, old, nold, e);
	if (rc == 0 && down_recovered(sg, old, nold) != 0)
		rc = err_set(e, "out of memory");
	free(old);
	issuer_set_free(&set);
	if (rc != 0) {
		issuers_clear(sg);
		return -1;
	}
	sg->keystate_dirty = 1;
	sg->down_tries = sg->ndown > 0 ? sg->down_tries + 1 : 0;
	sg->down_retry_at = (int64_t)time(NULL) + signer_retry_delay(sg->down_tries);
	sg->sigctx = calloc((size_t)(sg->threads + 1) * (sg->nissuers ? sg->nissuers : 1),
	    sizeof(*sg->sigctx));
	if (sg->sigctx == NULL || slabs_alloc(sg) != 0) {
		issuers_clear(sg);
		return err_set(e, "out of memory");
	}
	if (issuers_release(sg, e) != 0) {
		issuers_clear(sg);
		return -1;
	}
	sg->issuer_seq = seq;
	sg->crl_seen_seq = 0;
	sg->lease.look = 1; /* the units of the issuers loaded: taken (again) at once */
	return resume_changed(sg, e);
}

void
signer_report(struct signer *sg, const struct signer_events *ev)
{
	char why[ERR_MSG_MAX + 80];

	for (size_t i = 0; i < sg->ndown; i++) {
		const struct signer_down *d = &sg->down[i];
		/* Another signer signed it, and none alive does now (lease.c): said, not silent. */
		snprintf(why, sizeof(why), "%s%s", d->why,
		    d->unserved ? " (and no signer alive signs it now: its responses and CRLs wait)"
				: "");
		if (!d->reported && ev->on_issuer != NULL)
			ev->on_issuer(ev->arg, d->name, why);
		sg->down[i].reported = 1;
	}
	signer_hooks_report(sg, ev);
	for (size_t i = 0; i < sg->nrefusals; i++) {
		if (ev->on_refused != NULL)
			ev->on_refused(ev->arg, sg->refusals[i].issuer, sg->refusals[i].serial,
			    sg->refusals[i].why, i + 1 == sg->nrefusals ? sg->refusals_dropped : 0);
	}
	sg->nrefusals = sg->refusals_dropped = 0;
	for (size_t i = 0; i < sg->nup; i++) {
		if (ev->on_issuer != NULL)
			ev->on_issuer(ev->arg, sg->up[i], NULL);
	}
	sg->nup = 0;
}

struct signer *
signer_new(struct store *s, const struct conf *c, const char *dir, int threads, struct err *e)
{
	struct signer *sg = calloc(1, sizeof(*sg));

	if (sg == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	sg->store = s;
	sg->conf = c;
	sg->dir = dir;
	signer_lease_init(sg);
	sg->threads = threads < 1 ? 1 : threads > SIGNER_THREADS_MAX ? SIGNER_THREADS_MAX : threads;
	sg->records = calloc(2 * SIGNER_BATCH, sizeof(*sg->records));
	for (int i = 0; i < 2; i++) {
		sg->batch[i].work = calloc(SIGNER_BATCH, sizeof(*sg->batch[i].work));
		sg->batch[i].jobs = calloc(SIGNER_BATCH, sizeof(*sg->batch[i].jobs));
		if (sg->records == NULL || sg->batch[i].work == NULL || sg->batch[i].jobs == NULL) {
			err_set(e, "out of memory");
			signer_free(sg);
			return NULL;
		}
	}
	if (store_set_intent(s, STORE_INTENT_SIGN, e) != 0 || signer_revoked_load(sg, e) != 0 ||
	    issuers_load(sg, e) != 0) {
		signer_free(sg);
		return NULL;
	}
	return sg;
}

int64_t
signer_now(const struct signer *sg)
{
	if (sg->clock != NULL)
		return sg->clock(sg->clock_arg);
	return sg->pass_now + ((int64_t)time(NULL) - sg->pass_wall);
}

void
signer_set_clock(struct signer *sg, int64_t (*clock)(void *arg), void *arg)
{
	sg->clock = clock;
	sg->clock_arg = arg;
}

void
signer_set_crl_read_rate(struct signer *sg, int64_t entries_per_sec)
{
	sg->lease.read_rate = entries_per_sec > 0 ? entries_per_sec : 1;
}

void
signer_set_sign_delay_file(struct signer *sg, const char *path)
{
	sg->delay_file = path;
}

#define SIGNER_SIGN_DELAY_MAX 1000000 /* microseconds: a test's delay per signature, at most */

/* The test's delay for the next batch (signer_set_sign_delay_file), or 0. */
static long
sign_delay(const struct signer *sg)
{
	char buf[32] = "";
	FILE *f;
	long us;

	if (sg->delay_file == NULL || (f = fopen(sg->delay_file, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	us = strtol(buf, NULL, 10);
	return us > 0 && us < SIGNER_SIGN_DELAY_MAX ? us : 0;
}

void
signer_free(struct signer *sg)
{
	if (sg == NULL)
		return;
	batch_discard(sg);
	signer_lease_release(sg); /* a clean exit: another signer may take them at once */
	issuers_clear(sg);
	free(sg->down);
	free(sg->up);
	for (int i = 0; i < 2; i++) {
		free(sg->batch[i].work);
		free(sg->batch[i].jobs);
		free(sg->batch[i].slab);
	}
	free(sg->records);
	signer_hooks_free(sg);
	signer_reads_free(sg);
	signer_revset_free(&sg->revoked);
	signer_revset_free(&sg->refused);
	free(sg);
}

struct signer_issuer *
signer_issuer_by_id(const struct signer *sg, int64_t id)
{
	for (size_t i = 0; i < sg->nissuers; i++) {
		if (sg->issuers[i].id == id)
			return &sg->issuers[i];
	}
	return NULL;
}

int
signer_key_failed(struct signer *sg, struct signer_issuer *is, const char *why,
    struct signer_stats *st)
{
	char msg[ERR_MSG_MAX];

	st->key_failures++;
	if (is->broken)
		return 0; /* told with its first failure */
	is->broken = 1;
	sg->keystate_dirty = 1;
	snprintf(msg, sizeof(msg), "its key stopped signing: %s", why);
	if (down_add(&sg->down, &sg->ndown, NULL, 0, is->id, is->name, msg) != 0)
		return -1;
	sg->down_tries++;
	sg->down_retry_at = (int64_t)time(NULL) + signer_retry_delay(sg->down_tries);
	/*
	 * With other signers alive, its units go back at the next look (lease.c)
	 * for one that can sign them; a peer takes them at its first or second
	 * look, within a lease.  Retried sooner, the key would load again here
	 * and this signer take them back first, to fail again.
	 */
	if (sg->lease.live > 1 && sg->down_retry_at < signer_now(sg) + sg->conf->signer_lease + 1)
		sg->down_retry_at = signer_now(sg) + sg->conf->signer_lease + 1; /* the pass's clock */
	return 0;
}

/* The calling thread's signing context for j's issuer, set up on first use. */
static struct sigctx *
slot_ctx(const struct signer *sg, int slot, const struct job *j, struct err *e)
{
	size_t i = (size_t)(j->issuer - sg->issuers);
	struct sigctx *sc = &sg->sigctx[(size_t)slot * sg->nissuers + i];

	if (sc->mctx != NULL)
		return sc;
	if (j->issuer->tmpl_ok)
		return sigctx_init(sc, j->issuer->sg.key, e) == 0 ? sc : NULL;
	if ((sc->mctx = EVP_MD_CTX_new()) == NULL) /* ocsp_sign() needs only this */
		err_set(e, "out of memory");
	return sc->mctx != NULL ? sc : NULL;
}

void
signer_use_templates(struct signer *sg, int on)
{
	sg->no_templates = !on;
}

/* Response k of job j: into its slot of b's slab, or OpenSSL's allocation (owned). */
static int
sign_one(const struct signer *sg, const struct batch *b, struct job *j, struct sigctx *sc,
    int k, const struct ocsp_status *st, struct err *e)
{
	const struct signer_issuer *is = j->issuer;

	if (!is->tmpl_ok || sg->no_templates) {
		j->owned[k] = 1;
		return ocsp_sign(&is->sg, sc->mctx, hashes[k], st, &j->der[k], &j->len[k], e);
	}
	j->der[k] = b->slab + (2 * (size_t)(j - b->jobs) + (size_t)k) * sg->slot;
	return ocsp_template_sign(&is->tmpl, sc, hashes[k], st, j->der[k], &j->len[k], e);
}

static void
sign_job(const struct signer *sg, int slot, const struct batch *b, struct job *j)
{
	struct ocsp_status st = {
	    .serial = j->cert->serial,
	    .serial_len = j->cert->serial_len,
	    .status = j->cert->status,
	    .revoked_at = j->cert->revoked_at,
	    .reason = j->cert->reason,
	    .this_update = b->this_update,
	    .next_update = b->next_update,
	};
	struct sigctx *sc;
	struct err e;

	if ((sc = slot_ctx(sg, slot, j, &e)) == NULL)
		goto fail;
	for (int k = 0; k < 1 + (sg->conf->ocsp_sha256 != 0); k++) {
		if (sign_one(sg, b, j, sc, k, &st, &e) != 0)
			goto fail;
		if (sg->delay_us > 0) /* tests: a slow HSM */
			nanosleep(&(struct timespec){sg->delay_us / 1000000,
			    sg->delay_us % 1000000 * 1000}, NULL);
	}
	return;
fail:
	j->failed = 1;
	memcpy(j->why, e.msg, sizeof(j->why));
}

/*
 * The signing threads of one batch.  Workers take jobs from a shared counter
 * (costs differ: RSA vs ECDSA, so no fixed split); each has its own slot of
 * signing contexts.  The main thread joins in as slot sg->threads once it
 * has written the previous batch.
 */
struct pool {
	const struct signer *sg;
	struct batch *b;
	atomic_size_t next;
	pthread_t tid[SIGNER_THREADS_MAX];
	struct pool_worker {
		struct pool *pool;
		int slot;
	} w[SIGNER_THREADS_MAX + 1];
	int started;
};

static void *
pool_work(void *arg)
{
	struct pool_worker *w = arg;
	struct pool *p = w->pool;

	for (size_t i; (i = atomic_fetch_add(&p->next, 1)) < p->b->n;)
		sign_job(p->sg, w->slot, p->b, &p->b->jobs[i]);
	ERR_clear_error(); /* the error queue is per thread; leave it clean */
	return NULL;
}

/* Start n workers on b; pool_finish() waits for them. */
static void
pool_start(struct pool *p, const struct signer *sg, struct batch *b, int n)
{
	p->sg = sg;
	p->b = b;
	atomic_init(&p->next, 0);
	p->started = 0;
	for (int t = 0; t <= sg->threads; t++)
		p->w[t] = (struct pool_worker){p, t};
	for (int t = 0; t < n && (size_t)t < b->n; t++) {
		if (pthread_create(&p->tid[t], NULL, pool_work, &p->w[t]) != 0)
			break; /* the main thread signs what the others do not */
		p->started++;
	}
}

#define SIGNER_KEEP_EVERY 64 /* signatures of the main thread between two looks at the clock */

/*
 * The main thread signs too; a batch that runs long (a slow HSM: 4096
 * signatures may outlast a lease) renews the leases as it goes (lease.c).
 */
static void
pool_finish(struct pool *p, struct signer *sg)
{
	struct err e;

	for (size_t i; (i = atomic_fetch_add(&p->next, 1)) < p->b->n;) {
		sign_job(sg, sg->threads, p->b, &p->b->jobs[i]);
		(void)signer_lease_keep(sg, SIGNER_KEEP_EVERY, &e); /* failed: the fence tells */
	}
	ERR_clear_error();
	for (int t = 0; t < p->started; t++)
		pthread_join(p->tid[t], NULL);
}

static void
batch_free_responses(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct job *j = &b->jobs[i];
		for (int k = 0; k < 2; k++) {
			if (j->owned[k])
				OPENSSL_free(j->der[k]);
			j->der[k] = NULL;
			j->owned[k] = 0;
		}
	}
	b->n = 0;
}

/* Forget a signed batch not yet written (after an error, or when freeing the signer). */
static void
batch_discard(struct signer *sg)
{
	if (sg->unsaved != NULL)
		batch_free_responses(sg->unsaved);
	sg->unsaved = NULL;
}

/*
 * Write a signed batch, then free its responses: one store_ocsp_put() of all
 * of them, one transaction (the store writes many rows per statement far
 * cheaper than one).
 */
static int
batch_write(struct signer *sg, struct batch *b, struct signer_stats *st, struct err *e)
{
	size_t n = 0, slow = 0, failed = 0, lost = 0, signed_n = 0;
	int64_t now = signer_now(sg);
	int rc = -1;

	/* Renewed in a long pass; fenced: only the units still held are written (lease.c). */
	if (signer_lease_tick(sg, now, e) != 0 || store_begin(sg->store, e) != 0)
		goto out;
	if (signer_lease_fence(sg, e) != 0)
		goto rollback;
	for (size_t i = 0; i < b->n; i++) {
		const struct job *j = &b->jobs[i];
		for (int k = 0; k < 2 && !j->failed; k++)
			signed_n += j->der[k] != NULL; /* key operations, written or not */
		if (!signer_unit_held(j->issuer, j->cert->shard)) {
			lost++; /* taken by another signer meanwhile: its work now */
			continue;
		}
		if (j->failed) { /* nothing of it is written: it stays due, or changed */
			if (signer_key_failed(sg, signer_issuer_by_id(sg, j->issuer->id), j->why,
				st) != 0) {
				err_set(e, "out of memory");
				goto rollback;
			}
			failed++;
			continue;
		}
		/* The evidence before the signature: recorded as signed revoked first. */
		if (signer_revoked_record(sg, j->cert, e) != 0)
			goto rollback;
		for (int k = 0; k < 2 && j->der[k] != NULL; k++) {
			sg->records[n++] = (struct ocsp_record){.cert_id = j->cert->id,
			    .issuer_id = j->cert->issuer_id, .hash = hashes[k], .der = j->der[k],
			    .der_len = j->len[k], .this_update = b->this_update,
			    .next_update = b->next_update, .due_at = j->due_at,
			    .cert_seq = j->cert->change_seq};
			slow += !j->issuer->tmpl_ok || sg->no_templates;
		}
	}
	if (store_ocsp_put(sg->store, sg->records, n, e) != 0) {
		err_prefix(e, "writing %zu OCSP responses", n);
		goto rollback;
	}
	if (store_commit(sg->store, e) != 0)
		goto out;
	st->signatures += signed_n;
	st->certs += b->n - failed - lost;
	st->responses += n;
	st->slow += slow;
	rc = 0;
	goto out;
rollback:
	store_rollback(sg->store, NULL);
out:
	batch_free_responses(b);
	return rc;
}

/* Write what is signed and not yet written. */
static int
batch_flush(struct signer *sg, struct signer_stats *st, struct err *e)
{
	struct batch *b = sg->unsaved;

	sg->unsaved = NULL;
	return b != NULL ? batch_write(sg, b, st, e) : 0;
}

/*
 * The jobs for the n certificates in b's work, with one set of times for the
 * whole batch, its jitter keyed on the first serial: the batch's rows then
 * sit together in the due_at index and are written in order (per-certificate
 * jitter scattered every batch over the whole index: 10 us per row instead
 * of 6 at 1M responses), and they come due, and are re-signed, together.
 * Batches of up to SIGNER_BATCH still spread over the jitter window.
 */
static void
batch_prepare(struct signer *sg, struct batch *b, size_t n, int64_t now,
    struct signer_stats *st)
{
	int why;

	signer_times(sg->conf, b->work[0].serial, b->work[0].serial_len, now, &b->this_update,
	    &b->next_update, &b->due_at);
	b->n = 0;
	for (size_t i = 0; i < n; i++) {
		const struct cert_record *c = &b->work[i];
		const struct signer_issuer *is = signer_issuer_by_id(sg, c->issuer_id);
		if (is == NULL || is->broken)
			continue; /* an issuer without a working key, or added after we started */
		if (!signer_unit_held(is, c->shard))
			continue; /* another signer's (lease.c) */
		if ((why = signer_refuse_why(sg, c)) >= 0) {
			signer_refuse(sg, is->name, c, why, st); /* left unsigned: never a good */
			continue;
		}
		struct job *j = &b->jobs[b->n++];
		memset(j, 0, sizeof(*j));
		j->cert = c;
		j->issuer = is;
		j->due_at = b->due_at > c->not_after ? SIGNER_NEVER : b->due_at; /* outlives it */
	}
}

/*
 * Where a pass's certificates come from, a page of up to SIGNER_BATCH at a
 * time: the changed ones, or those whose responses are due.  read() fills
 * out[] and moves the cursor past what it read.
 */
struct pager {
	int (*read)(struct signer *sg, struct pager *p, int64_t now, struct cert_record *out,
	    size_t *n, struct err *e);
	struct store_cursor changed; /* changed: past the last one read */
	struct store_cursor due;     /* due: past the last response read */
};

/*
 * Sign the n certificates in the current batch's work.  Meanwhile the main
 * thread writes the previous batch and, if p is given, reads the next page
 * into the batch it has just written (*next certificates); then it joins the
 * signers.  Reading ahead keeps both cores signing: read between batches, a
 * page left one core idle for ~6% of `lancre sign --once`.  The current
 * batch is then left unsaved (batch_flush() writes it if no batch follows).
 */
static int
sign_batch(struct signer *sg, size_t n, int64_t now, struct pager *p, size_t *next,
    struct signer_stats *st, struct err *e)
{
	struct batch *b = &sg->batch[sg->cur], *other = &sg->batch[sg->cur ^ 1];
	struct pool *pool = malloc(sizeof(*pool));
	int rc = 0, busy = sg->unsaved != NULL || p != NULL;

	*next = 0;
	if (pool == NULL) {
		batch_discard(sg);
		return err_set(e, "out of memory");
	}
	batch_prepare(sg, b, n, now, st);
	sg->delay_us = sign_delay(sg);
	/* With nothing else to do, the main thread is one of the signers from the start. */
	pool_start(pool, sg, b, busy ? sg->threads : sg->threads - 1);
	rc = batch_flush(sg, st, e); /* the unsaved batch, if any, is the other one */
	if (rc == 0 && p != NULL)
		rc = p->read(sg, p, now, other->work, next, e);
	pool_finish(pool, sg);
	free(pool);
	sg->unsaved = b;
	sg->cur ^= 1;
	if (rc != 0)
		batch_discard(sg);
	return rc;
}

/* Sign every page p reads, reading each while the one before it is signed. */
static int
sign_pages(struct signer *sg, struct pager *p, int64_t now, struct signer_stats *st,
    struct err *e)
{
	size_t n, next;

	if (p->read(sg, p, now, sg->batch[sg->cur].work, &n, e) != 0)
		return -1;
	for (; n > 0; n = next) {
		if (sign_batch(sg, n, now, n == SIGNER_BATCH ? p : NULL, &next, st, e) != 0)
			return -1;
	}
	return 0;
}

static int
read_changed(struct signer *sg, struct pager *p, int64_t now, struct cert_record *out,
    size_t *n, struct err *e)
{
	return store_certs_changed(sg->store, &p->changed, now, out, SIGNER_BATCH, n, e);
}

/*
 * Every page of changed certificates, in (change_seq, id) order.  The
 * signer's own cursor moves only once they are all signed and written: after
 * an error, the next pass reads them again (the query skips those whose
 * responses already reflect their change).  Then the store keeps it, so
 * that a restart resumes there (store_signed_upto_set): only when it moved,
 * so an idle pass writes nothing.
 */
static int
sign_changed(struct signer *sg, int64_t now, struct signer_stats *st, struct err *e)
{
	struct pager p = {.read = read_changed};

	if (sg->lease.held == 0)
		return 0; /* every unit is another signer's (lease.c) */
	signer_lease_scan_start(sg);
	p.changed = sg->seen;
	if (sign_pages(sg, &p, now, st, e) != 0 || batch_flush(sg, st, e) != 0)
		return -1;
	if (store_cursor_same(&p.changed, &sg->seen))
		return 0;
	sg->seen = p.changed;
	return signer_lease_marks(sg, e); /* each unit's, and the single mark if alone */
}

static int
read_due(struct signer *sg, struct pager *p, int64_t now, struct cert_record *out, size_t *n,
    struct err *e)
{
	return store_ocsp_due(sg->store, now, now, &p->due, out, SIGNER_BATCH, n, e);
}

/*
 * Every page of responses due for refresh; then the store is told the
 * refresh is done.  The responses of issuers left out (keys failing) were
 * passed over: they are held first, so that the store moves past them
 * and the next passes do not read them again, nor write, until the key loads
 * (issuers_release()).  Without it, an idle signer with 100k such responses
 * read them all on every pass (docs/BENCHMARKS.md).
 */
static int
sign_due(struct signer *sg, int64_t now, struct signer_stats *st, struct err *e)
{
	struct pager p = {.read = read_due};
	int64_t n;

	if (sg->lease.held == 0)
		return 0;
	if (sign_pages(sg, &p, now, st, e) != 0 || batch_flush(sg, st, e) != 0)
		return -1;
	/*
	 * Another signer alive may have the key this one lacks: held only when none
	 * holds a unit of the issuer; its holder releases them when it looks (lease.c).
	 */
	for (size_t i = 0; i < sg->ndown; i++) {
		if (!sg->down[i].served && store_ocsp_hold(sg->store, sg->down[i].id, now, &n, e) != 0)
			return -1;
	}
	return store_ocsp_refresh_done(sg->store, now, now, e);
}

/* Responses dated in the future (see signer.h): made due, to be signed in this pass. */
static int
clock_check(struct signer *sg, int64_t now, struct signer_stats *st, struct err *e)
{
	int64_t newest, n;

	sg->ahead = 0;
	if (store_ocsp_future_due(sg->store, now + SIGNER_CLOCK_SKEW, &newest, &n, e) != 0)
		return -1;
	if (newest > now + SIGNER_CLOCK_SKEW) {
		sg->ahead = newest - now;
		st->future += n;
	}
	return 0;
}

/*
 * Tell the store which issuers the signer can sign for, and which not
 * (store_key_state_set: the server's lancre_signing_key_available), after
 * a load, a key that stopped signing, or a look at the leases that found
 * another signer working for an issuer left out here, or no longer: such
 * an issuer is not said unavailable (its key is on the other's HSM; each
 * signer would otherwise overwrite the other's state).  The store writes
 * only changes.
 */
static int
keystate_sync(struct signer *sg, struct err *e)
{
	if (!sg->keystate_dirty)
		return 0;
	for (size_t i = 0; i < sg->nissuers; i++) {
		if (!sg->issuers[i].broken &&
		    store_key_state_set(sg->store, sg->issuers[i].id, 1, e) != 0)
			return -1;
	}
	for (size_t i = 0; i < sg->ndown; i++) { /* not an issuer another signer works for */
		if (!sg->down[i].served && store_key_state_set(sg->store, sg->down[i].id, 0, e) != 0)
			return -1;
	}
	sg->keystate_dirty = 0;
	return 0;
}

/* Whether an issuer is left out here that no other signer alive works for. */
static int
down_unserved(const struct signer *sg)
{
	for (size_t i = 0; i < sg->ndown; i++)
		if (!sg->down[i].served)
			return 1;
	return 0;
}

int
signer_pass(struct signer *sg, int64_t now, struct signer_stats *st, struct err *e)
{
	int64_t issuer_seq;

	if (clock_check(sg, now, st, e) != 0 ||
	    store_seq(sg->store, STORE_SEQ_ISSUER, &issuer_seq, e) != 0)
		return -1;
	/* The issuers changed, or keys that failed may load now (those another signs: no need). */
	if ((issuer_seq != sg->issuer_seq || (down_unserved(sg) && now >= sg->down_retry_at)) &&
	    issuers_load(sg, e) != 0)
		return -1;
	sg->pass_now = now;
	sg->pass_wall = (int64_t)time(NULL);
	if (signer_lease_step(sg, now, e) != 0)
		return -1;
	/*
	 * Changed certificates first, written before the due ones are looked
	 * for (a revoked certificate can be both), then the due ones.
	 */
	if (sign_changed(sg, now, st, e) != 0 || sign_due(sg, now, st, e) != 0) {
		batch_discard(sg);
		return -1;
	}
	if (signer_crl_pass(sg, now, st, e) != 0 || keystate_sync(sg, e) != 0 ||
	    signer_refusals_save(sg, e) != 0)
		return -1;
	if (sg->ahead > 0) { /* counted once everything dated in the future is re-signed */
		st->clock_steps++;
		st->clock_behind = sg->ahead;
	}
	return 0;
}

const char *
signer_template_warning(const struct signer *sg, const char **issuer)
{
	for (size_t i = 0; i < sg->nissuers; i++) {
		if (!sg->issuers[i].tmpl_ok) {
			*issuer = sg->issuers[i].name;
			return sg->issuers[i].tmpl_why;
		}
	}
	return NULL;
}

int
signer_purge(struct signer *sg, int64_t now, struct signer_stats *st, struct err *e)
{
	int64_t deleted;

	if (store_ocsp_purge(sg->store, now - SIGNER_EXPIRED_GRACE, &deleted, e) != 0)
		return -1;
	st->purged += deleted;
	return 0;
}

int
signer_step(struct signer *sg, int64_t now, int64_t *last_purge, struct signer_stats *st,
    struct err *e)
{
	if (signer_pass(sg, now, st, e) != 0)
		return -1;
	if (now - *last_purge < SIGNER_PURGE_EVERY)
		return 0;
	if (signer_purge(sg, now, st, e) != 0)
		return -1; /* tried again with the step */
	*last_purge = now;
	return 0;
}

int
signer_retry_delay(int failures)
{
	int secs = 1;

	for (int i = 1; i < failures && secs < SIGNER_RETRY_MAX; i++)
		secs *= 2;
	return secs < SIGNER_RETRY_MAX ? secs : SIGNER_RETRY_MAX;
}

/* Sleep for ms milliseconds, a poll at a time, or until *stop. */
static void
wait_ms(volatile sig_atomic_t *stop, long ms)
{
	for (; ms > 0 && !*stop; ms -= SIGNER_POLL_MS) {
		struct timespec t = {0, (ms < SIGNER_POLL_MS ? ms : SIGNER_POLL_MS) * 1000000L};
		nanosleep(&t, NULL);
	}
}

void
signer_loop(struct signer *sg, volatile sig_atomic_t *stop, const struct signer_events *ev,
    struct signer_stats *st)
{
	struct signer_stats before;
	int64_t last_purge = 0;
	int failures = 0;
	struct err e;

	while (!*stop) {
		before = *st;
		int rc = signer_step(sg, (int64_t)time(NULL), &last_purge, st, &e);
		signer_report(sg, ev);
		if (rc != 0) {
			failures++;
			if (ev->on_error != NULL)
				ev->on_error(ev->arg, &e, signer_retry_delay(failures));
			wait_ms(stop, 1000L * signer_retry_delay(failures));
			continue;
		}
		if (failures > 0 && ev->on_recover != NULL)
			ev->on_recover(ev->arg, failures);
		if (st->clock_steps != before.clock_steps && ev->on_clock_step != NULL)
			ev->on_clock_step(ev->arg, st->clock_behind, st->future - before.future);
		failures = 0;
		if (ev->on_pass != NULL)
			ev->on_pass(ev->arg, &before, st);
		wait_ms(stop, SIGNER_POLL_MS);
	}
}
