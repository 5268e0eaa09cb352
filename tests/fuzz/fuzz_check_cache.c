/*
 * libFuzzer target: what `lancre check` reads back from its cache directory
 * (check/cache.h) -- an entry file, which may be truncated, garbage or
 * written by anyone who could write the directory -- and a Cache-Control
 * header value (from any HTTP server a certificate names).  The parse must
 * never read outside the buffer, and a body it returns must lie inside it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check/cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char key[CHECK_CACHE_KEY_LEN], why[256], *s;
	const uint8_t *body = NULL;
	size_t blen = 0;
	int64_t exp;
	long max_age;
	int no_store;

	check_cache_key("ocsp", "http://o/x", NULL, 0, key);
	if (check_cache_parse(data, size, key, 1800000000, &body, &blen, &exp, why, sizeof(why)) == 0 &&
	    (body < data || body + blen != data + size || exp <= 1800000000))
		abort(); /* the body is the rest of the buffer, and not expired */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_cache_control(s, &max_age, &no_store);
	if (max_age < -1 || max_age > CHECK_CACHE_MAX_SECONDS || (no_store != 0 && no_store != 1))
		abort();
	free(s);
	return 0;
}
