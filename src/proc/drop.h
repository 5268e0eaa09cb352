/*
 * drop.h - leaving root, for good, and the self-protection of processes
 * that hold secrets.
 *
 * Started as root, no lancre process stays root after start-up: the
 * children become their row's user (proc/procs.h) with no capability left,
 * and the supervisor, which must still start children as two different
 * users, becomes [signer] user keeping only CAP_SETUID and CAP_SETGID (to
 * switch a new child to its user) and CAP_KILL (to signal children that run
 * as another user).  Keeping one root supervisor would have been simpler,
 * and forking per-user "spawner" processes would need no capability, but a
 * spawner shares its uid with the children it restarts, which could then
 * kill or trace it; three capabilities in a process with no input but wait
 * statuses and signals is the smaller surface.  See docs/SECURITY.md.
 */
#ifndef LANCRE_PROC_DROP_H
#define LANCRE_PROC_DROP_H

#include "proc/users.h"
#include "util/err.h"

/* The supervisor's capabilities: start children as their users, and signal them. */
#define PROC_SUPERVISOR_CAPS "CAP_SETUID, CAP_SETGID, CAP_KILL"

/*
 * Become u for good: no supplementary groups, u's primary group, u's uid as
 * real, effective and saved uid, no capability; then check that uid 0 cannot
 * come back (setuid(0) must fail).  Called as root or as the supervisor.
 */
int proc_become(const struct proc_user *u, struct err *e);

/*
 * The supervisor leaves root: become u (the signer's user) keeping only
 * CAP_SETUID, CAP_SETGID and CAP_KILL, and not dumpable (proc_protect).
 */
int proc_become_supervisor(const struct proc_user *u, struct err *e);

/*
 * A process that holds keys or capabilities: not dumpable (no core file, no
 * ptrace or /proc/PID/mem by its own user) and RLIMIT_CORE 0.
 */
int proc_protect(struct err *e);

#endif
