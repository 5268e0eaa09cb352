/*
 * lint_responder.c - the rules for delegated OCSP responder certificates
 * (lint.h), run over a certificate that carries id-kp-OCSPSigning
 * (lint_cert.c) and over the certificate that signed an OCSP response when
 * it is not the CA's own (lint_ocsp.c).  The two rules that need the
 * response (the EKU is there at all; the CA named by the CertID issued it)
 * only trip in that second place.
 *
 * Sources: RFC 6960 4.2.2.2 (an authorized responder is certified directly
 * by the CA and carries id-kp-OCSPSigning), BR 7.1.2.8 and 7.1.2.8.2 (the
 * responder certificate profile: id-pkix-ocsp-nocheck MUST, non-critical;
 * no CRL Distribution Points), RFC 9919 3.2.2 (relatively short-lived,
 * renewed regularly), Microsoft's program requirements 3.1.18 (OCSP Signing
 * the only EKU).
 */
#include "lint/cert_facts.h"

#define LINT_RESPONDER_MAX_DAYS 90 /* lancre's reading of "relatively short-lived" */

struct responder_rule {
	struct lint_def def;
	void (*run)(const struct cert_facts *f, const struct lint_responder_ctx *c,
	    const struct lint_def *d, struct lint_report *r);
};

static void
without_eku(const struct cert_facts *f, const struct lint_responder_ctx *c,
    const struct lint_def *d, struct lint_report *r)
{
	if (c->in_response && !f->ocsp_signing)
		lint_add(r, d, "%s", "");
}

static void
not_by_ca(const struct cert_facts *f, const struct lint_responder_ctx *c,
    const struct lint_def *d, struct lint_report *r)
{
	(void)f;
	if (c->in_response && !c->issued_by_ca)
		lint_add(r, d, "%s", "");
}

static void
nocheck_missing(const struct cert_facts *f, const struct lint_responder_ctx *c,
    const struct lint_def *d, struct lint_report *r)
{
	(void)c;
	if (!f->has_nocheck)
		lint_add(r, d, "%s", "");
}

static void
nocheck_critical(const struct cert_facts *f, const struct lint_responder_ctx *c,
    const struct lint_def *d, struct lint_report *r)
{
	(void)c;
	if (f->nocheck_critical)
		lint_add(r, d, "%s", "");
}

static void
crldp(const struct cert_facts *f, const struct lint_responder_ctx *c, const struct lint_def *d,
    struct lint_report *r)
{
	(void)c;
	if (f->has_crldp)
		lint_add(r, d, "%s", "");
}

static void
other_eku(const struct cert_facts *f, const struct lint_responder_ctx *c,
    const struct lint_def *d, struct lint_report *r)
{
	(void)c;
	if (f->eku_other)
		lint_add(r, d, "%s", "");
}

static void
long_lived(const struct cert_facts *f, const struct lint_responder_ctx *c,
    const struct lint_def *d, struct lint_report *r)
{
	int64_t span = f->not_after - f->not_before;

	(void)c;
	if (f->times_ok && span > (int64_t)LINT_RESPONDER_MAX_DAYS * 86400)
		lint_add(r, d, "valid %lld days", (long long)(span / 86400));
}

#define RESP(id, text, source) {id, LINT_RESPONDER, text, source}

static const struct responder_rule responder_rules[] = {
    {RESP("e_ocsp_responder_without_ocsp_signing",
	 "The OCSP response is signed by a certificate that is not the CA's and lacks "
	 "id-kp-OCSPSigning.", "RFC 6960 4.2.2.2"), without_eku},
    {RESP("e_ocsp_responder_not_issued_by_ca",
	 "The delegated responder's certificate was not issued by the CA the response speaks for "
	 "(its issuer does not match the CertID's issuerNameHash).",
	 "RFC 6960 4.2.2.2; BR 7.1.2.8"), not_by_ca},
    {RESP("e_ocsp_responder_nocheck_missing",
	 "The delegated responder's certificate lacks id-pkix-ocsp-nocheck.",
	 "BR 7.1.2.8.2; Mozilla Root Store Policy 5.2; RFC 6960 4.2.2.2.1"), nocheck_missing},
    {RESP("e_ocsp_responder_nocheck_critical",
	 "The delegated responder's id-pkix-ocsp-nocheck extension is critical.", "BR 7.1.2.8.2"),
	nocheck_critical},
    {RESP("e_ocsp_responder_crldp_present",
	 "The delegated responder's certificate carries CRL Distribution Points.",
	 "BR 7.1.2.8.2; RFC 9919 3.2.2"), crldp},
    {RESP("w_ocsp_responder_eku_not_only_ocsp_signing",
	 "The delegated responder's certificate allows other purposes than OCSP signing.",
	 "Microsoft Trusted Root Program Requirements 3.1.18"), other_eku},
    {RESP("w_ocsp_responder_validity_over_90_days",
	 "The delegated responder's certificate is valid for more than 90 days (it should be "
	 "short-lived and renewed regularly; 90 days is lancre's line).",
	 "RFC 9919 3.2.2; RFC 6960 4.2.2.2.1"), long_lived},
};

#define NRULES (sizeof(responder_rules) / sizeof(responder_rules[0]))

const struct lint_def *
lint_responder_def_at(size_t i)
{
	return i < NRULES ? &responder_rules[i].def : NULL;
}

void
lint_responder_run(const struct cert_facts *f, const struct lint_responder_ctx *ctx,
    struct lint_report *r)
{
	for (size_t i = 0; i < NRULES; i++)
		responder_rules[i].run(f, ctx, &responder_rules[i].def, r);
}
