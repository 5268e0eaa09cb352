/*
 * explain_cert.c - `lancre explain` for a certificate: who it is for, who
 * issued it, when it is valid, and every URL a client will fetch because of
 * it (AIA OCSP and caIssuers, CRL Distribution Points), or why it needs
 * none (short-lived, BR 1.6.1, or noRevAvail, RFC 9608); then what the
 * certificate rules (lint/lint.h) find, and for a delegated OCSP responder's
 * certificate the responder rules.
 */
#include "cli/explain.h"

#include <stdio.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "lint/hex.h"
#include "pki/cert.h"
#include "util/timefmt.h"

#define OID_NO_REV_AVAIL "2.5.29.56"         /* RFC 9608 */

/* Every URI of the AIA entries with this method; returns how many. */
static int
aia_urls(struct xout *o, X509 *x, int method, const char *key, const char *label)
{
	AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
	int n = 0;

	xout_arr(o, key, NULL);
	for (int i = 0; aia != NULL && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
		ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);

		if (OBJ_obj2nid(ad->method) != method || ad->location->type != GEN_URI)
			continue;
		n++;
		if (o->json) {
			xout_item(o);
			xout_str(o, "url", NULL, "%.*s", ad->location->d.uniformResourceIdentifier->length,
			    (const char *)ad->location->d.uniformResourceIdentifier->data);
			xout_close(o, '}');
		} else {
			fprintf(o->f, "%s: %.*s\n", label, ad->location->d.uniformResourceIdentifier->length,
			    (const char *)ad->location->d.uniformResourceIdentifier->data);
		}
	}
	xout_close(o, ']');
	AUTHORITY_INFO_ACCESS_free(aia);
	return n;
}

static int
crldp_urls(struct xout *o, X509 *x)
{
	CRL_DIST_POINTS *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	int n = 0;

	xout_arr(o, "crl_urls", NULL);
	for (int i = 0; dps != NULL && i < sk_DIST_POINT_num(dps); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);

		for (int k = 0; dp->distpoint != NULL && dp->distpoint->type == 0 &&
				k < sk_GENERAL_NAME_num(dp->distpoint->name.fullname); k++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, k);

			if (g->type != GEN_URI)
				continue;
			n++;
			if (o->json) {
				xout_item(o);
				xout_str(o, "url", NULL, "%.*s", g->d.uniformResourceIdentifier->length,
				    (const char *)g->d.uniformResourceIdentifier->data);
				xout_close(o, '}');
			} else {
				fprintf(o->f, "CRL: %.*s\n", g->d.uniformResourceIdentifier->length,
				    (const char *)g->d.uniformResourceIdentifier->data);
			}
		}
	}
	xout_close(o, ']');
	CRL_DIST_POINTS_free(dps);
	return n;
}

int
explain_cert(struct explain_ctx *c, const struct explain_object *obj, struct err *e)
{
	const unsigned char *p = obj->der;
	X509 *x = d2i_X509(NULL, &p, (long)obj->len);
	ASN1_OBJECT *norev = OBJ_txt2obj(OID_NO_REV_AVAIL, 1);
	char subject[512], issuer[512], name[256], iname[256], nb[TIMEFMT_LEN], na[TIMEFMT_LEN];
	char serial[LINT_HEX_MAX], say[1024];
	struct lint_report r;
	int64_t tb = 0, ta = 0;
	int short_lived, no_rev, urls;

	if (x == NULL) {
		ASN1_OBJECT_free(norev);
		return err_set(e, "unreadable certificate");
	}
	cert_name_line(X509_get_subject_name(x), subject, sizeof(subject));
	cert_name_line(X509_get_issuer_name(x), issuer, sizeof(issuer));
	explain_short_name(X509_get_subject_name(x), name, sizeof(name));
	explain_short_name(X509_get_issuer_name(x), iname, sizeof(iname));
	lint_hex(X509_get0_serialNumber(x), serial, sizeof(serial));
	explain_time(X509_get0_notBefore(x), &tb, nb, sizeof(nb));
	explain_time(X509_get0_notAfter(x), &ta, na, sizeof(na));
	short_lived = lint_cert_short_lived(tb, ta);
	no_rev = norev != NULL && X509_get_ext_by_OBJ(x, norev, -1) >= 0;
	snprintf(say, sizeof(say), "A %s certificate for %s, issued by %s, valid from %s to %s%s.%s",
	    cert_is_ca(x) ? "CA" : "leaf", name, iname, nb, na,
	    ta < c->now ? " (EXPIRED)" : tb > c->now ? " (not valid yet)" : "",
	    no_rev ? " It carries noRevAvail (RFC 9608): no revocation information exists for it, "
		     "by design."
	    : short_lived ? " It is short-lived (BR 1.6.1: 7 days or less): clients need no "
			    "revocation information for it."
			  : " Clients checking it fetch the URLs below.");
	xout_str(c->o, "kind", NULL, "%s", "certificate");
	xout_say(c->o, say);
	xout_obj(c->o, "details", NULL);
	xout_str(c->o, "subject", "subject", "%s", subject);
	xout_str(c->o, "issuer", "issuer", "%s", issuer);
	xout_str(c->o, "serial", "serial", "%s", serial);
	xout_str(c->o, "not_before", "not before", "%s", nb);
	xout_str(c->o, "not_after", "not after", "%s", na);
	xout_bool(c->o, "ca", "CA", cert_is_ca(x));
	xout_bool(c->o, "short_lived", "short-lived", short_lived);
	xout_bool(c->o, "no_rev_avail", "noRevAvail", no_rev);
	urls = aia_urls(c->o, x, NID_ad_OCSP, "ocsp_urls", "OCSP");
	urls += aia_urls(c->o, x, NID_ad_ca_issuers, "ca_issuers_urls", "caIssuers");
	urls += crldp_urls(c->o, x);
	if (!c->o->json && urls == 0)
		fputs("URLs: none\n", c->o->f);
	xout_close(c->o, '}');
	if (!c->o->json)
		fputc('\n', c->o->f);
	lint_cert(x, &r);
	explain_findings(c->o, &r);
	ASN1_OBJECT_free(norev);
	X509_free(x);
	return 0;
}
