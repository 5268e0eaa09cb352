/*
 * build.c - see build.h.
 */
#include "crl/build.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "ocsp/sign.h"
#include "pki/serial.h"

struct crl_builder {
	X509_CRL *crl;
	const struct crl_params *p;
	size_t count;
};

static int
add_idp(X509_CRL *crl, const char *url)
{
	ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *uri = ASN1_IA5STRING_new();
	int ok = 0;

	if (idp == NULL || gn == NULL || uri == NULL || ASN1_STRING_set(uri, url, -1) != 1)
		goto out;
	GENERAL_NAME_set0_value(gn, GEN_URI, uri);
	uri = NULL;
	idp->distpoint = DIST_POINT_NAME_new();
	if (idp->distpoint == NULL)
		goto out;
	idp->distpoint->type = 0; /* fullName */
	idp->distpoint->name.fullname = GENERAL_NAMES_new();
	if (idp->distpoint->name.fullname == NULL ||
	    !sk_GENERAL_NAME_push(idp->distpoint->name.fullname, gn))
		goto out;
	gn = NULL;
	idp->onlyuser = 0xff; /* onlyContainsUserCerts: leaf shards */
	ok = X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp, 1, 0) == 1;
out:
	ASN1_IA5STRING_free(uri);
	GENERAL_NAME_free(gn);
	ISSUING_DIST_POINT_free(idp);
	return ok ? 0 : -1;
}

static int
add_extensions(X509_CRL *crl, const struct crl_params *p)
{
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	X509V3_CTX ctx;
	X509_EXTENSION *akid;
	int ok;

	ok = num != NULL && ASN1_INTEGER_set_int64(num, p->number) == 1 &&
	     X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) == 1;
	ASN1_INTEGER_free(num);
	if (!ok)
		return -1;
	X509V3_set_ctx(&ctx, p->issuer, NULL, NULL, crl, 0);
	akid = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	ok = akid != NULL && X509_CRL_add_ext(crl, akid, -1) == 1;
	X509_EXTENSION_free(akid);
	if (!ok)
		return -1;
	return p->idp_url != NULL ? add_idp(crl, p->idp_url) : 0;
}

struct crl_builder *
crl_builder_new(const struct crl_params *p, struct err *e)
{
	struct crl_builder *b = calloc(1, sizeof(*b));
	ASN1_TIME *t = NULL, *n = NULL;

	if (b == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	b->p = p;
	b->crl = X509_CRL_new();
	t = ASN1_TIME_set(NULL, (time_t)p->this_update);
	n = ASN1_TIME_set(NULL, (time_t)p->next_update);
	if (b->crl == NULL || t == NULL || n == NULL || X509_CRL_set_version(b->crl, 1) != 1 ||
	    X509_CRL_set_issuer_name(b->crl, X509_get_subject_name(p->issuer)) != 1 ||
	    X509_CRL_set1_lastUpdate(b->crl, t) != 1 || X509_CRL_set1_nextUpdate(b->crl, n) != 1 ||
	    add_extensions(b->crl, p) != 0) {
		err_ossl(e, "building the CRL");
		crl_builder_free(b);
		b = NULL;
	}
	ASN1_TIME_free(t);
	ASN1_TIME_free(n);
	return b;
}

void
crl_builder_free(struct crl_builder *b)
{
	if (b == NULL)
		return;
	X509_CRL_free(b->crl);
	free(b);
}

int
crl_builder_add(struct crl_builder *b, const struct cert_record *c, struct err *e)
{
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_INTEGER *serial = serial_to_asn1(c->serial, c->serial_len);
	ASN1_TIME *when = ASN1_TIME_set(NULL, (time_t)c->revoked_at);
	ASN1_ENUMERATED *reason = NULL;
	int ok = r != NULL && serial != NULL && when != NULL &&
		 X509_REVOKED_set_serialNumber(r, serial) == 1 &&
		 X509_REVOKED_set_revocationDate(r, when) == 1;

	if (ok && c->reason != 0) {
		reason = ASN1_ENUMERATED_new();
		ok = reason != NULL && ASN1_ENUMERATED_set(reason, c->reason) == 1 &&
		     X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, reason, 0, 0) == 1;
	}
	if (ok && X509_CRL_add0_revoked(b->crl, r) == 1) {
		r = NULL;
		b->count++;
	} else {
		ok = 0;
	}
	X509_REVOKED_free(r);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(when);
	ASN1_ENUMERATED_free(reason);
	return ok ? 0 : err_ossl(e, "adding a CRL entry");
}

int
crl_builder_finish(struct crl_builder *b, unsigned char **der, size_t *len, size_t *count,
    struct err *e)
{
	int n;

	*der = NULL;
	if (X509_CRL_sort(b->crl) != 1 ||
	    X509_CRL_sign(b->crl, b->p->key, ocsp_sign_md(b->p->key)) <= 0)
		return err_ossl(e, "signing the CRL");
	n = i2d_X509_CRL(b->crl, der);
	if (n <= 0)
		return err_ossl(e, "encoding the CRL");
	*len = (size_t)n;
	*count = b->count;
	return 0;
}
