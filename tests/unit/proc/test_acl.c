/* Unit tests for proc/acl: the admin user's POSIX ACLs, as raw xattrs. */
#include "testutil.h"
#include "proc/acl.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

/* The file system under $TMPDIR takes ACLs (ext4, tmpfs, xfs do): else the tests skip. */
static int
acls_work(const char *dir)
{
	struct proc_acl_user u = {12345, PROC_ACL_R};
	struct err e;

	return proc_acl_set(dir, 0, &u, 1, &e) == 0;
}

static void
test_access_acl(void **state)
{
	char dir[256], path[300];
	struct proc_acl_user u = {54321, PROC_ACL_R | PROC_ACL_W};
	struct stat st;
	struct err e;
	int fd;

	(void)state;
	test_mkdtemp(dir, sizeof(dir));
	if (!acls_work(dir)) {
		test_rmdir(dir);
		skip();
	}
	snprintf(path, sizeof(path), "%s/lancre.db", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0640);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(path, 0640), 0);
	assert_false(proc_acl_grants(path, 54321, PROC_ACL_R)); /* no ACL at all */
	assert_int_equal(proc_acl_set(path, 0, &u, 1, &e), 0);
	assert_true(proc_acl_grants(path, 54321, PROC_ACL_R | PROC_ACL_W));
	assert_false(proc_acl_grants(path, 54322, PROC_ACL_R)); /* another user */
	/* The mode's group bits are the mask now: rw. */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	/* A chmod narrows the mask: the named user's write goes with it (layout.c sets the
	 * ACL after its chmod for that reason). */
	assert_int_equal(chmod(path, 0640), 0);
	assert_false(proc_acl_grants(path, 54321, PROC_ACL_W));
	assert_true(proc_acl_grants(path, 54321, PROC_ACL_R));
	test_rmdir(dir);
}

/* A file made later in a directory with the default ACL: both writers write it. */
static void
test_default_acl(void **state)
{
	char dir[256], path[300];
	struct proc_acl_user w[] = {{54321, PROC_ACL_R | PROC_ACL_W}, {4242, PROC_ACL_R | PROC_ACL_W}};
	struct err e;
	int fd;

	(void)state;
	test_mkdtemp(dir, sizeof(dir));
	if (!acls_work(dir)) {
		test_rmdir(dir);
		skip();
	}
	assert_int_equal(proc_acl_set(dir, 1, w, 2, &e), 0); /* unsorted uids: sorted here */
	snprintf(path, sizeof(path), "%s/lancre.db-wal", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0660); /* SQLite: the main file's mode */
	assert_true(fd >= 0);
	close(fd);
	assert_true(proc_acl_grants(path, 54321, PROC_ACL_R | PROC_ACL_W));
	assert_true(proc_acl_grants(path, 4242, PROC_ACL_R | PROC_ACL_W));
	/* Made 0600 (a private file): the mask is empty, nobody named gets anything. */
	snprintf(path, sizeof(path), "%s/sign.lock", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_false(proc_acl_grants(path, 54321, PROC_ACL_R));
	test_rmdir(dir);
}

static void
test_missing_file(void **state)
{
	struct proc_acl_user u = {1, PROC_ACL_R};
	struct err e;

	(void)state;
	assert_int_equal(proc_acl_set("/nonexistent/lancre.db", 0, &u, 1, &e), -1);
	assert_string_equal(e.msg, "cannot stat /nonexistent/lancre.db: No such file or directory");
	assert_false(proc_acl_grants("/nonexistent/lancre.db", 1, PROC_ACL_R));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_access_acl),
	    cmocka_unit_test(test_default_acl),
	    cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
