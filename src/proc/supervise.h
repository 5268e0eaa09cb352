/*
 * supervise.h - the supervisor of `lancre run`: start the children of the
 * process table (proc/procs.h), restart one that dies, pass signals on, stop
 * cleanly.
 *
 * The supervisor only supervises.  It holds what the caller acquired before
 * calling (the listening sockets, the signer lock: the children inherit them,
 * and a restarted server finds the ports still bound, so there is no moment
 * when another program could take them) and nothing else: no store handle and
 * no key.  It is single-threaded and waits for signals with sigtimedwait()
 * (SIGCHLD, SIGHUP, SIGTERM, SIGINT blocked), so no handler races a restart.
 *
 * A child that dies is restarted after a back-off: PROC_RESTART_MIN_MS,
 * doubled at each death that follows a short run, up to PROC_RESTART_MAX_MS;
 * a child that ran PROC_RESTART_RESET_MS or more starts again from the
 * minimum.  SIGHUP is passed to every child (or replaces those on_hup
 * names, the old and the new child overlapping); SIGTERM and SIGINT become
 * a SIGTERM to every child, and the supervisor returns once all have exited
 * (SIGKILL after PROC_STOP_KILL_MS).  Library code: events go to callbacks,
 * nothing is printed, and only the children it started are waited for.
 *
 * Each child has a page of its own shared with the supervisor, mapped before
 * the fork, where the child's sandbox notes the system call that killed it
 * (struct sandbox_trap): the supervisor reads it after the death, so its log
 * names the call.  A child unmaps its siblings' pages at once: a taken-over
 * server cannot write what the signer's death will say.
 */
#ifndef LANCRE_PROC_SUPERVISE_H
#define LANCRE_PROC_SUPERVISE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proc/procs.h"
#include "util/err.h"

#define PROC_RESTART_MIN_MS 100
#define PROC_RESTART_MAX_MS 10000
#define PROC_RESTART_RESET_MS 10000 /* a child that ran this long was healthy */
#define PROC_STOP_KILL_MS 30000     /* after SIGTERM: the server drains for SERVER_DRAIN_MS */
#define PROC_WAIT_TICK_MS 1000      /* the longest sigtimedwait() between checks */
#define PROC_RETIRING_MAX 4         /* replaced children finishing at once (on_hup) */

/* What a child gets from the supervisor, for proc_child_ready(). */
struct proc_child {
	const struct proc *p;
	pid_t supervisor;
	sigset_t blocked; /* blocked by the supervisor; the child unblocks them when ready */
};

/* How a child ended, for proc_events.on_exit. */
struct proc_exit {
	pid_t pid;
	int status;       /* its wait status */
	int trap_nr;      /* killed by its sandbox: the system call it noted (sandbox.h); else -1 */
	uint32_t trap_arch;
	long restart_ms;  /* >= 0: started again in that many ms; -1: not (stopping, or replaced) */
	int replaced;     /* stopped for on_hup's replacement (its row already started again) */
};

/*
 * A child's body, run in the forked process; its return value is the
 * child's exit status.  It starts with SIGTERM, SIGHUP and SIGCHLD blocked
 * (none is lost) and SIGINT ignored (the terminal's Ctrl-C reaches the whole
 * process group: the supervisor turns it into one SIGTERM); it sets its
 * handlers, then calls proc_child_ready().
 */
typedef int (*proc_body_fn)(void *arg, const struct proc_child *c);

struct proc_events {
	/* Child p ended as x says. */
	void (*on_exit)(void *arg, const struct proc *p, const struct proc_exit *x);
	/* Child p could not be forked (e says why); tried again after the back-off. */
	void (*on_start_error)(void *arg, const struct proc *p, const struct err *e);
	/*
	 * SIGHUP came: called before it is passed to the children.  Returns the
	 * rows (bits 1u << enum proc_id) to replace instead, gracefully, the way
	 * nginx replaces its workers: the row's child gets SIGTERM, not SIGHUP,
	 * and a new one is started at once, with what the callback changed in
	 * the parent (`lancre run`: the admin process, for TLS files read
	 * again, admin/tls.h), while the old one finishes (it has stop_kill_ms,
	 * then SIGKILL).  Both hold the listening sockets they inherited, so a
	 * connection is never refused: the old child stops accepting on the
	 * SIGTERM and the kernel's backlog keeps what comes until the new one
	 * accepts.  The old child's exit is told with x->replaced and
	 * restart_ms -1 (not a death: no back-off, nothing started for it).
	 * With PROC_RETIRING_MAX replaced children still finishing, the new one
	 * starts only once the old one has exited.
	 */
	unsigned (*on_hup)(void *arg);
	void *arg;
};

struct proc_supervise_opts {
	const enum proc_id *ids; /* the rows to run as children */
	size_t n;
	proc_body_fn body;
	void *body_arg;
	const struct proc_events *ev; /* may be NULL */
	/* 0: the named limits, PROC_RESTART_RESET_MS and PROC_STOP_KILL_MS (tests shorten them). */
	long reset_ms;     /* a child that ran this long restarts after PROC_RESTART_MIN_MS */
	long stop_kill_ms; /* after the stop's SIGTERM, children still running are SIGKILLed */
};

/*
 * Run o's children until SIGTERM or SIGINT, then stop them.  Returns 0 when
 * every child exited 0 on the stop; -1 with e saying which did not (and if
 * it had to be killed).  The caller has not blocked or handled SIGCHLD.
 */
int proc_supervise(const struct proc_supervise_opts *o, struct err *e);

/*
 * In a child, once its handlers are set: die with the supervisor
 * (PR_SET_PDEATHSIG; after any change of user, which clears it), return -1
 * if the supervisor is already gone, and unblock the signals.
 */
int proc_child_ready(const struct proc_child *c, struct err *e);

/* "exited with status N", "was killed by signal N (Name)" (SIGSYS: "... outside its sandbox"). */
void proc_describe_status(int status, char *buf, size_t len);

/*
 * As proc_describe_status(), or for a child its sandbox killed and that
 * noted the call: "was killed by the sandbox: forbidden system call
 * "ptrace" (101)".
 */
void proc_describe_exit(const struct proc_exit *x, char *buf, size_t len);

#endif
