/*
 * Unit tests for the server's snapshots: one is reused while nothing
 * changed; the next one shares its base index and its catalog (issuers,
 * CRLs) while their sequence numbers stay put, extends a copy of its
 * predecessor's recent layer with what was written since, and reads the
 * catalog again when the CRLs change, each snapshot keeping what it was
 * built with.
 */
#include "ocsp/index.h"
#include "testutil.h"
#include "conf/conf.h"
#include "server/snapshot.h"

static const uint8_t crl1[] = {0x30, 0x01, 0x01}, crl2[] = {0x30, 0x01, 0x02};

/* Issuer s1 (a self-signed CA) with a full CRL crl1, in a new store in dir. */
static struct store *
store_with_crl(char *dir, size_t len, struct test_ca *ca, int64_t *issuer_id)
{
	struct crl_record cr;
	struct store *s;
	struct err e;

	test_ca_make(ca, "snapshot test CA", NULL, MINT_P256);
	test_mkdtemp(dir, len);
	assert_non_null(s = store_open(dir, "lancre.db", 1, &e));
	*issuer_id = test_issuer_add(s, "s1", ca, "", 1);
	cr = (struct crl_record){.issuer_id = *issuer_id, .shard = 0, .number = 1,
	    .this_update = 100, .next_update = 200, .der = crl1, .der_len = sizeof(crl1)};
	assert_int_equal(store_crl_put(s, &cr, &e), 0);
	return s;
}

/* A response for a new certificate of issuer_id with serial sn: meta ocsp_seq moves. */
static void
add_response(struct store *s, int64_t issuer_id, uint8_t sn)
{
	static const uint8_t der[] = {0x30, 0x00};
	struct cert_record c = {0};
	struct ocsp_record o;
	enum store_insert_result res;
	struct err e;

	c.issuer_id = issuer_id;
	c.serial[0] = sn;
	c.serial_len = 1;
	c.not_before = 100;
	c.not_after = 5000;
	c.shard = 1;
	assert_int_equal(store_cert_insert(s, &c, &res, &e), 0);
	o = (struct ocsp_record){.cert_id = c.id, .issuer_id = issuer_id, .hash = OCSP_HASH_SHA1,
	    .der = der, .der_len = sizeof(der), .this_update = 100, .next_update = 4000,
	    .due_at = 3000, .cert_seq = c.change_seq};
	assert_int_equal(store_ocsp_put(s, &o, 1, &e), 0);
}

static void
expect_crl(const struct snapshot *snap, const uint8_t *der)
{
	const struct snapshot_crl *c = snapshot_crl(snap, "s1", 0);

	assert_non_null(c);
	assert_int_equal(c->der_len, 3);
	assert_memory_equal(c->der, der, 3);
	assert_string_equal(c->issuer->name, "s1");
}

static void
test_catalog_shared_until_crls_change(void **state)
{
	struct test_ca ca;
	struct crl_record cr;
	struct snapshot *a, *b, *d;
	struct store *s;
	struct conf conf;
	struct err e;
	char dir[256];
	int64_t iss;
	int changed;

	(void)state;
	s = store_with_crl(dir, sizeof(dir), &ca, &iss);
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

	/* Another: the recent layer holds both, b's still one. */
	add_response(s, iss, 0x43);
	assert_non_null(d = snapshot_update(s, b, &conf, NULL, 1003, &changed, &e));
	assert_int_equal(ocsp_index_count(d->recent), 2);
	assert_int_equal(ocsp_index_count(b->recent), 1);
	snapshot_free(b);
	b = d;

	/* A new CRL: a new catalog, with it; b keeps the old one. */
	cr = (struct crl_record){.issuer_id = iss, .shard = 0, .number = 2, .this_update = 150,
	    .next_update = 250, .der = crl2, .der_len = sizeof(crl2)};
	assert_int_equal(store_crl_put(s, &cr, &e), 0);
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
	test_ca_free(&ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_catalog_shared_until_crls_change),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
