/*
 * lint_cert.c - the rules for certificates (lint.h), on the part of a
 * certificate this project is about: how a client finds out whether it is
 * revoked.  Facts are read once (cert_facts.h), then one row per rule, in
 * the style of lint_crl.c.  A certificate that carries id-kp-OCSPSigning is
 * a delegated responder's, and the responder rules (lint_responder.c) run
 * over it too.
 *
 * Who is who: a "subscriber" certificate is one that is neither a CA (no
 * basicConstraints cA) nor an OCSP responder's; a subordinate CA is a CA
 * whose issuer is not itself (a self-issued root needs no CRL DP, BR
 * 7.1.2.11.2 even advises against one).
 */
#include "lint/lint.h"

#include <openssl/objects.h>

#include "lint/cert_facts.h"

struct cert_rule {
	struct lint_def def;
	void (*run)(const struct cert_facts *f, const struct lint_def *d, struct lint_report *r);
};

static int
subscriber(const struct cert_facts *f)
{
	return !f->is_ca && !f->ocsp_signing;
}

static void
revocation_missing(const struct cert_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (subscriber(f) && !f->short_lived && !f->no_rev_avail && f->ocsp_urls == 0 &&
	    !f->has_crldp)
		lint_add(r, d, "valid %lld days", (long long)((f->not_after - f->not_before) / 86400));
}

static void
subca_crldp_missing(const struct cert_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->is_ca && !f->self_issued && !f->has_crldp)
		lint_add(r, d, "%s", "");
}

static void
crl_not_http(const struct cert_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->crl_not_http[0] != '\0')
		lint_add(r, d, "%s", f->crl_not_http);
}

static void
ocsp_not_http(const struct cert_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->ocsp_not_http[0] != '\0')
		lint_add(r, d, "%s", f->ocsp_not_http);
}

static void
ca_issuers_not_http(const struct cert_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->ca_issuers_not_http[0] != '\0')
		lint_add(r, d, "%s", f->ca_issuers_not_http);
}

static void
crldp_fields(const struct cert_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->crldp_reasons_or_issuer)
		lint_add(r, d, "%s", "");
}

static void
crldp_shape(const struct cert_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->crldp_no_full_name || f->crldp_non_uri)
		lint_add(r, d, "%s", f->crldp_no_full_name ? "a DistributionPoint without a fullName"
							  : "a fullName that is not a URI");
}

static void
crldp_several(const struct cert_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->crldp_points > 1)
		lint_add(r, d, "%d DistributionPoints", f->crldp_points);
}

static void
aia_critical(const struct cert_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->aia_critical)
		lint_add(r, d, "%s", "");
}

static void
crldp_critical(const struct cert_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->crldp_critical)
		lint_add(r, d, "%s", "");
}

static void
norev_critical(const struct cert_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->no_rev_avail_critical)
		lint_add(r, d, "%s", "");
}

static void
norev_in_ca(const struct cert_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->no_rev_avail && f->is_ca)
		lint_add(r, d, "%s", "");
}

static void
norev_with_urls(const struct cert_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->no_rev_avail && (f->has_crldp || f->has_freshest || f->ocsp_urls > 0))
		lint_add(r, d, "%s", f->has_crldp ? "CRL Distribution Points"
				     : f->has_freshest ? "Freshest CRL" : "an OCSP URL");
}

static void
sha1(const struct cert_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->sig_md_nid == NID_sha1)
		lint_add(r, d, "%s", OBJ_nid2ln(f->sig_nid));
}

#define CERT(id, text, source) {id, LINT_CERT, text, source}

static const struct cert_rule cert_rules[] = {
    {CERT("e_cert_revocation_info_missing",
	 "The subscriber certificate names neither a CRL Distribution Point nor an OCSP "
	 "responder, and is neither short-lived nor marked noRevAvail: no client can learn that "
	 "it was revoked.", "BR 7.1.2.11.2; BR 1.6.1 (Short-lived Subscriber Certificate)"),
	revocation_missing},
    {CERT("e_cert_subca_crldp_missing",
	 "The subordinate CA certificate has no CRL Distribution Points.", "BR 7.1.2.11.2"),
	subca_crldp_missing},
    {CERT("e_cert_crldp_url_not_http", "A CRL Distribution Point URL is not an http:// URL.",
	 "BR 7.1.2.11.2"), crl_not_http},
    {CERT("e_cert_ocsp_url_not_http", "The AIA OCSP responder URL is not an http:// URL.",
	 "BR 7.1.2.7.7; BR 7.1.2.10.3"), ocsp_not_http},
    {CERT("e_cert_ca_issuers_url_not_http", "The AIA caIssuers URL is not an http:// URL.",
	 "BR 7.1.2.7.7; BR 7.1.2.10.3"), ca_issuers_not_http},
    {CERT("e_cert_crldp_reasons_or_crl_issuer",
	 "A CRL Distribution Point carries reasons or cRLIssuer.", "BR 7.1.2.11.2"), crldp_fields},
    {CERT("e_cert_crldp_not_uri_full_name",
	 "A CRL Distribution Point is not a fullName made of URIs only.", "BR 7.1.2.11.2"),
	crldp_shape},
    {CERT("w_cert_crldp_more_than_one",
	 "The CRL Distribution Points extension holds more than one DistributionPoint.",
	 "BR 7.1.2.11.2 (NOT RECOMMENDED)"), crldp_several},
    {CERT("e_cert_aia_critical", "The Authority Information Access extension is critical.",
	 "RFC 5280 4.2.2.1"), aia_critical},
    {CERT("w_cert_crldp_critical", "The CRL Distribution Points extension is critical.",
	 "RFC 5280 4.2.1.13"), crldp_critical},
    {CERT("e_cert_no_rev_avail_critical", "The noRevAvail extension is critical.", "RFC 9608 2"),
	norev_critical},
    {CERT("e_cert_no_rev_avail_in_ca", "A CA certificate carries noRevAvail.", "RFC 9608 2"),
	norev_in_ca},
    {CERT("e_cert_no_rev_avail_with_revocation_urls",
	 "The certificate carries noRevAvail and still points to a CRL or an OCSP responder.",
	 "RFC 9608 3"), norev_with_urls},
    {CERT("e_cert_sha1_signature", "The certificate is signed with SHA-1.",
	 "BR 7.1.3.2; Mozilla Root Store Policy 5.1.3"), sha1},
};

#define NRULES (sizeof(cert_rules) / sizeof(cert_rules[0]))

const struct lint_def *
lint_cert_def_at(size_t i)
{
	return i < NRULES ? &cert_rules[i].def : NULL;
}

void
lint_cert(X509 *x, struct lint_report *r)
{
	static const struct lint_responder_ctx alone = {0, 0};
	struct cert_facts f;

	r->n = 0;
	cert_facts_read(x, &f);
	for (size_t i = 0; i < NRULES; i++)
		cert_rules[i].run(&f, &cert_rules[i].def, r);
	if (f.ocsp_signing)
		lint_responder_run(&f, &alone, r);
}
