/* Unit tests for admin/req_bykey: the body of POST /api/v1/revocations/by-key. */
#include "testutil.h"
#include "admin/req_bykey.h"
#include "pki/mint.h"
#include "pki/spki.h"

#include <ctype.h>

#include <openssl/pem.h>

#define NOW 1795860000 /* 2026-11-28T10:00:00Z */

static char pem[4096];
static uint8_t want[STORE_SPKI_HASH_LEN];

static int
setup(void **state)
{
	EVP_PKEY *k;
	BIO *b;
	char *p;
	long n;
	struct err e;

	(void)state;
	k = mint_key(MINT_P256, &e);
	b = BIO_new(BIO_s_mem());
	if (k == NULL || b == NULL || PEM_write_bio_PUBKEY(b, k) != 1)
		return -1;
	n = BIO_get_mem_data(b, &p);
	memcpy(pem, p, (size_t)n);
	pem[n] = '\0';
	BIO_free(b);
	EVP_PKEY_free(k);
	return spki_hash_input((const uint8_t *)pem, strlen(pem), want, &e);
}

static int
decode(const char *body, struct admin_bykey *r, struct err *e)
{
	return admin_bykey_decode((const uint8_t *)body, strlen(body), NOW, r, e);
}

static void
refused(const char *body, const char *msg)
{
	struct admin_bykey r;
	struct err e;

	assert_int_equal(decode(body, &r, &e), -1);
	if (strstr(e.msg, msg) == NULL)
		fail_msg("for %s\n  got:  %s\n  want: ...%s...", body, e.msg, msg);
	assert_null(strchr(e.msg, '\n'));
}

/* The JSON escaping of the PEM (its newlines). */
static void
json_key(char *out, size_t len, const char *extra)
{
	size_t k = (size_t)snprintf(out, len, "{\"key\": \"");

	for (const char *p = pem; *p != '\0' && k + 4 < len; p++) {
		if (*p == '\n') {
			out[k++] = '\\';
			out[k++] = 'n';
		} else {
			out[k++] = *p;
		}
	}
	snprintf(out + k, len - k, "\"%s}", extra);
}

static void
test_forms(void **state)
{
	char body[8192], hex[SPKI_HEX_LEN + 1];
	struct admin_bykey r;
	struct err e;

	(void)state;
	/* The key in JSON, the date defaulting to the request's time. */
	json_key(body, sizeof(body), "");
	assert_int_equal(decode(body, &r, &e), 0);
	assert_memory_equal(r.spki, want, sizeof(want));
	assert_int_equal(r.date, NOW);
	assert_int_equal(r.has_date, 0);
	/* With a date. */
	json_key(body, sizeof(body), ", \"date\": \"2026-11-01T00:00:00Z\"");
	assert_int_equal(decode(body, &r, &e), 0);
	assert_int_equal(r.has_date, 1);
	assert_int_equal(r.date, 1793491200);
	/* The hash itself, either case. */
	spki_hex(want, hex);
	snprintf(body, sizeof(body), " {\"spki_sha256\": \"%s\"}", hex);
	assert_int_equal(decode(body, &r, &e), 0);
	assert_memory_equal(r.spki, want, sizeof(want));
	for (char *p = hex; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	snprintf(body, sizeof(body), "{\"spki_sha256\": \"%s\", \"date\": \"2026-11-01T00:00:00Z\"}",
	    hex);
	assert_int_equal(decode(body, &r, &e), 0);
	assert_memory_equal(r.spki, want, sizeof(want));
	assert_int_equal(r.date, 1793491200);
	/* The PEM as the whole body. */
	assert_int_equal(decode(pem, &r, &e), 0);
	assert_memory_equal(r.spki, want, sizeof(want));
	assert_int_equal(r.date, NOW);
}

static void
test_refused(void **state)
{
	char body[8192], hex[SPKI_HEX_LEN + 1];

	(void)state;
	refused("{", "not valid JSON");
	refused("{} x", "not valid JSON");
	refused("{}", "\"key\" (a PEM public key or certificate) or \"spki_sha256\": missing");
	refused("{\"key\": 1}", "\"key\": expected a string");
	refused("{\"key\": \"\"}", "\"key\": empty");
	refused("{\"key\": \"abc\"}", "\"key\": neither a public key nor a certificate");
	refused("{\"kee\": \"abc\"}", "unknown member \"kee\" (known: key, spki_sha256, date)");
	refused("{\"spki_sha256\": \"abc\"}", "\"spki_sha256\": a SHA-256 is 64 hex digits");
	spki_hex(want, hex);
	snprintf(body, sizeof(body), "{\"spki_sha256\": \"%s\", \"spki_sha256\": \"%s\"}", hex, hex);
	refused(body, "not valid JSON");
	snprintf(body, sizeof(body), "{\"spki_sha256\": \"%s\\u0000\"}", hex);
	refused(body, "not valid JSON");
	snprintf(body, sizeof(body), "{\"spki_sha256\": \"%s\", \"date\": \"yesterday\"}", hex);
	refused(body, "\"date\"");
	snprintf(body, sizeof(body), "{\"spki_sha256\": \"%s\", \"date\": \"2026-11-01T00:00:00Z\\n\"}",
	    hex);
	refused(body, "\"date\": control characters are not allowed");
	json_key(body, sizeof(body), ", \"spki_sha256\": \"00\"");
	refused(body, "\"key\" and \"spki_sha256\": give one");
	refused("[]", "neither a public key nor a certificate"); /* not an object: a raw body */
	refused("{\"key\": [1]}", "\"key\": expected a string");
	refused(" {} ", "missing");
	refused("", "empty");
	refused("not a key", "neither a public key nor a certificate");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forms),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
