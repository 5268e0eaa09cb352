/*
 * build.c - see build.h.
 *
 * Everything but the entries comes from OpenSSL: an entry-less CRL with the
 * same issuer, times and extensions is built and signed with X509_CRL_*, and
 * its TBSCertList is cut around the place where revokedCertificates goes.
 * The entries themselves are written as DER here, a few dozen bytes each,
 * into one buffer, and the whole TBSCertList is then signed once with
 * EVP_DigestSign.
 *
 * Why by hand: OpenSSL's X509_CRL holds every entry as a tree of allocated
 * objects; `openssl ca -gencrl` needs 15 s and 605 MB for a million entries
 * here, and a Let's Encrypt-sized shard is larger.  This writer needs about
 * the CRL's size in memory, twice.  Every CRL it makes is checked by OpenSSL,
 * Python cryptography and GnuTLS in tests/e2e/crl.sh.
 */
#include "crl/build.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "ocsp/sign.h"
#include "util/timefmt.h"

struct crl_builder {
	const struct crl_params *p;
	uint8_t *prefix, *suffix, *algid; /* TBS fields before and after the entries */
	size_t prefix_len, suffix_len, algid_len;
	uint8_t *entries;
	size_t entries_len, entries_cap;
	size_t count;
};

static int
add_idp(X509_CRL *crl, const char *url)
{
	ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *uri = ASN1_IA5STRING_new();
	int ok = 0;

	if (idp == NULL || gn == NULL || uri == NULL || ASN1_STRING_set(uri, url, -1) != 1)
		goto out;
	GENERAL_NAME_set0_value(gn, GEN_URI, uri);
	uri = NULL;
	idp->distpoint = DIST_POINT_NAME_new();
	if (idp->distpoint == NULL)
		goto out;
	idp->distpoint->type = 0; /* fullName */
	idp->distpoint->name.fullname = GENERAL_NAMES_new();
	if (idp->distpoint->name.fullname == NULL ||
	    !sk_GENERAL_NAME_push(idp->distpoint->name.fullname, gn))
		goto out;
	gn = NULL;
	idp->onlyuser = 0xff; /* onlyContainsUserCerts: leaf shards */
	ok = X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp, 1, 0) == 1;
out:
	ASN1_IA5STRING_free(uri);
	GENERAL_NAME_free(gn);
	ISSUING_DIST_POINT_free(idp);
	return ok ? 0 : -1;
}

static int
add_extensions(X509_CRL *crl, const struct crl_params *p)
{
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	X509V3_CTX ctx;
	X509_EXTENSION *akid;
	int ok;

	ok = num != NULL && ASN1_INTEGER_set_int64(num, p->number) == 1 &&
	     X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) == 1;
	ASN1_INTEGER_free(num);
	if (!ok)
		return -1;
	X509V3_set_ctx(&ctx, p->issuer, NULL, NULL, crl, 0);
	akid = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	ok = akid != NULL && X509_CRL_add_ext(crl, akid, -1) == 1;
	X509_EXTENSION_free(akid);
	if (!ok)
		return -1;
	return p->idp_url != NULL ? add_idp(crl, p->idp_url) : 0;
}

/* Length of a DER header for content of n bytes. */
static size_t
der_header_len(size_t n)
{
	return n < 0x80 ? 2 : n < 0x100 ? 3 : n < 0x10000 ? 4 : n < 0x1000000 ? 5 : 6;
}

static uint8_t *
der_header(uint8_t *out, uint8_t tag, size_t n)
{
	size_t k = der_header_len(n) - 2;

	*out++ = tag;
	if (k == 0) {
		*out++ = (uint8_t)n;
		return out;
	}
	*out++ = (uint8_t)(0x80 | k);
	for (size_t i = k; i > 0; i--)
		*out++ = (uint8_t)(n >> (8 * (i - 1)));
	return out;
}

/*
 * Sign the entry-less CRL and keep its TBS split at the entries' place:
 * prefix = version .. nextUpdate, suffix = [0] crlExtensions.
 */
static int
template(struct crl_builder *b, struct err *e)
{
	const struct crl_params *p = b->p;
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)p->this_update);
	ASN1_TIME *n = ASN1_TIME_set(NULL, (time_t)p->next_update);
	const X509_ALGOR *alg;
	const ASN1_BIT_STRING *sig;
	unsigned char *tbs = NULL, *a = NULL;
	int tbs_len, alen, rc = -1;
	size_t hdr, pos, content;

	if (crl == NULL || t == NULL || n == NULL || X509_CRL_set_version(crl, 1) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(p->issuer)) != 1 ||
	    X509_CRL_set1_lastUpdate(crl, t) != 1 || X509_CRL_set1_nextUpdate(crl, n) != 1 ||
	    add_extensions(crl, p) != 0 || X509_CRL_sign(crl, p->key, ocsp_sign_md(p->key)) <= 0 ||
	    (tbs_len = i2d_re_X509_CRL_tbs(crl, &tbs)) <= 0) {
		err_ossl(e, "building the CRL");
		goto out;
	}
	X509_CRL_get0_signature(crl, &sig, &alg);
	alen = i2d_X509_ALGOR(alg, &a);
	if (alen <= 0) {
		err_ossl(e, "encoding the CRL's signature algorithm");
		goto out;
	}
	/* Skip the outer SEQUENCE header, then walk to the [0] extensions (tag a0). */
	hdr = (tbs[1] & 0x80) ? 2 + (size_t)(tbs[1] & 0x7f) : 2;
	for (pos = hdr; pos < (size_t)tbs_len && tbs[pos] != 0xa0;) {
		size_t l = tbs[pos + 1], h = 2;
		if (l & 0x80) {
			size_t k = l & 0x7f;
			l = 0;
			for (size_t i = 0; i < k; i++)
				l = l << 8 | tbs[pos + 2 + i];
			h += k;
		}
		pos += h + l;
	}
	content = (size_t)tbs_len - hdr;
	b->prefix_len = pos - hdr;
	b->suffix_len = content - b->prefix_len;
	b->prefix = malloc(b->prefix_len);
	b->suffix = malloc(b->suffix_len);
	b->algid = malloc((size_t)alen);
	if (pos > (size_t)tbs_len || b->prefix == NULL || b->suffix == NULL || b->algid == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	memcpy(b->prefix, tbs + hdr, b->prefix_len);
	memcpy(b->suffix, tbs + pos, b->suffix_len);
	memcpy(b->algid, a, (size_t)alen);
	b->algid_len = (size_t)alen;
	rc = 0;
out:
	OPENSSL_free(tbs);
	OPENSSL_free(a);
	ASN1_TIME_free(t);
	ASN1_TIME_free(n);
	X509_CRL_free(crl);
	return rc;
}

struct crl_builder *
crl_builder_new(const struct crl_params *p, struct err *e)
{
	struct crl_builder *b = calloc(1, sizeof(*b));

	if (b == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	b->p = p;
	if (template(b, e) != 0) {
		crl_builder_free(b);
		return NULL;
	}
	return b;
}

void
crl_builder_free(struct crl_builder *b)
{
	if (b == NULL)
		return;
	free(b->prefix);
	free(b->suffix);
	free(b->algid);
	free(b->entries);
	free(b);
}

/* RFC 5280 5.1.2.6: UTCTime through 2049, GeneralizedTime from 2050. */
static size_t
der_time(uint8_t *out, int64_t t)
{
	char buf[TIMEFMT_LEN]; /* "YYYY-MM-DDTHH:MM:SSZ" */
	int utc;
	size_t n = 0;

	timefmt_format(t, buf, sizeof(buf));
	utc = memcmp(buf, "1950", 4) >= 0 && memcmp(buf, "2050", 4) < 0;
	out[n++] = utc ? 0x17 : 0x18;
	out[n++] = utc ? 13 : 15;
	memcpy(out + n, buf + (utc ? 2 : 0), utc ? 2 : 4);
	n += utc ? 2 : 4;
	for (int i = 5; i < 19; i += 3) { /* MM DD HH MM SS */
		out[n++] = (uint8_t)buf[i];
		out[n++] = (uint8_t)buf[i + 1];
	}
	out[n++] = 'Z';
	return n;
}

int
crl_builder_add(struct crl_builder *b, const struct cert_record *c, struct err *e)
{
	uint8_t body[128], *p = body;
	size_t body_len, need;

	if (c->serial_len == 0 || c->serial_len > STORE_SERIAL_MAX)
		return err_set(e, "bad serial in a CRL entry");
	*p++ = 0x02;
	*p++ = (uint8_t)c->serial_len;
	memcpy(p, c->serial, c->serial_len);
	p += c->serial_len;
	p += der_time(p, c->revoked_at);
	if (c->reason != 0) { /* crlEntryExtensions { reasonCode } (BR 7.2.2: not unspecified) */
		static const uint8_t ext[] = {0x30, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15,
		    0x04, 0x03, 0x0a, 0x01};
		memcpy(p, ext, sizeof(ext));
		p += sizeof(ext);
		*p++ = (uint8_t)c->reason;
	}
	body_len = (size_t)(p - body);
	need = der_header_len(body_len) + body_len;
	if (b->entries_len + need > b->entries_cap) {
		size_t cap = b->entries_cap ? b->entries_cap * 2 : 4096;
		while (cap < b->entries_len + need)
			cap *= 2;
		uint8_t *nb = realloc(b->entries, cap);
		if (nb == NULL)
			return err_set(e, "out of memory building the CRL");
		b->entries = nb;
		b->entries_cap = cap;
	}
	p = der_header(b->entries + b->entries_len, 0x30, body_len);
	memcpy(p, body, body_len);
	b->entries_len += need;
	b->count++;
	return 0;
}

int
crl_builder_finish(struct crl_builder *b, unsigned char **der, size_t *len, size_t *count,
    struct err *e)
{
	size_t rev_len = b->count > 0 ? der_header_len(b->entries_len) + b->entries_len : 0;
	size_t tbs_content = b->prefix_len + rev_len + b->suffix_len;
	size_t tbs_len = der_header_len(tbs_content) + tbs_content;
	size_t sig_max = 1024, cert_max;
	uint8_t *out, *p, *tbs, *sig;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = sig_max, content;

	*der = NULL;
	/* CertificateList: header, TBS, algorithm, BIT STRING with at most sig_max bytes. */
	cert_max = 6 + tbs_len + b->algid_len + 6 + 1 + sig_max;
	out = OPENSSL_malloc(cert_max);
	sig = OPENSSL_malloc(sig_max);
	if (ctx == NULL || out == NULL || sig == NULL) {
		EVP_MD_CTX_free(ctx);
		OPENSSL_free(out);
		OPENSSL_free(sig);
		return err_set(e, "out of memory building the CRL");
	}
	/* Lay the TBS out where it will end up: after a 6-byte gap for the outer header. */
	tbs = out + 6;
	p = der_header(tbs, 0x30, tbs_content);
	memcpy(p, b->prefix, b->prefix_len);
	p += b->prefix_len;
	if (b->count > 0) {
		p = der_header(p, 0x30, b->entries_len);
		memcpy(p, b->entries, b->entries_len);
		p += b->entries_len;
	}
	memcpy(p, b->suffix, b->suffix_len);
	if (EVP_DigestSignInit(ctx, NULL, ocsp_sign_md(b->p->key), NULL, b->p->key) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, tbs, tbs_len) != 1) {
		EVP_MD_CTX_free(ctx);
		OPENSSL_free(out);
		OPENSSL_free(sig);
		return err_ossl(e, "signing the CRL");
	}
	EVP_MD_CTX_free(ctx);
	/* Now the outer header is known: write it just before the TBS and close the gap. */
	content = tbs_len + b->algid_len + der_header_len(siglen + 1) + siglen + 1;
	p = der_header(out, 0x30, content);
	memmove(p, tbs, tbs_len);
	p += tbs_len;
	memcpy(p, b->algid, b->algid_len);
	p += b->algid_len;
	p = der_header(p, 0x03, siglen + 1);
	*p++ = 0; /* no unused bits */
	memcpy(p, sig, siglen);
	p += siglen;
	OPENSSL_free(sig);
	*der = out;
	*len = (size_t)(p - out);
	*count = b->count;
	return 0;
}
