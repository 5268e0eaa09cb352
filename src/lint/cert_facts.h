/*
 * cert_facts.h - what the certificate rules (lint_cert.c) and the rules for
 * delegated OCSP responder certificates (lint_responder.c) look at, read from
 * an X509 once: the revocation pointers a client follows (AIA OCSP and
 * caIssuers, CRL Distribution Points, Freshest CRL), their shape and scheme,
 * noRevAvail (RFC 9608), id-pkix-ocsp-nocheck, the EKU, the validity.
 *
 * The rules are pure over these values; the first offending URL is kept (cut
 * to LINT_URL_SHOW) so a finding can name it.
 */
#ifndef LANCRE_LINT_CERT_FACTS_H
#define LANCRE_LINT_CERT_FACTS_H

#include <stdint.h>

#include <openssl/x509.h>

#include "lint/lint.h"

#define LINT_URL_SHOW 96 /* an offending URL shown in a finding, cut */

struct cert_facts {
	int is_ca, self_issued;
	int ocsp_signing, eku_other; /* EKU: id-kp-OCSPSigning; any other purpose */
	int times_ok;
	int64_t not_before, not_after;
	int short_lived;             /* BR 1.6.1 */
	int no_rev_avail, no_rev_avail_critical;
	int has_aia, aia_critical, ocsp_urls;
	char ocsp_not_http[LINT_URL_SHOW], ca_issuers_not_http[LINT_URL_SHOW];
	int has_crldp, crldp_critical, crldp_points;
	int crldp_reasons_or_issuer, crldp_no_full_name, crldp_non_uri;
	char crl_not_http[LINT_URL_SHOW];
	int has_freshest;
	int has_nocheck, nocheck_critical;
	int sig_nid, sig_md_nid;
};

/* Fill f from x. */
void cert_facts_read(X509 *x, struct cert_facts *f);

/*
 * Where a responder certificate is seen: alone (explain of a certificate
 * carrying id-kp-OCSPSigning), or as the certificate that signed an OCSP
 * response, where the CertID says which CA the response speaks for.
 */
struct lint_responder_ctx {
	int in_response;
	int issued_by_ca; /* in_response: its issuer's name hashes to the CertID's issuerNameHash */
};

/* The responder rules (lint_responder.c) over f, appended to r (r is not emptied). */
void lint_responder_run(const struct cert_facts *f, const struct lint_responder_ctx *ctx,
    struct lint_report *r);

#endif
