/*
 * asan.c - see asan.h.
 */
#include "util/asan.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>

void
asan_symbolizer_warm(void)
{
	char name[256];

	/* Any code address will do: the first symbolization reads every module. */
	__sanitizer_symbolize_pc(__builtin_return_address(0), "%f", name, sizeof(name));
}
#else
void
asan_symbolizer_warm(void)
{
}
#endif
