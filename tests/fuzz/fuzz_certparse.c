/*
 * libFuzzer target: certificate files as CAs hand them over: the PEM/DER
 * framing reader, then the fast field reader on each framed certificate,
 * and for a precertificate (certparse's flag) what intake does with one:
 * the poison's checks and the TBS hash of pki/precert.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/err.h>

#include "pki/cert.h"
#include "pki/certparse.h"
#include "pki/precert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
precert(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	uint8_t tbs[PRECERT_TBS_LEN];
	struct err e;

	if (x != NULL && precert_poisoned(x, &e) >= 0)
		(void)precert_tbs_sha256(x, tbs, &e);
	X509_free(x);
	ERR_clear_error();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cert_reader r;
	struct cert_parsed c;
	const uint8_t *der;
	size_t len;
	struct err e;

	(void)certparse(data, size, &c);
	cert_reader_init(&r, data, size);
	for (;;) { /* on after errors, as intake reads: each call must make progress */
		size_t before = cert_reader_offset(&r), p7_before = r.p7_next;
		int rc = cert_reader_next(&r, &der, &len, &e);
		if (rc == 0)
			break;
		if (cert_reader_offset(&r) <= before && r.p7_next <= p7_before)
			abort();
		if (rc == 1 && certparse(der, len, &c) == 0 && c.precert)
			precert(der, len);
	}
	cert_reader_free(&r);
	return 0;
}
