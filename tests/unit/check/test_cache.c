/*
 * Unit tests for check/cache: the directory from the environment, the key,
 * Cache-Control, the expiry rule (never past nextUpdate, the smaller of
 * max-age and nextUpdate), an entry's parse (truncated, too long, garbage,
 * another key, expired) and the file round trip.
 */
#include "testutil.h"
#include "check/cache.h"

#include <sys/stat.h>
#include <unistd.h>

#define NOW 1800000000LL

static void
test_dir_from_environment(void **state)
{
	char buf[PATH_MAX];
	struct err e;

	(void)state;
	assert_int_equal(check_cache_dir(buf, sizeof(buf), "/x/cache", "/home/u", &e), 0);
	assert_string_equal(buf, "/x/cache/lancre");
	assert_int_equal(check_cache_dir(buf, sizeof(buf), NULL, "/home/u", &e), 0);
	assert_string_equal(buf, "/home/u/.cache/lancre");
	/* A relative XDG_CACHE_HOME is ignored, as the XDG specification says. */
	assert_int_equal(check_cache_dir(buf, sizeof(buf), "rel/cache", "/home/u", &e), 0);
	assert_string_equal(buf, "/home/u/.cache/lancre");
	assert_int_equal(check_cache_dir(buf, sizeof(buf), "", "/home/u", &e), 0);
	assert_string_equal(buf, "/home/u/.cache/lancre");
	assert_int_equal(check_cache_dir(buf, sizeof(buf), NULL, NULL, &e), -1);
	assert_int_equal(check_cache_dir(buf, sizeof(buf), "rel", "rel", &e), -1);
}

static void
test_key_separates_requests(void **state)
{
	char a[CHECK_CACHE_KEY_LEN], b[CHECK_CACHE_KEY_LEN];
	const uint8_t req1[] = {1, 2, 3}, req2[] = {1, 2, 4};

	(void)state;
	check_cache_key("ocsp", "http://o/x", NULL, 0, a);
	assert_int_equal(strlen(a), 64);
	check_cache_key("ocsp", "http://o/x", NULL, 0, b);
	assert_string_equal(a, b);
	check_cache_key("crl", "http://o/x", NULL, 0, b); /* the kind counts */
	assert_string_not_equal(a, b);
	check_cache_key("ocsp", "http://o/y", NULL, 0, b);
	assert_string_not_equal(a, b);
	/* POSTs to the same URL differ by their body. */
	check_cache_key("ocsp", "http://o/", req1, sizeof(req1), a);
	check_cache_key("ocsp", "http://o/", req2, sizeof(req2), b);
	assert_string_not_equal(a, b);
	/* ("ocs", "phttp...") is not ("ocsp", "http..."). */
	check_cache_key("ocs", "phttp://o/x", NULL, 0, a);
	check_cache_key("ocsp", "http://o/x", NULL, 0, b);
	assert_string_not_equal(a, b);
}

static void
test_cache_control(void **state)
{
	long ma;
	int ns;

	(void)state;
	check_cache_control("max-age=3600, public, no-transform, must-revalidate", &ma, &ns);
	assert_int_equal(ma, 3600);
	assert_int_equal(ns, 0);
	check_cache_control(" public,MAX-AGE=60", &ma, &ns);
	assert_int_equal(ma, 60);
	check_cache_control("no-store", &ma, &ns);
	assert_int_equal(ma, -1);
	assert_int_equal(ns, 1);
	check_cache_control("max-age=10, no-cache", &ma, &ns);
	assert_int_equal(ns, 1);
	check_cache_control("max-age=", &ma, &ns);
	assert_int_equal(ma, -1);
	check_cache_control("max-age=-5", &ma, &ns);
	assert_int_equal(ma, -1);
	check_cache_control("max-ages=5", &ma, &ns);
	assert_int_equal(ma, -1);
	check_cache_control("s-maxage=5", &ma, &ns);
	assert_int_equal(ma, -1);
	check_cache_control("no-storex", &ma, &ns);
	assert_int_equal(ns, 0);
	/* Huge values are held to the ceiling, not wrapped. */
	check_cache_control("max-age=99999999999999999999999", &ma, &ns);
	assert_int_equal(ma, -1);
	check_cache_control("max-age=99999999999", &ma, &ns);
	assert_int_equal(ma, CHECK_CACHE_MAX_SECONDS);
}

static void
test_expiry_rule(void **state)
{
	(void)state;
	/* The smaller of max-age and nextUpdate. */
	assert_int_equal(check_cache_expiry(NOW, 60, 0, NOW + 3600, 0), NOW + 60);
	assert_int_equal(check_cache_expiry(NOW, 7200, 0, NOW + 3600, 0), NOW + 3600);
	/* Never past nextUpdate, even without max-age or with a default. */
	assert_int_equal(check_cache_expiry(NOW, -1, 0, NOW + 3600, 86400), NOW + 3600);
	/* Already past nextUpdate, or max-age 0, or no-store: not kept. */
	assert_int_equal(check_cache_expiry(NOW, -1, 0, NOW - 1, 0), 0);
	assert_int_equal(check_cache_expiry(NOW, -1, 0, NOW, 0), 0);
	assert_int_equal(check_cache_expiry(NOW, 0, 0, NOW + 3600, 0), 0);
	assert_int_equal(check_cache_expiry(NOW, 60, 1, NOW + 3600, 0), 0);
	/* Neither: the default, or nothing. */
	assert_int_equal(check_cache_expiry(NOW, -1, 0, 0, 86400), NOW + 86400);
	assert_int_equal(check_cache_expiry(NOW, -1, 0, 0, 0), 0);
	assert_int_equal(check_cache_expiry(NOW, 30, 0, 0, 86400), NOW + 30);
	/* The ceiling. */
	assert_int_equal(check_cache_expiry(NOW, -1, 0, NOW + 30 * 86400, 0), NOW + CHECK_CACHE_MAX_SECONDS);
}

/* An entry as cache.c writes it. */
static size_t
entry(char *buf, size_t len, const char *key, long long expires, const char *body, size_t blen)
{
	int n = snprintf(buf, len, "lancre-check-cache 1\nkey %s\nurl http://o/x\nexpires %lld\nlength %zu\n\n",
	    key, expires, blen);

	memcpy(buf + n, body, blen);
	return (size_t)n + blen;
}

static void
test_parse_entries(void **state)
{
	char key[CHECK_CACHE_KEY_LEN], other[CHECK_CACHE_KEY_LEN], buf[1024], why[200];
	const uint8_t *body;
	size_t blen, n;
	int64_t exp;

	(void)state;
	check_cache_key("ocsp", "http://o/x", NULL, 0, key);
	check_cache_key("ocsp", "http://o/y", NULL, 0, other);
	n = entry(buf, sizeof(buf), key, NOW + 10, "BODY\0\n1", 7);
	assert_int_equal(check_cache_parse((uint8_t *)buf, n, key, NOW, &body, &blen, &exp, why, sizeof(why)), 0);
	assert_int_equal(blen, 7);
	assert_memory_equal(body, "BODY\0\n1", 7);
	assert_int_equal(exp, NOW + 10);
	/* Truncated anywhere: in the body, in the header, to nothing. */
	assert_int_equal(check_cache_parse((uint8_t *)buf, n - 1, key, NOW, &body, &blen, &exp, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "truncated"));
	for (size_t cut = 0; cut < n - 7; cut++)
		assert_int_equal(check_cache_parse((uint8_t *)buf, cut, key, NOW, &body, &blen, &exp, why, sizeof(why)), -1);
	/* Bytes appended. */
	buf[n] = 'x';
	assert_int_equal(check_cache_parse((uint8_t *)buf, n + 1, key, NOW, &body, &blen, &exp, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "too long"));
	/* Another key (a file renamed, or a collision of names). */
	assert_int_equal(check_cache_parse((uint8_t *)buf, n, other, NOW, &body, &blen, &exp, why, sizeof(why)), -1);
	/* Expired: at its expiry time it is no longer served. */
	assert_int_equal(check_cache_parse((uint8_t *)buf, n, key, NOW + 10, &body, &blen, &exp, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "expired"));
	/* Garbage, and a header with a bad number. */
	assert_int_equal(check_cache_parse((const uint8_t *)"\x30\x82garbage", 9, key, NOW, &body, &blen, &exp, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not a lancre cache entry"));
	n = (size_t)snprintf(buf, sizeof(buf), "lancre-check-cache 1\nkey %s\nurl u\nexpires 12x\nlength 0\n\n", key);
	assert_int_equal(check_cache_parse((uint8_t *)buf, n, key, NOW, &body, &blen, &exp, why, sizeof(why)), -1);
	n = (size_t)snprintf(buf, sizeof(buf), "lancre-check-cache 1\nkey %s\nurl u\nexpires 1900000000\nlength 99999999999999999999999\n\n", key);
	assert_int_equal(check_cache_parse((uint8_t *)buf, n, key, NOW, &body, &blen, &exp, why, sizeof(why)), -1);
}

static void
test_put_get_round_trip(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 80], key[CHECK_CACHE_KEY_LEN], why[200];
	struct check_cache c;
	struct stat st;
	struct err e;
	uint8_t *body;
	size_t len;
	FILE *f;

	(void)state;
	test_mkdtemp(dir, sizeof(dir));
	snprintf(c.dir, sizeof(c.dir), "%s", dir);
	assert_int_equal(check_cache_get(&c, "ocsp", "http://o/x", NULL, 0, NOW, 100, &body, &len, why, sizeof(why)), 1);
	assert_int_equal(check_cache_get(NULL, "ocsp", "http://o/x", NULL, 0, NOW, 100, &body, &len, why, sizeof(why)), 1);
	assert_int_equal(check_cache_put(&c, "ocsp", "http://o/x", NULL, 0, (const uint8_t *)"abc", 3, NOW + 60, &e), 0);
	assert_int_equal(check_cache_get(&c, "ocsp", "http://o/x", NULL, 0, NOW, 100, &body, &len, why, sizeof(why)), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(body, "abc", 3);
	free(body);
	check_cache_key("ocsp", "http://o/x", NULL, 0, key);
	snprintf(path, sizeof(path), "%s/ocsp-%s", dir, key);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Past its expiry, or bigger than the caller's cap: not served. */
	assert_int_equal(check_cache_get(&c, "ocsp", "http://o/x", NULL, 0, NOW + 60, 100, &body, &len, why, sizeof(why)), -1);
	assert_null(body);
	assert_int_equal(check_cache_get(&c, "ocsp", "http://o/x", NULL, 0, NOW, 2, &body, &len, why, sizeof(why)), -1);
	/* 0: nothing stored. */
	assert_int_equal(check_cache_put(&c, "crl", "http://o/x", NULL, 0, (const uint8_t *)"abc", 3, 0, &e), 0);
	assert_int_equal(check_cache_get(&c, "crl", "http://o/x", NULL, 0, NOW, 100, &body, &len, why, sizeof(why)), 1);
	/* A truncated file is refused. */
	assert_int_equal(truncate(path, (off_t)st.st_size - 1), 0);
	assert_int_equal(check_cache_get(&c, "ocsp", "http://o/x", NULL, 0, NOW, 100, &body, &len, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "truncated"));
	/* A symlink at the entry's name is not followed. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(check_cache_get(&c, "ocsp", "http://o/x", NULL, 0, NOW, 100, &body, &len, why, sizeof(why)), -1);
	/* A garbage file is refused. */
	assert_int_equal(unlink(path), 0);
	assert_non_null(f = fopen(path, "w"));
	fputs("garbage", f);
	fclose(f);
	assert_int_equal(check_cache_get(&c, "ocsp", "http://o/x", NULL, 0, NOW, 100, &body, &len, why, sizeof(why)), -1);
	assert_null(body);
	test_rmdir(dir);
}

/* The number of files in dir (temporary ones included). */
static int
count_files(const char *dir)
{
	char cmd[PATH_MAX + 32];
	int n = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	assert_non_null(f = popen(cmd, "r"));
	assert_int_equal(fscanf(f, "%d", &n), 1);
	pclose(f);
	return n;
}

static void
test_tee_streams_to_an_entry(void **state)
{
	char dir[PATH_MAX], why[200], buf[64];
	struct check_cache c;
	struct check_cache_tee t;
	struct err e;
	uint8_t *body;
	size_t len;
	int fd;

	(void)state;
	test_mkdtemp(dir, sizeof(dir));
	snprintf(c.dir, sizeof(c.dir), "%s", dir);
	/* Written in pieces, committed: one whole entry, read back as a stream. */
	check_cache_tee_begin(&c, "crl", "http://c/1.crl", NULL, 0, 10, &t);
	assert_true(t.fd >= 0);
	check_cache_tee_write(&t, (const uint8_t *)"abcd", 4);
	check_cache_tee_write(&t, (const uint8_t *)"efghij", 6);
	assert_int_equal(count_files(dir), 1); /* only the temporary file so far */
	assert_int_equal(check_cache_open_entry(&c, "crl", "http://c/1.crl", NULL, 0, NOW, 10, &fd, &len, why, sizeof(why)), 1);
	assert_int_equal(check_cache_tee_commit(&t, NOW + 60, &e), 0);
	assert_int_equal(count_files(dir), 1); /* renamed into place */
	assert_int_equal(check_cache_open_entry(&c, "crl", "http://c/1.crl", NULL, 0, NOW, 10, &fd, &len, why, sizeof(why)), 0);
	assert_int_equal(len, 10);
	assert_int_equal(read(fd, buf, sizeof(buf)), 10);
	assert_memory_equal(buf, "abcdefghij", 10);
	close(fd);
	/* The same entry through check_cache_get, and its expiry honoured. */
	assert_int_equal(check_cache_get(&c, "crl", "http://c/1.crl", NULL, 0, NOW, 10, &body, &len, why, sizeof(why)), 0);
	assert_memory_equal(body, "abcdefghij", 10);
	free(body);
	assert_int_equal(check_cache_open_entry(&c, "crl", "http://c/1.crl", NULL, 0, NOW + 60, 10, &fd, &len, why, sizeof(why)), -1);
	assert_int_equal(check_cache_open_entry(&c, "crl", "http://c/1.crl", NULL, 0, NOW, 9, &fd, &len, why, sizeof(why)), -1);
	/* Over the cap: nothing kept, no temporary file left; the old entry stays. */
	check_cache_tee_begin(&c, "crl", "http://c/1.crl", NULL, 0, 10, &t);
	check_cache_tee_write(&t, (const uint8_t *)"0123456789", 10);
	check_cache_tee_write(&t, (const uint8_t *)"x", 1);
	assert_int_equal(t.fd, -1);
	assert_int_equal(check_cache_tee_commit(&t, NOW + 60, &e), 0);
	assert_int_equal(count_files(dir), 1);
	assert_int_equal(check_cache_get(&c, "crl", "http://c/1.crl", NULL, 0, NOW, 10, &body, &len, why, sizeof(why)), 0);
	assert_memory_equal(body, "abcdefghij", 10);
	free(body);
	/* Expiry 0 (not cacheable) and abort leave nothing behind either. */
	check_cache_tee_begin(&c, "crl", "http://c/2.crl", NULL, 0, 10, &t);
	check_cache_tee_write(&t, (const uint8_t *)"ab", 2);
	assert_int_equal(check_cache_tee_commit(&t, 0, &e), 0);
	check_cache_tee_begin(&c, "crl", "http://c/3.crl", NULL, 0, 10, &t);
	check_cache_tee_abort(&t);
	assert_int_equal(count_files(dir), 1);
	/* No cache: a no-op. */
	check_cache_tee_begin(NULL, "crl", "http://c/4.crl", NULL, 0, 10, &t);
	check_cache_tee_write(&t, (const uint8_t *)"ab", 2);
	assert_int_equal(check_cache_tee_commit(&t, NOW + 60, &e), 0);
	test_rmdir(dir);
}

static void
test_open_makes_private_directory(void **state)
{
	char dir[PATH_MAX], xdg[PATH_MAX + 16];
	struct check_cache c;
	struct stat st;
	struct err e;

	(void)state;
	test_mkdtemp(dir, sizeof(dir));
	snprintf(xdg, sizeof(xdg), "%s/xdg", dir);
	setenv("XDG_CACHE_HOME", xdg, 1);
	assert_int_equal(check_cache_open(&c, &e), 0);
	assert_int_equal(stat(c.dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(xdg, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* A wider mode is narrowed. */
	assert_int_equal(chmod(c.dir, 0755), 0);
	assert_int_equal(check_cache_open(&c, &e), 0);
	assert_int_equal(stat(c.dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* A link in its place is refused. */
	snprintf(xdg, sizeof(xdg), "%s/xdg/lancre", dir);
	assert_int_equal(rmdir(xdg), 0);
	assert_int_equal(symlink(dir, xdg), 0);
	assert_int_equal(check_cache_open(&c, &e), -1);
	test_rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dir_from_environment),
	    cmocka_unit_test(test_key_separates_requests),
	    cmocka_unit_test(test_cache_control),
	    cmocka_unit_test(test_expiry_rule),
	    cmocka_unit_test(test_parse_entries),
	    cmocka_unit_test(test_put_get_round_trip),
	    cmocka_unit_test(test_tee_streams_to_an_entry),
	    cmocka_unit_test(test_open_makes_private_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
