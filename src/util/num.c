/*
 * num.c - see num.h.
 */
#include "util/num.h"

#include <errno.h>
#include <stdlib.h>

int
num_parse(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
num_parse_int(const char *s, int min, int max, int *out)
{
	unsigned long long v;

	if (min < 0 || num_parse(s, (unsigned long long)min, (unsigned long long)max, &v) != 0)
		return -1;
	*out = (int)v;
	return 0;
}
