/*
 * explain_dir.c - see explain_dir.h.
 */
#include "cli/explain_dir.h"

#include <stdio.h>
#include <string.h>

#include <openssl/ocsp.h>

#include "ocsp/answer.h"

int
explain_dir_open(struct explain_dir *xd, const char *dir, STACK_OF(X509) *known, struct err *e)
{
	memset(xd, 0, sizeof(*xd));
	if (cli_dir_open_as(&xd->d, dir, STORE_READ, e) != 0)
		return -1;
	if (issuer_set_load(xd->d.store, &xd->set, e) != 0 ||
	    (xd->ix = ocsp_index_new(e)) == NULL || ocsp_index_load(xd->ix, xd->d.store, 0, e) != 0) {
		explain_dir_close(xd);
		return -1;
	}
	for (size_t i = 0; i < xd->set.n; i++) {
		X509 *x = xd->set.v[i].cert;

		if (x != NULL && X509_up_ref(x) && !sk_X509_push(known, x))
			X509_free(x);
	}
	return 0;
}

void
explain_dir_close(struct explain_dir *xd)
{
	if (xd->d.store != NULL) {
		issuer_set_free(&xd->set);
		cli_dir_close(&xd->d);
	}
	ocsp_index_free(xd->ix);
	xd->ix = NULL;
}

const char *
explain_dir_issuer_name(const struct explain_dir *xd, X509 *x)
{
	for (size_t i = 0; xd != NULL && x != NULL && i < xd->set.n; i++)
		if (xd->set.v[i].cert != NULL && X509_cmp(xd->set.v[i].cert, x) == 0)
			return xd->set.v[i].rec.name;
	return NULL;
}

/* The certificate status inside a pre-signed response. */
static const char *
response_status(const uint8_t *der, size_t len, char *reason_buf, size_t rlen)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = r != NULL ? OCSP_response_get1_basic(r) : NULL;
	int status = -1, reason = -1;
	ASN1_GENERALIZEDTIME *rev = NULL, *tu = NULL, *nu = NULL;

	if (bs != NULL && OCSP_resp_count(bs) > 0)
		status = OCSP_single_get0_status(OCSP_resp_get0(bs, 0), &reason, &rev, &tu, &nu);
	snprintf(reason_buf, rlen, "%s", reason >= 0 ? OCSP_crl_reason_str(reason) : "");
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	return status < 0 ? "?" : OCSP_cert_status_str(status);
}

void
explain_dir_answer(const struct explain_dir *xd, const uint8_t *req, size_t len, int64_t now,
    char *buf, size_t buflen)
{
	struct ocsp_view v = {NULL, xd->ix};
	struct ocsp_answer a;
	char reason[64];
	const char *status;

	ocsp_answer_der(&v, req, len, now, &a);
	if (a.outcome != OCSP_OUT_RESPONSE) {
		snprintf(buf, buflen, "%s%s", ocsp_outcome_name(a.outcome),
		    a.outcome == OCSP_OUT_UNAUTHORIZED
			? " (lancre does not answer for this certificate: unknown issuer or serial, "
			  "or expired)"
		    : a.outcome == OCSP_OUT_TRY_LATER ? " (its pre-signed response is stale)" : "");
		return;
	}
	status = response_status(a.der, a.len, reason, sizeof(reason));
	snprintf(buf, buflen, "%s%s%s (a pre-signed response)", status, reason[0] ? ", " : "",
	    reason);
}
