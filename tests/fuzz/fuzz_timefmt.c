/* libFuzzer target: RFC 3339 dates and hex serials typed on the command line. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pki/serial.h"
#include "util/timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256];
	uint8_t ex[64], ca[64];
	size_t el, cl;
	int64_t t;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)timefmt_parse(s, &t, NULL);
	(void)serial_parse_hex(s, ex, &el, ca, &cl, sizeof(ex), NULL);
	return 0;
}
