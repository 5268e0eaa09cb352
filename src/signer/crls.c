/*
 * crls.c - the signer's CRLs: every issuer's shards 1..N and, unless
 * [crl] full = no, its full CRL (shard 0 in the store), kept fresh.
 *
 * A CRL is re-signed when it has never been signed, when [crl] period has
 * passed since its thisUpdate, or when a revocation touched it and half of
 * [crl] delay has passed since its thisUpdate (so revocations arriving in a
 * burst share one re-signing, and none waits longer than the delay).
 * Revocations are found by change_seq, like the OCSP work.
 *
 * CRL numbers are thisUpdate in nanoseconds, or the largest number stored
 * for the shard (its base or its delta: they share one sequence) + 1 if that
 * is not larger: strictly increasing across restarts, machines whose clocks
 * agree (as Let's Encrypt does), and a clock that steps back.  With several
 * signers, a shard's CRLs are signed only by the signer leasing it (lease.c),
 * and the store refuses a number not above every one stored for the shard,
 * so a stale signer's CRL is never stored; a refused one is signed again
 * at the next pass, numbered from what the store holds.  A CRL dated
 * more than SIGNER_CLOCK_SKEW ahead of the clock is due at once.
 *
 * With [crl] delta = yes, every base carries a Freshest CRL pointer to its
 * delta; revocations go into the delta (entries revoked since the base was
 * built) within the delay, and bases follow the period alone.
 *
 * A revoked certificate stays listed until a CRL has been published after
 * its notAfter: entries are those with notAfter >= the previous CRL's
 * thisUpdate.  Each signed CRL is also written to DIR/public/crl/ (atomic
 * rename) with the issuer's JSON list of shard URLs, and [crl] hook, if set,
 * runs with each file's absolute path (hook.c).  The file is written after
 * the store has accepted its number and before the store commits: if either
 * fails (a full disk) or the signer dies between them, the store does not
 * have the new CRL, still finds the shard due, and the next pass signs and
 * publishes a newer one.  Committed first, a failed publish would
 * have left the file behind the store until the next [crl] period.
 */
#include "signer/signer_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crl/build.h"
#include "crl/list.h"
#include "pki/urls.h"
#include "util/fsutil.h"

static int
mark_dirty(void *arg, int64_t issuer_id, int shard, int64_t seq, int64_t n, struct err *e)
{
	struct signer *sg = arg;
	struct signer_issuer *is = signer_issuer_by_id(sg, issuer_id);

	if (is == NULL)
		return 0;
	if (is->crl_dirty == NULL) {
		is->crl_dirty = calloc((size_t)is->crl_shards + 1, sizeof(*is->crl_dirty));
		if (is->crl_dirty == NULL)
			return err_set(e, "out of memory");
	}
	if (is->crl_new == NULL &&
	    (is->crl_new = calloc((size_t)is->crl_shards + 1, sizeof(*is->crl_new))) == NULL)
		return err_set(e, "out of memory");
	if (shard >= 1 && shard <= is->crl_shards && seq > is->crl_dirty[shard])
		is->crl_dirty[shard] = seq;
	if (seq > is->crl_dirty[0])
		is->crl_dirty[0] = seq;
	/* Counted for the next read's length (lease.c): a mass revocation grows the CRL. */
	if (shard >= 1 && shard <= is->crl_shards)
		is->crl_new[shard] += n;
	is->crl_new[0] += n;
	return 0;
}

static int
add_entry(void *arg, const struct cert_record *c, struct err *e)
{
	return crl_builder_add(arg, c, e);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Where a CRL is published under DIR/public/crl/; delta: the "-delta" file. */
static int
public_path(const struct signer *sg, const struct signer_issuer *is, int shard, int delta,
    char *path, size_t len, struct err *e)
{
	const char *suffix = delta ? "-delta" : "";

	if (shard == 0)
		return fs_path(path, len, e, "%s/public/crl/%s%s.crl", sg->dir, is->name, suffix);
	return fs_path(path, len, e, "%s/public/crl/%s/%d%s.crl", sg->dir, is->name, shard,
	    suffix);
}

/* Where is->seen remembers the file of a CRL stored under key (crl_key()). */
static size_t
seen_index(const struct signer_issuer *is, int key)
{
	return key >= 0 ? (size_t)key : (size_t)(is->crl_shards + 1 + crl_key_shard(key));
}

static size_t
seen_json(const struct signer_issuer *is)
{
	return 2 * ((size_t)is->crl_shards + 1);
}

static int
publish(struct signer *sg, const struct signer_issuer *is, const struct crl_record *crl,
    struct err *e)
{
	int shard = crl_key_shard(crl->shard), delta = crl->shard < 0;
	const unsigned char *der = crl->der;
	size_t len = crl->der_len;
	char path[PATH_MAX];
	char *json;
	size_t jlen;
	int rc;

	if (public_path(sg, is, shard, delta, path, sizeof(path), e) != 0 ||
	    signer_public_write(sg->dir, path, der, len, e) != 0)
		return -1;
	signer_public_seen(sg->dir, path, &is->seen[seen_index(is, crl_key(shard, delta))]);
	signer_run_hook(sg, path, crl);
	json = crl_list_json(sg->conf, is->name, is->crl_shards, &jlen);
	if (json == NULL)
		return err_set(e, "out of memory");
	rc = fs_path(path, sizeof(path), e, "%s/public/crl/%s.json", sg->dir, is->name);
	if (rc == 0)
		rc = signer_public_write(sg->dir, path, json, jlen, e);
	free(json);
	if (rc == 0) {
		signer_public_seen(sg->dir, path, &is->seen[seen_json(is)]);
		signer_run_hook(sg, path, NULL);
	}
	return rc;
}

/*
 * Published files that no longer look as the signer left them (public.c):
 * the JSON lists are made again and compared; the CRLs are compared with the
 * store's bytes, read only when one of them changed.  A file that differs is
 * written again, and the hook runs for it.
 */
struct recheck {
	struct signer *sg;
	struct signer_stats *st;
};

static int
recheck_crl(void *arg, const struct crl_record *r, struct err *e)
{
	struct recheck *rc = arg;
	struct signer_issuer *is = signer_issuer_by_id(rc->sg, r->issuer_id);
	int shard = crl_key_shard(r->shard), rewritten;
	struct signer_seen *seen;
	char path[PATH_MAX];

	if (is == NULL || is->seen == NULL || shard > is->crl_shards ||
	    (r->shard < 0 && !rc->sg->conf->crl_delta) || !signer_unit_held(is, shard))
		return 0; /* another signer's CRL is its to publish (lease.c) */
	seen = &is->seen[seen_index(is, r->shard)];
	if (public_path(rc->sg, is, shard, r->shard < 0, path, sizeof(path), e) != 0)
		return -1;
	if (signer_public_unchanged(rc->sg->dir, path, seen))
		return 0;
	if (signer_public_sync(rc->sg->dir, path, r->der, r->der_len, seen, &rewritten, e) != 0)
		return -1;
	if (rewritten) {
		rc->st->republished++;
		signer_run_hook(rc->sg, path, r);
	}
	return 0;
}

/* 1 when one of is's published CRLs does not look as the signer left it. */
static int
crls_touched(const struct signer *sg, const struct signer_issuer *is, struct err *e)
{
	char path[PATH_MAX];

	for (int shard = sg->conf->crl_full ? 0 : 1; shard <= is->crl_shards; shard++) {
		for (int delta = 0; delta <= sg->conf->crl_delta && signer_unit_held(is, shard);
		     delta++) {
			if (public_path(sg, is, shard, delta, path, sizeof(path), e) != 0)
				return -1;
			if (!signer_public_unchanged(sg->dir, path,
				&is->seen[seen_index(is, crl_key(shard, delta))]))
				return 1;
		}
	}
	return 0;
}

static int
recheck_json(struct signer *sg, struct signer_issuer *is, struct signer_stats *st,
    struct err *e)
{
	struct signer_seen *seen = &is->seen[seen_json(is)];
	char path[PATH_MAX];
	char *json;
	size_t jlen;
	int rc, rewritten = 0;

	if (fs_path(path, sizeof(path), e, "%s/public/crl/%s.json", sg->dir, is->name) != 0)
		return -1;
	if (signer_public_unchanged(sg->dir, path, seen))
		return 0;
	json = crl_list_json(sg->conf, is->name, is->crl_shards, &jlen);
	if (json == NULL)
		return err_set(e, "out of memory");
	rc = signer_public_sync(sg->dir, path, json, jlen, seen, &rewritten, e);
	free(json);
	if (rc == 0 && rewritten) {
		st->republished++;
		signer_run_hook(sg, path, NULL);
	}
	return rc;
}

static int
recheck_public(struct signer *sg, struct signer_stats *st, struct err *e)
{
	struct recheck rc = {sg, st};
	int touched = 0, t;

	for (size_t i = 0; i < sg->nissuers; i++) {
		if (recheck_json(sg, &sg->issuers[i], st, e) != 0)
			return -1;
		if (!touched && (t = crls_touched(sg, &sg->issuers[i], e)) != 0) {
			if (t < 0)
				return -1;
			touched = 1;
		}
	}
	if (signer_public_issuers(sg, e) != 0)
		return -1;
	if (!touched)
		return 0;
	return store_crl_each(sg->store, recheck_crl, &rc, e);
}

/*
 * What is's CRLs cover, from what it has recorded: only CA certificates (a
 * root's intermediates) make its CRLs ARLs; leaves alone, or nothing yet,
 * keep them the leaf CRLs they always were; both make them cover both.
 */
static int
crl_scope_of(const struct signer *sg, const struct signer_issuer *is, enum crl_scope *scope,
    struct err *e)
{
	struct store_issuer_certs k;

	if (store_issuer_certs(sg->store, is->id, 0, &k, e) != 0)
		return -1;
	*scope = k.has_ca && !k.has_ee ? CRL_SCOPE_CA : k.has_ca ? CRL_SCOPE_ALL : CRL_SCOPE_USER;
	return 0;
}

/*
 * Build, sign, store and publish one CRL: the base of shard (0: full) when
 * base is NULL, else the delta over base (entries revoked since base was
 * built).  prev is the CRL this one replaces, if any.  1 when the key failed
 * to sign (signer_key_failed: the issuer is left out, nothing is stored); 2
 * when another signer took the shard over (lease.c: nothing published).
 */
static int
sign_crl(struct signer *sg, struct signer_issuer *is, int shard, const struct crl_record *base,
    const struct crl_record *prev, int64_t last, int64_t now, struct crl_record *made,
    struct signer_stats *st, struct err *e)
{
	char idp[URL_MAX], fresh[URL_MAX];
	struct crl_params p = {.issuer = is->cert, .key = is->key};
	struct crl_builder *b;
	const unsigned char *der = NULL;
	size_t len, count;
	int64_t built_seq, ns = now_ns(), read_at;
	int rc = -1, walked;

	if (shard > 0) {
		urls_crl_shard(sg->conf, is->name, shard, idp, sizeof(idp));
		p.idp_url = idp;
	}
	if (base == NULL && sg->conf->crl_delta) {
		urls_crl_delta(sg->conf, is->name, shard, fresh, sizeof(fresh));
		p.freshest_url = fresh;
	}
	if (base != NULL)
		p.delta_base = base->number;
	if (crl_scope_of(sg, is, &p.scope, e) != 0)
		return -1;
	p.this_update = now;
	p.next_update = now + sg->conf->crl_validity;
	p.number = last >= ns ? last + 1 : ns;
	/* Read the sequence before the entries: a revocation after this makes it dirty again. */
	if (store_seq(sg->store, STORE_SEQ_CHANGE, &built_seq, e) != 0)
		return -1;
	/*
	 * Renewed before each CRL and before its fence: a pass of many CRLs
	 * outlasts a lease; and before the read for as long as it may take, as
	 * nothing renews within it (lease.c).
	 */
	if (signer_lease_read_start(sg, is, shard, base != NULL, prev, &read_at, e) != 0)
		return -1;
	b = crl_builder_new(&p, e);
	if (b == NULL)
		return -1;
	walked = store_crl_entries(sg->store, is->id, shard,
	    base != NULL ? 0 : prev != NULL ? (prev->this_update < now ? prev->this_update : now) : 0,
	    base != NULL ? base->built_seq : 0, add_entry, b, e);
	signer_lease_read_end(sg, is, shard, base != NULL, read_at);
	if (walked != 0) {
		err_prefix(e, "issuer %s CRL %d", is->name, shard);
		goto out;
	}
	if (crl_builder_finish(b, &der, &len, &count, e) != 0) {
		rc = signer_key_failed(sg, is, e->msg, st) != 0 ? err_set(e, "out of memory") : 1;
		goto out;
	}
	if (signer_lease_tick(sg, signer_now(sg), e) != 0)
		goto out;
	*made = (struct crl_record){.issuer_id = is->id,
	    .shard = base != NULL ? crl_key(shard, 1) : shard, .number = p.number,
	    .this_update = p.this_update, .next_update = p.next_update, .der = der, .der_len = len,
	    .built_seq = built_seq};
	/*
	 * Published before the commit (see the top of this file), and both
	 * fenced: only while this signer still holds the shard (lease.c), which
	 * no other can take until the commit.  Lost meanwhile: nothing published
	 * or stored (2).  Put in the transaction before the file is written: a
	 * number the store refuses (not above every number stored for the scope,
	 * by whichever signer, since `last` was read) never reaches public/.
	 */
	if (store_begin(sg->store, e) != 0)
		goto out;
	if (signer_lease_fence(sg, e) != 0 || !signer_unit_held(is, shard)) {
		store_rollback(sg->store, NULL);
		rc = signer_unit_held(is, shard) ? -1 : 2;
		goto out;
	}
	if (store_crl_put(sg->store, made, e) != 0 ||
	    publish(sg, is, made, e) != 0 ||
	    store_commit(sg->store, e) != 0) {
		store_rollback(sg->store, NULL);
		goto out;
	}
	made->der = NULL; /* freed with the builder */
	if (is->crl_dirty != NULL && is->crl_dirty[shard] <= built_seq)
		is->crl_dirty[shard] = 0;
	if (is->crl_new != NULL && base == NULL)
		is->crl_new[shard] = 0; /* in prev's size from now on */
	rc = 0;
out:
	crl_builder_free(b);
	return rc;
}

/*
 * A retired issuer's CRL signed after its last certificate expired is its
 * last: the BRs want CRLs until then, and one after says that nothing is
 * left (signer.h).
 */
static int
retired_final(const struct signer_issuer *is, const struct crl_record *r, int found,
    int64_t now)
{
	return is->retired_at != 0 && is->last_not_after < now && found &&
	       r->this_update > is->last_not_after;
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* A CRL dated past the skew was signed while the clock ran ahead: for the clock-step event. */
static void
note_ahead(struct signer *sg, int64_t this_update, int64_t now)
{
	if (this_update > now + SIGNER_CLOCK_SKEW)
		sg->ahead = max64(sg->ahead, this_update - now);
}

/* A base is due when missing, old or dated in the future; without deltas, also when a
 * revocation touched it. */
static int
base_due(const struct signer *sg, const struct signer_issuer *is, int shard,
    const struct crl_record *r, int found, int64_t now)
{
	int64_t dirty = is->crl_dirty != NULL ? is->crl_dirty[shard] : 0;

	if (retired_final(is, r, found, now))
		return 0;
	if (!found || now >= r->this_update + sg->conf->crl_period ||
	    r->this_update > now + SIGNER_CLOCK_SKEW)
		return 1;
	return !sg->conf->crl_delta && dirty > r->built_seq &&
	       now - r->this_update >= sg->conf->crl_delay / 2;
}

/* With deltas, the delta follows revocations, and a new base always gets a new delta. */
static int
delta_due(const struct signer *sg, const struct signer_issuer *is, int shard,
    const struct crl_record *base, const struct crl_record *d, int found, int64_t now)
{
	int64_t dirty = is->crl_dirty != NULL ? is->crl_dirty[shard] : 0;

	if (retired_final(is, d, found, now) && d->number > base->number)
		return 0;
	if (!found || d->number < base->number || now >= d->this_update + sg->conf->crl_period ||
	    d->this_update > now + SIGNER_CLOCK_SKEW)
		return 1;
	return dirty > d->built_seq && now - d->this_update >= sg->conf->crl_delay / 2;
}

int
signer_crl_pass(struct signer *sg, int64_t now, struct signer_stats *st, struct err *e)
{
	struct crl_record base, delta, made;
	int64_t seq, last;
	int found, dfound, rc;

	signer_hooks_reap(sg);
	if (!sg->public_cleaned) {
		st->tmp_removed += signer_public_clean(sg->dir);
		sg->public_cleaned = 1;
	}
	if (store_seq(sg->store, STORE_SEQ_CHANGE, &seq, e) != 0)
		return -1;
	if (seq > sg->crl_seen_seq) {
		if (store_revoked_since(sg->store, sg->crl_seen_seq, mark_dirty, sg, e) != 0)
			return -1;
		sg->crl_seen_seq = seq;
	}
	for (size_t i = 0; i < sg->nissuers; i++) {
		struct signer_issuer *is = &sg->issuers[i];
		if (is->broken)
			continue; /* its key failed this pass: retried when it loads again */
		if (is->seen == NULL &&
		    (is->seen = calloc(seen_json(is) + 1, sizeof(*is->seen))) == NULL)
			return err_set(e, "out of memory");
		for (int shard = sg->conf->crl_full ? 0 : 1; shard <= is->crl_shards && !is->broken;
		     shard++) {
			if (!signer_unit_held(is, shard))
				continue; /* another signer's (lease.c) */
			dfound = 0;
			found = store_crl_get(sg->store, is->id, shard, &base, e);
			if (found > 0 && sg->conf->crl_delta)
				dfound = store_crl_get(sg->store, is->id, crl_key(shard, 1), &delta, e);
			if (found < 0 || dfound < 0)
				return -1;
			last = max64(found ? base.number : 0, dfound ? delta.number : 0);
			note_ahead(sg, found ? base.this_update : 0, now);
			note_ahead(sg, dfound ? delta.this_update : 0, now);
			if (base_due(sg, is, shard, &base, found, now)) {
				rc = sign_crl(sg, is, shard, NULL, found ? &base : NULL, last, now,
				    &made, st, e);
				if (rc < 0)
					return -1;
				if (rc == 2)
					continue; /* taken by another signer meanwhile */
				if (rc > 0)
					break;
				base = made;
				last = made.number;
				st->crls++;
			}
			if (!sg->conf->crl_delta ||
			    !delta_due(sg, is, shard, &base, &delta, dfound, now))
				continue;
			rc = sign_crl(sg, is, shard, &base, dfound ? &delta : NULL, last, now, &made,
			    st, e);
			if (rc < 0)
				return -1;
			if (rc == 2)
				continue;
			if (rc > 0)
				break;
			st->crls++;
		}
	}
	return recheck_public(sg, st, e);
}
