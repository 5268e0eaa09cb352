/*
 * lease.c - several signers on one store share the work (issue 18, "Many
 * signers"), through the store's leases (store.h, store_lease_*).
 *
 * The unit is an issuer's CRL shard: shard n (1..N) is its certificates
 * of that shard (fixed at intake, a range of serials), their OCSP responses
 * and the shard's CRL and delta; shard 0 is the full CRL.  A signer (a
 * holder, named by holder.c) signs, writes and publishes only for the units it
 * holds, of the issuers whose keys it has: signers with different HSMs
 * split the issuers by themselves.
 *
 * Every third of [signer] lease signer_lease_step() renews the holder and
 * its leases, then looks at every unit (after a reload or a lost unit it
 * looks at once, a read): it takes those free (never leased, released, or expired: a
 * signer that died) up to its share, ceil(units / signers alive), and any
 * it saw free at the look before (so that no unit stays unsigned because
 * shares disagree); when a signer alive holds less than a share (one just
 * started, or two that started together and raced) and this one holds more,
 * it gives the excess back: at once the first time, then at most once per
 * SIGNER_LEASE_REBALANCE leases, only to peers that can sign it (give_back:
 * each signer publishes the issuers it can sign with its renewal,
 * store_lease_signs).
 * Units of issuers it cannot sign for (no key here, or down) it gives back
 * when another signer alive can sign them (release_strays).  A holder of this host (same
 * boot, same PID namespace) whose process is gone (holder.c: a signer
 * restarted after a crash, by `lancre run`'s supervisor or by hand) is dead
 * for certain: its units are freed at once instead of after its lease,
 * unless it renewed after the look (store_lease_evict).  Lease times are
 * the store's (store.h): this signer's clock decides nothing on PostgreSQL.
 *
 * Every write is fenced: the batch's transaction first asks the store which
 * units the holder still holds (store_lease_fence, which keeps them from
 * being taken until the commit), and writes only theirs; a unit taken by
 * another meanwhile (this signer stalled past its lease) is dropped, and
 * nothing of it is written over its new holder's work.
 *
 * Each unit keeps its own mark in the changed certificates: the scan
 * starts from the lowest mark of the units held (after a takeover, where
 * the dead signer stopped), reads every changed certificate, signs those of
 * its units, and sets the marks of its units to where it got.  A signer
 * alone holding every unit also keeps the store's single mark
 * (store_signed_upto), as before leases, for `lancre status` and copies.
 */
#include "signer/signer_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGNER_LEASE_PEERS_MAX 64 /* other holders told apart when counting */
#define SIGNER_LEASE_REBALANCE 10 /* leases between two gifts of units to a newcomer */
#define SIGNER_LEASE_DEAD_MAX 8   /* dead holders of this host freed per look */
#define SIGNER_CRL_ENTRY_BYTES 32   /* fewer than a CRL entry takes: entries overestimated */
#define SIGNER_CRL_READ_RATE 200000 /* entries read a second, at the least (measured: 600k) */
#define SIGNER_CRL_READ_MAX 86400   /* the longest renewal for a read */

void
signer_lease_init(struct signer *sg)
{
	signer_holder_hostid(sg->lease.host, sizeof(sg->lease.host));
	signer_holder_name(sg->lease.holder, sizeof(sg->lease.holder), sg->lease.host);
	sg->lease.read_rate = SIGNER_CRL_READ_RATE;
	sg->lease.renew_at = 0;
	sg->lease.look = 1;
}

/* The first unit of is: 0 (its full CRL) when full CRLs are published, else shard 1. */
static int
first_unit(const struct signer *sg)
{
	return sg->conf->crl_full ? 0 : 1;
}

int
signer_unit_held(const struct signer_issuer *is, int shard)
{
	return is->units != NULL && shard >= 0 && shard <= is->crl_shards && is->units[shard].held;
}

/* What a look at every lease found. */
struct look {
	struct signer *sg;
	int64_t now;
	char peers[SIGNER_LEASE_PEERS_MAX][STORE_LEASE_HOLDER_MAX + 1]; /* others holding units */
	size_t npeers, units[SIGNER_LEASE_PEERS_MAX]; /* and how many each holds */
	int stray; /* this holder holds units it does not want (an issuer it cannot sign for) */
	char dead[SIGNER_LEASE_DEAD_MAX][STORE_LEASE_HOLDER_MAX + 1]; /* of this host, gone */
	int64_t dead_seen[SIGNER_LEASE_DEAD_MAX]; /* the latest expiry seen of each */
	size_t ndead;
	/* At a gift (give_back): the peers short of a share that published what they sign. */
	char known[SIGNER_LEASE_PEERS_MAX][STORE_LEASE_HOLDER_MAX + 1];
	size_t nknown, known_new; /* and how many of them hold nothing */
	size_t target;
};

/* Whether holder is among the n of v (the peers alive, or dead, this look found so far). */
static int
look_known(const char (*v)[STORE_LEASE_HOLDER_MAX + 1], size_t n, const char *holder)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], holder) == 0)
			return 1;
	return 0;
}

static void
look_peer(struct look *k, const char *holder)
{
	for (size_t i = 0; i < k->npeers; i++) {
		if (strcmp(k->peers[i], holder) == 0) {
			k->units[i]++;
			return;
		}
	}
	if (k->npeers < SIGNER_LEASE_PEERS_MAX) {
		k->units[k->npeers] = 1;
		snprintf(k->peers[k->npeers++], sizeof(k->peers[0]), "%s", holder);
	}
}

/* A holder of this host whose process is gone: freed after the look, unless it renewed since. */
static void
look_dead(struct look *k, const struct store_lease *l)
{
	for (size_t i = 0; i < k->ndead; i++) {
		if (strcmp(k->dead[i], l->holder) == 0) {
			if (l->expires_at > k->dead_seen[i])
				k->dead_seen[i] = l->expires_at;
			return;
		}
	}
	if (k->ndead < SIGNER_LEASE_DEAD_MAX) {
		k->dead_seen[k->ndead] = l->expires_at;
		snprintf(k->dead[k->ndead++], sizeof(k->dead[0]), "%s", l->holder);
	}
}

/* An issuer left out here (no key, or down) that a signer alive works for. */
static void
look_served(struct signer *sg, int64_t issuer_id)
{
	for (size_t i = 0; i < sg->ndown; i++)
		if (sg->down[i].id == issuer_id)
			sg->down[i].served = 1;
}

/* The issuers left out here that a signer alive works for, as a look found them. */
static uint64_t
served_digest(const struct signer *sg)
{
	uint64_t h = 0;

	for (size_t i = 0; i < sg->ndown; i++)
		h = h * 31 + (uint64_t)sg->down[i].id * (uint64_t)(sg->down[i].served + 1);
	return h;
}

static int
look_row(void *arg, const struct store_lease *l, struct err *e)
{
	struct look *k = arg;
	struct signer *sg = k->sg;
	struct signer_issuer *is = signer_issuer_by_id(sg, l->issuer_id);
	int mine = strcmp(l->holder, sg->lease.holder) == 0;
	struct signer_unit *u;

	(void)e;
	if (!mine && l->holder[0] != '\0' && !l->expired) {
		/* Asked once per holder and look (a read of /proc), not per unit. */
		if (look_known(k->dead, k->ndead, l->holder) ||
		    (!look_known(k->peers, k->npeers, l->holder) &&
			signer_holder_dead(sg->lease.host, l->holder))) {
			look_dead(k, l);
			return 0;
		}
		look_peer(k, l->holder);
		look_served(sg, l->issuer_id);
		if (is != NULL)
			is->peers = 1; /* a peer alive signs it: it can take its units */
	}
	if (is == NULL || is->broken || l->shard < first_unit(sg) || l->shard > is->crl_shards) {
		k->stray |= mine;
		return 0;
	}
	u = &is->units[l->shard];
	if (!mine && l->holder[0] != '\0' && !l->expired)
		u->given = 0; /* given, and taken */
	u->row = 1;
	u->held = mine;
	if (mine)
		u->upto = l->upto; /* held across a reload: its mark as stored */
	u->free = !mine && (l->holder[0] == '\0' || l->expired);
	return 0;
}

/* Whether is an issuer left out here (its key failed to load, or stopped signing). */
static int
down_here(const struct signer *sg, int64_t issuer_id)
{
	for (size_t i = 0; i < sg->ndown; i++)
		if (sg->down[i].id == issuer_id)
			return 1;
	return 0;
}

/* What the peers alive published they sign (store_lease_signers), for release_strays. */
struct peer_signs {
	const char *me;
	int64_t *ids; /* the issuers some peer signs */
	size_t n, cap;
	char last[STORE_LEASE_HOLDER_MAX + 1];
	int64_t holders; /* peers that published (the rows come by holder) */
};

static int
peer_signs_row(void *arg, const char *holder, int64_t issuer_id, struct err *e)
{
	struct peer_signs *p = arg;

	if (strcmp(holder, p->me) == 0)
		return 0;
	if (strcmp(holder, p->last) != 0) {
		p->holders++;
		snprintf(p->last, sizeof(p->last), "%s", holder);
	}
	if (issuer_id <= 0)
		return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		int64_t *v = realloc(p->ids, cap * sizeof(*v));
		if (v == NULL)
			return err_set(e, "out of memory");
		p->ids = v;
		p->cap = cap;
	}
	p->ids[p->n++] = issuer_id;
	return 0;
}

/* Whether a peer alive may sign issuer_id: it said so, or one did not say what it signs. */
static int
peer_may_sign(const struct peer_signs *p, int64_t live, int64_t issuer_id)
{
	if (live - 1 > p->holders)
		return 1;
	for (size_t i = 0; i < p->n; i++)
		if (p->ids[i] == issuer_id)
			return 1;
	return 0;
}

/*
 * Give back the units this holder holds and does not want: those of issuers
 * it left out.  Those of an issuer whose key failed here are kept when no
 * other signer alive can sign them (alone, live 1, or the peers published
 * issuers without it, store_lease_signs): nobody else could take them, and
 * held they stay with someone (its responses held, the issuer told as
 * down: signer.c), where given back they would only be free; with another
 * signer alive that can sign them (or has not said what it signs) they go,
 * for it to take (at its first or second look: this one retries the key a
 * lease later at the soonest, signer_key_failed).
 */
static int
release_strays(struct signer *sg, int64_t live, struct err *e)
{
	struct peer_signs ps = {.me = sg->lease.holder};
	struct store_lease *v = NULL;
	int64_t deadline = 0;
	size_t n = 0;
	int rc = 0;

	if (live > 1 && store_lease_signers(sg->store, signer_now(sg), peer_signs_row, &ps, e) != 0) {
		free(ps.ids);
		return -1;
	}
	if (signer_lease_mine(sg, &v, &n, e) != 0) {
		free(ps.ids);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct signer_issuer *is = signer_issuer_by_id(sg, v[i].issuer_id);
		if (is != NULL && !is->broken && v[i].shard >= first_unit(sg) &&
		    v[i].shard <= is->crl_shards)
			continue;
		if ((live <= 1 || !peer_may_sign(&ps, live, v[i].issuer_id)) &&
		    down_here(sg, v[i].issuer_id) &&
		    (is == NULL || (v[i].shard >= first_unit(sg) && v[i].shard <= is->crl_shards)))
			continue; /* nobody else can sign it: kept */
		signer_hooks_wait(sg, v[i].issuer_id, v[i].shard, &deadline); /* hook.c */
		rc = store_lease_release(sg->store, sg->lease.holder, v[i].issuer_id, v[i].shard,
		    e);
	}
	free(v);
	free(ps.ids);
	return rc;
}

struct mine {
	const char *holder;
	struct store_lease *v;
	size_t n;
};

static int
mine_row(void *arg, const struct store_lease *l, struct err *e)
{
	struct mine *m = arg;
	struct store_lease *nv;

	if (strcmp(l->holder, m->holder) != 0)
		return 0;
	if ((nv = realloc(m->v, (m->n + 1) * sizeof(*nv))) == NULL)
		return err_set(e, "out of memory");
	m->v = nv;
	m->v[m->n++] = *l;
	return 0;
}

int
signer_lease_mine(struct signer *sg, struct store_lease **v, size_t *n, struct err *e)
{
	struct mine m = {sg->lease.holder, NULL, 0};

	if (store_lease_each(sg->store, signer_now(sg), mine_row, &m, e) != 0) {
		free(m.v);
		return -1;
	}
	*v = m.v;
	*n = m.n;
	return 0;
}

/* Make room for every issuer's units; clear what the last look found. */
static int
units_reset(struct signer *sg, size_t *wanted)
{
	*wanted = 0;
	for (size_t i = 0; i < sg->ndown; i++)
		sg->down[i].served = 0;
	for (size_t i = 0; i < sg->nissuers; i++) {
		struct signer_issuer *is = &sg->issuers[i];
		if (is->units == NULL &&
		    (is->units = calloc((size_t)is->crl_shards + 1, sizeof(*is->units))) == NULL)
			return -1;
		is->peers = is->wanted = 0;
		for (int sh = 0; sh <= is->crl_shards; sh++) {
			is->units[sh].row = is->units[sh].held = is->units[sh].free = 0;
			if (!is->broken && sh >= first_unit(sg))
				(*wanted)++;
		}
	}
	return 0;
}

/*
 * Whether a signer alive holds less than a share: one holding nothing (not
 * among the peers), or a peer holding fewer than target.  It may be unable
 * to sign more (other keys): then what is given back is taken back two
 * looks later, at most once per SIGNER_LEASE_REBALANCE leases.
 */
static int
short_peer(const struct look *k, int64_t live, size_t target)
{
	if ((int64_t)k->npeers + 1 < live)
		return 1;
	for (size_t i = 0; i < k->npeers; i++)
		if (k->units[i] < target)
			return 1;
	return 0;
}

/* The units peer holds, as the look counted them (0: none, a signer just started). */
static size_t
peer_units(const struct look *k, const char *holder)
{
	for (size_t i = 0; i < k->npeers; i++)
		if (strcmp(k->peers[i], holder) == 0)
			return k->units[i];
	return 0;
}

/* A peer's published issuer (store_lease_signers): wanted, if the peer is short of a share. */
static int
signers_row(void *arg, const char *holder, int64_t issuer_id, struct err *e)
{
	struct look *k = arg;
	struct signer_issuer *is;
	size_t units;

	(void)e;
	if (strcmp(holder, k->sg->lease.holder) == 0 || look_known(k->dead, k->ndead, holder) ||
	    (units = peer_units(k, holder)) >= k->target)
		return 0; /* this one, one gone, or a peer with its share */
	if (!look_known(k->known, k->nknown, holder) && k->nknown < SIGNER_LEASE_PEERS_MAX) {
		snprintf(k->known[k->nknown++], sizeof(k->known[0]), "%s", holder);
		k->known_new += units == 0;
	}
	if (issuer_id > 0 && (is = signer_issuer_by_id(k->sg, issuer_id)) != NULL)
		is->wanted = 1;
	return 0;
}

/*
 * Give back held units beyond target, the last ones first, only to peers
 * that can sign them.  Each signer publishes the issuers it can sign
 * (store_lease_signs, with its renewal): first, and with peers that all
 * published only, the units of issuers a peer short of its share signs
 * (wanted).  A peer that never published (an older lancre) is judged by
 * who holds what, as before: then the units of issuers a peer alive holds
 * units of (it signs them); then, for a signer alive holding nothing
 * and not published (its keys unknown), those of the other issuers,
 * unless a gift of them was refused before: left free, and taken back
 * here (at the second look: take_free), which marks the issuer refused
 * until the number of signers alive changes.  Before the signers
 * published, a newcomer (holding nothing, keys unknown) was given the
 * units of an issuer it could not sign, which stayed unsigned until
 * taken back (test_newcomer_gets_only_what_it_signs).
 */
static int
give_back(struct signer *sg, struct look *k, int64_t live, size_t *held, size_t target,
    struct err *e)
{
	int64_t deadline = 0;
	size_t nothing = live > (int64_t)k->npeers + 1 ? (size_t)live - k->npeers - 1 : 0, shorts;
	int unknown, unknown_new;

	k->target = target;
	if (store_lease_signers(sg->store, k->now, signers_row, k, e) != 0)
		return -1;
	shorts = nothing;
	for (size_t i = 0; i < k->npeers; i++)
		shorts += k->units[i] < target;
	unknown = shorts > k->nknown;          /* a peer short of a share that did not publish */
	unknown_new = nothing > k->known_new; /* one of them holding nothing */
	for (int round = 0; round < 3 && *held > target; round++) {
		for (size_t i = sg->nissuers; i-- > 0 && *held > target;) {
			struct signer_issuer *is = &sg->issuers[i];
			if (round == 0 ? !is->wanted
			    : round == 1 ? !unknown || !is->peers
					 : !unknown_new || is->peers || is->refused)
				continue;
			for (int sh = is->crl_shards; sh >= 0 && *held > target; sh--) {
				if (!is->units[sh].held)
					continue;
				/* Its CRL hooks first: the next holder's for a newer CRL come after
				 * (hook.c). */
				signer_hooks_wait(sg, is->id, sh, &deadline);
				if (store_lease_release(sg->store, sg->lease.holder, is->id, sh, e) !=
				    0)
					return -1;
				is->units[sh].held = 0;
				is->units[sh].given = 1;
				(*held)--;
			}
		}
	}
	return 0;
}

/* Take the free units, up to target, and those free at the last look too. */
static int
take_free(struct signer *sg, int64_t now, size_t *held, size_t target, struct err *e)
{
	for (size_t i = 0; i < sg->nissuers; i++) {
		struct signer_issuer *is = &sg->issuers[i];
		for (int sh = first_unit(sg); sh <= is->crl_shards && !is->broken; sh++) {
			struct signer_unit *u = &is->units[sh];
			struct store_lease l = {.issuer_id = is->id, .shard = sh};
			int free_now = !u->held && (u->free || !u->row), rc;
			if (!free_now || (*held >= target && !u->free_seen)) {
				u->free_seen = free_now;
				continue;
			}
			memcpy(l.holder, sg->lease.holder, sizeof(l.holder));
			if ((rc = store_lease_take(sg->store, &l, now, sg->conf->signer_lease, e)) < 0)
				return -1;
			u->free_seen = 0;
			if (rc == 0)
				continue; /* another signer was first */
			if (u->given) { /* given back, and nobody took it: not given again */
				is->refused = 1;
				sg->lease.gave_at = 0; /* what else may go, at the next look */
			}
			u->given = 0;
			u->held = 1;
			u->upto = l.upto;
			sg->lease.rescan = 1;
			(*held)++;
		}
	}
	return 0;
}

/*
 * The responses of an issuer this signer works for that another held while
 * no signer alive held its units (signer.c, sign_due): due again.  One read
 * per issuer when none are held (store_ocsp_release).
 */
static int
release_held(struct signer *sg, struct err *e)
{
	int64_t n;

	for (size_t i = 0; i < sg->nissuers; i++) {
		int any = 0;
		for (int sh = 0; sh <= sg->issuers[i].crl_shards; sh++)
			any |= sg->issuers[i].units[sh].held;
		if (any && store_ocsp_release(sg->store, sg->issuers[i].id, &n, e) != 0)
			return -1;
	}
	return 0;
}

/*
 * Publish what this signer can sign (the issuers loaded whose keys have not
 * failed: store_lease_signs, written only when it changed), with a renewal
 * for secs when renew (in its transaction: peers never see this holder
 * alive without it), *live the holders alive.
 */
static int
renew_publish(struct signer *sg, int renew, int64_t now, int64_t secs, int64_t *live,
    struct err *e)
{
	int64_t *ids = calloc(sg->nissuers + 1, sizeof(*ids));
	size_t n = 0;
	struct err e2;
	int rc;

	if (ids == NULL)
		return err_set(e, "out of memory");
	for (size_t i = 0; i < sg->nissuers; i++)
		if (!sg->issuers[i].broken)
			ids[n++] = sg->issuers[i].id;
	if (!renew) {
		rc = store_lease_signs(sg->store, sg->lease.holder, ids, n, e);
	} else if ((rc = store_begin(sg->store, e)) == 0) {
		if (store_lease_renew(sg->store, sg->lease.holder, now, secs, live, e) != 0 ||
		    store_lease_signs(sg->store, sg->lease.holder, ids, n, e) != 0 ||
		    store_commit(sg->store, e) != 0) {
			(void)store_rollback(sg->store, &e2);
			rc = -1;
		}
	}
	free(ids);
	return rc;
}

int
signer_lease_step(struct signer *sg, int64_t now, struct err *e)
{
	int64_t secs = sg->conf->signer_lease, live = sg->lease.live;
	int renew = now >= sg->lease.renew_at || now < sg->lease.renew_at - secs, rc = 0;
	struct look *k;
	size_t wanted, held = 0, target;
	uint64_t served;

	if (!renew && !sg->lease.look)
		return 0; /* not yet (and the clock did not go back) */
	if ((k = calloc(1, sizeof(*k))) == NULL || units_reset(sg, &wanted) != 0) {
		free(k);
		return err_set(e, "out of memory");
	}
	k->sg = sg;
	k->now = now;
	served = served_digest(sg);
	/*
	 * A look without a renewal (issuers reloaded, a unit lost) only reads,
	 * unless it takes, or what this signer can sign changed (a key failed).
	 */
	rc = renew_publish(sg, renew, now, secs, &live, e);
	if (rc == 0)
		rc = store_lease_each(sg->store, now, look_row, k, e);
	if (rc == 0 && k->ndead > 0) { /* freed, and looked at again */
		for (size_t i = 0; rc == 0 && i < k->ndead; i++) {
			int64_t n = 0;
			rc = store_lease_evict(sg->store, k->dead[i], k->dead_seen[i], &n, e);
			live -= n > 0; /* counted alive by the renewal: forgotten now */
		}
		k->ndead = k->npeers = 0;
		if (rc == 0 && units_reset(sg, &wanted) != 0)
			rc = err_set(e, "out of memory");
		if (rc == 0)
			rc = store_lease_each(sg->store, now, look_row, k, e);
	}
	if (rc == 0 && k->stray)
		rc = release_strays(sg, live, e);
	for (size_t i = 0; rc == 0 && i < sg->nissuers; i++)
		for (int sh = 0; sh <= sg->issuers[i].crl_shards; sh++)
			held += sg->issuers[i].units[sh].held;
	sg->lease.live = live < 1 ? 1 : live;
	if (sg->lease.live != sg->lease.gave_live) { /* other signers: other keys, maybe */
		for (size_t i = 0; i < sg->nissuers; i++)
			sg->issuers[i].refused = 0;
		sg->lease.gave_live = sg->lease.live;
	}
	target = (wanted + (size_t)sg->lease.live - 1) / (size_t)sg->lease.live;
	if (rc == 0 && held > target && short_peer(k, sg->lease.live, target) &&
	    (sg->lease.gave_at == 0 || now - sg->lease.gave_at >= SIGNER_LEASE_REBALANCE * secs)) {
		sg->lease.gave_at = now; /* a signer alive holds less than its share: it gets it */
		rc = give_back(sg, k, sg->lease.live, &held, target, e);
	}
	if (rc == 0)
		rc = take_free(sg, now, &held, target, e);
	if (rc == 0 && renew)
		rc = release_held(sg, e);
	if (served_digest(sg) != served)
		sg->keystate_dirty = 1; /* an issuer left out here found served, or no longer */
	/*
	 * An issuer left out here that a peer signed, and none alive has for a
	 * lease (not a gift's moment: given back, taken back within two looks):
	 * told again, with "no signer alive signs it" (signer_report).
	 */
	for (size_t i = 0; rc == 0 && i < sg->ndown; i++) {
		struct signer_down *d = &sg->down[i];
		if (d->served) {
			d->was_served = 1;
			d->unserved_since = 0;
			d->unserved = 0;
		} else if (d->was_served && d->unserved_since == 0) {
			d->unserved_since = now;
		} else if (d->was_served && now - d->unserved_since >= secs) {
			d->was_served = 0;
			d->unserved = 1;
			d->reported = 0;
		}
	}
	free(k);
	if (rc != 0)
		return err_prefix(e, "the signer's leases");
	sg->lease.held = held;
	sg->lease.wanted = wanted;
	sg->lease.look = 0;
	if (renew)
		sg->lease.renew_at = sg->lease.tick_at = now + (secs / 3 > 0 ? secs / 3 : 1);
	return 0;
}

int
signer_lease_tick(struct signer *sg, int64_t now, struct err *e)
{
	int64_t secs = sg->conf->signer_lease, live;

	if (now < sg->lease.tick_at && now >= sg->lease.tick_at - secs)
		return 0;
	if (renew_publish(sg, 1, now, secs, &live, e) != 0)
		return err_prefix(e, "the signer's leases");
	/* Not renew_at: a signer always busy still looks (takes, gives back) every third. */
	sg->lease.tick_at = now + (secs / 3 > 0 ? secs / 3 : 1);
	return 0;
}

/*
 * A single CRL's entries read (a full CRL of 50M entries reads for ~83 s)
 * cannot be renewed within: a renewal on the reading handle commits only
 * when the read ends (SQLite's implicit transaction, PostgreSQL's walk
 * transaction), so others would not see it, and a second store handle for
 * renewals is a second connection on PostgreSQL and, on SQLite, broke the
 * sandboxed signer (DESIGN.md).  So the leases are renewed before the read
 * for as long as it may take: twice the unit's last read of that CRL (kept
 * per unit and kind, in memory), or of the entries it should have, the more
 * of prev's size (SIGNER_CRL_ENTRY_BYTES an entry) and the revocations of
 * the shard seen since this signer last built it (crls.c: all of them
 * before its first build; a mass revocation since), at SIGNER_CRL_READ_RATE
 * entries a second (a third of what was measured at 50M), plus a lease;
 * never less than a lease.  The same two calls on both backends, committed before the
 * read starts.  Every unit of the holder is renewed (store_lease_renew), not
 * only the one read: its other units would expire meanwhile just the same,
 * and a peer would take them from a signer that is busy, not dead.  The
 * renewal after the read (crls.c, before the fence) brings them back to
 * [signer] lease, so only a signer that dies mid-read keeps its units
 * longer than a lease (after that read's length, or at once on this host:
 * store_lease_evict).  A read slower than its entries say (a store much
 * slower than measured) may still lose its unit once; that read's time is
 * kept even then, and the next read of the unit here is renewed for it.
 */

int
signer_lease_read_start(struct signer *sg, const struct signer_issuer *is, int shard,
    int delta, const struct crl_record *prev, int64_t *started, struct err *e)
{
	int64_t secs = sg->conf->signer_lease, expect = 0, live, now = signer_now(sg), need;
	int64_t entries = prev != NULL ? (int64_t)(prev->der_len / SIGNER_CRL_ENTRY_BYTES) : 0;

	if (is->units != NULL && shard >= 0 && shard <= is->crl_shards)
		expect = is->units[shard].read_secs[delta != 0];
	if (is->crl_new != NULL && shard >= 0 && shard <= is->crl_shards &&
	    is->crl_new[shard] > entries)
		entries = is->crl_new[shard];
	if (entries / sg->lease.read_rate > expect)
		expect = entries / sg->lease.read_rate;
	if (expect > SIGNER_CRL_READ_MAX)
		expect = SIGNER_CRL_READ_MAX;
	need = 2 * expect + secs < SIGNER_CRL_READ_MAX ? 2 * expect + secs : SIGNER_CRL_READ_MAX;
	*started = now;
	/* Renewed a third of a lease ago at most, twice a read of under a third is covered. */
	if (3 * expect < secs || need <= secs)
		return signer_lease_tick(sg, now, e);
	if (store_lease_renew(sg->store, sg->lease.holder, now, need, &live, e) != 0)
		return err_prefix(e, "the signer's leases");
	sg->lease.tick_at = 0; /* the next tick brings them back to [signer] lease */
	return 0;
}

void
signer_lease_read_end(struct signer *sg, struct signer_issuer *is, int shard, int delta,
    int64_t started)
{
	int64_t took = signer_now(sg) - started;

	if (is->units != NULL && shard >= 0 && shard <= is->crl_shards)
		is->units[shard].read_secs[delta != 0] = took > 0 ? took : 0;
}

/*
 * In a long batch (a slow HSM: 4096 signatures may outlast a lease) the
 * leases are renewed as it goes.  Never inside a read or a transaction of
 * sg->store: the renewal would only commit at its end (SQLite commits an
 * implicit transaction when its last statement ends; PostgreSQL walks
 * inside one); a CRL's read is renewed for before it starts (above).
 */
int
signer_lease_keep(struct signer *sg, size_t every, struct err *e)
{
	if (++sg->lease.kept < every)
		return 0;
	sg->lease.kept = 0;
	return signer_lease_tick(sg, signer_now(sg), e);
}

static int
fenced(void *arg, int64_t issuer_id, int shard)
{
	struct signer_issuer *is = signer_issuer_by_id(arg, issuer_id);

	if (is != NULL && is->units != NULL && shard >= 0 && shard <= is->crl_shards)
		is->units[shard].fenced = 1;
	return 0;
}

int
signer_lease_fence(struct signer *sg, struct err *e)
{
	size_t lost = 0;

	for (size_t i = 0; i < sg->nissuers; i++)
		for (int sh = 0; sg->issuers[i].units != NULL && sh <= sg->issuers[i].crl_shards; sh++)
			sg->issuers[i].units[sh].fenced = 0;
	if (store_lease_fence(sg->store, sg->lease.holder, fenced, sg, e) != 0)
		return -1;
	for (size_t i = 0; i < sg->nissuers; i++) {
		struct signer_issuer *is = &sg->issuers[i];
		for (int sh = 0; is->units != NULL && sh <= is->crl_shards; sh++) {
			if (is->units[sh].held && !is->units[sh].fenced) {
				is->units[sh].held = 0; /* taken by another: dropped */
				lost++;
			}
		}
	}
	if (lost > 0) {
		sg->lease.held -= lost < sg->lease.held ? lost : sg->lease.held;
		sg->lease.look = 1; /* look again at the next pass */
	}
	return 0;
}

void
signer_lease_scan_start(struct signer *sg)
{
	struct store_cursor low = {{0}};
	int any = 0;

	if (!sg->lease.rescan && !sg->lease.resume)
		return;
	for (size_t i = 0; i < sg->nissuers; i++) {
		struct signer_issuer *is = &sg->issuers[i];
		for (int sh = 0; is->units != NULL && sh <= is->crl_shards; sh++) {
			const struct store_signed_upto *u = &is->units[sh].upto;
			struct store_cursor at = u->issuer_seq == sg->issuer_seq ? u->at
										 : (struct store_cursor){{0}};
			if (!is->units[sh].held)
				continue;
			if (!any || store_cursor_before(&at, &low))
				low = at;
			any = 1;
		}
	}
	/* After a reload, from the units' marks: the store's single mark is only kept by a
	 * signer alone with every issuer, and older than them with several. */
	if (any && (sg->lease.resume || store_cursor_before(&low, &sg->seen)))
		sg->seen = low;
	sg->lease.rescan = sg->lease.resume = 0;
}

int
signer_lease_marks(struct signer *sg, struct err *e)
{
	const struct store_signed_upto u = {sg->issuer_seq, sg->seen};

	for (size_t i = 0; i < sg->nissuers; i++) {
		struct signer_issuer *is = &sg->issuers[i];
		int any = 0;
		for (int sh = 0; is->units != NULL && sh <= is->crl_shards; sh++) {
			if (is->units[sh].held)
				is->units[sh].upto = u;
			any |= is->units[sh].held;
		}
		if (any && !is->broken && store_lease_mark(sg->store, sg->lease.holder, is->id, &u, e) != 0)
			return -1;
	}
	if (sg->lease.live > 1 || sg->lease.held < sg->lease.wanted || sg->ndown > 0)
		return 0; /* the single mark says "all signed": only a signer alone may set it */
	return store_signed_upto_set(sg->store, &u, e);
}

void
signer_lease_release(struct signer *sg)
{
	int64_t deadline = 0;
	struct err e;

	if (sg->store == NULL || sg->lease.holder[0] == '\0')
		return;
	signer_hooks_wait(sg, 0, 0, &deadline); /* its CRL hooks, before another's (hook.c) */
	(void)store_lease_release(sg->store, sg->lease.holder, 0, 0, &e);
}
