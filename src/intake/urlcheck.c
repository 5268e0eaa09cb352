/*
 * urlcheck.c - see urlcheck.h.
 *
 * Each URI is compared with the URLs built from lancre.conf the way
 * `lancre urls` builds them (pki/urls.h), byte for byte: the server's routes
 * are case-sensitive in their paths, and a CA that copies what `lancre urls`
 * prints matches exactly.
 */
#include "intake/urlcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "pki/urls.h"

/* uri is s, or s with one '/' more or less at the end (host form). */
static int
same_host_url(const char *uri, const char *s)
{
	size_t ul = strlen(uri), sl = strlen(s);

	if (strcmp(uri, s) == 0)
		return 1;
	if (ul == sl + 1 && uri[ul - 1] == '/' && strncmp(uri, s, sl) == 0)
		return 1;
	return sl == ul + 1 && s[sl - 1] == '/' && strncmp(uri, s, ul) == 0;
}

static int
served_crl(const struct conf *c, const struct issuer_record *is, const char *uri)
{
	char u[URL_MAX];

	if (urls_crl_shard_of(c, is->name, is->crl_shards, uri, strlen(uri)) != 0)
		return 1;
	snprintf(u, sizeof(u), "%s/crl/%s.crl", c->base_url, is->name);
	if (c->crl_full && strcmp(uri, u) == 0)
		return 1;
	if (c->domain[0] == '\0')
		return 0;
	snprintf(u, sizeof(u), "http://%s.c.%s/", is->name, c->domain);
	return c->crl_full && same_host_url(uri, u);
}

static int
served_ocsp(const struct conf *c, const struct issuer_record *is, const char *uri)
{
	char u[URL_MAX];

	snprintf(u, sizeof(u), "%s/ocsp", c->base_url);
	if (strcmp(uri, u) == 0)
		return 1;
	snprintf(u, sizeof(u), "http://%s.o.%s", is->name, c->domain);
	return c->domain[0] != '\0' && same_host_url(uri, u);
}

static int
served_ca(const struct conf *c, const struct issuer_record *is, const char *uri)
{
	static const char *const ext[] = {"", ".der", ".pem"};
	char u[URL_MAX];

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(u, sizeof(u), "%s/issuer/%s%s", c->base_url, is->name, ext[i]);
		if (strcmp(uri, u) == 0)
			return 1;
	}
	snprintf(u, sizeof(u), "http://%s.i.%s/", is->name, c->domain);
	return c->domain[0] != '\0' && same_host_url(uri, u);
}

/* A GeneralName's URI as a C string (no NUL inside), or NULL. */
static const char *
uri_of(const GENERAL_NAME *gn, char *buf, size_t len)
{
	const ASN1_IA5STRING *s;
	int n;

	if (gn->type != GEN_URI)
		return NULL;
	s = gn->d.uniformResourceIdentifier;
	n = ASN1_STRING_length(s);
	if (n < 0 || (size_t)n >= len || memchr(ASN1_STRING_get0_data(s), '\0', (size_t)n))
		return "(a URI lancre cannot read)";
	memcpy(buf, ASN1_STRING_get0_data(s), (size_t)n);
	buf[n] = '\0';
	return buf;
}

static int
check_crldp(const struct conf *c, const struct issuer_record *is, const uint8_t *der,
    size_t len, struct err *e)
{
	const unsigned char *p = der;
	STACK_OF(DIST_POINT) *dps = d2i_CRL_DIST_POINTS(NULL, &p, (long)len);
	char buf[URL_MAX];
	const char *uri;
	int rc = 0;

	if (dps == NULL)
		return err_set(e, "its CRL Distribution Points extension cannot be read");
	for (int i = 0; rc == 0 && i < sk_DIST_POINT_num(dps); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		for (int j = 0; rc == 0 && j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname); j++) {
			uri = uri_of(sk_GENERAL_NAME_value(dp->distpoint->name.fullname, j), buf,
			    sizeof(buf));
			if (uri != NULL && !served_crl(c, is, uri))
				rc = err_set(e, "its CRL Distribution Point %s is not a CRL lancre "
						"publishes for %s (%d shard%s%s)", uri, is->name,
				    is->crl_shards, is->crl_shards == 1 ? "" : "s",
				    c->crl_full ? ", and the full CRL" : "");
		}
	}
	CRL_DIST_POINTS_free(dps);
	return rc;
}

static int
check_aia(const struct conf *c, const struct issuer_record *is, const uint8_t *der, size_t len,
    struct err *e)
{
	const unsigned char *p = der;
	AUTHORITY_INFO_ACCESS *aia = d2i_AUTHORITY_INFO_ACCESS(NULL, &p, (long)len);
	char buf[URL_MAX];
	const char *uri;
	int rc = 0, nid;

	if (aia == NULL)
		return err_set(e, "its Authority Information Access extension cannot be read");
	for (int i = 0; rc == 0 && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
		ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
		nid = OBJ_obj2nid(ad->method);
		if ((nid != NID_ad_OCSP && nid != NID_ad_ca_issuers) ||
		    (uri = uri_of(ad->location, buf, sizeof(buf))) == NULL)
			continue;
		if (nid == NID_ad_OCSP && !served_ocsp(c, is, uri))
			rc = err_set(e, "its OCSP URL %s is not one lancre answers for %s", uri,
			    is->name);
		else if (nid == NID_ad_ca_issuers && !served_ca(c, is, uri))
			rc = err_set(e, "its caIssuers URL %s is not one lancre serves for %s", uri,
			    is->name);
	}
	AUTHORITY_INFO_ACCESS_free(aia);
	return rc;
}

int
urlcheck_der(const struct conf *c, const struct issuer_record *is, const uint8_t *crldp,
    size_t crldp_len, const uint8_t *aia, size_t aia_len, struct err *e)
{
	if (crldp != NULL && check_crldp(c, is, crldp, crldp_len, e) != 0)
		return -1;
	return aia != NULL ? check_aia(c, is, aia, aia_len, e) : 0;
}

/* The DER value of x's extension nid, or NULL. */
static const ASN1_OCTET_STRING *
ext_value(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	return i < 0 ? NULL : X509_EXTENSION_get_data(X509_get_ext(x, i));
}

int
urlcheck_x509(const struct conf *c, const struct issuer_record *is, X509 *x, struct err *e)
{
	const ASN1_OCTET_STRING *dp = ext_value(x, NID_crl_distribution_points);
	const ASN1_OCTET_STRING *ia = ext_value(x, NID_info_access);

	return urlcheck_der(c, is, dp != NULL ? ASN1_STRING_get0_data(dp) : NULL,
	    dp != NULL ? (size_t)ASN1_STRING_length(dp) : 0,
	    ia != NULL ? ASN1_STRING_get0_data(ia) : NULL,
	    ia != NULL ? (size_t)ASN1_STRING_length(ia) : 0, e);
}
