/*
 * ep_cert_add.c - POST /api/v1/certificates; see endpoints.h.
 *
 * The body is what `lancre cert add` reads from a file (pki/cert.h): one
 * DER certificate, or PEM text with CERTIFICATE blocks (a bundle; other
 * blocks skipped).  Every certificate gets `cert add`'s checks
 * (intake_record_one) inside one transaction: one refused, none is
 * recorded, and the answer names it: 422 with {"error": "certificate N:
 * why (nothing was recorded)", "index": N, "reason": why}, N counted from 1
 * in the body's order, so that a client resends the others without parsing
 * the message.  The same certificate again is
 * "present", not an error (idempotent).  Each one added is a "cert.add" row
 * of the audit trail, in the same transaction.
 *
 * A precertificate (pki/precert.h) is recorded like a certificate, marked
 * "precert" in the answer; its final certificate, sent later, completes the
 * record ("result": "completed", a "cert.complete" row).  A precertificate
 * of a certificate recorded already is "present" with a note saying so.
 */
#include "admin/endpoints.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/reply.h"
#include "intake/intake.h"
#include "pki/cert.h"
#include "pki/serial.h"

#define ADMIN_BUNDLE_MAX 10000

/* The certificates of the body, copied (the reader's bytes change at each call). */
struct bundle {
	uint8_t **der;
	size_t *len;
	size_t n, cap;
};

/*
 * Room for one more; 0, or -1.  Grown as they come: both arrays made for
 * ADMIN_BUNDLE_MAX and zeroed up front were 160 KB a request, a tenth of
 * a one-certificate request's instructions.
 */
static int
bundle_room(struct bundle *b)
{
	size_t cap = b->cap == 0 ? 16 : 2 * b->cap;
	uint8_t **der;
	size_t *len;

	if (b->n < b->cap)
		return 0;
	if (cap > ADMIN_BUNDLE_MAX)
		cap = ADMIN_BUNDLE_MAX;
	if ((der = realloc(b->der, cap * sizeof(*der))) == NULL)
		return -1;
	b->der = der;
	if ((len = realloc(b->len, cap * sizeof(*len))) == NULL)
		return -1;
	b->len = len;
	b->cap = cap;
	return 0;
}

static void
bundle_free(struct bundle *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->der[i]);
	free(b->der);
	free(b->len);
}

/* Split the body; 0, or the HTTP status with e saying why. */
static int
split(const struct admin_request *rq, struct bundle *b, struct err *e)
{
	struct cert_reader r;
	const uint8_t *der;
	size_t len;
	int rc, status = 0;

	memset(b, 0, sizeof(*b));
	if (rq->body_len == 0) {
		err_set(e, "an empty body: send a PEM bundle or one DER certificate");
		return 400;
	}
	cert_reader_init(&r, rq->body, rq->body_len);
	if (!cert_reader_may_hold_certs(&r)) {
		cert_reader_free(&r);
		err_set(e, "the body is neither PEM nor DER");
		return 400;
	}
	while ((rc = cert_reader_next(&r, &der, &len, e)) != 0) {
		if (rc < 0) {
			err_prefix(e, "certificate %zu", r.index);
			status = 400;
			break;
		}
		if (b->n == ADMIN_BUNDLE_MAX) {
			err_set(e, "more than %d certificates in one request", ADMIN_BUNDLE_MAX);
			status = 413;
			break;
		}
		if (bundle_room(b) != 0 || (b->der[b->n] = malloc(len)) == NULL) {
			err_set(e, "out of memory");
			status = 500;
			break;
		}
		memcpy(b->der[b->n], der, len);
		b->len[b->n++] = len;
	}
	cert_reader_free(&r);
	if (status == 0 && b->n == 0) {
		err_set(e, "no certificate in the body (PEM without a CERTIFICATE block)");
		status = 400;
	}
	return status;
}

/*
 * Record b in the open transaction; 0, or the status with e.  recs and res
 * (b->n each): each certificate's record and result.  A certificate refused
 * (422): ref says which and why.  The bundle goes through intake as `cert add`
 * writes a batch (intake_record_many: checked on every CPU, one insert, one
 * append of the "cert.add" rows, each with the certificate's SHA-256 as the
 * CLI writes it): one at a time, a bundle took 3 times the CLI's CPU.
 */
struct refused {
	size_t index;            /* from 1; 0: none */
	char why[ERR_MSG_MAX]; /* the reason, without "certificate N: " */
};

static int
record_all(struct admin_api *api, const struct issuer_set *set, const struct bundle *b,
    const struct admin_request *rq, const struct admin_caller *who, struct cert_record *recs,
    enum intake_result *res, size_t *added, size_t *completed, struct refused *ref,
    struct err *e)
{
	struct intake in;
	size_t bad;
	int status = 0;

	intake_init(&in);
	in.store = api->store;
	in.conf = api->conf;
	in.issuers = set;
	in.sv = api->verify; /* kept with set (api.h) */
	in.now = (int64_t)time(NULL);
	in.threads = api->threads > 0 ? api->threads : 1;
	in.actor = who->actor;
	in.origin = rq->peer;
	if (intake_record_many(&in, (const uint8_t *const *)b->der, b->len, b->n, recs, res, &bad,
		e) != 0) {
		if (bad == SIZE_MAX) {
			status = 500;
		} else {
			snprintf(ref->why, sizeof(ref->why), "%s", e->msg);
			ref->index = bad + 1;
			err_prefix(e, "certificate %zu", bad + 1);
			status = 422;
		}
	}
	*added = in.added;
	*completed = in.completed;
	intake_free(&in);
	return status;
}

/* Each certificate's "result", and the "note" of one that changed nothing (or NULL). */
static const char *const result_name[] = {[INTAKE_ADDED] = "added",
    [INTAKE_PRESENT] = "present", [INTAKE_COMPLETED] = "completed",
    [INTAKE_PRESENT_FINAL] = "present"};
#define PRESENT_FINAL_NOTE "a precertificate of a certificate recorded already: nothing changed"

static const char *
issuer_name(const struct issuer_set *set, int64_t id)
{
	const struct issuer *is = issuer_set_by_id(set, id);

	return is != NULL ? is->rec.name : "?";
}

/* The answer as JSON objects: for ?wait=served, which starts from them (api.h). */
static void
answer_json(struct admin_response *rs, const struct issuer_set *set,
    const struct cert_record *recs, const enum intake_result *res, size_t n, size_t added,
    size_t completed)
{
	json_t *list = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *o = admin_cert_json(issuer_name(set, recs[i].issuer_id), &recs[i]);
		json_object_set_new(o, "result", json_string(result_name[res[i]]));
		if (res[i] == INTAKE_PRESENT_FINAL)
			json_object_set_new(o, "note", json_string(PRESENT_FINAL_NOTE));
		json_array_append_new(list, o);
	}
	admin_reply_json(rs, 200, json_pack("{s:I, s:I, s:I, s:o}", "added", (json_int_t)added,
				      "present", (json_int_t)(n - added - completed), "completed",
				      (json_int_t)completed, "certificates", list));
}

/*
 * The same answer written as text, byte for byte (admin_cert_text), in a
 * fifth of the CPU; 0, or -1 when an issuer's name needs the JSON path.
 */
static int
answer_text(struct admin_response *rs, const struct issuer_set *set,
    const struct cert_record *recs, const enum intake_result *res, size_t n, size_t added,
    size_t completed)
{
	struct admin_text t = {0};

	admin_text_put(&t, "{\"added\":%zu,\"present\":%zu,\"completed\":%zu,\"certificates\":[",
	    added, n - added - completed, completed);
	for (size_t i = 0; i < n; i++) {
		if (admin_cert_text(&t, issuer_name(set, recs[i].issuer_id), &recs[i]) != 0) {
			free(t.p);
			return -1;
		}
		static const char note[] = ",\"note\":\"" PRESENT_FINAL_NOTE "\"";
		admin_text_add(&t, ",\"result\":\"", 11);
		admin_text_add(&t, result_name[res[i]], strlen(result_name[res[i]]));
		admin_text_add(&t, "\"", 1);
		if (res[i] == INTAKE_PRESENT_FINAL)
			admin_text_add(&t, note, sizeof(note) - 1);
		admin_text_add(&t, i + 1 < n ? "}," : "}", i + 1 < n ? 2 : 1);
	}
	admin_text_put(&t, "]}");
	admin_reply_text(rs, 200, &t);
	return 0;
}

/* A 422's "index" and "reason", after its "error"; NULL (the message alone): why not UTF-8. */
static json_t *
refused_fields(const struct refused *ref)
{
	json_t *r = json_string(ref->why);

	return r != NULL ? json_pack("{s:I, s:o}", "index", (json_int_t)ref->index, "reason", r)
			 : NULL;
}

void
admin_ep_cert_add(struct admin_api *api, const struct admin_request *rq,
    const struct admin_caller *who, struct admin_response *rs)
{
	const struct issuer_set *set;
	struct bundle b;
	struct cert_record *recs = NULL;
	enum intake_result *res = NULL;
	size_t added = 0, completed = 0;
	struct refused ref = {0};
	struct err e;
	int status;

	if ((status = split(rq, &b, &e)) != 0) {
		bundle_free(&b);
		admin_reply_error(rs, status, "%s", e.msg);
		return;
	}
	if ((set = admin_api_issuers(api, &e)) == NULL) {
		bundle_free(&b);
		admin_reply_error(rs, 500, "reading the issuers: %s", e.msg);
		return;
	}
	recs = calloc(b.n, sizeof(*recs));
	res = calloc(b.n, sizeof(*res));
	if (recs == NULL || res == NULL) {
		err_set(&e, "out of memory");
		status = 500;
	} else if (store_begin(api->store, &e) != 0) {
		status = 500;
	} else if ((status = record_all(api, set, &b, rq, who, recs, res, &added, &completed,
			&ref, &e)) != 0 ||
		   store_commit(api->store, &e) != 0) {
		status = status != 0 ? status : 500;
		store_rollback(api->store, NULL);
	}
	if (status != 0) {
		admin_reply_error_with(rs, status,
		    status == 422 && ref.index > 0 ? refused_fields(&ref) : NULL, "%s%s", e.msg,
		    b.n > 1 ? " (nothing was recorded)" : "");
	} else {
		api->changes += added + completed;
		if (rs->keep_json || answer_text(rs, set, recs, res, b.n, added, completed) != 0)
			answer_json(rs, set, recs, res, b.n, added, completed);
	}
	free(recs);
	free(res);
	bundle_free(&b);
}
