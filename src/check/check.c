/*
 * check.c - see check.h: the order of a check, the issuer, and the URLs a
 * certificate names.
 */
#include "check/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "check/check_crl.h"
#include "check/fetch.h"

#define CHECK_OID_NO_REV_AVAIL "2.5.29.56" /* RFC 9608 */

const char *
check_status_name(enum check_status s)
{
	switch (s) {
	case CHECK_GOOD:
		return "good";
	case CHECK_REVOKED:
		return "revoked";
	case CHECK_BY_DESIGN:
		return "no revocation information by design";
	default:
		return "could not decide";
	}
}

const char *
check_staple_name(enum check_staple s)
{
	switch (s) {
	case CHECK_STAPLE_NONE:
		return "none";
	case CHECK_STAPLE_VALID:
		return "valid";
	case CHECK_STAPLE_INVALID:
		return "refused";
	case CHECK_STAPLE_UNCHECKED:
		return "not checked";
	default:
		return "";
	}
}

void
check_result_free(struct check_result *r)
{
	free(r->ocsp_response);
	r->ocsp_response = NULL;
	r->ocsp_response_len = 0;
}

struct check_step *
check_step_add(struct check_result *r, const char *kind, const char *url)
{
	struct check_step *s;

	if (r->nsteps < CHECK_STEPS_MAX)
		r->nsteps++;
	s = &r->steps[r->nsteps - 1];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	snprintf(s->url, sizeof(s->url), "%s", url != NULL ? url : "");
	return s;
}

int64_t
check_asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	return (int64_t)timegm(&tm);
}

/* 1 if issuer's key verifies leaf's signature and the names chain. */
static int
check_signed_by(X509 *leaf, X509 *issuer)
{
	EVP_PKEY *k = X509_get0_pubkey(issuer);

	return k != NULL && X509_check_issued(issuer, leaf) == X509_V_OK &&
	    X509_verify(leaf, k) == 1;
}

/* The first URI of kind method (NID_ad_OCSP, NID_ad_ca_issuers) in leaf's AIA. */
static int
check_aia_url(X509 *leaf, int method, char *buf, size_t len)
{
	AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(leaf, NID_info_access, NULL, NULL);
	int found = 0;

	for (int i = 0; aia != NULL && i < sk_ACCESS_DESCRIPTION_num(aia) && !found; i++) {
		ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);

		if (OBJ_obj2nid(ad->method) != method || ad->location->type != GEN_URI)
			continue;
		snprintf(buf, len, "%.*s", ad->location->d.uniformResourceIdentifier->length,
		    (const char *)ad->location->d.uniformResourceIdentifier->data);
		found = 1;
	}
	AUTHORITY_INFO_ACCESS_free(aia);
	return found;
}

/* The first http(s) URI of leaf's CRL Distribution Points. */
static int
check_crldp_url(X509 *leaf, char *buf, size_t len)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(leaf, NID_crl_distribution_points, NULL, NULL);
	int found = check_dp_http_url(dps, buf, len);

	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return found;
}

/* The caIssuers answer: one DER or PEM certificate (lancre serves DER). */
static X509 *
check_parse_issuer(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	BIO *b;

	if (x != NULL || (b = BIO_new_mem_buf(der, (int)len)) == NULL)
		return x;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	return x;
}

/* The issuer the cache keeps for url, if it is a certificate that signed leaf; else NULL. */
static X509 *
check_cached_issuer(X509 *leaf, const char *url, int64_t now, const struct check_cache *cache,
    struct check_result *r)
{
	char why[CHECK_NOTE_MAX];
	struct check_step *s;
	uint8_t *body;
	size_t len;
	X509 *x = NULL;
	int rc;

	rc = check_cache_get(cache, CHECK_CACHE_CERT, url, NULL, 0, now, CHECK_FETCH_CERT_MAX, &body,
	    &len, why, sizeof(why));
	if (rc == 1)
		return NULL;
	s = check_step_add(r, "issuer", url);
	s->from_cache = 1;
	s->bytes = len;
	if (rc == 0) {
		x = check_parse_issuer(body, len);
		free(body);
		if (x != NULL && check_signed_by(leaf, x)) {
			s->ok = 1;
			snprintf(s->note, sizeof(s->note), "from cache: the issuer; it signed the certificate");
			return x;
		}
		snprintf(why, sizeof(why), "%s", x == NULL ? "not a certificate" : "it did not sign the certificate");
		X509_free(x);
	}
	snprintf(s->note, sizeof(s->note), "the cached issuer is not used (%s): fetched again", why);
	return NULL;
}

/* The issuer from the chain, else from the caIssuers URL; NULL with r->why set. */
static X509 *
check_find_issuer(X509 *leaf, STACK_OF(X509) *chain, int64_t now, const struct check_cache *cache,
    struct check_result *r)
{
	char url[URL_MAX];
	struct check_fetch f;
	struct check_step *s;
	struct err e;
	X509 *x;

	for (int i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		x = sk_X509_value(chain, i);
		if (check_signed_by(leaf, x)) {
			s = check_step_add(r, "issuer", NULL);
			s->ok = 1;
			snprintf(s->note, sizeof(s->note), "the issuer is in the chain given and signed the certificate");
			X509_up_ref(x);
			return x;
		}
	}
	if (!check_aia_url(leaf, NID_ad_ca_issuers, url, sizeof(url))) {
		snprintf(r->why, sizeof(r->why), "no issuer in the chain given and no caIssuers URL to fetch it");
		return NULL;
	}
	if ((x = check_cached_issuer(leaf, url, now, cache, r)) != NULL)
		return x;
	s = check_step_add(r, "issuer", url);
	if (check_fetch(url, NULL, 0, NULL, CHECK_FETCH_CERT_MAX, CHECK_FETCH_TIMEOUT_MS, &f, &e) != 0) {
		s->http_status = f.http_status;
		check_fetch_free(&f);
		snprintf(r->why, sizeof(r->why), "cannot fetch the issuer: %s", e.msg);
		snprintf(s->note, sizeof(s->note), "%s", e.msg);
		return NULL;
	}
	s->http_status = f.http_status;
	s->bytes = f.len;
	x = check_parse_issuer(f.body, f.len);
	if (x == NULL || !check_signed_by(leaf, x)) {
		check_fetch_free(&f);
		snprintf(r->why, sizeof(r->why), "%s: %s", url,
		    x == NULL ? "not a certificate" : "this certificate did not sign the one checked");
		snprintf(s->note, sizeof(s->note), "%s", r->why);
		X509_free(x);
		return NULL;
	}
	s->ok = 1;
	snprintf(s->note, sizeof(s->note), "fetched the issuer; it signed the certificate");
	/* Kept as the server allows, else a day: an issuer certificate rarely changes. */
	if (check_cache_put(cache, CHECK_CACHE_CERT, url, NULL, 0, f.body, f.len,
		check_cache_expiry(now, f.max_age, f.no_store, 0, CHECK_CACHE_CERT_SECONDS), &e) != 0)
		snprintf(s->note, sizeof(s->note), "fetched the issuer; it signed the certificate (not cached: %.200s)", e.msg);
	check_fetch_free(&f);
	return x;
}

/* Short-lived or noRevAvail: 1 with r filled. */
static int
check_by_design(X509 *leaf, struct check_result *r)
{
	ASN1_OBJECT *nra = OBJ_txt2obj(CHECK_OID_NO_REV_AVAIL, 1);
	int64_t nb = check_asn1_time(X509_get0_notBefore(leaf));
	int64_t na = check_asn1_time(X509_get0_notAfter(leaf));
	int has_nra = nra != NULL && X509_get_ext_by_OBJ(leaf, nra, -1) >= 0;

	ASN1_OBJECT_free(nra);
	if (has_nra) {
		snprintf(r->why, sizeof(r->why), "the certificate carries noRevAvail (RFC 9608)");
	} else if (nb >= 0 && na >= nb && na - nb <= CHECK_SHORT_LIVED_SECONDS) {
		snprintf(r->why, sizeof(r->why),
		    "the certificate is short-lived (valid %lld hours, at most %d days)",
		    (long long)(na - nb) / 3600, CHECK_SHORT_LIVED_SECONDS / 86400);
	} else {
		return 0;
	}
	r->status = CHECK_BY_DESIGN;
	return 1;
}

/*
 * A TLS check: what the server stapled, judged once the issuer is known
 * (issuer NULL: only recorded).  0 when a valid staple decided.
 */
static int
check_staple(X509 *leaf, X509 *issuer, const struct check_opts *o, int64_t now, int skew,
    struct check_result *r)
{
	if (o == NULL || !o->tls)
		return -1;
	if (o->staple == NULL) {
		r->staple = CHECK_STAPLE_NONE;
		snprintf(r->staple_why, sizeof(r->staple_why), "the server does not staple an OCSP response");
		return -1;
	}
	if (issuer == NULL) {
		r->staple = CHECK_STAPLE_UNCHECKED;
		snprintf(r->staple_why, sizeof(r->staple_why), "not checked: %s", r->why);
		return -1;
	}
	if (check_ocsp_staple(leaf, issuer, o->staple, o->staple_len, now, skew, r) != 0)
		return -1;
	r->source = "staple";
	return 0;
}

static void
check_decided(struct check_result *r)
{
	struct check_step *s = check_step_add(r, "decision", NULL);

	s->ok = r->status != CHECK_UNDECIDED;
	snprintf(s->note, sizeof(s->note), "%s: %s", check_status_name(r->status), r->why);
}

int
check_cert(X509 *leaf, STACK_OF(X509) *chain, const struct check_opts *o,
    struct check_result *r, struct err *e)
{
	char ocsp_url[URL_MAX], crl_url[URL_MAX], ocsp_why[CHECK_NOTE_MAX] = "";
	int64_t now = o != NULL && o->now ? o->now : (int64_t)time(NULL);
	int skew = o != NULL && o->skew ? o->skew : CHECK_SKEW_SECONDS;
	const struct check_cache *cache = o != NULL ? o->cache : NULL;
	int have_ocsp, have_crl;
	X509 *issuer;

	(void)e;
	memset(r, 0, sizeof(*r));
	r->status = CHECK_UNDECIDED;
	r->source = "";
	r->reason = -1;
	if (check_by_design(leaf, r)) {
		check_staple(leaf, NULL, o, now, skew, r);
		check_decided(r);
		return 0;
	}
	have_ocsp = check_aia_url(leaf, NID_ad_OCSP, ocsp_url, sizeof(ocsp_url));
	have_crl = check_crldp_url(leaf, crl_url, sizeof(crl_url));
	if (!have_ocsp && !have_crl) {
		snprintf(r->why, sizeof(r->why), "the certificate names neither an OCSP responder nor a CRL");
		check_staple(leaf, NULL, o, now, skew, r);
		check_decided(r);
		return 0;
	}
	if ((issuer = check_find_issuer(leaf, chain, now, cache, r)) == NULL) {
		check_staple(leaf, NULL, o, now, skew, r);
		check_decided(r);
		return 0;
	}
	if (check_staple(leaf, issuer, o, now, skew, r) == 0)
		goto done;
	if (have_ocsp && check_ocsp(leaf, issuer, ocsp_url, now, skew, cache, r) == 0)
		goto done;
	if (have_ocsp)
		snprintf(ocsp_why, sizeof(ocsp_why), "%s", r->why);
	if (have_crl && check_crl(leaf, issuer, crl_url, now, skew, cache, r) == 0)
		goto done;
	/* Both failed: say why each did. */
	if (have_ocsp && have_crl) {
		char crl_why[CHECK_NOTE_MAX];

		snprintf(crl_why, sizeof(crl_why), "%s", r->why);
		snprintf(r->why, sizeof(r->why), "OCSP: %.150s; CRL: %.150s", ocsp_why, crl_why);
	} else if (!have_crl) {
		snprintf(r->why, sizeof(r->why), "OCSP: %.300s (and no CRL to fall back on)", ocsp_why);
	}
	r->status = CHECK_UNDECIDED;
done:
	X509_free(issuer);
	check_decided(r);
	return 0;
}
