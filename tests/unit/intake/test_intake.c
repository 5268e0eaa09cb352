/* Unit tests for intake: batching, threads, issuer matching and refusals. */
#include "testutil.h"
#include "intake/intake.h"
#include "pki/serial.h"
#include "store/audit.h"

#include <openssl/pem.h>

static char dir[256];
static struct store *s;
static struct test_ca root, e1, r1, stranger, fake_e1;
static struct conf conf;
static char rejects[16][ERR_MSG_MAX];
static size_t nrejects;

static void
add_issuer(const char *name, const struct test_ca *ca)
{
	test_issuer_add(s, name, ca, "unused.key", 8);
}

static int
setup(void **state)
{
	struct err e;

	(void)state;
	test_mkdtemp(dir, sizeof(dir));
	s = store_open(dir, "lancre.db", 1, &e);
	assert_non_null(s);
	conf_defaults(&conf);
	test_ca_make(&root, "root", NULL, MINT_P256);
	test_ca_make(&e1, "e1", &root, MINT_P256);
	test_ca_make(&r1, "r1", &root, MINT_RSA2048);
	test_ca_make(&stranger, "stranger", NULL, MINT_P256);
	test_ca_make(&fake_e1, "e1", &root, MINT_P256); /* same name as e1, other key */
	add_issuer("e1", &e1);
	add_issuer("r1", &r1);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	store_close(s);
	test_ca_free(&root);
	test_ca_free(&e1);
	test_ca_free(&r1);
	test_ca_free(&stranger);
	test_ca_free(&fake_e1);
	test_rmdir(dir);
	return 0;
}

static void
on_reject(void *arg, const char *source, size_t index, const char *why)
{
	(void)arg;
	if (nrejects < 16)
		snprintf(rejects[nrejects++], ERR_MSG_MAX, "%s#%zu: %s", source, index, why);
}

/* Append a leaf's DER to buf. */
static size_t
append_leaf(uint8_t *buf, size_t off, const struct test_ca *ca, uint32_t serial)
{
	uint8_t sn[4] = {(uint8_t)(serial >> 24) | 0x10, (uint8_t)(serial >> 16),
	    (uint8_t)(serial >> 8), (uint8_t)serial};
	int len;
	unsigned char *der = test_leaf_der(ca, sn, sizeof(sn), &len);

	memcpy(buf + off, der, (size_t)len);
	OPENSSL_free(der);
	return off + (size_t)len;
}

static void
intake_setup(struct intake *in, struct issuer_set *set)
{
	struct err e;

	assert_int_equal(issuer_set_load(s, set, &e), 0);
	intake_init(in);
	in->store = s;
	in->conf = &conf;
	in->issuers = set;
	in->threads = 4;
	in->batch = 3; /* several batches per call */
	in->now = 42;
	in->on_reject = on_reject;
	nrejects = 0;
}

static void
test_good_certificates_in_batches(void **state)
{
	static uint8_t buf[64 * 1024];
	struct issuer_set set;
	struct intake in;
	struct err e;
	size_t off = 0;
	int64_t total, revoked;

	(void)state;
	for (uint32_t i = 0; i < 20; i++)
		off = append_leaf(buf, off, i % 2 ? &r1 : &e1, i);
	intake_setup(&in, &set);
	assert_int_equal(intake_add(&in, "bundle", buf, off, &e), 0);
	assert_int_equal(intake_flush(&in, &e), 0);
	assert_int_equal(in.added, 20);
	assert_int_equal(in.rejected, 0);
	/* Again: all already present, nothing added. */
	assert_int_equal(intake_add(&in, "bundle", buf, off, &e), 0);
	assert_int_equal(intake_flush(&in, &e), 0);
	assert_int_equal(in.added, 20);
	assert_int_equal(in.present, 20);
	assert_int_equal(store_cert_count(s, 0, &total, &revoked, &e), 0);
	assert_int_equal(total, 20);
	intake_free(&in);
	issuer_set_free(&set);
}

struct audit_rows {
	int n, adds, ok;
	uint8_t prev[32];
};

static int
audit_row(void *arg, const struct audit_record *r, struct err *e)
{
	struct audit_rows *v = arg;
	uint8_t h[32];

	(void)e;
	v->n++;
	v->adds += strcmp(r->ev.action, "cert.add") == 0 && strcmp(r->ev.actor, "token:ci") == 0 &&
		   strcmp(r->ev.origin, "10.0.0.1:4000") == 0 && r->ev.at == 42 &&
		   r->ev.serial_len == 4 && strncmp(r->ev.detail, "{\"sha256\":\"", 11) == 0;
	if (audit_hash(v->prev, r->id, &r->ev, h) != 0 || memcmp(h, r->hash, 32) != 0)
		v->ok = 0;
	memcpy(v->prev, r->hash, 32);
	return 0;
}

/* With an actor, each certificate added (not one already present) is one audit row. */
static void
test_audit_rows_for_added(void **state)
{
	static uint8_t buf[64 * 1024];
	struct audit_rows v = {.ok = 1};
	struct issuer_set set;
	struct intake in;
	struct err e;
	size_t off = 0;

	(void)state;
	for (uint32_t i = 0; i < 7; i++)
		off = append_leaf(buf, off, &e1, 100 + i);
	off = append_leaf(buf, off, &stranger, 999); /* refused: no row */
	intake_setup(&in, &set);
	in.actor = "token:ci";
	in.origin = "10.0.0.1:4000";
	assert_int_equal(intake_add(&in, "bundle", buf, off, &e), 0);
	assert_int_equal(intake_flush(&in, &e), 0);
	assert_int_equal(in.added, 7);
	assert_int_equal(in.rejected, 1);
	assert_int_equal(intake_add(&in, "bundle", buf, off, &e), 0); /* present: no rows */
	assert_int_equal(intake_flush(&in, &e), 0);
	assert_int_equal(store_audit_each(s, NULL, audit_row, &v, &e), 0);
	assert_int_equal(v.n, 7);
	assert_int_equal(v.adds, 7);
	assert_true(v.ok);
	intake_free(&in);
	issuer_set_free(&set);
}

static int
count_row(void *arg, const struct audit_record *r, struct err *e)
{
	(void)e;
	*(int *)arg += strcmp(r->ev.action, "cert.add") == 0 &&
		       strcmp(r->ev.actor, "token:many") == 0 &&
		       strncmp(r->ev.detail, "{\"sha256\":\"", 11) == 0;
	return 0;
}

/*
 * intake_record_many (the admin API's bundle): checked on the threads, inserted
 * in the caller's transaction, one row each with the CLI's detail; again, all
 * present; one refused (an unknown issuer, a serial taken by another
 * certificate) names its index and leaves the rest to the caller's rollback.
 */
static void
test_record_many(void **state)
{
	enum { N = 40 };
	const uint8_t *der[N + 1];
	size_t len[N + 1], bad;
	unsigned char *owned[N + 1];
	struct cert_record out[N + 1];
	enum intake_result res[N + 1];
	struct issuer_set set;
	struct intake in;
	struct err e;
	int64_t before, after, revoked;
	int rows = 0, n;

	(void)state;
	for (int i = 0; i <= N; i++) {
		uint8_t sn[4] = {0x20, 0, 0, (uint8_t)i};
		owned[i] = test_leaf_der(i == N ? &stranger : i % 2 ? &r1 : &e1, sn, sizeof(sn), &n);
		der[i] = owned[i];
		len[i] = (size_t)n;
	}
	assert_int_equal(store_cert_count(s, 0, &before, &revoked, &e), 0);
	intake_setup(&in, &set);
	in.actor = "token:many";
	in.origin = "10.0.0.1:4000";
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(intake_record_many(&in, der, len, N, out, res, &bad, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(in.added, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(res[i], INTAKE_ADDED);
		assert_int_equal(out[i].serial_len, 4);
		assert_int_equal(out[i].serial[3], i);
		assert_true(out[i].id > 0);
	}
	assert_int_equal(store_audit_each(s, NULL, count_row, &rows, &e), 0);
	assert_int_equal(rows, N);
	/* Again: every one present, nothing written. */
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(intake_record_many(&in, der, len, N, out, res, &bad, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(in.present, N);
	for (int i = 0; i < N; i++)
		assert_int_equal(res[i], INTAKE_PRESENT);
	/* The stranger's: refused, by its index. */
	der[0] = der[N];
	len[0] = len[N];
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(intake_record_many(&in, der, len, 1, out, res, &bad, &e), -1);
	store_rollback(s, NULL);
	assert_int_equal(bad, 0);
	assert_non_null(strstr(e.msg, "issuer"));
	/* Another certificate of e1 with serial 20000002's: a conflict, at its index. */
	{
		uint8_t sn[4] = {0x20, 0, 0, 2};
		OPENSSL_free(owned[0]);
		owned[0] = test_leaf_der(&e1, sn, sizeof(sn), &n);
		der[5] = owned[0];
		len[5] = (size_t)n;
	}
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(intake_record_many(&in, der + 1, len + 1, N - 1, out, res, &bad, &e), -1);
	store_rollback(s, NULL);
	assert_int_equal(bad, 4);
	assert_non_null(strstr(e.msg, "already recorded for a different certificate"));
	assert_int_equal(store_cert_count(s, 0, &after, &revoked, &e), 0);
	assert_int_equal(after, before + N);
	for (int i = 0; i <= N; i++)
		OPENSSL_free(owned[i]);
	intake_free(&in);
	issuer_set_free(&set);
}

/*
 * intake_record_many of der[0..n-1] in a transaction refused at index
 * want_bad with why in its message, rolled back: the store still holds
 * count certificates.
 */
static void
many_refused(struct intake *in, const uint8_t *const *der, const size_t *len, size_t n,
    struct cert_record *out, enum intake_result *res, size_t want_bad, const char *why,
    int64_t count)
{
	struct err e;
	int64_t after, revoked;
	size_t bad;

	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(intake_record_many(in, der, len, n, out, res, &bad, &e), -1);
	store_rollback(s, NULL);
	assert_int_equal(bad, want_bad);
	assert_non_null(strstr(e.msg, why));
	assert_int_equal(store_cert_count(s, 0, &after, &revoked, &e), 0);
	assert_int_equal(after, count);
}

/*
 * A bundle of more than one chunk (INTAKE_MANY_CHUNK, 250): chunk k+1 is
 * checked while chunk k is written, and each row lands at its own index;
 * all or nothing: an unknown issuer's certificate in the last chunk, or a
 * serial conflict in the first with that one later, is refused at the first
 * such index in input order, whatever chunk the workers were checking.
 */
static void
test_record_many_chunks(void **state)
{
	enum { N = 620 };
	static const uint8_t *der[N];
	static size_t len[N];
	static unsigned char *owned[N];
	static struct cert_record out[N];
	static enum intake_result res[N];
	unsigned char *stranger_der, *conflict_der;
	struct issuer_set set;
	struct intake in;
	struct err e;
	int64_t before, revoked;
	size_t bad, keep;
	int rows = 0, rows_before = 0, n, sn_n, cf_n;

	(void)state;
	for (int i = 0; i < N; i++) {
		uint8_t sn[4] = {0x21, 0, (uint8_t)(i >> 8), (uint8_t)i};
		owned[i] = test_leaf_der(i % 3 ? &e1 : &r1, sn, sizeof(sn), &n);
		der[i] = owned[i];
		len[i] = (size_t)n;
	}
	{
		uint8_t sn[4] = {0x22, 0, 0, 1}, taken[4] = {0x21, 0, 0, 1}; /* 1 % 3: e1's */
		stranger_der = test_leaf_der(&stranger, sn, sizeof(sn), &sn_n);
		conflict_der = test_leaf_der(&e1, taken, sizeof(taken), &cf_n);
	}
	assert_int_equal(store_cert_count(s, 0, &before, &revoked, &e), 0);
	assert_int_equal(store_audit_each(s, NULL, count_row, &rows_before, &e), 0);
	intake_setup(&in, &set);
	in.threads = 2;
	in.actor = "token:many";
	/* The stranger at 570 (the third chunk): refused by its index, nothing recorded. */
	keep = len[570];
	der[570] = stranger_der;
	len[570] = (size_t)sn_n;
	many_refused(&in, der, len, N, out, res, 570, "issuer", before);
	/* All of them: each row at its index, one audit row each. */
	der[570] = owned[570];
	len[570] = keep;
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(intake_record_many(&in, der, len, N, out, res, &bad, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(in.added, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(res[i], INTAKE_ADDED);
		assert_int_equal(out[i].serial[2] << 8 | out[i].serial[3], i);
		assert_int_equal(out[i].issuer_id, out[i % 3 ? 1 : 0].issuer_id);
		assert_true(out[i].id > 0);
	}
	assert_true(out[0].issuer_id != out[1].issuer_id);
	assert_int_equal(store_audit_each(s, NULL, count_row, &rows, &e), 0);
	assert_int_equal(rows, rows_before + N);
	/* Again with a conflict at 1 and the stranger at 600: the conflict's index, first. */
	der[1] = conflict_der;
	len[1] = (size_t)cf_n;
	der[600] = stranger_der;
	len[600] = (size_t)sn_n;
	many_refused(&in, der, len, N, out, res, 1, "already recorded for a different certificate",
	    before + N);
	for (int i = 0; i < N; i++)
		OPENSSL_free(owned[i]);
	OPENSSL_free(stranger_der);
	OPENSSL_free(conflict_der);
	intake_free(&in);
	issuer_set_free(&set);
}

static void
test_refusals_are_reported_and_change_nothing(void **state)
{
	static uint8_t buf[64 * 1024];
	struct issuer_set set;
	struct intake in;
	struct err e;
	unsigned char *der = NULL;
	size_t off = 0;
	int64_t before, after, revoked;
	int len;

	(void)state;
	assert_int_equal(store_cert_count(s, 0, &before, &revoked, &e), 0);
	off = append_leaf(buf, off, &stranger, 1000); /* #1 unknown issuer */
	off = append_leaf(buf, off, &fake_e1, 1001);  /* #2 name matches e1, key does not */
	len = i2d_X509(e1.cert, &der);                /* #3 a CA certificate */
	memcpy(buf + off, der, (size_t)len);
	off += (size_t)len;
	OPENSSL_free(der);
	off = append_leaf(buf, off, &e1, 1002); /* #4 good */
	intake_setup(&in, &set);
	assert_int_equal(intake_add(&in, "mixed", buf, off, &e), 0);
	assert_int_equal(intake_add(&in, "junk", (const uint8_t *)"\x02\x01\x00", 3, &e), 0);
	assert_int_equal(intake_flush(&in, &e), 0);
	assert_int_equal(in.added, 1);
	assert_int_equal(in.rejected, 4);
	assert_int_equal(nrejects, 4);
	/* Order of reports: junk is found while reading, the others when the batch is checked. */
	int seen = 0;
	for (size_t i = 0; i < nrejects; i++) {
		if (strstr(rejects[i], "mixed#1: unknown issuer") != NULL)
			seen |= 1;
		if (strstr(rejects[i], "mixed#2: signature does not verify with the key of issuer e1"))
			seen |= 2;
		if (strstr(rejects[i], "mixed#3: is a CA certificate") != NULL)
			seen |= 4;
		if (strstr(rejects[i], "junk#1: not DER or PEM") != NULL)
			seen |= 8;
	}
	assert_int_equal(seen, 15);
	assert_int_equal(store_cert_count(s, 0, &after, &revoked, &e), 0);
	assert_int_equal(after, before + 1);
	intake_free(&in);
	issuer_set_free(&set);
}

static void
test_shard_from_serial(void **state)
{
	static uint8_t buf[8192];
	struct issuer_set set;
	struct intake in;
	struct cert_record got;
	struct err e;
	uint8_t sn[4] = {0x10 | 0, 0, 0x07, 0xd5}; /* as append_leaf builds serial 2005 */
	size_t off;

	(void)state;
	off = append_leaf(buf, 0, &e1, 2005);
	intake_setup(&in, &set);
	assert_int_equal(intake_add(&in, "one", buf, off, &e), 0);
	assert_int_equal(intake_flush(&in, &e), 0);
	assert_int_equal(store_cert_get(s, set.v[0].rec.id, sn, sizeof(sn), &got, &e), 1);
	assert_int_equal(got.shard, serial_shard(sn, sizeof(sn), 8));
	assert_int_equal(got.added_at, 42);
	intake_free(&in);
	issuer_set_free(&set);
}

/* n PEM leaves of e1 (serials 3000 + i) into buf; returns where block i (0-based) starts. */
static size_t
pem_bundle(char *buf, size_t cap, size_t n, size_t *starts)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t sn[2] = {0x30, (uint8_t)i};
		int len;
		unsigned char *der = test_leaf_der(&e1, sn, sizeof(sn), &len);
		const unsigned char *p = der;
		X509 *x = d2i_X509(NULL, &p, len);
		BIO *b = BIO_new(BIO_s_mem());
		char *data;
		long dlen;

		assert_int_equal(PEM_write_bio_X509(b, x), 1);
		dlen = BIO_get_mem_data(b, &data);
		assert_true(off + (size_t)dlen < cap);
		starts[i] = off;
		memcpy(buf + off, data, (size_t)dlen);
		off += (size_t)dlen;
		BIO_free(b);
		X509_free(x);
		OPENSSL_free(der);
	}
	buf[off] = 0;
	return off;
}

/*
 * Item 2 of issue 15: one damaged PEM block costs that certificate alone.
 * Block 4 has a line that is not base64, block 7 lost its END line: the
 * other 8 go in, and both are reported, in input order.
 */
static void
test_damaged_pem_blocks_cost_only_themselves(void **state)
{
	static char buf[64 * 1024];
	size_t starts[10], len;
	struct issuer_set set;
	struct intake in;
	struct err e;
	char *line, *end;

	(void)state;
	len = pem_bundle(buf, sizeof(buf), 10, starts);
	line = strchr(buf + starts[3], '\n') + 1;
	memcpy(line, "!!!!", 4);
	end = strstr(buf + starts[6], "-----END CERTIFICATE-----\n");
	memmove(end, end + 26, len - (size_t)(end + 26 - buf) + 1);
	len -= 26;
	intake_setup(&in, &set);
	assert_int_equal(intake_add(&in, "bundle", (const uint8_t *)buf, len, &e), 0);
	assert_int_equal(intake_flush(&in, &e), 0);
	assert_int_equal(in.added, 8);
	assert_int_equal(in.rejected, 2);
	assert_int_equal(nrejects, 2);
	assert_non_null(strstr(rejects[0], "bundle#4: bad base64"));
	assert_non_null(strstr(rejects[1], "bundle#7: PEM block without an END line"));
	intake_free(&in);
	issuer_set_free(&set);
}

/*
 * A root that tracks its intermediates: once the root is registered, e1's
 * own certificate (a CA it issued) is recorded, as a CA; the root's own
 * (self-issued) certificate is still refused.  Runs last: it registers root.
 */
static void
test_intermediate_under_root(void **state)
{
	static uint8_t buf[8192];
	struct store_issuer_certs k;
	struct issuer_set set;
	struct intake in;
	unsigned char *der = NULL;
	size_t off = 0;
	struct err e;
	int len;

	(void)state;
	add_issuer("root", &root);
	len = i2d_X509(e1.cert, &der);
	memcpy(buf, der, (size_t)len);
	off = (size_t)len;
	OPENSSL_free(der);
	der = NULL;
	len = i2d_X509(root.cert, &der);
	memcpy(buf + off, der, (size_t)len);
	off += (size_t)len;
	OPENSSL_free(der);
	intake_setup(&in, &set);
	assert_int_equal(intake_add(&in, "cas", buf, off, &e), 0);
	assert_int_equal(intake_flush(&in, &e), 0);
	assert_int_equal(in.added, 1);
	assert_int_equal(nrejects, 1);
	assert_non_null(strstr(rejects[0], "cas#2: is a CA certificate, self-issued"));
	assert_int_equal(store_issuer_certs(s, issuer_set_by_name(&set, "root")->rec.id, 0, &k, &e), 0);
	assert_true(k.has_ca && !k.has_ee);
	intake_free(&in);
	issuer_set_free(&set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_certificates_in_batches),
	    cmocka_unit_test(test_audit_rows_for_added),
	    cmocka_unit_test(test_record_many),
	    cmocka_unit_test(test_record_many_chunks),
	    cmocka_unit_test(test_refusals_are_reported_and_change_nothing),
	    cmocka_unit_test(test_shard_from_serial),
	    cmocka_unit_test(test_damaged_pem_blocks_cost_only_themselves),
	    cmocka_unit_test(test_intermediate_under_root),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
