/*
 * cert.c - see cert.h.
 *
 * PEM is decoded here with EVP_DecodeUpdate rather than PEM_read_bio_X509
 * because a bundle of a million certificates should not go through a BIO and
 * a full X509 parse twice: the reader only frames and decodes, and the caller
 * parses each DER once (on whichever thread it likes).
 */
#include "pki/cert.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pki/certparse.h"
#include "pki/serial.h"
#include "util/base64.h"
#include "util/fsutil.h"
#include "util/timefmt.h"

static const char pem_begin[] = "-----BEGIN ";
static const char pem_end[] = "-----END ";
static const char pem_pkcs7[] = "PKCS7-----";
static const char *const pem_cert_labels[] = {
    "CERTIFICATE-----", "X509 CERTIFICATE-----", "TRUSTED CERTIFICATE-----",
};

void
cert_reader_init(struct cert_reader *r, const uint8_t *data, size_t len)
{
	const uint8_t *p = data, *end = data + len;

	memset(r, 0, sizeof(*r));
	r->data = r->p = data;
	r->end = end;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	r->pem = (size_t)(end - p) >= sizeof(pem_begin) - 1 &&
		 memcmp(p, pem_begin, sizeof(pem_begin) - 1) == 0;
	if (!r->pem) {
		/* Text before the first block ("Bag Attributes", comments) is common in bundles. */
		r->pem = memmem(data, len, pem_begin, sizeof(pem_begin) - 1) != NULL && *p != 0x30;
	}
}

void
cert_reader_free(struct cert_reader *r)
{
	OPENSSL_free(r->buf);
	r->buf = NULL;
	pkcs7_certs_free(&r->p7);
}

int
cert_reader_may_hold_certs(const struct cert_reader *r)
{
	return r->pem || (r->end > r->data && r->data[0] == 0x30);
}

size_t
cert_reader_offset(const struct cert_reader *r)
{
	return (size_t)(r->p - r->data);
}

/* Length of the DER TLV at p (header included), or 0 if it is not a complete SEQUENCE. */
static size_t
der_sequence_len(const uint8_t *p, size_t avail)
{
	size_t len, hdr;

	if (avail < 2 || p[0] != 0x30)
		return 0;
	if (p[1] < 0x80) {
		len = p[1];
		hdr = 2;
	} else {
		size_t nbytes = p[1] & 0x7f;
		if (nbytes == 0 || nbytes > 3 || avail < 2 + nbytes)
			return 0;
		len = 0;
		for (size_t i = 0; i < nbytes; i++)
			len = len << 8 | p[2 + i];
		hdr = 2 + nbytes;
	}
	if (len > avail - hdr)
		return 0;
	return hdr + len;
}

static int
is_cert_label(const uint8_t *p, const uint8_t *end)
{
	for (size_t i = 0; i < sizeof(pem_cert_labels) / sizeof(pem_cert_labels[0]); i++) {
		size_t n = strlen(pem_cert_labels[i]);
		if ((size_t)(end - p) >= n && memcmp(p, pem_cert_labels[i], n) == 0)
			return 1;
	}
	return 0;
}

/*
 * The block that starts at begin (its "-----BEGIN " line) and what follows it:
 * *stop is its END line, or NULL when another BEGIN (or the end of the
 * input) comes first, i.e. the block lost its END line.
 */
static const uint8_t *
pem_block_end(const uint8_t *body, const uint8_t *end, const uint8_t **next_begin)
{
	const uint8_t *stop = memmem(body, (size_t)(end - body), pem_end, sizeof(pem_end) - 1);
	const uint8_t *nb = memmem(body, (size_t)((stop ? stop : end) - body), pem_begin,
	    sizeof(pem_begin) - 1);

	*next_begin = nb;
	return nb != NULL ? NULL : stop;
}

/* Decode the base64 between body (the BEGIN line) and stop (the END line). */
static int
pem_decode(struct cert_reader *r, const uint8_t *body, const uint8_t *stop, size_t max,
    size_t *len, struct err *e)
{
	EVP_ENCODE_CTX *ctx;
	int outl = 0, fin = 0, ok;

	body = memchr(body, '\n', (size_t)(stop - body));
	if (body == NULL || (size_t)(stop - body) > max * 2)
		return err_set(e, "malformed PEM block");
	OPENSSL_free(r->buf);
	r->buf = OPENSSL_malloc((size_t)(stop - body));
	if (r->buf != NULL && base64_decode_plain(body, (size_t)(stop - body), r->buf, len) == 0)
		return 0; /* the usual form (util/base64.h); anything else as OpenSSL reads it */
	ctx = EVP_ENCODE_CTX_new();
	if (r->buf == NULL || ctx == NULL) {
		EVP_ENCODE_CTX_free(ctx);
		return err_set(e, "out of memory");
	}
	EVP_DecodeInit(ctx);
	ok = EVP_DecodeUpdate(ctx, r->buf, &outl, body, (int)(stop - body)) >= 0 &&
	     EVP_DecodeFinal(ctx, r->buf + outl, &fin) == 1;
	EVP_ENCODE_CTX_free(ctx);
	if (!ok)
		return err_set(e, "bad base64 in PEM block");
	*len = (size_t)(outl + fin);
	return 0;
}

/*
 * PEM frames itself, so a bad certificate block is reported (counted as a
 * certificate, -1) and reading goes on at the next block: one damaged block
 * in a bundle of a million costs that one certificate, never the rest.  A
 * block without its END line ends where the next BEGIN starts.
 */
/*
 * A PKCS#7 bundle at der: its certificates are queued for cert_reader_next.
 * A bundle that cannot be read counts as one certificate refused.
 */
static int
load_pkcs7(struct cert_reader *r, const uint8_t *der, size_t len, struct err *e)
{
	pkcs7_certs_free(&r->p7);
	r->p7_next = 0;
	if (pkcs7_certs_read(der, len, &r->p7, e) != 0) {
		r->index++;
		return -1;
	}
	return 0;
}

static int
next_pem(struct cert_reader *r, struct err *e)
{
	const uint8_t *begin, *body, *stop, *next;
	int p7;
	size_t len = 0;

	for (;;) {
		begin = memmem(r->p, (size_t)(r->end - r->p), pem_begin, sizeof(pem_begin) - 1);
		if (begin == NULL) {
			r->p = r->end;
			return 0;
		}
		body = begin + sizeof(pem_begin) - 1;
		stop = pem_block_end(body, r->end, &next);
		p7 = (size_t)(r->end - body) >= sizeof(pem_pkcs7) - 1 &&
		     memcmp(body, pem_pkcs7, sizeof(pem_pkcs7) - 1) == 0;
		if (!p7 && !is_cert_label(body, r->end)) {
			/* A key, CRL or other block: skip it (to the next BEGIN if it has no END). */
			r->p = stop != NULL ? stop + sizeof(pem_end) - 1 : next != NULL ? next : r->end;
			continue;
		}
		break;
	}
	if (stop == NULL) {
		r->index++;
		r->p = next != NULL ? next : r->end;
		return err_set(e, "PEM block without an END line");
	}
	r->p = stop + sizeof(pem_end) - 1;
	if (pem_decode(r, body, stop, p7 ? PKCS7_DER_MAX : CERT_DER_MAX, &len, e) != 0) {
		r->index++;
		return -1;
	}
	if (p7)
		return load_pkcs7(r, r->buf, len, e) == 0 ? 2 : -1;
	r->index++;
	r->cur = r->buf;
	r->cur_len = len;
	return 1;
}

/* DER: certificates back to back, any of them possibly a PKCS#7 bundle. */
static int
next_der(struct cert_reader *r, struct err *e)
{
	size_t n;

	if (r->p >= r->end)
		return 0;
	n = der_sequence_len(r->p, (size_t)(r->end - r->p));
	if (n == 0 || (n > CERT_DER_MAX && !pkcs7_is_signed_data(r->p, n))) {
		r->index++;
		err_set(e, "not DER or PEM (truncated or garbage at byte %zu); the rest of the "
			   "input was not read", cert_reader_offset(r));
		r->p = r->end; /* stop: nothing after unframed DER bytes can be trusted */
		return -1;
	}
	r->p += n;
	if (pkcs7_is_signed_data(r->p - n, n))
		return load_pkcs7(r, r->p - n, n, e) == 0 ? 2 : -1;
	r->index++;
	r->cur = r->p - n;
	r->cur_len = n;
	return 1;
}

int
cert_reader_next(struct cert_reader *r, const uint8_t **der, size_t *len, struct err *e)
{
	int rc;

	for (;;) {
		if (r->p7_next < r->p7.n) { /* certificates of a PKCS#7 bundle first */
			*der = r->p7.der[r->p7_next];
			*len = r->p7.len[r->p7_next++];
			r->index++;
			return 1;
		}
		rc = r->pem ? next_pem(r, e) : next_der(r, e);
		if (rc != 2)
			break; /* 2: a bundle was loaded (maybe empty): take from it */
	}
	if (rc == 1) {
		*der = r->cur;
		*len = r->cur_len;
	}
	return rc;
}

int
cert_time(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = timefmt_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	return 0;
}

int
cert_is_ca(X509 *x)
{
	/* X509_check_ca also counts v1 self-signed roots and keyCertSign-only certificates. */
	return X509_check_ca(x) != 0;
}

/*
 * RFC 2253 escapes every byte above 0x7f (\E8\AA\8D for a CJK character);
 * where the locale's character set is UTF-8 the name is printed as UTF-8
 * instead (every string type converted to it), control characters and the
 * RFC 2253 specials still escaped.
 */
static unsigned long
cert_name_flags(void)
{
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		return XN_FLAG_RFC2253;
	return (XN_FLAG_RFC2253 & ~(unsigned long)ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT;
}

void
cert_name_line(const X509_NAME *n, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long dlen;

	if (b == NULL || X509_NAME_print_ex(b, n, 0, cert_name_flags()) < 0) {
		snprintf(buf, len, "?");
		BIO_free(b);
		return;
	}
	dlen = BIO_get_mem_data(b, &data);
	snprintf(buf, len, "%.*s", (int)dlen, data);
	BIO_free(b);
}

int
cert_record_from_x509(X509 *x, const uint8_t *der, size_t len, struct cert_record *out,
    struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (serial_from_asn1(X509_get0_serialNumber(x), out->serial, STORE_SERIAL_MAX,
		&out->serial_len, e) != 0)
		return -1;
	if (cert_time(X509_get0_notBefore(x), &out->not_before) != 0 ||
	    cert_time(X509_get0_notAfter(x), &out->not_after) != 0)
		return err_set(e, "unreadable validity dates");
	if (out->not_after < out->not_before)
		return err_set(e, "notAfter is before notBefore");
	if (EVP_Digest(der, len, out->fingerprint, NULL, EVP_sha256(), NULL) != 1)
		return err_ossl(e, "hashing the certificate");
	if (cert_spki_sha256(der, len, out->spki_sha256, e) != 0) {
		/* Framing beyond the DER walker (util/der.h): OpenSSL's own encoding of the key. */
		unsigned char *spki = NULL;
		int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);

		if (n <= 0 || EVP_Digest(spki, (size_t)n, out->spki_sha256, NULL, EVP_sha256(),
				  NULL) != 1) {
			OPENSSL_free(spki);
			return err_ossl(e, "hashing the public key");
		}
		OPENSSL_free(spki);
	}
	out->has_spki = 1;
	out->status = CERT_GOOD;
	return 0;
}

int
cert_spki_sha256(const uint8_t *der, size_t len, uint8_t out[STORE_SPKI_HASH_LEN],
    struct err *e)
{
	const uint8_t *spki;
	size_t spki_len;

	if (certparse_spki(der, len, &spki, &spki_len) != 0)
		return err_set(e, "cannot find the certificate's public key (SubjectPublicKeyInfo)");
	if (EVP_Digest(spki, spki_len, out, NULL, EVP_sha256(), NULL) != 1)
		return err_ossl(e, "hashing the public key");
	return 0;
}

X509 *
cert_parse(const uint8_t *data, size_t len, struct err *e)
{
	struct cert_reader r;
	const uint8_t *der, *p;
	size_t dlen;
	X509 *x = NULL;
	int rc;

	cert_reader_init(&r, data, len);
	rc = cert_reader_next(&r, &der, &dlen, e);
	if (rc == 0)
		err_set(e, "no certificate found");
	if (rc == 1) {
		p = der;
		x = d2i_X509(NULL, &p, (long)dlen);
		if (x == NULL)
			err_ossl(e, "not a valid X.509 certificate");
		else if (p != der + dlen) {
			X509_free(x);
			x = NULL;
			err_set(e, "trailing bytes inside the certificate");
		}
	}
	cert_reader_free(&r);
	return x;
}

int
cert_file_der(const char *path, size_t max, unsigned char **der, int *derlen, X509 **keep,
    struct err *e)
{
	uint8_t *data;
	size_t len;
	X509 *x;

	if (der != NULL)
		*der = NULL;
	if (keep != NULL)
		*keep = NULL;
	if (fs_read_all(path, max, &data, &len, e) != 0)
		return -1;
	x = cert_parse(data, len, e);
	free(data);
	if (x == NULL)
		return err_prefix(e, "%s", path);
	if (der != NULL && (*derlen = i2d_X509(x, der)) <= 0) {
		X509_free(x);
		*der = NULL;
		err_ossl(e, "encoding the certificate");
		return err_prefix(e, "%s", path);
	}
	if (keep != NULL)
		*keep = x;
	else
		X509_free(x);
	return 0;
}
