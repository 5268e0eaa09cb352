/*
 * issuer.c - see issuer.h.
 */
#include "pki/issuer.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "conf/conf.h"
#include "pki/cert.h"

int
issuer_set_load(struct store *s, struct issuer_set *set, struct err *e)
{
	struct issuer_record *recs;
	size_t n;

	memset(set, 0, sizeof(*set));
	if (store_issuer_list(s, &recs, &n, e) != 0)
		return -1;
	set->v = calloc(n ? n : 1, sizeof(*set->v));
	if (set->v == NULL) {
		issuer_records_free(recs, n);
		return err_set(e, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct issuer *is = &set->v[set->n];
		const unsigned char *p = recs[i].cert_der;

		is->rec = recs[i];
		set->n++;
		is->cert = d2i_X509(NULL, &p, (long)recs[i].cert_len);
		int len = is->cert != NULL
			      ? i2d_X509_NAME(X509_get_subject_name(is->cert), &is->subject_der)
			      : 0;
		is->subject_len = len > 0 ? (size_t)len : 0;
		if (len <= 0 || (is->pub = X509_get0_pubkey(is->cert)) == NULL) {
			err_ossl(e, "issuer %s: stored certificate is unreadable", recs[i].name);
			free(recs);
			issuer_set_free(set);
			return -1;
		}
	}
	free(recs); /* the records' cert_der now belong to set->v */
	return 0;
}

void
issuer_set_free(struct issuer_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		X509_free(set->v[i].cert);
		OPENSSL_free(set->v[i].subject_der);
		ecverify_key_free(set->v[i].table);
		free(set->v[i].rec.cert_der);
		free(set->v[i].rec.ocsp_cert_der);
	}
	free(set->v);
	memset(set, 0, sizeof(*set));
}

void
issuer_set_prepare_tables(struct issuer_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		struct issuer *is = &set->v[i];
		if (is->rec.has_key && is->pub != NULL && is->table == NULL)
			is->table = ecverify_key_new(is->pub);
	}
}

const struct issuer *
issuer_set_by_name(const struct issuer_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++) {
		if (strcmp(set->v[i].rec.name, name) == 0)
			return &set->v[i];
	}
	return NULL;
}

const struct issuer *
issuer_set_by_id(const struct issuer_set *set, int64_t id)
{
	for (size_t i = 0; i < set->n; i++) {
		if (set->v[i].rec.id == id)
			return &set->v[i];
	}
	return NULL;
}

int
issuer_set_match(const struct issuer_set *set, X509 *x, const struct issuer **out,
    struct err *e)
{
	const X509_NAME *want = X509_get_issuer_name(x);
	const struct issuer *named = NULL;
	char name[256];

	for (size_t i = 0; i < set->n; i++) {
		const struct issuer *is = &set->v[i];
		if (!is->rec.has_key ||
		    X509_NAME_cmp(X509_get_subject_name(is->cert), want) != 0)
			continue;
		named = is;
		if (X509_verify(x, is->pub) == 1) {
			*out = is;
			return 0;
		}
	}
	ERR_clear_error();
	cert_name_line(want, name, sizeof(name));
	if (named != NULL)
		return err_set(e, "signature does not verify with the key of issuer %s (%s)",
		    named->rec.name, name);
	return err_set(e, "unknown issuer (%s)", name);
}

int
issuer_set_match_parsed(const struct issuer_set *set, const struct cert_parsed *c,
    struct sigverify *sv, const struct issuer **out, struct err *e)
{
	const struct issuer *named = NULL;

	for (size_t i = 0; i < set->n; i++) {
		const struct issuer *is = &set->v[i];
		if (!is->rec.has_key || is->subject_len != c->issuer_len ||
		    memcmp(is->subject_der, c->issuer, c->issuer_len) != 0)
			continue;
		named = is;
		if (sigverify_check_table(sv, is->table, is->pub, c->sig_alg, c->tbs, c->tbs_len,
			c->sig, c->sig_len)) {
			*out = is;
			return 0;
		}
	}
	if (named == NULL)
		return -2;
	return err_set(e, "signature does not verify with the key of issuer %s",
	    named->rec.name);
}

int
issuer_store_check(const struct issuer_record *r, struct err *e)
{
	if (issuer_name_check(r->name, e) != 0)
		return err_prefix(e, "refused, a name from the store");
	if (r->crl_shards < 1 || r->crl_shards > CONF_CRL_SHARDS_MAX)
		return err_set(e, "refused: %d CRL shards in the store (1 to %d)", r->crl_shards,
		    CONF_CRL_SHARDS_MAX);
	return 0;
}

int
issuer_name_check(const char *name, struct err *e)
{
	size_t n = strlen(name);

	if (n == 0 || n > 63 || name[0] == '-' || name[n - 1] == '-')
		goto bad;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			goto bad;
	}
	return 0;
bad:
	return err_set(e, "issuer name '%s' must be 1-63 characters of a-z, 0-9 and '-', "
			  "not starting or ending with '-' (it becomes a host name)", name);
}
