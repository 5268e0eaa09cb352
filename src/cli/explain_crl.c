/*
 * explain_crl.c - `lancre explain` for a CRL: who published it, how many
 * certificates it lists and why, its scope (base or delta, the
 * IssuingDistributionPoint), how long it stays fresh, its size against
 * Microsoft's 10 MB guidance, whether its signature verifies (when the
 * issuer is known), then the lint findings.
 *
 * The CRL is read by lint/crl_der.h: its headers parsed by OpenSSL, its
 * entries walked in the DER (a million entries in a fraction of a second and
 * no memory per entry), its signature checked over the signed bytes.
 */
#include "cli/explain.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "lint/crl_der.h"
#include "lint/hex.h"
#include "pki/cert.h"
#include "pki/reason.h"
#include "util/timefmt.h"

#define EXPLAIN_CRL_SIZE_GUIDE (10 * 1024 * 1024) /* Microsoft: CRLs under 10 MB */
#define NREASONS 11                               /* RFC 5280 codes 0..10 */

/* Entries by reason, counted in one walk; -1 if an entry is malformed. */
static long
by_reason(struct xout *o, const struct crl_der *d)
{
	size_t count[NREASONS + 1] = {0}; /* the last: no reasonCode */
	struct crl_der_entry en;
	size_t pos = 0;
	long n = 0;
	int rc;

	while ((rc = crl_der_next(d, &pos, &en)) == 1) {
		count[en.reason >= 0 && en.reason < NREASONS ? en.reason : NREASONS]++;
		n++;
	}
	xout_obj(o, "entries_by_reason", "entries by reason");
	for (int k = 0; k <= NREASONS; k++) {
		const char *name = k < NREASONS ? reason_name(k) : "none";

		if (count[k] > 0)
			xout_int(o, name != NULL ? name : "other", name != NULL ? name : "other",
			    (long long)count[k]);
	}
	xout_close(o, '}');
	return rc < 0 ? -1 : n;
}

static void
scope(struct xout *o, X509_CRL *crl)
{
	ISSUING_DIST_POINT *idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, NULL, NULL);
	ASN1_INTEGER *base = X509_CRL_get_ext_d2i(crl, NID_delta_crl, NULL, NULL);
	char hex[LINT_HEX_MAX];

	if (base != NULL) {
		lint_hex(base, hex, sizeof(hex));
		xout_str(o, "type", "type", "delta CRL (changes since base CRL number %s)", hex);
	} else {
		xout_str(o, "type", "type", "%s", "base CRL");
	}
	if (idp != NULL && idp->distpoint != NULL && idp->distpoint->type == 0) {
		GENERAL_NAMES *names = idp->distpoint->name.fullname;

		for (int k = 0; k < sk_GENERAL_NAME_num(names); k++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(names, k);

			if (g->type == GEN_URI)
				xout_str(o, "scope_url", "scope (IssuingDistributionPoint)", "%.*s",
				    g->d.uniformResourceIdentifier->length,
				    (const char *)g->d.uniformResourceIdentifier->data);
		}
	} else if (idp == NULL) {
		xout_str(o, "scope_url", "scope", "%s", "every certificate of the issuer (no IssuingDistributionPoint)");
	}
	if (idp != NULL) {
		xout_bool(o, "only_user_certs", "onlyContainsUserCerts", idp->onlyuser > 0);
		xout_bool(o, "only_ca_certs", "onlyContainsCACerts", idp->onlyCA > 0);
	}
	ISSUING_DIST_POINT_free(idp);
	ASN1_INTEGER_free(base);
}

/* Over the signed bytes; OpenSSL's whole parse only for algorithms crl_der does not read (PSS). */
static int
verifies(const struct crl_der *d, X509 *issuer)
{
	const unsigned char *p = d->der;
	X509_CRL *full;
	int rc = crl_der_verify(d, X509_get0_pubkey(issuer));

	if (rc >= 0)
		return rc;
	full = d2i_X509_CRL(NULL, &p, (long)d->len);
	rc = full != NULL && X509_CRL_verify(full, X509_get0_pubkey(issuer)) == 1;
	X509_CRL_free(full);
	ERR_clear_error();
	return rc;
}

/* Signature: verified with a known issuer, or said plainly that it was not checked. */
static void
signature(struct explain_ctx *c, const struct crl_der *d, X509_CRL *crl)
{
	X509 *issuer = explain_issuer_by_name(c, X509_CRL_get_issuer(crl));

	if (issuer == NULL) {
		xout_str(c->o, "signature", "signature", "%s",
		    "not checked: the issuer's certificate is unknown (give --issuer FILE)");
		return;
	}
	xout_str(c->o, "signature", "signature", "%s",
	    verifies(d, issuer) ? "verifies with the issuer's key" : "DOES NOT VERIFY with the issuer's key");
}

/* The sentence on freshness, from the times (printed in the details by times()). */
static void
freshness(struct explain_ctx *c, X509_CRL *crl, char *fresh, size_t len)
{
	char t[TIMEFMT_LEN], span[64];
	int64_t nu = 0;

	if (explain_time(X509_CRL_get0_nextUpdate(crl), &nu, t, sizeof(t)) != 0) {
		snprintf(fresh, len, "It names no next update, so clients cannot tell when it is stale.");
		return;
	}
	explain_span(nu - c->now, span, sizeof(span));
	if (nu >= c->now)
		snprintf(fresh, len, "It is fresh for another %s (until %s).", span, t);
	else
		snprintf(fresh, len, "It is STALE: its nextUpdate passed %s ago (%s).", span, t);
}

static void
times(struct explain_ctx *c, X509_CRL *crl)
{
	char t[TIMEFMT_LEN];
	int64_t tu = 0, nu = 0;

	explain_time(X509_CRL_get0_lastUpdate(crl), &tu, t, sizeof(t));
	xout_str(c->o, "this_update", "thisUpdate", "%s", t);
	if (explain_time(X509_CRL_get0_nextUpdate(crl), &nu, t, sizeof(t)) != 0)
		return;
	xout_str(c->o, "next_update", "nextUpdate", "%s", t);
	xout_bool(c->o, "fresh", "fresh now", nu >= c->now);
}

int
explain_crl(struct explain_ctx *c, const struct explain_object *obj, struct err *e)
{
	struct crl_der d;
	X509_CRL *crl = crl_der_open(obj->der, obj->len, &d) == 0 ? crl_der_headers(&d) : NULL;
	struct lint_report r;
	char name[256], issuer[512], say[1024], fresh[256], hex[LINT_HEX_MAX];
	ASN1_INTEGER *num;
	long n;

	if (crl == NULL || (n = crl_der_count(&d)) < 0) {
		X509_CRL_free(crl);
		return err_set(e, "unreadable CRL");
	}
	explain_issuer_label(c, explain_issuer_by_name(c, X509_CRL_get_issuer(crl)),
	    X509_CRL_get_issuer(crl), name, sizeof(name));
	cert_name_line(X509_CRL_get_issuer(crl), issuer, sizeof(issuer));
	freshness(c, crl, fresh, sizeof(fresh));
	snprintf(say, sizeof(say),
	    "A certificate revocation list (CRL) published by %s: it lists %ld certificate%s that "
	    "%s revoked before expiry. Clients and browsers download it to check "
	    "certificates; fetching it is routine, not malicious by itself. %s",
	    name, n, n == 1 ? "" : "s", name, fresh);
	xout_str(c->o, "kind", NULL, "%s", "crl");
	xout_say(c->o, say);
	xout_obj(c->o, "details", NULL);
	xout_str(c->o, "issuer", "issuer", "%s", issuer);
	if ((num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL)) != NULL) {
		lint_hex(num, hex, sizeof(hex));
		xout_str(c->o, "number", "CRL number", "%s", hex);
		ASN1_INTEGER_free(num);
	}
	scope(c->o, crl);
	xout_int(c->o, "entries", "entries", n);
	by_reason(c->o, &d);
	times(c, crl);
	xout_int(c->o, "size", "size (bytes)", (long long)obj->len);
	xout_bool(c->o, "size_over_10_mb", "over Microsoft's 10 MB guidance",
	    obj->len > EXPLAIN_CRL_SIZE_GUIDE);
	signature(c, &d, crl);
	xout_close(c->o, '}');
	if (!c->o->json)
		fputc('\n', c->o->f);
	X509_CRL_free(crl);
	if (lint_crl(obj->der, obj->len, &r, e) != 0)
		return -1;
	explain_findings(c->o, &r);
	return 0;
}
