/*
 * crl_stream.c - see crl_stream.h.  A push parser: bytes come in chunks of
 * any size, and the parser is always in one of three states: reading a
 * tag-length header (at most CRL_HDR_MAX bytes, kept in hdr), collecting an
 * element's content whole (only the small ones the rules below name), or
 * skipping content (counting it, hashing it, keeping nothing).  A stack of
 * open constructed elements, each with its end offset and what it is
 * (CertificateList, tbsCertList, revokedCertificates, one entry), says which
 * element comes next and checks that every child ends inside its parent.
 *
 * Every byte passes through crl_consume(), which feeds the digest while
 * inside tbsCertList, keeps the bytes before the signature algorithm is
 * known (at most a few headers and one AlgorithmIdentifier; all of them
 * for an algorithm that needs the whole CRL), and copies the wanted
 * entry's bytes once its serial has matched.
 */
#include "check/crl_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>

#define CRL_HDR_MAX 6     /* tag, 0x84, four length octets */
#define CRL_DEPTH_MAX 5   /* top, CertificateList, tbsCertList, revoked, entry */
#define CRL_TIME_MAX 32   /* a UTCTime or GeneralizedTime element */
#define CRL_NO_END UINT64_MAX

enum crl_ctx { CTX_TOP, CTX_CERTLIST, CTX_TBS, CTX_REVOKED, CTX_ENTRY };

/* What to do with the element whose header was just read. */
enum crl_what {
	W_NONE, W_VERSION, W_TBS_ALG, W_ISSUER, W_THIS, W_NEXT, W_EXTS, W_ALG, W_SIG,
	W_SERIAL, W_DATE, W_SKIP,
};

/* tbsCertList's fields in order; the state is the last one seen. */
enum crl_tbs_field { F_START, F_VERSION, F_ALG, F_ISSUER, F_THIS, F_NEXT, F_REVOKED, F_EXTS };

struct crl_level {
	enum crl_ctx ctx;
	uint64_t end;
	int index; /* children completed */
};

struct crl_buf {
	uint8_t *p;
	size_t len, cap;
};

struct crl_stream {
	struct crl_stream_info info;
	uint64_t max, pos;
	int failed, done;
	char why[CRL_STREAM_WHY_MAX];
	struct crl_level lv[CRL_DEPTH_MAX];
	int depth;
	uint8_t hdr[CRL_HDR_MAX];
	size_t hdr_len;
	enum { S_HEADER, S_COLLECT, S_SKIP } state;
	enum crl_what what;
	uint64_t remaining;        /* content bytes left in S_COLLECT/S_SKIP */
	size_t elem_hlen;          /* the collected element's header length */
	struct crl_buf elem;       /* the element being collected, header included */
	enum crl_tbs_field field;
	/* The signature. */
	int hashing;               /* inside tbsCertList */
	uint64_t tbs_start;
	EVP_MD_CTX *mctx;          /* NULL until the tbs's algorithm is known, or when held whole */
	const EVP_MD *md;
	int pkey_nid;
	int keep;                  /* copy every byte to held (before the algorithm; whole mode) */
	struct crl_buf held;
	struct crl_buf tbs_alg, alg, sig;
	uint8_t sig_unused;        /* the signature BIT STRING's unused bits: must be 0 */
	/* The wanted entry. */
	unsigned char *serial_der; /* the wanted serial's INTEGER, tag and length included */
	int serial_der_len;
	uint8_t entry_hdr[CRL_HDR_MAX];
	size_t entry_hdr_len;
	int capturing;
	struct crl_buf entry;
};

/* Refuse the CRL with one reason (the first one given stays). */
static int
crl_fail(struct crl_stream *s, const char *why)
{
	if (!s->failed)
		snprintf(s->why, sizeof(s->why), "%s", why);
	s->failed = 1;
	return -1;
}

static void
crl_peak(struct crl_stream *s)
{
	size_t n = s->elem.cap + s->held.cap + s->entry.cap + s->tbs_alg.cap + s->alg.cap + s->sig.cap;

	if (n > s->info.peak)
		s->info.peak = n;
}

static int
crl_buf_add(struct crl_stream *s, struct crl_buf *b, const uint8_t *p, size_t n)
{
	size_t want;
	uint8_t *q;

	if (n == 0) /* an empty element: nothing to keep, and memcpy may not see NULL */
		return 0;
	if (n > SIZE_MAX / 2 - b->len)
		return crl_fail(s, "out of memory");
	if (b->len + n > b->cap) {
		want = b->cap ? b->cap : 256;
		while (want < b->len + n)
			want *= 2;
		if ((q = realloc(b->p, want)) == NULL)
			return crl_fail(s, "out of memory");
		b->p = q;
		b->cap = want;
		crl_peak(s);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static void
crl_buf_free(struct crl_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Every byte of the body passes here, once, in order. */
static int
crl_consume(struct crl_stream *s, const uint8_t *p, size_t n)
{
	s->pos += n;
	if (s->hashing && s->mctx != NULL && EVP_DigestUpdate(s->mctx, p, n) != 1)
		return crl_fail(s, "the digest failed");
	if (s->keep && crl_buf_add(s, &s->held, p, n) != 0)
		return -1;
	if (s->capturing) {
		if (s->entry.len + n > CRL_STREAM_ENTRY_MAX)
			return crl_fail(s, "the certificate's entry is larger than 64 KB");
		if (crl_buf_add(s, &s->entry, p, n) != 0)
			return -1;
	}
	return 0;
}

/* 1 with *tlen and *len when hdr holds a whole header, 0 when it needs more, -1 refused. */
static int
crl_header(struct crl_stream *s, size_t *hlen, uint64_t *len)
{
	size_t nb;

	if ((s->hdr[0] & 0x1f) == 0x1f)
		return crl_fail(s, "not DER: a high tag number");
	if (s->hdr_len < 2)
		return 0;
	if (s->hdr[1] < 0x80) {
		*hlen = 2;
		*len = s->hdr[1];
		return 1;
	}
	if (s->hdr[1] == 0x80)
		return crl_fail(s, "not DER: an indefinite length (BER)");
	nb = s->hdr[1] & 0x7f;
	if (nb > 4)
		return crl_fail(s, "not DER: a length of more than four octets");
	if (s->hdr_len < 2 + nb)
		return 0;
	*len = 0;
	for (size_t i = 0; i < nb; i++)
		*len = *len << 8 | s->hdr[2 + i];
	if (s->hdr[2] == 0 || (nb == 1 && *len < 0x80))
		return crl_fail(s, "not DER: a length not in its shortest form");
	*hlen = 2 + nb;
	return 1;
}

static int
crl_is_time(uint8_t tag)
{
	return tag == 0x17 || tag == 0x18;
}

/* Within tbsCertList: which field this tag can be, given the last one seen. */
static enum crl_what
crl_tbs_what(struct crl_stream *s, uint8_t tag, int *descend)
{
	enum crl_tbs_field f = s->field;

	*descend = 0;
	if (f == F_START && tag == 0x02)
		return s->field = F_VERSION, W_VERSION;
	if (f <= F_VERSION && tag == 0x30)
		return s->field = F_ALG, W_TBS_ALG;
	if (f == F_ALG && tag == 0x30)
		return s->field = F_ISSUER, W_ISSUER;
	if (f == F_ISSUER && crl_is_time(tag))
		return s->field = F_THIS, W_THIS;
	if (f == F_THIS && crl_is_time(tag))
		return s->field = F_NEXT, W_NEXT;
	if ((f == F_THIS || f == F_NEXT) && tag == 0x30) {
		*descend = 1;
		s->field = F_REVOKED;
		return W_NONE;
	}
	if (f >= F_THIS && f <= F_REVOKED && tag == 0xa0)
		return s->field = F_EXTS, W_EXTS;
	return W_NONE;
}

/*
 * What the element with this tag is, from where it stands: *descend for the
 * constructed ones read child by child, else what to collect or skip;
 * W_NONE when it cannot be there.
 */
static enum crl_what
crl_classify(struct crl_stream *s, uint8_t tag, int *descend, enum crl_ctx *child)
{
	struct crl_level *l = &s->lv[s->depth];

	*descend = 0;
	switch (l->ctx) {
	case CTX_TOP:
		*descend = tag == 0x30;
		*child = CTX_CERTLIST;
		return W_NONE;
	case CTX_CERTLIST:
		if (l->index == 0 && tag == 0x30) {
			*descend = 1;
			*child = CTX_TBS;
			return W_NONE;
		}
		return l->index == 1 && tag == 0x30 ? W_ALG : l->index == 2 && tag == 0x03 ? W_SIG : W_NONE;
	case CTX_TBS:
		*child = CTX_REVOKED;
		return crl_tbs_what(s, tag, descend);
	case CTX_REVOKED:
		*descend = tag == 0x30;
		*child = CTX_ENTRY;
		return W_NONE;
	case CTX_ENTRY:
		return l->index == 0 && tag == 0x02 ? W_SERIAL :
		    l->index == 1 && crl_is_time(tag) ? W_DATE :
		    l->index == 2 && tag == 0x30 ? W_SKIP : W_NONE;
	}
	return W_NONE;
}

/* The tbs's AlgorithmIdentifier: choose the digest, or hold the whole CRL. */
static int
crl_start_digest(struct crl_stream *s)
{
	const unsigned char *p = s->elem.p;
	X509_ALGOR *a = d2i_X509_ALGOR(NULL, &p, (long)s->elem.len);
	int md_nid = NID_undef, pkey_nid = NID_undef;
	const ASN1_OBJECT *obj;
	int ptype = V_ASN1_UNDEF;

	if (a == NULL || crl_buf_add(s, &s->tbs_alg, s->elem.p, s->elem.len) != 0) {
		X509_ALGOR_free(a);
		return crl_fail(s, "the CRL's signature algorithm cannot be read");
	}
	X509_ALGOR_get0(&obj, &ptype, NULL, a);
	OBJ_find_sigid_algs(OBJ_obj2nid(obj), &md_nid, &pkey_nid);
	X509_ALGOR_free(a);
	s->md = md_nid != NID_undef ? EVP_get_digestbynid(md_nid) : NULL;
	s->pkey_nid = pkey_nid;
	/* ECDSA has no parameters; RSA PKCS#1 v1.5 NULL or none. */
	if (s->md == NULL || !((pkey_nid == NID_X9_62_id_ecPublicKey && ptype == V_ASN1_UNDEF) ||
				  (pkey_nid == NID_rsaEncryption && (ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL)))) {
		s->info.held_whole = 1; /* keep = 1 stays: OpenSSL verifies the whole CRL at the end */
		return 0;
	}
	if ((s->mctx = EVP_MD_CTX_new()) == NULL)
		return crl_fail(s, "out of memory");
	if (EVP_DigestInit_ex(s->mctx, s->md, NULL) != 1) {
		/* A digest OpenSSL names but its providers do not offer (MD4): held whole, the verification decides. */
		EVP_MD_CTX_free(s->mctx);
		s->mctx = NULL;
		ERR_clear_error();
		s->info.held_whole = 1;
		return 0;
	}
	if (EVP_DigestUpdate(s->mctx, s->held.p + s->tbs_start, s->held.len - s->tbs_start) != 1)
		return crl_fail(s, "the digest failed");
	s->keep = 0;
	crl_buf_free(&s->held);
	return 0;
}

/* Extensions as OpenSSL reads them, from the content of [0] EXPLICIT. */
static int
crl_read_exts(struct crl_stream *s)
{
	const unsigned char *p = s->elem.p + s->elem_hlen;
	const unsigned char *end = s->elem.p + s->elem.len;

	s->info.exts = d2i_X509_EXTENSIONS(NULL, &p, (long)(end - p));
	if (s->info.exts == NULL || p != end)
		return crl_fail(s, "the CRL's extensions cannot be read");
	return 0;
}

/*
 * The serial of an entry is whole: every one must be a DER INTEGER (d2i_X509_CRL
 * refuses the CRL otherwise, and a padded copy of the wanted serial would not
 * match it byte for byte: reading on would be fail-open); if it is the one
 * wanted, keep the entry from here.
 */
static int
crl_serial(struct crl_stream *s)
{
	const uint8_t *c = s->elem.p + s->elem_hlen;
	size_t n = s->elem.len - s->elem_hlen;

	if (n == 0 || (n >= 2 && ((c[0] == 0x00 && c[1] < 0x80) || (c[0] == 0xff && c[1] >= 0x80))))
		return crl_fail(s, "not DER: a CRL entry's serial is not a minimal INTEGER");
	if (s->info.entry != NULL || s->elem.len != (size_t)s->serial_der_len ||
	    memcmp(s->elem.p, s->serial_der, s->elem.len) != 0)
		return 0;
	s->entry.len = 0;
	if (crl_buf_add(s, &s->entry, s->entry_hdr, s->entry_hdr_len) != 0 ||
	    crl_buf_add(s, &s->entry, s->elem.p, s->elem.len) != 0)
		return -1;
	s->capturing = 1;
	return 0;
}

/* A kept element is whole: read it. */
static int
crl_collected(struct crl_stream *s)
{
	const unsigned char *p = s->elem.p;
	long n = (long)s->elem.len;
	ASN1_INTEGER *v;
	ASN1_TIME **t;

	switch (s->what) {
	case W_VERSION: /* its value is not checked, as OpenSSL does not */
		v = d2i_ASN1_INTEGER(NULL, &p, n);
		ASN1_INTEGER_free(v);
		return v != NULL ? 0 : crl_fail(s, "the CRL's version cannot be read");
	case W_TBS_ALG:
		return crl_start_digest(s);
	case W_ISSUER:
		s->info.issuer = d2i_X509_NAME(NULL, &p, n);
		return s->info.issuer ? 0 : crl_fail(s, "the CRL's issuer name cannot be read");
	case W_THIS:
	case W_NEXT:
		t = s->what == W_THIS ? &s->info.this_update : &s->info.next_update;
		*t = d2i_ASN1_TIME(NULL, &p, n); /* its value is judged by the caller */
		return *t != NULL ? 0 : crl_fail(s, "a CRL time cannot be read");
	case W_EXTS:
		return crl_read_exts(s);
	case W_ALG:
		return crl_buf_add(s, &s->alg, s->elem.p, s->elem.len);
	case W_SIG: /* BIT STRING: the unused-bits octet, judged by crl_stream_verify() */
		if (s->elem.len <= s->elem_hlen)
			return crl_fail(s, "the CRL's signature is empty");
		s->sig_unused = s->elem.p[s->elem_hlen];
		return crl_buf_add(s, &s->sig, s->elem.p + s->elem_hlen + 1, s->elem.len - s->elem_hlen - 1);
	case W_SERIAL:
		return crl_serial(s);
	default: /* W_DATE: the tag was checked; the entry's date is read only for the wanted one */
		return 0;
	}
}

/* An entry ended: the wanted one is read by OpenSSL. */
static int
crl_entry_done(struct crl_stream *s, const struct crl_level *l)
{
	const unsigned char *p;

	if (l->index < 2)
		return crl_fail(s, "a CRL entry lacks its serial or date");
	s->info.entries++;
	if (!s->capturing)
		return 0;
	s->capturing = 0;
	p = s->entry.p;
	s->info.entry = d2i_X509_REVOKED(NULL, &p, (long)s->entry.len);
	if (s->info.entry == NULL || p != s->entry.p + s->entry.len)
		return crl_fail(s, "the certificate's entry cannot be read");
	crl_buf_free(&s->entry);
	return 0;
}

/* The constructed element at the top of the stack ended. */
static int
crl_level_done(struct crl_stream *s, const struct crl_level *l)
{
	switch (l->ctx) {
	case CTX_TBS:
		s->hashing = 0;
		if (s->field < F_THIS)
			return crl_fail(s, "tbsCertList ends before its thisUpdate");
		return 0;
	case CTX_ENTRY:
		return crl_entry_done(s, l);
	case CTX_CERTLIST:
		if (l->index != 3)
			return crl_fail(s, "the CertificateList does not hold tbsCertList, algorithm and signature");
		s->done = 1;
		return 0;
	default:
		return 0;
	}
}

/* An element ended at pos: count it in its parent and close every level ending here. */
static int
crl_element_done(struct crl_stream *s)
{
	s->state = S_HEADER;
	s->hdr_len = 0;
	s->lv[s->depth].index++;
	while (s->depth > 0 && s->pos == s->lv[s->depth].end) {
		if (crl_level_done(s, &s->lv[s->depth]) != 0)
			return -1;
		s->depth--;
		s->lv[s->depth].index++;
	}
	return 0;
}

/* A header was read whole: where the element fits, and what to do with it. */
static int
crl_start_element(struct crl_stream *s, size_t hlen, uint64_t len)
{
	struct crl_level *l = &s->lv[s->depth];
	uint8_t tag = s->hdr[0];
	enum crl_ctx child = CTX_TOP;
	int descend;

	s->hdr_len = 0; /* hdr keeps the bytes for what follows */
	if (l->end != CRL_NO_END && (s->pos > l->end || len > l->end - s->pos))
		return crl_fail(s, "an element runs past the end of the one holding it");
	s->what = crl_classify(s, tag, &descend, &child);
	if (l->ctx == CTX_TOP && !descend)
		return crl_fail(s, "not a DER CRL");
	if (l->ctx == CTX_TOP && s->pos + len > s->max) {
		snprintf(s->why, sizeof(s->why), "the CRL says it is %llu bytes, more than %llu",
		    (unsigned long long)(s->pos + len), (unsigned long long)s->max);
		s->failed = 1;
		return -1;
	}
	if (descend) {
		if (s->depth + 1 >= CRL_DEPTH_MAX)
			return crl_fail(s, "the CRL nests too deep");
		if (child == CTX_ENTRY) {
			memcpy(s->entry_hdr, s->hdr, hlen);
			s->entry_hdr_len = hlen;
		}
		s->lv[++s->depth] = (struct crl_level){child, s->pos + len, 0};
		return len == 0 ? crl_element_done(s) : 0;
	}
	if (s->what == W_NONE)
		return crl_fail(s, "an element out of place in the CRL");
	s->remaining = len;
	if (s->what == W_SKIP) {
		s->state = S_SKIP;
	} else {
		if ((s->what == W_DATE || s->what == W_THIS || s->what == W_NEXT) && len > CRL_TIME_MAX)
			return crl_fail(s, "a time in the CRL is longer than a UTCTime or GeneralizedTime can be");
		if (len > CRL_STREAM_ELEMENT_MAX)
			return crl_fail(s, "an element of the CRL's header is larger than 64 KB");
		s->state = S_COLLECT;
		s->elem.len = 0;
		s->elem_hlen = hlen;
		if (crl_buf_add(s, &s->elem, s->hdr, hlen) != 0)
			return -1;
	}
	return len == 0 ? (s->state == S_COLLECT && crl_collected(s) != 0 ? -1 : crl_element_done(s)) : 0;
}

/* One header byte. */
static int
crl_header_byte(struct crl_stream *s, const uint8_t *p)
{
	size_t hlen;
	uint64_t len;
	int r;

	if (s->done)
		return crl_fail(s, "bytes after the end of the CRL");
	if (s->hdr_len == 0 && s->lv[s->depth].ctx == CTX_CERTLIST && s->lv[s->depth].index == 0) {
		s->hashing = 1; /* tbsCertList starts here, header included */
		s->tbs_start = s->pos;
	}
	s->hdr[s->hdr_len++] = *p;
	if (crl_consume(s, p, 1) != 0 || (r = crl_header(s, &hlen, &len)) < 0)
		return -1;
	return r == 0 ? 0 : crl_start_element(s, hlen, len);
}

int
crl_stream_feed(struct crl_stream *s, const uint8_t *p, size_t n)
{
	size_t k;

	if (s->failed)
		return -1;
	s->info.bytes += n;
	while (n > 0) {
		if (s->state == S_HEADER) {
			if (crl_header_byte(s, p) != 0)
				return -1;
			p++;
			n--;
			continue;
		}
		k = s->remaining < n ? (size_t)s->remaining : n;
		if (s->state == S_COLLECT && crl_buf_add(s, &s->elem, p, k) != 0)
			return -1;
		if (crl_consume(s, p, k) != 0)
			return -1;
		p += k;
		n -= k;
		s->remaining -= k;
		if (s->remaining == 0 && ((s->state == S_COLLECT && crl_collected(s) != 0) ||
					     crl_element_done(s) != 0))
			return -1;
	}
	return 0;
}

int
crl_stream_end(struct crl_stream *s)
{
	if (s->failed)
		return -1;
	if (!s->done) {
		snprintf(s->why, sizeof(s->why), "the CRL is truncated (%llu bytes came)",
		    (unsigned long long)s->pos);
		s->failed = 1;
		return -1;
	}
	return 0;
}

/* The whole CRL was held: OpenSSL verifies it. */
static int
crl_verify_whole(struct crl_stream *s, EVP_PKEY *key)
{
	const unsigned char *p = s->held.p;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)s->held.len);
	int ok = crl != NULL && X509_CRL_verify(crl, key) == 1;

	X509_CRL_free(crl);
	ERR_clear_error();
	return ok;
}

/* Over the digest: ECDSA or RSA PKCS#1 v1.5, with the key of the algorithm's type. */
static int
crl_verify_digest(struct crl_stream *s, EVP_PKEY *key)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_PKEY_CTX *ctx = NULL;
	int ok;

	ok = EVP_PKEY_get_base_id(key) ==
		 (s->pkey_nid == NID_X9_62_id_ecPublicKey ? EVP_PKEY_EC : EVP_PKEY_RSA) &&
	     EVP_DigestFinal_ex(s->mctx, md, &mdlen) == 1 && (ctx = EVP_PKEY_CTX_new(key, NULL)) != NULL &&
	     EVP_PKEY_verify_init(ctx) == 1 && EVP_PKEY_CTX_set_signature_md(ctx, s->md) == 1 &&
	     (s->pkey_nid != NID_rsaEncryption || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1) &&
	     EVP_PKEY_verify(ctx, s->sig.p, s->sig.len, md, mdlen) == 1;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

int
crl_stream_verify(struct crl_stream *s, EVP_PKEY *key)
{
	int ok;

	if (s->failed || !s->done || key == NULL)
		return 0;
	if (s->alg.len != s->tbs_alg.len || memcmp(s->alg.p, s->tbs_alg.p, s->alg.len) != 0) {
		snprintf(s->why, sizeof(s->why), "the CRL's two signature algorithms differ");
		return 0;
	}
	if (s->sig_unused != 0) {
		snprintf(s->why, sizeof(s->why), "the CRL's signature is not a whole number of bytes");
		return 0;
	}
	ok = s->info.held_whole ? crl_verify_whole(s, key) : crl_verify_digest(s, key);
	if (!ok)
		snprintf(s->why, sizeof(s->why), "the CRL's signature does not verify with the issuer's key");
	return ok;
}

struct crl_stream *
crl_stream_new(const ASN1_INTEGER *serial, uint64_t max)
{
	struct crl_stream *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->max = max;
	s->keep = 1; /* until the signature algorithm is known */
	s->lv[0] = (struct crl_level){CTX_TOP, CRL_NO_END, 0};
	s->serial_der_len = i2d_ASN1_INTEGER((ASN1_INTEGER *)serial, &s->serial_der);
	if (s->serial_der_len <= 0) {
		free(s);
		return NULL;
	}
	return s;
}

void
crl_stream_free(struct crl_stream *s)
{
	if (s == NULL)
		return;
	X509_NAME_free(s->info.issuer);
	ASN1_TIME_free(s->info.this_update);
	ASN1_TIME_free(s->info.next_update);
	sk_X509_EXTENSION_pop_free(s->info.exts, X509_EXTENSION_free);
	X509_REVOKED_free(s->info.entry);
	EVP_MD_CTX_free(s->mctx);
	OPENSSL_free(s->serial_der);
	crl_buf_free(&s->elem);
	crl_buf_free(&s->held);
	crl_buf_free(&s->entry);
	crl_buf_free(&s->tbs_alg);
	crl_buf_free(&s->alg);
	crl_buf_free(&s->sig);
	free(s);
}

const struct crl_stream_info *
crl_stream_info(const struct crl_stream *s)
{
	return &s->info;
}

const char *
crl_stream_why(const struct crl_stream *s)
{
	return s->why;
}
