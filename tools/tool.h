/*
 * tool.h - what the benchmark tools (tools/) share: usage errors (numbers
 * are parsed with util/num.h, as the lancre commands do).  Header-only: each tool is one file and one
 * binary (the Makefile builds each tools/ source as its own program).
 */
#ifndef LANCRE_TOOLS_TOOL_H
#define LANCRE_TOOLS_TOOL_H

#include <stdarg.h>
#include <stdio.h>

#include "util/err.h"

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
