/*
 * libFuzzer target: the admin API's answers as the CLI maps them
 * (cli/api_client.h: `cert add`, `revoke` and `status` with --api).  jansson
 * parses; what is fuzzed is the mapping of the parsed objects: a
 * certificate (alone, in "certificates" or "revocations"), the issuers of a
 * status answer, an error's text, the index a refused bundle names, and
 * a --wait's 504 (what was not served, the change's own answer inside).
 */
#include <stddef.h>
#include <stdint.h>

#include "cli/api_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_issuer is[8];
	struct api_client cl = {.wait = "?wait=served"};
	struct api_cert c;
	char why[64]; /* small: a long reason is cut */
	json_error_t jerr;
	struct err e;
	json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	const json_t *it;
	size_t i, n;

	if (root == NULL)
		return 0;
	(void)api_cert_from_json(root, &c, &e);
	(void)api_issuers_from_json(root, is, 8, &n, &e);
	(void)api_refused_index(api_error_text(root));
	(void)api_refused(root, why, sizeof(why));
	json_array_foreach(json_object_get(root, "certificates"), i, it)
		(void)api_cert_from_json(it, &c, &e);
	json_array_foreach(json_object_get(root, "revocations"), i, it)
		(void)api_cert_from_json(it, &c, &e);
	if ((it = api_unserved(&cl, 504, root)) != NULL) {
		(void)api_cert_from_json(it, &c, &e);
		(void)api_unserved_error(&cl, &e);
	}
	json_decref(root);
	return 0;
}
