/*
 * tool.h - what the benchmark tools (tools/) share: strict number
 * options and usage errors.  Header-only: each tool is one file and one
 * binary (the Makefile builds each tools/ source as its own program).
 */
#ifndef LANCRE_TOOLS_TOOL_H
#define LANCRE_TOOLS_TOOL_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/err.h"

/* A decimal number in [min, max], nothing else (no sign, no spaces, no suffix): 0 or -1. */
static inline int
tool_parse_num(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static inline int tool_usage(const char *prog, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "prog: <message>", then the usage text, on stderr; returns EXIT_USAGE. */
static inline int
tool_usage(const char *prog, const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage);
	return EXIT_USAGE;
}

#endif
