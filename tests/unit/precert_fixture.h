/*
 * precert_fixture.h - precertificates and final certificates for the tests
 * (pki/test_precert.c, intake/test_intake.c), built as a CA following RFC
 * 6962 3.1 does: the same TBSCertificate, with the CT poison extension for
 * the precertificate and an SCT list for the final certificate.
 */
#ifndef LANCRE_TESTS_PRECERT_FIXTURE_H
#define LANCRE_TESTS_PRECERT_FIXTURE_H

#include "testutil.h"

#include <openssl/objects.h>
#include <openssl/x509v3.h>

enum {
	FIX_POISON = 1,         /* the critical CT poison extension: a precertificate */
	FIX_POISON_NONCRIT = 2, /* the poison, not critical (refused) */
	FIX_SCT = 4,            /* an SCT list extension, appended */
	FIX_SCT_FIRST = 8,      /* an SCT list extension, first of the extensions */
};

struct fix_leaf {
	const char *cn;   /* subject CN (default "pre.test") */
	int64_t nb, na;   /* validity (default: fixed times) */
	uint8_t serial[8]; /* default 0x42 0x01 */
	size_t serial_len;
	int flags;
};

static inline void
fix_add_ext(X509 *x, int nid, int critical, const uint8_t *val, int len, int at)
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;

	assert_non_null(os);
	assert_int_equal(ASN1_OCTET_STRING_set(os, val, len), 1);
	ext = X509_EXTENSION_create_by_NID(NULL, nid, critical, os);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, at), 1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
}

/* A leaf of ca, with f's changes, signed by ca; its DER (OPENSSL_free it). */
static inline unsigned char *
fix_leaf_der(const struct test_ca *ca, const struct fix_leaf *f, int *len)
{
	static const uint8_t null_der[] = {0x05, 0x00};
	static const uint8_t sct_der[] = {0x04, 0x02, 0x00, 0x00}; /* an empty SCT list */
	static const uint8_t dflt_serial[] = {0x42, 0x01};
	struct err e;
	struct mint_cert m = {
	    .common_name = f->cn != NULL ? f->cn : "pre.test",
	    .issuer = ca->cert,
	    .issuer_key = ca->key,
	    .subject_key = ca->key,
	    .serial = f->serial_len ? f->serial : dflt_serial,
	    .serial_len = f->serial_len ? f->serial_len : sizeof(dflt_serial),
	    .not_before = f->nb ? f->nb : (int64_t)time(NULL) / 86400 * 86400 - 86400,
	    .not_after = f->na ? f->na : (int64_t)time(NULL) / 86400 * 86400 + 90 * 86400,
	    .pathlen = -1,
	    .san = "DNS:pre.test",
	};
	X509 *x = mint_certificate(&m, &e);
	unsigned char *der = NULL;

	assert_non_null(x);
	if (f->flags & FIX_SCT_FIRST)
		fix_add_ext(x, NID_ct_precert_scts, 0, sct_der, sizeof(sct_der), 0);
	if (f->flags & (FIX_POISON | FIX_POISON_NONCRIT))
		fix_add_ext(x, NID_ct_precert_poison, (f->flags & FIX_POISON) != 0, null_der,
		    sizeof(null_der), -1);
	if (f->flags & FIX_SCT)
		fix_add_ext(x, NID_ct_precert_scts, 0, sct_der, sizeof(sct_der), -1);
	assert_true(X509_sign(x, ca->key, EVP_sha256()) > 0);
	*len = i2d_X509(x, &der);
	assert_true(*len > 0);
	X509_free(x);
	return der;
}

#endif
