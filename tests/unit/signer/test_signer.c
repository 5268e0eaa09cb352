/*
 * Unit tests for the signer's policy: validity, refresh and jitter; ocsp_sign's
 * output; and whole signer passes, with response templates and with OpenSSL's
 * builder, which must agree byte for byte apart from the signatures.
 */
#include "testutil.h"
#include "pgtest.h"
#include "store/backend.h"
#include "ocsp/sign.h"
#include "signer/signer.h"
#include "signer/signer_int.h" /* signer_key_failed: a key that stops signing */
#include "util/fsutil.h"

#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <sqlite3.h>

static void
test_times_within_bounds(void **state)
{
	struct conf c;
	int64_t t, n, d, now = 1800000000 + 37;
	uint8_t serial[8];
	int64_t min_next = INT64_MAX, max_next = 0;

	(void)state;
	conf_defaults(&c); /* 4d validity, 2d refresh */
	for (uint32_t i = 0; i < 2000; i++) {
		memcpy(serial, &i, sizeof(i));
		memcpy(serial + 4, &i, sizeof(i));
		signer_times(&c, serial, sizeof(serial), now, &t, &n, &d);
		assert_int_equal(t, now - 37);     /* to the minute */
		assert_int_equal(n % 60, 0);
		assert_true(n - t >= CONF_OCSP_VALIDITY_MIN);
		assert_true(n - t <= c.ocsp_validity);
		assert_true(d > t && d - t <= c.ocsp_refresh);
		assert_true(d - t <= (n - t) / 2 + 60);
		if (n < min_next)
			min_next = n;
		if (n > max_next)
			max_next = n;
	}
	/* Jitter spreads expiry over most of a tenth of the validity. */
	assert_true(max_next - min_next > c.ocsp_validity / 20);
}

static void
test_times_minimum_validity_has_no_jitter(void **state)
{
	struct conf c;
	int64_t t, n, d;
	uint8_t serial[] = {1, 2, 3};

	(void)state;
	conf_defaults(&c);
	c.ocsp_validity = CONF_OCSP_VALIDITY_MIN;
	c.ocsp_refresh = CONF_OCSP_VALIDITY_MIN / 2;
	signer_times(&c, serial, sizeof(serial), 1800000000, &t, &n, &d);
	assert_int_equal(n - t, CONF_OCSP_VALIDITY_MIN);
	assert_int_equal(d - t, CONF_OCSP_VALIDITY_MIN / 2);
}

static void
sign_and_check(enum mint_key_type type)
{
	struct test_ca ca;
	struct ocsp_signer sg;
	uint8_t serial[] = {0x00, 0x80, 0x01};
	struct ocsp_status st = {serial, sizeof(serial), CERT_REVOKED, 1800000000 - 5000, 1,
	    1800000000, 1800000000 + 86400};
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *der;
	const unsigned char *p;
	size_t len;
	struct err e;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	STACK_OF(X509) *certs = sk_X509_new_null();

	test_ca_make(&ca, "sign test CA", NULL, type);
	sg = (struct ocsp_signer){ca.cert, ca.cert, ca.key, 0};
	assert_int_equal(ocsp_sign(&sg, ctx, OCSP_HASH_SHA1, &st, &der, &len, &e), 0);
	p = der;
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	assert_non_null(resp);
	assert_int_equal(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = OCSP_response_get1_basic(resp);
	assert_non_null(bs);
	sk_X509_push(certs, ca.cert);
	/* Verify with the CA as the (only, trusted) signer. */
	assert_int_equal(OCSP_basic_verify(bs, certs, NULL, OCSP_NOVERIFY | OCSP_TRUSTOTHER), 1);
	assert_int_equal(OCSP_resp_count(bs), 1);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	OPENSSL_free(der);
	sk_X509_free(certs);
	EVP_MD_CTX_free(ctx);
	test_ca_free(&ca);
}

static void
test_sign_key_types(void **state)
{
	(void)state;
	sign_and_check(MINT_P256);
	sign_and_check(MINT_P384);
	sign_and_check(MINT_RSA2048);
	sign_and_check(MINT_ED25519);
}

/* A data directory with issuers e1 (P-256) and r1 (RSA), keys as PEM files, and 6 certificates. */
struct pass_fixture {
	char dir[256];
	struct store *s;
};

static void
fixture_issuer(struct pass_fixture *f, const char *name, const struct test_ca *ca)
{
	char path[400], key_ref[300];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.key", f->dir, name);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(PEM_write_PrivateKey(fp, ca->key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(fp);
	snprintf(key_ref, sizeof(key_ref), "%s.key", name);
	test_issuer_add(f->s, name, ca, key_ref, 1);
}

/* Where fixture_make makes its store: SQLite's file, or a PostgreSQL database (pgtest.h). */
static const char *fixture_location = "lancre.db";

static void
fixture_make(struct pass_fixture *f, const struct test_ca *e1, const struct test_ca *r1,
    int64_t now)
{
	static const uint8_t serials[][3] = {{0x01}, {0x00, 0x80, 0x01}, {0x7f, 0xff}, {0x42},
	    {0x00, 0xc0, 0x02}, {0x33, 0x44}};
	static const size_t lens[] = {1, 3, 2, 1, 3, 2};
	enum store_insert_result res;
	struct cert_record c;
	struct err e;

	test_mkdtemp(f->dir, sizeof(f->dir));
	assert_non_null(f->s = store_open(f->dir, fixture_location, STORE_CREATE, &e));
	fixture_issuer(f, "e1", e1);
	fixture_issuer(f, "r1", r1);
	for (int i = 0; i < 6; i++) {
		memset(&c, 0, sizeof(c));
		c.issuer_id = i < 4 ? 1 : 2;
		memcpy(c.serial, serials[i], lens[i]);
		c.serial_len = lens[i];
		c.not_before = now - 86400;
		c.not_after = now + 90 * 86400;
		c.shard = 1;
		c.fingerprint[0] = (uint8_t)i;
		c.fingerprint[31] = 0xf1; /* never all zero: a row from a certificate */
		c.added_at = now;
		if (i % 2 == 1) { /* revoked: with keyCompromise, and with no reason */
			c.status = CERT_REVOKED;
			c.revoked_at = now - 3600 * i;
			c.reason = i == 1 ? 1 : 0;
		}
		assert_int_equal(store_cert_insert(f->s, &c, &res, &e), 0);
	}
}

struct collected {
	unsigned char *der[16];
	size_t len[16];
	int64_t cert_id[16];
	enum ocsp_hash hash[16];
	size_t n;
};

static int
collect(void *arg, const struct ocsp_record *r)
{
	struct collected *c = arg;

	assert_true(c->n < 16);
	c->der[c->n] = OPENSSL_memdup(r->der, r->der_len);
	c->len[c->n] = r->der_len;
	c->cert_id[c->n] = r->cert_id;
	c->hash[c->n++] = r->hash;
	return 0;
}

static void
sign_fixture(struct pass_fixture *f, int templates, int64_t now, struct collected *out)
{
	struct conf c;
	struct signer *sg;
	struct signer_stats st = {0};
	struct err e;

	conf_defaults(&c);
	sg = signer_new(f->s, &c, f->dir, 2, &e);
	assert_non_null(sg);
	signer_use_templates(sg, templates);
	assert_int_equal(signer_pass(sg, now, &st, &e), 0);
	assert_int_equal(st.responses, 12);
	assert_int_equal(st.slow, templates ? 0 : 12);
	signer_free(sg);
	memset(out, 0, sizeof(*out));
	assert_int_equal(store_ocsp_each(f->s, 0, collect, out, &e), 0);
	assert_int_equal(out->n, 12);
}

/* The DER of a response's tbsResponseData, and that its signature verifies with signer. */
static size_t
checked_respdata(const unsigned char *der, size_t len, X509 *signer, unsigned char **out)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = OCSP_response_get1_basic(resp);
	STACK_OF(X509) *certs = sk_X509_new_null();
	int n;

	assert_non_null(bs);
	sk_X509_push(certs, signer);
	assert_int_equal(OCSP_basic_verify(bs, certs, NULL, OCSP_NOVERIFY | OCSP_TRUSTOTHER), 1);
	*out = NULL;
	n = i2d_OCSP_RESPDATA((OCSP_RESPDATA *)OCSP_resp_get0_respdata(bs), out);
	assert_true(n > 0);
	sk_X509_free(certs);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return (size_t)n;
}

static void
test_pass_templates_match_openssl(void **state)
{
	struct test_ca root, e1, r1;
	struct pass_fixture a, b;
	struct collected ours, theirs;
	int64_t now = (int64_t)time(NULL);
	unsigned char *x, *y;
	size_t nx, ny;

	(void)state;
	test_ca_make(&root, "root", NULL, MINT_P256);
	test_ca_make(&e1, "e1", &root, MINT_P256);
	test_ca_make(&r1, "r1", &root, MINT_RSA2048);
	fixture_make(&a, &e1, &r1, now);
	fixture_make(&b, &e1, &r1, now);
	sign_fixture(&a, 1, now, &ours);
	sign_fixture(&b, 0, now, &theirs);
	for (size_t i = 0; i < ours.n; i++) {
		size_t k;
		for (k = 0; k < theirs.n; k++) {
			if (theirs.cert_id[k] == ours.cert_id[i] && theirs.hash[k] == ours.hash[i])
				break;
		}
		assert_true(k < theirs.n);
		X509 *signer = ours.cert_id[i] <= 4 ? e1.cert : r1.cert;
		nx = checked_respdata(ours.der[i], ours.len[i], signer, &x);
		ny = checked_respdata(theirs.der[k], theirs.len[k], signer, &y);
		assert_int_equal(nx, ny);
		assert_memory_equal(x, y, nx);
		OPENSSL_free(x);
		OPENSSL_free(y);
	}
	for (size_t i = 0; i < ours.n; i++) {
		OPENSSL_free(ours.der[i]);
		OPENSSL_free(theirs.der[i]);
	}
	store_close(a.s);
	store_close(b.s);
	test_rmdir(a.dir);
	test_rmdir(b.dir);
	test_ca_free(&r1);
	test_ca_free(&e1);
	test_ca_free(&root);
}

static int
count_responses(void *arg, const struct ocsp_record *r)
{
	(void)r;
	(*(size_t *)arg)++;
	return 0;
}

static size_t
stored_responses(struct store *s)
{
	size_t n = 0;
	struct err e;

	assert_int_equal(store_ocsp_each(s, 0, count_responses, &n, &e), 0);
	return n;
}

static void
pass_expect(struct signer *sg, int64_t now, uint64_t responses)
{
	struct signer_stats st = {0};
	struct err e;

	assert_int_equal(signer_pass(sg, now, &st, &e), 0);
	assert_int_equal(st.responses, responses);
}

/* A pass that succeeds, whatever it signs. */
static void
pass_any(struct signer *sg, int64_t now)
{
	struct signer_stats st = {0};
	struct err e;

	assert_int_equal(signer_pass(sg, now, &st, &e), 0);
}

/*
 * More certificates than two pages: the signer reads each page while the one
 * before it is signed, and none is lost at the seams: every certificate is
 * signed once, revocations on either side of a seam are re-signed, and when
 * everything comes due every response is re-signed once.
 */
static void
test_pass_pages(void **state)
{
	const size_t n = 2 * SIGNER_BATCH + 3;
	const int64_t revoke[] = {1, SIGNER_BATCH, SIGNER_BATCH + 1, (int64_t)n};
	struct test_ca root, e1;
	struct pass_fixture f;
	struct cert_record c;
	enum store_insert_result res;
	int64_t now = (int64_t)time(NULL);
	struct signer *sg;
	struct conf conf;
	struct err e;

	(void)state;
	test_ca_make(&root, "root", NULL, MINT_P256);
	test_ca_make(&e1, "e1", &root, MINT_P256);
	test_mkdtemp(f.dir, sizeof(f.dir));
	assert_non_null(f.s = store_open(f.dir, "lancre.db", 1, &e));
	fixture_issuer(&f, "e1", &e1);
	for (size_t i = 0; i < n; i++) {
		memset(&c, 0, sizeof(c));
		c.issuer_id = 1;
		c.serial[0] = 0x10;
		c.serial[1] = (uint8_t)(i >> 8);
		c.serial[2] = (uint8_t)i;
		c.serial_len = 3;
		c.not_before = now - 86400;
		c.not_after = now + 90 * 86400;
		c.shard = 1;
		memcpy(c.fingerprint, &i, sizeof(i));
		c.fingerprint[31] = 0xf1;
		c.added_at = now;
		assert_int_equal(store_cert_insert(f.s, &c, &res, &e), 0);
	}
	conf_defaults(&conf);
	conf.ocsp_sha256 = 0;
	assert_non_null(sg = signer_new(f.s, &conf, f.dir, 2, &e));
	pass_expect(sg, now, n);
	assert_int_equal(stored_responses(f.s), n);
	pass_expect(sg, now, 0);
	for (size_t i = 0; i < sizeof(revoke) / sizeof(revoke[0]); i++)
		assert_int_equal(store_cert_revoke(f.s, revoke[i], now, 1, &e), 0);
	pass_expect(sg, now + 1, sizeof(revoke) / sizeof(revoke[0]));
	pass_expect(sg, now + conf.ocsp_validity, n);
	pass_expect(sg, now + conf.ocsp_validity, 0);
	assert_int_equal(stored_responses(f.s), n);
	signer_free(sg);
	store_close(f.s);
	test_rmdir(f.dir);
	test_ca_free(&e1);
	test_ca_free(&root);
}

/* Run sql on the fixture's store behind the store's back (what a restart cannot know). */
static void
fixture_sql(const struct pass_fixture *f, const char *sql)
{
	char path[300];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/lancre.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
}

/* A root, e1 (P-256) and r1 (r1_type) under it, and a fixture of their certificates. */
struct world {
	struct test_ca root, e1, r1;
	struct pass_fixture f;
};

static void
world_make(struct world *w, enum mint_key_type r1_type, int64_t now)
{
	test_ca_make(&w->root, "root", NULL, MINT_P256);
	test_ca_make(&w->e1, "e1", &w->root, MINT_P256);
	test_ca_make(&w->r1, "r1", &w->root, r1_type);
	fixture_make(&w->f, &w->e1, &w->r1, now);
}

static void
world_free(struct world *w)
{
	store_close(w->f.s);
	test_rmdir(w->f.dir);
	test_ca_free(&w->r1);
	test_ca_free(&w->e1);
	test_ca_free(&w->root);
}

/* What the signer refused, as told through signer_events.on_refused. */
struct refusals {
	int n;
	char why[2][256];
};

static void
on_refused(void *arg, const char *issuer, const char *serial, const char *why, size_t dropped)
{
	struct refusals *r = arg;

	(void)issuer;
	(void)serial;
	(void)dropped;
	if (r->n < 2)
		snprintf(r->why[r->n], sizeof(r->why[0]), "%s", why);
	r->n++;
}

/* Responses stored for cert_id that reflect its change change_seq. */
struct reflect {
	int64_t cert_id, cert_seq;
	int n;
};

static int
count_reflecting(void *arg, const struct ocsp_record *r)
{
	struct reflect *x = arg;

	x->n += r->cert_id == x->cert_id && (x->cert_seq == 0 || r->cert_seq == x->cert_seq);
	return 0;
}

static int
responses_for(struct store *s, int64_t cert_id, int64_t cert_seq)
{
	struct reflect x = {cert_id, cert_seq, 0};
	struct err e;

	assert_int_equal(store_ocsp_each(s, 0, count_reflecting, &x, &e), 0);
	return x.n;
}

/*
 * Defence in depth (issue 16): with the store's trigger dropped and a revoked
 * certificate set good behind its back, the signer does not sign it good; nor
 * a row that no certificate made (no fingerprint).  Each is told once and
 * counted, in the stats and by reason in the store (the server's /metrics);
 * the revoked response stays the last one signed.
 */
static void
test_refuses_good_after_revoked(void **state)
{
	int64_t now = (int64_t)time(NULL), seq, key_seq, seq2, counted[STORE_REFUSED_COUNT];
	struct refusals told = {0};
	int avail;
	struct signer_events ev = {.on_refused = on_refused, .arg = &told};
	struct signer_stats st = {0};
	char path[300], sql[1024];
	struct signer *sg;
	struct conf conf;
	struct world w;
	struct err e;
	sqlite3 *db;

	(void)state;
	world_make(&w, MINT_P256, now);
	conf_defaults(&conf);
	assert_non_null(sg = signer_new(w.f.s, &conf, w.f.dir, 1, &e));
	assert_int_equal(signer_pass(sg, now, &st, &e), 0);
	assert_int_equal(st.refused, 0);
	assert_int_equal(responses_for(w.f.s, 2, 0), 2); /* certificate 2 is revoked */

	/* Behind the store's back: its trigger dropped, certificate 2 made good as a new
	 * change, and a row no certificate made. */
	snprintf(path, sizeof(path), "%s/lancre.db", w.f.dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql),
	    "DROP TRIGGER certificates_revocation_final;"
	    "UPDATE meta SET value = value + 1 WHERE key = 'change_seq';"
	    "UPDATE certificates SET status = 0, change_seq = (SELECT value FROM meta WHERE"
	    " key = 'change_seq') WHERE id = 2;"
	    "INSERT INTO certificates (issuer_id, serial, not_before, not_after, shard, fingerprint,"
	    " added_at, changed_at, change_seq) VALUES (1, x'0bad', %lld, %lld, 1, zeroblob(32),"
	    " %lld, %lld, (SELECT value FROM meta WHERE key = 'change_seq'));",
	    (long long)(now - 60), (long long)(now + 30 * 86400), (long long)now, (long long)now);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_seq(w.f.s, STORE_SEQ_CHANGE, &seq, &e), 0);

	assert_int_equal(store_refusals_get(w.f.s, counted, &e), 0);
	assert_int_equal(counted[STORE_REFUSED_REVOKED_BEFORE] + counted[STORE_REFUSED_NO_CERTIFICATE], 0);
	assert_int_equal(store_key_state_get(w.f.s, 0, &avail, &key_seq, &e), 0);
	assert_int_equal(signer_pass(sg, now + 1, &st, &e), 0);
	assert_int_equal(st.refused, 2);
	/* Counted by reason in the store, for the server's /metrics, and key_seq raised. */
	assert_int_equal(store_refusals_get(w.f.s, counted, &e), 0);
	assert_int_equal(counted[STORE_REFUSED_REVOKED_BEFORE], 1);
	assert_int_equal(counted[STORE_REFUSED_NO_CERTIFICATE], 1);
	assert_int_equal(counted[STORE_REFUSED_BAD_ISSUER], 0);
	assert_int_equal(store_key_state_get(w.f.s, 0, &avail, &seq2, &e), 0);
	assert_true(seq2 > key_seq);
	assert_int_equal(responses_for(w.f.s, 2, seq), 0); /* never signed good */
	assert_int_equal(responses_for(w.f.s, 2, 0), 2);   /* the revoked ones stay */
	assert_int_equal(responses_for(w.f.s, 7, 0), 0);   /* the row without a certificate */
	signer_report(sg, &ev);
	assert_int_equal(told.n, 2);
	assert_non_null(strstr(told.why[0], "revoked before") != NULL ? told.why[0] : told.why[1]);
	assert_true(strstr(told.why[0], "fingerprint") != NULL ||
		    strstr(told.why[1], "fingerprint") != NULL);
	/* Told once: a later pass meets them again and says nothing more. */
	assert_int_equal(signer_pass(sg, now + 2, &st, &e), 0);
	signer_report(sg, &ev);
	assert_int_equal(told.n, 2);
	assert_int_equal(st.refused, 2);
	assert_int_equal(store_refusals_get(w.f.s, counted, &e), 0);
	assert_int_equal(counted[STORE_REFUSED_REVOKED_BEFORE] + counted[STORE_REFUSED_NO_CERTIFICATE], 2);
	signer_free(sg);

	/* A new signer (a restart) knows from the key store what it signed revoked. */
	st = (struct signer_stats){0};
	assert_non_null(sg = signer_new(w.f.s, &conf, w.f.dir, 1, &e));
	snprintf(path, sizeof(path), "%s/lancre.db", w.f.dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE ocsp_responses SET due_at = 0", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE ocsp_due SET due_at = 0", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(signer_pass(sg, now + 3, &st, &e), 0);
	assert_true(st.refused >= 1);
	assert_int_equal(responses_for(w.f.s, 2, seq), 0);
	signer_free(sg);
	world_free(&w);
}

/* After 1, 2, 3... failed steps in a row the running signer waits 1, 2, 4... s, up to a minute. */
static void
test_retry_delay(void **state)
{
	static const int want[] = {1, 2, 4, 8, 16, 32, 60, 60};

	(void)state;
	for (int i = 0; i < 8; i++)
		assert_int_equal(signer_retry_delay(i + 1), want[i]);
	assert_int_equal(signer_retry_delay(1000000), SIGNER_RETRY_MAX);
}

/* A store whose writes of responses fail while put_failures > 0 (a full disk). */
static const struct store_ops *real_ops;
static struct store_ops failing_ops;
static int put_failures;

static int
failing_put(struct store *s, struct ocsp_record *r, size_t n, struct err *e)
{
	if (put_failures > 0) {
		put_failures--;
		return err_set(e, "database or disk is full (a test)");
	}
	return real_ops->ocsp_put(s, r, n, e);
}

struct loop_log {
	int errors, retry_secs, recovered_after, passes;
	char msg[ERR_MSG_MAX];
};

static volatile sig_atomic_t loop_stop;

static void
on_loop_error(void *arg, const struct err *e, int retry_secs)
{
	struct loop_log *l = arg;

	l->errors++;
	l->retry_secs = retry_secs;
	snprintf(l->msg, sizeof(l->msg), "%s", e->msg);
}

static void
on_loop_recover(void *arg, int failures)
{
	((struct loop_log *)arg)->recovered_after = failures;
}

static void
on_loop_pass(void *arg, const struct signer_stats *before, const struct signer_stats *after)
{
	(void)before;
	((struct loop_log *)arg)->passes++;
	if (after->responses >= 12)
		loop_stop = 1;
}

/*
 * The running signer does not stop on a failed step: it reports it, waits
 * (1 s after the first failure) and tries the whole step again, which then
 * signs everything; nothing of the failed step was kept.
 */
static void
test_loop_retries_a_failed_step(void **state)
{
	struct loop_log log = {0};
	struct signer_events ev = {.on_pass = on_loop_pass, .on_error = on_loop_error,
	    .on_recover = on_loop_recover, .arg = &log};
	struct signer_stats st = {0};
	struct signer *sg;
	struct world w;
	struct conf conf;
	struct err e;

	(void)state;
	world_make(&w, MINT_RSA2048, (int64_t)time(NULL));
	real_ops = w.f.s->ops;
	failing_ops = *real_ops;
	failing_ops.ocsp_put = failing_put;
	w.f.s->ops = &failing_ops;
	put_failures = 1;
	conf_defaults(&conf);
	assert_non_null(sg = signer_new(w.f.s, &conf, w.f.dir, 2, &e));
	loop_stop = 0;
	signer_loop(sg, &loop_stop, &ev, &st);
	assert_int_equal(log.errors, 1);
	assert_int_equal(log.retry_secs, 1);
	assert_non_null(strstr(log.msg, "disk is full (a test)"));
	assert_int_equal(log.recovered_after, 1);
	assert_int_equal(log.passes, 1);
	assert_int_equal(st.responses, 12);
	assert_int_equal(stored_responses(w.f.s), 12);
	signer_free(sg);
	w.f.s->ops = real_ops;
	world_free(&w);
}

/*
 * A CRL is published to DIR/public/ before it is stored: when publishing
 * fails, the store does not have it, and the next pass signs, publishes and
 * stores it, so the file is never left behind the store.
 */
static void
test_crl_publish_failure_is_retried(void **state)
{
	struct signer_stats st = {0};
	struct crl_record got;
	struct signer *sg;
	struct world w;
	struct conf conf;
	struct err e;
	char path[400];
	int64_t now = (int64_t)time(NULL);
	X509_CRL *crl;
	ASN1_INTEGER *num;
	FILE *fp;

	(void)state;
	world_make(&w, MINT_P256, now);
	conf_defaults(&conf);
	/* A file where the issuer's CRL directory goes. */
	snprintf(path, sizeof(path), "%s/public/crl", w.f.dir);
	assert_int_equal(fs_mkdir_p(path, 0755, &e), 0);
	snprintf(path, sizeof(path), "%s/public/crl/e1", w.f.dir);
	assert_non_null(fp = fopen(path, "w"));
	fclose(fp);
	assert_non_null(sg = signer_new(w.f.s, &conf, w.f.dir, 2, &e));
	assert_int_equal(signer_pass(sg, now, &st, &e), -1);
	assert_int_equal(st.responses, 12); /* committed before the CRLs */
	assert_int_equal(store_crl_get(w.f.s, 1, 1, &got, &e), 0);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(signer_pass(sg, now, &st, &e), 0);
	assert_int_equal(store_crl_get(w.f.s, 1, 1, &got, &e), 1);
	snprintf(path, sizeof(path), "%s/public/crl/e1/1.crl", w.f.dir);
	assert_non_null(fp = fopen(path, "rb"));
	assert_non_null(crl = d2i_X509_CRL_fp(fp, NULL));
	fclose(fp);
	assert_non_null(num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL));
	assert_int_equal(ASN1_INTEGER_get(num), got.number);
	ASN1_INTEGER_free(num);
	X509_CRL_free(crl);
	signer_free(sg);
	world_free(&w);
}

/*
 * Another signer stores a CRL for the scope while this one reads its
 * entries (a unit given back and taken again): the number this signer
 * chose is then not above the stored one, the store refuses it, and the
 * file never reaches public/ (it did when the file was written before the
 * store's check).  File-static, as slow below: the store's callbacks have no
 * room for the test's context.
 */
static struct overtake {
	const struct store_ops *real;
	struct store_ops ops;
	struct store *other;
	int64_t issuer_id;
	int shard, done;
} overtake;

static int
overtaken_entries(struct store *s, int64_t issuer_id, int shard, int64_t min_not_after,
    int64_t after_seq, int (*cb)(void *, const struct cert_record *, struct err *), void *arg,
    struct err *e)
{
	static const uint8_t der[] = {0x30, 0x00};
	struct crl_record r = {.issuer_id = issuer_id, .shard = shard, .number = INT64_MAX / 2,
	    .der = der, .der_len = sizeof(der)};

	if (!overtake.done) {
		overtake.done = 1;
		overtake.issuer_id = issuer_id;
		overtake.shard = shard;
		r.this_update = (int64_t)time(NULL);
		r.next_update = r.this_update + 3600;
		if (store_crl_put(overtake.other, &r, e) != 0)
			return -1;
	}
	return overtake.real->crl_entries(s, issuer_id, shard, min_not_after, after_seq, cb, arg,
	    e);
}

static void
test_crl_number_refused_is_not_published(void **state)
{
	struct signer_stats st = {0};
	struct crl_record got;
	struct signer *sg;
	struct world w;
	struct conf conf;
	struct err e;
	char path[400];
	int64_t now = (int64_t)time(NULL);

	(void)state;
	world_make(&w, MINT_P256, now);
	conf_defaults(&conf);
	memset(&overtake, 0, sizeof(overtake));
	assert_non_null(overtake.other = store_open(w.f.dir, "lancre.db", STORE_WRITE, &e));
	overtake.real = w.f.s->ops;
	overtake.ops = *overtake.real;
	overtake.ops.crl_entries = overtaken_entries;
	w.f.s->ops = &overtake.ops;
	assert_non_null(sg = signer_new(w.f.s, &conf, w.f.dir, 1, &e));
	assert_int_equal(signer_pass(sg, now, &st, &e), -1);
	assert_int_equal(overtake.done, 1);
	assert_int_equal(store_crl_get(w.f.s, overtake.issuer_id, overtake.shard, &got, &e), 1);
	assert_true(got.number == INT64_MAX / 2); /* the other's, not replaced */
	if (overtake.shard == 0)
		snprintf(path, sizeof(path), "%s/public/crl/e1.crl", w.f.dir);
	else
		snprintf(path, sizeof(path), "%s/public/crl/e1/%d.crl", w.f.dir, overtake.shard);
	assert_int_equal(access(path, F_OK), -1);
	w.f.s->ops = overtake.real;
	signer_free(sg);
	store_close(overtake.other);
	world_free(&w);
}

/*
 * A restarted signer resumes the scan of changed certificates at the store's
 * mark, made with the same issuers: a response deleted behind the mark is
 * not looked for (a full rescan would find it), while a revocation made
 * after the mark is.  When the issuers change, the mark no longer holds: the
 * running signer starts over and finds the missing response.
 */
static void
test_pass_resumes_at_mark(void **state)
{
	struct test_ca x1;
	struct world w;
	struct pass_fixture *f = &w.f;
	struct store_signed_upto u;
	struct signer *sg;
	struct conf conf;
	struct err e;
	int64_t now = (int64_t)time(NULL), issuer_seq;

	(void)state;
	world_make(&w, MINT_P256, now);
	test_ca_make(&x1, "x1", &w.root, MINT_P256);
	conf_defaults(&conf);
	assert_non_null(sg = signer_new(f->s, &conf, f->dir, 2, &e));
	pass_expect(sg, now, 12);
	signer_free(sg);
	assert_int_equal(store_signed_upto_get(f->s, &u, &e), 0);
	assert_int_equal(store_seq(f->s, STORE_SEQ_ISSUER, &issuer_seq, &e), 0);
	assert_int_equal(u.issuer_seq, issuer_seq);
	assert_false(store_cursor_same(&u.at, &(struct store_cursor){{0}}));

	fixture_sql(f, "DELETE FROM ocsp_responses WHERE cert_id = 2 AND hash_alg = 1");
	assert_non_null(sg = signer_new(f->s, &conf, f->dir, 2, &e));
	pass_expect(sg, now, 0);
	assert_int_equal(store_cert_revoke(f->s, 3, now, 1, &e), 0);
	pass_expect(sg, now, 2);
	assert_int_equal(stored_responses(f->s), 11);

	fixture_issuer(f, "x1", &x1);
	pass_expect(sg, now, 2);
	assert_int_equal(stored_responses(f->s), 12);
	signer_free(sg);
	assert_int_equal(store_signed_upto_get(f->s, &u, &e), 0);
	assert_int_equal(u.issuer_seq, issuer_seq + 1);
	test_ca_free(&x1);
	world_free(&w);
}

struct issuer_news {
	char name[16], why[ERR_MSG_MAX];
	int n;
};

static void
on_issuer_news(void *arg, const char *issuer, const char *why)
{
	struct issuer_news *news = arg;

	news->n++;
	snprintf(news->name, sizeof(news->name), "%s", issuer);
	snprintf(news->why, sizeof(news->why), "%s", why != NULL ? why : "(up)");
}

/*
 * A key that does not load leaves its issuer out, not the signer: the other
 * issuer's four certificates are signed; the failure is told once, with the
 * issuer and the key; the store's mark is held back.  With the key back
 * (set-key), the next pass signs the left-out issuer's certificates and tells
 * that it signs for it again.
 */
static void
test_missing_key_leaves_only_its_issuer(void **state)
{
	struct issuer_news news = {0};
	struct signer_events ev = {.on_issuer = on_issuer_news, .arg = &news};
	struct store_signed_upto u;
	struct signer *sg;
	struct world w;
	struct conf conf;
	struct err e;
	char path[400], moved[400];
	int64_t now = (int64_t)time(NULL);

	(void)state;
	world_make(&w, MINT_P256, now);
	snprintf(path, sizeof(path), "%s/r1.key", w.f.dir);
	snprintf(moved, sizeof(moved), "%s/r1-moved.key", w.f.dir);
	assert_int_equal(rename(path, moved), 0);
	conf_defaults(&conf);
	assert_non_null(sg = signer_new(w.f.s, &conf, w.f.dir, 2, &e));
	signer_report(sg, &ev);
	assert_int_equal(news.n, 1);
	assert_string_equal(news.name, "r1");
	assert_non_null(strstr(news.why, "r1.key"));
	pass_expect(sg, now, 8); /* e1's four certificates, two responses each */
	signer_report(sg, &ev);
	assert_int_equal(news.n, 1); /* once */
	assert_int_equal(store_signed_upto_get(w.f.s, &u, &e), 0);
	assert_true(store_cursor_same(&u.at, &(struct store_cursor){{0}}));

	assert_int_equal(store_issuer_set_key(w.f.s, 2, "r1-moved.key", "", &e), 0);
	pass_expect(sg, now, 4); /* r1's two */
	signer_report(sg, &ev);
	assert_int_equal(news.n, 2);
	assert_string_equal(news.name, "r1");
	assert_string_equal(news.why, "(up)");
	signer_free(sg);
	world_free(&w);
}

static int
newest_cb(void *arg, const struct ocsp_record *r)
{
	int64_t *newest = arg;

	if (r->this_update > *newest)
		*newest = r->this_update;
	return 0;
}

/* The newest thisUpdate among the stored responses, and among the stored CRLs. */
static void
newest_dates(struct store *s, int64_t *ocsp, int64_t *crl)
{
	struct crl_record r;
	struct err e;

	*ocsp = *crl = 0;
	for (int shard = 0; shard <= 1; shard++) {
		for (int64_t issuer = 1; issuer <= 2; issuer++) {
			assert_int_equal(store_crl_get(s, issuer, shard, &r, &e), 1);
			if (r.this_update > *crl)
				*crl = r.this_update;
		}
	}
	assert_int_equal(store_ocsp_each(s, 0, newest_cb, ocsp, &e), 0);
}

/*
 * Issue 15 item 9: a pass run while the clock is 10 days ahead, then passes
 * at the real time.  Every response and CRL dated in the future is re-signed
 * in the first of them (due at once), which counts one clock step; the next
 * pass finds nothing more and counts none.
 */
static void
test_clock_step_back(void **state)
{
	struct signer_stats st = {0};
	struct signer *sg;
	struct world w;
	struct conf conf;
	struct err e;
	int64_t now = (int64_t)time(NULL), ahead = now + 10 * 86400, ocsp, crl;

	(void)state;
	world_make(&w, MINT_P256, now);
	conf_defaults(&conf);
	assert_non_null(sg = signer_new(w.f.s, &conf, w.f.dir, 2, &e));
	assert_int_equal(signer_pass(sg, ahead, &st, &e), 0);
	assert_int_equal(st.responses, 12);
	assert_int_equal(st.clock_steps, 0);
	newest_dates(w.f.s, &ocsp, &crl);
	assert_true(ocsp > ahead - 60 && crl == ahead);

	st = (struct signer_stats){0};
	assert_int_equal(signer_pass(sg, now, &st, &e), 0);
	assert_int_equal(st.responses, 12);
	assert_int_equal(st.crls, 4);
	assert_int_equal(st.clock_steps, 1);
	assert_int_equal(st.future, 12);
	assert_true(st.clock_behind > 10 * 86400 - 120 && st.clock_behind <= 10 * 86400);
	newest_dates(w.f.s, &ocsp, &crl);
	assert_true(ocsp <= now && crl == now);

	st = (struct signer_stats){0};
	assert_int_equal(signer_pass(sg, now + 1, &st, &e), 0);
	assert_int_equal(st.responses + st.crls + st.clock_steps, 0);
	signer_free(sg);
	world_free(&w);
}

/*
 * Issue 15 item 9, an upgraded store: responses signed 10 days ahead by a
 * version that kept no meta ocsp_newest (deleted here, as such a store
 * lacks it).  The pass at the real time computes it from the responses,
 * finds the 12 dated in the future and re-signs them; the value is kept.
 */
static void
test_clock_step_back_without_newest(void **state)
{
	struct signer_stats st = {0};
	struct signer *sg;
	struct world w;
	struct conf conf;
	struct err e;
	int64_t now = (int64_t)time(NULL), ahead = now + 10 * 86400, ocsp, crl, newest, nfut;

	(void)state;
	world_make(&w, MINT_P256, now);
	conf_defaults(&conf);
	assert_non_null(sg = signer_new(w.f.s, &conf, w.f.dir, 2, &e));
	assert_int_equal(signer_pass(sg, ahead, &st, &e), 0);
	assert_int_equal(st.responses, 12);
	signer_free(sg);
	fixture_sql(&w.f, "DELETE FROM meta WHERE key = 'ocsp_newest'");

	st = (struct signer_stats){0};
	assert_non_null(sg = signer_new(w.f.s, &conf, w.f.dir, 2, &e));
	assert_int_equal(signer_pass(sg, now, &st, &e), 0);
	assert_int_equal(st.future, 12);
	assert_int_equal(st.responses, 12);
	assert_int_equal(st.clock_steps, 1);
	newest_dates(w.f.s, &ocsp, &crl);
	assert_true(ocsp <= now);
	assert_int_equal(store_ocsp_future_due(w.f.s, INT64_MAX, &newest, &nfut, &e), 0);
	assert_true(newest <= now + SIGNER_CLOCK_SKEW);
	signer_free(sg);
	world_free(&w);
}

/* A store that counts the due responses it hands out (failing issuer tests). */
static const struct store_ops *counted_real;
static struct store_ops counted_ops;
static size_t due_rows, due_r1; /* due_r1: those of issuer 2 (r1) */

static int
counted_due(struct store *s, int64_t now, int64_t min_not_after,
    struct store_cursor *after, struct cert_record *out, size_t max, size_t *n,
    struct err *e)
{
	int rc = counted_real->ocsp_due(s, now, min_not_after, after, out, max, n, e);

	due_rows += rc == 0 ? *n : 0;
	for (size_t i = 0; rc == 0 && i < *n; i++)
		due_r1 += out[i].issuer_id == 2;
	return rc;
}

/* The store file's PRAGMA data_version, from a connection of its own: moves with each commit. */
static int64_t
data_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * Issue 18, many signers: a second signer on the same store takes nothing
 * while the first holds every unit; once the first has stalled past its
 * lease, the second takes its units over and signs a revocation.  The
 * first, waking with a revocation to sign, is fenced: its batch is not
 * written (its units are no longer its own), and at its next look it holds
 * nothing.  Without the fence it would write its responses over the
 * second's work.
 */
static void
test_stalled_signer_is_fenced(void **state)
{
	int64_t now = (int64_t)time(NULL);
	struct signer *a, *b;
	struct cert_record c;
	struct store *s2;
	struct world w;
	struct conf conf;
	struct err e;

	(void)state;
	world_make(&w, MINT_P256, now);
	conf_defaults(&conf);
	assert_non_null(s2 = store_open(w.f.dir, "lancre.db", STORE_WRITE, &e));
	assert_non_null(a = signer_new(w.f.s, &conf, w.f.dir, 1, &e));
	assert_non_null(b = signer_new(s2, &conf, w.f.dir, 1, &e));
	pass_expect(a, now, 12); /* a first: every unit is a's */
	pass_expect(b, now, 0);
	assert_int_equal(store_cert_revoke(w.f.s, 3, now, 1, &e), 0);
	pass_expect(b, now + 1, 0); /* a's, and a is alive */
	/* a stalls; its leases end at now + lease, then b takes them over. */
	pass_expect(b, now + conf.signer_lease + 1, 2);
	assert_int_equal(responses_for(w.f.s, 3, 0), 2);
	assert_int_equal(store_cert_revoke(w.f.s, 1, now, 1, &e), 0);
	assert_int_equal(store_cert_get(w.f.s, 1, (const uint8_t[]){0x01}, 1, &c, &e), 1);
	pass_expect(a, now + 2, 0); /* a wakes up, signs certificate 1: fenced, not written */
	assert_int_equal(responses_for(w.f.s, 1, c.change_seq), 0);
	pass_expect(b, now + conf.signer_lease + 2, 2);
	assert_int_equal(responses_for(w.f.s, 1, c.change_seq), 2);
	pass_expect(a, now + 3, 0); /* it looked again: nothing is its own */
	signer_free(a);
	signer_free(b);
	store_close(s2);
	world_free(&w);
}

/*
 * A slow CRL read: the store's entries walk moves a clock on by a second
 * every SLOW_ENTRIES entries, and once the clock reaches fire_at another
 * signer runs a pass in the middle of the read.  File-static: the store's
 * callbacks have no room for the test's context.
 */
#define SLOW_ENTRIES 2000

static struct slow_read {
	int (*real)(struct store *, int64_t, int, int64_t, int64_t,
	    int (*)(void *, const struct cert_record *, struct err *), void *, struct err *);
	struct store_ops ops;
	int64_t t, fire_at;
	size_t n;
	struct signer *other;
	int fired;
	int (*cb)(void *, const struct cert_record *, struct err *);
	void *arg;
} slow;

static int64_t
slow_clock_read(void *arg)
{
	(void)arg;
	return slow.t;
}

static int
slow_entry(void *arg, const struct cert_record *c, struct err *e)
{
	(void)arg;
	if (++slow.n % SLOW_ENTRIES == 0)
		slow.t++;
	if (!slow.fired && slow.other != NULL && slow.t >= slow.fire_at) {
		slow.fired = 1;
		if (signer_pass(slow.other, slow.t, &(struct signer_stats){0}, e) != 0)
			return -1;
	}
	return slow.cb(slow.arg, c, e);
}

static int
slow_entries(struct store *s, int64_t issuer_id, int shard, int64_t min_not_after,
    int64_t after_seq, int (*cb)(void *, const struct cert_record *, struct err *), void *arg,
    struct err *e)
{
	slow.cb = cb;
	slow.arg = arg;
	return slow.real(s, issuer_id, shard, min_not_after, after_seq, slow_entry, NULL, e);
}

struct holders {
	char first[STORE_LEASE_HOLDER_MAX + 1];
	int others;
};

static int
holders_row(void *arg, const struct store_lease *l, struct err *e)
{
	struct holders *h = arg;

	(void)e;
	if (h->first[0] == '\0')
		snprintf(h->first, sizeof(h->first), "%s", l->holder);
	else
		h->others += strcmp(h->first, l->holder) != 0;
	return 0;
}

/*
 * Issue 18 leases review item 1: a CRL pass longer than the lease keeps its
 * units.  a's two CRLs (full, shard 1) have 4,000 entries each, read at
 * 2,000 a second: the pass (4 s) outlasts the 3 s lease; b looks in the
 * middle of the second read, when a's lease of the pass's start is over.
 * a renewed before each CRL and its fence: b takes nothing and a publishes.
 * (A single CRL read longer than a lease: test_long_crl_read_keeps_its_unit.)
 */
static void
test_long_crl_keeps_its_units(void **state)
{
	int64_t now = (int64_t)time(NULL);
	struct holders h = {{0}, 0};
	struct signer_stats st = {0};
	const struct store_ops *real;
	struct signer *a, *b;
	struct store *s2;
	struct world w;
	struct conf conf;
	struct err e;
	sqlite3 *db;
	char path[300], sql[1024];

	(void)state;
	world_make(&w, MINT_P256, now);
	conf_defaults(&conf);
	conf.signer_lease = 3;
	assert_non_null(s2 = store_open(w.f.dir, "lancre.db", STORE_WRITE, &e));
	assert_non_null(a = signer_new(w.f.s, &conf, w.f.dir, 1, &e));
	pass_expect(a, now, 12); /* every unit a's */
	/* 4,000 revocations behind the change feed's mark (change_seq 1): only the CRLs read them. */
	snprintf(path, sizeof(path), "%s/lancre.db", w.f.dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql),
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000)"
	    " INSERT INTO certificates (issuer_id, serial, not_before, not_after, status,"
	    " revoked_at, reason, shard, fingerprint, added_at, changed_at, change_seq)"
	    " SELECT 1, CAST(printf('%%08d', i) AS BLOB), %lld, %lld, 1, %lld, 1, 1,"
	    " zeroblob(32), %lld, %lld, 1 FROM n",
	    (long long)(now - 60), (long long)(now + 30 * 86400), (long long)(now - 30),
	    (long long)(now - 60), (long long)(now - 30));
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_non_null(b = signer_new(s2, &conf, w.f.dir, 1, &e));
	now += conf.crl_period; /* the CRLs are due, no response is */
	real = w.f.s->ops;
	slow = (struct slow_read){.real = w.f.s->ops->crl_entries, .ops = *w.f.s->ops, .t = now,
	    .fire_at = now + conf.signer_lease + 1, .other = b};
	slow.ops.crl_entries = slow_entries;
	w.f.s->ops = &slow.ops;
	signer_set_clock(a, slow_clock_read, NULL);
	assert_int_equal(signer_pass(a, now, &st, &e), 0);
	w.f.s->ops = real;
	assert_true(slow.fired);             /* b looked in the middle of a's read */
	assert_true(st.crls >= 2);           /* a's full CRL and its shard's: published */
	assert_int_equal(store_lease_each(w.f.s, now, holders_row, &h, &e), 0);
	assert_true(h.first[0] != '\0');
	assert_int_equal(h.others, 0);       /* b took nothing */
	signer_free(a);
	signer_free(b);
	store_close(s2);
	world_free(&w);
}

/* A CRL of issuer 1's shard 1 with n entries: n revocations behind the change feed's mark. */
static void
revoke_behind(struct world *w, int64_t now, int n)
{
	char path[300], sql[1024];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/lancre.db", w->f.dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql),
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
	    " INSERT INTO certificates (issuer_id, serial, not_before, not_after, status,"
	    " revoked_at, reason, shard, fingerprint, added_at, changed_at, change_seq)"
	    " SELECT 1, CAST(printf('%%08d', i) AS BLOB), %lld, %lld, 1, %lld, 1, 1,"
	    " zeroblob(32), %lld, %lld, 1 FROM n",
	    n, (long long)(now - 60), (long long)(now + 30 * 86400), (long long)(now - 30),
	    (long long)(now - 60), (long long)(now - 30));
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/*
 * Issue 18 leases, session 13 item 1: ONE CRL whose read outlasts the lease
 * keeps its unit.  Shard 1's CRL (no full CRL) has 8,000 entries read at
 * 2,000 a second: 4 s, with a 3 s lease.  The first slow pass, nobody
 * looking, tells a how long that read takes; at the second, a renews its
 * units for twice that plus a lease before reading, and b, looking 4 s into
 * the read (every lease renewed before it would have ended by then), takes
 * nothing: a publishes the CRL.  Before, a renewed for one lease, b took the
 * units, and a's CRL was fenced away.
 */
static void
test_long_crl_read_keeps_its_unit(void **state)
{
	int64_t now = (int64_t)time(NULL);
	struct holders h = {{0}, 0};
	struct signer_stats st = {0};
	const struct store_ops *real;
	struct crl_record got;
	struct signer *a, *b;
	struct store *s2;
	struct world w;
	struct conf conf;
	struct err e;

	(void)state;
	world_make(&w, MINT_P256, now);
	conf_defaults(&conf);
	conf.signer_lease = 3;
	conf.crl_full = 0;
	assert_non_null(s2 = store_open(w.f.dir, "lancre.db", STORE_WRITE, &e));
	assert_non_null(a = signer_new(w.f.s, &conf, w.f.dir, 1, &e));
	pass_expect(a, now, 12); /* every unit a's */
	revoke_behind(&w, now, 8000);
	assert_non_null(b = signer_new(s2, &conf, w.f.dir, 1, &e));
	real = w.f.s->ops;
	now += conf.crl_period; /* the CRLs are due, no response is */
	slow = (struct slow_read){.real = w.f.s->ops->crl_entries, .ops = *w.f.s->ops, .t = now};
	slow.ops.crl_entries = slow_entries;
	w.f.s->ops = &slow.ops;
	signer_set_clock(a, slow_clock_read, NULL);
	assert_int_equal(signer_pass(a, now, &st, &e), 0); /* nobody looks: a learns */
	assert_true(slow.t >= now + 4);
	now = slow.t + conf.crl_period;
	slow.t = now;
	slow.fire_at = now + conf.signer_lease + 1;
	slow.other = b;
	st = (struct signer_stats){0};
	assert_int_equal(signer_pass(a, now, &st, &e), 0);
	w.f.s->ops = real;
	assert_true(slow.fired);   /* b looked in the middle of a's read */
	assert_true(st.crls >= 1); /* a's shard 1 CRL: published */
	assert_int_equal(store_crl_get(w.f.s, 1, 1, &got, &e), 1);
	assert_true(got.this_update == now);
	assert_int_equal(store_lease_each(w.f.s, now, holders_row, &h, &e), 0);
	assert_true(h.first[0] != '\0');
	assert_int_equal(h.others, 0); /* b took nothing */
	signer_free(a);
	signer_free(b);
	store_close(s2);
	world_free(&w);
}

/*
 * Item 1 again, for a signer just started after a mass revocation: no read
 * of the CRL timed yet, and the previous CRL small; the 8,000 revocations
 * it sees in shard 1 say how long the read will be (at the rate it expects,
 * here the slow read's 2,000 a second): renewed for that, a keeps its units
 * while b looks 4 s in, and publishes.
 */
static void
test_mass_revocation_keeps_its_unit(void **state)
{
	int64_t now = (int64_t)time(NULL);
	struct holders h = {{0}, 0};
	struct signer_stats st = {0};
	const struct store_ops *real;
	struct crl_record got;
	struct signer *a, *b;
	struct store *s2;
	struct world w;
	struct conf conf;
	struct err e;

	(void)state;
	world_make(&w, MINT_P256, now);
	conf_defaults(&conf);
	conf.signer_lease = 3;
	conf.crl_full = 0;
	assert_non_null(s2 = store_open(w.f.dir, "lancre.db", STORE_WRITE, &e));
	assert_non_null(a = signer_new(w.f.s, &conf, w.f.dir, 1, &e));
	pass_expect(a, now, 12); /* small CRLs */
	signer_free(a);          /* its units given back */
	revoke_behind(&w, now, 8000);
	assert_non_null(a = signer_new(w.f.s, &conf, w.f.dir, 1, &e));
	signer_set_crl_read_rate(a, SLOW_ENTRIES);
	assert_non_null(b = signer_new(s2, &conf, w.f.dir, 1, &e));
	real = w.f.s->ops;
	now += conf.crl_period;
	slow = (struct slow_read){.real = w.f.s->ops->crl_entries, .ops = *w.f.s->ops, .t = now,
	    .fire_at = now + conf.signer_lease + 1, .other = b};
	slow.ops.crl_entries = slow_entries;
	w.f.s->ops = &slow.ops;
	signer_set_clock(a, slow_clock_read, NULL);
	assert_int_equal(signer_pass(a, now, &st, &e), 0);
	w.f.s->ops = real;
	assert_true(slow.fired);
	assert_true(st.crls >= 1);
	assert_int_equal(store_crl_get(w.f.s, 1, 1, &got, &e), 1);
	assert_true(got.this_update == now);
	assert_int_equal(store_lease_each(w.f.s, now, holders_row, &h, &e), 0);
	assert_int_equal(h.others, 0);
	signer_free(a);
	signer_free(b);
	store_close(s2);
	world_free(&w);
}

/* The units nobody holds, and whether path names each one's base CRL in log. */
struct freed {
	const char *dir, *log;
	int n, logged;
};

static int
freed_row(void *arg, const struct store_lease *l, struct err *e)
{
	struct freed *f = arg;
	char path[600], line[700];
	FILE *fp;

	(void)e;
	if (l->holder[0] != '\0')
		return 0;
	f->n++;
	if (l->shard == 0)
		snprintf(path, sizeof(path), "%s/public/crl/%s.crl\n", f->dir,
		    l->issuer_id == 1 ? "e1" : "r1");
	else
		snprintf(path, sizeof(path), "%s/public/crl/%s/%d.crl\n", f->dir,
		    l->issuer_id == 1 ? "e1" : "r1", l->shard);
	if ((fp = fopen(f->log, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strcmp(line, path) == 0) {
			f->logged++;
			break;
		}
	}
	fclose(fp);
	return 0;
}

/*
 * Issue 18, CRL hooks across signers: a signer giving units back to a
 * newcomer first waits for its hooks of those units' CRLs (here a second
 * each), so the newcomer's hooks of newer CRLs come after.  Without the
 * wait, the units were free while the hooks still ran.
 */
static void
test_give_back_waits_for_hooks(void **state)
{
	int64_t now = (int64_t)time(NULL);
	struct signer *a, *b;
	struct store *s2;
	struct world w;
	struct conf conf;
	struct err e;
	char log[400];
	struct freed f = {0};

	(void)state;
	world_make(&w, MINT_P256, now);
	conf_defaults(&conf);
	snprintf(log, sizeof(log), "%s/hooks.log", w.f.dir);
	snprintf(conf.crl_hook, sizeof(conf.crl_hook),
	    "case \"$1\" in *.crl) sleep 1; echo \"$1\" >> %s;; esac", log);
	conf.crl_hook_shell = 1;
	assert_non_null(s2 = store_open(w.f.dir, "lancre.db", STORE_WRITE, &e));
	assert_non_null(a = signer_new(w.f.s, &conf, w.f.dir, 1, &e));
	assert_non_null(b = signer_new(s2, &conf, w.f.dir, 1, &e));
	pass_expect(a, now, 12); /* every unit a's; its CRLs' hooks start */
	pass_expect(b, now, 0);  /* b alive, holding nothing */
	pass_any(a, now + conf.signer_lease); /* a looks: gives b its share */
	f.dir = w.f.dir;
	f.log = log;
	assert_int_equal(store_lease_each(w.f.s, now, freed_row, &f, &e), 0);
	assert_true(f.n >= 1);
	assert_int_equal(f.logged, f.n); /* their hooks were over when they went */
	signer_free(a);
	signer_free(b);
	store_close(s2);
	world_free(&w);
}

/*
 * Issue 15 issuer item 1, what an idle signer does for an issuer whose key
 * fails: its responses that come due are read once and held; the passes
 * after read none and commit nothing, and neither does a restarted signer
 * with the key still missing.  A revocation meanwhile, and the held
 * responses, are signed once the key is back, after a restart.
 */
static void
test_failing_issuer_costs_nothing(void **state)
{
	struct signer *sg;
	struct world w;
	struct conf conf;
	struct err e;
	sqlite3 *db;
	char path[400], moved[400], dbpath[400];
	int64_t now = (int64_t)time(NULL), later, v;

	(void)state;
	world_make(&w, MINT_P256, now);
	conf_defaults(&conf);
	later = now + conf.ocsp_validity; /* every response due */
	assert_non_null(sg = signer_new(w.f.s, &conf, w.f.dir, 2, &e));
	pass_expect(sg, now, 12);
	signer_free(sg);
	snprintf(path, sizeof(path), "%s/r1.key", w.f.dir);
	snprintf(moved, sizeof(moved), "%s/r1-moved.key", w.f.dir);
	assert_int_equal(rename(path, moved), 0);
	counted_real = w.f.s->ops;
	counted_ops = *counted_real;
	counted_ops.ocsp_due = counted_due;
	w.f.s->ops = &counted_ops;
	snprintf(dbpath, sizeof(dbpath), "%s/lancre.db", w.f.dir);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);

	assert_non_null(sg = signer_new(w.f.s, &conf, w.f.dir, 2, &e));
	due_rows = 0;
	pass_expect(sg, later, 8); /* e1's; r1's two certificates read, passed over */
	assert_int_equal(due_rows, 6);
	due_rows = 0;
	v = data_version(db);
	pass_expect(sg, later + 1, 0);
	assert_int_equal(due_rows, 0);
	assert_int_equal(data_version(db), v);
	signer_free(sg);
	assert_non_null(sg = signer_new(w.f.s, &conf, w.f.dir, 2, &e));
	pass_expect(sg, later + 2, 0); /* its first pass takes its leases (lease.c): written */
	assert_int_equal(due_rows, 0);
	v = data_version(db);
	pass_expect(sg, later + 2, 0);
	assert_int_equal(due_rows, 0);
	assert_int_equal(data_version(db), v);
	assert_int_equal(store_cert_revoke(w.f.s, 5, later, 1, &e), 0);
	pass_expect(sg, later + 3, 0);
	signer_free(sg);

	snprintf(path, sizeof(path), "%s/r1.key", w.f.dir);
	assert_int_equal(rename(moved, path), 0);
	assert_non_null(sg = signer_new(w.f.s, &conf, w.f.dir, 2, &e));
	pass_expect(sg, later + 4, 4); /* r1's two: the revoked one and the held one */
	pass_expect(sg, later + 5, 0);
	signer_free(sg);
	sqlite3_close(db);
	w.f.s->ops = counted_real;
	world_free(&w);
}

/* Where a scan of changed certificates started (the first read after scan_first is set). */
static struct store_cursor scan_from;
static int scan_first;
static size_t key_loads; /* issuers' key references read: a reload */

static int
counted_changed(struct store *s, struct store_cursor *after, int64_t min_not_after,
    struct cert_record *out, size_t max, size_t *n, struct err *e)
{
	if (scan_first) {
		scan_from = *after;
		scan_first = 0;
	}
	return counted_real->certs_changed(s, after, min_not_after, out, max, n, e);
}

static int
counted_keys(struct store *s, int64_t issuer_id, struct store_issuer_keys *out,
    struct err *e)
{
	key_loads++;
	return counted_real->issuer_keys(s, issuer_id, out, e);
}

/* Count the due rows, scans and reloads of every store given. */
static void
counting(struct store *a, struct store *b)
{
	counted_real = a->ops;
	counted_ops = *counted_real;
	counted_ops.ocsp_due = counted_due;
	counted_ops.certs_changed = counted_changed;
	counted_ops.issuer_keys = counted_keys;
	a->ops = &counted_ops;
	if (b != NULL)
		b->ops = &counted_ops;
}

/* r1's key file out of the way (1) or back (0). */
static void
r1_key_away(const struct world *w, int away)
{
	char path[400], moved[400];

	snprintf(path, sizeof(path), "%s/r1.key", w->f.dir);
	snprintf(moved, sizeof(moved), "%s/r1-moved.key", w->f.dir);
	assert_int_equal(away ? rename(path, moved) : rename(moved, path), 0);
}

/*
 * Leases review item 4: an issuer left out (its key missing) is retried
 * every minute at most, each time a reload of the issuers.  The scan of
 * changed certificates then resumes from the marks of the units held, not
 * from the store's single mark, which a signer with an issuer left out (or
 * several signers) does not keep: before, every retry read the whole scan
 * again from the start.
 */
static void
test_reload_resumes_from_unit_marks(void **state)
{
	int64_t now = (int64_t)time(NULL);
	struct store_cursor got;
	struct signer *sg;
	struct world w;
	struct conf conf;
	struct err e;

	(void)state;
	world_make(&w, MINT_P256, now);
	conf_defaults(&conf);
	r1_key_away(&w, 1);
	counting(w.f.s, NULL);
	assert_non_null(sg = signer_new(w.f.s, &conf, w.f.dir, 1, &e));
	pass_expect(sg, now, 8); /* e1's four certificates; r1 left out */
	assert_int_equal(store_cert_revoke(w.f.s, 3, now, 1, &e), 0);
	pass_expect(sg, now + 1, 2);
	scan_first = 1;
	pass_expect(sg, now + 1, 0);
	got = scan_from; /* where the scan got to */
	assert_false(store_cursor_same(&got, &(struct store_cursor){{0}}));
	key_loads = 0;
	scan_first = 1;
	pass_expect(sg, now + 3600, 0); /* r1 retried: the issuers reloaded */
	assert_true(key_loads > 0);
	assert_true(store_cursor_same(&scan_from, &got));
	signer_free(sg);
	w.f.s->ops = counted_real;
	world_free(&w);
}

/*
 * Leases review items 4 and 5, with two signers and r1's key on b only.
 * While b works for r1, a does not retry loading it (a reload, and before
 * item 4 a whole scan, every minute), nor writes r1's key state as
 * unavailable over b's (item 6).  Once b is gone, and signers without
 * the key (c, x) are alive, nobody can sign r1: c holds its due responses
 * once, instead of reading them again at every pass (before, only a signer
 * alone held them).
 */
static void
test_issuer_of_another_signer(void **state)
{
	int64_t now = (int64_t)time(NULL), later, live, seq;
	struct signer *a, *b, *c;
	int avail;
	struct store *s2;
	struct world w;
	struct conf conf;
	struct err e;

	(void)state;
	world_make(&w, MINT_P256, now);
	conf_defaults(&conf);
	later = now + conf.ocsp_validity; /* every response due */
	assert_non_null(s2 = store_open(w.f.dir, "lancre.db", STORE_WRITE, &e));
	assert_non_null(b = signer_new(s2, &conf, w.f.dir, 1, &e)); /* b has r1's key */
	r1_key_away(&w, 1);
	assert_non_null(a = signer_new(w.f.s, &conf, w.f.dir, 1, &e)); /* a has not */
	counting(w.f.s, s2);
	pass_expect(b, now, 12); /* b first: every unit b's */
	pass_expect(a, now, 0);
	pass_expect(b, now + 100, 0); /* b renews */
	key_loads = 0;
	pass_expect(a, now + 100, 0); /* r1's retry is due, but b works for it */
	pass_expect(a, now + 101, 0);
	assert_int_equal(key_loads, 0);
	/* Nor does a say r1's key is unavailable (item 6): b's state stands. */
	assert_int_equal(store_key_state_get(w.f.s, 2, &avail, &seq, &e), 0);
	assert_int_equal(avail, 1);

	signer_free(b); /* gone: nobody can sign r1 */
	signer_free(a);
	/* Another signer alive, "x", without r1's key either. */
	assert_int_equal(store_lease_renew(w.f.s, "x", later, conf.signer_lease, &live, &e), 0);
	assert_non_null(c = signer_new(s2, &conf, w.f.dir, 1, &e));
	pass_any(c, later); /* e1's due responses of the unit it takes: signed */
	due_r1 = 0;
	pass_any(c, later + 1);
	assert_int_equal(due_r1, 0); /* r1's two certificates: held, not read again */
	signer_free(c);
	store_close(s2);
	w.f.s->ops = counted_real;
	world_free(&w);
}

/* Who holds r1's units (issuer 2) and e1's (issuer 1): b (by name), another, or nobody. */
struct r1_units {
	char b[STORE_LEASE_HOLDER_MAX + 1];
	int r1_b, r1_other, r1_free, e1_other, e1_a;
};

static int
r1_row(void *arg, const struct store_lease *l, struct err *e)
{
	struct r1_units *u = arg;
	int free_ = l->holder[0] == '\0' || l->expired, b = strcmp(l->holder, u->b) == 0;

	(void)e;
	if (l->issuer_id == 2) {
		u->r1_free += free_;
		u->r1_b += !free_ && b;
		u->r1_other += !free_ && !b;
	} else {
		u->e1_other += !free_ && !b;
		u->e1_a += !free_ && b; /* b here: the name given, a's in a test about a */
	}
	return 0;
}

/*
 * Issue 18 leases, session 13 item 2: units go back only to peers that can
 * sign them.  b has both issuers' keys, a only e1's (r1's key is on another
 * HSM).  b, holding every unit, gives a its share: e1's units, which a
 * takes; r1's, which a cannot sign, stay with b.  At most one first gift to
 * a (holding nothing then: its keys unknown) may be r1's, taken back at b's
 * second look after it, and never given again: over 15 leases no r1 unit
 * is free after the first lease, none is ever a's, and a holds e1's units.
 * Before, b gave the last units first, r1's, every 10 leases: a never got
 * any, and r1's went unsigned each time until b took them back.  Then b
 * stops: nobody alive can sign r1, and a says so (told again, not silent).
 */
static void
test_units_go_to_peers_that_can_sign(void **state)
{
	struct issuer_news news = {0};
	struct signer_events ev = {.on_issuer = on_issuer_news, .arg = &news};
	int64_t now = (int64_t)time(NULL), t, step;
	struct holders h = {{0}, 0};
	struct r1_units u;
	struct signer *a, *b;
	struct store *s2;
	struct world w;
	struct conf conf;
	struct err e;
	int r1_free_late = 0, r1_a = 0;

	(void)state;
	world_make(&w, MINT_P256, now);
	conf_defaults(&conf);
	step = conf.signer_lease / 3 + 1;
	assert_non_null(s2 = store_open(w.f.dir, "lancre.db", STORE_WRITE, &e));
	assert_non_null(b = signer_new(s2, &conf, w.f.dir, 1, &e)); /* both keys */
	r1_key_away(&w, 1);
	assert_non_null(a = signer_new(w.f.s, &conf, w.f.dir, 1, &e)); /* e1's only */
	pass_expect(b, now, 12); /* every unit b's */
	assert_int_equal(store_lease_each(w.f.s, now, holders_row, &h, &e), 0);
	assert_int_equal(h.others, 0);
	for (t = now; t < now + 15 * conf.signer_lease; t += step) {
		pass_any(b, t);
		pass_any(a, t + 1);
		signer_report(a, &ev);
		memset(&u, 0, sizeof(u));
		memcpy(u.b, h.first, sizeof(u.b));
		assert_int_equal(store_lease_each(w.f.s, t + 1, r1_row, &u, &e), 0);
		r1_a += u.r1_other;
		r1_free_late += t >= now + conf.signer_lease && u.r1_free > 0;
	}
	assert_int_equal(r1_a, 0);         /* a never held r1's units */
	assert_int_equal(r1_free_late, 0); /* nor were they left free, after the first lease */
	assert_int_equal(u.r1_b, 2);       /* b's */
	assert_true(u.e1_other >= 1);      /* a signs its share of e1's */
	assert_int_equal(news.n, 1);       /* r1 down here, told once */
	assert_null(strstr(news.why, "no signer alive"));
	signer_free(b); /* its units given back: nobody alive signs r1 */
	for (int i = 1; i <= 5; i++) { /* for a lease: then told */
		pass_any(a, t + i * step);
		signer_report(a, &ev);
		assert_int_equal(news.n, i < 4 ? 1 : 2);
	}
	assert_string_equal(news.name, "r1");
	assert_non_null(strstr(news.why, "no signer alive signs it now"));
	signer_free(a);
	store_close(s2);
	r1_key_away(&w, 0);
	world_free(&w);
}

/*
 * Issue 18, session 14 item 1: a newcomer is given only units it can sign.
 * b holds every unit (both keys); a starts with e1's key only (r1's is on
 * another HSM) and publishes that with its renewal (store_lease_signs).  b
 * then gives a its share, e1's units, and never r1's: at no look of either
 * is an r1 unit free or a's, and a ends with e1's two.  Before, signers did
 * not say what they sign: a newcomer holding nothing had unknown keys, b
 * gave it the last issuer's units first, r1's, which nobody signed until b
 * took them back two looks later.  On location's store (SQLite, or
 * PostgreSQL, whose leases run on the database's clock: the test's passes
 * take a few seconds of it, well within a lease).
 */
static void
newcomer_gets_only_what_it_signs(const char *location)
{
	int64_t now = (int64_t)time(NULL), t, step;
	struct holders h = {{0}, 0};
	struct r1_units u;
	struct signer *a, *b;
	struct store *s2;
	struct world w;
	struct conf conf;
	struct err e;

	fixture_location = location;
	world_make(&w, MINT_P256, now);
	fixture_location = "lancre.db";
	conf_defaults(&conf);
	step = conf.signer_lease / 3 + 1;
	assert_non_null(s2 = store_open(w.f.dir, location, STORE_WRITE, &e));
	assert_non_null(b = signer_new(s2, &conf, w.f.dir, 1, &e)); /* both keys */
	pass_expect(b, now, 12);                                      /* every unit b's */
	assert_int_equal(store_lease_each(w.f.s, now, holders_row, &h, &e), 0);
	assert_int_equal(h.others, 0);
	r1_key_away(&w, 1);
	assert_non_null(a = signer_new(w.f.s, &conf, w.f.dir, 1, &e)); /* e1's only */
	for (int i = 1; i <= 4; i++) {
		t = now + i * step;
		for (int who = 0; who < 2; who++) {
			pass_any(who == 0 ? a : b, t + who);
			memset(&u, 0, sizeof(u));
			memcpy(u.b, h.first, sizeof(u.b));
			assert_int_equal(store_lease_each(w.f.s, t + who, r1_row, &u, &e), 0);
			assert_int_equal(u.r1_free, 0);  /* never given back */
			assert_int_equal(u.r1_other, 0); /* never a's */
			assert_int_equal(u.r1_b, 2);
		}
	}
	assert_int_equal(u.e1_other, 2); /* a's share: e1's units */
	signer_free(a);
	signer_free(b);
	store_close(s2);
	r1_key_away(&w, 0);
	world_free(&w);
}

static void
test_newcomer_gets_only_what_it_signs(void **state)
{
	(void)state;
	newcomer_gets_only_what_it_signs("lancre.db");
}

/* The same on PostgreSQL (LANCRE_TEST_PG, pgtest.h), the test's own database. */
static void
test_newcomer_gets_only_what_it_signs_pg(void **state)
{
	char name[64], url[PGTEST_URL_MAX];

	(void)state;
	if (pgtest_url() == NULL) {
		printf("# postgresql: not run: LANCRE_TEST_PG is not set\n");
		return;
	}
	assert_int_equal(pgtest_create(name, sizeof(name), url, sizeof(url)), 0);
	newcomer_gets_only_what_it_signs(url);
	assert_int_equal(pgtest_drop(name), 0);
}

/* issuer's key stops signing in sg (a token removed), as a failed signature says it. */
static void
key_fails(struct signer *sg, int64_t issuer)
{
	struct signer_stats st = {0};

	assert_non_null(signer_issuer_by_id(sg, issuer));
	assert_int_equal(signer_key_failed(sg, signer_issuer_by_id(sg, issuer), "token gone", &st),
	    0);
}

/*
 * Item 2: a signer whose key for e1 stops signing, with another signer
 * alive that can sign e1, gives e1's units back at its next look and does
 * not take them back: it tries the key again a lease later at the soonest,
 * by which time the peer holds them (and then not at all).  Before, it
 * retried the key a second later, found it loading, and took e1's units
 * back ahead of the peer (which takes units beyond its share only at its
 * second look), to fail again.  a and b first split the units: r1's b's.
 */
static void
test_failed_key_units_go_to_a_peer(void **state)
{
	int64_t now = (int64_t)time(NULL), step, t;
	struct holders h = {{0}, 0};
	struct r1_units u;
	struct signer *a, *b;
	struct store *s2;
	struct world w;
	struct conf conf;
	struct err e;

	(void)state;
	world_make(&w, MINT_P256, now);
	conf_defaults(&conf);
	step = conf.signer_lease / 3 + 1;
	assert_non_null(s2 = store_open(w.f.dir, "lancre.db", STORE_WRITE, &e));
	assert_non_null(a = signer_new(w.f.s, &conf, w.f.dir, 1, &e));
	assert_non_null(b = signer_new(s2, &conf, w.f.dir, 1, &e));
	pass_expect(a, now, 12); /* every unit a's */
	assert_int_equal(store_lease_each(w.f.s, now, holders_row, &h, &e), 0);
	pass_expect(b, now, 0);    /* alive, holding nothing */
	pass_any(a, now + step);   /* gives b its share: r1's units */
	pass_any(b, now + step + 1);
	memset(&u, 0, sizeof(u));
	memcpy(u.b, h.first, sizeof(u.b)); /* here: a's name */
	assert_int_equal(store_lease_each(w.f.s, now + step + 1, r1_row, &u, &e), 0);
	assert_int_equal(u.r1_other, 2); /* b's */
	assert_int_equal(u.e1_other, 0); /* a's */
	signer_set_clock(a, slow_clock_read, NULL);
	slow.t = now + step + 1;
	key_fails(a, 1);
	for (int i = 2; i <= 7; i++) {
		t = now + i * step;
		slow.t = t;
		pass_any(a, t);
		pass_any(b, t + 1);
		memset(&u, 0, sizeof(u));
		memcpy(u.b, h.first, sizeof(u.b));
		assert_int_equal(store_lease_each(w.f.s, t + 1, r1_row, &u, &e), 0);
		assert_int_equal(u.e1_a, 0); /* a gave them back, and did not take them again */
		if (i >= 3)
			assert_int_equal(u.e1_other, 2); /* b's, at its second look */
	}
	signer_free(a);
	signer_free(b);
	store_close(s2);
	world_free(&w);
}

/*
 * Item 2: alone, a signer whose key for r1 stops signing keeps r1's units
 * (nobody else could take them); they stay with it, not free.
 */
static void
test_failed_key_units_stay_when_alone(void **state)
{
	int64_t now = (int64_t)time(NULL), step;
	struct holders h = {{0}, 0};
	struct r1_units u;
	struct signer *a;
	struct world w;
	struct conf conf;
	struct err e;

	(void)state;
	world_make(&w, MINT_P256, now);
	conf_defaults(&conf);
	step = conf.signer_lease / 3 + 1;
	assert_non_null(a = signer_new(w.f.s, &conf, w.f.dir, 1, &e));
	pass_expect(a, now, 12);
	assert_int_equal(store_lease_each(w.f.s, now, holders_row, &h, &e), 0);
	key_fails(a, 2);
	r1_key_away(&w, 1); /* and it does not load again */
	for (int i = 1; i <= 3; i++) {
		pass_any(a, now + i * step);
		memset(&u, 0, sizeof(u));
		memcpy(u.b, h.first, sizeof(u.b));
		assert_int_equal(store_lease_each(w.f.s, now + i * step, r1_row, &u, &e), 0);
		assert_int_equal(u.r1_b, 2); /* still a's */
	}
	signer_free(a);
	r1_key_away(&w, 0);
	world_free(&w);
}

/*
 * Session 14, with what signers publish: a signer whose key for r1 stops
 * signing, with a peer alive that cannot sign r1 (b publishes e1's key
 * only), keeps r1's units as when alone: given back they would only be
 * free, nobody alive able to take them.  Before, any peer alive made it
 * give them back.
 */
static void
test_failed_key_units_stay_when_no_peer_signs(void **state)
{
	int64_t now = (int64_t)time(NULL), step;
	struct holders h = {{0}, 0};
	struct r1_units u;
	struct signer *a, *b;
	struct store *s2;
	struct world w;
	struct conf conf;
	struct err e;

	(void)state;
	world_make(&w, MINT_P256, now);
	conf_defaults(&conf);
	step = conf.signer_lease / 3 + 1;
	assert_non_null(a = signer_new(w.f.s, &conf, w.f.dir, 1, &e)); /* both keys */
	pass_expect(a, now, 12);
	assert_int_equal(store_lease_each(w.f.s, now, holders_row, &h, &e), 0);
	r1_key_away(&w, 1); /* b has e1's key only; and r1's does not load again in a */
	assert_non_null(s2 = store_open(w.f.dir, "lancre.db", STORE_WRITE, &e));
	assert_non_null(b = signer_new(s2, &conf, w.f.dir, 1, &e));
	pass_any(b, now + 1); /* alive, publishes e1 */
	key_fails(a, 2);
	for (int i = 1; i <= 4; i++) {
		pass_any(a, now + i * step);
		pass_any(b, now + i * step + 1);
		memset(&u, 0, sizeof(u));
		memcpy(u.b, h.first, sizeof(u.b));
		assert_int_equal(store_lease_each(w.f.s, now + i * step + 1, r1_row, &u, &e), 0);
		assert_int_equal(u.r1_free, 0);
		assert_int_equal(u.r1_b, 2); /* still a's */
	}
	signer_free(a);
	signer_free(b);
	store_close(s2);
	r1_key_away(&w, 0);
	world_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_times_within_bounds),
	    cmocka_unit_test(test_times_minimum_validity_has_no_jitter),
	    cmocka_unit_test(test_sign_key_types),
	    cmocka_unit_test(test_pass_templates_match_openssl),
	    cmocka_unit_test(test_pass_pages),
	    cmocka_unit_test(test_pass_resumes_at_mark),
	    cmocka_unit_test(test_missing_key_leaves_only_its_issuer),
	    cmocka_unit_test(test_retry_delay),
	    cmocka_unit_test(test_loop_retries_a_failed_step),
	    cmocka_unit_test(test_crl_publish_failure_is_retried),
	    cmocka_unit_test(test_crl_number_refused_is_not_published),
	    cmocka_unit_test(test_clock_step_back),
	    cmocka_unit_test(test_clock_step_back_without_newest),
	    cmocka_unit_test(test_failing_issuer_costs_nothing),
	    cmocka_unit_test(test_stalled_signer_is_fenced),
	    cmocka_unit_test(test_long_crl_keeps_its_units),
	    cmocka_unit_test(test_long_crl_read_keeps_its_unit),
	    cmocka_unit_test(test_mass_revocation_keeps_its_unit),
	    cmocka_unit_test(test_give_back_waits_for_hooks),
	    cmocka_unit_test(test_refuses_good_after_revoked),
	    cmocka_unit_test(test_reload_resumes_from_unit_marks),
	    cmocka_unit_test(test_issuer_of_another_signer),
	    cmocka_unit_test(test_units_go_to_peers_that_can_sign),
	    cmocka_unit_test(test_newcomer_gets_only_what_it_signs),
	    cmocka_unit_test(test_newcomer_gets_only_what_it_signs_pg),
	    cmocka_unit_test(test_failed_key_units_go_to_a_peer),
	    cmocka_unit_test(test_failed_key_units_stay_when_alone),
	    cmocka_unit_test(test_failed_key_units_stay_when_no_peer_signs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
