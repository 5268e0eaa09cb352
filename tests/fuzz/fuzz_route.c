/*
 * libFuzzer target: request routing from a Host header and a raw path (the
 * first byte splits the input into the two).
 */
#include <stddef.h>
#include <stdint.h>

#include "server/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route r;
	size_t split;

	if (size == 0)
		return 0;
	split = data[0] % size;
	route_request((const char *)data + 1, split > 0 ? split - 1 : 0,
	    (const char *)data + split, size - split, "pki.example", &r);
	route_request(NULL, 0, (const char *)data, size, "", &r);
	return 0;
}
