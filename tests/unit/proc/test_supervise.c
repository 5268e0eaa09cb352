/*
 * Unit tests for proc/supervise: restarts with back-off and its reset after
 * a healthy run, the stop and its kill deadline (both shortened through
 * proc_supervise_opts, standing in for the named limits), the
 * description of a child's end, and that only the supervisor's own children
 * are waited for.
 */
#include "testutil.h"
#include "proc/supervise.h"
#include "sandbox/sandbox.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
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
on_exit_seen(void *arg, const struct proc *p, const struct proc_exit *x)
{
	struct seen *s = arg;

	(void)p;
	if (s->n < 8) {
		s->delays[s->n] = x->restart_ms;
		s->status[s->n] = x->status;
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

/* Dies at once in its first two runs, lives 300 ms in its third (s->n: deaths seen at its fork). */
static int
body_lives_third(void *arg, const struct proc_child *c)
{
	const struct seen *s = arg;
	struct timespec t = {0, 300 * 1000000L};

	(void)c;
	if (s->n == 2)
		nanosleep(&t, NULL);
	return 3;
}

/*
 * A child that ran reset_ms or longer starts again from the minimum: 100,
 * 200, then 100 (not 400) after the 300 ms run, with reset_ms = 250 standing
 * in for PROC_RESTART_RESET_MS.
 */
static void
test_backoff_reset_after_a_healthy_run(void **state)
{
	static const enum proc_id ids[] = {PROC_SERVER};
	struct seen s = {0};
	struct proc_events ev = {.on_exit = on_exit_seen, .arg = &s};
	struct proc_supervise_opts o = {.ids = ids, .n = 1, .body = body_lives_third,
	    .body_arg = &s, .ev = &ev, .reset_ms = 250};
	struct err e;

	(void)state;
	assert_int_equal(proc_supervise(&o, &e), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.delays[0], 100);
	assert_int_equal(s.delays[1], 200);
	assert_int_equal(s.delays[2], 100);
}

/*
 * Ignores SIGTERM: only SIGKILL ends it in time.  It gives up after 5 s
 * (exit 7), so that a supervisor that never kills fails the test instead of
 * leaving it behind.
 */
static int
body_ignores_term(void *arg, const struct proc_child *c)
{
	struct timespec t = {5, 0};
	struct sigaction sa;
	struct err e;

	(void)arg;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGTERM, &sa, NULL);
	if (proc_child_ready(c, &e) != 0)
		return 1;
	while (nanosleep(&t, &t) != 0)
		;
	return 7;
}

static int
body_by_row(void *arg, const struct proc_child *c)
{
	return c->p->id == PROC_SERVER ? body_ignores_term(arg, c) : body_waits(arg, c);
}

/*
 * A child that ignores the stop's SIGTERM is SIGKILLed at the deadline
 * (stop_kill_ms = 300 standing in for PROC_STOP_KILL_MS), the other stops
 * as asked, and the supervisor returns -1 saying which was killed.  alarm()
 * ends the test if the supervisor hangs (its default action fails it).
 */
static void
test_stop_deadline_kills(void **state)
{
	static const enum proc_id ids[] = {PROC_SERVER, PROC_SIGNER};
	struct seen s = {0};
	struct proc_events ev = {.on_exit = on_exit_seen, .arg = &s};
	struct proc_supervise_opts o = {.ids = ids, .n = 2, .body = body_by_row, .ev = &ev,
	    .stop_kill_ms = 300};
	struct timespec t0, t1;
	struct err e;
	int status, killed = 0, stopped = 0;
	long ms;
	pid_t killer, me = getpid();

	(void)state;
	killer = fork();
	assert_true(killer >= 0);
	if (killer == 0) {
		struct timespec t = {0, 200 * 1000000L};
		nanosleep(&t, NULL);
		kill(me, SIGTERM);
		_exit(0);
	}
	alarm(10);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(proc_supervise(&o, &e), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	alarm(0);
	assert_string_equal(e.msg, "the server did not stop within 300 ms and was killed");
	assert_int_equal(s.n, 2);
	for (int i = 0; i < 2; i++) {
		killed += WIFSIGNALED(s.status[i]) && WTERMSIG(s.status[i]) == SIGKILL;
		stopped += WIFEXITED(s.status[i]) && WEXITSTATUS(s.status[i]) == 0;
		assert_int_equal(s.delays[i], -1); /* stopping: not restarted */
	}
	assert_int_equal(killed, 1);
	assert_int_equal(stopped, 1);
	assert_int_equal(waitpid(killer, &status, 0), killer);
	/* the stop at 200 ms, the kill 300 ms later: not 30 s, nor a tick late */
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 450 && ms < 1000);
}

/* A child its sandbox kills: the supervisor is told which call, and says it. */
static void
on_exit_described(void *arg, const struct proc *p, const struct proc_exit *x)
{
	char *out = arg;

	(void)p;
	if (out[0] == '\0')
		proc_describe_exit(x, out, 256);
	kill(getpid(), SIGTERM);
}

static int
body_forbidden_call(void *arg, const struct proc_child *c)
{
	struct sandbox_paths paths = {.dir = "/nonexistent", .store = "lancre.db"};
	struct sandbox_report r;
	struct err e;

	(void)arg;
	(void)c;
	if (sandbox_enter(SANDBOX_SERVER, SANDBOX_AUTO, &paths, &r, &e) != 0)
		return 10;
	syscall(SYS_mount, NULL, NULL, NULL, 0UL, NULL);
	return 11;
}

static void
test_names_the_forbidden_call(void **state)
{
	static const enum proc_id ids[] = {PROC_SERVER};
	char got[256] = "", want[128];
	struct proc_events ev = {.on_exit = on_exit_described, .arg = got};
	struct proc_supervise_opts o = {.ids = ids, .n = 1, .body = body_forbidden_call, .ev = &ev};
	struct err e;

	(void)state;
	proc_supervise(&o, &e);
	snprintf(want, sizeof(want), "was killed by the sandbox: forbidden system call \"mount\" (%d)",
	    SYS_mount);
	assert_string_equal(got, want);
}

/* The replacement test's children write their start ("s PID") and end ("e PID") here. */
static int events_fd = -1;

static void
note(char what)
{
	char line[32];
	int len = snprintf(line, sizeof(line), "%c %ld\n", what, (long)getpid());

	assert_true(write(events_fd, line, (size_t)len) == len);
}

/* Notes its start; on SIGTERM (blocked at start: supervise.h) works 300 ms more, notes its end. */
static int
body_finishes(void *arg, const struct proc_child *c)
{
	struct timespec t = {0, 300 * 1000000L};
	sigset_t term;
	int sig;

	(void)arg;
	(void)c;
	note('s');
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigwait(&term, &sig);
	nanosleep(&t, NULL);
	note('e');
	return 0;
}

struct hup_seen {
	int hups, replaced, stopped;
	long replaced_restart_ms;
	pid_t replaced_pid;
	int replaced_status;
};

static unsigned
on_hup_replace(void *arg)
{
	((struct hup_seen *)arg)->hups++;
	return 1u << PROC_ADMIN;
}

static void
on_exit_hup(void *arg, const struct proc *p, const struct proc_exit *x)
{
	struct hup_seen *h = arg;

	assert_int_equal(p->id, PROC_ADMIN);
	if (x->replaced) {
		h->replaced++;
		h->replaced_restart_ms = x->restart_ms;
		h->replaced_pid = x->pid;
		h->replaced_status = x->status;
	} else {
		h->stopped++;
	}
}

/*
 * on_hup's replacement overlaps the two children (nginx's way): the new one
 * starts at once, while the old one, sent SIGTERM, still finishes its 300 ms
 * of work; the old one's exit is told as replaced, not restarted; the stop
 * then ends the new one.  The order the children wrote: start A, start B,
 * end A, end B (waiting for A before starting B would give s A, e A, s B).
 */
static void
test_hup_replaces_overlapping(void **state)
{
	static const enum proc_id ids[] = {PROC_ADMIN};
	struct hup_seen h = {0};
	struct proc_events ev = {.on_exit = on_exit_hup, .on_hup = on_hup_replace, .arg = &h};
	struct proc_supervise_opts o = {.ids = ids, .n = 1, .body = body_finishes, .ev = &ev};
	char buf[256], what[4];
	long pids[4];
	int fds[2], status, got = 0, off = 0;
	ssize_t r;
	struct err e;
	pid_t killer, me = getpid();

	(void)state;
	assert_int_equal(pipe(fds), 0);
	events_fd = fds[1];
	killer = fork();
	assert_true(killer >= 0);
	if (killer == 0) {
		struct timespec t = {0, 200 * 1000000L}, u = {0, 600 * 1000000L};
		nanosleep(&t, NULL);
		kill(me, SIGHUP);
		nanosleep(&u, NULL);
		kill(me, SIGTERM);
		_exit(0);
	}
	alarm(10);
	assert_int_equal(proc_supervise(&o, &e), 0);
	alarm(0);
	assert_int_equal(waitpid(killer, &status, 0), killer);
	close(fds[1]);
	while ((r = read(fds[0], buf + off, sizeof(buf) - 1 - (size_t)off)) > 0)
		off += (int)r;
	close(fds[0]);
	buf[off] = '\0';
	for (char *line = strtok(buf, "\n"); line != NULL && got < 4; line = strtok(NULL, "\n")) {
		assert_int_equal(sscanf(line, "%c %ld", &what[got], &pids[got]), 2);
		got++;
	}
	assert_int_equal(got, 4);
	assert_true(what[0] == 's' && what[1] == 's' && what[2] == 'e' && what[3] == 'e');
	assert_true(pids[0] != pids[1]);
	assert_true(pids[2] == pids[0] && pids[3] == pids[1]); /* A ended after B started */
	assert_int_equal(h.hups, 1);
	assert_int_equal(h.replaced, 1);
	assert_int_equal(h.replaced_pid, pids[0]);
	assert_int_equal(h.replaced_restart_ms, -1);
	assert_true(WIFEXITED(h.replaced_status) && WEXITSTATUS(h.replaced_status) == 0);
	assert_int_equal(h.stopped, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_describe_status),
	    cmocka_unit_test(test_restarts_with_backoff),
	    cmocka_unit_test(test_stop),
	    cmocka_unit_test(test_backoff_reset_after_a_healthy_run),
	    cmocka_unit_test(test_stop_deadline_kills),
	    cmocka_unit_test(test_names_the_forbidden_call),
	    cmocka_unit_test(test_hup_replaces_overlapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
