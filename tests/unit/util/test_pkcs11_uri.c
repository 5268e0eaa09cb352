/*
 * Unit tests for util/pkcs11_uri.c, lancre's one PKCS#11 URI reader (RFC
 * 7512): what the signer reads into struct pkcs11_uri (percent-encoding,
 * path and query attributes, unknown, repeated and misplaced attributes,
 * malformed input), and the PIN (pin-value) that intake refuses and the
 * schema-7 migration removes, with one message wherever it is met.
 */
#include "testutil.h"
#include "util/pkcs11_uri.h"

static void
test_parse(void **state)
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
	/* Escaped separators are text; empty attributes are skipped; a value may hold '='. */
	assert_int_equal(
	    pkcs11_uri_parse("pkcs11:;object=a%3Bb%3Fc%26d;;token=x=y;?&&", &u, &e), 0);
	assert_string_equal(u.object, "a;b?c&d");
	assert_string_equal(u.token, "x=y");
	assert_int_equal(pkcs11_uri_parse("pkcs11:id=%02", &u, &e), 0);
	assert_string_equal(u.module, "");
	assert_string_equal(u.pin_file, "");
	assert_string_equal(u.token, "");
}

static void
test_parse_refused(void **state)
{
	static const struct {
		const char *uri, *msg; /* msg: a part of the message */
	} cases[] = {
	    /* only file:/absolute pin sources, absolute modules */
	    {"pkcs11:object=e1?pin-source=|/bin/pin", "file:/absolute/path"},
	    {"pkcs11:object=e1?pin-source=file:pin", "file:/absolute/path"},
	    {"pkcs11:object=e1?module-path=lib.so", "absolute"},
	    /* malformed: bad or truncated escapes, NUL bytes, no value, not a number */
	    {"pkcs11:object=e1?module-path=/a%2", "bad %-escape in module-path"},
	    {"pkcs11:object=e1?module-path=/a%zzb", "bad %-escape"},
	    {"pkcs11:object=e1?module-path=/a%00b", "NUL byte"},
	    {"pkcs11:object=e1%00x", "object holds a NUL byte"},
	    {"pkcs11:object", "object without a value"},
	    {"pkcs11:object=e1;slot-id=x", "slot-id must be a number"},
	    {"pkcs11:object=e1;slot-id=99999999999999999999999", "slot-id must be a number"},
	    {"/etc/key.pem", "not a PKCS#11 URI"},
	    {"pkcs11", "not a PKCS#11 URI"},
	    /* a key must be named, as a private key */
	    {"pkcs11:token=ca", "object= or id="},
	    {"pkcs11:", "object= or id="},
	    {"pkcs11:object=e1;type=cert", "type must be private"},
	    /* unknown attributes are refused, not ignored; the name only is repeated */
	    {"pkcs11:object=e1;colour=red", "unsupported attribute colour"},
	    {"pkcs11:object=e1?module-name=softhsm2", "unsupported query attribute module-name"},
	    {"pkcs11:object=e1;Object=e2", "unsupported attribute Object"},
	    /* each on its own side of the '?' */
	    {"pkcs11:object=e1;module-path=/m.so", "module-path= belongs in the query part"},
	    {"pkcs11:object=e1;pin-source=file:/p", "pin-source= belongs in the query part"},
	    {"pkcs11:token=t?object=e1", "object= belongs in the path part"},
	    /* at most once (RFC 7512 2.3): which one would win is a guess */
	    {"pkcs11:object=e1;object=e2", "object= given twice"},
	    {"pkcs11:id=%01;object=e1;id=%02", "id= given twice"},
	    {"pkcs11:object=e1?module-path=/a.so&module-path=/b.so", "module-path= given twice"},
	    {"pkcs11:object=e1?pin-source=file:/a&pin-source=file:/b", "pin-source= given twice"},
	};
	struct pkcs11_uri u;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e.msg[0] = '\0';
		if (pkcs11_uri_parse(cases[i].uri, &u, &e) != -1 ||
		    strstr(e.msg, cases[i].msg) == NULL)
			fail_msg("%s: \"%s\", wanted \"%s\"", cases[i].uri, e.msg, cases[i].msg);
	}
}

/* A PIN is refused by the parser and pkcs11_uri_refuse_pin alike, never repeated. */
static void
test_pin_refused(void **state)
{
	static const char *const with_pin[] = {
	    "pkcs11:object=e1?pin-value=987654",
	    "pkcs11:object=e1?module-path=/m.so&pin-value=987654",
	    "pkcs11:object=e1;pin-value=987654",
	    "pkcs11:object=e1?PIN-Value=987654",
	    "PKCS11:object=e1?pin-value=987654",
	    "pkcs11:object=e1;colour=red?pin-value=987654", /* the PIN first, whatever else */
	};
	struct pkcs11_uri u;
	struct err e, e2;

	(void)state;
	for (size_t i = 0; i < sizeof(with_pin) / sizeof(with_pin[0]); i++) {
		assert_int_equal(pkcs11_uri_parse(with_pin[i], &u, &e), -1);
		assert_int_equal(pkcs11_uri_refuse_pin(with_pin[i], &e2), -1);
		assert_string_equal(e.msg, e2.msg);
		assert_non_null(strstr(e.msg, "pin-value= is refused"));
		assert_non_null(strstr(e.msg, "pin-source=file:"));
		assert_null(strstr(e.msg, "987654"));
	}
	assert_int_equal(pkcs11_uri_refuse_pin(NULL, &e), 0);
	assert_int_equal(pkcs11_uri_refuse_pin("/keys/pin-value=1.pem", &e), 0);
	assert_int_equal(pkcs11_uri_refuse_pin("pkcs11:object=e1?pin-source=file:/p", &e), 0);
}

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
	    {"pkcs11:pin-value=1;token=a?pin-value=2&pin-value", "pkcs11:token=a", 3},
	    {"pkcs11:pin-value=1?token=a", "pkcs11:?token=a", 1},
	    {"pkcs11:token=a;object=k?pin-source=file:/x",
		"pkcs11:token=a;object=k?pin-source=file:/x", 0},
	    {"pkcs11:token=pin-value?x=pin-value=1", "pkcs11:token=pin-value?x=pin-value=1", 0},
	    {"pkcs11:token=a;pin-valuex=1", "pkcs11:token=a;pin-valuex=1", 0},
	    /* what the parser refuses is kept as written: the migration only removes the PIN */
	    {"pkcs11:colour=red;object=k;object=j?pin-value=1&x=%zz",
		"pkcs11:colour=red;object=k;object=j?x=%zz", 1},
	    {"/path/pin-value=1.pem", "/path/pin-value=1.pem", 0},
	};
	char out[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    pkcs11_uri_strip_pin(cases[i].in, out, sizeof(out)), cases[i].removed);
		assert_string_equal(out, cases[i].out);
		assert_int_equal(pkcs11_uri_has_pin(cases[i].in), cases[i].removed > 0);
		assert_int_equal(pkcs11_uri_has_pin(out), 0);
	}
	assert_int_equal(pkcs11_uri_strip_pin("pkcs11:token=a", out, 5), -1);
	/* Exactly the URI's length and its NUL fit. */
	assert_int_equal(pkcs11_uri_strip_pin("pkcs11:token=a", out, 15), 0);
	assert_string_equal(out, "pkcs11:token=a");
}

/* Longer than any buffer: a PIN is still found (no length limit on the walk). */
static void
test_long(void **state)
{
	size_t n = 20000;
	char *uri = malloc(n + 64);

	(void)state;
	assert_non_null(uri);
	memcpy(uri, "pkcs11:object=", 14);
	memset(uri + 14, 'k', n);
	memcpy(uri + 14 + n, "?pin-value=1", 13);
	assert_int_equal(pkcs11_uri_has_pin(uri), 1);
	uri[14 + n] = '\0';
	assert_int_equal(pkcs11_uri_has_pin(uri), 0);
	free(uri);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_parse_refused),
	    cmocka_unit_test(test_pin_refused),
	    cmocka_unit_test(test_strip),
	    cmocka_unit_test(test_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
