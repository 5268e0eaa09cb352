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

/* lower-case hex of a serial's content bytes, as lint_hex prints an ASN1_INTEGER */
static void
serial_hex(const uint8_t *p, size_t n, char *buf, size_t len)
{
	ASN1_INTEGER *ai = crl_der_serial(p, n);

	lint_hex(ai, buf, len);
	ASN1_INTEGER_free(ai);
}

static void
note(struct crl_fact_entries *fe, const struct crl_der_entry *en, int reason)
{
	if (fe->n++ == 0) {
		serial_hex(en->serial, en->serial_len, fe->first, sizeof(fe->first));
		fe->reason = reason;
	}
}

struct serial_ref {
	const uint8_t *p;
	size_t n;
};

static int
cmp_serial(const void *a, const void *b)
{
	const struct serial_ref *x = a, *y = b;

	return crl_der_serial_cmp(x->p, x->n, y->p, y->n);
}

/* Serials listed more than once: sort references to them (the CRL is not touched). */
static int
read_duplicates(const struct crl_der *c, struct crl_facts *f, struct err *e)
{
	struct crl_der_entry en;
	struct serial_ref *v;
	size_t n = f->entries, pos = 0, k = 0;

	if (n < 2)
		return 0;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return err_set(e, "out of memory sorting %zu CRL entries", n);
	while (k < n && crl_der_next(c, &pos, &en) == 1)
		v[k++] = (struct serial_ref){en.serial, en.serial_len};
	/* A CRL written in serial order (lancre's are) needs no sort: one pass to know it. */
	for (size_t i = 1; i < k; i++) {
		if (cmp_serial(&v[i - 1], &v[i]) > 0) {
			qsort(v, k, sizeof(*v), cmp_serial);
			break;
		}
	}
	for (size_t i = 1; i < k; i++) {
		if (crl_der_serial_eq(v[i - 1].p, v[i - 1].n, v[i].p, v[i].n) &&
		    (i < 2 || !crl_der_serial_eq(v[i - 2].p, v[i - 2].n, v[i].p, v[i].n))) {
			en.serial = v[i].p;
			en.serial_len = v[i].n;
			note(&f->duplicate, &en, 0);
		}
	}
	free(v);
	return 0;
}

static void
read_entry(const struct crl_der_entry *en, struct crl_facts *f)
{
	int code = en->reason;

	f->by_reason[code >= 0 && code < CRL_FACTS_REASONS ? code : CRL_FACTS_REASONS]++;
	if (code == REASON_UNSPECIFIED)
		note(&f->unspecified, en, code);
	else if (code == REASON_CERTIFICATE_HOLD)
		note(&f->hold, en, code);
	else if (code == REASON_REMOVE_FROM_CRL)
		note(&f->remove_from_crl, en, code);
	else if (code >= 0 && reason_name(code) == NULL)
		note(&f->unknown_reason, en, code);
	if (f->times_ok && en->date_ok && en->date > f->this_update)
		note(&f->after_this_update, en, 0);
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
crl_facts_read(const struct crl_der *c, X509_CRL *crl, struct crl_facts *f, struct err *e)
{
	struct crl_der_entry en;
	size_t pos = 0;
	int pknid, fresh, rc;

	memset(f, 0, sizeof(*f));
	f->der_len = c->len;
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
	while ((rc = crl_der_next(c, &pos, &en)) == 1) {
		f->entries++;
		read_entry(&en, f);
	}
	if (rc < 0)
		return err_set(e, "CRL entry %zu is malformed", f->entries + 1);
	return read_duplicates(c, f, e);
}
