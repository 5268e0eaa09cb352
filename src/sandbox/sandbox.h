/*
 * sandbox.h - narrowing what a lancre process may do once it has started.
 *
 * Acquire, then narrow: a process opens its sockets, its store and its keys,
 * drops to its user, and then calls sandbox_enter() for its role, before it
 * starts any thread.  From then on:
 *
 *  - no-new-privs (PR_SET_NO_NEW_PRIVS): nothing it executes gains
 *    privileges (setuid binaries, file capabilities); also what lets an
 *    unprivileged process install the two filters below;
 *  - Landlock (landlock.c), where the kernel has it: the files the role may
 *    read, write or execute, by path, fixed at entry.  Landlock applies to
 *    the calling thread and the threads and processes it starts later, which
 *    is why a role enters before starting threads;
 *  - seccomp (seccomp.c): an allowlist of system calls per role, built with
 *    libseccomp, for every thread of the process (TSYNC).  A call outside it
 *    kills the whole process with SIGSYS: a taken-over process is stopped,
 *    not told "no" and left to try something else.  The filter traps
 *    (SCMP_ACT_TRAP) into a handler (trap.c) that notes the call in the
 *    process's struct sandbox_trap, or says it on stderr, before the process
 *    dies; whoever waits for it names the call with sandbox_syscall_describe().
 *
 * Neither filter can be lifted, and both are inherited across fork and
 * execve: a [crl] hook the signer starts runs inside the signer's sandbox.
 *
 * The mode ([sandbox] mode in lancre.conf) says what to do when the kernel
 * lacks a mechanism: auto applies what there is and reports the rest (the
 * caller prints one warning line), required refuses to start, off applies
 * nothing.  The environment variable LANCRE_SANDBOX=off turns it off for
 * builds or test runs that must (SANDBOX_ENV); sanitizer builds keep it on,
 * with the few calls their runtime makes at exit allowed (seccomp.c).
 */
#ifndef LANCRE_SANDBOX_SANDBOX_H
#define LANCRE_SANDBOX_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

/* Set to "off" in the environment, the sandbox is off whatever lancre.conf says. */
#define SANDBOX_ENV "LANCRE_SANDBOX"

/* The lancre processes, each with its own allowlist and file rules. */
enum sandbox_role {
	SANDBOX_SERVER,     /* the public server: reads its store, answers on accepted sockets */
	SANDBOX_SIGNER,     /* the signer: reads keys, writes the store and public/, runs the hook */
	SANDBOX_SUPERVISOR, /* a parent that only starts, signals and waits for its children */
	SANDBOX_ADMIN,      /* the admin API: writes its store, answers on accepted sockets */
};

enum sandbox_mode {
	SANDBOX_AUTO,     /* what the kernel offers; what it lacks is reported */
	SANDBOX_REQUIRED, /* all of it, or sandbox_enter() fails */
	SANDBOX_OFF,      /* nothing */
};

/*
 * What a role may touch on disk, as absolute or working-directory-relative
 * paths; NULL or "" for what does not apply.  Files that do not exist at
 * entry get no rule (a file created later is out of reach).  And whether
 * the signer may reach the network.
 */
struct sandbox_paths {
	const char *dir;           /* the data directory */
	const char *store;         /* the store file's name in dir ("lancre.db"); -wal, -shm too */
	const char *conf;          /* lancre.conf, read again on SIGHUP */
	const char *pkcs11_module; /* [pkcs11] module: its token directory is writable (SoftHSM2) */
	int network; /* signer, supervisor: sockets of any family and TCP connect ([signer] network) */
	/* The signer's reads beyond the data directory and the system's files (landlock.c): */
	const char *const *read_dirs; /* directories it reads (keys, PIN files, [signer] read_dirs);
				       * NULL-terminated, or NULL */
	const char *const *modules;   /* PKCS#11 modules: their directories read and executed */
	const char *hook;             /* [crl] hook's program, if a path: its directory too */
	/* A store that is a database server (PostgreSQL, store/reach.h); db_sockets 0 if not.
	 * Both roles may then open stream sockets (unix, TCP) and connect, as libpq does
	 * (re)connecting; with Landlock ABI 4, TCP connect reaches the db_ports only, even for
	 * a signer with [signer] network = no.  The password file is readable. */
	int db_sockets;
	const unsigned short *db_ports;
	int db_nports;
	const char *db_passfile;
	/* The admin process: TCP connect to the public listener's port (?wait=served asks it
	 * what it serves); 0 none. */
	unsigned short public_port;
};

#define SANDBOX_LACK_MAX 160
#define SANDBOX_TRAP_PREFIX_MAX 64

/*
 * Where a sandboxed process notes the call that its filter trapped, for
 * whoever waits for it: a slot in memory shared with that waiter (the
 * supervisor maps one page per child before fork).  Written once, by the
 * SIGSYS handler of the process that dies.
 */
struct sandbox_trap {
	volatile int32_t set; /* 1 once the fields below are written */
	int32_t nr;           /* the system call's number (si_syscall) */
	uint32_t arch;        /* its architecture (si_arch, an AUDIT_ARCH_* value) */
	int32_t pid;          /* the process that made it */
};

/*
 * Where this process's SIGSYS handler reports a trapped call: into slot
 * (NULL: none), and one line on stderr starting with prefix ("lancre sign";
 * NULL: no line), with the call's number (its name needs libseccomp, which a
 * signal handler cannot call).  By default: no slot, prefix "lancre".  Makes
 * no system call, so a child of the supervisor, already in its filter, can
 * set its own slot.
 */
void sandbox_trap_report(struct sandbox_trap *slot, const char *prefix);

/* Make slot empty (before the process that reports to it starts). */
void sandbox_trap_clear(struct sandbox_trap *slot);

/* The call process pid noted in slot: 0 with *nr and *arch, or -1 if it noted none. */
int sandbox_trap_read(const struct sandbox_trap *slot, pid_t pid, int *nr, uint32_t *arch);

/*
 * "\"ptrace\" (101)" for call nr of architecture arch (the architecture noted
 * with it, another one's is named), or "number 999 (...)" if libseccomp
 * does not know it: for the line saying which call killed a process.
 */
const char *sandbox_syscall_describe(uint32_t arch, int nr, char *buf, size_t len);

/* What sandbox_enter() applied; filled even when it fails. */
struct sandbox_report {
	int no_new_privs;             /* PR_SET_NO_NEW_PRIVS is set */
	int seccomp;                  /* the role's allowlist is loaded (Seccomp: 2) */
	int landlock_abi;             /* the kernel's Landlock ABI version; 0: none */
	int landlock;                 /* the role's file rules are enforced */
	char lacking[SANDBOX_LACK_MAX]; /* what the kernel lacks, for auto's warning; "" if nothing */
};

/*
 * Enter role's sandbox in mode, with paths.  Fails (-1, e set) when a
 * mechanism the kernel has could not be applied, or in SANDBOX_REQUIRED mode
 * when the kernel lacks one; out says what was applied either way.  Call it
 * once per process, after start-up and before starting threads; the
 * process cannot leave it.  Prints nothing.
 */
int sandbox_enter(enum sandbox_role role, enum sandbox_mode mode, const struct sandbox_paths *paths,
    struct sandbox_report *out, struct err *e);

/*
 * Whether the signer's sandbox, entered with paths, lets it read path (exec:
 * load it as code): the same rules Landlock is given, checked by path (both
 * resolved with realpath()).  For a key file named after entry: the signer
 * refuses it with a clear reason rather than a bare EACCES.
 */
int sandbox_signer_may_read(const struct sandbox_paths *paths, const char *path, int exec);

/* mode as lancre.conf spells it ("auto", "required", "off"). */
const char *sandbox_mode_name(enum sandbox_mode mode);

/* "auto", "required" or "off" into *mode; -1 for anything else. */
int sandbox_mode_parse(const char *s, enum sandbox_mode *mode);

/* mode, unless SANDBOX_ENV says off. */
enum sandbox_mode sandbox_mode_effective(enum sandbox_mode mode);

/* The role's name for messages: "server", "signer", "supervisor". */
const char *sandbox_role_name(enum sandbox_role role);

/*
 * The name of system call nr on this architecture ("openat"), into buf, or
 * "syscall NR" if libseccomp does not know it: for messages about the filter.
 */
const char *sandbox_syscall_name(int nr, char *buf, size_t len);

#endif
