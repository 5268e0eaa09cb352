/*
 * Unit tests for store/audit's row hash: pinned values, so that a change to
 * how it is computed cannot silently break the chains already stored (`lancre
 * audit --verify` recomputes every row's hash).  The values are the first
 * implementation's (22 EVP_DigestUpdate calls a row).
 */
#include "testutil.h"
#include "store/audit.h"

#include <string.h>

static void
test_pinned(void **state)
{
	static const char *const want[] = {
	    "7dfe4ea5a217de9ec645cebd45167d9d039a8d597dab2fdfe4ad7e3fc17fd675",
	    "2e029cd8d305cb7c94cf0577bc3e705a3249d696b28fdd6ac479a6fe7fb14709",
	    "e126d034c7c93e3a3ad37d4f156b50baed752a6c308df3947d49c28847a7dd66",
	};
	static char big[1500]; /* a detail longer than the hasher's buffer */
	uint8_t prev[AUDIT_HASH_LEN], out[AUDIT_HASH_LEN], serial[] = {1, 2, 3};
	char hex[2 * AUDIT_HASH_LEN + 1];
	struct audit_event ev[] = {
	    {.at = 1767225600, .actor = "token:ci", .origin = "127.0.0.1:5555",
		.action = "cert.add", .issuer_id = 1, .serial = serial, .serial_len = 3,
		.detail = "{\"sha256\":\"ab\"}"},
	    {.at = -5, .origin = "", .action = "token.add"},
	    {.at = 7, .actor = "cli:root", .origin = "", .action = "cert.revoke", .issuer_id = 9,
		.serial = serial, .serial_len = 1, .detail = big},
	};

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	for (int i = 0; i < AUDIT_HASH_LEN; i++)
		prev[i] = (uint8_t)i;
	for (int k = 0; k < 3; k++) {
		assert_int_equal(audit_hash(prev, 1000 + k, &ev[k], out), 0);
		for (int i = 0; i < AUDIT_HASH_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", out[i]);
		assert_string_equal(hex, want[k]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pinned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
