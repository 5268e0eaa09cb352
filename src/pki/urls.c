/*
 * urls.c - see urls.h.
 */
#include "pki/urls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

/* snprintf's result as 0 (fitted) or -1 (truncated). */
static int
fitted(size_t len, int n)
{
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
urls_ocsp(const struct conf *c, const char *issuer, char *buf, size_t len)
{
	if (c->url_style == URL_STYLE_HOST)
		return fitted(len, snprintf(buf, len, "http://%s.o.%s", issuer, c->domain));
	return fitted(len, snprintf(buf, len, "%s/ocsp", c->base_url));
}

int
urls_ca_issuers(const struct conf *c, const char *issuer, char *buf, size_t len)
{
	if (c->url_style == URL_STYLE_HOST)
		return fitted(len, snprintf(buf, len, "http://%s.i.%s/", issuer, c->domain));
	return fitted(len, snprintf(buf, len, "%s/issuer/%s", c->base_url, issuer));
}

int
urls_crl_shard(const struct conf *c, const char *issuer, int shard, char *buf, size_t len)
{
	if (c->url_style == URL_STYLE_HOST)
		return fitted(len,
		    snprintf(buf, len, "http://%s.c.%s/%d.crl", issuer, c->domain, shard));
	return fitted(len, snprintf(buf, len, "%s/crl/%s/%d.crl", c->base_url, issuer, shard));
}

int
urls_crl_delta(const struct conf *c, const char *issuer, int shard, char *buf, size_t len)
{
	if (c->url_style == URL_STYLE_HOST) {
		if (shard == 0)
			return fitted(len,
			    snprintf(buf, len, "http://%s.c.%s/delta.crl", issuer, c->domain));
		return fitted(len, snprintf(buf, len, "http://%s.c.%s/%d-delta.crl", issuer,
				       c->domain, shard));
	}
	if (shard == 0)
		return fitted(len, snprintf(buf, len, "%s/crl/%s-delta.crl", c->base_url, issuer));
	return fitted(len,
	    snprintf(buf, len, "%s/crl/%s/%d-delta.crl", c->base_url, issuer, shard));
}

/* "<digits>.crl" after prefix, as a shard number in [1, nshards]; else 0. */
static int
shard_after(const char *uri, size_t ulen, const char *prefix, int nshards)
{
	size_t plen = strlen(prefix);
	char num[16], *end;
	long v;

	if (prefix[0] == '\0' || ulen <= plen + 4 || strncmp(uri, prefix, plen) != 0)
		return 0;
	if (ulen - plen - 4 >= sizeof(num) || memcmp(uri + ulen - 4, ".crl", 4) != 0)
		return 0;
	memcpy(num, uri + plen, ulen - plen - 4);
	num[ulen - plen - 4] = '\0';
	if (num[0] < '1' || num[0] > '9')
		return 0;
	v = strtol(num, &end, 10);
	return *end == '\0' && v >= 1 && v <= nshards ? (int)v : 0;
}

int
urls_crl_shard_of(const struct conf *c, const char *issuer, int nshards, const char *uri,
    size_t ulen)
{
	char prefix[URL_MAX];
	int shard;

	snprintf(prefix, sizeof(prefix), "%s/crl/%s/", c->base_url, issuer);
	shard = shard_after(uri, ulen, prefix, nshards);
	if (shard != 0 || c->domain[0] == '\0')
		return shard;
	snprintf(prefix, sizeof(prefix), "http://%s.c.%s/", issuer, c->domain);
	return shard_after(uri, ulen, prefix, nshards);
}

static int
shard_from_dps(const struct conf *c, const char *issuer, int nshards, STACK_OF(DIST_POINT) *dps)
{
	int shard = 0;

	if (dps == NULL)
		return 0;
	for (int i = 0; shard == 0 && i < sk_DIST_POINT_num(dps); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		GENERAL_NAMES *names = dp->distpoint->name.fullname;
		for (int j = 0; shard == 0 && j < sk_GENERAL_NAME_num(names); j++) {
			GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, j);
			if (gn->type != GEN_URI)
				continue;
			shard = urls_crl_shard_of(c, issuer, nshards,
			    (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
			    (size_t)ASN1_STRING_length(gn->d.uniformResourceIdentifier));
		}
	}
	CRL_DIST_POINTS_free(dps);
	return shard;
}

int
urls_shard_from_crldp(const struct conf *c, const char *issuer, int nshards, X509 *x)
{
	return shard_from_dps(c, issuer, nshards,
	    X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL));
}

int
urls_shard_from_crldp_der(const struct conf *c, const char *issuer, int nshards,
    const uint8_t *der, size_t len)
{
	const unsigned char *p = der;

	if (der == NULL)
		return 0;
	return shard_from_dps(c, issuer, nshards, d2i_CRL_DIST_POINTS(NULL, &p, (long)len));
}
