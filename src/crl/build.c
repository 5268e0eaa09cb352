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

#include "pki/revtime.h"
#include "pki/sigctx.h"
#include "util/der.h"

/*
 * The whole CRL is laid out in one buffer, entries first written after a gap
 * (CRL_GAP + prefix) that the headers and the TBS prefix fill at the end, so
 * the entries are never copied: buf = [gap | entries | suffix | algid | sig].
 */
#define CRL_GAP 18 /* outer, TBS and revokedCertificates headers: 6 bytes each at most */

struct crl_builder {
	const struct crl_params *p;
	uint8_t *prefix, *suffix, *algid; /* TBS fields before and after the entries */
	size_t prefix_len, suffix_len, algid_len;
	uint8_t *buf;
	size_t start;       /* where the entries begin: CRL_GAP + prefix_len */
	size_t len, cap;    /* bytes used (from 0), and allocated */
	size_t count;
};

/* Room for n more bytes; grows by half, not double, since CRLs can be large. */
static int
reserve(struct crl_builder *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 65536;
	uint8_t *nb;

	if (b->len + n <= b->cap)
		return 0;
	while (cap < b->len + n)
		cap += cap / 2;
	nb = realloc(b->buf, cap);
	if (nb == NULL)
		return -1;
	b->buf = nb;
	b->cap = cap;
	return 0;
}

/*
 * The Issuing Distribution Point (RFC 5280 5.2.5): the shard's URL, if any,
 * and the scope's onlyContains flag; called only when there is one or both
 * (an empty IDP is forbidden).
 */
static int
add_idp(X509_CRL *crl, const char *url, enum crl_scope scope)
{
	ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *uri = ASN1_IA5STRING_new();
	int ok = 0;

	if (idp == NULL || gn == NULL || uri == NULL)
		goto out;
	idp->onlyuser = scope == CRL_SCOPE_USER ? 0xff : 0; /* onlyContainsUserCerts */
	idp->onlyCA = scope == CRL_SCOPE_CA ? 0xff : 0;     /* onlyContainsCACerts: an ARL */
	if (url == NULL)
		goto add;
	if (ASN1_STRING_set(uri, url, -1) != 1)
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
add:
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
	/* A full CRL of leaves has no IDP, as before scopes; an ARL always says it is one. */
	if ((p->idp_url != NULL || p->scope == CRL_SCOPE_CA) &&
	    add_idp(crl, p->idp_url, p->scope) != 0)
		return -1;
	if (p->freshest_url != NULL) {
		char v[1100];
		X509_EXTENSION *ext;
		snprintf(v, sizeof(v), "URI:%s", p->freshest_url);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_freshest_crl, v);
		ok = ext != NULL && X509_CRL_add_ext(crl, ext, -1) == 1;
		X509_EXTENSION_free(ext);
		if (!ok)
			return -1;
	}
	if (p->delta_base > 0) {
		ASN1_INTEGER *base = ASN1_INTEGER_new();
		ok = base != NULL && ASN1_INTEGER_set_int64(base, p->delta_base) == 1 &&
		     X509_CRL_add1_ext_i2d(crl, NID_delta_crl, base, 1, 0) == 1;
		ASN1_INTEGER_free(base);
		if (!ok)
			return -1;
	}
	return 0;
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
	    add_extensions(crl, p) != 0 || X509_CRL_sign(crl, p->key, sigctx_md(p->key)) <= 0 ||
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
	b->start = b->len = CRL_GAP + b->prefix_len;
	if (reserve(b, 0) != 0) {
		err_set(e, "out of memory");
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
	free(b->buf);
	free(b);
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
	p = der_put_x509_time(p, revtime_clamp(c->revoked_at, b->p->this_update)); /* 5.1.2.6 */
	if (c->reason != 0) { /* crlEntryExtensions { reasonCode } (BR 7.2.2: not unspecified) */
		static const uint8_t ext[] = {0x30, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15,
		    0x04, 0x03, 0x0a, 0x01};
		memcpy(p, ext, sizeof(ext));
		p += sizeof(ext);
		*p++ = (uint8_t)c->reason;
	}
	body_len = (size_t)(p - body);
	need = der_header_len(body_len) + body_len;
	if (reserve(b, need) != 0)
		return err_set(e, "out of memory building the CRL");
	p = der_put_header(b->buf + b->len, 0x30, body_len);
	memcpy(p, body, body_len);
	b->len += need;
	b->count++;
	return 0;
}

int
crl_builder_finish(struct crl_builder *b, const unsigned char **der, size_t *len,
    size_t *count, struct err *e)
{
	size_t entries_len = b->len - b->start;
	size_t rev_hdr = b->count > 0 ? der_header_len(entries_len) : 0;
	size_t tbs_content = b->prefix_len + rev_hdr + (b->count > 0 ? entries_len : 0) +
			     b->suffix_len;
	size_t tbs_hdr = der_header_len(tbs_content), tbs_len = tbs_hdr + tbs_content;
	size_t tbs_at = b->start - rev_hdr - b->prefix_len - tbs_hdr, siglen, content, at;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t *p;

	*der = NULL;
	if (ctx == NULL || reserve(b, b->suffix_len + b->algid_len + 6 + 1 + 1024) != 0) {
		EVP_MD_CTX_free(ctx);
		return err_set(e, "out of memory building the CRL");
	}
	/* Fill the gap backwards: TBS header, prefix, revokedCertificates header. */
	p = der_put_header(b->buf + tbs_at, 0x30, tbs_content);
	memcpy(p, b->prefix, b->prefix_len);
	if (b->count > 0)
		der_put_header(p + b->prefix_len, 0x30, entries_len);
	else
		b->len = b->start; /* no entries: the field is left out */
	memcpy(b->buf + b->len, b->suffix, b->suffix_len);
	b->len += b->suffix_len;
	/* Sign the TBS where it lies; the signature goes after the algorithm. */
	siglen = b->cap - (b->len + b->algid_len + 7);
	if (EVP_DigestSignInit(ctx, NULL, sigctx_md(b->p->key), NULL, b->p->key) != 1 ||
	    EVP_DigestSign(ctx, b->buf + b->len + b->algid_len + 7, &siglen, b->buf + tbs_at,
		tbs_len) != 1) {
		EVP_MD_CTX_free(ctx);
		return err_ossl(e, "signing the CRL");
	}
	EVP_MD_CTX_free(ctx);
	memcpy(b->buf + b->len, b->algid, b->algid_len);
	b->len += b->algid_len;
	/* The BIT STRING header (at most 6 bytes + the unused-bits byte) before the signature. */
	{
		uint8_t hdr[8];
		size_t h = (size_t)(der_put_header(hdr, 0x03, siglen + 1) - hdr);
		hdr[h++] = 0;
		memmove(b->buf + b->len + h, b->buf + b->len + 7, siglen);
		memcpy(b->buf + b->len, hdr, h);
		b->len += h + siglen;
	}
	/* The outer header goes right before the TBS. */
	content = b->len - tbs_at;
	at = tbs_at - der_header_len(content);
	der_put_header(b->buf + at, 0x30, content);
	*der = b->buf + at;
	*len = b->len - at;
	*count = b->count;
	return 0;
}
