/* Unit tests for util/pkcs11_uri.c: finding and removing a PIN (pin-value) in a PKCS#11 URI. */
#include "testutil.h"
#include "util/pkcs11_uri.h"

static void
test_strip(void **state)
{
	static const struct {
		const char *in, *out;
		int removed;
	} cases[] = {
	    {"pkcs11:token=a;object=k?pin-value=1234", "pkcs11:token=a;object=k", 1},
	    {"pkcs11:token=a;pin-value=12;object=k", "pkcs11:token=a;object=k", 1},
	    {"pkcs11:token=a?module-path=/x.so&pin-value=1&pin-source=file:/p",
		"pkcs11:token=a?module-path=/x.so&pin-source=file:/p", 1},
	    {"pkcs11:token=a?PIN-VALUE=3", "pkcs11:token=a", 1},
	    {"pkcs11:token=a;object=k?pin-source=file:/x", "pkcs11:token=a;object=k?pin-source=file:/x",
		0},
	    {"pkcs11:token=pin-value?x=pin-value=1", "pkcs11:token=pin-value?x=pin-value=1", 0},
	    {"/path/pin-value=1.pem", "/path/pin-value=1.pem", 0},
	};
	char out[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(pkcs11_uri_strip_pin(cases[i].in, out, sizeof(out)), cases[i].removed);
		assert_string_equal(out, cases[i].out);
		assert_int_equal(pkcs11_uri_has_pin(cases[i].in), cases[i].removed > 0);
	}
	assert_int_equal(pkcs11_uri_strip_pin("pkcs11:token=a", out, 5), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
