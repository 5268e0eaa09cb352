/*
 * Unit tests for lint/: the tables' invariants (ids unique and well formed,
 * every rule with a sentence and a source, a report can hold every rule of a
 * kind) and the details a finding carries, on CRLs built here with OpenSSL.
 * Each rule's trip and clean objects are in tests/e2e/lint.sh.
 */
#include "testutil.h"
#include "lint/lint.h"

#include <openssl/evp.h>
#include <openssl/x509v3.h>

static void
test_table(void **state)
{
	static const char *const prefix[] = {"_crl_", "_ocsp_", "_cert_", "_ocsp_responder_"};
	const struct lint_def *d, *o;
	size_t ncrl = 0, nocsp = 0, ncert = 0, nresp = 0;

	(void)state;
	for (size_t i = 0; (d = lint_def_at(i)) != NULL; i++) {
		const char *kind = prefix[d->kind];

		assert_true(strncmp(d->id, "e_", 2) == 0 || strncmp(d->id, "w_", 2) == 0 ||
			    strncmp(d->id, "n_", 2) == 0);
		assert_int_equal(strncmp(d->id + 1, kind, strlen(kind)), 0);
		assert_int_equal(strspn(d->id, "abcdefghijklmnopqrstuvwxyz0123456789_"), strlen(d->id));
		assert_true(strlen(d->text) > 10 && d->text[strlen(d->text) - 1] == '.');
		assert_true(strlen(d->source) > 3);
		assert_ptr_equal(lint_def_find(d->id), d);
		for (size_t k = 0; (o = lint_def_at(k)) != NULL; k++)
			assert_true(k == i || strcmp(o->id, d->id) != 0);
		/* kinds come in table order, each once */
		assert_true(i == 0 || lint_def_at(i - 1)->kind <= d->kind);
		ncrl += d->kind == LINT_CRL;
		nocsp += d->kind == LINT_OCSP;
		ncert += d->kind == LINT_CERT;
		nresp += d->kind == LINT_RESPONDER;
	}
	assert_true(ncrl >= 8 && nocsp >= 2 && ncert >= 8 && nresp >= 4);
	/* a response's report holds its OCSP and its responder's rules */
	assert_true(ncrl <= LINT_FINDINGS_MAX && nocsp + nresp <= LINT_FINDINGS_MAX &&
		    ncert + nresp <= LINT_FINDINGS_MAX);
	assert_string_equal(lint_kind_title(LINT_RESPONDER), "Delegated OCSP responder certificates");
	assert_null(lint_def_find("e_no_such_rule"));
	assert_int_equal(lint_level(lint_def_find("e_crl_idp_not_critical")), LINT_ERROR);
	assert_int_equal(lint_level(lint_def_find("w_ocsp_validity_over_7_days")), LINT_WARNING);
}

static void
add_entry(X509_CRL *crl, long serial, int reason)
{
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_INTEGER *s = ASN1_INTEGER_new();
	ASN1_TIME *t = ASN1_TIME_set(NULL, time(NULL) - 60);
	ASN1_ENUMERATED *code = ASN1_ENUMERATED_new();

	ASN1_INTEGER_set(s, serial);
	ASN1_ENUMERATED_set(code, reason);
	assert_int_equal(X509_REVOKED_set_serialNumber(r, s), 1);
	assert_int_equal(X509_REVOKED_set_revocationDate(r, t), 1);
	assert_int_equal(X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, code, 0, 0), 1);
	assert_int_equal(X509_CRL_add0_revoked(crl, r), 1);
	ASN1_INTEGER_free(s);
	ASN1_TIME_free(t);
	ASN1_ENUMERATED_free(code);
}

/* lint_crl over crl's DER, signed first with a throwaway key (no rule checks the value). */
static int
lint_of(X509_CRL *crl, struct lint_report *r, struct err *e)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	unsigned char *der = NULL;
	int len, rc;

	assert_non_null(key);
	assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
	assert_true((len = i2d_X509_CRL(crl, &der)) > 0);
	rc = lint_crl(der, (size_t)len, r, e);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
	return rc;
}

static X509_CRL *
crl_new(int64_t span)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t0 = ASN1_TIME_set(NULL, time(NULL)), *t1 = ASN1_TIME_set(NULL, time(NULL) + span);

	assert_int_equal(X509_CRL_set_version(crl, 1), 1);
	assert_int_equal(X509_CRL_set1_lastUpdate(crl, t0), 1);
	assert_int_equal(X509_CRL_set1_nextUpdate(crl, t1), 1);
	ASN1_TIME_free(t0);
	ASN1_TIME_free(t1);
	return crl;
}

static const struct lint_finding *
finding(const struct lint_report *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].def->id, id) == 0)
			return &r->v[i];
	return NULL;
}

static void
test_crl_details(void **state)
{
	X509_CRL *crl = crl_new(11 * 86400);
	struct lint_report r;
	struct err e;
	const struct lint_finding *f;

	(void)state;
	add_entry(crl, 0x30, 0);
	add_entry(crl, 0x10, 1);
	add_entry(crl, 0x10, 0);
	add_entry(crl, 0x20, 7);
	add_entry(crl, 0x10, 1); /* a third time: still one duplicate serial */
	assert_int_equal(lint_of(crl, &r, &e), 0);
	assert_non_null(f = finding(&r, "e_crl_duplicate_serial"));
	assert_string_equal(f->detail, "1 entry, the first serial 10");
	assert_non_null(f = finding(&r, "e_crl_reason_unspecified"));
	assert_string_equal(f->detail, "2 entries, the first serial 30");
	assert_non_null(f = finding(&r, "e_crl_reason_unknown"));
	assert_string_equal(f->detail, "1 entry, the first serial 20 with code 7");
	assert_non_null(f = finding(&r, "e_crl_next_update_over_10_days"));
	assert_string_equal(f->detail, "nextUpdate - thisUpdate = 950400 s (11.0 days)");
	assert_null(finding(&r, "w_crl_size_over_10_mb")); /* lint.sh makes a CRL over 10 MB */
	assert_non_null(finding(&r, "e_crl_number_missing"));
	assert_non_null(finding(&r, "e_crl_aki_missing"));
	assert_int_equal(lint_count(&r, LINT_WARNING), 0);
	X509_CRL_free(crl);
}

/* No entries at all (OpenSSL leaves the list NULL): no entry rule, no crash. */
static void
test_crl_empty(void **state)
{
	X509_CRL *crl = crl_new(86400);
	struct lint_report r;
	struct err e;

	(void)state;
	assert_int_equal(lint_of(crl, &r, &e), 0);
	assert_null(finding(&r, "e_crl_duplicate_serial"));
	assert_null(finding(&r, "e_crl_next_update_over_10_days"));
	assert_non_null(finding(&r, "e_crl_number_missing"));
	X509_CRL_free(crl);
}

/* BR 1.6.1: the validity period counts both ends; 7 days since 2026-03-15, 10 before. */
static void
test_short_lived(void **state)
{
	const int64_t t2026 = 1773532800, t2025 = 1740000000, t2023 = 1680000000;

	(void)state;
	assert_true(lint_cert_short_lived(t2026, t2026 + 604799));
	assert_false(lint_cert_short_lived(t2026, t2026 + 604800));
	assert_true(lint_cert_short_lived(t2025, t2025 + 863999));
	assert_false(lint_cert_short_lived(t2025, t2025 + 864000));
	assert_false(lint_cert_short_lived(t2023, t2023 + 86400)); /* no such thing before 2024-03-15 */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_crl_details),
	    cmocka_unit_test(test_crl_empty),
	    cmocka_unit_test(test_short_lived),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
