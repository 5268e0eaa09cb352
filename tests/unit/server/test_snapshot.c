/*
 * Unit tests for the server's snapshots: one is reused while nothing
 * changed; the next one shares its base index and its catalog (issuers,
 * CRLs) while their sequence numbers stay put, shares its predecessor's
 * recent layer and adds what was written since to it, and reads the
 * catalog again when the CRLs change, each snapshot keeping what it was
 * built with.  What the store holds is checked (issue 15 item 11): a CRL
 * whose signature fails is never served (the previous good copy is), an
 * OCSP response that fails is left out, and the failures are counted.
 * A server that loads its base apart (defer_base, issue 18) starts from a
 * partial snapshot that knows the issuers and no response, takes the base
 * once loaded, and never loads one itself.
 */
#include "crl/build.h"
#include "ocsp/certid.h"
#include "ocsp/index.h"
#include "ocsp/sign.h"
#include "testutil.h"
#include "conf/conf.h"
#include "server/snapshot.h"

#include <sqlite3.h>

#define CRL_MAX 1024
static uint8_t crl1[CRL_MAX], crl2[CRL_MAX];
static size_t crl1_len, crl2_len;
static struct test_ca ca; /* the issuer s1 that signs them */

/* A full CRL of ca, numbered number, into out. */
static size_t
make_crl(int64_t number, uint8_t *out)
{
	struct crl_params p = {.issuer = ca.cert, .key = ca.key, .number = number,
	    .this_update = 1700000000, .next_update = 1700086400};
	struct crl_builder *b;
	const unsigned char *der;
	size_t len, count;
	struct err e;

	assert_non_null(b = crl_builder_new(&p, &e));
	assert_int_equal(crl_builder_finish(b, &der, &len, &count, &e), 0);
	assert_true(len <= CRL_MAX);
	memcpy(out, der, len);
	crl_builder_free(b);
	return len;
}

static int
setup(void **state)
{
	(void)state;
	test_ca_make(&ca, "snapshot test CA", NULL, MINT_P256);
	crl1_len = make_crl(1, crl1);
	crl2_len = make_crl(2, crl2);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	test_ca_free(&ca);
	return 0;
}

static void
put_crl(struct store *s, int64_t issuer_id, int64_t number, const uint8_t *der, size_t len)
{
	struct crl_record cr = {.issuer_id = issuer_id, .shard = 0, .number = number,
	    .this_update = 100 + number, .next_update = 200, .der = der, .der_len = len};
	struct err e;

	assert_int_equal(store_crl_put(s, &cr, &e), 0);
}

/* Issuer s1 (ca) with a full CRL crl1, in a new store in dir. */
static struct store *
store_with_crl(char *dir, size_t len, int64_t *issuer_id)
{
	struct store *s;
	struct err e;

	test_mkdtemp(dir, len);
	assert_non_null(s = store_open(dir, "lancre.db", 1, &e));
	*issuer_id = test_issuer_add(s, "s1", &ca, "", 1);
	put_crl(s, *issuer_id, 1, crl1, crl1_len);
	return s;
}

/*
 * A response signed by ca for a new certificate of issuer_id with serial sn
 * (meta ocsp_seq moves); bad: with a byte of its signature flipped.
 */
static void
add_response_as(struct store *s, int64_t issuer_id, uint8_t sn, int bad)
{
	struct ocsp_signer sg = {ca.cert, ca.cert, ca.key, 0};
	struct ocsp_status st = {&sn, 1, CERT_GOOD, 0, 0, 100, 4000};
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *der;
	size_t der_len;
	struct cert_record c = {0};
	struct ocsp_record o;
	enum store_insert_result res;
	struct err e;

	assert_int_equal(ocsp_sign(&sg, ctx, OCSP_HASH_SHA1, &st, &der, &der_len, &e), 0);
	if (bad)
		der[der_len - 10] ^= 0x01;
	c.issuer_id = issuer_id;
	c.serial[0] = sn;
	c.serial_len = 1;
	c.not_before = 100;
	c.not_after = 5000;
	c.shard = 1;
	assert_int_equal(store_cert_insert(s, &c, &res, &e), 0);
	o = (struct ocsp_record){.cert_id = c.id, .issuer_id = issuer_id, .hash = OCSP_HASH_SHA1,
	    .der = der, .der_len = der_len, .this_update = 100, .next_update = 4000,
	    .due_at = 3000, .cert_seq = c.change_seq};
	assert_int_equal(store_ocsp_put(s, &o, 1, &e), 0);
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
}

static void
add_response(struct store *s, int64_t issuer_id, uint8_t sn)
{
	add_response_as(s, issuer_id, sn, 0);
}

/* Run sql on the store in dir through a connection of its own. */
static void
store_sql(const char *dir, const char *sql)
{
	char path[512];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/lancre.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
expect_crl(const struct snapshot *snap, const uint8_t *der)
{
	const struct snapshot_crl *c = snapshot_crl(snap, "s1", 0);
	size_t len = der == crl1 ? crl1_len : crl2_len;

	assert_non_null(c);
	assert_int_equal(c->der_len, len);
	assert_memory_equal(c->der, der, len);
	assert_string_equal(c->issuer->name, "s1");
}

static void
test_catalog_shared_until_crls_change(void **state)
{
	struct snapshot *a, *b, *d;
	struct store *s;
	struct conf conf;
	struct err e;
	char dir[256];
	int64_t iss;
	int changed;

	(void)state;
	s = store_with_crl(dir, sizeof(dir), &iss);
	conf_defaults(&conf);
	assert_non_null(a = snapshot_update(s, NULL, &conf, NULL, 1000, &changed, &e));
	assert_int_equal(changed, 1);
	expect_crl(a, crl1);
	assert_non_null(snapshot_issuer(a, "s1"));
	/* Nothing changed: the same snapshot. */
	assert_ptr_equal(snapshot_update(s, a, &conf, NULL, 1001, &changed, &e), a);
	assert_int_equal(changed, 0);

	/* A new response: a new snapshot, with the same base and catalog. */
	add_response(s, iss, 0x42);
	assert_non_null(b = snapshot_update(s, a, &conf, NULL, 1002, &changed, &e));
	assert_int_equal(changed, 1);
	assert_ptr_equal(b->base, a->base);
	assert_ptr_equal(b->catalog, a->catalog);
	assert_int_equal(ocsp_index_count(b->recent), 1);
	snapshot_free(a); /* b's catalog outlives it */
	expect_crl(b, crl1);

	/* Another: one recent layer, shared and extended (never copied), holds both. */
	add_response(s, iss, 0x43);
	assert_non_null(d = snapshot_update(s, b, &conf, NULL, 1003, &changed, &e));
	assert_ptr_equal(d->recent, b->recent);
	assert_int_equal(ocsp_index_count(d->recent), 2);
	snapshot_free(b);
	b = d;

	/* A new CRL: a new catalog, with it; b keeps the old one. */
	put_crl(s, iss, 2, crl2, crl2_len);
	assert_non_null(d = snapshot_update(s, b, &conf, NULL, 1004, &changed, &e));
	assert_int_equal(changed, 1);
	assert_true(d->catalog != b->catalog);
	assert_int_equal(ocsp_index_count(d->recent), 2);
	expect_crl(d, crl2);
	expect_crl(b, crl1);
	snapshot_free(b);
	expect_crl(d, crl2);
	snapshot_free(d);
	store_close(s);
	test_rmdir(dir);
}

/*
 * A CRL with a byte flipped in the store: the snapshot keeps serving the
 * previous good one, a first snapshot serves none, and both count it; a
 * response with a bad signature is left out and counted.
 */
static void
test_corrupted_store(void **state)
{
	uint8_t bad[CRL_MAX];
	struct snapshot *a, *b, *c;
	struct store *s;
	struct conf conf;
	struct err e;
	char dir[256];
	int64_t iss;
	int changed;

	(void)state;
	s = store_with_crl(dir, sizeof(dir), &iss);
	conf_defaults(&conf);
	add_response(s, iss, 0x42);
	assert_non_null(a = snapshot_update(s, NULL, &conf, NULL, 1000, &changed, &e));
	expect_crl(a, crl1);
	assert_int_equal(a->crl_bad_total, 0);
	assert_int_equal(a->ocsp_checked_total, 1);
	assert_int_equal(a->ocsp_bad_total, 0);

	memcpy(bad, crl2, crl2_len);
	bad[crl2_len - 5] ^= 0x40; /* in the signature */
	put_crl(s, iss, 2, bad, crl2_len);
	assert_non_null(b = snapshot_update(s, a, &conf, NULL, 1001, &changed, &e));
	expect_crl(b, crl1); /* the previous good copy */
	assert_int_equal(b->crl_bad_total, 1);
	assert_non_null(c = snapshot_update(s, NULL, &conf, NULL, 1002, &changed, &e));
	assert_null(snapshot_crl(c, "s1", 0)); /* no good copy to keep */
	assert_int_equal(c->crl_bad_total, 1);
	snapshot_free(c);

	add_response_as(s, iss, 0x43, 1);
	add_response(s, iss, 0x44);
	assert_non_null(c = snapshot_update(s, b, &conf, NULL, 1003, &changed, &e));
	assert_int_equal(ocsp_index_count(c->recent), 1); /* the good one only */
	assert_int_equal(c->ocsp_checked_total, 3);
	assert_int_equal(c->ocsp_bad_total, 1);
	assert_int_equal(c->crl_bad_total, 1);
	snapshot_free(c);
	snapshot_free(b);
	snapshot_free(a);
	store_close(s);
	test_rmdir(dir);
}

/*
 * Health (issue 15 item 9): unfit while a response or CRL is dated in the
 * future (the clock went back), or while every response is past its
 * nextUpdate (only tryLater); fit in between.
 */
static void
test_unhealthy(void **state)
{
	struct snapshot *a;
	struct store *s;
	struct conf conf;
	struct err e;
	char dir[256];
	int64_t iss;
	int changed;
	const char *why;

	(void)state;
	s = store_with_crl(dir, sizeof(dir), &iss); /* the CRL's thisUpdate: 101 */
	conf_defaults(&conf);
	add_response(s, iss, 0x42); /* thisUpdate 100, nextUpdate 4000 */
	assert_non_null(a = snapshot_update(s, NULL, &conf, NULL, 1000, &changed, &e));
	assert_null(snapshot_unhealthy(a, 1000));
	assert_null(snapshot_unhealthy(a, 101 - SNAPSHOT_CLOCK_SKEW));
	assert_non_null(why = snapshot_unhealthy(a, 100 - SNAPSHOT_CLOCK_SKEW));
	assert_non_null(strstr(why, "future"));
	assert_non_null(why = snapshot_unhealthy(a, 4000));
	assert_non_null(strstr(why, "tryLater"));
	snapshot_free(a);
	store_close(s);
	test_rmdir(dir);
}

/* A SHA-1 CertID query for serial sn of ca. */
static struct ocsp_query
query_of(uint8_t sn)
{
	struct ocsp_query q = {.hash = OCSP_HASH_SHA1, .serial = {sn}, .serial_len = 1};
	struct ocsp_issuer_hashes h;
	struct err e;
	int k = ocsp_hash_index(OCSP_HASH_SHA1);

	assert_int_equal(ocsp_issuer_hashes(ca.cert, &h, &e), 0);
	memcpy(q.name_hash, h.name[k], ocsp_hash_len(OCSP_HASH_SHA1));
	memcpy(q.key_hash, h.key[k], ocsp_hash_len(OCSP_HASH_SHA1));
	return q;
}

static void
test_deferred_base(void **state)
{
	struct snapshot_how how = {.defer_base = 1};
	struct snapshot *a, *b;
	struct snapshot_base *base;
	struct ocsp_query q = query_of(0x42);
	struct ocsp_entry en;
	struct store *s;
	struct conf conf;
	struct err e;
	char dir[256];
	int64_t iss;
	int changed;

	(void)state;
	s = store_with_crl(dir, sizeof(dir), &iss);
	conf_defaults(&conf);
	add_response(s, iss, 0x42);
	/* The first: partial, its base empty but knowing the issuer; a base is due. */
	assert_non_null(a = snapshot_update_ex(s, NULL, &conf, NULL, 1000, &how, &changed, &e));
	assert_int_equal(a->partial, 1);
	assert_int_equal(how.want_base, 1);
	assert_int_equal(ocsp_index_count(a->view.base), 0);
	assert_int_equal(ocsp_index_find(a->view.base, &q, &en), OCSP_UNKNOWN_SERIAL);
	assert_int_equal(ocsp_index_issuer_of(a->view.base, &q), iss);
	expect_crl(a, crl1);
	/* Nothing changed: the same snapshot, a base still due and not loaded here. */
	assert_ptr_equal(snapshot_update_ex(s, a, &conf, NULL, 1001, &how, &changed, &e), a);
	assert_int_equal(changed, 0);
	assert_int_equal(how.want_base, 1);
	/* A base loaded apart, then a response written after it. */
	assert_non_null(base = snapshot_base_load(s, a->catalog, 1002, NULL, &e));
	assert_int_equal(ocsp_index_count(base->base->ix), 1);
	add_response(s, iss, 0x43);
	how.fresh = base;
	assert_non_null(b = snapshot_update_ex(s, a, &conf, NULL, 1003, &how, &changed, &e));
	assert_null(how.fresh);
	assert_int_equal(changed, 1);
	assert_int_equal(b->partial, 0);
	assert_int_equal(how.want_base, 0);
	assert_int_equal(ocsp_index_count(b->view.base), 1);
	assert_int_equal(ocsp_index_count(b->view.recent), 1);
	assert_int_equal(ocsp_index_find(b->view.base, &q, &en), OCSP_FOUND);
	q = query_of(0x43);
	assert_int_equal(ocsp_index_find(b->view.recent, &q, &en), OCSP_FOUND);
	snapshot_free(a);
	/* Too old: due, but the base is kept until a new one is loaded apart. */
	assert_ptr_equal(snapshot_update_ex(s, b, &conf, NULL, 1002 + SNAPSHOT_BASE_MAX_AGE, &how,
			     &changed, &e), b);
	assert_int_equal(how.want_base, 1);
	/* A cancelled load gives nothing. */
	{
		atomic_int stop = 1;
		assert_null(snapshot_base_load(s, b->catalog, 1004, &stop, &e));
	}
	snapshot_free(b);
	store_close(s);
	test_rmdir(dir);
}

/*
 * A base loaded apart is kept when the reload that takes it fails (a store
 * blip after a load of minutes): the caller passes it again, and the next
 * reload serves it.
 */
static void
test_fresh_base_survives_failure(void **state)
{
	struct snapshot_how how = {.defer_base = 1};
	struct snapshot *a, *b;
	struct snapshot_base *base;
	struct ocsp_query q = query_of(0x42);
	struct ocsp_entry en;
	struct store *s;
	struct conf conf;
	struct err e;
	char dir[256];
	int64_t iss;
	int changed;

	(void)state;
	s = store_with_crl(dir, sizeof(dir), &iss);
	conf_defaults(&conf);
	add_response(s, iss, 0x42);
	assert_non_null(a = snapshot_update_ex(s, NULL, &conf, NULL, 1000, &how, &changed, &e));
	assert_non_null(base = snapshot_base_load(s, a->catalog, 1001, NULL, &e));
	/* The store's counters cannot be read: the reload fails, the base stays. */
	store_sql(dir, "ALTER TABLE meta RENAME TO meta_away");
	how.fresh = base;
	assert_null(snapshot_update_ex(s, a, &conf, NULL, 1002, &how, &changed, &e));
	assert_ptr_equal(how.fresh, base);
	/* The CRLs cannot be read (a forced reload reads the catalog again): the same. */
	store_sql(dir, "ALTER TABLE meta_away RENAME TO meta; ALTER TABLE crls RENAME TO crls_away");
	how.force = 1;
	assert_null(snapshot_update_ex(s, a, &conf, NULL, 1003, &how, &changed, &e));
	assert_ptr_equal(how.fresh, base);
	/* Back: the next reload takes it. */
	store_sql(dir, "ALTER TABLE crls_away RENAME TO crls");
	assert_non_null(b = snapshot_update_ex(s, a, &conf, NULL, 1004, &how, &changed, &e));
	assert_null(how.fresh);
	assert_int_equal(b->partial, 0);
	assert_int_equal(b->base_built, 1001);
	assert_int_equal(ocsp_index_find(b->view.base, &q, &en), OCSP_FOUND);
	snapshot_free(a);
	snapshot_free(b);
	store_close(s);
	test_rmdir(dir);
}

/*
 * A partial snapshot's recent layer past its bound (the base still loading,
 * changes streaming in) is dropped instead of copied on: the next holds
 * only what was written since, the rest is missed (and looked up in the
 * store), and its empty base still knows the issuer.
 */
static void
test_partial_recent_bounded(void **state)
{
	struct snapshot_how how = {.defer_base = 1, .recent_max = 2};
	struct snapshot *a, *b, *c;
	struct ocsp_query q = query_of(0x41);
	struct ocsp_entry en;
	struct store *s;
	struct conf conf;
	struct err e;
	char dir[256];
	int64_t iss;
	int changed;

	(void)state;
	s = store_with_crl(dir, sizeof(dir), &iss);
	conf_defaults(&conf);
	assert_non_null(a = snapshot_update_ex(s, NULL, &conf, NULL, 1000, &how, &changed, &e));
	assert_int_equal(a->partial, 1);
	add_response(s, iss, 0x41);
	add_response(s, iss, 0x42);
	add_response(s, iss, 0x43);
	assert_non_null(b = snapshot_update_ex(s, a, &conf, NULL, 1001, &how, &changed, &e));
	assert_int_equal(ocsp_index_count(b->recent), 3); /* copied on while within the bound */
	add_response(s, iss, 0x44);
	assert_non_null(c = snapshot_update_ex(s, b, &conf, NULL, 1002, &how, &changed, &e));
	assert_int_equal(c->partial, 1);
	assert_int_equal(ocsp_index_count(c->recent), 1); /* 0x44 only */
	assert_int_equal(ocsp_index_find(c->recent, &q, &en), OCSP_UNKNOWN_SERIAL);
	/* 0x41 is now missed, with its issuer known: a lookup asks the store. */
	assert_int_equal(ocsp_index_find(c->view.base, &q, &en), OCSP_UNKNOWN_SERIAL);
	assert_int_equal(ocsp_index_issuer_of(c->view.base, &q), iss);
	q = query_of(0x44);
	assert_int_equal(ocsp_index_find(c->recent, &q, &en), OCSP_FOUND);
	snapshot_free(a);
	snapshot_free(b);
	snapshot_free(c);
	store_close(s);
	test_rmdir(dir);
}

/*
 * A node that serves a base and rebuilds it (its layer past the bound, or
 * hourly) keeps its base and its recent layer until the new base is
 * loaded; the reloads meanwhile share that one layer and add to it (it used
 * to be copied whole at each: with the changes streaming in, a cost that
 * grew with the square of the write rate, and two copies in memory at each
 * swap).  The new base, once taken, comes with a new layer of only what was
 * written since it was read, and the old snapshots keep theirs.
 */
static void
test_rebuild_shares_recent(void **state)
{
	struct snapshot_how how = {.defer_base = 1, .recent_max = 2};
	struct snapshot *snap[8];
	struct snapshot_base *base = NULL;
	struct ocsp_query q;
	struct ocsp_entry en;
	struct store *s;
	struct conf conf;
	struct err e;
	char dir[256];
	int64_t iss;
	int changed, n = 0;

	(void)state;
	s = store_with_crl(dir, sizeof(dir), &iss);
	conf_defaults(&conf);
	add_response(s, iss, 0x40);
	assert_non_null(snap[n] = snapshot_update_ex(s, NULL, &conf, NULL, 1000, &how, &changed, &e));
	assert_non_null(how.fresh = snapshot_base_load(s, snap[n]->catalog, 1000, NULL, &e));
	n++;
	assert_non_null(snap[n] = snapshot_update_ex(s, snap[n - 1], &conf, NULL, 1001, &how,
			    &changed, &e));
	assert_int_equal(snap[n]->partial, 0);
	/* Past the bound: a base is due, and the node serves this one meanwhile. */
	for (uint8_t sn = 0x41; sn <= 0x43; sn++)
		add_response(s, iss, sn);
	n++;
	assert_non_null(snap[n] = snapshot_update_ex(s, snap[n - 1], &conf, NULL, 1002, &how,
			    &changed, &e));
	assert_int_equal(ocsp_index_count(snap[n]->recent), 3);
	/* Four reloads while the new base loads: one layer, added to. */
	for (uint8_t sn = 0x44; sn <= 0x47; sn++) {
		add_response(s, iss, sn);
		if (sn == 0x45) /* the base's load reads the store here */
			assert_non_null(base = snapshot_base_load(s, snap[n]->catalog, 1003, NULL, &e));
		n++;
		assert_non_null(snap[n] = snapshot_update_ex(s, snap[n - 1], &conf, NULL, 1003, &how,
				    &changed, &e));
		assert_int_equal(changed, 1);
		assert_int_equal(how.want_base, 1);
		assert_int_equal(snap[n]->partial, 0);
		assert_ptr_equal(snap[n]->base, snap[1]->base);
		assert_ptr_equal(snap[n]->recent, snap[2]->recent);
		assert_int_equal(ocsp_index_count(snap[n]->recent), 3 + (sn - 0x43));
	}
	/* An older snapshot, still being served, answers the newest too. */
	q = query_of(0x47);
	assert_int_equal(ocsp_index_find(snap[2]->view.recent, &q, &en), OCSP_FOUND);
	/* The new base: a new layer of what was written after its read (0x46, 0x47). */
	how.fresh = base;
	assert_non_null(snap[7] = snapshot_update_ex(s, snap[6], &conf, NULL, 1004, &how, &changed,
			    &e));
	assert_int_equal(how.want_base, 0);
	assert_true(snap[7]->recent != snap[6]->recent);
	assert_int_equal(ocsp_index_count(snap[7]->view.base), 6);
	assert_int_equal(ocsp_index_count(snap[7]->recent), 2);
	for (uint8_t sn = 0x40; sn <= 0x47; sn++) {
		q = query_of(sn);
		assert_true(ocsp_index_find(snap[7]->view.recent, &q, &en) == OCSP_FOUND ||
			    ocsp_index_find(snap[7]->view.base, &q, &en) == OCSP_FOUND);
	}
	for (int i = 0; i <= 7; i++)
		snapshot_free(snap[i]);
	store_close(s);
	test_rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_catalog_shared_until_crls_change),
	    cmocka_unit_test(test_corrupted_store),
	    cmocka_unit_test(test_unhealthy),
	    cmocka_unit_test(test_deferred_base),
	    cmocka_unit_test(test_fresh_base_survives_failure),
	    cmocka_unit_test(test_partial_recent_bounded),
	    cmocka_unit_test(test_rebuild_shares_recent),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
