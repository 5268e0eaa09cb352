/*
 * Unit tests for intake/bykey: every certificate of a key revoked
 * keyCompromise under the rules of revoke.h, of every issuer, each change
 * one audit row naming the key, and a search that says what it could not
 * see.
 */
#include "testutil.h"
#include "intake/bykey.h"
#include "pki/reason.h"

#define NOW 1800000000

static char dir[256];
static struct store *s;
static uint8_t key[STORE_SPKI_HASH_LEN], other[STORE_SPKI_HASH_LEN];

static int
setup(void **state)
{
	struct err e;

	(void)state;
	test_mkdtemp(dir, sizeof(dir));
	s = store_open(dir, "lancre.db", STORE_CREATE, &e);
	memset(key, 0xa1, sizeof(key));
	memset(other, 0xb2, sizeof(other));
	return s == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	store_close(s);
	test_rmdir(dir);
	return 0;
}

static struct cert_record
add(int64_t iss, uint8_t sn, const uint8_t *spki, int64_t not_before)
{
	struct cert_record r = {0};
	enum store_insert_result res;
	struct err e;

	r.issuer_id = iss;
	r.serial[0] = sn;
	r.serial_len = 1;
	r.not_before = not_before;
	r.not_after = NOW + 86400;
	r.shard = 1;
	memset(r.fingerprint, sn, sizeof(r.fingerprint));
	r.has_spki = spki != NULL;
	if (spki != NULL)
		memcpy(r.spki_sha256, spki, STORE_SPKI_HASH_LEN);
	r.added_at = not_before;
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	assert_int_equal(res, STORE_INSERTED);
	return r;
}

static struct cert_record
get(const struct cert_record *r)
{
	struct cert_record got;
	struct err e;

	assert_int_equal(store_cert_get(s, r->issuer_id, r->serial, r->serial_len, &got, &e), 1);
	return got;
}

struct rows {
	int n;
	char detail[8][512];
};

static int
note_row(void *arg, const struct audit_record *r, struct err *e)
{
	struct rows *w = arg;

	(void)e;
	if (strcmp(r->ev.action, "cert.revoke") == 0 && w->n < 8)
		snprintf(w->detail[w->n++], sizeof(w->detail[0]), "%s %s", r->ev.actor,
		    r->ev.detail);
	return 0;
}

static int
run(int64_t date, struct bykey *b, struct err *e)
{
	int rc;

	assert_int_equal(store_begin(s, e), 0);
	rc = bykey_revoke(s, key, date, NOW, "token:t", "127.0.0.1:1", b, e);
	if (rc == 0)
		assert_int_equal(store_commit(s, e), 0);
	else
		assert_int_equal(store_rollback(s, e), 0);
	return rc;
}

/*
 * Good ones revoked at the date; another reason replaced by keyCompromise
 * (the date earlier if it is); keyCompromise already at or before the date
 * left alone; one certified after the date revoked at its notBefore; other
 * keys' untouched; those without a key hash counted.  Again: nothing new.
 */
static void
test_rules(void **state)
{
	int64_t a = test_issuer_stub(s, "ka"), b2 = test_issuer_stub(s, "kb");
	int64_t date = NOW - 1000;
	struct cert_record good = add(a, 1, key, NOW - 5000);
	struct cert_record sup = add(b2, 2, key, NOW - 5000);
	struct cert_record kc_before = add(a, 3, key, NOW - 5000);
	struct cert_record kc_after = add(a, 4, key, NOW - 5000);
	struct cert_record later = add(b2, 5, key, NOW - 500); /* certified after date */
	struct cert_record mine = add(a, 6, other, NOW - 5000);
	struct bykey b;
	struct rows w = {0};
	struct err e;

	(void)state;
	(void)add(a, 7, NULL, NOW - 5000); /* recorded before key hashes */
	assert_int_equal(store_cert_revoke(s, sup.id, NOW - 200, REASON_SUPERSEDED, &e), 0);
	assert_int_equal(store_cert_revoke(s, kc_before.id, NOW - 3000, REASON_KEY_COMPROMISE, &e), 0);
	assert_int_equal(store_cert_revoke(s, kc_after.id, NOW - 100, REASON_KEY_COMPROMISE, &e), 0);
	assert_int_equal(run(date, &b, &e), 0);
	assert_int_equal(b.n, 5);
	assert_int_equal(b.changed, 4);
	assert_int_equal(b.unkeyed, 1);
	assert_int_equal(b.v[0].result, BYKEY_REVOKED);
	assert_int_equal(b.v[1].result, BYKEY_CHANGED);
	assert_int_equal(b.v[2].result, BYKEY_UNCHANGED);
	assert_int_equal(b.v[3].result, BYKEY_CHANGED);
	assert_int_equal(b.v[4].result, BYKEY_REVOKED);
	bykey_free(&b);
	good = get(&good);
	assert_int_equal(good.status, CERT_REVOKED);
	assert_int_equal(good.reason, REASON_KEY_COMPROMISE);
	assert_int_equal(good.revoked_at, date);
	sup = get(&sup);
	assert_int_equal(sup.reason, REASON_KEY_COMPROMISE);
	assert_int_equal(sup.revoked_at, date); /* earlier than NOW - 200 */
	kc_before = get(&kc_before);
	assert_int_equal(kc_before.revoked_at, NOW - 3000);
	kc_after = get(&kc_after);
	assert_int_equal(kc_after.revoked_at, date);
	later = get(&later);
	assert_int_equal(later.reason, REASON_KEY_COMPROMISE);
	assert_int_equal(later.revoked_at, NOW - 500);
	mine = get(&mine);
	assert_int_equal(mine.status, CERT_GOOD);
	/* The audit rows: one per change, naming the key. */
	assert_int_equal(store_audit_each(s, NULL, note_row, &w, &e), 0);
	assert_int_equal(w.n, 4);
	assert_non_null(strstr(w.detail[0], "token:t {\"by_key\":\"a1a1"));
	assert_non_null(strstr(w.detail[0], "\"reason\":\"keyCompromise\""));
	assert_non_null(strstr(w.detail[1], "\"was\":{\"reason\":\"superseded\""));
	/* Again, at now: all are keyCompromise at or before it: nothing changes. */
	assert_int_equal(run(NOW, &b, &e), 0);
	assert_int_equal(b.n, 5);
	assert_int_equal(b.changed, 0);
	for (size_t i = 0; i < b.n; i++)
		assert_int_equal(b.v[i].result, BYKEY_UNCHANGED);
	bykey_free(&b);
	w.n = 0;
	assert_int_equal(store_audit_each(s, NULL, note_row, &w, &e), 0);
	assert_int_equal(w.n, 4);
}

/* A date in the future is refused (-2) and nothing changes; a key without certificates is 0. */
static void
test_refused_and_none(void **state)
{
	int64_t a = test_issuer_stub(s, "kc");
	struct cert_record c;
	struct bykey b;
	struct err e;

	(void)state;
	memset(key, 0xc3, sizeof(key));
	c = add(a, 1, key, NOW - 5000);
	assert_int_equal(run(NOW + 3600, &b, &e), -2);
	assert_non_null(strstr(e.msg, "in the future"));
	bykey_free(&b);
	c = get(&c);
	assert_int_equal(c.status, CERT_GOOD);
	memset(key, 0xd4, sizeof(key));
	assert_int_equal(run(NOW, &b, &e), 0);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.changed, 0);
	bykey_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused_and_none, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
