/*
 * supervise.c - the supervisor loop; see supervise.h.
 *
 * Everything happens on one thread between two sigtimedwait() calls: reap
 * the children that exited (each by its own PID, WNOHANG: never a child
 * someone else started), start those whose back-off has run out, pass
 * SIGHUP on, and on SIGTERM/SIGINT stop.  The timeout is the next restart
 * (or, stopping, the kill deadline), at most PROC_WAIT_TICK_MS, so neither is
 * ever late by more than a tick.
 *
 * A child replaced on SIGHUP (on_hup) is retired, not awaited: its PID moves
 * to a slot of its own (struct retiree) with its SIGTERM and a kill deadline,
 * and its row is free to start the new child at once, so the two overlap
 * (the old one finishing its answers, the new one accepting on the same
 * inherited socket) and no moment is left with nobody to accept.
 */
#include "proc/supervise.h"
#include "sandbox/sandbox.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct child {
	const struct proc *p;
	pid_t pid;            /* 0: not running */
	int64_t started_ms;   /* when pid was forked */
	int64_t restart_at_ms;
	long backoff_ms;      /* the next death's delay, if it follows a short run */
	int status;           /* the last wait status */
	int killed;           /* SIGKILLed at the stop deadline */
	int replacing;        /* sent SIGTERM by on_hup's answer: started again once exited */
	struct sandbox_trap *trap; /* its own shared page (MAP_SHARED), or NULL */
};

/* A child replaced on SIGHUP, finishing its work while its row's new child runs. */
struct retiree {
	struct child *k;      /* its row; NULL: the slot is free */
	pid_t pid;
	int64_t kill_at_ms;   /* SIGKILL if still running then (stop_kill_ms after its SIGTERM) */
	int killed;
};

struct supervisor {
	const struct proc_supervise_opts *o;
	struct child kids[PROC_COUNT];
	struct retiree retired[PROC_RETIRING_MAX];
	size_t n;
	sigset_t set, old;
	int stopping;
	int64_t stop_deadline_ms;
	long reset_ms, stop_kill_ms; /* o's, or the named limits */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
proc_describe_exit(const struct proc_exit *x, char *buf, size_t len)
{
	char call[96];

	if (x->trap_nr >= 0 && WIFSIGNALED(x->status) && WTERMSIG(x->status) == SIGSYS)
		snprintf(buf, len, "was killed by the sandbox: forbidden system call %s",
		    sandbox_syscall_describe(x->trap_arch, x->trap_nr, call, sizeof(call)));
	else
		proc_describe_status(x->status, buf, len);
}

void
proc_describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		snprintf(buf, len, "was killed by signal %d (SIGSYS: a system call outside its "
				   "sandbox)", SIGSYS);
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended with wait status %d", status);
}

/* In the forked child: name it, run its body, never return. */
static void
child_main(struct supervisor *sv, struct child *k, pid_t parent)
{
	struct proc_child c = {.p = k->p, .supervisor = parent, .blocked = sv->set};
	struct sigaction sa;
	char name[16];

	/* Only its own page: a sibling's death is not its to describe. */
	for (size_t i = 0; i < sv->n; i++) {
		if (&sv->kids[i] != k && sv->kids[i].trap != NULL)
			munmap(sv->kids[i].trap, sizeof(*sv->kids[i].trap));
	}
	sandbox_trap_report(k->trap, NULL); /* the supervisor says it, naming the call */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN; /* Ctrl-C reaches the group: the supervisor sends SIGTERM */
	sigaction(SIGINT, &sa, NULL);
	snprintf(name, sizeof(name), "lancre-%s", k->p->name);
	prctl(PR_SET_NAME, name);
	_exit(sv->o->body(sv->o->body_arg, &c));
}

static void
start(struct supervisor *sv, struct child *k)
{
	pid_t parent = getpid(), pid;
	struct err e;

	fflush(NULL); /* nothing buffered is written twice */
	if (k->trap != NULL)
		sandbox_trap_clear(k->trap);
	pid = fork();
	if (pid == 0)
		child_main(sv, k, parent);
	k->started_ms = now_ms();
	if (pid > 0) {
		k->pid = pid;
		return;
	}
	err_set(&e, "cannot start the %s: %s", k->p->name, strerror(errno));
	if (sv->o->ev != NULL && sv->o->ev->on_start_error != NULL)
		sv->o->ev->on_start_error(sv->o->ev->arg, k->p, &e);
	k->restart_at_ms = k->started_ms + PROC_RESTART_MAX_MS;
}

/* k exited: when to start it again, and tell. */
static void
exited(struct supervisor *sv, struct child *k, int status)
{
	int64_t t = now_ms();
	long delay = -1;
	struct proc_exit x = {.pid = k->pid, .status = status, .trap_nr = -1};
	int replaced = k->replacing;

	if (k->trap == NULL || sandbox_trap_read(k->trap, k->pid, &x.trap_nr, &x.trap_arch) != 0)
		x.trap_nr = -1;
	k->pid = 0;
	k->status = status;
	k->replacing = 0;
	if (!sv->stopping && replaced) { /* asked to stop for a new one: no back-off */
		delay = 0;
		k->restart_at_ms = t;
		x.replaced = 1;
	} else if (!sv->stopping) {
		if (t - k->started_ms >= sv->reset_ms)
			k->backoff_ms = PROC_RESTART_MIN_MS;
		delay = k->backoff_ms;
		k->restart_at_ms = t + delay;
		k->backoff_ms = k->backoff_ms * 2 > PROC_RESTART_MAX_MS ? PROC_RESTART_MAX_MS
									  : k->backoff_ms * 2;
	}
	x.restart_ms = delay;
	if (sv->o->ev != NULL && sv->o->ev->on_exit != NULL)
		sv->o->ev->on_exit(sv->o->ev->arg, k->p, &x);
}

/* A retired child exited: told as replaced, never started again (its row already was). */
static void
retiree_exited(struct supervisor *sv, struct retiree *r, int status)
{
	struct proc_exit x = {.pid = r->pid, .status = status, .trap_nr = -1, .restart_ms = -1,
	    .replaced = 1};
	const struct proc *p = r->k->p;

	/* The page is its row's: read only if it still names this PID (sandbox_trap_read). */
	if (r->k->trap == NULL ||
	    sandbox_trap_read(r->k->trap, r->pid, &x.trap_nr, &x.trap_arch) != 0)
		x.trap_nr = -1;
	r->k = NULL;
	if (sv->o->ev != NULL && sv->o->ev->on_exit != NULL)
		sv->o->ev->on_exit(sv->o->ev->arg, p, &x);
}

static void
reap(struct supervisor *sv)
{
	int status;

	for (size_t i = 0; i < sv->n; i++) {
		struct child *k = &sv->kids[i];
		if (k->pid > 0 && waitpid(k->pid, &status, WNOHANG) == k->pid)
			exited(sv, k, status);
	}
	for (size_t i = 0; i < PROC_RETIRING_MAX; i++) {
		struct retiree *r = &sv->retired[i];
		if (r->k != NULL && waitpid(r->pid, &status, WNOHANG) == r->pid)
			retiree_exited(sv, r, status);
	}
}

/*
 * on_hup's replacement of k: SIGTERM to its child, moved to a free retiree
 * slot, and the row started again at once (start_due()).  -1: no free slot
 * (PROC_RETIRING_MAX replaced children still finishing): the caller waits for
 * this one's exit instead.
 */
static int
retire(struct supervisor *sv, struct child *k)
{
	for (size_t i = 0; i < PROC_RETIRING_MAX; i++) {
		struct retiree *r = &sv->retired[i];
		if (r->k != NULL)
			continue;
		*r = (struct retiree){.k = k, .pid = k->pid,
		    .kill_at_ms = now_ms() + sv->stop_kill_ms};
		kill(r->pid, SIGTERM);
		k->pid = 0;
		k->restart_at_ms = now_ms();
		return 0;
	}
	return -1;
}

/* Retired children past their deadline are killed; returns ms until the next deadline. */
static long
retirees_due(struct supervisor *sv, long wait)
{
	int64_t t = now_ms();

	for (size_t i = 0; i < PROC_RETIRING_MAX; i++) {
		struct retiree *r = &sv->retired[i];
		if (r->k == NULL || r->killed)
			continue;
		if (r->kill_at_ms <= t) {
			kill(r->pid, SIGKILL);
			r->killed = 1;
		} else if (r->kill_at_ms - t < wait) {
			wait = (long)(r->kill_at_ms - t);
		}
	}
	return wait;
}

static void
signal_all(struct supervisor *sv, int sig)
{
	for (size_t i = 0; i < sv->n; i++) {
		if (sv->kids[i].pid > 0)
			kill(sv->kids[i].pid, sig);
	}
	for (size_t i = 0; i < PROC_RETIRING_MAX; i++) {
		if (sv->retired[i].k != NULL && !sv->retired[i].killed)
			kill(sv->retired[i].pid, sig);
	}
}

/* Start the children that are due; returns ms until the next one is (or the tick). */
static long
start_due(struct supervisor *sv)
{
	int64_t t = now_ms(), wait = PROC_WAIT_TICK_MS;

	for (size_t i = 0; i < sv->n; i++) {
		struct child *k = &sv->kids[i];
		if (k->pid > 0)
			continue;
		if (k->restart_at_ms <= t)
			start(sv, k);
		else if (k->restart_at_ms - t < wait)
			wait = k->restart_at_ms - t;
	}
	return (long)wait;
}

static int
running(const struct supervisor *sv)
{
	for (size_t i = 0; i < sv->n; i++) {
		if (sv->kids[i].pid > 0)
			return 1;
	}
	for (size_t i = 0; i < PROC_RETIRING_MAX; i++) {
		if (sv->retired[i].k != NULL)
			return 1;
	}
	return 0;
}

static void
on_signal(struct supervisor *sv, int sig)
{
	if (sig == SIGHUP && !sv->stopping) {
		unsigned replace = 0;
		if (sv->o->ev != NULL && sv->o->ev->on_hup != NULL)
			replace = sv->o->ev->on_hup(sv->o->ev->arg);
		for (size_t i = 0; i < sv->n; i++) {
			struct child *k = &sv->kids[i];
			if (k->pid <= 0)
				continue; /* not running: it starts with what on_hup changed */
			if ((replace & (1u << k->p->id)) != 0) {
				if (retire(sv, k) != 0) { /* no slot: the new one after the old */
					k->replacing = 1;
					kill(k->pid, SIGTERM);
				}
			} else {
				kill(k->pid, SIGHUP);
			}
		}
	} else if ((sig == SIGTERM || sig == SIGINT) && !sv->stopping) {
		sv->stopping = 1;
		sv->stop_deadline_ms = now_ms() + sv->stop_kill_ms;
		for (size_t i = 0; i < sv->n; i++)
			sv->kids[i].status = 0; /* only the stop's exit counts now */
		signal_all(sv, SIGTERM);
	}
}

/* After the stop: 0 if every child exited 0, else say which did not. */
static int
stop_result(const struct supervisor *sv, struct err *e)
{
	char how[128];

	for (size_t i = 0; i < sv->n; i++) {
		const struct child *k = &sv->kids[i];
		if (k->killed)
			return err_set(e, "the %s did not stop within %ld ms and was killed",
			    k->p->name, sv->stop_kill_ms);
		if (k->status != 0) {
			proc_describe_status(k->status, how, sizeof(how));
			return err_set(e, "the %s %s while stopping", k->p->name, how);
		}
	}
	return 0;
}

/* Stopping: ms until the kill deadline (or the tick), so the SIGKILL is not late. */
static long
stop_wait(const struct supervisor *sv)
{
	int64_t left = sv->stop_deadline_ms - now_ms();

	if (left > 0 && left < PROC_WAIT_TICK_MS)
		return (long)left;
	return PROC_WAIT_TICK_MS; /* past it: the children were killed, their SIGCHLD wakes us */
}

static void
loop(struct supervisor *sv)
{
	struct timespec ts;
	long wait;
	int sig;

	for (;;) {
		reap(sv);
		if (sv->stopping && !running(sv))
			return;
		wait = sv->stopping ? stop_wait(sv) : start_due(sv);
		if (sv->stopping && now_ms() >= sv->stop_deadline_ms) {
			for (size_t i = 0; i < sv->n; i++) {
				if (sv->kids[i].pid > 0 && !sv->kids[i].killed) {
					kill(sv->kids[i].pid, SIGKILL);
					sv->kids[i].killed = 1;
				}
			}
			for (size_t i = 0; i < PROC_RETIRING_MAX; i++) {
				if (sv->retired[i].k != NULL && !sv->retired[i].killed) {
					kill(sv->retired[i].pid, SIGKILL);
					sv->retired[i].killed = 1;
				}
			}
		} else if (!sv->stopping) {
			wait = retirees_due(sv, wait);
		}
		ts.tv_sec = wait / 1000;
		ts.tv_nsec = (wait % 1000) * 1000000L;
		sig = sigtimedwait(&sv->set, NULL, &ts);
		if (sig > 0)
			on_signal(sv, sig);
	}
}

int
proc_supervise(const struct proc_supervise_opts *o, struct err *e)
{
	struct supervisor sv;
	struct sigaction sa;
	int rc;

	memset(&sv, 0, sizeof(sv));
	sv.o = o;
	if (o->n > PROC_COUNT)
		return err_set(e, "too many processes to supervise");
	for (size_t i = 0; i < o->n; i++) {
		sv.kids[i].p = proc_get(o->ids[i]);
		sv.kids[i].backoff_ms = PROC_RESTART_MIN_MS;
		/* A page each, shared with that child alone (child_main()); none: calls go unnamed. */
		sv.kids[i].trap = mmap(NULL, sizeof(struct sandbox_trap), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (sv.kids[i].trap == MAP_FAILED)
			sv.kids[i].trap = NULL;
	}
	sv.n = o->n;
	sv.reset_ms = o->reset_ms > 0 ? o->reset_ms : PROC_RESTART_RESET_MS;
	sv.stop_kill_ms = o->stop_kill_ms > 0 ? o->stop_kill_ms : PROC_STOP_KILL_MS;
	/* SIGCHLD must not be ignored (the kernel would reap for us): default, blocked. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&sv.set);
	sigaddset(&sv.set, SIGCHLD);
	sigaddset(&sv.set, SIGHUP);
	sigaddset(&sv.set, SIGTERM);
	sigaddset(&sv.set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &sv.set, &sv.old) != 0) {
		rc = err_set(e, "cannot block signals: %s", strerror(errno));
	} else {
		loop(&sv);
		sigprocmask(SIG_SETMASK, &sv.old, NULL);
		rc = stop_result(&sv, e);
	}
	for (size_t i = 0; i < sv.n; i++) {
		if (sv.kids[i].trap != NULL)
			munmap(sv.kids[i].trap, sizeof(*sv.kids[i].trap));
	}
	return rc;
}

int
proc_child_ready(const struct proc_child *c, struct err *e)
{
	/* Cleared by a change of user: asked for after it. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
		return err_set(e, "cannot ask to die with the supervisor: %s", strerror(errno));
	if (getppid() != c->supervisor)
		return err_set(e, "the supervisor (pid %ld) is gone", (long)c->supervisor);
	if (sigprocmask(SIG_UNBLOCK, &c->blocked, NULL) != 0)
		return err_set(e, "cannot unblock signals: %s", strerror(errno));
	return 0;
}
