/*
 * Unit tests for util/fsutil.c's writes (issue 16): an output the user named
 * that is not a regular file is written in place, never replaced; a file
 * under public/ is written, stat'ed and read without following a symlink
 * planted below it.
 */
#include "testutil.h"
#include "util/fsutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* /dev/null, a FIFO and "-" are written in place; /dev/null stays a device. */
static void
test_output_in_place(void **state)
{
	char fifo[300], buf[8] = {0};
	struct stat st;
	struct err e;
	int rfd, p[2], saved;

	(void)state;
	assert_int_equal(fs_write_output("/dev/null", "abc", 3, 0644, &e), 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));

	test_path(fifo, sizeof(fifo), "fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_true((rfd = open(fifo, O_RDONLY | O_NONBLOCK)) >= 0);
	assert_int_equal(fs_write_output(fifo, "xyz", 3, 0644, &e), 0);
	assert_int_equal(read(rfd, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "xyz", 3);
	close(rfd);
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));

	/* "-": standard output, and no file named "-" appears. */
	assert_int_equal(pipe(p), 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_int_equal(dup2(p[1], STDOUT_FILENO), STDOUT_FILENO);
	assert_int_equal(chdir(test_dir), 0);
	int rc = fs_write_output("-", "out", 3, 0644, &e);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	close(p[1]);
	assert_int_equal(rc, 0);
	assert_int_equal(read(p[0], buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "out", 3);
	close(p[0]);
	assert_int_not_equal(access("-", F_OK), 0);
}

/* Written below root, directories made; a symlink below root is refused, nothing written through it. */
static void
test_write_beneath(void **state)
{
	char root[300], path[400], outside[300], link[400];
	struct err e;

	(void)state;
	test_path(root, sizeof(root), "public");
	assert_int_equal(mkdir(root, 0755), 0);
	snprintf(path, sizeof(path), "%s/crl/e1/1.crl", root);
	assert_int_equal(fs_write_beneath(root, path, "crl", 3, 0644, &e), 0);
	assert_int_equal(access(path, F_OK), 0);

	test_path(outside, sizeof(outside), "outside");
	assert_int_equal(mkdir(outside, 0755), 0);
	snprintf(link, sizeof(link), "%s/crl/evil", root);
	assert_int_equal(symlink(outside, link), 0);
	snprintf(path, sizeof(path), "%s/crl/evil/1.crl", root);
	assert_int_equal(fs_write_beneath(root, path, "crl", 3, 0644, &e), -1);
	assert_non_null(strstr(e.msg, "symlink"));
	snprintf(path, sizeof(path), "%s/1.crl", outside);
	assert_int_not_equal(access(path, F_OK), 0);

	/* A link at the file's own name is replaced (rename), never written through. */
	snprintf(link, sizeof(link), "%s/crl/e1/2.crl", root);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(fs_write_beneath(root, link, "new", 3, 0644, &e), 0);
	assert_int_not_equal(access(path, F_OK), 0);

	/* Names that climb out are refused. */
	snprintf(path, sizeof(path), "%s/crl/../../x.crl", root);
	assert_int_equal(fs_write_beneath(root, path, "x", 1, 0644, &e), -1);
	test_path(path, sizeof(path), "x.crl");
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(fs_write_beneath(root, "/etc/passwd", "x", 1, 0644, &e), -1);
}

/* Reading and stat'ing below a root never goes through a symlink, nor blocks on a FIFO. */
static void
test_read_beneath(void **state)
{
	char root[300], path[400], link[400], outside[400];
	struct stat sb;
	uint8_t *data = NULL;
	size_t len;
	struct err e;

	(void)state;
	test_path(root, sizeof(root), "public");
	assert_int_equal(mkdir(root, 0755), 0);
	snprintf(path, sizeof(path), "%s/crl/1.crl", root);
	assert_int_equal(fs_write_beneath(root, path, "crl", 3, 0644, &e), 0);
	assert_int_equal(fs_stat_beneath(root, path, &sb, &e), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(fs_read_beneath(root, path, 100, &data, &len, &e), 0);
	assert_int_equal(len, 3);
	free(data);

	test_path(outside, sizeof(outside), "secret");
	assert_int_equal(fs_write_atomic(outside, "key", 3, 0600, &e), 0);
	snprintf(link, sizeof(link), "%s/crl/2.crl", root);
	assert_int_equal(symlink(outside, link), 0);
	assert_int_equal(fs_stat_beneath(root, link, &sb, &e), 0);
	assert_true(S_ISLNK(sb.st_mode)); /* the link itself, not the file it names */
	assert_int_equal(fs_read_beneath(root, link, 100, &data, &len, &e), -1);
	assert_non_null(strstr(e.msg, "symlink"));

	snprintf(link, sizeof(link), "%s/crl/3.crl", root);
	assert_int_equal(mkfifo(link, 0644), 0);
	assert_int_equal(fs_read_beneath(root, link, 100, &data, &len, &e), -1);
	assert_non_null(strstr(e.msg, "not a regular file"));

	/* A symlinked directory on the way is refused too. */
	snprintf(link, sizeof(link), "%s/evil", root);
	assert_int_equal(symlink(test_dir, link), 0);
	snprintf(path, sizeof(path), "%s/evil/secret", root);
	assert_int_equal(fs_stat_beneath(root, path, &sb, &e), -1);
	assert_int_equal(fs_read_beneath(root, path, 100, &data, &len, &e), -1);
}

/* A secret is a regular file only its owner may read: else refused, saying why. */
static void
test_open_private(void **state)
{
	char path[512], want[700];
	struct stat st;
	struct err e;
	int fd;

	(void)state;
	test_path(path, sizeof(path), "pin");
	assert_int_equal(fs_write_atomic(path, "1234\n", 5, 0600, &e), 0);
	fd = fs_open_private(path, "PIN file", NULL, &st, &e);
	assert_true(fd >= 0);
	assert_int_equal(st.st_size, 5);
	close(fd);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(fs_open_private(path, "PIN file", "(owned by the signer's user)", &st, &e),
	    -1);
	snprintf(want, sizeof(want), "PIN file %s: group or others may read it (mode 0640): "
				     "chmod 600 it (owned by the signer's user)", path);
	assert_string_equal(e.msg, want);
	assert_int_equal(fs_open_private(test_dir, "token file", NULL, &st, &e), -1);
	assert_non_null(strstr(e.msg, ": not a regular file"));
	test_path(path, sizeof(path), "none");
	assert_int_equal(fs_open_private(path, "--key", NULL, &st, &e), -1);
	assert_non_null(strstr(e.msg, "No such file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    test_dir_unit_test(test_output_in_place),
	    test_dir_unit_test(test_write_beneath),
	    test_dir_unit_test(test_read_beneath),
	    test_dir_unit_test(test_open_private),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
