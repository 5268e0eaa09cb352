/*
 * libFuzzer target: certificate files as CAs hand them over: the PEM/DER
 * framing reader, then the fast field reader on each framed certificate.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "pki/cert.h"
#include "pki/certparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
		if (rc == 1)
			(void)certparse(der, len, &c);
	}
	cert_reader_free(&r);
	return 0;
}
