/*
 * Unit tests for proc/confpass: lancre.conf's bytes passed through a memory
 * file, what could not be read passed as its message, and a reader that
 * meets a put half done never takes half of it.
 */
#include "testutil.h"
#include "proc/confpass.h"

#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

/* Nothing put yet: 1 (the server reads the file); then the bytes as put, each time the last. */
static void
test_put_get(void **state)
{
	char path[300], *text;
	struct err e;
	size_t len;
	int fd;

	(void)state;
	test_path(path, sizeof(path), "lancre.conf");
	assert_true((fd = proc_confpass_new(&e)) >= 0);
	assert_int_equal(proc_confpass_get(fd, &text, &len, &e), 1);
	write_file(path, "[about]\nca_name = A longer name\n", 32);
	assert_int_equal(proc_confpass_put(fd, path, &e), 0);
	assert_int_equal(proc_confpass_get(fd, &text, &len, &e), 0);
	assert_int_equal(len, 32);
	assert_string_equal(text, "[about]\nca_name = A longer name\n");
	free(text);
	write_file(path, "[about]\n", 8); /* shorter: nothing of the old text is left */
	assert_int_equal(proc_confpass_put(fd, path, &e), 0);
	assert_int_equal(proc_confpass_get(fd, &text, &len, &e), 0);
	assert_int_equal(len, 8);
	assert_string_equal(text, "[about]\n");
	free(text);
	write_file(path, "", 0);
	assert_int_equal(proc_confpass_put(fd, path, &e), 0);
	assert_int_equal(proc_confpass_get(fd, &text, &len, &e), 0);
	assert_int_equal(len, 0);
	free(text);
	close(fd);
}

/* A file that cannot be read (missing, too big): the reader gets why, as the supervisor met it. */
static void
test_unreadable_is_passed_as_an_error(void **state)
{
	char path[300], want[400], *text, *big;
	struct err e;
	size_t len;
	int fd;

	(void)state;
	test_path(path, sizeof(path), "lancre.conf");
	assert_true((fd = proc_confpass_new(&e)) >= 0);
	assert_int_equal(proc_confpass_put(fd, path, &e), 0);
	assert_int_equal(proc_confpass_get(fd, &text, &len, &e), -1);
	assert_null(text);
	snprintf(want, sizeof(want), "cannot open %s: No such file or directory", path);
	assert_string_equal(e.msg, want);
	big = calloc(1, PROC_CONF_MAX + 1);
	assert_non_null(big);
	memset(big, ';', PROC_CONF_MAX + 1);
	write_file(path, big, PROC_CONF_MAX + 1);
	free(big);
	assert_int_equal(proc_confpass_put(fd, path, &e), 0);
	assert_int_equal(proc_confpass_get(fd, &text, &len, &e), -1);
	assert_non_null(strstr(e.msg, "larger than"));
	/* A FIFO (no writer: a blocking open would wait for ever) is refused at once. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10); /* a hang fails the test instead of the suite */
	assert_int_equal(proc_confpass_put(fd, path, &e), 0);
	alarm(0);
	assert_int_equal(proc_confpass_get(fd, &text, &len, &e), -1);
	assert_non_null(strstr(e.msg, "not a regular file"));
	close(fd);
}

/* A put begun and not finished (its sequence number written first, not yet last): never read. */
static void
test_half_put_is_not_read(void **state)
{
	char path[300], *text;
	uint64_t seq;
	struct err e;
	size_t len;
	int fd;

	(void)state;
	test_path(path, sizeof(path), "lancre.conf");
	write_file(path, "[about]\n", 8);
	assert_true((fd = proc_confpass_new(&e)) >= 0);
	assert_int_equal(proc_confpass_put(fd, path, &e), 0);
	assert_int_equal(pread(fd, &seq, sizeof(seq), 0), (ssize_t)sizeof(seq));
	seq++; /* what a put writes before the text */
	assert_int_equal(pwrite(fd, &seq, sizeof(seq), 0), (ssize_t)sizeof(seq));
	assert_int_equal(pwrite(fd, "[zzzzz", 6, 32), 6);
	assert_int_equal(proc_confpass_get(fd, &text, &len, &e), -1);
	assert_null(text);
	assert_non_null(strstr(e.msg, "cannot read lancre.conf"));
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    test_dir_unit_test(test_put_get),
	    test_dir_unit_test(test_unreadable_is_passed_as_an_error),
	    test_dir_unit_test(test_half_put_is_not_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
