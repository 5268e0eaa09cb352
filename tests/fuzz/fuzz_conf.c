/*
 * libFuzzer target: lancre.conf's text (conf/conf.h), as the server gets it
 * passed on SIGHUP (conf_load_text): inih's parsing, every key's value
 * parser (durations, sizes, booleans, [admin] client lines) and the checks
 * of the whole; then the template of what was read.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf c;
	struct err e;

	if (size > 65536 || conf_load_text("fuzz.conf", (const char *)data, size, &c, &e) != 0)
		return 0;
	free(conf_template(&c));
	return 0;
}
