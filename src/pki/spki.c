/*
 * spki.c - see spki.h.
 */
#include "pki/spki.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pki/cert.h"
#include "pki/serial.h"

static int
hash(const uint8_t *p, size_t n, uint8_t out[STORE_SPKI_HASH_LEN], struct err *e)
{
	if (EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL) != 1)
		return err_ossl(e, "hashing the public key");
	return 0;
}

/* A DER certificate, whole: 1 (hashed), 0 not one, -1 error. */
static int
from_cert(const uint8_t *der, size_t len, uint8_t out[STORE_SPKI_HASH_LEN], struct err *e)
{
	const uint8_t *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	int whole = x != NULL && p == der + len;

	X509_free(x);
	ERR_clear_error();
	if (!whole)
		return 0;
	return cert_spki_sha256(der, len, out, e) == 0 ? 1 : -1;
}

/* A DER SubjectPublicKeyInfo, whole and a key OpenSSL decodes: 1 (hashed), 0 not one. */
static int
from_spki(const uint8_t *der, size_t len, uint8_t out[STORE_SPKI_HASH_LEN], struct err *e)
{
	const uint8_t *p = der;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)len);
	int whole = k != NULL && p == der + len;

	EVP_PKEY_free(k);
	ERR_clear_error();
	if (!whole)
		return 0;
	return hash(der, len, out, e) == 0 ? 1 : -1;
}

/* PKCS#1 RSAPublicKey, as a certificate would carry it (i2d_PUBKEY: rsaEncryption, NULL). */
static int
from_pkcs1(const uint8_t *der, size_t len, uint8_t out[STORE_SPKI_HASH_LEN], struct err *e)
{
	const uint8_t *p = der;
	EVP_PKEY *k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	unsigned char *spki = NULL;
	int n, rc;

	if (k == NULL || p != der + len) {
		EVP_PKEY_free(k);
		ERR_clear_error();
		return err_set(e, "an RSA PUBLIC KEY block that does not decode");
	}
	n = i2d_PUBKEY(k, &spki);
	EVP_PKEY_free(k);
	if (n <= 0)
		return err_ossl(e, "encoding the RSA public key");
	rc = hash(spki, (size_t)n, out, e);
	OPENSSL_free(spki);
	return rc;
}

static int
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A PEM label as an error may quote it: short and printable, else "?". */
static const char *
label(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 40)
		return "?";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] >= 0x7f)
			return "?";
	return name;
}

static int
from_pem(const uint8_t *data, size_t len, uint8_t out[STORE_SPKI_HASH_LEN], struct err *e)
{
	BIO *b = BIO_new_mem_buf(data, (int)len);
	char *name = NULL, *header = NULL, *name2 = NULL, *header2 = NULL;
	unsigned char *der = NULL, *der2 = NULL;
	long n = 0, n2 = 0;
	int rc = -1;

	if (b == NULL)
		return err_set(e, "out of memory");
	if (!PEM_read_bio(b, &name, &header, &der, &n)) {
		err_set(e, "PEM that does not decode (bad base64, or no END line)");
		goto out;
	}
	/* One key or certificate: a second block would leave which one unsaid. */
	if (PEM_read_bio(b, &name2, &header2, &der2, &n2)) {
		err_set(e, "more than one PEM block (%s, then %s): give one public key or "
			   "certificate", label(name), label(name2));
		goto out;
	}
	if (strcmp(name, "PUBLIC KEY") == 0) {
		if ((rc = from_spki(der, (size_t)n, out, e)) == 0)
			rc = err_set(e, "a PUBLIC KEY block that does not decode");
	} else if (strcmp(name, "CERTIFICATE") == 0) {
		if ((rc = from_cert(der, (size_t)n, out, e)) == 0)
			rc = err_set(e, "a CERTIFICATE block that does not decode");
	} else if (strcmp(name, "RSA PUBLIC KEY") == 0) {
		rc = from_pkcs1(der, (size_t)n, out, e) == 0 ? 1 : -1;
	} else if (strstr(name, "PRIVATE KEY") != NULL) {
		err_set(e, "a private key: give its public key (`openssl pkey -pubout`) or a "
			   "certificate; a private key is never sent or read");
	} else {
		err_set(e, "a PEM %s block: give a PUBLIC KEY or a CERTIFICATE", label(name));
	}
	rc = rc > 0 ? 0 : -1;
out:
	ERR_clear_error();
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	OPENSSL_free(name2);
	OPENSSL_free(header2);
	OPENSSL_free(der2);
	BIO_free(b);
	return rc;
}

int
spki_hash_input(const uint8_t *data, size_t len, uint8_t out[STORE_SPKI_HASH_LEN],
    struct err *e)
{
	size_t i = 0;
	int rc;

	if (len > SPKI_INPUT_MAX)
		return err_set(e, "%zu bytes: more than any key or certificate (at most %d)", len,
		    SPKI_INPUT_MAX);
	while (i < len && is_space(data[i]))
		i++;
	if (i == len)
		return err_set(e, "empty: give a public key or a certificate (PEM or DER)");
	if (len - i >= 11 && memcmp(data + i, "-----BEGIN ", 11) == 0)
		return from_pem(data + i, len - i, out, e);
	if ((rc = from_cert(data, len, out, e)) == 0)
		rc = from_spki(data, len, out, e);
	if (rc == 0)
		return err_set(e, "neither a public key nor a certificate (PEM or DER)");
	return rc > 0 ? 0 : -1;
}

void
spki_hex(const uint8_t h[STORE_SPKI_HASH_LEN], char out[SPKI_HEX_LEN + 1])
{
	serial_to_hex(h, STORE_SPKI_HASH_LEN, out, SPKI_HEX_LEN + 1);
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
spki_parse_hex(const char *s, uint8_t h[STORE_SPKI_HASH_LEN], struct err *e)
{
	if (strlen(s) != SPKI_HEX_LEN)
		return err_set(e, "a SHA-256 is %d hex digits", SPKI_HEX_LEN);
	for (int i = 0; i < STORE_SPKI_HASH_LEN; i++) {
		int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return err_set(e, "a SHA-256 is %d hex digits", SPKI_HEX_LEN);
		h[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
