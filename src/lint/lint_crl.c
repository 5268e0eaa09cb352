/*
 * lint_crl.c - the rules for CRLs (lint.h).  Each rule is a row: its id,
 * sentence and source, and a test over the facts read once (crl_facts.h)
 * that adds a finding with the offending value.  New rules go at the end
 * of their group; ids are never reused.
 *
 * Scope: BR 4.9.7's 10-day nextUpdate applies to CRLs covering subscriber
 * certificates (a root's CRL may last 12 months): explain says which CRL it
 * looked at, the reader knows which kind it is.
 */
#include "lint/lint.h"

#include <openssl/objects.h>

#include "lint/crl_facts.h"
#include "pki/reason.h"

#define LINT_CRL_MAX_DAYS 10                    /* BR 4.9.7 */
#define LINT_CRL_SIZE_MAX (10 * 1024 * 1024)    /* Microsoft 3.2.3: CRLs under 10 MB */

struct crl_rule {
	struct lint_def def;
	void (*run)(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r);
};

static void
version(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->version != 1)
		lint_add(r, d, "version field says v%ld", f->version + 1);
}

static void
next_update_missing(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (!f->has_next_update)
		lint_add(r, d, "%s", "");
}

static void
next_update_before(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->has_next_update && f->times_ok && f->next_update < f->this_update)
		lint_add(r, d, "nextUpdate is %lld s before thisUpdate",
		    (long long)(f->this_update - f->next_update));
}

static void
next_update_10_days(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	int64_t span = f->next_update - f->this_update;

	if (f->has_next_update && f->times_ok && span > (int64_t)LINT_CRL_MAX_DAYS * 86400)
		lint_add(r, d, "nextUpdate - thisUpdate = %lld s (%.1f days)", (long long)span,
		    (double)span / 86400);
}

static void
number_missing(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (!f->has_number)
		lint_add(r, d, "%s", "");
}

static void
number_negative(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->has_number && f->number_negative)
		lint_add(r, d, "cRLNumber %s", f->number);
}

static void
number_bits(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->has_number && f->number_bits > CRL_NUMBER_MAX_BITS)
		lint_add(r, d, "cRLNumber %s has %d bits", f->number, f->number_bits);
}

static void
aki_missing(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (!f->has_aki)
		lint_add(r, d, "%s", "");
}

static void
idp_not_critical(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->has_idp && !f->idp_critical)
		lint_add(r, d, "%s", "");
}

static void
idp_without_url(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->has_idp && !f->idp_has_uri)
		lint_add(r, d, "%s", "");
}

static void
sha1(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->sig_md_nid == NID_sha1)
		lint_add(r, d, "%s", OBJ_nid2ln(f->sig_nid));
}

static void
size(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->der_len > LINT_CRL_SIZE_MAX)
		lint_add(r, d, "%zu bytes", f->der_len);
}

/* "N entries, the first serial S" for the entry rules. */
static void
entries(const struct crl_fact_entries *fe, const struct lint_def *d, struct lint_report *r)
{
	if (fe->n > 0)
		lint_add(r, d, "%zu entr%s, the first serial %s", fe->n, fe->n == 1 ? "y" : "ies",
		    fe->first);
}

static void
duplicate(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	entries(&f->duplicate, d, r);
}

static void
unspecified(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	entries(&f->unspecified, d, r);
}

static void
hold(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	entries(&f->hold, d, r);
}

static void
unknown_reason(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->unknown_reason.n > 0)
		lint_add(r, d, "%zu entr%s, the first serial %s with code %d", f->unknown_reason.n,
		    f->unknown_reason.n == 1 ? "y" : "ies", f->unknown_reason.first,
		    f->unknown_reason.reason);
}

static void
remove_in_base(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (!f->is_delta)
		entries(&f->remove_from_crl, d, r);
}

static void
after_this_update(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	entries(&f->after_this_update, d, r);
}

static void
delta_not_critical(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->is_delta && !f->delta_critical)
		lint_add(r, d, "%s", "");
}

static void
delta_base_bad(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->is_delta && f->delta_base_bad)
		lint_add(r, d, "BaseCRLNumber %s", f->delta_base);
}

static void
delta_not_above(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->is_delta && f->delta_number_not_above_base)
		lint_add(r, d, "cRLNumber %s, BaseCRLNumber %s", f->number, f->delta_base);
}

static void
freshest_in_delta(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->is_delta && f->has_freshest)
		lint_add(r, d, "%s", "");
}

static void
freshest_critical(const struct crl_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->freshest_critical)
		lint_add(r, d, "%s", "");
}

#define CRL(id, text, source) {id, LINT_CRL, text, source}

static const struct crl_rule crl_rules[] = {
    {CRL("e_crl_version_not_v2", "The CRL is not version 2, which its extensions require.",
	 "RFC 5280 5.1.2.1; BR 7.2.1"), version},
    {CRL("e_crl_next_update_missing", "The CRL has no nextUpdate.", "RFC 5280 5.1.2.5; BR 7.2"),
	next_update_missing},
    {CRL("e_crl_next_update_before_this_update", "The CRL's nextUpdate is before its thisUpdate.",
	 "RFC 5280 5.1.2.5"), next_update_before},
    {CRL("e_crl_next_update_over_10_days",
	 "The CRL's nextUpdate is more than 10 days after its thisUpdate (the limit for CRLs "
	 "of subscriber certificates).", "BR 4.9.7"), next_update_10_days},
    {CRL("e_crl_number_missing", "The CRL has no CRL number.", "RFC 5280 5.2.3; BR 7.2.2"),
	number_missing},
    {CRL("e_crl_number_negative", "The CRL number is negative.", "RFC 5280 5.2.3"),
	number_negative},
    {CRL("e_crl_number_over_159_bits",
	 "The CRL number is longer than 20 octets (a positive number of more than 159 bits).",
	 "RFC 5280 5.2.3; BR 7.2.2"), number_bits},
    {CRL("e_crl_aki_missing", "The CRL has no authorityKeyIdentifier.",
	 "RFC 5280 5.2.1; BR 7.2.2"), aki_missing},
    {CRL("e_crl_idp_not_critical", "The CRL's issuingDistributionPoint is not marked critical.",
	 "RFC 5280 5.2.5; BR 7.2.2; CCADB Policy 6.2"), idp_not_critical},
    {CRL("e_crl_idp_without_url",
	 "The CRL's issuingDistributionPoint names no URL (a partitioned CRL must name the URL "
	 "it is published at).", "BR 7.2.2.1; CCADB Policy 6.2; Mozilla Root Store Policy 6.1.2"),
	idp_without_url},
    {CRL("e_crl_sha1_signature", "The CRL is signed with SHA-1.",
	 "BR 7.1.3.2; Mozilla Root Store Policy 5.1.3"), sha1},
    {CRL("w_crl_size_over_10_mb", "The CRL is larger than 10 MB.",
	 "Microsoft Trusted Root Program Requirements 3.2.3 (CRLs under 10 MB)"), size},
    {CRL("e_crl_duplicate_serial", "A serial number is listed more than once.",
	 "RFC 5280 5.1.2.6"), duplicate},
    {CRL("e_crl_reason_unspecified",
	 "An entry carries the reason code unspecified (omit the reasonCode instead).",
	 "BR 7.2.2; Mozilla Root Store Policy 6.1.1; RFC 5280 5.3.1"), unspecified},
    {CRL("e_crl_reason_certificate_hold", "An entry carries the reason certificateHold.",
	 "BR 7.2.2; Mozilla Root Store Policy 6.1.1"), hold},
    {CRL("e_crl_reason_unknown", "An entry carries a reason code RFC 5280 does not define.",
	 "RFC 5280 5.3.1"), unknown_reason},
    {CRL("e_crl_remove_from_crl_in_base",
	 "An entry of a CRL that is not a delta CRL carries the reason removeFromCRL.",
	 "RFC 5280 5.3.1"), remove_in_base},
    {CRL("w_crl_revocation_date_after_this_update",
	 "An entry's revocation date is after the CRL's thisUpdate.", "RFC 5280 5.1.2.6"),
	after_this_update},
    {CRL("e_crl_delta_indicator_not_critical",
	 "The delta CRL's deltaCRLIndicator is not marked critical.", "RFC 5280 5.2.4"),
	delta_not_critical},
    {CRL("e_crl_delta_base_number_invalid",
	 "The delta CRL's BaseCRLNumber is negative or longer than 20 octets.",
	 "RFC 5280 5.2.4, 5.2.3"), delta_base_bad},
    {CRL("e_crl_delta_number_not_above_base",
	 "The delta CRL's number is not greater than its BaseCRLNumber (complete and delta CRLs "
	 "share one increasing sequence, and the base came first).", "RFC 5280 5.2.3, 5.2.4"),
	delta_not_above},
    {CRL("e_crl_delta_with_freshest_crl", "A delta CRL carries a Freshest CRL extension.",
	 "RFC 5280 5.2.6"), freshest_in_delta},
    {CRL("e_crl_freshest_crl_critical", "The CRL's Freshest CRL extension is critical.",
	 "RFC 5280 5.2.6"), freshest_critical},
};

#define NRULES (sizeof(crl_rules) / sizeof(crl_rules[0]))

const struct lint_def *
lint_crl_def_at(size_t i)
{
	return i < NRULES ? &crl_rules[i].def : NULL;
}

int
lint_crl(const uint8_t *der, size_t len, struct lint_report *r, struct err *e)
{
	struct crl_facts f;
	struct crl_der c;
	X509_CRL *headers;
	int rc;

	r->n = 0;
	if (crl_der_open(der, len, &c) != 0 || (headers = crl_der_headers(&c)) == NULL)
		return err_set(e, "not a CRL");
	rc = crl_facts_read(&c, headers, &f, e);
	X509_CRL_free(headers);
	if (rc != 0)
		return -1;
	for (size_t i = 0; i < NRULES; i++)
		crl_rules[i].run(&f, &crl_rules[i].def, r);
	return 0;
}
