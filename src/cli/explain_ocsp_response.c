/*
 * explain_ocsp_response.c - `lancre explain` for an OCSP response: the
 * status of the certificate (or why the responder refused), the revocation
 * time and reason, how long the answer stays fresh, who signed it (the
 * issuer itself or a delegated responder) and whether that signature
 * verifies, then the lint findings.
 *
 * Verification needs the issuer: from --issuer, the input's own
 * certificates, or the certificates inside the response.  A delegated
 * responder is accepted only if the issuer signed its certificate and it
 * carries id-kp-OCSPSigning (RFC 6960 4.2.2.2); otherwise explain says it
 * could not check, never that it verified.
 */
#include "cli/explain_ocsp.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "pki/reason.h"
#include "util/timefmt.h"

/* "verifies (signed by the issuer)", "verifies (delegated responder CN=..)", or why not. */
static void
verify(const struct explain_ctx *c, OCSP_BASICRESP *bs, X509 *issuer, char *buf, size_t len)
{
	X509_STORE *st = X509_STORE_new();
	X509 *signer = NULL;
	char name[256];

	if (issuer == NULL) {
		snprintf(buf, len, "not checked: the issuer is unknown (give --issuer FILE)");
	} else if (OCSP_resp_get0_signer(bs, &signer, c->known) != 1 || signer == NULL) {
		snprintf(buf, len, "not checked: the signer's certificate is neither in the "
				   "response nor given");
	} else if (st == NULL || OCSP_basic_verify(bs, c->known, st, OCSP_NOVERIFY) != 1) {
		snprintf(buf, len, "DOES NOT VERIFY");
	} else if (X509_cmp(signer, issuer) == 0) {
		snprintf(buf, len, "verifies (signed by the issuer itself)");
	} else {
		explain_short_name(X509_get_subject_name(signer), name, sizeof(name));
		if (X509_verify(signer, X509_get0_pubkey(issuer)) != 1)
			snprintf(buf, len, "DOES NOT VERIFY: responder %s is not certified by the issuer", name);
		else if (!(X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN))
			snprintf(buf, len, "DOES NOT VERIFY: responder %s lacks id-kp-OCSPSigning", name);
		else
			snprintf(buf, len, "verifies (delegated responder %s, certified by the issuer)", name);
	}
	X509_STORE_free(st);
	ERR_clear_error();
}

struct single {
	struct explain_certid id;
	int status, reason;
	char this_update[TIMEFMT_LEN], next_update[TIMEFMT_LEN], revoked_at[TIMEFMT_LEN];
	int64_t nu;
	int has_next;
};

static void
read_single(const struct explain_ctx *c, OCSP_BASICRESP *bs, struct single *s)
{
	OCSP_SINGLERESP *one = OCSP_resp_get0(bs, 0);
	ASN1_GENERALIZEDTIME *rev = NULL, *tu = NULL, *nu = NULL;
	int64_t t;

	s->reason = -1;
	s->status = OCSP_single_get0_status(one, &s->reason, &rev, &tu, &nu);
	explain_certid_read(c, (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(one), &s->id);
	explain_time(tu, &t, s->this_update, sizeof(s->this_update));
	s->has_next = explain_time(nu, &s->nu, s->next_update, sizeof(s->next_update)) == 0;
	explain_time(rev, &t, s->revoked_at, sizeof(s->revoked_at));
}

static void
sentence(const struct explain_ctx *c, const struct single *s, const char *sig, char *say,
    size_t len)
{
	char status[256], fresh[160], span[64];

	if (s->status == V_OCSP_CERTSTATUS_GOOD)
		snprintf(status, sizeof(status), "certificate %s is good (not revoked)", s->id.serial);
	else if (s->status == V_OCSP_CERTSTATUS_REVOKED)
		snprintf(status, sizeof(status), "certificate %s was REVOKED at %s%s%s", s->id.serial,
		    s->revoked_at, s->reason >= 0 ? ", reason " : "",
		    s->reason >= 0 && reason_name(s->reason) != NULL ? reason_name(s->reason) : "");
	else
		snprintf(status, sizeof(status), "certificate %s is unknown to the responder",
		    s->id.serial);
	explain_span(s->nu - c->now, span, sizeof(span));
	if (!s->has_next)
		snprintf(fresh, sizeof(fresh), "It names no nextUpdate.");
	else if (s->nu >= c->now)
		snprintf(fresh, sizeof(fresh), "Fresh for another %s.", span);
	else
		snprintf(fresh, sizeof(fresh), "STALE: its nextUpdate passed %s ago.", span);
	snprintf(say, len, "An OCSP response from %s: %s, as of %s. %s Signature: %s.",
	    s->id.issuer, status, s->this_update, fresh, sig);
}

static void
details(struct explain_ctx *c, OCSP_BASICRESP *bs, const struct single *s, const char *sig)
{
	const ASN1_OCTET_STRING *key = NULL;
	const X509_NAME *name = NULL;

	xout_obj(c->o, "details", NULL);
	xout_str(c->o, "response_status", "response status", "%s", "successful");
	xout_str(c->o, "cert_status", "certificate status", "%s", OCSP_cert_status_str(s->status));
	if (s->status == V_OCSP_CERTSTATUS_REVOKED) {
		xout_str(c->o, "revoked_at", "revoked at", "%s", s->revoked_at);
		if (s->reason >= 0)
			xout_str(c->o, "reason", "reason", "%s",
			    reason_name(s->reason) != NULL ? reason_name(s->reason) : "?");
	}
	explain_certid_print(c->o, &s->id);
	xout_str(c->o, "this_update", "thisUpdate", "%s", s->this_update);
	if (s->has_next) {
		xout_str(c->o, "next_update", "nextUpdate", "%s", s->next_update);
		xout_bool(c->o, "fresh", "fresh now", s->nu >= c->now);
	}
	OCSP_resp_get0_id(bs, &key, &name);
	xout_str(c->o, "responder_id", "responder id", "%s", name != NULL ? "byName" : "byKey");
	xout_int(c->o, "responses", "SingleResponses", OCSP_resp_count(bs));
	xout_int(c->o, "certificates", "certificates included",
	    OCSP_resp_get0_certs(bs) != NULL ? sk_X509_num(OCSP_resp_get0_certs(bs)) : 0);
	xout_str(c->o, "signature", "signature", "%s", sig);
	xout_close(c->o, '}');
	if (!c->o->json)
		fputc('\n', c->o->f);
}

int
explain_ocsp_response(struct explain_ctx *c, const struct explain_object *obj, struct err *e)
{
	const unsigned char *p = obj->der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)obj->len);
	OCSP_BASICRESP *bs = resp != NULL ? OCSP_response_get1_basic(resp) : NULL;
	int status = resp != NULL ? OCSP_response_status(resp) : -1;
	struct lint_report r;
	struct single s;
	char say[1024], sig[256];

	xout_str(c->o, "kind", NULL, "%s", "ocsp_response");
	if (resp != NULL && status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		snprintf(say, sizeof(say), "An OCSP responder's refusal: %s. It says nothing about "
		    "any certificate%s.", OCSP_response_status_str(status),
		    status == OCSP_RESPONSE_STATUS_UNAUTHORIZED
			? " (the responder does not answer for this certificate or issuer)" : "");
		xout_say(c->o, say);
		xout_obj(c->o, "details", NULL);
		xout_str(c->o, "response_status", "response status", "%s", OCSP_response_status_str(status));
		xout_close(c->o, '}');
	} else if (bs == NULL || OCSP_resp_count(bs) < 1) {
		OCSP_RESPONSE_free(resp);
		OCSP_BASICRESP_free(bs);
		return err_set(e, "an OCSP response without a BasicOCSPResponse or SingleResponse");
	} else {
		/* The response's own certificates may hold the issuer (rare) or the responder. */
		for (int i = 0; i < sk_X509_num(OCSP_resp_get0_certs(bs)); i++)
			if (c->known != NULL && X509_up_ref(sk_X509_value(OCSP_resp_get0_certs(bs), i)))
				sk_X509_push(c->known, sk_X509_value(OCSP_resp_get0_certs(bs), i));
		read_single(c, bs, &s);
		verify(c, bs, s.id.issuer_cert, sig, sizeof(sig));
		sentence(c, &s, sig, say, sizeof(say));
		xout_say(c->o, say);
		details(c, bs, &s, sig);
	}
	lint_ocsp(resp, &r);
	explain_findings(c->o, &r);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return 0;
}
