/*
 * Unit tests for proc/supervise: restarts with back-off, the stop, the
 * description of a child's end, and that only the supervisor's own children
 * are waited for.
 */
#include "testutil.h"
#include "proc/supervise.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
test_describe_status(void **state)
{
	char buf[128];

	(void)state;
	proc_describe_status(3 << 8, buf, sizeof(buf)); /* exit(3) */
	assert_string_equal(buf, "exited with status 3");
	proc_describe_status(SIGKILL, buf, sizeof(buf));
	assert_string_equal(buf, "was killed by signal 9 (Killed)");
	proc_describe_status(SIGSYS, buf, sizeof(buf));
	assert_string_equal(buf, "was killed by signal 31 (SIGSYS: a system call outside its "
				 "sandbox)");
}

struct seen {
	int n;
	long delays[8];
	int status[8];
};

/* Records each death; after the third, asks the supervisor to stop (SIGTERM to ourselves). */
static void
on_exit_seen(void *arg, const struct proc *p, pid_t pid, int status, long restart_ms)
{
	struct seen *s = arg;

	(void)p;
	(void)pid;
	if (s->n < 8) {
		s->delays[s->n] = restart_ms;
		s->status[s->n] = status;
	}
	if (++s->n == 3)
		kill(getpid(), SIGTERM);
}

static int
body_dies(void *arg, const struct proc_child *c)
{
	(void)arg;
	(void)c;
	return 3;
}

/* A child that dies at once is restarted after 100, 200, 400 ms; an unrelated child is left alone. */
static void
test_restarts_with_backoff(void **state)
{
	static const enum proc_id ids[] = {PROC_SIGNER};
	struct seen s = {0};
	struct proc_events ev = {.on_exit = on_exit_seen, .arg = &s};
	struct proc_supervise_opts o = {.ids = ids, .n = 1, .body = body_dies, .ev = &ev};
	struct timespec t0, t1;
	struct err e;
	int status;
	pid_t other;

	(void)state;
	other = fork();
	assert_true(other >= 0);
	if (other == 0)
		_exit(7);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(proc_supervise(&o, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.delays[0], 100);
	assert_int_equal(s.delays[1], 200);
	assert_int_equal(s.delays[2], 400);
	assert_true(WIFEXITED(s.status[0]) && WEXITSTATUS(s.status[0]) == 3);
	/* the first two restarts waited: 300 ms at least */
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 300);
	assert_int_equal(waitpid(other, &status, 0), other); /* still ours to wait for */
	assert_int_equal(WEXITSTATUS(status), 7);
}

static volatile sig_atomic_t body_stop;

static void
on_term(int sig)
{
	(void)sig;
	body_stop = 1;
}

/* Runs until SIGTERM, then exits 0. */
static int
body_waits(void *arg, const struct proc_child *c)
{
	struct sigaction sa;
	struct err e;

	(void)arg;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	if (proc_child_ready(c, &e) != 0)
		return 1;
	while (!body_stop)
		pause();
	return 0;
}

/* SIGTERM to the supervisor stops its children; it returns 0 when they exited 0. */
static void
test_stop(void **state)
{
	static const enum proc_id ids[] = {PROC_SERVER, PROC_SIGNER};
	struct proc_supervise_opts o = {.ids = ids, .n = 2, .body = body_waits};
	struct err e;
	int status;
	pid_t killer, me = getpid();

	(void)state;
	killer = fork();
	assert_true(killer >= 0);
	if (killer == 0) {
		struct timespec t = {0, 300 * 1000000L};
		nanosleep(&t, NULL);
		kill(me, SIGTERM);
		_exit(0);
	}
	assert_int_equal(proc_supervise(&o, &e), 0);
	assert_int_equal(waitpid(killer, &status, 0), killer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_describe_status),
	    cmocka_unit_test(test_restarts_with_backoff),
	    cmocka_unit_test(test_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
