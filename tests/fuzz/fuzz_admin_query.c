/* libFuzzer target: the admin API's query string (admin/wait.h: ?wait=served&timeout=S). */
#include <stddef.h>
#include <stdint.h>

#include "admin/wait.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e;
	int t;

	(void)admin_wait_query((const char *)data, size, &t, &e);
	return 0;
}
