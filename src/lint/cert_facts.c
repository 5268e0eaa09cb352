/*
 * cert_facts.c - see cert_facts.h.
 */
#include "lint/cert_facts.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "pki/cert.h"

#define OID_NO_REV_AVAIL "2.5.29.56" /* RFC 9608 */
/* BR 1.6.1 "Short-lived Subscriber Certificate", by the date of issuance (notBefore). */
#define SHORT_LIVED_SINCE_2024 ((int64_t)1710460800) /* 2024-03-15T00:00:00Z: 10 days */
#define SHORT_LIVED_SINCE_2026 ((int64_t)1773532800) /* 2026-03-15T00:00:00Z: 7 days */
#define SHORT_LIVED_10_DAYS ((int64_t)864000)
#define SHORT_LIVED_7_DAYS ((int64_t)604800)

int
lint_cert_short_lived(int64_t not_before, int64_t not_after)
{
	int64_t period = not_after - not_before + 1; /* BR: notBefore through notAfter, inclusive */

	if (not_before >= SHORT_LIVED_SINCE_2026)
		return period <= SHORT_LIVED_7_DAYS;
	if (not_before >= SHORT_LIVED_SINCE_2024)
		return period <= SHORT_LIVED_10_DAYS;
	return 0;
}

static int
is_http(const ASN1_IA5STRING *s)
{
	return s->length >= 7 && strncasecmp((const char *)s->data, "http://", 7) == 0;
}

static void
keep_url(char *dst, const ASN1_IA5STRING *s)
{
	if (dst[0] == '\0')
		snprintf(dst, LINT_URL_SHOW, "%.*s", s->length, (const char *)s->data);
}

/* Criticality of the extension with this NID: -1 when absent. */
static int
critical(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	return i < 0 ? -1 : X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

static void
read_aia(X509 *x, struct cert_facts *f)
{
	AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);

	f->aia_critical = critical(x, NID_info_access) == 1;
	f->has_aia = X509_get_ext_by_NID(x, NID_info_access, -1) >= 0;
	for (int i = 0; aia != NULL && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
		ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
		int m = OBJ_obj2nid(ad->method);

		if (m == NID_ad_OCSP)
			f->ocsp_urls++;
		if (ad->location->type != GEN_URI || is_http(ad->location->d.uniformResourceIdentifier))
			continue;
		if (m == NID_ad_OCSP)
			keep_url(f->ocsp_not_http, ad->location->d.uniformResourceIdentifier);
		else if (m == NID_ad_ca_issuers)
			keep_url(f->ca_issuers_not_http, ad->location->d.uniformResourceIdentifier);
	}
	AUTHORITY_INFO_ACCESS_free(aia);
}

/* One DistributionPoint against BR 7.1.2.11.2's profile. */
static void
read_point(const DIST_POINT *dp, struct cert_facts *f)
{
	GENERAL_NAMES *names;

	if (dp->reasons != NULL || dp->CRLissuer != NULL)
		f->crldp_reasons_or_issuer = 1;
	if (dp->distpoint == NULL || dp->distpoint->type != 0 ||
	    sk_GENERAL_NAME_num(dp->distpoint->name.fullname) < 1) {
		f->crldp_no_full_name = 1;
		return;
	}
	names = dp->distpoint->name.fullname;
	for (int k = 0; k < sk_GENERAL_NAME_num(names); k++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, k);

		if (g->type != GEN_URI)
			f->crldp_non_uri = 1;
		else if (!is_http(g->d.uniformResourceIdentifier))
			keep_url(f->crl_not_http, g->d.uniformResourceIdentifier);
	}
}

static void
read_crldp(X509 *x, struct cert_facts *f)
{
	CRL_DIST_POINTS *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);

	f->has_crldp = X509_get_ext_by_NID(x, NID_crl_distribution_points, -1) >= 0;
	f->crldp_critical = critical(x, NID_crl_distribution_points) == 1;
	f->crldp_points = dps != NULL ? sk_DIST_POINT_num(dps) : 0;
	for (int i = 0; i < f->crldp_points; i++)
		read_point(sk_DIST_POINT_value(dps, i), f);
	CRL_DIST_POINTS_free(dps);
}

static void
read_eku(X509 *x, struct cert_facts *f)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);

	for (int i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku); i++) {
		if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == NID_OCSP_sign)
			f->ocsp_signing = 1;
		else
			f->eku_other = 1;
	}
	EXTENDED_KEY_USAGE_free(eku);
}

static void
read_no_rev_avail(X509 *x, struct cert_facts *f)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(OID_NO_REV_AVAIL, 1);
	int i = oid != NULL ? X509_get_ext_by_OBJ(x, oid, -1) : -1;

	f->no_rev_avail = i >= 0;
	f->no_rev_avail_critical = i >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, i));
	ASN1_OBJECT_free(oid);
}

void
cert_facts_read(X509 *x, struct cert_facts *f)
{
	int pknid;

	memset(f, 0, sizeof(*f));
	f->is_ca = cert_is_ca(x);
	f->self_issued = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
	f->times_ok = cert_time(X509_get0_notBefore(x), &f->not_before) == 0 &&
		      cert_time(X509_get0_notAfter(x), &f->not_after) == 0;
	f->short_lived = f->times_ok && lint_cert_short_lived(f->not_before, f->not_after);
	read_eku(x, f);
	read_no_rev_avail(x, f);
	read_aia(x, f);
	read_crldp(x, f);
	f->has_freshest = X509_get_ext_by_NID(x, NID_freshest_crl, -1) >= 0;
	f->has_nocheck = X509_get_ext_by_NID(x, NID_id_pkix_OCSP_noCheck, -1) >= 0;
	f->nocheck_critical = critical(x, NID_id_pkix_OCSP_noCheck) == 1;
	f->sig_nid = X509_get_signature_nid(x);
	if (!OBJ_find_sigid_algs(f->sig_nid, &f->sig_md_nid, &pknid))
		f->sig_md_nid = NID_undef;
}
