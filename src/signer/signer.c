/*
 * signer.c - see signer.h.
 */
#include "signer/signer_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>

#include "ocsp/sign.h"
#include "pki/issuer.h"
#include "signer/key.h"
#include "util/hash.h"

/* One certificate's responses: SHA-1 and (optionally) SHA-256. */
struct job {
	const struct cert_record *cert;
	const struct signer_issuer *issuer;
	int64_t this_update, next_update, due_at;
	unsigned char *der[2];
	size_t len[2];
	int failed;
	char why[ERR_MSG_MAX];
};

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
	free(is->crl_dirty);
	memset(is, 0, sizeof(*is));
}

static int
issuer_load(struct signer_issuer *is, const struct issuer *src, const struct conf *c,
    const char *dir, struct err *e)
{
	const unsigned char *p;

	is->id = src->rec.id;
	snprintf(is->name, sizeof(is->name), "%s", src->rec.name);
	is->cert = X509_dup(src->cert);
	if (is->cert == NULL)
		return err_ossl(e, "issuer %s", is->name);
	is->crl_shards = src->rec.crl_shards;
	is->key = key_load(src->rec.key_ref, c, dir, e);
	if (is->key == NULL)
		return err_prefix(e, "issuer %s", is->name);
	if (src->rec.ocsp_cert_der != NULL) {
		p = src->rec.ocsp_cert_der;
		is->responder = d2i_X509(NULL, &p, (long)src->rec.ocsp_cert_len);
		if (is->responder == NULL)
			return err_ossl(e, "issuer %s: the OCSP responder certificate", is->name);
		is->ocsp_key = key_load(src->rec.ocsp_key_ref, c, dir, e);
		if (is->ocsp_key == NULL)
			return err_prefix(e, "issuer %s: the OCSP responder", is->name);
	}
	is->sg.issuer = is->cert;
	is->sg.responder = is->responder != NULL ? is->responder : is->cert;
	is->sg.key = is->ocsp_key != NULL ? is->ocsp_key : is->key;
	is->sg.delegated = is->responder != NULL;
	return 0;
}

static void
issuers_clear(struct signer *sg)
{
	for (size_t i = 0; i < sg->nissuers; i++)
		issuer_clear(&sg->issuers[i]);
	free(sg->issuers);
	sg->issuers = NULL;
	sg->nissuers = 0;
}

/*
 * (Re)load every issuer that has a key.  After a reload the scan for changed
 * certificates starts over, so that certificates of an issuer added while the
 * signer ran are not skipped (the scan only returns unsigned ones).
 */
static int
issuers_load(struct signer *sg, struct err *e)
{
	struct issuer_set set = {0};
	int64_t seq;

	issuers_clear(sg);
	if (store_seq(sg->store, "issuer_seq", &seq, e) != 0 ||
	    issuer_set_load(sg->store, &set, e) != 0)
		return -1;
	sg->issuers = calloc(set.n ? set.n : 1, sizeof(*sg->issuers));
	if (sg->issuers == NULL) {
		issuer_set_free(&set);
		return err_set(e, "out of memory");
	}
	for (size_t i = 0; i < set.n; i++) {
		if (set.v[i].rec.key_ref[0] == '\0')
			continue; /* published only: nothing to sign */
		if (issuer_load(&sg->issuers[sg->nissuers], &set.v[i], sg->conf, sg->dir, e) != 0) {
			issuer_clear(&sg->issuers[sg->nissuers]);
			issuer_set_free(&set);
			return -1;
		}
		sg->nissuers++;
	}
	issuer_set_free(&set);
	sg->issuer_seq = seq;
	sg->seen_seq = sg->seen_id = 0;
	sg->crl_seen_seq = 0;
	return 0;
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
	sg->threads = threads < 1 ? 1 : threads > SIGNER_THREADS_MAX ? SIGNER_THREADS_MAX : threads;
	sg->work = calloc(SIGNER_BATCH, sizeof(*sg->work));
	sg->jobs = calloc(SIGNER_BATCH, sizeof(*sg->jobs));
	if (sg->work == NULL || sg->jobs == NULL) {
		err_set(e, "out of memory");
		signer_free(sg);
		return NULL;
	}
	if (issuers_load(sg, e) != 0) {
		signer_free(sg);
		return NULL;
	}
	return sg;
}

void
signer_free(struct signer *sg)
{
	if (sg == NULL)
		return;
	issuers_clear(sg);
	free(sg->work);
	free(sg->jobs);
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

static void
sign_job(struct job *j, EVP_MD_CTX *ctx, int sha256)
{
	static const enum ocsp_hash hashes[] = {OCSP_HASH_SHA1, OCSP_HASH_SHA256};
	struct ocsp_status st = {
	    .serial = j->cert->serial,
	    .serial_len = j->cert->serial_len,
	    .status = j->cert->status,
	    .revoked_at = j->cert->revoked_at,
	    .reason = j->cert->reason,
	    .this_update = j->this_update,
	    .next_update = j->next_update,
	};
	struct err e;

	for (int k = 0; k < 1 + (sha256 != 0); k++) {
		if (ocsp_sign(&j->issuer->sg, ctx, hashes[k], &st, &j->der[k], &j->len[k], &e)) {
			j->failed = 1;
			memcpy(j->why, e.msg, sizeof(j->why));
			return;
		}
	}
}

/* Workers take jobs from a shared counter: costs differ (RSA vs ECDSA), so no fixed split. */
struct worker {
	struct job *jobs;
	size_t n;
	atomic_size_t *next;
	int sha256;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	for (size_t i; (i = atomic_fetch_add(w->next, 1)) < w->n;) {
		if (ctx == NULL) {
			w->jobs[i].failed = 1;
			snprintf(w->jobs[i].why, sizeof(w->jobs[i].why), "out of memory");
			continue;
		}
		sign_job(&w->jobs[i], ctx, w->sha256);
	}
	EVP_MD_CTX_free(ctx);
	ERR_clear_error(); /* the error queue is per thread; leave it clean */
	return NULL;
}

static void
sign_all(struct signer *sg, size_t n)
{
	struct worker w[SIGNER_THREADS_MAX];
	pthread_t tid[SIGNER_THREADS_MAX];
	int t, nt = sg->threads, started = 1;
	atomic_size_t next = 0;

	if ((size_t)nt > n)
		nt = n > 0 ? (int)n : 1;
	for (t = 0; t < nt; t++)
		w[t] = (struct worker){sg->jobs, n, &next, sg->conf->ocsp_sha256};
	for (t = 1; t < nt; t++) {
		if (pthread_create(&tid[t], NULL, worker_main, &w[t]) != 0)
			break;
		started++;
	}
	worker_main(&w[0]);
	for (t = 1; t < started; t++)
		pthread_join(tid[t], NULL);
}

static int
write_all(struct signer *sg, size_t n, struct signer_stats *st, struct err *e)
{
	static const enum ocsp_hash hashes[] = {OCSP_HASH_SHA1, OCSP_HASH_SHA256};
	struct ocsp_record r;
	size_t responses = 0;

	if (store_begin(sg->store, e) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct job *j = &sg->jobs[i];
		if (j->failed) {
			store_rollback(sg->store, NULL);
			return err_set(e, "issuer %s: %s", j->issuer->name, j->why);
		}
		for (int k = 0; k < 2 && j->der[k] != NULL; k++) {
			r = (struct ocsp_record){.cert_id = j->cert->id, .issuer_id = j->cert->issuer_id,
			    .hash = hashes[k], .der = j->der[k], .der_len = j->len[k],
			    .this_update = j->this_update, .next_update = j->next_update,
			    .due_at = j->due_at, .cert_seq = j->cert->change_seq};
			if (store_ocsp_put(sg->store, &r, e) != 0) {
				store_rollback(sg->store, NULL);
				return -1;
			}
			responses++;
		}
	}
	if (store_commit(sg->store, e) != 0) {
		store_rollback(sg->store, NULL);
		return -1;
	}
	st->certs += n;
	st->responses += responses;
	return 0;
}

/* Sign and store the n certificates in sg->work. */
static int
sign_batch(struct signer *sg, size_t n, int64_t now, struct signer_stats *st, struct err *e)
{
	size_t m = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		const struct cert_record *c = &sg->work[i];
		const struct signer_issuer *is = signer_issuer_by_id(sg, c->issuer_id);
		if (is == NULL)
			continue; /* an issuer without a key, or added after we started */
		struct job *j = &sg->jobs[m++];
		memset(j, 0, sizeof(*j));
		j->cert = c;
		j->issuer = is;
		signer_times(sg->conf, c->serial, c->serial_len, now, &j->this_update,
		    &j->next_update, &j->due_at);
	}
	sign_all(sg, m);
	rc = write_all(sg, m, st, e);
	for (size_t i = 0; i < m; i++) {
		OPENSSL_free(sg->jobs[i].der[0]);
		OPENSSL_free(sg->jobs[i].der[1]);
	}
	return rc;
}

int
signer_pass(struct signer *sg, int64_t now, struct signer_stats *st, struct err *e)
{
	int64_t issuer_seq;
	size_t n;

	if (store_seq(sg->store, "issuer_seq", &issuer_seq, e) != 0)
		return -1;
	if (issuer_seq != sg->issuer_seq && issuers_load(sg, e) != 0)
		return -1;

	/* Changed certificates, page by page, in (change_seq, id) order. */
	do {
		if (store_certs_changed(sg->store, sg->seen_seq, sg->seen_id, now, sg->work,
			SIGNER_BATCH, &n, e) != 0)
			return -1;
		if (n == 0)
			break;
		if (sign_batch(sg, n, now, st, e) != 0)
			return -1;
		sg->seen_seq = sg->work[n - 1].change_seq;
		sg->seen_id = sg->work[n - 1].id;
	} while (n == SIGNER_BATCH);
	/* Responses due for refresh; each batch moves its due_at forward. */
	do {
		if (store_ocsp_due(sg->store, now, now, sg->work, SIGNER_BATCH, &n, e) != 0)
			return -1;
		if (n > 0 && sign_batch(sg, n, now, st, e) != 0)
			return -1;
	} while (n == SIGNER_BATCH);
	return signer_crl_pass(sg, now, st, e);
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
	*last_purge = now;
	return signer_purge(sg, now, st, e);
}

int
signer_loop(struct signer *sg, volatile sig_atomic_t *stop,
    void (*on_pass)(void *arg, const struct signer_stats *before,
	const struct signer_stats *after),
    void *arg, struct signer_stats *st, struct err *e)
{
	struct timespec poll = {0, SIGNER_POLL_MS * 1000000L};
	struct signer_stats before;
	int64_t last_purge = 0;

	while (!*stop) {
		before = *st;
		if (signer_step(sg, (int64_t)time(NULL), &last_purge, st, e) != 0)
			return -1;
		if (on_pass != NULL)
			on_pass(arg, &before, st);
		nanosleep(&poll, NULL);
	}
	return 0;
}
