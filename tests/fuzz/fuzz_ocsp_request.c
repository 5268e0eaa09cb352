/*
 * libFuzzer target: OCSP requests as clients send them, through both entry
 * points the server uses: the GET path decoder and the DER parser (POST), and
 * the answer path over an empty index.  The hand-read fast path of the DER
 * parser must agree with OpenSSL's parse on every input: a disagreement
 * aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ocsp/answer.h"
#include "ocsp/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
agree(const uint8_t *der, size_t len)
{
	if (!ocsp_request_parsers_agree(der, len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ocsp_index *ix;
	struct ocsp_view v;
	struct ocsp_answer a;
	uint8_t der[OCSP_GET_DER_MAX];
	size_t len;

	if (ix == NULL)
		ix = ocsp_index_new(NULL);
	v = (struct ocsp_view){NULL, ix};
	if (ocsp_request_from_get((const char *)data, size, der, &len) == OCSP_REQUEST_OK)
		agree(der, len);
	agree(data, size);
	ocsp_answer_der(&v, data, size, 0, &a);
	ocsp_answer_get(&v, (const char *)data, size, 0, &a);
	return 0;
}
