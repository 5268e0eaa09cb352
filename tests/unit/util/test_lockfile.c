/* Unit tests for util/lockfile: one holder per lock file, its PID in the refusal. */
#include "testutil.h"
#include "util/lockfile.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void
test_second_holder_refused(void **state)
{
	char dir[256], path[300], want[64];
	struct err e;
	int fd, again;

	(void)state;
	test_mkdtemp(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/sign.lock", dir);
	fd = lockfile_take(path, "a signer", &e);
	assert_true(fd >= 0);
	/* flock() locks belong to the open file: a second open is refused, same process or not. */
	assert_int_equal(lockfile_take(path, "a signer", &e), -1);
	snprintf(want, sizeof(want), "a signer is already running (process %ld, ", (long)getpid());
	assert_non_null(strstr(e.msg, want));
	close(fd);
	again = lockfile_take(path, "a signer", &e); /* the lock went with the descriptor */
	assert_true(again >= 0);
	close(again);
	test_rmdir(dir);
}

static void
test_forked_child_names_itself(void **state)
{
	char dir[256], path[300], want[64];
	struct err e;
	int fd, status, ready[2], taken;
	pid_t child;
	char c;

	(void)state;
	test_mkdtemp(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/sign.lock", dir);
	fd = lockfile_take(path, "a signer", &e);
	assert_true(fd >= 0);
	assert_int_equal(pipe(ready), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) { /* takes the role over, as run's signer does */
		lockfile_set_pid(fd);
		(void)write(ready[1], "x", 1);
		sleep(30); /* killed long before */
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(fd); /* the child's copy still holds the lock */
	taken = lockfile_take(path, "a signer", &e);
	kill(child, SIGKILL); /* before any assertion: never leave the child behind */
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(taken, -1);
	snprintf(want, sizeof(want), "(process %ld, ", (long)child);
	assert_non_null(strstr(e.msg, want));
	fd = lockfile_take(path, "a signer", &e); /* a killed holder leaves no stale lock */
	assert_true(fd >= 0);
	close(fd);
	close(ready[0]);
	close(ready[1]);
	test_rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_second_holder_refused),
	    cmocka_unit_test(test_forked_child_names_itself),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
