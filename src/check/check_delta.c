/*
 * check_delta.c - the delta CRL a base CRL names (Freshest CRL, RFC 5280
 * 5.2.6), after the base has been accepted and looked up (check_crl.c).
 *
 * The delta is fetched and streamed like the base (check_crl_fetch: issuer,
 * signature, known critical extensions, freshness) and then must apply to
 * this base (RFC 5280 5.2.4): a critical Delta CRL Indicator whose
 * BaseCRLNumber is at most the base's CRL number, a CRL number above the
 * base's, and the same scope (the same IssuingDistributionPoint, byte for
 * byte, or none on both).  Its entry for the serial then decides: revoked
 * with its date and reason, or, with reason removeFromCRL, no longer revoked
 * (a certificate released from hold, 5.3.1).  Without an entry the base's
 * answer stands.
 *
 * A base that names a delta says that fresher information exists, so when
 * the delta cannot be had or does not apply the answer is "could not
 * decide" - unless the base already says revoked for good (any reason but
 * certificateHold: only a hold can be lifted).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "check/check.h"
#include "check/check_crl.h"
#include "check/check_delta.h"

#define CRL_REASON_HOLD 6
#define CRL_REASON_REMOVE 8

/* The first http(s) URI of the base's Freshest CRL extension; 0 when none. */
static int
delta_url(const STACK_OF(X509_EXTENSION) *exts, char *buf, size_t len)
{
	STACK_OF(DIST_POINT) *dps = X509V3_get_d2i(exts, NID_freshest_crl, NULL, NULL);
	int found = check_dp_http_url(dps, buf, len);

	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return found;
}

/* The DER of extension nid's value, or NULL (absent). */
static const ASN1_OCTET_STRING *
delta_ext_value(const STACK_OF(X509_EXTENSION) *exts, int nid)
{
	int i = X509v3_get_ext_by_NID(exts, nid, -1);

	return i < 0 ? NULL : X509_EXTENSION_get_data(X509v3_get_ext(exts, i));
}

int
check_delta_applies(const STACK_OF(X509_EXTENSION) *base, const STACK_OF(X509_EXTENSION) *delta,
    char *why, size_t wlen)
{
	ASN1_INTEGER *bnum = X509V3_get_d2i(base, NID_crl_number, NULL, NULL);
	ASN1_INTEGER *dnum = X509V3_get_d2i(delta, NID_crl_number, NULL, NULL);
	ASN1_INTEGER *ind = NULL;
	const ASN1_OCTET_STRING *bidp, *didp;
	int crit = -1, ok = 0;

	ind = X509V3_get_d2i(delta, NID_delta_crl, &crit, NULL);
	bidp = delta_ext_value(base, NID_issuing_distribution_point);
	didp = delta_ext_value(delta, NID_issuing_distribution_point);
	if (bnum == NULL)
		snprintf(why, wlen, "the base CRL names a delta CRL but has no CRL number");
	else if (ind == NULL || !crit)
		snprintf(why, wlen, "the delta CRL has no critical Delta CRL Indicator");
	else if (dnum == NULL)
		snprintf(why, wlen, "the delta CRL has no CRL number");
	else if (ASN1_INTEGER_cmp(ind, bnum) > 0)
		snprintf(why, wlen, "the delta CRL is over a base newer than this one (BaseCRLNumber above its number)");
	else if (ASN1_INTEGER_cmp(dnum, bnum) <= 0)
		snprintf(why, wlen, "the delta CRL is not newer than the base (its CRL number is not above the base's)");
	else if ((bidp == NULL) != (didp == NULL) || (bidp != NULL && ASN1_OCTET_STRING_cmp(bidp, didp) != 0))
		snprintf(why, wlen, "the delta CRL's scope (IssuingDistributionPoint) is not the base's");
	else
		ok = 1;
	ASN1_INTEGER_free(bnum);
	ASN1_INTEGER_free(dnum);
	ASN1_INTEGER_free(ind);
	return ok;
}

void
check_delta_decide(const X509_REVOKED *entry, struct check_result *r)
{
	ASN1_ENUMERATED *reason;
	int code;

	if (entry == NULL) {
		snprintf(r->why + strlen(r->why), sizeof(r->why) - strlen(r->why),
		    "; its delta CRL does not list it");
		return;
	}
	reason = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, NULL, NULL);
	code = reason != NULL ? (int)ASN1_ENUMERATED_get(reason) : -1;
	ASN1_ENUMERATED_free(reason);
	if (code == CRL_REASON_REMOVE) {
		r->status = CHECK_GOOD;
		r->reason = -1;
		r->revoked_at = 0;
		snprintf(r->why, sizeof(r->why), "the delta CRL removes the certificate from the CRL (removeFromCRL)");
		return;
	}
	r->status = CHECK_REVOKED;
	r->revoked_at = check_asn1_time(X509_REVOKED_get0_revocationDate(entry));
	r->reason = code;
	snprintf(r->why, sizeof(r->why), "the certificate is on the issuer's delta CRL");
}

/* The base's answer cannot change: revoked for a reason other than a hold. */
static int
delta_final(const struct check_result *r)
{
	return r->status == CHECK_REVOKED && r->reason != CRL_REASON_HOLD;
}

int
check_delta(X509 *leaf, X509 *issuer, const STACK_OF(X509_EXTENSION) *base_exts, int64_t now,
    int skew, const struct check_cache *cache, struct check_result *r)
{
	char url[URL_MAX], why[CHECK_NOTE_MAX];
	struct check_result saved = *r;
	struct crl_stream *st;
	int ok;

	if (!delta_url(base_exts, url, sizeof(url)))
		return 0;
	st = check_crl_fetch(leaf, issuer, url, "delta", now, skew, cache, r);
	ok = st != NULL && check_delta_applies(base_exts, crl_stream_info(st)->exts, r->why, sizeof(r->why));
	if (st != NULL && !ok)
		check_crl_refused(r);
	if (ok) {
		r->status = saved.status;
		r->reason = saved.reason;
		r->revoked_at = saved.revoked_at;
		snprintf(r->why, sizeof(r->why), "%s", saved.why);
		check_delta_decide(crl_stream_info(st)->entry, r);
	}
	crl_stream_free(st);
	ERR_clear_error();
	if (ok)
		return 0;
	snprintf(why, sizeof(why), "%s", r->why);
	r->this_update = saved.this_update;
	r->next_update = saved.next_update;
	if (delta_final(&saved)) {
		snprintf(r->why, sizeof(r->why), "%s (its delta CRL could not be used: %.150s)", saved.why, why);
		return 0;
	}
	snprintf(r->why, sizeof(r->why), "the base CRL names a delta CRL that could not be used: %.200s", why);
	r->source = "";
	return -1;
}
