/*
 * intake.c - see intake.h.
 *
 * A batch holds copies of its certificates' DER in one arena, so that the
 * input buffer (a PEM decode buffer, reused per certificate) can move on.
 * Checking is spread over threads through one atomic counter; each worker
 * writes only the results of the items it took.
 */
#include "intake/intake.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "pki/cert.h"
#include "pki/certparse.h"
#include "pki/sigverify.h"
#include "pki/serial.h"
#include "pki/urls.h"

struct intake_item {
	const char *source;
	size_t index;
	size_t der_off, der_len;
	int ok;
	struct cert_record rec;
	char why[ERR_MSG_MAX];
};

/* Workers take items from a shared counter (certificates differ in cost: RSA vs ECDSA). */
struct worker {
	struct intake *in;
	atomic_size_t *next;
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
	free(in->items);
	free(in->arena);
	in->items = NULL;
	in->arena = NULL;
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
check_fast(struct intake *in, struct intake_item *it, struct sigverify *sv)
{
	const uint8_t *der = in->arena + it->der_off;
	const struct issuer *is;
	struct cert_parsed c;
	struct err e;
	int rc;

	if (sv == NULL || certparse(der, it->der_len, &c) != 0 || c.serial_len > STORE_SERIAL_MAX)
		return 0;
	if (c.is_ca) {
		err_set(&e, "is a CA certificate; register issuers with `lancre issuer add`");
		reject_item(it, &e);
		return 1;
	}
	rc = issuer_set_match_parsed(in->issuers, &c, sv, &is, &e);
	if (rc == -2)
		return 0;
	if (rc != 0 || c.not_after < c.not_before ||
	    sigverify_sha256(sv, der, it->der_len, it->rec.fingerprint) != 0) {
		if (rc == 0)
			err_set(&e, "notAfter is before notBefore");
		reject_item(it, &e);
		return 1;
	}
	memcpy(it->rec.serial, c.serial, c.serial_len);
	it->rec.serial_len = c.serial_len;
	it->rec.not_before = c.not_before;
	it->rec.not_after = c.not_after;
	it->rec.status = CERT_GOOD;
	set_shard(in, is,
	    urls_shard_from_crldp_der(in->conf, is->rec.name, is->rec.crl_shards, c.crldp,
		c.crldp_len),
	    it);
	return 1;
}

/* Everything about one certificate that needs no store: parse, classify, match. */
static void
check_item(struct intake *in, struct intake_item *it, struct sigverify *sv)
{
	const uint8_t *der = in->arena + it->der_off, *p = der;
	const struct issuer *is;
	struct err e;
	X509 *x;

	memset(&it->rec, 0, sizeof(it->rec));
	if (check_fast(in, it, sv))
		return;
	/* The full OpenSSL parse: slower, but takes every certificate OpenSSL takes. */
	x = d2i_X509(NULL, &p, (long)it->der_len);
	if (x == NULL || p != der + it->der_len) {
		err_ossl(&e, "not a valid X.509 certificate");
		goto bad;
	}
	if (cert_is_ca(x)) {
		err_set(&e, "is a CA certificate; register issuers with `lancre issuer add`");
		goto bad;
	}
	if (issuer_set_match(in->issuers, x, &is, &e) != 0)
		goto bad;
	if (cert_record_from_x509(x, der, it->der_len, &it->rec, &e) != 0)
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
	struct sigverify *sv = sigverify_new(); /* NULL: every item takes the slow path */

	for (size_t i; (i = atomic_fetch_add(w->next, 1)) < w->in->nitems;)
		check_item(w->in, &w->in->items[i], sv);
	sigverify_free(sv);
	ERR_clear_error();
	return NULL;
}

static void
check_batch(struct intake *in)
{
	struct worker w[INTAKE_THREADS_MAX];
	pthread_t tid[INTAKE_THREADS_MAX];
	int n = in->threads, started = 1;
	atomic_size_t next = 0;

	if (n < 1)
		n = 1;
	if (n > INTAKE_THREADS_MAX)
		n = INTAKE_THREADS_MAX;
	if ((size_t)n > in->nitems)
		n = in->nitems > 0 ? (int)in->nitems : 1;
	for (int t = 0; t < n; t++)
		w[t] = (struct worker){in, &next};
	/* Workers 1..n-1 on threads; this thread does worker 0.  A failed start runs inline. */
	for (int t = 1; t < n; t++) {
		if (pthread_create(&tid[t], NULL, worker_main, &w[t]) != 0)
			break;
		started++;
	}
	worker_main(&w[0]); /* with the others, or alone if no thread could start */
	for (int t = 1; t < started; t++)
		pthread_join(tid[t], NULL);
}

static int
write_batch(struct intake *in, struct err *e)
{
	enum store_insert_result res;
	char serial[SERIAL_HEX_MAX], why[ERR_MSG_MAX];
	size_t added = 0, present = 0;

	if (store_begin(in->store, e) != 0)
		return -1;
	for (size_t i = 0; i < in->nitems; i++) {
		struct intake_item *it = &in->items[i];
		if (!it->ok)
			continue;
		if (store_cert_insert(in->store, &it->rec, &res, e) != 0) {
			store_rollback(in->store, NULL);
			return -1;
		}
		if (res == STORE_INSERTED) {
			added++;
		} else if (res == STORE_DUPLICATE) {
			present++;
			if (in->on_present != NULL)
				in->on_present(in->arg, it->source);
		} else {
			serial_to_hex(it->rec.serial, it->rec.serial_len, serial, sizeof(serial));
			snprintf(why, sizeof(why), "serial %s is already recorded for a different "
			    "certificate of the same issuer", serial);
			it->ok = 0;
			memcpy(it->why, why, sizeof(why));
		}
	}
	if (store_commit(in->store, e) != 0) {
		store_rollback(in->store, NULL);
		return -1;
	}
	in->added += added;
	in->present += present;
	return 0;
}

int
intake_flush(struct intake *in, struct err *e)
{
	int rc = 0;

	if (in->nitems == 0)
		return 0;
	check_batch(in);
	if (write_batch(in, e) != 0)
		rc = -1;
	/* Report refusals in input order, after the batch's fate is known. */
	for (size_t i = 0; rc == 0 && i < in->nitems; i++) {
		if (!in->items[i].ok)
			reject(in, in->items[i].source, in->items[i].index, in->items[i].why);
	}
	in->nitems = 0;
	in->arena_len = 0;
	return rc;
}

static int
queue(struct intake *in, const char *source, size_t index, const uint8_t *der, size_t len,
    struct err *e)
{
	if (in->items == NULL) {
		in->items = calloc(in->batch, sizeof(*in->items));
		if (in->items == NULL)
			return err_set(e, "out of memory");
	}
	if (in->arena_len + len > in->arena_cap) {
		size_t cap = in->arena_cap ? in->arena_cap * 2 : 1 << 20;
		while (cap < in->arena_len + len)
			cap *= 2;
		uint8_t *na = realloc(in->arena, cap);
		if (na == NULL)
			return err_set(e, "out of memory");
		in->arena = na;
		in->arena_cap = cap;
	}
	memcpy(in->arena + in->arena_len, der, len);
	in->items[in->nitems] = (struct intake_item){
	    .source = source, .index = index, .der_off = in->arena_len, .der_len = len};
	in->arena_len += len;
	in->nitems++;
	if (in->nitems == in->batch)
		return intake_flush(in, e);
	return 0;
}

int
intake_add(struct intake *in, const char *source, const uint8_t *data, size_t len,
    struct err *e)
{
	struct cert_reader r;
	const uint8_t *der;
	size_t dlen;
	struct err why;
	int rc;

	cert_reader_init(&r, data, len);
	while ((rc = cert_reader_next(&r, &der, &dlen, &why)) == 1) {
		if (queue(in, source, r.index, der, dlen, e) != 0) {
			cert_reader_free(&r);
			return -1;
		}
		if (in->nitems == 0 && in->on_progress != NULL)
			in->on_progress(in->arg, cert_reader_offset(&r));
	}
	if (rc < 0)
		reject(in, source, r.index + 1, why.msg);
	else if (r.index == 0)
		reject(in, source, 0, "no certificate found");
	cert_reader_free(&r);
	return 0;
}
