/*
 * test_copy.c - copying a store (store/copy.h) through the contract: a
 * source store filled with every kind of record (issuers with keys, a
 * delegated responder, a retired one, good and revoked certificates,
 * responses rewritten and held, CRLs and a delta, the signed-revoked
 * record, the signer's mark, key states, refusals, tokens and an audit
 * trail of more than one batch) is copied; the copy is
 * compared with the source through the contract, not only through the
 * checksums copy.c computes itself: the same records, the same counters,
 * the same work for the signer (none).  A copy killed after every batch
 * (a child process that exits in the progress callback, which runs after
 * each commit) and resumed until done ends exactly as an uninterrupted one.
 * Targets that are neither empty nor a copy of this source are refused.
 * The target is SQLite, then, with LANCRE_TEST_PG set (pgtest.h), a fresh
 * PostgreSQL database per target (the source stays SQLite: the operator's
 * case).
 */
#include "testutil.h"

#include <sys/wait.h>
#include <unistd.h>

#include "pgtest.h"
#include "store/copy.h"

#define N_E1 20000 /* more than one certificate batch (16384) */
#define N_R1 300
#define N_AUDIT 5000 /* more than one audit batch (4096) */
#define NOW 1000000

struct target {
	const char *name;
	/* A fresh, empty target store for this test (STORE_CREATE), or reopened (STORE_WRITE). */
	struct store *(*open)(int n, enum store_mode mode, struct err *e);
};

static char src_dir[256], dst_dir[256];
static int64_t e1, r1, p1;

static struct store *
sqlite_target(int n, enum store_mode mode, struct err *e)
{
	char name[64];

	snprintf(name, sizeof(name), "sqlite:copy%d.db", n);
	return store_open(dst_dir, name, mode, e);
}

/* PostgreSQL targets (pgtest.h): database n made by its STORE_CREATE, all dropped at teardown. */
#define PG_TARGETS 8
static char pg_name[PG_TARGETS][64], pg_url[PG_TARGETS][PGTEST_URL_MAX];

static struct store *
pg_target(int n, enum store_mode mode, struct err *e)
{
	assert_true(n >= 0 && n < PG_TARGETS);
	if (mode == STORE_CREATE &&
	    pgtest_create(pg_name[n], sizeof(pg_name[n]), pg_url[n], sizeof(pg_url[n])) != 0)
		fail_msg("postgresql: cannot create a test database");
	return store_open(dst_dir, pg_url[n], mode, e);
}

static void
pg_drop_all(void)
{
	for (int n = 0; n < PG_TARGETS; n++) {
		if (pg_name[n][0] != '\0')
			assert_int_equal(pgtest_drop(pg_name[n]), 0);
		pg_name[n][0] = pg_url[n][0] = '\0';
	}
}

static const struct target targets[] = {
    {"sqlite", sqlite_target},
    {"postgresql", pg_target},
};
static const struct target *cur;

static int64_t
issuer(struct store *s, const char *name, const char *key, int shards)
{
	struct issuer_record r = {0};
	struct store_issuer_keys k = {0};
	uint8_t der[] = {0x30, 0x03, 0x02, 0x01, (uint8_t)name[0]};
	struct err e;

	snprintf(r.name, sizeof(r.name), "%s", name);
	r.cert_der = der;
	r.cert_len = sizeof(der);
	r.crl_shards = shards;
	r.added_at = 10 + shards;
	if (key != NULL) {
		snprintf(k.key_ref, sizeof(k.key_ref), "%s", key);
		snprintf(k.key_pass_ref, sizeof(k.key_pass_ref), "keys/%s.pass", name);
	}
	assert_int_equal(store_issuer_add(s, &r, key != NULL ? &k : NULL, &e), 0);
	return r.id;
}

static void
certs(struct store *s, int64_t iss, int n, int revoke_every)
{
	enum store_insert_result res;
	struct cert_record r;
	struct err e;

	assert_int_equal(store_begin(s, &e), 0);
	for (int i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		r.issuer_id = iss;
		r.serial[0] = 0x10;
		r.serial[1] = (uint8_t)(i >> 8);
		r.serial[2] = (uint8_t)i;
		r.serial_len = 3;
		r.not_before = 100;
		r.not_after = i % 7 == 0 ? 500 : 5000000; /* some expired at NOW */
		r.shard = 1 + i % 4;
		memset(r.fingerprint, (int)(i % 251) + 1, sizeof(r.fingerprint));
		r.added_at = 200 + i;
		r.is_ca = i == 5;
		/* Some with a key hash (schema 10), some without (recorded before it). */
		r.has_spki = i % 3 != 0;
		if (r.has_spki)
			memset(r.spki_sha256, (int)(i % 241) + 3, sizeof(r.spki_sha256));
		r.precert = i % 11 == 1;
		r.has_precert_tbs = r.precert;
		if (r.has_precert_tbs)
			memset(r.precert_tbs, (int)(i % 239) + 7, sizeof(r.precert_tbs));
		assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
		assert_int_equal(res, STORE_INSERTED);
	}
	assert_int_equal(store_commit(s, &e), 0);
	/* Revocations in a few transactions: several change_seqs (few commits: fast). */
	for (int i = 0, k = 0; revoke_every > 0 && i < n; i += revoke_every, k++) {
		uint8_t sn[3] = {0x10, (uint8_t)(i >> 8), (uint8_t)i};
		if (k % 16 == 0)
			assert_int_equal(store_begin(s, &e), 0);
		assert_int_equal(store_cert_get(s, iss, sn, 3, &r, &e), 1);
		assert_int_equal(store_cert_revoke(s, r.id, 300 + i, i % 6, &e), 0);
		assert_int_equal(store_revoked_signed_add(s, iss, sn, 3, &e), 0);
		if (k % 16 == 15 || i + revoke_every >= n)
			assert_int_equal(store_commit(s, &e), 0);
	}
}

static int
sign_one(void *arg, const struct cert_record *c, struct err *e)
{
	struct store *s = arg;
	struct ocsp_record r[2];
	uint8_t der[2][40];

	for (int h = 0; h < 2; h++) {
		memset(der[h], (int)(c->id + h) & 0xff, sizeof(der[h]));
		memcpy(der[h], &c->change_seq, sizeof(c->change_seq));
		r[h] = (struct ocsp_record){.cert_id = c->id, .hash = h ? OCSP_HASH_SHA256
								       : OCSP_HASH_SHA1,
		    .der = der[h], .der_len = sizeof(der[h]) - (size_t)(c->id % 5),
		    .this_update = NOW - 100 + c->id % 50, .next_update = NOW + 1000,
		    .due_at = NOW - 50 + c->id % 200, .cert_seq = c->change_seq};
	}
	return store_ocsp_put(s, r, 2, e);
}

/* Responses for everything, then again for some (seqs with gaps), CRLs, and the rest. */
static void
sign_all(struct store *s)
{
	struct crl_record crl = {0};
	struct store_signed_upto u = {0};
	struct cert_record page[512];
	struct store_cursor at = {{0}};
	int64_t held, add[STORE_REFUSED_COUNT] = {3, 0, 7};
	uint8_t der[64];
	size_t n;
	struct err e;

	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(store_cert_export(s, 0, sign_one, s, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(store_cert_export(s, N_E1 - 100, sign_one, s, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(store_ocsp_hold(s, r1, NOW, &held, &e), 0);
	assert_true(held > 0);
	for (int k = -2; k <= 4; k++) {
		memset(der, k + 10, sizeof(der));
		crl = (struct crl_record){.issuer_id = e1, .shard = k, .number = 1000 + k,
		    .this_update = NOW - 10, .next_update = NOW + 86400, .der = der,
		    .der_len = sizeof(der) - (size_t)(k + 2), .built_seq = 7};
		assert_int_equal(store_crl_put(s, &crl, &e), 0);
	}
	do {
		assert_int_equal(store_certs_changed(s, &at, NOW, page, 512, &n, &e), 0);
	} while (n == 512);
	assert_int_equal(store_seq(s, STORE_SEQ_ISSUER, &u.issuer_seq, &e), 0);
	u.at = at;
	assert_int_equal(store_signed_upto_set(s, &u, &e), 0);
	assert_int_equal(store_key_state_set(s, e1, 1, &e), 0);
	assert_int_equal(store_key_state_set(s, r1, 0, &e), 0);
	assert_int_equal(store_refusals_add(s, add, &e), 0);
}

/* Two tokens (one revoked) and N_AUDIT audit rows, some with a serial. */
static void
tokens_and_audit(struct store *s)
{
	struct token_record t = {.name = "admin", .scopes = TOKEN_SCOPE_ALL, .created = 5};
	struct audit_event *ev = calloc(N_AUDIT, sizeof(*ev));
	static const uint8_t serial[] = {0x00, 0x99};
	struct err e;

	assert_non_null(ev);
	memset(t.hash, 0x11, sizeof(t.hash));
	assert_int_equal(store_token_put(s, &t, &e), 0);
	snprintf(t.name, sizeof(t.name), "ci");
	t.scopes = TOKEN_SCOPE_INTAKE;
	memset(t.hash, 0x22, sizeof(t.hash));
	assert_int_equal(store_token_put(s, &t, &e), 0);
	assert_int_equal(store_token_revoke(s, "ci", 9, &e), 1);
	for (int i = 0; i < N_AUDIT; i++)
		ev[i] = (struct audit_event){.at = NOW + i, .actor = "cli:root", .origin = "cli",
		    .action = i % 2 ? "cert.add" : "cert.revoke", .issuer_id = e1,
		    .serial = i % 3 ? serial : NULL, .serial_len = i % 3 ? sizeof(serial) : 0,
		    .detail = i % 2 ? "" : "{\"reason\":\"keyCompromise\"}"};
	assert_int_equal(store_audit_append_many(s, ev, N_AUDIT, &e), 0);
	free(ev);
}

static struct store *
fill_source(void)
{
	uint8_t ocsp_der[] = {0x30, 0x03, 0x02, 0x01, 0x07};
	struct store *s;
	struct err e;

	s = store_open(src_dir, "sqlite:lancre.db", STORE_CREATE, &e);
	if (s == NULL)
		fail_msg("%s", e.msg);
	e1 = issuer(s, "e1", "keys/e1.key", 4);
	r1 = issuer(s, "r1", "pkcs11:token=t;object=r1;type=private", 1);
	p1 = issuer(s, "p1", NULL, 2);
	assert_int_equal(store_issuer_set_ocsp_signer(s, r1, ocsp_der, sizeof(ocsp_der),
			     "keys/r1-ocsp.key", &e),
	    0);
	assert_int_equal(store_issuer_retire(s, p1, 77, &e), 0);
	certs(s, e1, N_E1, 97);
	certs(s, r1, N_R1, 0);
	sign_all(s);
	tokens_and_audit(s);
	return s;
}

static struct store *src;

static int
setup(void **state)
{
	(void)state;
	test_mkdtemp(src_dir, sizeof(src_dir));
	test_mkdtemp(dst_dir, sizeof(dst_dir)); /* apart: SQLite keeps keys beside the store */
	src = fill_source();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	store_close(src);
	test_rmdir(src_dir);
	test_rmdir(dst_dir);
	pg_drop_all();
	return 0;
}

static struct store *
target(int n, enum store_mode mode)
{
	struct err e;
	struct store *s = cur->open(n, mode, &e);

	if (s == NULL)
		fail_msg("%s: %s", cur->name, e.msg);
	return s;
}

/* ---- comparisons through the contract ---- */

struct rows {
	struct ocsp_record *r;
	uint8_t *der;
	size_t n, cap, der_len;
};

static int
keep_ocsp(void *arg, const struct ocsp_record *r)
{
	struct rows *v = arg;

	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 1024;
		v->r = realloc(v->r, v->cap * sizeof(*v->r));
		v->der = realloc(v->der, v->cap * 64);
	}
	assert_true(r->der_len <= 64);
	v->r[v->n] = *r;
	memcpy(v->der + v->n * 64, r->der, r->der_len);
	v->r[v->n].der = NULL;
	v->n++;
	return 0;
}

static void
same_ocsp(struct store *a, struct store *b)
{
	struct rows x = {0}, y = {0};
	struct err e;

	assert_int_equal(store_ocsp_each(a, 0, keep_ocsp, &x, &e), 0);
	assert_int_equal(store_ocsp_each(b, 0, keep_ocsp, &y, &e), 0);
	assert_int_equal(x.n, y.n);
	assert_true(x.n > 2 * (N_E1 + N_R1) - 1);
	for (size_t i = 0; i < x.n; i++) {
		const struct ocsp_record *p = &x.r[i], *q = &y.r[i];
		assert_int_equal(p->seq, q->seq);
		assert_int_equal(p->cert_id, q->cert_id);
		assert_int_equal(p->issuer_id, q->issuer_id);
		assert_int_equal(p->serial_len, q->serial_len);
		assert_memory_equal(p->serial, q->serial, p->serial_len);
		assert_int_equal(p->hash, q->hash);
		assert_int_equal(p->this_update, q->this_update);
		assert_int_equal(p->next_update, q->next_update);
		assert_int_equal(p->due_at, q->due_at);
		assert_int_equal(p->cert_seq, q->cert_seq);
		assert_int_equal(p->der_len, q->der_len);
		assert_memory_equal(x.der + i * 64, y.der + i * 64, p->der_len);
	}
	free(x.r);
	free(x.der);
	free(y.r);
	free(y.der);
}

struct crls {
	struct crl_record r[16];
	uint8_t der[16][64];
	size_t n;
};

static int
keep_crl(void *arg, const struct crl_record *r, struct err *e)
{
	struct crls *v = arg;

	(void)e;
	assert_true(v->n < 16 && r->der_len <= 64);
	v->r[v->n] = *r;
	memcpy(v->der[v->n], r->der, r->der_len);
	v->r[v->n++].der = NULL;
	return 0;
}

static void
same_issuers(struct store *a, struct store *b)
{
	struct issuer_record *x = NULL, *y = NULL;
	struct store_issuer_keys kx, ky;
	size_t nx = 0, ny = 0;
	struct err e;

	assert_int_equal(store_issuer_list(a, &x, &nx, &e), 0);
	assert_int_equal(store_issuer_list(b, &y, &ny, &e), 0);
	assert_int_equal(nx, 3);
	assert_int_equal(nx, ny);
	for (size_t i = 0; i < nx; i++) {
		assert_int_equal(x[i].id, y[i].id);
		assert_string_equal(x[i].name, y[i].name);
		assert_int_equal(x[i].has_key, y[i].has_key);
		assert_int_equal(x[i].crl_shards, y[i].crl_shards);
		assert_int_equal(x[i].added_at, y[i].added_at);
		assert_int_equal(x[i].retired_at, y[i].retired_at);
		assert_int_equal(x[i].cert_len, y[i].cert_len);
		assert_memory_equal(x[i].cert_der, y[i].cert_der, x[i].cert_len);
		assert_int_equal(x[i].ocsp_cert_len, y[i].ocsp_cert_len);
		assert_int_equal(store_issuer_keys(a, x[i].id, &kx, &e),
		    store_issuer_keys(b, y[i].id, &ky, &e));
		assert_memory_equal(&kx, &ky, sizeof(kx));
	}
	issuer_records_free(x, nx);
	issuer_records_free(y, ny);
}

static int
by_id(const void *a, const void *b)
{
	const struct cert_record *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* The signer's view: the same changed certificates, the same due ones, the same mark. */
static void
same_work(struct store *a, struct store *b)
{
	static struct cert_record x[N_E1 + N_R1], y[N_E1 + N_R1];
	struct store_cursor ca = {{0}}, cb = {{0}};
	struct store_signed_upto ua, ub;
	size_t na, nb;
	struct err e;

	assert_int_equal(store_signed_upto_get(a, &ua, &e), 0);
	assert_int_equal(store_signed_upto_get(b, &ub, &e), 0);
	assert_int_equal(ua.issuer_seq, ub.issuer_seq);
	assert_true(store_cursor_same(&ua.at, &ub.at));
	/* From the mark: nothing to sign, on either side. */
	assert_int_equal(store_certs_changed(a, &ua.at, NOW, x, 16, &na, &e), 0);
	assert_int_equal(store_certs_changed(b, &ub.at, NOW, y, 16, &nb, &e), 0);
	assert_int_equal(na, 0);
	assert_int_equal(nb, 0);
	/* From the start: the same (none, every response reflects its certificate). */
	assert_int_equal(store_certs_changed(a, &ca, NOW, x, N_E1 + N_R1, &na, &e), 0);
	assert_int_equal(store_certs_changed(b, &cb, NOW, y, N_E1 + N_R1, &nb, &e), 0);
	assert_int_equal(na, nb);
	assert_int_equal(na, 0);
	/* Due now: the same certificates (r1's held ones not among them). */
	memset(&ca, 0, sizeof(ca));
	memset(&cb, 0, sizeof(cb));
	assert_int_equal(store_ocsp_due(a, NOW, NOW, &ca, x, N_E1 + N_R1, &na, &e), 0);
	assert_int_equal(store_ocsp_due(b, NOW, NOW, &cb, y, N_E1 + N_R1, &nb, &e), 0);
	assert_int_equal(na, nb);
	assert_true(na > 100);
	/* In the store's order, which follows its batches: compared as sets. */
	qsort(x, na, sizeof(x[0]), by_id);
	qsort(y, nb, sizeof(y[0]), by_id);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(x[i].id, y[i].id);
		assert_int_equal(x[i].issuer_id, e1);
	}
}

static int
count_token(void *arg, const struct token_record *t, struct err *e)
{
	(void)e;
	*(int64_t *)arg += t->revoked != 0 ? 1000 : 1;
	return 0;
}

/* Every audit row's number and hash, in order, folded into one hash-like value. */
static int
fold_audit(void *arg, const struct audit_record *r, struct err *e)
{
	uint64_t *h = arg;

	(void)e;
	*h = *h * 1099511628211ULL ^ (uint64_t)r->id;
	for (int i = 0; i < 32; i++)
		*h = *h * 1099511628211ULL ^ r->hash[i];
	for (const char *p = r->ev.detail; p != NULL && *p != '\0'; p++)
		*h = *h * 1099511628211ULL ^ (uint8_t)*p;
	*h ^= r->ev.serial_len;
	return 0;
}

static void
same_tokens_and_audit(struct store *a, struct store *b)
{
	int64_t ta = 0, tb = 0, ha_id, hb_id;
	uint64_t fa = 0, fb = 0;
	uint8_t ha[32], hb[32];
	struct token_record got;
	uint8_t h[32];
	struct err e;

	assert_int_equal(store_token_each(a, count_token, &ta, &e), 0);
	assert_int_equal(store_token_each(b, count_token, &tb, &e), 0);
	assert_int_equal(ta, 1001);
	assert_int_equal(ta, tb);
	memset(h, 0x11, sizeof(h));
	assert_int_equal(store_token_find(b, h, &got, &e), 1);
	assert_string_equal(got.name, "admin");
	assert_int_equal(store_audit_each(a, NULL, fold_audit, &fa, &e), 0);
	assert_int_equal(store_audit_each(b, NULL, fold_audit, &fb, &e), 0);
	assert_true(fa == fb);
	assert_int_equal(store_audit_head(a, &ha_id, ha, &e), 0);
	assert_int_equal(store_audit_head(b, &hb_id, hb, &e), 0);
	assert_int_equal(ha_id, N_AUDIT);
	assert_int_equal(hb_id, N_AUDIT);
	assert_memory_equal(ha, hb, 32);
}

/* Every certificate's id, key hash and precert flag folded into one hash-like value. */
static int
fold_keys(void *arg, const struct cert_record *c, struct err *e)
{
	uint64_t *h = arg;

	(void)e;
	*h = *h * 1099511628211ULL ^ (uint64_t)c->id;
	*h = *h * 1099511628211ULL ^ (uint64_t)(c->has_spki * 2 + c->precert);
	for (int i = 0; i < STORE_SPKI_HASH_LEN; i++)
		*h = *h * 1099511628211ULL ^ c->spki_sha256[i];
	*h = *h * 1099511628211ULL ^ (uint64_t)c->has_precert_tbs;
	for (int i = 0; i < STORE_FINGERPRINT_LEN; i++)
		*h = *h * 1099511628211ULL ^ c->precert_tbs[i];
	return 0;
}

static void
same_everything(struct store *a, struct store *b)
{
	uint64_t ka = 0, kb = 0;
	struct crls ca = {0}, cb = {0};
	int64_t va, vb, ra[STORE_REFUSED_COUNT], rb[STORE_REFUSED_COUNT], tot_a, rev_a, tot_b, rev_b;
	int aa, ab;
	struct err e;

	same_issuers(a, b);
	assert_int_equal(store_cert_count(a, 0, &tot_a, &rev_a, &e), 0);
	assert_int_equal(store_cert_count(b, 0, &tot_b, &rev_b, &e), 0);
	assert_int_equal(tot_a, N_E1 + N_R1);
	assert_int_equal(tot_a, tot_b);
	assert_int_equal(rev_a, rev_b);
	for (int w = 0; w < STORE_SEQ_COUNT; w++) {
		assert_int_equal(store_seq(a, (enum store_seq)w, &va, &e), 0);
		assert_int_equal(store_seq(b, (enum store_seq)w, &vb, &e), 0);
		assert_int_equal(va, vb);
	}
	same_ocsp(a, b);
	assert_int_equal(store_crl_each(a, keep_crl, &ca, &e), 0);
	assert_int_equal(store_crl_each(b, keep_crl, &cb, &e), 0);
	assert_int_equal(ca.n, 7);
	assert_int_equal(ca.n, cb.n);
	for (size_t i = 0; i < ca.n; i++) {
		const struct crl_record *p = &ca.r[i], *q = &cb.r[i];
		assert_int_equal(p->issuer_id, q->issuer_id);
		assert_int_equal(p->shard, q->shard);
		assert_int_equal(p->number, q->number);
		assert_int_equal(p->this_update, q->this_update);
		assert_int_equal(p->next_update, q->next_update);
		assert_int_equal(p->built_seq, q->built_seq);
		assert_int_equal(p->seq, q->seq);
		assert_int_equal(p->der_len, q->der_len);
		assert_memory_equal(ca.der[i], cb.der[i], p->der_len);
	}
	assert_int_equal(store_key_state_get(a, r1, &aa, &va, &e), 0);
	assert_int_equal(store_key_state_get(b, r1, &ab, &vb, &e), 0);
	assert_int_equal(aa, 0);
	assert_int_equal(ab, 0);
	assert_int_equal(store_refusals_get(a, ra, &e), 0);
	assert_int_equal(store_refusals_get(b, rb, &e), 0);
	assert_memory_equal(ra, rb, sizeof(ra));
	same_work(a, b);
	same_tokens_and_audit(a, b);
	assert_int_equal(store_cert_export(a, 0, fold_keys, &ka, &e), 0);
	assert_int_equal(store_cert_export(b, 0, fold_keys, &kb, &e), 0);
	assert_true(ka == kb);
}

/* Copied: the same records, counters and work; new writes come after the copied ones. */
static void
test_copy_exact(void **state)
{
	struct copy_report rep;
	struct store *dst = target(0, STORE_CREATE);
	struct cert_record r = {0};
	struct ocsp_record o;
	enum store_insert_result res;
	int64_t v, held_src, held_dst;
	uint8_t der[4] = {1, 2, 3, 4};
	struct err e;

	(void)state;
	assert_int_equal(copy_run(src, dst, NULL, NULL, &rep, &e), 0);
	assert_false(rep.resumed);
	assert_int_equal(rep.copied[COPY_T_CERTS], N_E1 + N_R1);
	assert_int_equal(copy_mismatch(&rep), -1);
	assert_int_equal(rep.src[COPY_T_OCSP].rows, rep.copied[COPY_T_OCSP]);
	same_everything(src, dst);
	/* The copy goes on where the source was: no id or seq taken twice. */
	r.issuer_id = e1;
	r.serial[0] = 0x77;
	r.serial_len = 1;
	r.shard = 1;
	r.not_after = 5000000;
	assert_int_equal(store_cert_insert(dst, &r, &res, &e), 0);
	assert_int_equal(store_seq(src, STORE_SEQ_CHANGE, &v, &e), 0);
	assert_true(r.change_seq > v);
	assert_true(r.id > N_E1 + N_R1);
	o = (struct ocsp_record){.cert_id = r.id, .hash = OCSP_HASH_SHA1, .der = der,
	    .der_len = sizeof(der), .due_at = NOW + 5, .cert_seq = r.change_seq};
	assert_int_equal(store_ocsp_put(dst, &o, 1, &e), 0);
	assert_int_equal(store_seq(src, STORE_SEQ_OCSP, &v, &e), 0);
	assert_true(o.seq > v);
	/* r1's held responses are known held in the copy: released, the same ones. */
	assert_int_equal(store_ocsp_release(dst, r1, &held_dst, &e), 0);
	assert_true(held_dst > 0);
	assert_int_equal(store_ocsp_release(src, r1, &held_src, &e), 0);
	assert_int_equal(held_src, held_dst);
	store_close(dst);
}

/*
 * The child's progress callback: dies as a SIGKILL would, right after the
 * first batch it committed; in the signed-revoked step, which starts over
 * when resumed, only when told to (else it would never get past it).
 */
static int die_in_revoked;

static void
die_after_batch(void *arg, enum copy_table t, int verifying, int64_t rows)
{
	(void)arg;
	(void)rows;
	if (verifying || (t == COPY_T_REVOKED && !die_in_revoked))
		return;
	_exit(t == COPY_T_REVOKED ? 10 : 9);
}

/* Run copy_run in a child: 0 done, 9 or 10 killed after a batch. */
static int
copy_killed_once(int n)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct copy_report rep;
		struct err e;
		struct store *s = store_open(src_dir, "sqlite:lancre.db", STORE_WRITE, &e);
		struct store *d = s != NULL ? cur->open(n, STORE_WRITE, &e) : NULL;
		if (d == NULL)
			_exit(3);
		_exit(copy_run(s, d, die_after_batch, NULL, &rep, &e) == 0 ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/*
 * Killed after every batch and run again until done: the same as an
 * uninterrupted copy (checksums, and the contract's view).
 */
static void
test_copy_resumed_after_every_batch(void **state)
{
	struct copy_report whole, pieces;
	struct store *a = target(1, STORE_CREATE), *b = target(2, STORE_CREATE);
	int runs = 0, rc;
	struct err e;

	(void)state;
	assert_int_equal(copy_run(src, a, NULL, NULL, &whole, &e), 0);
	store_close(b);
	die_in_revoked = 1;
	while ((rc = copy_killed_once(2)) == 9 || rc == 10) {
		if (rc == 10)
			die_in_revoked = 0;
		assert_true(++runs < 200);
	}
	assert_int_equal(rc, 0);
	/*
	 * The issuers, 2 certificate batches, 20 of responses, 7 CRLs, the signed
	 * revoked, the tokens, 2 audit batches.
	 */
	assert_int_equal(runs, 1 + 2 + 20 + 7 + 1 + 1 + 2);
	b = target(2, STORE_WRITE);
	assert_int_equal(copy_run(src, b, NULL, NULL, &pieces, &e), 0);
	assert_true(pieces.was_done);
	assert_memory_equal(whole.dst, pieces.dst, sizeof(whole.dst));
	same_everything(a, b);
	store_close(a);
	store_close(b);
}

/* A target with something else in it is refused, and left as it was. */
static void
test_copy_refuses(void **state)
{
	struct copy_report rep;
	struct store *dst = target(3, STORE_CREATE), *other;
	struct store_copy_mark m;
	char odir[256];
	int64_t v;
	struct err e;

	(void)state;
	issuer(dst, "zz", NULL, 1);
	assert_int_equal(copy_run(src, dst, NULL, NULL, &rep, &e), -1);
	assert_non_null(strstr(e.msg, "not empty"));
	assert_int_equal(store_copy_mark_get(dst, &m, &e), 0);
	assert_int_equal(store_cert_count(dst, 0, &v, &v, &e), 0);
	assert_int_equal(v, 0);
	store_close(dst);
	/* A copy of another store (different issuers) is not resumed. */
	test_mkdtemp(odir, sizeof(odir));
	other = store_open(odir, "sqlite:lancre.db", STORE_CREATE, &e);
	assert_non_null(other);
	issuer(other, "e1", "keys/e1.key", 2);
	dst = target(4, STORE_CREATE);
	assert_int_equal(copy_run(other, dst, NULL, NULL, &rep, &e), 0);
	assert_int_equal(copy_run(src, dst, NULL, NULL, &rep, &e), -1);
	assert_non_null(strstr(e.msg, "copy of another store"));
	store_close(other);
	store_close(dst);
	test_rmdir(odir);
}

/* A source changed after the copy: verifying again finds which table differs. */
static void
test_copy_verify_finds_change(void **state)
{
	struct copy_report rep;
	struct store *dst = target(5, STORE_CREATE);
	struct cert_record r;
	uint8_t sn[3] = {0x10, 0, 1};
	struct err e;

	(void)state;
	assert_int_equal(copy_run(src, dst, NULL, NULL, &rep, &e), 0);
	assert_int_equal(store_cert_get(src, e1, sn, 3, &r, &e), 1);
	assert_int_equal(store_cert_revoke(src, r.id, 12345, 1, &e), 0);
	assert_int_equal(copy_run(src, dst, NULL, NULL, &rep, &e), -1);
	assert_true(rep.was_done);
	assert_int_equal(copy_mismatch(&rep), COPY_T_CERTS);
	assert_non_null(strstr(e.msg, "differs"));
	store_close(dst);
}

/* The checksums cover the tokens and the audit trail: a change to either is found. */
static void
test_copy_verify_covers_audit(void **state)
{
	struct copy_report rep;
	struct store *dst = target(6, STORE_CREATE);
	struct audit_event ev = {.at = 1, .actor = "cli:x", .origin = "cli", .action = "token.add"};
	struct err e;

	(void)state;
	assert_int_equal(copy_run(src, dst, NULL, NULL, &rep, &e), 0);
	assert_int_equal(store_token_revoke(src, "admin", 10, &e), 1);
	assert_int_equal(copy_run(src, dst, NULL, NULL, &rep, &e), -1);
	assert_int_equal(copy_mismatch(&rep), COPY_T_TOKENS);
	assert_int_equal(store_token_revoke(dst, "admin", 10, &e), 1);
	assert_int_equal(store_audit_append(src, &ev, &e), 0);
	assert_int_equal(copy_run(src, dst, NULL, NULL, &rep, &e), -1);
	assert_int_equal(copy_mismatch(&rep), COPY_T_AUDIT);
	store_close(dst);
}

#define COPY_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	static const struct CMUnitTest tests[] = {
	    COPY_TEST(test_copy_exact),
	    COPY_TEST(test_copy_resumed_after_every_batch),
	    COPY_TEST(test_copy_refuses),
	    COPY_TEST(test_copy_verify_finds_change),
	    COPY_TEST(test_copy_verify_covers_audit),
	};
	int failed = 0;

	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		cur = &targets[i];
		if (cur->open == pg_target && pgtest_url() == NULL) {
			printf("# postgresql: not run: LANCRE_TEST_PG is not set\n");
			continue;
		}
		failed += cmocka_run_group_tests_name(cur->name, tests, NULL, NULL);
	}
	return failed;
}
