/*
 * crl_facts.c - see crl_facts.h.
 */
#include "lint/crl_facts.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "pki/cert.h"
#include "pki/reason.h"

static void
note(struct crl_fact_entries *fe, const ASN1_INTEGER *serial, int reason)
{
	if (fe->n++ == 0) {
		lint_hex(serial, fe->first, sizeof(fe->first));
		fe->reason = reason;
	}
}

static int
cmp_serial(const void *a, const void *b)
{
	return ASN1_INTEGER_cmp(*(const ASN1_INTEGER *const *)a, *(const ASN1_INTEGER *const *)b);
}

/* Serials listed more than once: sort a copy of the pointers (the CRL's order is kept). */
static int
read_duplicates(STACK_OF(X509_REVOKED) *revs, struct crl_facts *f, struct err *e)
{
	size_t n = f->entries;
	const ASN1_INTEGER **v;

	if (n < 2)
		return 0;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return err_set(e, "out of memory sorting %zu CRL entries", n);
	for (size_t i = 0; i < n; i++)
		v[i] = X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revs, (int)i));
	qsort(v, n, sizeof(*v), cmp_serial);
	for (size_t i = 1; i < n; i++)
		if (ASN1_INTEGER_cmp(v[i - 1], v[i]) == 0 && (i < 2 || ASN1_INTEGER_cmp(v[i - 2], v[i]) != 0))
			note(&f->duplicate, v[i], 0);
	free(v);
	return 0;
}

static void
read_entry(X509_REVOKED *r, struct crl_facts *f)
{
	const ASN1_INTEGER *serial = X509_REVOKED_get0_serialNumber(r);
	ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
	int64_t when;

	if (reason != NULL) {
		long code = ASN1_ENUMERATED_get(reason);

		if (code == REASON_UNSPECIFIED)
			note(&f->unspecified, serial, (int)code);
		else if (code == REASON_CERTIFICATE_HOLD)
			note(&f->hold, serial, (int)code);
		else if (code == REASON_REMOVE_FROM_CRL)
			note(&f->remove_from_crl, serial, (int)code);
		else if (reason_name((int)code) == NULL)
			note(&f->unknown_reason, serial, (int)code);
		ASN1_ENUMERATED_free(reason);
	}
	if (f->times_ok && cert_time(X509_REVOKED_get0_revocationDate(r), &when) == 0 &&
	    when > f->this_update)
		note(&f->after_this_update, serial, 0);
}

static void
read_number(const X509_CRL *crl, struct crl_facts *f)
{
	ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	BIGNUM *bn;

	if (num == NULL)
		return;
	f->has_number = 1;
	lint_hex(num, f->number, sizeof(f->number));
	if ((bn = ASN1_INTEGER_to_BN(num, NULL)) != NULL) {
		f->number_negative = BN_is_negative(bn);
		f->number_bits = BN_num_bits(bn);
	}
	BN_free(bn);
	ASN1_INTEGER_free(num);
}

/*
 * The delta CRL indicator (RFC 5280 5.2.4): critical, its BaseCRLNumber a
 * CRLNumber (0..2^159), and below the delta's own number, since complete and
 * delta CRLs share one numbering sequence (5.2.3) and the base came first.
 */
static void
read_delta(const X509_CRL *crl, struct crl_facts *f)
{
	int i = X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1);
	ASN1_INTEGER *base, *num;
	BIGNUM *bn;

	if (i < 0)
		return;
	f->is_delta = 1;
	f->delta_critical = X509_EXTENSION_get_critical(X509_CRL_get_ext(crl, i));
	if ((base = X509_CRL_get_ext_d2i(crl, NID_delta_crl, NULL, NULL)) == NULL)
		return;
	lint_hex(base, f->delta_base, sizeof(f->delta_base));
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	bn = ASN1_INTEGER_to_BN(base, NULL);
	f->delta_base_bad = bn == NULL || BN_is_negative(bn) || BN_num_bits(bn) > CRL_NUMBER_MAX_BITS;
	BN_free(bn);
	f->delta_number_not_above_base = num != NULL && ASN1_INTEGER_cmp(num, base) <= 0;
	ASN1_INTEGER_free(num);
	ASN1_INTEGER_free(base);
}

/* The IssuingDistributionPoint: criticality, and whether it names a URL (a fullName URI). */
static void
read_idp(const X509_CRL *crl, struct crl_facts *f)
{
	int i = X509_CRL_get_ext_by_NID(crl, NID_issuing_distribution_point, -1);
	ISSUING_DIST_POINT *idp;

	if (i < 0)
		return;
	f->has_idp = 1;
	f->idp_critical = X509_EXTENSION_get_critical(X509_CRL_get_ext(crl, i));
	idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, NULL, NULL);
	if (idp != NULL && idp->distpoint != NULL && idp->distpoint->type == 0) {
		GENERAL_NAMES *names = idp->distpoint->name.fullname;

		for (int k = 0; k < sk_GENERAL_NAME_num(names); k++)
			f->idp_has_uri |= sk_GENERAL_NAME_value(names, k)->type == GEN_URI;
	}
	ISSUING_DIST_POINT_free(idp);
}

int
crl_facts_read(X509_CRL *crl, size_t der_len, struct crl_facts *f, struct err *e)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
	int pknid, fresh;

	memset(f, 0, sizeof(*f));
	f->der_len = der_len;
	f->version = X509_CRL_get_version(crl);
	f->sig_nid = X509_CRL_get_signature_nid(crl);
	if (!OBJ_find_sigid_algs(f->sig_nid, &f->sig_md_nid, &pknid))
		f->sig_md_nid = NID_undef;
	f->times_ok = cert_time(X509_CRL_get0_lastUpdate(crl), &f->this_update) == 0;
	if (X509_CRL_get0_nextUpdate(crl) != NULL) {
		f->has_next_update = 1;
		f->times_ok &= cert_time(X509_CRL_get0_nextUpdate(crl), &f->next_update) == 0;
	}
	read_number(crl, f);
	f->has_aki = X509_CRL_get_ext_by_NID(crl, NID_authority_key_identifier, -1) >= 0;
	read_delta(crl, f);
	if ((fresh = X509_CRL_get_ext_by_NID(crl, NID_freshest_crl, -1)) >= 0) {
		f->has_freshest = 1;
		f->freshest_critical = X509_EXTENSION_get_critical(X509_CRL_get_ext(crl, fresh));
	}
	read_idp(crl, f);
	f->entries = revs != NULL ? (size_t)sk_X509_REVOKED_num(revs) : 0;
	for (size_t i = 0; i < f->entries; i++)
		read_entry(sk_X509_REVOKED_value(revs, (int)i), f);
	return read_duplicates(revs, f, e);
}
