/*
 * intake.c - see intake.h.
 *
 * A batch holds copies of its certificates' DER in one arena, so that the
 * input buffer (a PEM decode buffer, reused per certificate) can move on.
 * Checking is spread over threads through one atomic counter; each worker
 * writes only the results of the items it took.
 *
 * Pipeline: two batches alternate.  When the filling batch is full, worker
 * threads start checking it while this thread writes the previously checked
 * batch to the store (SQLite inserts take about a tenth of the CPU of
 * signature checks, and would otherwise leave the other cores idle); then
 * the roles swap.  Refusals are reported when their batch is written, in
 * input order.
 */
#include "intake/intake.h"

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "pki/cert.h"
#include "pki/certparse.h"
#include "pki/precert.h"
#include "pki/sigverify.h"
#include "pki/serial.h"
#include "pki/urls.h"
#include "intake/urlcheck.h"
#include "store/audit.h"

struct intake_batch {
	struct intake_item *items;
	size_t nitems;
	uint8_t *arena; /* DER bytes of the items */
	size_t arena_len, arena_cap;
};

struct intake_item {
	const char *source;
	size_t index;
	size_t der_off, der_len;
	int ok;
	int unread; /* the reader could not frame it: why is already set */
	int added;  /* written as a new certificate (not already present) */
	int foreign; /* names URLs lancre does not serve (why says which): warn */
	int completed; /* completed a precertificate's record (replaced: its fingerprint) */
	uint8_t replaced[STORE_FINGERPRINT_LEN];
	struct cert_record rec;
	char why[ERR_MSG_MAX];
};

/* Workers take items from a shared counter (certificates differ in cost: RSA vs ECDSA). */
struct worker {
	struct intake *in;
	struct intake_batch *b;
	atomic_size_t *next;
	struct sigverify *sv; /* the caller's (in->sv), on the calling thread; NULL: its own */
};

void
intake_init(struct intake *in)
{
	memset(in, 0, sizeof(*in));
	in->threads = 1;
	in->batch = INTAKE_BATCH_DEFAULT;
}

void
intake_free(struct intake *in)
{
	for (int i = 0; i < 2; i++) {
		if (in->buf[i] != NULL) {
			free(in->buf[i]->items);
			free(in->buf[i]->arena);
			free(in->buf[i]);
		}
		in->buf[i] = NULL;
	}
	in->filling = in->checked = NULL;
}

static void
reject(struct intake *in, const char *source, size_t index, const char *why)
{
	in->rejected++;
	if (in->on_reject != NULL)
		in->on_reject(in->arg, source, index, why);
}

static void
reject_item(struct intake_item *it, const struct err *e)
{
	ERR_clear_error();
	memcpy(it->why, e->msg, sizeof(it->why));
	it->ok = 0;
}

/* A retired issuer issues nothing more: a certificate of its is a mistake (issuer_manage.h). */
static int
check_retired(const struct issuer *is, struct err *e)
{
	if (is->rec.retired_at == 0)
		return 0;
	return err_set(e, "its issuer %s is retired (`lancre issuer retire`): no new certificates",
	    is->rec.name);
}

/*
 * A certificate naming a URL lancre does not serve for its issuer
 * (urlcheck.h): with allow_foreign_urls, recorded and warned about (1);
 * otherwise refused (0).
 */
static int
foreign_ok(const struct intake *in, struct intake_item *it, const struct err *e)
{
	if (!in->allow_foreign_urls)
		return 0;
	it->foreign = 1;
	memcpy(it->why, e->msg, sizeof(it->why));
	return 1;
}

static void
set_shard(const struct intake *in, const struct issuer *is, int shard, struct intake_item *it)
{
	it->rec.issuer_id = is->rec.id;
	it->rec.added_at = in->now;
	it->rec.shard = shard ? shard
			      : serial_shard(it->rec.serial, it->rec.serial_len, is->rec.crl_shards);
	it->ok = 1;
}

/*
 * The fast path (certparse.h): 1 done (accepted or refused), 0 not handled
 * here (an unusual encoding, or an issuer name that is not byte-identical).
 */
static int
check_fast(struct intake *in, const struct intake_batch *b, struct intake_item *it,
    struct sigverify *sv)
{
	const uint8_t *der = b->arena + it->der_off;
	const struct issuer *is;
	struct cert_parsed c;
	struct err e;
	int rc;

	if (sv == NULL || certparse(der, it->der_len, &c) != 0 || c.serial_len > STORE_SERIAL_MAX)
		return 0;
	if (c.is_ca)
		return 0; /* CA certificates are few: the full parse's checks (check_ca()) */
	if (c.precert)
		return 0; /* precertificates: the full parse checks the poison, hashes the TBS */
	rc = issuer_set_match_parsed(in->issuers, &c, sv, &is, &e);
	if (rc == -2)
		return 0;
	if (rc == 0)
		rc = check_retired(is, &e);
	if (rc != 0 || c.not_after < c.not_before ||
	    sigverify_sha256(sv, der, it->der_len, it->rec.fingerprint) != 0 ||
	    sigverify_sha256(sv, c.spki, c.spki_len, it->rec.spki_sha256) != 0) {
		if (rc == 0)
			err_set(&e, "notAfter is before notBefore");
		reject_item(it, &e);
		return 1;
	}
	memcpy(it->rec.serial, c.serial, c.serial_len);
	it->rec.serial_len = c.serial_len;
	it->rec.not_before = c.not_before;
	it->rec.not_after = c.not_after;
	it->rec.has_spki = 1;
	it->rec.status = CERT_GOOD;
	if (urlcheck_der(in->conf, &is->rec, c.crldp, c.crldp_len, c.aia, c.aia_len, &e) != 0 &&
	    !foreign_ok(in, it, &e)) {
		reject_item(it, &e);
		return 1;
	}
	set_shard(in, is,
	    urls_shard_from_crldp_der(in->conf, is->rec.name, is->rec.crl_shards, c.crldp,
		c.crldp_len),
	    it);
	return 1;
}

/*
 * A CA certificate is recorded when a registered issuer issued it (a root
 * tracks its intermediates: their revocations go into its ARL, cACompromise
 * allowed).  A self-issued one is an issuer itself, given to the wrong
 * command; one of an unknown issuer most likely too.
 */
static int
check_ca(const struct intake *in, X509 *x, struct err *e)
{
	const struct issuer *is;

	if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0)
		return err_set(e, "is a CA certificate, self-issued: register issuers with "
				  "`lancre issuer add`");
	if (issuer_set_match(in->issuers, x, &is, e) != 0)
		return err_set(e, "is a CA certificate not issued by a registered issuer: register "
				  "issuers with `lancre issuer add`, its issuer too to track it");
	return 0;
}

/* Everything about one certificate that needs no store: parse, classify, match. */
static void
check_item(struct intake *in, const struct intake_batch *b, struct intake_item *it,
    struct sigverify *sv)
{
	const uint8_t *der = b->arena + it->der_off, *p = der;
	const struct issuer *is;
	struct err e;
	int pre;
	X509 *x;

	memset(&it->rec, 0, sizeof(it->rec));
	it->foreign = 0;
	if (it->unread)
		return;
	if (check_fast(in, b, it, sv))
		return;
	/* The full OpenSSL parse: slower, but takes every certificate OpenSSL takes. */
	x = d2i_X509(NULL, &p, (long)it->der_len);
	if (x == NULL || p != der + it->der_len) {
		err_ossl(&e, "not a valid X.509 certificate");
		goto bad;
	}
	if ((pre = precert_poisoned(x, &e)) < 0)
		goto bad;
	if (cert_is_ca(x) && check_ca(in, x, &e) != 0)
		goto bad;
	if (issuer_set_match(in->issuers, x, &is, &e) != 0) {
		if (pre) /* precert.h: why this one is not supported */
			err_set(&e, "%.200s: a precertificate is recorded when its issuer signed it "
				    "itself (one signed by a precertificate signing certificate, RFC "
				    "6962 3.1, is not supported: record the final certificate)", e.msg);
		goto bad;
	}
	if (check_retired(is, &e) != 0)
		goto bad;
	if (cert_record_from_x509(x, der, it->der_len, &it->rec, &e) != 0)
		goto bad;
	it->rec.is_ca = cert_is_ca(x);
	if (pre) {
		if (precert_tbs_sha256(x, it->rec.precert_tbs, &e) != 0)
			goto bad;
		it->rec.precert = 1;
		it->rec.has_precert_tbs = 1;
	}
	if (urlcheck_x509(in->conf, &is->rec, x, &e) != 0 && !foreign_ok(in, it, &e))
		goto bad;
	set_shard(in, is, urls_shard_from_crldp(in->conf, is->rec.name, is->rec.crl_shards, x), it);
	X509_free(x);
	return;
bad:
	X509_free(x);
	reject_item(it, &e);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	/* NULL: every item takes the slow path */
	struct sigverify *own = w->sv == NULL ? sigverify_new() : NULL;
	struct sigverify *sv = w->sv != NULL ? w->sv : own;

	for (size_t i; (i = atomic_fetch_add(w->next, 1)) < w->b->nitems;)
		check_item(w->in, w->b, &w->b->items[i], sv);
	sigverify_free(own);
	ERR_clear_error();
	return NULL;
}

/* Checking in progress on worker threads. */
struct checking {
	struct worker w[INTAKE_THREADS_MAX];
	pthread_t tid[INTAKE_THREADS_MAX];
	int started;
	atomic_size_t next;
};

/*
 * Start checking b on threads workers (at most INTAKE_THREADS_MAX); with
 * none asked (0) or none started, check it here, before returning.
 */
static void
check_start(struct intake *in, struct intake_batch *b, struct checking *c, int threads)
{
	int n = threads > INTAKE_THREADS_MAX ? INTAKE_THREADS_MAX : threads;

	atomic_init(&c->next, 0);
	c->started = 0;
	for (int t = 0; t < n; t++) {
		c->w[t] = (struct worker){in, b, &c->next, NULL};
		if (pthread_create(&c->tid[t], NULL, worker_main, &c->w[t]) != 0)
			break;
		c->started++;
	}
	if (c->started == 0) {
		c->w[0] = (struct worker){in, b, &c->next, in->sv};
		worker_main(&c->w[0]);
	}
}

static void
check_wait(struct checking *c)
{
	for (int t = 0; t < c->started; t++)
		pthread_join(c->tid[t], NULL);
}

/*
 * The batch's certificates to the store in one call (store_cert_insert_many:
 * a backend with a round trip per statement sends them together), in input
 * order, into res[] beside each item's record; items not ok are left out.
 */
static int
insert_batch(struct intake *in, struct intake_batch *b, enum store_insert_result *res,
    struct err *e)
{
	struct cert_record **recs = malloc((b->nitems > 0 ? b->nitems : 1) * sizeof(*recs));
	enum store_insert_result *got = malloc((b->nitems > 0 ? b->nitems : 1) * sizeof(*got));
	size_t n = 0;
	int rc;

	if (recs == NULL || got == NULL) {
		free(recs);
		free(got);
		return err_set(e, "out of memory");
	}
	for (size_t i = 0; i < b->nitems; i++)
		if (b->items[i].ok)
			recs[n++] = &b->items[i].rec;
	rc = store_cert_insert_many(in->store, recs, n, got, e);
	for (size_t i = 0, k = 0; rc == 0 && i < b->nitems; i++)
		if (b->items[i].ok)
			res[i] = got[k++];
	free(recs);
	free(got);
	return rc;
}

/*
 * The detail of an audit row of intake (JSON): "cert.add" (replaced NULL)
 * {"sha256": the certificate's, "precert": true for a precertificate};
 * "cert.complete" {"sha256": the final certificate's, "precert_sha256":
 * replaced, the precertificate's}.
 */
#define INTAKE_DETAIL_MAX 192
static void
intake_detail(const struct cert_record *r, const uint8_t *replaced, char out[INTAKE_DETAIL_MAX])
{
	char fp[2 * STORE_FINGERPRINT_LEN + 1], old[2 * STORE_FINGERPRINT_LEN + 1];

	serial_to_hex(r->fingerprint, STORE_FINGERPRINT_LEN, fp, sizeof(fp));
	if (replaced != NULL) {
		serial_to_hex(replaced, STORE_FINGERPRINT_LEN, old, sizeof(old));
		snprintf(out, INTAKE_DETAIL_MAX, "{\"sha256\":\"%s\",\"precert_sha256\":\"%s\"}", fp,
		    old);
	} else {
		snprintf(out, INTAKE_DETAIL_MAX, "{\"sha256\":\"%s\"%s}", fp,
		    r->precert ? ",\"precert\":true" : "");
	}
}

/* How a certificate whose serial is recorded for another one fares (resolve_conflict). */
enum conflict {
	CONFLICT_REFUSED,
	CONFLICT_SAME,      /* a precertificate of the recorded certificate: nothing to do */
	CONFLICT_COMPLETED, /* the final certificate of the recorded precertificate */
};

/*
 * rec (its DER: der) has an issuer and serial recorded for another
 * certificate: the final certificate of a recorded precertificate completes
 * the record (the row keeps its status: a revoked precertificate's serial
 * stays revoked), a precertificate of the recorded certificate changes
 * nothing, anything else is refused, why says why (precert.h decides).  On
 * CONFLICT_SAME and CONFLICT_COMPLETED *rec becomes the row as it is now,
 * replaced the precertificate's fingerprint.  -1 only when the store fails.
 */
static int
resolve_conflict(struct intake *in, const uint8_t *der, size_t len, struct cert_record *rec,
    enum conflict *res, uint8_t replaced[STORE_FINGERPRINT_LEN], char why[ERR_MSG_MAX],
    struct err *e)
{
	struct precert_facts was, now;
	struct cert_record old;
	char serial[SERIAL_HEX_MAX];
	struct err pe;
	int rc;

	*res = CONFLICT_REFUSED;
	serial_to_hex(rec->serial, rec->serial_len, serial, sizeof(serial));
	if ((rc = store_cert_get(in->store, rec->issuer_id, rec->serial, rec->serial_len, &old,
		 e)) <= 0)
		return rc < 0 ? -1 : err_set(e, "store: serial %s vanished while it was added", serial);
	was = (struct precert_facts){.precert = old.precert, .has_tbs = old.has_precert_tbs};
	memcpy(was.tbs, old.precert_tbs, PRECERT_TBS_LEN);
	/* A final certificate's hash is needed only here, where a precertificate is recorded. */
	if (!rec->has_precert_tbs && old.precert) {
		if (precert_tbs_sha256_der(der, len, rec->precert_tbs, &pe) != 0) {
			ERR_clear_error();
			snprintf(why, ERR_MSG_MAX, "%s", pe.msg);
			return 0;
		}
		rec->has_precert_tbs = 1;
	}
	now = (struct precert_facts){.precert = rec->precert, .has_tbs = rec->has_precert_tbs};
	memcpy(now.tbs, rec->precert_tbs, PRECERT_TBS_LEN);
	switch (precert_decide(&was, &now)) {
	case PRECERT_SAME:
		*rec = old;
		*res = CONFLICT_SAME;
		return 0;
	case PRECERT_COMPLETES:
		if (store_cert_complete(in->store, old.id, rec->fingerprint, e) != 0)
			return -1;
		memcpy(replaced, old.fingerprint, STORE_FINGERPRINT_LEN);
		memcpy(old.fingerprint, rec->fingerprint, STORE_FINGERPRINT_LEN);
		old.precert = 0;
		*rec = old;
		*res = CONFLICT_COMPLETED;
		return 0;
	case PRECERT_DIFFERENT:
		break;
	}
	if (old.precert && !rec->precert)
		snprintf(why, ERR_MSG_MAX, "serial %s is recorded for a precertificate that this "
		    "certificate does not match (RFC 6962 3.1: the same TBSCertificate but for the "
		    "poison and SCT list extensions): refused", serial);
	else if (old.precert)
		snprintf(why, ERR_MSG_MAX, "serial %s is already recorded for a different "
		    "precertificate of the same issuer", serial);
	else if (rec->precert)
		snprintf(why, ERR_MSG_MAX, "a precertificate that does not match the certificate "
		    "recorded for serial %s", serial);
	else
		snprintf(why, ERR_MSG_MAX, "serial %s is already recorded for a different "
		    "certificate of the same issuer", serial);
	return 0;
}

/*
 * The audit rows of the batch's added certificates (in->actor set), in the
 * batch's transaction: one append for them all (store_audit_append_many).
 */
static int
audit_batch(struct intake *in, const struct intake_batch *b, struct err *e)
{
	struct audit_event *ev;
	char (*detail)[INTAKE_DETAIL_MAX];
	size_t n = 0;
	int rc;

	if (in->actor == NULL)
		return 0;
	for (size_t i = 0; i < b->nitems; i++)
		n += b->items[i].ok && (b->items[i].added || b->items[i].completed);
	if (n == 0)
		return 0;
	ev = malloc(n * sizeof(*ev));
	detail = malloc(n * sizeof(*detail));
	if (ev == NULL || detail == NULL) {
		free(ev);
		free(detail);
		return err_set(e, "out of memory");
	}
	n = 0;
	for (size_t i = 0; i < b->nitems; i++) {
		const struct intake_item *it = &b->items[i];
		if (!it->ok || (!it->added && !it->completed))
			continue;
		intake_detail(&it->rec, it->completed ? it->replaced : NULL, detail[n]);
		ev[n] = (struct audit_event){.at = in->now, .actor = in->actor,
		    .origin = in->origin != NULL ? in->origin : "",
		    .action = it->completed ? "cert.complete" : "cert.add",
		    .issuer_id = it->rec.issuer_id, .serial = it->rec.serial,
		    .serial_len = it->rec.serial_len, .detail = detail[n]};
		n++;
	}
	rc = store_audit_append_many(in->store, ev, n, e);
	free(ev);
	free(detail);
	return rc;
}

static int
write_batch(struct intake *in, struct intake_batch *b, struct err *e)
{
	enum store_insert_result res, *all;
	enum conflict c;
	size_t added = 0, present = 0, expired = 0, precerts = 0, completed = 0;

	all = malloc((b->nitems > 0 ? b->nitems : 1) * sizeof(*all));
	if (all == NULL)
		return err_set(e, "out of memory");
	if (store_begin(in->store, e) != 0) {
		free(all);
		return -1;
	}
	if (insert_batch(in, b, all, e) != 0) {
		store_rollback(in->store, NULL);
		free(all);
		return -1;
	}
	for (size_t i = 0; i < b->nitems; i++) {
		struct intake_item *it = &b->items[i];
		if (!it->ok)
			continue;
		res = all[i];
		it->added = res == STORE_INSERTED;
		it->completed = 0;
		c = CONFLICT_SAME;
		if (res == STORE_CONFLICT &&
		    resolve_conflict(in, b->arena + it->der_off, it->der_len, &it->rec, &c,
			it->replaced, it->why, e) != 0) {
			store_rollback(in->store, NULL);
			free(all);
			return -1;
		}
		if (res == STORE_INSERTED) {
			added++;
			precerts += it->rec.precert != 0;
			expired += it->rec.not_after <= in->now;
		} else if (c == CONFLICT_SAME) { /* the same again, or a known final's precertificate */
			present++;
			if (in->on_present != NULL)
				in->on_present(in->arg, it->source);
		} else if (c == CONFLICT_COMPLETED) {
			completed++;
			it->completed = 1;
		} else {
			it->ok = 0;
		}
	}
	free(all);
	if (audit_batch(in, b, e) != 0 || store_commit(in->store, e) != 0) {
		store_rollback(in->store, NULL);
		return -1;
	}
	in->added += added;
	in->present += present;
	in->expired += expired;
	in->precerts += precerts;
	in->completed += completed;
	/* Report refusals (and expired additions) in input order, once the batch is written. */
	for (size_t i = 0; i < b->nitems; i++) {
		const struct intake_item *it = &b->items[i];
		if (!it->ok) {
			reject(in, it->source, it->index, it->why);
			continue;
		}
		if (it->added && it->foreign && in->on_foreign != NULL)
			in->on_foreign(in->arg, it->source, it->index, it->why);
		if (it->added && it->rec.not_after <= in->now && in->on_expired != NULL)
			in->on_expired(in->arg, it->source, it->index, it->rec.not_after);
	}
	b->nitems = 0;
	b->arena_len = 0;
	return 0;
}

/* Write the checked batch, if any. */
static int
drain(struct intake *in, struct err *e)
{
	struct intake_batch *b = in->checked;

	in->checked = NULL;
	return b != NULL && b->nitems > 0 ? write_batch(in, b, e) : 0;
}

/* The filling batch is full: check it while writing the previous one, then swap. */
static int
advance(struct intake *in, struct err *e)
{
	struct checking c;
	struct intake_batch *full = in->filling;
	int rc;

	check_start(in, full, &c, in->threads < 1 ? 1 : in->threads);
	rc = drain(in, e);
	check_wait(&c);
	in->checked = full;
	in->filling = full == in->buf[0] ? in->buf[1] : in->buf[0];
	return rc;
}

int
intake_flush(struct intake *in, struct err *e)
{
	if (in->filling != NULL && in->filling->nitems > 0 && advance(in, e) != 0)
		return -1;
	return drain(in, e);
}

static int
batches_alloc(struct intake *in, struct err *e)
{
	for (int i = 0; i < 2; i++) {
		in->buf[i] = calloc(1, sizeof(*in->buf[i]));
		if (in->buf[i] == NULL ||
		    (in->buf[i]->items = calloc(in->batch, sizeof(struct intake_item))) == NULL)
			return err_set(e, "out of memory");
	}
	in->filling = in->buf[0];
	return 0;
}

static int
queue(struct intake *in, const char *source, size_t index, const uint8_t *der, size_t len,
    const char *unread, struct err *e)
{
	struct intake_batch *b;

	if (in->filling == NULL && batches_alloc(in, e) != 0)
		return -1;
	b = in->filling;
	if (b->arena_len + len > b->arena_cap) {
		size_t cap = b->arena_cap ? b->arena_cap * 2 : 1 << 20;
		while (cap < b->arena_len + len)
			cap *= 2;
		uint8_t *na = realloc(b->arena, cap);
		if (na == NULL)
			return err_set(e, "out of memory");
		b->arena = na;
		b->arena_cap = cap;
	}
	if (len > 0)
		memcpy(b->arena + b->arena_len, der, len);
	b->items[b->nitems] = (struct intake_item){
	    .source = source, .index = index, .der_off = b->arena_len, .der_len = len};
	if (unread != NULL) {
		b->items[b->nitems].unread = 1;
		snprintf(b->items[b->nitems].why, sizeof(b->items[b->nitems].why), "%s", unread);
	}
	b->arena_len += len;
	b->nitems++;
	if (b->nitems == in->batch)
		return advance(in, e);
	return 0;
}

int
intake_add(struct intake *in, const char *source, const uint8_t *data, size_t len,
    struct err *e)
{
	struct cert_reader r;
	const uint8_t *der = NULL;
	size_t dlen = 0;
	struct err why;
	int rc;

	/*
	 * A certificate the reader cannot frame goes into the batch too, already
	 * refused, so that it is reported in input order with the others and the
	 * reader goes on with the next one (cert.h says when it can).
	 */
	cert_reader_init(&r, data, len);
	if (!cert_reader_may_hold_certs(&r) && len > 0 && in->on_empty != NULL &&
	    in->on_empty(in->arg, source)) {
		in->skipped++;
		cert_reader_free(&r);
		return 0;
	}
	while ((rc = cert_reader_next(&r, &der, &dlen, &why)) != 0) {
		if (queue(in, source, r.index, rc == 1 ? der : NULL, rc == 1 ? dlen : 0,
			rc == 1 ? NULL : why.msg, e) != 0) {
			cert_reader_free(&r);
			return -1;
		}
		if (in->filling->nitems == 0 && in->on_progress != NULL)
			in->on_progress(in->arg, cert_reader_offset(&r));
	}
	if (r.index == 0) {
		if (in->on_empty != NULL && in->on_empty(in->arg, source))
			in->skipped++;
		else
			reject(in, source, 0, "no certificate found");
	}
	cert_reader_free(&r);
	return 0;
}

int
intake_record_one(struct intake *in, const uint8_t *der, size_t len, struct cert_record *out,
    struct err *e)
{
	/* A batch of one, read in place: check_item only reads the arena. */
	struct intake_item it = {.der_len = len};
	struct intake_batch b = {.items = &it, .nitems = 1, .arena = (uint8_t *)(uintptr_t)der};
	enum store_insert_result res;
	enum conflict c = CONFLICT_SAME;

	check_item(in, &b, &it, NULL);
	ERR_clear_error();
	if (!it.ok)
		return err_set(e, "%s", it.why);
	if (store_cert_insert(in->store, &it.rec, &res, e) != 0)
		return -1;
	if (res == STORE_CONFLICT) {
		if (resolve_conflict(in, der, len, &it.rec, &c, in->last_replaced, it.why, e) != 0)
			return -1;
		if (c == CONFLICT_REFUSED)
			return err_set(e, "%s", it.why);
	}
	in->last = res == STORE_INSERTED	  ? INTAKE_ADDED
		   : res == STORE_DUPLICATE	  ? INTAKE_PRESENT
		   : c == CONFLICT_COMPLETED ? INTAKE_COMPLETED
					     : INTAKE_PRESENT_FINAL;
	if (in->last == INTAKE_ADDED) {
		in->added++;
		in->precerts += it.rec.precert != 0;
	} else if (in->last == INTAKE_COMPLETED) {
		in->completed++;
	} else {
		in->present++;
	}
	if ((in->last == INTAKE_ADDED || in->last == INTAKE_COMPLETED) && in->actor != NULL) {
		char detail[INTAKE_DETAIL_MAX];
		int done = in->last == INTAKE_COMPLETED;
		struct audit_event ev = {.at = in->now, .actor = in->actor,
		    .origin = in->origin != NULL ? in->origin : "",
		    .action = done ? "cert.complete" : "cert.add", .issuer_id = it.rec.issuer_id,
		    .serial = it.rec.serial, .serial_len = it.rec.serial_len, .detail = detail};

		intake_detail(&it.rec, done ? in->last_replaced : NULL, detail);
		if (store_audit_append(in->store, &ev, e) != 0)
			return -1;
	}
	*out = it.rec;
	return 0;
}

/* Fewer certificates than this are checked on the calling thread: a thread costs more. */
#define INTAKE_MANY_THREADED 16
/*
 * A bundle is checked and written in chunks of this many, pipelined as
 * intake_add() pipelines its batches: the workers check chunk k+1 while this
 * thread inserts chunk k and appends its audit rows, so that the cores do not
 * sit idle during the writes (bundles of 1,000: four chunks).
 */
#define INTAKE_MANY_CHUNK 250

/*
 * Write the checked chunk v of intake_record_many (items base .. base +
 * v->nitems - 1 of its input) into the open transaction: as write_batch
 * writes a batch, but all or nothing: -1 at the first refused (*bad its
 * index) or when the store fails (*bad stays SIZE_MAX).
 */
static int
many_write(struct intake *in, struct intake_batch *v, size_t base, enum store_insert_result *res,
    struct cert_record *out, enum intake_result *result, size_t *bad, struct err *e)
{
	size_t i;

	for (i = 0; i < v->nitems; i++) {
		if (!v->items[i].ok) {
			*bad = base + i;
			return err_set(e, "%s", v->items[i].why);
		}
	}
	if (insert_batch(in, v, res, e) != 0)
		return -1;
	for (i = 0; i < v->nitems; i++) {
		struct intake_item *it = &v->items[i];
		if (res[i] == STORE_CONFLICT) {
			/*
			 * The same serial again, decided as write_batch decides it (a
			 * precertificate's final certificate completes its record); its
			 * "cert.complete" row goes with the batch's, in input order.
			 */
			enum conflict cf;

			if (resolve_conflict(in, v->arena + it->der_off, it->der_len, &it->rec, &cf,
				it->replaced, it->why, e) != 0)
				return -1;
			if (cf == CONFLICT_REFUSED) {
				*bad = base + i;
				return err_set(e, "%s", it->why);
			}
			it->completed = cf == CONFLICT_COMPLETED;
			in->completed += it->completed;
			in->present += !it->completed;
			if (result != NULL)
				result[base + i] = it->completed ? INTAKE_COMPLETED : INTAKE_PRESENT_FINAL;
			out[base + i] = it->rec;
			continue;
		}
		it->added = res[i] == STORE_INSERTED;
		in->added += it->added;
		in->precerts += it->added && it->rec.precert;
		in->present += !it->added;
		if (result != NULL)
			result[base + i] = it->added ? INTAKE_ADDED : INTAKE_PRESENT;
		out[base + i] = it->rec;
	}
	return audit_batch(in, v, e);
}

int
intake_record_many(struct intake *in, const uint8_t *const *der, const size_t *len, size_t n,
    struct cert_record *out, enum intake_result *result, size_t *bad, struct err *e)
{
	struct intake_batch b = {0}, chunk[2];
	enum store_insert_result *res = calloc(n > 0 ? n : 1, sizeof(*res));
	struct checking *c = malloc(sizeof(*c));
	size_t total = 0, i, at;
	int rc = -1, threads = in->threads > 1 && n >= INTAKE_MANY_THREADED ? in->threads : 0;
	/* The counts as they were: a refused bundle counts nothing (its chunks are rolled back). */
	size_t added = in->added, present = in->present, completed = in->completed,
	       precerts = in->precerts;

	*bad = SIZE_MAX;
	for (i = 0; i < n; i++)
		total += len[i];
	b.items = calloc(n > 0 ? n : 1, sizeof(*b.items));
	b.arena = malloc(total > 0 ? total : 1);
	if (res == NULL || c == NULL || b.items == NULL || b.arena == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		b.items[i] = (struct intake_item){.index = i + 1, .der_off = b.arena_len,
		    .der_len = len[i]};
		memcpy(b.arena + b.arena_len, der[i], len[i]);
		b.arena_len += len[i];
	}
	b.nitems = n;
	/*
	 * The expensive part (parsing, the signature) on the workers, as `cert add` does it
	 * (a few certificates here, with no thread to start); each chunk written while the
	 * next one is checked.  chunk[k % 2] views the items at, with b's arena.
	 */
	at = 0;
	chunk[0] = (struct intake_batch){.items = b.items, .arena = b.arena,
	    .nitems = n < INTAKE_MANY_CHUNK ? n : INTAKE_MANY_CHUNK};
	check_start(in, &chunk[0], c, threads);
	check_wait(c);
	for (int k = 0; at < n; k ^= 1) {
		struct intake_batch *v = &chunk[k], *next = &chunk[k ^ 1];
		size_t after = at + v->nitems;
		int checking = 0, wrc;

		if (after < n) {
			*next = (struct intake_batch){.items = b.items + after, .arena = b.arena,
			    .nitems = n - after < INTAKE_MANY_CHUNK ? n - after : INTAKE_MANY_CHUNK};
			check_start(in, next, c, threads);
			checking = 1;
		}
		wrc = many_write(in, v, at, res + at, out, result, bad, e);
		if (checking)
			check_wait(c);
		if (wrc != 0)
			goto out;
		at = after;
	}
	rc = 0;
out:
	if (rc != 0) {
		in->added = added;
		in->present = present;
		in->completed = completed;
		in->precerts = precerts;
	}
	free(b.items);
	free(b.arena);
	free(res);
	free(c);
	return rc;
}
