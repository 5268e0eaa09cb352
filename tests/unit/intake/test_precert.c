/*
 * Unit tests for intake's precertificates (intake.h, pki/precert.h): a
 * precertificate is recorded (precert, its fingerprint, a "cert.add" row
 * saying so); its final certificate completes the record (fingerprint,
 * precert 0, a "cert.complete" row), in a later batch, in the same batch,
 * or one by one, and keeps a revocation; a tampered final certificate, a
 * second precertificate and a poison that is not critical are refused and
 * change nothing; the precertificate again, or after its final
 * certificate, changes nothing.
 */
#include "precert_fixture.h"
#include "intake/intake.h"
#include "pki/precert.h"
#include "store/audit.h"

static char dir[256];
static struct store *s;
static struct test_ca root, e1, stranger;
static struct conf conf;
static int64_t e1_id;
static char rejects[16][ERR_MSG_MAX];
static size_t nrejects;

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
	test_ca_make(&stranger, "stranger", NULL, MINT_P256);
	e1_id = test_issuer_add(s, "e1", &e1, "unused.key", 4);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	store_close(s);
	test_ca_free(&root);
	test_ca_free(&e1);
	test_ca_free(&stranger);
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

static void
intake_setup(struct intake *in, struct issuer_set *set)
{
	struct err e;

	assert_int_equal(issuer_set_load(s, set, &e), 0);
	intake_init(in);
	in->store = s;
	in->conf = &conf;
	in->issuers = set;
	in->threads = 2;
	in->now = 42;
	in->on_reject = on_reject;
	in->actor = "cli:test";
	in->origin = "cli";
	nrejects = 0;
}

struct cert {
	unsigned char *der;
	int len;
	uint8_t sha[32];
};

static struct cert
make(const struct test_ca *ca, uint8_t serial, int flags, const char *cn)
{
	struct fix_leaf f = {.cn = cn, .serial = {0x51, serial}, .serial_len = 2, .flags = flags};
	struct cert c;
	unsigned int n;

	c.der = fix_leaf_der(ca, &f, &c.len);
	assert_int_equal(EVP_Digest(c.der, (size_t)c.len, c.sha, &n, EVP_sha256(), NULL), 1);
	return c;
}

static void
row(uint8_t serial, struct cert_record *r)
{
	uint8_t sn[2] = {0x51, serial};
	struct err e;

	assert_int_equal(store_cert_get(s, e1_id, sn, sizeof(sn), r, &e), 1);
}

/* Feed the certificates through the batch path (`cert add`), flushed. */
static void
batch(struct intake *in, const struct cert *v, size_t n)
{
	struct err e;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(intake_add(in, "f", v[i].der, (size_t)v[i].len, &e), 0);
	assert_int_equal(intake_flush(in, &e), 0);
}

struct audit_find {
	const char *action;
	uint8_t serial;
	char detail[512];
	int n;
	int64_t id; /* the last such row's */
};

static int
audit_row(void *arg, const struct audit_record *r, struct err *e)
{
	struct audit_find *f = arg;

	(void)e;
	if (strcmp(r->ev.action, f->action) == 0 && r->ev.serial_len == 2 &&
	    r->ev.serial[1] == f->serial) {
		f->n++;
		f->id = r->id;
		snprintf(f->detail, sizeof(f->detail), "%s", r->ev.detail);
	}
	return 0;
}

static struct audit_find
audit(const char *action, uint8_t serial)
{
	struct audit_find f = {.action = action, .serial = serial};
	struct err e;

	assert_int_equal(store_audit_each(s, NULL, audit_row, &f, &e), 0);
	return f;
}

static void
test_precert_then_final_in_batches(void **state)
{
	struct cert pre = make(&e1, 1, FIX_POISON, NULL), fin = make(&e1, 1, FIX_SCT, NULL),
		    bad = make(&e1, 1, FIX_SCT, "other.test");
	struct issuer_set set;
	struct cert_record r;
	struct audit_find a;
	struct intake in;

	(void)state;
	intake_setup(&in, &set);
	batch(&in, &pre, 1);
	assert_int_equal(in.added, 1);
	assert_int_equal(in.precerts, 1);
	row(1, &r);
	assert_int_equal(r.precert, 1);
	assert_memory_equal(r.fingerprint, pre.sha, 32);
	assert_int_equal(r.status, CERT_GOOD);
	a = audit("cert.add", 1);
	assert_int_equal(a.n, 1);
	assert_non_null(strstr(a.detail, "\"precert\":true"));

	batch(&in, &pre, 1); /* again: nothing changes */
	assert_int_equal(in.present, 1);

	/* A final certificate with another subject: refused, the record as it was. */
	batch(&in, &bad, 1);
	assert_int_equal(in.rejected, 1);
	assert_non_null(strstr(rejects[0], "does not match"));
	row(1, &r);
	assert_int_equal(r.precert, 1);
	assert_memory_equal(r.fingerprint, pre.sha, 32);

	batch(&in, &fin, 1);
	assert_int_equal(in.completed, 1);
	assert_int_equal(in.added, 1);
	assert_int_equal(in.rejected, 1);
	row(1, &r);
	assert_int_equal(r.precert, 0);
	assert_memory_equal(r.fingerprint, fin.sha, 32);
	a = audit("cert.complete", 1);
	assert_int_equal(a.n, 1);
	assert_non_null(strstr(a.detail, "\"precert_sha256\":\""));

	/* Both again: present, no more rows. */
	batch(&in, &pre, 1);
	batch(&in, &fin, 1);
	assert_int_equal(in.present, 3);
	assert_int_equal(in.completed, 1);
	row(1, &r);
	assert_memory_equal(r.fingerprint, fin.sha, 32);
	assert_int_equal(audit("cert.complete", 1).n, 1);
	assert_int_equal(audit("cert.add", 1).n, 1);
	intake_free(&in);
	issuer_set_free(&set);
	OPENSSL_free(pre.der);
	OPENSSL_free(fin.der);
	OPENSSL_free(bad.der);
}

/* The precertificate and its final certificate in one batch (one file). */
static void
test_both_in_one_batch(void **state)
{
	struct cert v[2] = {make(&e1, 2, FIX_POISON, NULL), make(&e1, 2, FIX_SCT, NULL)};
	struct issuer_set set;
	struct cert_record r;
	struct intake in;

	(void)state;
	intake_setup(&in, &set);
	batch(&in, v, 2);
	assert_int_equal(in.added, 1);
	assert_int_equal(in.completed, 1);
	row(2, &r);
	assert_int_equal(r.precert, 0);
	assert_memory_equal(r.fingerprint, v[1].sha, 32);
	intake_free(&in);
	issuer_set_free(&set);
	OPENSSL_free(v[0].der);
	OPENSSL_free(v[1].der);
}

/* One by one (the API, `revoke CERTFILE`): the outcome in in.last; a revocation is kept. */
static void
test_record_one(void **state)
{
	struct cert pre = make(&e1, 3, FIX_POISON, NULL), fin = make(&e1, 3, FIX_SCT, NULL),
		    fin4 = make(&e1, 4, FIX_SCT, NULL), pre4 = make(&e1, 4, FIX_POISON, NULL);
	struct issuer_set set;
	struct cert_record r, got;
	struct intake in;
	struct err e;

	(void)state;
	intake_setup(&in, &set);
	assert_int_equal(intake_record_one(&in, pre.der, (size_t)pre.len, &got, &e), 0);
	assert_int_equal(in.last, INTAKE_ADDED);
	assert_int_equal(got.precert, 1);
	assert_int_equal(store_cert_revoke(s, got.id, 1000, 1, &e), 0);
	assert_int_equal(intake_record_one(&in, fin.der, (size_t)fin.len, &got, &e), 0);
	assert_int_equal(in.last, INTAKE_COMPLETED);
	assert_memory_equal(in.last_replaced, pre.sha, 32);
	assert_int_equal(got.status, CERT_REVOKED); /* the answer shows the row as it is */
	row(3, &r);
	assert_int_equal(r.status, CERT_REVOKED);
	assert_int_equal(r.reason, 1);
	assert_int_equal(r.precert, 0);
	assert_memory_equal(r.fingerprint, fin.sha, 32);
	assert_int_equal(audit("cert.complete", 3).n, 1);

	/* The final certificate first: its precertificate changes nothing. */
	assert_int_equal(intake_record_one(&in, fin4.der, (size_t)fin4.len, &got, &e), 0);
	assert_int_equal(in.last, INTAKE_ADDED);
	assert_int_equal(intake_record_one(&in, pre4.der, (size_t)pre4.len, &got, &e), 0);
	assert_int_equal(in.last, INTAKE_PRESENT_FINAL);
	row(4, &r);
	assert_int_equal(r.precert, 0);
	assert_memory_equal(r.fingerprint, fin4.sha, 32);
	intake_free(&in);
	issuer_set_free(&set);
	OPENSSL_free(pre.der);
	OPENSSL_free(fin.der);
	OPENSSL_free(fin4.der);
	OPENSSL_free(pre4.der);
}

/* A bundle (the admin API's intake_record_many): the pair in it, a tampered final refused. */
static void
test_record_many(void **state)
{
	struct cert pre = make(&e1, 8, FIX_POISON, NULL), fin = make(&e1, 8, FIX_SCT, NULL),
		    bad = make(&e1, 8, FIX_SCT, "bad.test");
	const uint8_t *der[2] = {pre.der, fin.der};
	size_t len[2] = {(size_t)pre.len, (size_t)fin.len}, at;
	struct cert_record out[2], r;
	enum intake_result res[2];
	struct issuer_set set;
	struct intake in;
	struct err e;

	(void)state;
	intake_setup(&in, &set);
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(intake_record_many(&in, der, len, 2, out, res, &at, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(res[0], INTAKE_ADDED);
	assert_int_equal(res[1], INTAKE_COMPLETED);
	assert_int_equal(out[1].precert, 0);
	assert_int_equal(in.precerts, 1);
	row(8, &r);
	assert_int_equal(r.precert, 0);
	assert_memory_equal(r.fingerprint, fin.sha, 32);
	assert_int_equal(audit("cert.complete", 8).n, 1);
	/* The trail in input order: the serial added, then completed. */
	assert_true(audit("cert.add", 8).id < audit("cert.complete", 8).id);
	/* The precertificate and a tampered final certificate: the second refused. */
	der[1] = bad.der;
	len[1] = (size_t)bad.len;
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(intake_record_many(&in, der, len, 2, out, res, &at, &e), -1);
	assert_int_equal(store_rollback(s, &e), 0);
	assert_int_equal(at, 1);
	assert_non_null(strstr(e.msg, "already recorded for a different certificate"));
	intake_free(&in);
	issuer_set_free(&set);
	OPENSSL_free(pre.der);
	OPENSSL_free(fin.der);
	OPENSSL_free(bad.der);
}

static void
test_refused(void **state)
{
	struct cert pre = make(&e1, 5, FIX_POISON, NULL), other = make(&e1, 5, FIX_POISON, "o.test"),
		    weak = make(&e1, 6, FIX_POISON_NONCRIT, NULL),
		    foreign = make(&stranger, 7, FIX_POISON, NULL),
		    fin = make(&e1, 5, FIX_SCT, NULL);
	struct issuer_set set;
	struct cert_record r, got;
	struct intake in;
	struct err e;
	uint8_t sn[2] = {0x51, 6};

	(void)state;
	intake_setup(&in, &set);
	assert_int_equal(intake_record_one(&in, pre.der, (size_t)pre.len, &got, &e), 0);
	/* A second, different precertificate for the serial. */
	assert_int_equal(intake_record_one(&in, other.der, (size_t)other.len, &got, &e), -1);
	assert_non_null(strstr(e.msg, "different precertificate"));
	/* A poison that is not critical. */
	assert_int_equal(intake_record_one(&in, weak.der, (size_t)weak.len, &got, &e), -1);
	assert_non_null(strstr(e.msg, "not critical"));
	assert_int_equal(store_cert_get(s, e1_id, sn, sizeof(sn), &r, &e), 0);
	/* Not signed by a registered issuer: the message says what is supported. */
	assert_int_equal(intake_record_one(&in, foreign.der, (size_t)foreign.len, &got, &e), -1);
	assert_non_null(strstr(e.msg, "precertificate signing certificate"));
	row(5, &r);
	assert_int_equal(r.precert, 1);
	assert_memory_equal(r.fingerprint, pre.sha, 32);
	/* After the final certificate, a different precertificate is refused too. */
	assert_int_equal(intake_record_one(&in, fin.der, (size_t)fin.len, &got, &e), 0);
	assert_int_equal(intake_record_one(&in, other.der, (size_t)other.len, &got, &e), -1);
	assert_non_null(strstr(e.msg, "does not match the certificate recorded"));
	intake_free(&in);
	issuer_set_free(&set);
	OPENSSL_free(pre.der);
	OPENSSL_free(other.der);
	OPENSSL_free(weak.der);
	OPENSSL_free(foreign.der);
	OPENSSL_free(fin.der);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_precert_then_final_in_batches),
	    cmocka_unit_test(test_both_in_one_batch),
	    cmocka_unit_test(test_record_one),
	    cmocka_unit_test(test_record_many),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
