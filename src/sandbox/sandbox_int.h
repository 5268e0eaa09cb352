/*
 * sandbox_int.h - between sandbox.c (the policy: modes, order) and the
 * mechanisms, one file each: landlock.c and seccomp.c.
 */
#ifndef LANCRE_SANDBOX_SANDBOX_INT_H
#define LANCRE_SANDBOX_SANDBOX_INT_H

#include "sandbox/sandbox.h"

/* The kernel's Landlock ABI version, 0 if it has none (or it is disabled at boot). */
int sandbox_landlock_abi(void);

/* Restrict the calling thread (and what it starts later) to role's file rules. */
int sandbox_landlock_enter(enum sandbox_role role, const struct sandbox_paths *p, int abi,
    struct err *e);

/*
 * Handle SIGSYS (trap.c): note the trapped call, then die by SIGSYS.  Before
 * the filter, which refuses to change SIGSYS's action; once per process (a
 * child inherits its parent's handler).
 */
int sandbox_trap_install(struct err *e);

/* Whether the kernel filters system calls (seccomp filter mode). */
int sandbox_seccomp_available(void);

/*
 * Load role's allowlist for every thread of the process.  network: the
 * signer (and the supervisor, which bounds it) may create sockets of any
 * family, not only AF_UNIX.  db: the store is a database server, which
 * every role may reach with stream sockets (unix, IPv4, IPv6) and connect.
 * no-new-privs must be set.
 */
int sandbox_seccomp_enter(enum sandbox_role role, int network, int db, struct err *e);

#endif
