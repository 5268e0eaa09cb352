/*
 * libFuzzer target: OCSP requests as clients send them, through both entry
 * points the server uses: the GET path decoder and the DER parser (POST), and
 * the answer path over an empty index.
 */
#include <stddef.h>
#include <stdint.h>

#include "ocsp/answer.h"
#include "ocsp/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ocsp_index *ix;
	struct ocsp_view v;
	struct ocsp_answer a;
	uint8_t der[OCSP_GET_DER_MAX];
	struct ocsp_query q;
	size_t len;

	if (ix == NULL)
		ix = ocsp_index_new(NULL);
	v = (struct ocsp_view){NULL, ix};
	if (ocsp_request_from_get((const char *)data, size, der, &len) == OCSP_REQUEST_OK)
		(void)ocsp_request_parse(der, len, &q);
	(void)ocsp_request_parse(data, size, &q);
	ocsp_answer_der(&v, data, size, 0, &a);
	ocsp_answer_get(&v, (const char *)data, size, 0, &a);
	return 0;
}
