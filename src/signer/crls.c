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
 * CRL numbers are thisUpdate in nanoseconds, or the previous number + 1 if
 * that is not larger: strictly increasing across restarts and machines
 * whose clocks agree (as Let's Encrypt does).
 *
 * A revoked certificate stays listed until a CRL has been published after
 * its notAfter: entries are those with notAfter >= the previous CRL's
 * thisUpdate.  Each signed CRL is also written to DIR/public/crl/ (atomic
 * rename) with the issuer's JSON list of shard URLs.
 */
#include "signer/signer_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crl/build.h"
#include "crl/list.h"
#include "pki/urls.h"
#include "util/fsutil.h"

static int
mark_dirty(void *arg, int64_t issuer_id, int shard, int64_t seq)
{
	struct signer *sg = arg;
	struct signer_issuer *is = signer_issuer_by_id(sg, issuer_id);

	if (is == NULL)
		return 0;
	if (is->crl_dirty == NULL) {
		is->crl_dirty = calloc((size_t)is->crl_shards + 1, sizeof(*is->crl_dirty));
		if (is->crl_dirty == NULL)
			return -1;
	}
	if (shard >= 1 && shard <= is->crl_shards && seq > is->crl_dirty[shard])
		is->crl_dirty[shard] = seq;
	if (seq > is->crl_dirty[0])
		is->crl_dirty[0] = seq;
	return 0;
}

static int
add_entry(void *arg, const struct cert_record *c)
{
	return crl_builder_add(arg, c, NULL);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
publish(const struct signer *sg, const struct signer_issuer *is, int shard,
    const unsigned char *der, size_t len, struct err *e)
{
	char path[4096];
	char *json;
	size_t jlen;
	int rc;

	if (fs_path(path, sizeof(path), e, "%s/public/crl/%s", sg->dir, is->name) != 0 ||
	    fs_mkdir_p(path, 0755, e) != 0)
		return -1;
	if (shard == 0)
		rc = fs_path(path, sizeof(path), e, "%s/public/crl/%s.crl", sg->dir, is->name);
	else
		rc = fs_path(path, sizeof(path), e, "%s/public/crl/%s/%d.crl", sg->dir, is->name,
		    shard);
	if (rc != 0 || fs_write_atomic(path, der, len, 0644, e) != 0)
		return -1;
	json = crl_list_json(sg->conf, is->name, is->crl_shards, &jlen);
	if (json == NULL)
		return err_set(e, "out of memory");
	rc = fs_path(path, sizeof(path), e, "%s/public/crl/%s.json", sg->dir, is->name);
	if (rc == 0)
		rc = fs_write_atomic(path, json, jlen, 0644, e);
	free(json);
	return rc;
}

/* Build, sign, store and publish one CRL. */
static int
sign_crl(struct signer *sg, struct signer_issuer *is, int shard, const struct crl_record *prev,
    int64_t now, struct err *e)
{
	char url[URL_MAX];
	struct crl_params p = {.issuer = is->cert, .key = is->key};
	struct crl_builder *b;
	struct crl_record r;
	const unsigned char *der = NULL;
	size_t len, count;
	int64_t built_seq, ns = now_ns();
	int rc = -1;

	if (shard > 0) {
		urls_crl_shard(sg->conf, is->name, shard, url, sizeof(url));
		p.idp_url = url;
	}
	p.this_update = now;
	p.next_update = now + sg->conf->crl_validity;
	p.number = prev != NULL && prev->number >= ns ? prev->number + 1 : ns;
	/* Read the sequence before the entries: a revocation after this makes it dirty again. */
	if (store_seq(sg->store, "change_seq", &built_seq, e) != 0)
		return -1;
	b = crl_builder_new(&p, e);
	if (b == NULL)
		return -1;
	if (store_crl_entries(sg->store, is->id, shard, prev != NULL ? prev->this_update : 0,
		add_entry, b, e) != 0) {
		err_prefix(e, "issuer %s CRL %d", is->name, shard);
		goto out;
	}
	if (crl_builder_finish(b, &der, &len, &count, e) != 0)
		goto out;
	r = (struct crl_record){.issuer_id = is->id, .shard = shard, .number = p.number,
	    .this_update = p.this_update, .next_update = p.next_update, .der = der,
	    .der_len = len, .built_seq = built_seq};
	if (store_crl_put(sg->store, &r, e) != 0 || publish(sg, is, shard, der, len, e) != 0)
		goto out;
	if (is->crl_dirty != NULL && is->crl_dirty[shard] <= built_seq)
		is->crl_dirty[shard] = 0;
	rc = 0;
out:
	crl_builder_free(b);
	return rc;
}

static int
due(const struct signer *sg, const struct signer_issuer *is, int shard,
    const struct crl_record *r, int found, int64_t now)
{
	int64_t dirty = is->crl_dirty != NULL ? is->crl_dirty[shard] : 0;

	if (!found || now >= r->this_update + sg->conf->crl_period)
		return 1;
	return dirty > r->built_seq && now - r->this_update >= sg->conf->crl_delay / 2;
}

int
signer_crl_pass(struct signer *sg, int64_t now, struct signer_stats *st, struct err *e)
{
	struct crl_record r;
	int64_t seq;
	int found;

	if (store_seq(sg->store, "change_seq", &seq, e) != 0)
		return -1;
	if (seq > sg->crl_seen_seq) {
		if (store_revoked_since(sg->store, sg->crl_seen_seq, mark_dirty, sg, e) != 0)
			return -1;
		sg->crl_seen_seq = seq;
	}
	for (size_t i = 0; i < sg->nissuers; i++) {
		struct signer_issuer *is = &sg->issuers[i];
		for (int shard = sg->conf->crl_full ? 0 : 1; shard <= is->crl_shards; shard++) {
			found = store_crl_get(sg->store, is->id, shard, &r, e);
			if (found < 0)
				return -1;
			if (!due(sg, is, shard, &r, found, now))
				continue;
			if (sign_crl(sg, is, shard, found ? &r : NULL, now, e) != 0)
				return -1;
			st->crls++;
		}
	}
	return 0;
}
