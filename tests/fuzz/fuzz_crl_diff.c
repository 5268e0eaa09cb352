/*
 * libFuzzer target: the CRL diff (explain/crldiff.h) on two CRLs cut from
 * the input (the first two bytes give the older CRL's length), with an
 * expiry lookup that knows every other serial, so the allowed, refused and
 * "cannot tell" removals are all reached.
 */
#include <stddef.h>
#include <stdint.h>

#include "explain/crldiff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
expiry(void *arg, const ASN1_INTEGER *serial, int64_t *out, struct err *e)
{
	(void)arg;
	(void)e;
	*out = ASN1_INTEGER_get(serial) * 86400;
	return ASN1_INTEGER_get(serial) % 2 == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crldiff d;
	struct err e;
	size_t split;

	if (size < 2)
		return 0;
	split = (size_t)data[0] << 8 | data[1];
	if (split > size - 2)
		split = (size - 2) / 2;
	if (crldiff_compute(data + 2, split, data + 2 + split, size - 2 - split, expiry, NULL, &d,
		&e) == 0)
		crldiff_free(&d);
	return 0;
}
