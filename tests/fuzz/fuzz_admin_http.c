/*
 * libFuzzer target: the head of an answer from the public listener, as
 * ?wait=served reads it (admin/served.h: admin_http_head_parse).
 */
#include <stddef.h>
#include <stdint.h>

#include "admin/served.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct admin_http_head h;

	if (admin_http_head_parse(data, size, &h) == 1 &&
	    (h.head_len > size || h.head_len < 16 || h.etag[sizeof(h.etag) - 1] != '\0'))
		__builtin_trap(); /* a head past the bytes given, or an ETag not terminated */
	return 0;
}
