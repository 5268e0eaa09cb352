/*
 * check_crl.c - the CRL from the certificate's CRL Distribution Point, as
 * check.h says.
 *
 * Accepted only if: it parses, its issuer name is the issuer's subject, the
 * issuer's key verifies its signature, its IssuingDistributionPoint (when it
 * has one) names the URL fetched and does not exclude end-entity
 * certificates, and it is fresh (thisUpdate not in the future, nextUpdate
 * present and not past, with the skew allowed).  A CRL without an
 * IssuingDistributionPoint is a complete CRL of the issuer, which covers every
 * certificate (RFC 5280 5.2.5).  The body is held whole, up to
 * CHECK_FETCH_CRL_MAX (streaming it in bounded memory is still to come).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "check/check.h"
#include "check/fetch.h"

/* 1 if the CRL's scope covers a leaf fetched from url; else 0 and why. */
static int
crl_scope_ok(X509_CRL *crl, const char *url, char *why, size_t wlen)
{
	ISSUING_DIST_POINT *idp;
	int crit = -1, match = 0, eeok;

	idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, NULL);
	if (idp == NULL) {
		if (crit == -1)
			return 1; /* a complete CRL */
		snprintf(why, wlen, "the CRL's IssuingDistributionPoint cannot be read");
		return 0;
	}
	eeok = !idp->onlyCA && !idp->onlyattr;
	if (idp->distpoint != NULL && idp->distpoint->type == 0) {
		GENERAL_NAMES *gn = idp->distpoint->name.fullname;

		for (int i = 0; i < sk_GENERAL_NAME_num(gn) && !match; i++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(gn, i);
			ASN1_IA5STRING *u = g->d.uniformResourceIdentifier;

			match = g->type == GEN_URI && (size_t)u->length == strlen(url) &&
			    memcmp(u->data, url, strlen(url)) == 0;
		}
	}
	ISSUING_DIST_POINT_free(idp);
	if (!match)
		snprintf(why, wlen, "the CRL's IssuingDistributionPoint does not name %s", url);
	else if (!eeok)
		snprintf(why, wlen, "the CRL does not cover end-entity certificates");
	return match && eeok;
}

/* Signature, issuer, scope, freshness; 0 or -1 with r->why. */
static int
crl_validate(X509_CRL *crl, X509 *issuer, const char *url, int64_t now, int skew,
    struct check_result *r)
{
	const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(crl);

	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
		snprintf(r->why, sizeof(r->why), "the CRL's issuer is not the certificate's issuer");
		return -1;
	}
	if (X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1) {
		snprintf(r->why, sizeof(r->why), "the CRL's signature does not verify with the issuer's key");
		return -1;
	}
	if (!crl_scope_ok(crl, url, r->why, sizeof(r->why)))
		return -1;
	r->this_update = check_asn1_time(X509_CRL_get0_lastUpdate(crl));
	r->next_update = nu != NULL ? check_asn1_time(nu) : 0;
	if (r->this_update < 0 || r->this_update > now + skew) {
		snprintf(r->why, sizeof(r->why), "the CRL's thisUpdate is in the future");
		return -1;
	}
	if (nu == NULL || r->next_update < 0) {
		snprintf(r->why, sizeof(r->why), "the CRL has no nextUpdate");
		return -1;
	}
	if (now > r->next_update + skew) {
		snprintf(r->why, sizeof(r->why), "the CRL is stale: past its nextUpdate");
		return -1;
	}
	return 0;
}

/* The leaf's entry, if any. */
static void
crl_lookup(X509_CRL *crl, X509 *leaf, struct check_result *r)
{
	X509_REVOKED *rev = NULL;
	ASN1_ENUMERATED *reason;

	r->source = "crl";
	if (X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(leaf)) != 1 || rev == NULL) {
		r->status = CHECK_GOOD;
		snprintf(r->why, sizeof(r->why), "the certificate is not on the issuer's CRL");
		return;
	}
	r->status = CHECK_REVOKED;
	r->revoked_at = check_asn1_time(X509_REVOKED_get0_revocationDate(rev));
	reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
	r->reason = reason != NULL ? (int)ASN1_ENUMERATED_get(reason) : -1;
	ASN1_ENUMERATED_free(reason);
	snprintf(r->why, sizeof(r->why), "the certificate is on the issuer's CRL");
}

int
check_crl(X509 *leaf, X509 *issuer, const char *url, int64_t now, int skew,
    struct check_result *r)
{
	struct check_step *s = check_step_add(r, "crl", url);
	struct check_fetch f;
	const unsigned char *p;
	X509_CRL *crl = NULL;
	struct err e;
	int ret = -1;

	if (check_fetch(url, NULL, 0, NULL, CHECK_FETCH_CRL_MAX, CHECK_FETCH_CRL_TIMEOUT_MS, &f, &e) != 0) {
		s->http_status = f.http_status;
		snprintf(r->why, sizeof(r->why), "%s", e.msg);
		snprintf(s->note, sizeof(s->note), "%s", e.msg);
		goto done;
	}
	s->http_status = f.http_status;
	s->bytes = f.len;
	p = f.body;
	if ((crl = d2i_X509_CRL(NULL, &p, (long)f.len)) == NULL)
		snprintf(r->why, sizeof(r->why), "the answer is not a DER CRL");
	else if (crl_validate(crl, issuer, url, now, skew, r) == 0) {
		crl_lookup(crl, leaf, r);
		ret = 0;
	}
	s->ok = ret == 0;
	snprintf(s->note, sizeof(s->note), "%s", r->why);
done:
	ERR_clear_error();
	X509_CRL_free(crl);
	check_fetch_free(&f);
	return ret;
}
