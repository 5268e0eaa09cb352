/*
 * copy.c - copying one store into another through the store contract (see
 * copy.h; `lancre store copy` prints what it says).  Library code: no
 * printing, progress through a callback.
 *
 * Design:
 *  - Steps in a fixed order: issuers (with key references; one
 *    transaction), certificates (by id), OCSP responses (by seq), CRLs (in
 *    crl_each's order), the signer's signed-revoked record, the tokens (one
 *    transaction), the audit trail (by number, its head with each batch), then the
 *    counters, the signer's mark, key states and refusal counts (one
 *    transaction), which makes the copy finished.  The records are written
 *    exactly (store_*_import: same ids, change_seq, seqs, due times), so that
 *    a signer switched to the copy finds nothing changed and nothing due
 *    that was not due before, and a server serves the same bytes.
 *  - Resumable: the target keeps where the copy stands (store_copy_mark: the
 *    source's identity, the step, the last id, seq or count done), written in
 *    the transaction of each batch, so a copy killed at any point leaves
 *    whole batches and a mark that says which.  The next run goes on after
 *    the mark, with the same batch boundaries as an uninterrupted copy, so
 *    the result is the same.  The steps without an order to resume by (the
 *    signed-revoked record) are written again whole: their writes are
 *    idempotent.  The first commit (the issuers) already carries the mark, so
 *    a target is always either empty, or marked with its source.
 *  - The source's identity is a hash of its issuers (id, name, certificate):
 *    another store, or this one with an issuer added, does not resume a copy
 *    it did not start.
 *  - Bounded memory: the source is walked with callbacks (store_cert_export,
 *    store_ocsp_each, store_crl_each, store_revoked_signed_each), batches of
 *    a few thousand rows written to the target as they fill (the target is
 *    another store, another connection: writing it while reading the source
 *    is fine).
 *  - Verification: every table is walked on both sides through the contract
 *    and summed: each row's SHA-256 over its fields (fixed-width big-endian
 *    integers, length-prefixed bytes), added as a 256-bit number modulo
 *    2^256, then a SHA-256 of the table's name, row count and that sum.  A
 *    sum, not a hash of the rows in order, because the contract fixes no
 *    order for some walks (the signed-revoked record) and two backends need
 *    not agree on one; a difference in any row changes it.
 */
#include "store/copy.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* Rows per target transaction: few enough to bound memory, enough to amortise a commit. */
#define COPY_CERT_BATCH 16384
#define COPY_OCSP_BATCH 2048
#define COPY_OCSP_BYTES (8u << 20) /* and at most this much DER in one batch */
#define COPY_REVOKED_BATCH 4096
#define COPY_AUDIT_BATCH 4096

/* Where a copy stands (store_copy_mark.step). */
enum copy_step {
	COPY_STEP_ISSUERS = 1,
	COPY_STEP_CERTS,   /* done: the last certificate id copied */
	COPY_STEP_OCSP,    /* done: the last response seq copied */
	COPY_STEP_CRLS,    /* done: how many CRLs, in store_crl_each order */
	COPY_STEP_REVOKED, /* written whole again */
	COPY_STEP_FINISH,
	COPY_STEP_DONE,
	/* After REVOKED, before FINISH: numbered after DONE so that older marks keep their meaning. */
	COPY_STEP_TOKENS, /* one transaction */
	COPY_STEP_AUDIT,  /* done: the last audit row number copied */
};

/* One audit row, its strings and serial copied (the walk's are borrowed). */
struct copy_audit {
	struct audit_record r;
	char *text; /* actor, origin, action, detail, each NUL-ended, one after the other */
	uint8_t serial[STORE_SERIAL_MAX];
};

struct copy_rev {
	int64_t issuer_id;
	uint8_t serial[STORE_SERIAL_MAX];
	size_t len;
};

struct copy {
	struct store *src, *dst;
	struct store_copy_mark mark;
	copy_progress_fn progress;
	void *arg;
	struct copy_report *rep;
	/* The batch being filled (one kind at a time). */
	struct cert_record *certs;
	struct ocsp_record *ocsp;
	uint8_t *der; /* the DER of ocsp[], COPY_OCSP_BYTES */
	size_t der_len;
	struct copy_rev *rev;
	struct copy_audit *audit;
	struct audit_record *audit_rows;
	size_t n;
	const struct crl_record *crl; /* the CRL being written */
	int64_t crl_index;
	struct err err; /* the failure of a callback that has no struct err (ocsp, revoked) */
};

static const char *const table_names[COPY_T_COUNT] = {
    [COPY_T_ISSUERS] = "issuers",
    [COPY_T_CERTS] = "certificates",
    [COPY_T_OCSP] = "ocsp responses",
    [COPY_T_CRLS] = "crls",
    [COPY_T_REVOKED] = "signed revoked",
    [COPY_T_TOKENS] = "tokens",
    [COPY_T_AUDIT] = "audit trail",
    [COPY_T_STATE] = "counters and marks",
};

const char *
copy_table_name(enum copy_table t)
{
	return (unsigned)t < COPY_T_COUNT ? table_names[t] : "?";
}

static void
progress(struct copy *c, enum copy_table t, int64_t rows)
{
	c->rep->copied[t] += rows;
	if (c->progress != NULL)
		c->progress(c->arg, t, 0, c->rep->copied[t]);
}

/*
 * One transaction of the target: write(c) (NULL: nothing), and the mark
 * moved to (step, done).
 */
static int
copy_commit(struct copy *c, int (*write)(struct copy *c, struct err *e), int64_t step,
    int64_t done, struct err *e)
{
	if (store_begin(c->dst, e) != 0)
		return -1;
	c->mark.step = step;
	c->mark.done = done;
	if ((write != NULL && write(c, e) != 0) || store_copy_mark_set(c->dst, &c->mark, e) != 0 ||
	    store_commit(c->dst, e) != 0) {
		store_rollback(c->dst, NULL);
		return -1;
	}
	return 0;
}

/* ---- the issuers ---- */

static int
issuers_write(struct store *src, struct store *dst, const struct issuer_record *v, size_t n,
    struct err *e)
{
	struct store_issuer_keys k;
	int found;

	for (size_t i = 0; i < n; i++) {
		if ((found = store_issuer_keys(src, v[i].id, &k, e)) < 0 ||
		    store_issuer_import(dst, &v[i], found ? &k : NULL, e) != 0)
			return err_prefix(e, "issuer %s", v[i].name);
	}
	return 0;
}

static int
step_issuers(struct copy *c, struct err *e)
{
	struct issuer_record *v = NULL;
	size_t n = 0;
	int rc;

	if (store_issuer_list(c->src, &v, &n, e) != 0)
		return -1;
	rc = store_begin(c->dst, e);
	if (rc == 0) {
		c->mark.step = COPY_STEP_CERTS;
		c->mark.done = 0;
		rc = issuers_write(c->src, c->dst, v, n, e);
		if (rc == 0)
			rc = store_copy_mark_set(c->dst, &c->mark, e);
		if (rc == 0)
			rc = store_commit(c->dst, e);
		if (rc != 0)
			store_rollback(c->dst, NULL);
	}
	issuer_records_free(v, n);
	if (rc == 0)
		progress(c, COPY_T_ISSUERS, (int64_t)n);
	return rc;
}

/* ---- certificates, by id ---- */

static int
certs_write(struct copy *c, struct err *e)
{
	return store_cert_import(c->dst, c->certs, c->n, e);
}

static int
certs_flush(struct copy *c, struct err *e)
{
	if (c->n == 0)
		return 0;
	if (copy_commit(c, certs_write, COPY_STEP_CERTS, c->certs[c->n - 1].id, e) != 0)
		return -1;
	progress(c, COPY_T_CERTS, (int64_t)c->n);
	c->n = 0;
	return 0;
}

static int
cert_add(void *arg, const struct cert_record *r, struct err *e)
{
	struct copy *c = arg;

	c->certs[c->n++] = *r;
	return c->n == COPY_CERT_BATCH ? certs_flush(c, e) : 0;
}

static int
step_certs(struct copy *c, struct err *e)
{
	c->n = 0;
	c->certs = malloc(COPY_CERT_BATCH * sizeof(*c->certs));
	if (c->certs == NULL)
		return err_set(e, "out of memory");
	if (store_cert_export(c->src, c->mark.done, cert_add, c, e) != 0 || certs_flush(c, e) != 0)
		return err_prefix(e, "copying certificates");
	return copy_commit(c, NULL, COPY_STEP_OCSP, 0, e);
}

/* ---- OCSP responses, by seq ---- */

static int
ocsp_write(struct copy *c, struct err *e)
{
	return store_ocsp_import(c->dst, c->ocsp, c->n, e);
}

static int
ocsp_flush(struct copy *c, struct err *e)
{
	if (c->n == 0)
		return 0;
	if (copy_commit(c, ocsp_write, COPY_STEP_OCSP, c->ocsp[c->n - 1].seq, e) != 0)
		return -1;
	progress(c, COPY_T_OCSP, (int64_t)c->n);
	c->n = 0;
	c->der_len = 0;
	return 0;
}

static int
ocsp_add(void *arg, const struct ocsp_record *r)
{
	struct copy *c = arg;

	if (r->der_len > COPY_OCSP_BYTES)
		return err_set(&c->err, "an OCSP response of %zu bytes", r->der_len);
	if ((c->n == COPY_OCSP_BATCH || c->der_len + r->der_len > COPY_OCSP_BYTES) &&
	    ocsp_flush(c, &c->err) != 0)
		return -1;
	memcpy(c->der + c->der_len, r->der, r->der_len);
	c->ocsp[c->n] = *r;
	c->ocsp[c->n++].der = c->der + c->der_len;
	c->der_len += r->der_len;
	return 0;
}

static int
step_ocsp(struct copy *c, struct err *e)
{
	c->n = 0;
	c->der_len = 0;
	c->ocsp = malloc(COPY_OCSP_BATCH * sizeof(*c->ocsp));
	c->der = malloc(COPY_OCSP_BYTES);
	if (c->ocsp == NULL || c->der == NULL)
		return err_set(e, "out of memory");
	c->err.msg[0] = '\0';
	if (store_ocsp_each(c->src, c->mark.done, ocsp_add, c, e) != 0) {
		if (c->err.msg[0] != '\0')
			*e = c->err;
		return err_prefix(e, "copying OCSP responses");
	}
	if (ocsp_flush(c, e) != 0)
		return err_prefix(e, "copying OCSP responses");
	return copy_commit(c, NULL, COPY_STEP_CRLS, 0, e);
}

/* ---- CRLs, one per transaction (each may be tens of MB) ---- */

static int
crl_write(struct copy *c, struct err *e)
{
	return store_crl_import(c->dst, c->crl, e);
}

static int
crl_add(void *arg, const struct crl_record *r, struct err *e)
{
	struct copy *c = arg;

	if (++c->crl_index <= c->mark.done)
		return 0; /* copied before the interruption */
	c->crl = r;
	if (copy_commit(c, crl_write, COPY_STEP_CRLS, c->crl_index, e) != 0)
		return -1;
	progress(c, COPY_T_CRLS, 1);
	return 0;
}

static int
step_crls(struct copy *c, struct err *e)
{
	c->crl_index = 0;
	if (store_crl_each(c->src, crl_add, c, e) != 0)
		return err_prefix(e, "copying CRLs");
	return copy_commit(c, NULL, COPY_STEP_REVOKED, 0, e);
}

/* ---- the signer's signed-revoked record, whole (idempotent writes) ---- */

static int
rev_write(struct copy *c, struct err *e)
{
	for (size_t i = 0; i < c->n; i++)
		if (store_revoked_signed_add(c->dst, c->rev[i].issuer_id, c->rev[i].serial,
			c->rev[i].len, e) != 0)
			return -1;
	return 0;
}

static int
rev_flush(struct copy *c, struct err *e)
{
	if (c->n == 0)
		return 0;
	if (copy_commit(c, rev_write, COPY_STEP_REVOKED, 0, e) != 0)
		return -1;
	progress(c, COPY_T_REVOKED, (int64_t)c->n);
	c->n = 0;
	return 0;
}

static int
rev_add(void *arg, int64_t issuer_id, const uint8_t *serial, size_t len)
{
	struct copy *c = arg;

	if (len > STORE_SERIAL_MAX)
		return err_set(&c->err, "a serial of %zu bytes", len);
	c->rev[c->n].issuer_id = issuer_id;
	memcpy(c->rev[c->n].serial, serial, len);
	c->rev[c->n++].len = len;
	return c->n == COPY_REVOKED_BATCH ? rev_flush(c, &c->err) : 0;
}

static int
step_revoked(struct copy *c, struct err *e)
{
	c->n = 0;
	c->rev = malloc(COPY_REVOKED_BATCH * sizeof(*c->rev));
	if (c->rev == NULL)
		return err_set(e, "out of memory");
	c->err.msg[0] = '\0';
	if (store_revoked_signed_each(c->src, rev_add, c, e) != 0) {
		if (c->err.msg[0] != '\0')
			*e = c->err;
		return err_prefix(e, "copying the signed revocations");
	}
	if (rev_flush(c, e) != 0)
		return err_prefix(e, "copying the signed revocations");
	return copy_commit(c, NULL, COPY_STEP_TOKENS, 0, e);
}

/* ---- the tokens: few, one transaction ---- */

static int
token_add(void *arg, const struct token_record *t, struct err *e)
{
	struct copy *c = arg;

	if (store_token_put(c->dst, t, e) != 0)
		return -1;
	c->n++;
	return 0;
}

static int
tokens_write(struct copy *c, struct err *e)
{
	c->n = 0;
	return store_token_each(c->src, token_add, c, e);
}

static int
step_tokens(struct copy *c, struct err *e)
{
	if (copy_commit(c, tokens_write, COPY_STEP_AUDIT, 0, e) != 0)
		return err_prefix(e, "copying the tokens");
	progress(c, COPY_T_TOKENS, (int64_t)c->n); /* once committed, as every batch */
	c->n = 0;
	return 0;
}

/* ---- the audit trail, by number, as stored (hashes and head included) ---- */

static int
audit_write(struct copy *c, struct err *e)
{
	for (size_t i = 0; i < c->n; i++)
		c->audit_rows[i] = c->audit[i].r;
	return store_audit_import(c->dst, c->audit_rows, c->n, e);
}

static void
audit_batch_free(struct copy *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->audit[i].text);
	c->n = 0;
}

static int
audit_flush(struct copy *c, struct err *e)
{
	int rc;

	if (c->n == 0)
		return 0;
	rc = copy_commit(c, audit_write, COPY_STEP_AUDIT, c->audit[c->n - 1].r.id, e);
	if (rc == 0)
		progress(c, COPY_T_AUDIT, (int64_t)c->n);
	audit_batch_free(c);
	return rc;
}

static const char *
text_at(char **at, const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;
	char *p = *at;

	memcpy(p, s != NULL ? s : "", len);
	p[len] = '\0';
	*at += len + 1;
	return p;
}

static int
audit_add(void *arg, const struct audit_record *r, struct err *e)
{
	struct copy *c = arg;
	struct copy_audit *a = &c->audit[c->n];
	size_t len = 4;
	char *at;

	if (r->ev.serial_len > STORE_SERIAL_MAX)
		return err_set(e, "audit row %lld: a serial of %zu bytes", (long long)r->id,
		    r->ev.serial_len);
	len += (r->ev.actor ? strlen(r->ev.actor) : 0) + (r->ev.origin ? strlen(r->ev.origin) : 0) +
	       (r->ev.action ? strlen(r->ev.action) : 0) + (r->ev.detail ? strlen(r->ev.detail) : 0);
	if ((a->text = at = malloc(len)) == NULL)
		return err_set(e, "out of memory");
	a->r = *r;
	a->r.ev.actor = text_at(&at, r->ev.actor);
	a->r.ev.origin = text_at(&at, r->ev.origin);
	a->r.ev.action = text_at(&at, r->ev.action);
	a->r.ev.detail = text_at(&at, r->ev.detail);
	if (r->ev.serial != NULL && r->ev.serial_len > 0)
		memcpy(a->serial, r->ev.serial, r->ev.serial_len);
	a->r.ev.serial = a->serial;
	a->r.ev.serial_len = r->ev.serial != NULL ? r->ev.serial_len : 0;
	c->n++;
	return c->n == COPY_AUDIT_BATCH ? audit_flush(c, e) : 0;
}

static int
step_audit(struct copy *c, struct err *e)
{
	struct audit_filter f = {.after_id = c->mark.done};

	c->n = 0;
	c->audit = malloc(COPY_AUDIT_BATCH * sizeof(*c->audit));
	c->audit_rows = malloc(COPY_AUDIT_BATCH * sizeof(*c->audit_rows));
	if (c->audit == NULL || c->audit_rows == NULL)
		return err_set(e, "out of memory");
	if (store_audit_each(c->src, &f, audit_add, c, e) != 0 || audit_flush(c, e) != 0) {
		audit_batch_free(c);
		return err_prefix(e, "copying the audit trail");
	}
	return copy_commit(c, NULL, COPY_STEP_FINISH, 0, e);
}

/* ---- counters, the signer's mark, key states, refusals: one transaction ---- */

static int
state_write(struct copy *c, struct err *e)
{
	struct store_signed_upto u;
	struct issuer_record *v = NULL;
	int64_t seq, have[STORE_REFUSED_COUNT], want[STORE_REFUSED_COUNT];
	size_t n = 0;
	int avail, rc = 0;

	for (int w = 0; w < STORE_SEQ_COUNT; w++)
		if (store_seq(c->src, (enum store_seq)w, &seq, e) != 0 ||
		    store_seq_raise(c->dst, (enum store_seq)w, seq, e) != 0)
			return -1;
	if (store_signed_upto_get(c->src, &u, e) != 0 || store_signed_upto_set(c->dst, &u, e) != 0)
		return -1;
	if (store_issuer_list(c->src, &v, &n, e) != 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = store_key_state_get(c->src, v[i].id, &avail, &seq, e);
		if (rc == 0 && avail >= 0)
			rc = store_key_state_set(c->dst, v[i].id, avail, e);
	}
	issuer_records_free(v, n);
	if (rc != 0 || store_refusals_get(c->src, want, e) != 0 ||
	    store_refusals_get(c->dst, have, e) != 0)
		return -1;
	for (int r = 0; r < STORE_REFUSED_COUNT; r++)
		want[r] = want[r] > have[r] ? want[r] - have[r] : 0;
	return store_refusals_add(c->dst, want, e);
}

/* ---- the run ---- */

/* The source's identity: its issuers (id, name, certificate), hashed. */
static int
source_identity(struct store *s, int64_t *id, struct err *e)
{
	struct issuer_record *v = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = 0;
	int ok;

	if (ctx == NULL || store_issuer_list(s, &v, &n, e) != 0) {
		EVP_MD_CTX_free(ctx);
		return ctx == NULL ? err_set(e, "out of memory") : -1;
	}
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	for (size_t i = 0; ok && i < n; i++) {
		uint64_t idv = (uint64_t)v[i].id;
		ok = EVP_DigestUpdate(ctx, &idv, sizeof(idv)) == 1 &&
		     EVP_DigestUpdate(ctx, v[i].name, strlen(v[i].name) + 1) == 1 &&
		     EVP_DigestUpdate(ctx, v[i].cert_der, v[i].cert_len) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	EVP_MD_CTX_free(ctx);
	issuer_records_free(v, n);
	if (!ok)
		return err_set(e, "hashing the source's issuers");
	memcpy(id, md, sizeof(*id));
	*id = (*id & INT64_MAX) | 1; /* positive, never 0 (no mark) */
	return 0;
}

/* No mark: the target must hold nothing at all. */
static int
target_empty(struct store *dst, struct err *e)
{
	struct issuer_record *v = NULL;
	int64_t total = 0, revoked = 0, seq;
	size_t n = 0;

	if (store_issuer_list(dst, &v, &n, e) != 0)
		return -1;
	issuer_records_free(v, n);
	if (store_cert_count(dst, 0, &total, &revoked, e) != 0)
		return -1;
	for (int w = 0; w < STORE_SEQ_COUNT && n == 0 && total == 0; w++) {
		if (store_seq(dst, (enum store_seq)w, &seq, e) != 0)
			return -1;
		total = seq;
	}
	if (n != 0 || total != 0)
		return err_set(e, "the target store is not empty: a copy goes into a new, empty store "
				  "(or one a copy of this same store left unfinished)");
	return 0;
}

/* Read the target's mark: a fresh copy, or one of this source to go on with. */
static int
copy_start(struct copy *c, int64_t source, struct err *e)
{
	int found = store_copy_mark_get(c->dst, &c->mark, e);

	if (found < 0)
		return -1;
	if (found == 0) {
		if (target_empty(c->dst, e) != 0)
			return -1;
		c->mark = (struct store_copy_mark){.source = source, .step = COPY_STEP_ISSUERS};
		return 0;
	}
	if (c->mark.source != source)
		return err_set(e, "the target store holds a copy of another store (or of this one "
				  "before its issuers changed): copy into a new, empty store");
	if (c->mark.step < COPY_STEP_CERTS || c->mark.step > COPY_STEP_AUDIT)
		return err_set(e, "the target store's copy mark is not one this lancre wrote "
				  "(step %lld)", (long long)c->mark.step);
	c->rep->resumed = c->mark.step != COPY_STEP_DONE;
	c->rep->was_done = c->mark.step == COPY_STEP_DONE;
	return 0;
}

static int
copy_steps(struct copy *c, struct err *e)
{
	while (c->mark.step != COPY_STEP_DONE) {
		int rc;
		switch (c->mark.step) {
		case COPY_STEP_ISSUERS:
			rc = step_issuers(c, e);
			break;
		case COPY_STEP_CERTS:
			rc = step_certs(c, e);
			break;
		case COPY_STEP_OCSP:
			rc = step_ocsp(c, e);
			break;
		case COPY_STEP_CRLS:
			rc = step_crls(c, e);
			break;
		case COPY_STEP_REVOKED:
			rc = step_revoked(c, e);
			break;
		case COPY_STEP_TOKENS:
			rc = step_tokens(c, e);
			break;
		case COPY_STEP_AUDIT:
			rc = step_audit(c, e);
			break;
		default:
			rc = copy_commit(c, state_write, COPY_STEP_DONE, 0, e);
			break;
		}
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
copy_run(struct store *src, struct store *dst, copy_progress_fn progress_fn, void *arg,
    struct copy_report *rep, struct err *e)
{
	struct copy c = {.src = src, .dst = dst, .progress = progress_fn, .arg = arg, .rep = rep};
	int64_t source = 0;
	int rc;

	memset(rep, 0, sizeof(*rep));
	/* Many rows, the (issuer, serial) index written in random order: a bulk import. */
	if (source_identity(src, &source, e) != 0 || copy_start(&c, source, e) != 0 ||
	    store_set_intent(dst, STORE_INTENT_BULK_IMPORT, e) != 0)
		return -1;
	rc = copy_steps(&c, e);
	free(c.certs);
	free(c.ocsp);
	free(c.der);
	free(c.rev);
	free(c.audit);
	free(c.audit_rows);
	if (rc != 0)
		return -1;
	if (copy_checksum(src, rep->src, progress_fn, arg, e) != 0)
		return err_prefix(e, "verifying: the source");
	if (copy_checksum(dst, rep->dst, progress_fn, arg, e) != 0)
		return err_prefix(e, "verifying: the copy");
	if ((rc = copy_mismatch(rep)) >= 0)
		return err_set(e, "the copy differs from the source in %s: %lld rows against %lld "
				  "(did the source change during the copy?)",
		    copy_table_name((enum copy_table)rc), (long long)rep->dst[rc].rows,
		    (long long)rep->src[rc].rows);
	return 0;
}

int
copy_mismatch(const struct copy_report *rep)
{
	for (int t = 0; t < COPY_T_COUNT; t++)
		if (rep->src[t].rows != rep->dst[t].rows ||
		    memcmp(rep->src[t].digest, rep->dst[t].digest, COPY_DIGEST_LEN) != 0)
			return t;
	return -1;
}
