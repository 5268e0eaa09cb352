/* libFuzzer target: index.txt as `openssl ca` writes it (import/openssl_index.h). */
#include <stddef.h>
#include <stdint.h>

#include "import/openssl_index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct openssl_index_reader r;
	struct openssl_index_entry ent;
	struct err e;

	openssl_index_init(&r, (const char *)data, size);
	while (openssl_index_next(&r, &ent, &e) == 1)
		;
	return 0;
}
