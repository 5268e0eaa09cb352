/*
 * Unit tests for signer/pkcs11.c without a token: how a PIN file is read
 * (issue 16, keys in HSMs item 1).  The URI is read by util/pkcs11_uri.c
 * (tests/unit/util/test_pkcs11_uri.c); tests/e2e/pkcs11.sh loads keys from
 * SoftHSM2.
 */
#include "testutil.h"
#include "signer/key.h"

#include <sys/stat.h>

static char dir[256];

/* dir/name holding len bytes of text, with mode. */
static void
write_file(const char *name, const char *text, size_t len, mode_t mode, char *path, size_t plen)
{
	FILE *f;

	snprintf(path, plen, "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_pin_read(void **state)
{
	char path[400], pin[64];
	struct err e;

	(void)state;
	test_mkdtemp(dir, sizeof(dir));
	/* With or without a line end (\n, \r\n), the PIN is the first line. */
	write_file("nl", "123456\n", 7, 0600, path, sizeof(path));
	assert_int_equal(pkcs11_pin_read(path, pin, sizeof(pin), &e), 0);
	assert_string_equal(pin, "123456");
	write_file("bare", "123456", 6, 0400, path, sizeof(path));
	assert_int_equal(pkcs11_pin_read(path, pin, sizeof(pin), &e), 0);
	assert_string_equal(pin, "123456");
	write_file("crlf", "12 34\r\nignored\n", 15, 0600, path, sizeof(path));
	assert_int_equal(pkcs11_pin_read(path, pin, sizeof(pin), &e), 0);
	assert_string_equal(pin, "12 34");
	/* Refused: readable by group or others (saying so, not the PIN), empty, too long. */
	write_file("open", "123456\n", 7, 0640, path, sizeof(path));
	assert_int_equal(pkcs11_pin_read(path, pin, sizeof(pin), &e), -1);
	assert_non_null(strstr(e.msg, "group or others"));
	assert_non_null(strstr(e.msg, "0640"));
	assert_null(strstr(e.msg, "123456"));
	write_file("world", "123456", 6, 0604, path, sizeof(path));
	assert_int_equal(pkcs11_pin_read(path, pin, sizeof(pin), &e), -1);
	write_file("empty", "\n", 1, 0600, path, sizeof(path));
	assert_int_equal(pkcs11_pin_read(path, pin, sizeof(pin), &e), -1);
	assert_non_null(strstr(e.msg, "empty"));
	write_file("long", "0123456789", 10, 0600, path, sizeof(path));
	assert_int_equal(pkcs11_pin_read(path, pin, 8, &e), -1);
	assert_non_null(strstr(e.msg, "too long"));
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(pkcs11_pin_read(path, pin, sizeof(pin), &e), -1);
	assert_int_equal(pkcs11_pin_read(dir, pin, sizeof(pin), &e), -1); /* a directory */
	test_rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pin_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
