/*
 * Unit tests for import/openssl_ca: what each index.txt line becomes in the
 * store, the same import twice, and refusals that change nothing.
 */
#include "testutil.h"
#include "import/openssl_ca.h"
#include "pki/reason.h"
#include "util/timefmt.h"

#include <sys/stat.h>

#include <openssl/pem.h>

static char dir[256], newcerts[300];
static struct store *s;
static struct test_ca root, e1, r1;
static struct conf conf;
static struct issuer_set set;
static int64_t now;

/* newcerts/<hex>.pem: a leaf of ca with serial bytes {0x10, n}. */
static void
write_leaf(const struct test_ca *ca, uint8_t n, const char *name)
{
	uint8_t sn[2] = {0x10, n};
	int len;
	unsigned char *der = test_leaf_der(ca, sn, sizeof(sn), &len);
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, len);
	char path[400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.pem", newcerts, name);
	assert_non_null((f = fopen(path, "w")));
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
	X509_free(x);
	OPENSSL_free(der);
}

static int
setup(void **state)
{
	struct err e;

	(void)state;
	now = (int64_t)time(NULL);
	test_mkdtemp(dir, sizeof(dir));
	snprintf(newcerts, sizeof(newcerts), "%s/newcerts", dir);
	assert_int_equal(mkdir(newcerts, 0700), 0);
	assert_non_null((s = store_open(dir, "lancre.db", STORE_CREATE, &e)));
	conf_defaults(&conf);
	test_ca_make(&root, "root", NULL, MINT_P256);
	test_ca_make(&e1, "e1", &root, MINT_P256);
	test_ca_make(&r1, "r1", &root, MINT_P256);
	test_issuer_add(s, "e1", &e1, "unused.key", 2);
	test_issuer_add(s, "r1", &r1, "unused.key", 2);
	assert_int_equal(issuer_set_load(s, &set, &e), 0);
	for (uint8_t i = 1; i <= 6; i++) {
		char name[8];
		snprintf(name, sizeof(name), "10%02X", i);
		write_leaf(&e1, i, name);
	}
	write_leaf(&r1, 7, "1007"); /* another registered issuer's */
	write_leaf(&e1, 9, "1008"); /* holds serial 1009, not 1008 */
	write_leaf(&root, 10, "100A"); /* an issuer lancre does not know: intake refuses it */
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	issuer_set_free(&set);
	store_close(s);
	test_ca_free(&root);
	test_ca_free(&e1);
	test_ca_free(&r1);
	test_rmdir(dir);
	return 0;
}

/* t as openssl ca writes a revocation date: UTCTime. */
static const char *
utc(int64_t t, char buf[16])
{
	struct timefmt_civil c;

	timefmt_to_civil(t, &c);
	snprintf(buf, 16, "%02d%02d%02d%02d%02d%02dZ", c.year % 100, c.mon, c.day, c.hour, c.min,
	    c.sec);
	return buf;
}

static const char *
gen(int64_t t, char buf[16])
{
	struct timefmt_civil c;

	timefmt_to_civil(t, &c);
	snprintf(buf, 16, "%04d%02d%02d%02d%02d%02dZ", c.year, c.mon, c.day, c.hour, c.min, c.sec);
	return buf;
}

/* Import text; its return, with im's results kept in *out (freed here). */
static int
import(const char *text, struct openssl_ca_import *out, struct err *e)
{
	struct openssl_ca_import im = {
	    .store = s, .conf = &conf, .issuers = &set, .issuer = issuer_set_by_name(&set, "e1"),
	    .newcerts = newcerts, .now = now,
	};
	int rc = openssl_ca_import(&im, text, strlen(text), e);

	*out = im;
	openssl_ca_import_free(&im);
	out->changes = NULL;
	return rc;
}

static void
get(uint8_t n, struct cert_record *r)
{
	uint8_t sn[2] = {0x10, n};
	struct err e;

	assert_int_equal(store_cert_get(s, set.v[0].rec.id, sn, 2, r, &e), 1);
}

static int64_t
count(void)
{
	int64_t total, revoked;
	struct err e;

	assert_int_equal(store_cert_count(s, 0, &total, &revoked, &e), 0);
	return total * 1000 + revoked;
}

static void
expect_refused(const char *text, size_t line, const char *want)
{
	struct openssl_ca_import im;
	struct err e = {{0}};
	int64_t before = count();
	int64_t seq0, seq1;

	assert_int_equal(store_seq(s, STORE_SEQ_CHANGE, &seq0, &e), 0);
	assert_int_equal(import(text, &im, &e), -1);
	assert_int_equal(im.err_line, line);
	if (strstr(e.msg, want) == NULL)
		fail_msg("wanted '%s' in '%s'", want, e.msg);
	assert_int_equal(count(), before);
	assert_int_equal(store_seq(s, STORE_SEQ_CHANGE, &seq1, &e), 0);
	assert_int_equal(seq1, seq0);
}

static void
test_import_twice_then_more(void **state)
{
	char text[1024], more[1200], t1[16], t2[16], t3[16], exp[16];
	struct openssl_ca_import im;
	struct cert_record r;
	struct err e;

	(void)state;
	utc(now + 86400, exp);
	snprintf(text, sizeof(text),
	    "V\t%s\t\t1001\tunknown\t/CN=a\n"
	    "R\t%s\t%s\t1002\tunknown\t/CN=b\n"
	    "R\t%s\t%s,superseded\t1003\tunknown\t/CN=c\n"
	    "R\t%s\t%s,keyTime,%s\t1004\tunknown\t/CN=d\n",
	    exp, exp, utc(now - 60, t1), exp, t1, exp, t1, gen(now - 1800, t2));
	assert_int_equal(import(text, &im, &e), 0);
	assert_int_equal(im.entries, 4);
	assert_int_equal(im.added, 4);
	assert_int_equal(im.revoked, 3);
	assert_int_equal(im.unchanged, 0);
	get(2, &r);
	assert_int_equal(r.status, CERT_REVOKED);
	assert_int_equal(r.reason, REASON_UNSPECIFIED);
	assert_int_equal(r.revoked_at, now - 60);
	get(3, &r);
	assert_int_equal(r.reason, REASON_SUPERSEDED);
	get(4, &r); /* dated when the key was compromised, after notBefore (now - 3600) */
	assert_int_equal(r.reason, REASON_KEY_COMPROMISE);
	assert_int_equal(r.revoked_at, now - 1800);
	get(1, &r);
	assert_int_equal(r.status, CERT_GOOD);

	assert_int_equal(import(text, &im, &e), 0);
	assert_int_equal(im.added + im.revoked, 0);
	assert_int_equal(im.unchanged, 4);

	/* More: 1001 revoked keyTime before its notBefore (dated at notBefore), 1005 added. */
	snprintf(more, sizeof(more), "R\t%s\t%s,keyTime,%s\t1001\tunknown\t/CN=a\n%s"
	    "V\t%s\t\t1005\tunknown\t/CN=e\n", exp, t1, gen(now - 7200, t3),
	    strchr(text, '\n') + 1, exp);
	assert_int_equal(import(more, &im, &e), 0);
	assert_int_equal(im.added, 1);
	assert_int_equal(im.revoked, 1);
	assert_int_equal(im.unchanged, 3);
	get(1, &r);
	assert_int_equal(r.reason, REASON_KEY_COMPROMISE);
	/* Its notBefore: test_leaf_der's own now - 3600, a second later under load. */
	assert_int_equal(r.revoked_at, r.not_before);
	assert_true(r.not_before >= now - 3600 && r.not_before <= now - 3600 + 60);
}

static void
test_refusals(void **state)
{
	char text[1024], t1[16], exp[16], line1[128];

	(void)state;
	utc(now + 86400, exp);
	utc(now - 60, t1);
	snprintf(line1, sizeof(line1), "V\t%s\t\t1006\tunknown\t/CN=f\n", exp); /* new: not taken */
	snprintf(text, sizeof(text), "%sV\t%s\t\t1002\tunknown\t/CN=b\n", line1, exp);
	expect_refused(text, 2, "revoked in lancre");
	snprintf(text, sizeof(text), "%sE\t%s\t\t1003\tunknown\t/CN=c\n", line1, exp);
	expect_refused(text, 2, "but expired here");
	snprintf(text, sizeof(text), "%sR\t%s\t%s,certificateHold\t1005\tunknown\t/CN=e\n", line1,
	    exp, t1);
	expect_refused(text, 2, "on hold (certificateHold)");
	snprintf(text, sizeof(text), "%sR\t%s\t%s,holdInstruction,holdInstructionNone\t1005\tu\t/\n",
	    line1, exp, t1);
	expect_refused(text, 2, "on hold (holdInstruction)");
	snprintf(text, sizeof(text), "%sR\t%s\t%s,removeFromCRL\t1005\tunknown\t/CN=e\n", line1, exp,
	    t1);
	expect_refused(text, 2, "removeFromCRL");
	snprintf(text, sizeof(text), "%sR\t%s\t%s,CACompromise\t1005\tunknown\t/CN=e\n", line1, exp,
	    t1);
	expect_refused(text, 2, "cACompromise applies to CA certificates");
	snprintf(text, sizeof(text), "%sR\t%s\t%s,superseded\t1002\tunknown\t/CN=b\n", line1, exp, t1);
	expect_refused(text, 2, "only keyCompromise can change");
	snprintf(text, sizeof(text), "%sV\t%s\t\t1007\tunknown\t/CN=g\n", line1, exp);
	expect_refused(text, 2, "is not issued by e1");
	snprintf(text, sizeof(text), "%sV\t%s\t\t1008\tunknown\t/CN=h\n", line1, exp);
	expect_refused(text, 2, "holds serial 1009, not 1008");
	snprintf(text, sizeof(text), "%sV\t%s\t\t10AA\tunknown\t/CN=i\n", line1, exp);
	expect_refused(text, 2, "10AA.pem");
	snprintf(text, sizeof(text), "%sV\t%s\t\t1006\tunknown\t/CN=f\n", line1, exp);
	expect_refused(text, 2, "serial 1006 is also on line 1");
	snprintf(text, sizeof(text), "%sV\t%s\t\t1006\n", line1, exp); /* malformed, last */
	expect_refused(text, 2, "tab-separated fields");
	/* Refused by intake, in one batch with a new line before it: named by its file. */
	snprintf(text, sizeof(text), "%sV\t%s\t\t100A\tunknown\t/CN=j\n", line1, exp);
	expect_refused(text, 2, "newcerts/100A.pem: ");
	/* ... after a new line that revokes: that one is applied to its row first (recorded
	 * again, chunk_record), so the error is still the refused file's. */
	snprintf(text, sizeof(text), "R\t%s\t%s,keyCompromise\t1006\tunknown\t/CN=f\n"
				     "V\t%s\t\t100A\tunknown\t/CN=j\n", exp, t1, exp);
	expect_refused(text, 2, "newcerts/100A.pem: ");
	/* ... or one that fails itself: that earlier line is the error. */
	snprintf(text, sizeof(text), "R\t%s\t%s,CACompromise\t1006\tunknown\t/CN=f\n"
				     "V\t%s\t\t100A\tunknown\t/CN=j\n", exp, t1, exp);
	expect_refused(text, 1, "cACompromise applies to CA certificates");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_import_twice_then_more),
	    cmocka_unit_test(test_refusals), /* after the first: 1002, 1003 revoked */
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
