/*
 * procs.h - the table of lancre's processes.
 *
 * Like OpenBSD relayd's procs[], one table says which processes lancre runs,
 * as whom, and what each may open: a reader (or an auditor) finds here who
 * holds what.  `lancre run` starts every child row under a supervisor
 * (proc/supervise.h); `lancre sign` and `lancre serve` run one row each in
 * their own process, and `lancre admin` the admin row.
 *
 *   name        user            opens                                   sandbox
 *   supervisor  (see below)     listening sockets (bound, never read),  PROC_SANDBOX_SUPERVISOR
 *                               the signer lock, lancre.conf (read on
 *                               SIGHUP for the server: proc/confpass.h);
 *                               no store, no key
 *   server      [server] user   the store read-only, listening sockets  PROC_SANDBOX_SERVER
 *   signer      [signer] user   the store read-write, keys, public/     PROC_SANDBOX_SIGNER
 *   admin       [admin] user    the store read-write (intake only: it   PROC_SANDBOX_ADMIN
 *                               records certificates and revocations,
 *                               never signs), its listening socket;
 *                               no key, no public/
 *
 * The supervisor of a `lancre run` started as root leaves uid 0 for the
 * signer's user, keeping only CAP_SETUID, CAP_SETGID (to start children as
 * their users) and CAP_KILL (to signal them): see proc/drop.h.
 */
#ifndef LANCRE_PROC_PROCS_H
#define LANCRE_PROC_PROCS_H

enum proc_id {
	PROC_SUPERVISOR,
	PROC_SERVER,
	PROC_SIGNER,
	PROC_ADMIN,
	PROC_COUNT,
};

/* Whose user a process runs as (proc/users.h). */
enum proc_as {
	PROC_AS_SIGNER_USER_WITH_CAPS, /* the supervisor: [signer] user + CAP_SETUID/SETGID/KILL */
	PROC_AS_SERVER_USER,
	PROC_AS_SIGNER_USER,
	PROC_AS_ADMIN_USER,
};

/* What a process opens (bits). */
enum proc_opens {
	PROC_OPENS_STORE_READ = 1 << 0,  /* the store, read-only (STORE_READ) */
	PROC_OPENS_STORE_WRITE = 1 << 1, /* the store, read-write (STORE_WRITE) */
	PROC_OPENS_KEYS = 1 << 2,        /* issuer and responder keys, PINs (DIR/private/) */
	PROC_OPENS_LISTENERS = 1 << 3,   /* the listening sockets, bound by the supervisor */
	PROC_OPENS_NETWORK = 1 << 4,     /* accepts connections from the network */
	PROC_OPENS_PUBLIC = 1 << 5,      /* writes DIR/public/ (CRLs, lists, issuer certificates) */
	PROC_OPENS_SIGNER_LOCK = 1 << 6, /* DIR/sign.lock: one signer per data directory */
};

/* The sandbox a process enters once it has opened what it needs (src/sandbox/). */
enum proc_sandbox {
	PROC_SANDBOX_NONE,
	PROC_SANDBOX_SERVER,
	PROC_SANDBOX_SIGNER,
	PROC_SANDBOX_SUPERVISOR, /* no-new-privs and the union of its children's allowlists */
	PROC_SANDBOX_ADMIN,
};

struct proc {
	enum proc_id id;
	const char *name;   /* in logs, and the process name (/proc/PID/comm: "lancre-<name>") */
	enum proc_as as;
	unsigned opens;     /* enum proc_opens bits */
	enum proc_sandbox sandbox;
};

/* The row of id (never NULL for a valid id). */
const struct proc *proc_get(enum proc_id id);

#endif
