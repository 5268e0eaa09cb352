/* libFuzzer target: the bodies of POST /api/v1/revocations/by-key (admin/req_bykey.h):
 * JSON, or a public key or certificate in PEM or DER (pki/spki.h). */
#include <stddef.h>
#include <stdint.h>

#include "admin/req_bykey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct admin_bykey r;
	struct err e;

	(void)admin_bykey_decode(data, size, 1795860000, &r, &e);
	return 0;
}
