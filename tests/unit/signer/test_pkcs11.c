/*
 * Unit tests for signer/pkcs11.c without a token: how an RFC 7512 URI is
 * split (module-path=, pin-source=, a refused pin-value=) and how a PIN file
 * is read (issue 16, keys in HSMs item 1).  tests/e2e/pkcs11.sh loads keys
 * from SoftHSM2.
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
test_uri_parse(void **state)
{
	struct pkcs11_uri u;
	struct err e;

	(void)state;
	assert_int_equal(pkcs11_uri_parse("pkcs11:token=ca;object=e1;type=private"
					  "?module-path=/usr/lib/softhsm/libsofthsm2.so"
					  "&pin-source=file:/etc/lancre/pin",
			     &u, &e),
	    0);
	assert_string_equal(u.token, "ca");
	assert_string_equal(u.object, "e1");
	assert_int_equal(u.id_len, 0);
	assert_int_equal(u.slot_id, -1);
	assert_string_equal(u.module, "/usr/lib/softhsm/libsofthsm2.so");
	assert_string_equal(u.pin_file, "/etc/lancre/pin");
	/* %-escapes are decoded (id= as bytes); file:/// is a file: URI too. */
	assert_int_equal(pkcs11_uri_parse("pkcs11:manufacturer=SoftHSM%20project;serial=0a1b;"
					  "model=m;slot-id=42;object=a%20b;id=%01%00%ff"
					  "?pin-source=file:///run/p%69n&module-path=/opt/my%20hsm/p11.so",
			     &u, &e),
	    0);
	assert_string_equal(u.manufacturer, "SoftHSM project");
	assert_string_equal(u.serial, "0a1b");
	assert_string_equal(u.model, "m");
	assert_int_equal(u.slot_id, 42);
	assert_string_equal(u.object, "a b");
	assert_int_equal(u.id_len, 3);
	assert_memory_equal(u.id, "\x01\x00\xff", 3);
	assert_string_equal(u.pin_file, "/run/pin");
	assert_string_equal(u.module, "/opt/my hsm/p11.so");
	assert_int_equal(pkcs11_uri_parse("pkcs11:id=%02", &u, &e), 0);
	assert_string_equal(u.module, "");
	assert_string_equal(u.pin_file, "");
	assert_string_equal(u.token, "");

	/* A PIN in the URI is refused, pointing to pin-source, and never repeated. */
	assert_int_equal(pkcs11_uri_parse("pkcs11:object=e1?pin-value=987654", &u, &e), -1);
	assert_non_null(strstr(e.msg, "pin-source=file:"));
	assert_null(strstr(e.msg, "987654"));
	assert_int_equal(
	    pkcs11_uri_parse("pkcs11:object=e1?module-path=/m.so&pin-value=987654", &u, &e), -1);
	assert_null(strstr(e.msg, "987654"));
	assert_int_equal(pkcs11_uri_parse("pkcs11:object=e1;pin-value=987654", &u, &e), -1);
	assert_null(strstr(e.msg, "987654"));
	/* Only file:/absolute pin sources, absolute modules, well-formed escapes. */
	assert_int_equal(pkcs11_uri_parse("pkcs11:object=e1?pin-source=|/bin/pin", &u, &e), -1);
	assert_non_null(strstr(e.msg, "file:/absolute/path"));
	assert_int_equal(pkcs11_uri_parse("pkcs11:object=e1?pin-source=file:pin", &u, &e), -1);
	assert_int_equal(pkcs11_uri_parse("pkcs11:object=e1?module-path=lib.so", &u, &e), -1);
	assert_non_null(strstr(e.msg, "absolute"));
	assert_int_equal(pkcs11_uri_parse("pkcs11:object=e1?module-path=/a%2", &u, &e), -1);
	assert_int_equal(pkcs11_uri_parse("pkcs11:object=e1?module-path=/a%00b", &u, &e), -1);
	assert_int_equal(pkcs11_uri_parse("pkcs11:object=e1?module-path=/a%zzb", &u, &e), -1);
	assert_int_equal(pkcs11_uri_parse("/etc/key.pem", &u, &e), -1);
	/* A key must be named; attributes lancre does not know are refused, not ignored. */
	assert_int_equal(pkcs11_uri_parse("pkcs11:token=ca", &u, &e), -1);
	assert_non_null(strstr(e.msg, "object= or id="));
	assert_int_equal(pkcs11_uri_parse("pkcs11:object=e1;type=cert", &u, &e), -1);
	assert_int_equal(pkcs11_uri_parse("pkcs11:object=e1;colour=red", &u, &e), -1);
	assert_non_null(strstr(e.msg, "unsupported attribute colour"));
	assert_int_equal(pkcs11_uri_parse("pkcs11:object=e1?module-name=softhsm2", &u, &e), -1);
	assert_int_equal(pkcs11_uri_parse("pkcs11:object=e1;slot-id=x", &u, &e), -1);
	assert_int_equal(pkcs11_uri_parse("pkcs11:object=e1%00x", &u, &e), -1);
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
	    cmocka_unit_test(test_uri_parse),
	    cmocka_unit_test(test_pin_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
