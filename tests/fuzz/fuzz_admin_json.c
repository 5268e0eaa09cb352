/* libFuzzer target: the JSON bodies of the admin API (admin/req_revoke.h). */
#include <stddef.h>
#include <stdint.h>

#include "admin/req_revoke.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct admin_revocations r;
	struct err e;

	if (admin_revocations_decode(data, size, 1795860000, &r, &e) == 0)
		admin_revocations_free(&r);
	return 0;
}
