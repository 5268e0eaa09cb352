/*
 * snapshot.h - everything the public server serves, as one immutable object.
 *
 * A snapshot holds the OCSP responses (a large base index plus a small index
 * of what changed since the base was built, see ocsp_view) and each issuer's
 * certificate in DER and PEM.  Snapshots are never modified: the server
 * builds a new one beside the current one and swaps a pointer, so requests
 * never wait for a reload and never see half of one.
 *
 * The base index is the expensive part (millions of responses), so a new
 * snapshot normally shares its predecessor's base and only rebuilds the
 * recent layer; the base is rebuilt when issuers change, when the recent
 * layer grows past SNAPSHOT_RECENT_MAX, or every SNAPSHOT_BASE_MAX_AGE (which
 * also drops responses the signer purged).  The issuers and CRLs (the
 * catalog) are shared the same way while meta issuer_seq and crl_seq stay
 * put: CRLs can be tens of megabytes, and a reload follows every signer pass
 * that wrote a response.
 *
 * Loading a base takes time in proportion to the store (1.5 s at 1M
 * responses, 23 s at 10M), so the server builds it apart
 * (snapshot_base_load, on a thread of its own) and snapshot_update_ex with
 * defer_base never loads one: it says when one is due (want_base) and takes
 * a finished one (fresh).  Until the first arrives a snapshot is partial:
 * its base is empty (it knows the issuers only), and a request its view
 * misses is looked up in the store (server/lookup.h).  The recent layer
 * keeps taking the changes meanwhile, so nothing a lookup missed is older
 * than what the view holds.
 */
#ifndef LANCRE_SERVER_SNAPSHOT_H
#define LANCRE_SERVER_SNAPSHOT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "conf/conf.h"
#include "server/about.h"
#include "ocsp/answer.h"
#include "ocsp/cache.h"
#include "store/store.h"
#include "util/err.h"

#define SNAPSHOT_RECENT_MAX 100000
#define SNAPSHOT_BASE_MAX_AGE 3600
/*
 * Health.  A response or CRL dated more than SNAPSHOT_CLOCK_SKEW ahead of
 * the clock was signed while the signer's clock ran ahead (clients reject
 * it: "not yet valid"); the signer re-signs it at once, and the server then
 * rebuilds its base (at most every SNAPSHOT_FUTURE_RECHECK seconds), which
 * drops the future-dated copies an index keeps counting until rebuilt.
 */
#define SNAPSHOT_CLOCK_SKEW 60
#define SNAPSHOT_FUTURE_RECHECK 5

struct snapshot_issuer {
	char name[STORE_ISSUER_NAME_MAX + 1];
	uint8_t *der;
	size_t der_len;
	char *pem;
	size_t pem_len;
	uint64_t etag;
	int64_t last_modified; /* the certificate's notBefore */
	int64_t id;
	int crl_shards;
	X509 *cert; /* to verify its CRLs and responses with (server/verify.h) */
};

struct snapshot_crl {
	const struct snapshot_issuer *issuer;
	int shard; /* 0: full CRL */
	uint8_t *der;
	size_t der_len;
	int64_t this_update, next_update;
	uint64_t etag;
};

struct shared_index {
	struct ocsp_index *ix;
	atomic_int refs;
};

/* The issuers and their CRLs, as of meta issuer_seq and crl_seq. */
struct shared_catalog {
	struct snapshot_issuer *issuers;
	size_t nissuers;
	struct snapshot_crl *crls; /* each points at one of issuers */
	size_t ncrls;
	uint64_t crl_bad; /* CRLs whose signature failed at this load (verify.h) */
	atomic_int refs;
};

struct snapshot {
	struct conf conf; /* the settings requests are answered with (SIGHUP replaces them) */
	struct shared_index *base;
	/*
	 * The recent layer, shared with the snapshots before and after this one
	 * while the base stays (each reload adds what was written since to it:
	 * ocsp/index.h), or NULL; recent is its index.
	 */
	struct shared_index *layer;
	struct ocsp_index *recent;
	struct ocsp_view view;
	struct shared_catalog *catalog;
	struct about_pages *about; /* built with this snapshot (about.h), never NULL */
	int64_t base_seq;   /* responses with seq <= base_seq are in the base */
	/*
	 * The view is not every stored response (its base is not loaded yet): a
	 * request it misses (ocsp_answer_der_miss) is asked of the store.
	 */
	int partial;
	/*
	 * Bounded ([server] cache): the cache the change feed tells; its newest
	 * thisUpdate and nextUpdate count as the view's (snapshot_unhealthy).
	 */
	struct ocsp_cache *cache;
	int64_t base_built; /* when (seconds) */
	int64_t ocsp_seq, issuer_seq, crl_seq;
	/*
	 * Signature checks since the server started (verify.h): CRLs that failed
	 * (the previous good copy, or none, is served instead), OCSP responses
	 * checked and failed (left out).
	 */
	uint64_t crl_bad_total, ocsp_checked_total, ocsp_bad_total;
	/*
	 * Whether the signer can sign for each issuer of the catalog (same
	 * index): 1, 0, or -1 if it never said (store_key_state_get); its
	 * refusals to sign, by reason (store_refusals_get); key_seq: the store's
	 * counter of changes to either when read.
	 */
	int *key_ok;
	int64_t refusals[STORE_REFUSED_COUNT];
	int64_t key_seq;
};

/*
 * The next snapshot after prev (NULL: the first), or prev itself when neither
 * the store nor the settings c changed (*changed = 0).  now drives the base's
 * age.  The about pages are built with each snapshot, with the templates in
 * dir (so an operator's new text shows after the next change or SIGHUP).
 */
struct snapshot *snapshot_update(struct store *s, struct snapshot *prev, const struct conf *c,
    const char *dir, int64_t now, int *changed, struct err *e);

/* A base index loaded apart from the snapshots (snapshot_base_load). */
struct snapshot_base {
	struct shared_index *base; /* one reference */
	int64_t seq;               /* every response with seq <= seq is in it */
	int64_t built;             /* when (seconds) */
	uint64_t checked, bad;     /* signatures checked, and failed (left out) */
};

/*
 * Load every stored response into a new base, checking a sample of
 * signatures against cat's issuers (verify.h), at now.  Takes as long as
 * the store is large: for a thread of its own, with its own store handle.
 * *cancel (may be NULL) becoming non-zero stops it (NULL, "stopped").
 */
struct snapshot_base *snapshot_base_load(struct store *s, const struct shared_catalog *cat,
    int64_t now, const atomic_int *cancel, struct err *e);
void snapshot_base_free(struct snapshot_base *b); /* accepts NULL; drops the base's reference */

/* How snapshot_update_ex goes about the base (snapshot.h's top). */
struct snapshot_how {
	int defer_base; /* never load a base here: a first snapshot is partial */
	int force;      /* a new snapshot, catalog and about pages read again (SIGHUP) */
	struct snapshot_base *fresh; /* a base loaded apart, to serve from now on; taken over */
	/*
	 * Bounded ([server] cache): no base is ever loaded and there is no
	 * recent layer; every snapshot is partial (its base knows the issuers
	 * only), and the responses written since the previous one go to this
	 * cache (ocsp_cache_update) instead, so that it holds nothing stale.
	 */
	struct ocsp_cache *cache;
	/*
	 * The recent layer's bound (0: SNAPSHOT_RECENT_MAX; tests set less):
	 * past it a base is due, and a partial snapshot's layer is dropped
	 * rather than grown on (its misses are looked up).
	 */
	size_t recent_max;
	int want_base; /* set: a base is due (none yet, issuers changed, too old, stale) */
};

/*
 * snapshot_update, the base as how says (how NULL: snapshot_update).  With
 * defer_base a snapshot's base is prev's, or how->fresh, or (the first)
 * an empty one; never loaded here.  how->fresh is taken over (NULL after)
 * when a snapshot is returned; on error it is left in how->fresh, for the
 * caller to pass again (a store blip must not lose a long load).
 */
struct snapshot *snapshot_update_ex(struct store *s, struct snapshot *prev, const struct conf *c,
    const char *dir, int64_t now, struct snapshot_how *how, int *changed, struct err *e);

void snapshot_free(struct snapshot *snap); /* accepts NULL; drops its base and catalog references */

/*
 * One more reference on c, from any thread, so that its bytes outlive the
 * snapshot that holds it: a response body still being written holds one
 * (server/body.h).  Each hold is dropped by one snapshot_catalog_release(),
 * from any thread; the last frees the catalog.  release accepts NULL.
 */
void snapshot_catalog_hold(struct shared_catalog *c);
void snapshot_catalog_release(struct shared_catalog *c);

/*
 * NULL when snap is fit to serve at now; else why not (for /healthz): it
 * holds a response or CRL dated in the future, or every response it holds is
 * past its nextUpdate (it could only answer tryLater).
 */
const char *snapshot_unhealthy(const struct snapshot *snap, int64_t now);

const struct snapshot_issuer *snapshot_issuer(const struct snapshot *snap, const char *name);

/* The CRL of issuer name, shard (0: full), or NULL. */
const struct snapshot_crl *snapshot_crl(const struct snapshot *snap, const char *name, int shard);

#endif
