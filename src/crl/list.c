/*
 * list.c - see list.h.  Issuer names and configured URLs contain no
 * character that needs JSON escaping (issuer_name_check, conf validation).
 */
#include "crl/list.h"

#include <stdio.h>
#include <stdlib.h>

#include "pki/urls.h"

char *
crl_list_json(const struct conf *c, const char *issuer, int shards, size_t *len)
{
	char *out = NULL, url[URL_MAX];
	FILE *f = open_memstream(&out, len);

	if (f == NULL)
		return NULL;
	fputc('[', f);
	for (int n = 1; n <= shards; n++) {
		urls_crl_shard(c, issuer, n, url, sizeof(url));
		fprintf(f, "%s\"%s\"", n > 1 ? "," : "", url);
	}
	fputs("]\n", f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
