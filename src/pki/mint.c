/*
 * mint.c - see mint.h.
 */
#include "pki/mint.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pki/serial.h"
#include "pki/sigctx.h"
#include "util/fsutil.h"

EVP_PKEY *
mint_key(enum mint_key_type type, struct err *e)
{
	EVP_PKEY *k = NULL;

	switch (type) {
	case MINT_P256:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case MINT_P384:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case MINT_RSA2048:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case MINT_ED25519:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	}
	if (k == NULL)
		err_ossl(e, "key generation failed");
	return k;
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;

	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static int
set_serial(X509 *x, const uint8_t *serial, size_t len)
{
	ASN1_INTEGER *ai = serial_to_asn1(serial, len);
	int ok = ai != NULL && X509_set_serialNumber(x, ai) == 1;

	ASN1_INTEGER_free(ai);
	return ok ? 0 : -1;
}

static int
add_extensions(X509 *x, const struct mint_cert *m)
{
	X509V3_CTX ctx;
	char buf[2048];

	X509V3_set_ctx(&ctx, m->issuer != NULL ? m->issuer : x, x, NULL, NULL, 0);
	if (m->ca) {
		if (m->pathlen >= 0)
			snprintf(buf, sizeof(buf), "critical,CA:TRUE,pathlen:%d", m->pathlen);
		else
			snprintf(buf, sizeof(buf), "critical,CA:TRUE");
		if (add_ext(x, &ctx, NID_basic_constraints, buf) != 0 ||
		    add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"))
			return -1;
	} else {
		if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
		    add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") != 0 ||
		    add_ext(x, &ctx, NID_ext_key_usage, "serverAuth,clientAuth") != 0)
			return -1;
	}
	if (add_ext(x, &ctx, NID_subject_key_identifier, "hash") != 0)
		return -1;
	if (m->issuer != NULL && add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always"))
		return -1;
	if (m->san != NULL && add_ext(x, &ctx, NID_subject_alt_name, m->san) != 0)
		return -1;
	if (m->ocsp_url != NULL || m->ca_issuers_url != NULL) {
		snprintf(buf, sizeof(buf), "%s%s%s%s%s", m->ocsp_url ? "OCSP;URI:" : "",
		    m->ocsp_url ? m->ocsp_url : "", m->ocsp_url && m->ca_issuers_url ? "," : "",
		    m->ca_issuers_url ? "caIssuers;URI:" : "",
		    m->ca_issuers_url ? m->ca_issuers_url : "");
		if (add_ext(x, &ctx, NID_info_access, buf) != 0)
			return -1;
	}
	if (m->crl_url != NULL) {
		snprintf(buf, sizeof(buf), "URI:%s", m->crl_url);
		if (add_ext(x, &ctx, NID_crl_distribution_points, buf) != 0)
			return -1;
	}
	return 0;
}

static int
add_names(X509 *x, const struct mint_cert *m)
{
	X509_NAME *n = X509_get_subject_name(x);

	if (m->organization != NULL &&
	    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
		(const unsigned char *)m->organization, -1, -1, 0) != 1)
		return -1;
	if (X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
		(const unsigned char *)m->common_name, -1, -1, 0) != 1)
		return -1;
	return X509_set_issuer_name(x, m->issuer != NULL ? X509_get_subject_name(m->issuer) : n) ==
		       1
		   ? 0
		   : -1;
}

X509 *
mint_certificate(const struct mint_cert *m, struct err *e)
{
	X509 *x = X509_new();
	const EVP_MD *md = sigctx_md(m->issuer_key);

	if (x == NULL || X509_set_version(x, X509_VERSION_3) != 1 ||
	    set_serial(x, m->serial, m->serial_len) != 0 ||
	    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)m->not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)m->not_after) == NULL ||
	    X509_set_pubkey(x, m->subject_key) != 1 || add_names(x, m) != 0 ||
	    add_extensions(x, m) != 0 || X509_sign(x, m->issuer_key, md) <= 0) {
		err_ossl(e, "cannot make the certificate for %s", m->common_name);
		X509_free(x);
		return NULL;
	}
	return x;
}

static int
write_bio(const char *path, BIO *b, mode_t mode, struct err *e)
{
	char *data;
	long len = BIO_get_mem_data(b, &data);

	return fs_write_atomic(path, data, (size_t)len, mode, e);
}

int
mint_write_cert_pem(const char *path, X509 *const *certs, size_t n, struct err *e)
{
	BIO *b = BIO_new(BIO_s_mem());
	int rc = -1;

	if (b == NULL)
		return err_set(e, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (PEM_write_bio_X509(b, certs[i]) != 1) {
			err_ossl(e, "%s", path);
			goto out;
		}
	}
	rc = write_bio(path, b, 0644, e);
out:
	BIO_free(b);
	return rc;
}

int
mint_write_key_pem(const char *path, EVP_PKEY *key, struct err *e)
{
	BIO *b = BIO_new(BIO_s_secmem());
	int rc;

	if (b == NULL || PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1) {
		BIO_free(b);
		return err_ossl(e, "%s", path);
	}
	rc = write_bio(path, b, 0600, e);
	BIO_free(b);
	return rc;
}
