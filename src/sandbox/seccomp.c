/*
 * seccomp.c - the system calls each role may make, with libseccomp.
 *
 * One table, one row per call, the roles that may make it and why.  What no
 * row allows kills the process, all its threads at once (the filter is
 * synchronised to every thread: TSYNC): the filter traps (SCMP_ACT_TRAP),
 * trap.c's SIGSYS handler notes the call for the supervisor's log and the
 * process dies by SIGSYS.  A call made through another architecture's entry
 * (int 0x80 on x86_64) traps too, where libseccomp's default would kill
 * only the thread.  A few calls are allowed only with some arguments, in
 * allow_conditional():
 *
 *   rt_sigaction  never a new action for SIGSYS (EPERM): the trap's handler
 *            stays, so a taken-over process cannot catch its own trap and
 *            go on, nor ignore it.  EPERM rather than a trap because glibc's
 *            posix_spawn (the [crl] hook) resets every handler in the child
 *            before exec and ignores a failure; the exec resets it anyway;
 *   openat   the server opens for reading only: O_ACCMODE == O_RDONLY, no
 *            O_CREAT, no O_TRUNC (its store and lancre.conf, on reloads);
 *   clone    the server starts threads only (CLONE_THREAD), never a process;
 *   clone3   its flags sit in a struct seccomp cannot read, so it fails
 *            with ENOSYS for every role, and glibc falls back to clone;
 *   tgkill   only to the process itself (raise(), abort(), the trap's
 *            handler); the supervisor's children start under its filter, so
 *            the supervisor's allows any (it may kill() anyone anyway);
 *   ioctl    the server only TCGETS: stdio's isatty() on the first line it
 *            logs (stdout on /dev/null is a character device);
 *   kill     the signer only with signal 0 (is the process that left a
 *            temporary file in public/ still alive?); the server never;
 *   socket   the signer (and the supervisor, which bounds it) AF_UNIX only
 *            unless [signer] network = yes: another family fails with
 *            EACCES, not a kill, so a PKCS#11 module or a hook that tries
 *            gets an error it can report; the server never.  With a store
 *            that is a database server (PostgreSQL), every role may also
 *            open stream sockets of AF_UNIX, AF_INET and AF_INET6, which is
 *            what libpq connects with (the server: those only, and connect);
 *            for the signer without network, a datagram or raw AF_INET or
 *            AF_INET6 socket still fails with EACCES (no UDP out), and
 *            Landlock (ABI 4) lets TCP connect reach the database's ports
 *            only (landlock.c).  The admin process opens TCP streams in any
 *            case (?wait=served asks the public listener; Landlock keeps its
 *            connect to that port), and so may the supervisor, whose filter
 *            bounds its children's.
 *
 * The server has no execve, no fork, no socket (it accepts on the listeners
 * bound before entry; a database store's streams excepted), no ptrace, no
 * open for writing.  The signer
 * may write files (Landlock says which), start the [crl] hook (clone, vfork,
 * execve, wait4) and, with [signer] network = yes, open network sockets (a
 * PKCS#11 module for a network HSM, a hook that uploads): the hook runs
 * under this same filter, so the signer's list
 * also covers what /bin/sh and ordinary commands need; a program that makes
 * a call outside it is killed, and the signer reports the hook's status 159
 * (128 + SIGSYS).  The supervisor's children start under its filter and
 * narrow their own, so the supervisor's list is the union of theirs and its
 * own (setuid and friends, capset: the children become their users; kill;
 * sigtimedwait; and the children's own narrowing: seccomp, landlock_*).
 *
 * Sanitizer builds (ASan, LeakSanitizer) add the calls their runtime makes
 * when the process exits: the leak check stops the threads with ptrace from
 * a helper it clones.  Never in a release build.
 */
#include "sandbox/sandbox_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define SV (1u << SANDBOX_SERVER)
#define SG (1u << SANDBOX_SIGNER)
#define AD (1u << SANDBOX_ADMIN) /* the admin API: the server's calls and the store's writes */
#define ALL (SV | SG | AD)

/* socket()'s type argument without SOCK_NONBLOCK and SOCK_CLOEXEC (the kernel's SOCK_TYPE_MASK). */
#define SANDBOX_SOCK_TYPE_MASK 0xf

struct allow {
	int nr;
	unsigned roles; /* the supervisor has every row */
};

#define A(name, roles) {SCMP_SYS(name), roles}

static const struct allow table[] = {
    /* Reading and writing descriptors the process holds (sockets, the store, files). */
    A(read, ALL), A(readv, ALL), A(pread64, ALL), A(write, ALL), A(writev, ALL),
    A(close, ALL), A(lseek, ALL), A(fstat, ALL), A(newfstatat, ALL), A(statx, ALL),
    A(fcntl, ALL),  /* SQLite's byte-range locks, O_NONBLOCK, F_DUPFD_CLOEXEC */
    /* Whether a path may be opened: SQLite asks of -wal/-shm (the read-only server too, when
     * a writer outside lancre removed them), the shell of the hook. Landlock bounds paths. */
    A(access, ALL), A(faccessat, ALL), A(faccessat2, ALL),
    A(dup, ALL),    /* OpenSSL BIOs and the shell */
    /* Memory: malloc, h2o's pools, SQLite's page cache and WAL index mapping. */
    A(mmap, ALL), A(munmap, ALL), A(mremap, ALL), A(mprotect, ALL), A(madvise, ALL),
    A(brk, ALL),
    /* Threads: locks, start and exit (clone is in allow_conditional()). */
    A(futex, ALL), A(set_robust_list, ALL), A(rseq, ALL), A(exit, ALL), A(exit_group, ALL),
    A(sched_yield, ALL), A(sched_getaffinity, ALL), /* the CPU count for thread pools */
    A(getpid, ALL), A(gettid, ALL),
    A(getuid, ALL), A(geteuid, ALL), A(getgid, ALL), A(getegid, ALL), /* SQLite, OpenSSL */
    /* Signals: SIGINT/SIGTERM/SIGHUP handlers (rt_sigaction: allow_conditional()), masks. */
    A(rt_sigprocmask, ALL), A(rt_sigreturn, ALL), A(sigaltstack, ALL),
    A(restart_syscall, ALL),
    /* Time: response dates, reload ticks, timeouts. */
    A(clock_gettime, ALL), A(clock_nanosleep, ALL), A(nanosleep, ALL), A(gettimeofday, ALL),
    A(time, ALL),
    A(getrandom, ALL), /* OpenSSL's DRBG (ECDSA nonces, h2o's HTTP/2 hash seeds) */
    /* The event loops (h2o's evloop: epoll, a pipe to wake each loop). */
    A(epoll_create, ALL), A(epoll_create1, ALL), A(epoll_ctl, ALL), A(epoll_wait, ALL),
    A(epoll_pwait, ALL), A(pipe2, ALL), A(poll, ALL), A(ppoll, ALL),
    /* Connections: the server accepts on its listeners and talks on what it accepted. */
    A(accept4, SV | AD), A(recvfrom, ALL), A(recvmsg, ALL), A(sendto, ALL), A(sendmsg, ALL),
    A(shutdown, ALL), A(setsockopt, ALL), A(getsockopt, ALL), A(getsockname, ALL),
    A(getpeername, ALL),
    /* The signer's files: the store (WAL, checkpoints), public/, private/ (Landlock's paths);
     * the admin process's: the store alone. */
    A(openat, SG | AD), A(pwrite64, SG | AD), A(fsync, SG | AD), A(fdatasync, SG | AD),
    A(ftruncate, SG | AD), A(fallocate, SG | AD), A(rename, SG), A(renameat, SG), A(renameat2, SG), A(unlink, SG),
    A(unlinkat, SG), A(mkdir, SG), A(mkdirat, SG), A(fchmod, SG), A(fchown, SG),
    /* Directory listings: public/'s walk for stale temporary files (signer), the about
     * page's languages in DIR/about/ read again on each reload (server). */
    A(getdents64, ALL),
    A(flock, SG),      /* SoftHSM2's token lock */
    A(umask, SG), A(getcwd, SG), /* the hook's absolute path */
    /* The [crl] hook: posix_spawn, then what /bin/sh and the loader need. */
    A(clone, SG), A(vfork, SG), A(execve, SG), A(wait4, SG), A(dup2, SG), A(dup3, SG),
    A(chdir, SG), A(fchdir, SG), A(arch_prctl, SG), A(set_tid_address, SG),
    A(readlink, SG), A(readlinkat, SG), A(uname, SG),
    A(getppid, SG), A(getpgrp, SG), A(setpgid, SG), A(prlimit64, SG),
    /* glibc's qsort of more than 1 KB asks the memory size once (sysconf(_SC_PHYS_PAGES)):
     * the admin process's ?wait=served sorts its certificates, and OpenSSL a CRL's
     * entries before a lookup (a CRL of 129 entries had the admin process killed). */
    A(sysinfo, SG | AD),
    A(statfs, SG), A(fstatfs, SG), A(fadvise64, SG), A(copy_file_range, SG),
    A(sendfile, SG),
    A(ioctl, SG), /* the shell's terminal checks (TCGETS); device ioctls are Landlock's */
    /* Sockets (socket: allow_conditional()): unix ones, and with [signer] network a network
     * HSM's module or a hook that uploads; never listening. */
    A(connect, SG), A(socketpair, SG), A(eventfd2, SG),
    A(sched_getparam, SG), A(sched_getscheduler, SG), A(getrusage, SG), A(times, SG),
};

/* Calls the sanitizers' runtime makes at exit (LeakSanitizer's thread suspender). */
static const int sanitizer_table[] = {
    SCMP_SYS(clone), SCMP_SYS(ptrace), SCMP_SYS(wait4), SCMP_SYS(prctl), SCMP_SYS(getppid),
    SCMP_SYS(getdents64), SCMP_SYS(getdents), SCMP_SYS(readlink), SCMP_SYS(stat), SCMP_SYS(lstat),
    SCMP_SYS(access), SCMP_SYS(pipe), SCMP_SYS(kill), SCMP_SYS(tgkill),
    SCMP_SYS(sched_yield), SCMP_SYS(arch_prctl), SCMP_SYS(set_tid_address),
};

/*
 * The supervisor's own work beyond its children's: users, signals, and what
 * the children need to narrow further (their own filter and Landlock rules).
 */
static const int supervisor_table[] = {
    SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setgroups), SCMP_SYS(setresuid),
    SCMP_SYS(setresgid), SCMP_SYS(kill), SCMP_SYS(prctl),
    SCMP_SYS(setrlimit), SCMP_SYS(setsid), SCMP_SYS(rt_sigtimedwait), SCMP_SYS(capget),
    SCMP_SYS(capset), SCMP_SYS(getresuid), SCMP_SYS(getresgid), SCMP_SYS(seccomp),
    SCMP_SYS(landlock_create_ruleset), SCMP_SYS(landlock_add_rule),
    SCMP_SYS(landlock_restrict_self),
};

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZED 1
#else
#define SANDBOX_SANITIZED 0
#endif

int
sandbox_seccomp_available(void)
{
	/* PR_GET_SECCOMP fails with EINVAL on a kernel built without seccomp. */
	return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 && seccomp_api_get() >= 2;
}

const char *
sandbox_syscall_name(int nr, char *buf, size_t len)
{
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

	if (name != NULL)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "syscall %d", nr);
	free(name);
	return buf;
}

static int
add(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned argc, const struct scmp_arg_cmp *c,
    struct err *e)
{
	char name[64];
	int rc = seccomp_rule_add_array(ctx, action, nr, argc, c);

	/* -EEXIST: a row allowed it already (with conditions, or twice). */
	if (rc != 0 && rc != -EEXIST)
		return err_set(e, "cannot allow %s: %s", sandbox_syscall_name(nr, name, sizeof(name)),
		    strerror(-rc));
	return 0;
}

static int
add_list(scmp_filter_ctx ctx, const int *nrs, size_t n, struct err *e)
{
	for (size_t i = 0; i < n; i++) {
		if (add(ctx, SCMP_ACT_ALLOW, nrs[i], 0, NULL, e) != 0)
			return -1;
	}
	return 0;
}

/*
 * socket(family, SOCK_STREAM | flags, 0) for each of a database's families:
 * action.  Protocol 0 only (libpq's): SCTP or MPTCP streams would pass
 * Landlock's rule, which is for TCP alone.
 */
static int
db_stream(scmp_filter_ctx ctx, uint32_t action, int unix_too, struct err *e)
{
	static const int families[] = {AF_UNIX, AF_INET, AF_INET6};

	for (size_t i = unix_too ? 0 : 1; i < sizeof(families) / sizeof(families[0]); i++) {
		struct scmp_arg_cmp c[] = {SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i], 0),
		    SCMP_A1(SCMP_CMP_MASKED_EQ, SANDBOX_SOCK_TYPE_MASK, SOCK_STREAM),
		    SCMP_A2(SCMP_CMP_EQ, 0, 0)};
		if (add(ctx, action, SCMP_SYS(socket), 3, c, e) != 0)
			return -1;
	}
	return 0;
}

/*
 * The signer's socket() without network but with a database store: AF_UNIX
 * of any type, AF_INET/AF_INET6 streams; EACCES for every other family and
 * for the other types of those two.  The rules match disjoint arguments
 * (libseccomp gives no order to overlapping rules of different actions).
 */
static int
signer_db_sockets(scmp_filter_ctx ctx, struct err *e)
{
	static const int other_types[] = {SOCK_DGRAM, SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET,
	    SOCK_DCCP, SOCK_PACKET};
	struct scmp_arg_cmp unix_any = SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0);
	struct scmp_arg_cmp above = SCMP_A0(SCMP_CMP_GT, AF_INET6, 0);

	if (add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, &unix_any, e) != 0 ||
	    db_stream(ctx, SCMP_ACT_ALLOW, 0, e) != 0 ||
	    add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1, &above, e) != 0)
		return -1;
	/* AF_UNSPEC (0) and the families between AF_INET (2) and AF_INET6 (10). */
	for (int f = 0; f < AF_INET6; f++) {
		struct scmp_arg_cmp fam = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)f, 0);
		if (f != AF_UNIX && f != AF_INET &&
		    add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1, &fam, e) != 0)
			return -1;
	}
	for (int inet6 = 0; inet6 < 2; inet6++) { /* streams of another protocol (SCTP, MPTCP) */
		struct scmp_arg_cmp c[] = {SCMP_A0(SCMP_CMP_EQ, inet6 ? AF_INET6 : AF_INET, 0),
		    SCMP_A1(SCMP_CMP_MASKED_EQ, SANDBOX_SOCK_TYPE_MASK, SOCK_STREAM),
		    SCMP_A2(SCMP_CMP_NE, 0, 0)};
		if (add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 3, c, e) != 0)
			return -1;
	}
	for (size_t i = 0; i < sizeof(other_types) / sizeof(other_types[0]); i++) {
		for (int inet6 = 0; inet6 < 2; inet6++) {
			struct scmp_arg_cmp c[] = {
			    SCMP_A0(SCMP_CMP_EQ, inet6 ? AF_INET6 : AF_INET, 0),
			    SCMP_A1(SCMP_CMP_MASKED_EQ, SANDBOX_SOCK_TYPE_MASK,
				(scmp_datum_t)other_types[i])};
			if (add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 2, c, e) != 0)
				return -1;
		}
	}
	return 0;
}

/*
 * socket(): the signer and supervisor any family with network, else AF_UNIX
 * only and EACCES for the rest (with a database store: signer_db_sockets);
 * the server and the admin process none, or a database's streams (and connect); the
 * admin process TCP streams at least (connect: Landlock keeps it to the public port).
 */
static int
allow_socket(scmp_filter_ctx ctx, enum sandbox_role role, int network, int db, struct err *e)
{
	struct scmp_arg_cmp unix_only = SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0);
	struct scmp_arg_cmp not_unix = SCMP_A0(SCMP_CMP_NE, AF_UNIX, 0);

	if (role == SANDBOX_ADMIN && !db) /* ?wait=served asks the public listener (TCP) */
		return db_stream(ctx, SCMP_ACT_ALLOW, 0, e) != 0
			   ? -1
			   : add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(connect), 0, NULL, e);
	if (role == SANDBOX_SERVER || role == SANDBOX_ADMIN) {
		if (!db)
			return 0;
		return db_stream(ctx, SCMP_ACT_ALLOW, 1, e) != 0
			   ? -1
			   : add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(connect), 0, NULL, e);
	}
	if (network)
		return add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 0, NULL, e);
	/* The supervisor's filter bounds its children's: the admin process's ?wait=served
	 * opens TCP streams to the public listener (Landlock keeps connect to that port). */
	if (db || role == SANDBOX_SUPERVISOR)
		return signer_db_sockets(ctx, e);
	if (add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, &unix_only, e) != 0 ||
	    add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1, &not_unix, e) != 0)
		return -1;
	return 0;
}

/* The calls allowed with some arguments only (see the comment at the top). */
static int
allow_conditional(scmp_filter_ctx ctx, enum sandbox_role role, int network, int db,
    struct err *e)
{
	struct scmp_arg_cmp rdonly = SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC,
	    O_RDONLY);
	struct scmp_arg_cmp thread = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
	struct scmp_arg_cmp self = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0);
	struct scmp_arg_cmp probe = SCMP_A1(SCMP_CMP_EQ, 0, 0);
	struct scmp_arg_cmp tcgets = SCMP_A1(SCMP_CMP_EQ, TCGETS, 0);
	/* Signal numbers other than SIGSYS, compared on all 64 bits: the kernel reads an int,
	 * so SIGSYS | 1 << 32 must not pass as "not SIGSYS" (a NE rule would let it, and
	 * libseccomp 2.5's 32-bit comparisons still compare 64 bits).  Anything else falls
	 * to the default action. */
	struct scmp_arg_cmp below_sigsys = SCMP_A0(SCMP_CMP_LT, SIGSYS, 0);
	struct scmp_arg_cmp sig_32_63 = SCMP_A0(SCMP_CMP_MASKED_EQ, ~(scmp_datum_t)0x1f, 0x20);
	struct scmp_arg_cmp sig_64 = SCMP_A0(SCMP_CMP_EQ, 64, 0);
	struct scmp_arg_cmp query = SCMP_A1(SCMP_CMP_EQ, 0, 0);
	/* A new action: act != NULL.  GT, not NE: libseccomp 2.5 drops a two-argument
	 * rule with NE without a word (seccomp_export_pfc shows it missing). */
	struct scmp_arg_cmp set_sigsys[] = {SCMP_A0(SCMP_CMP_EQ, SIGSYS, 0),
	    SCMP_A1(SCMP_CMP_GT, 0, 0)};

	if (add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0, NULL, e) != 0 ||
	    add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigaction), 1, &below_sigsys, e) != 0 ||
	    add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigaction), 1, &sig_32_63, e) != 0 ||
	    add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigaction), 1, &sig_64, e) != 0 ||
	    add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigaction), 1, &query, e) != 0 ||
	    add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(rt_sigaction), 2, set_sigsys, e) != 0 ||
	    add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), role == SANDBOX_SUPERVISOR ? 0 : 1, &self,
		e) != 0)
		return -1;
	if (allow_socket(ctx, role, network, db, e) != 0)
		return -1;
	if (role == SANDBOX_SIGNER)
		return add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, &probe, e);
	if (role == SANDBOX_ADMIN) /* intake's checking threads */
		return add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, &thread, e);
	if (role != SANDBOX_SERVER)
		return 0;
	if (add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1, &rdonly, e) != 0 ||
	    add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, &tcgets, e) != 0 ||
	    add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, &thread, e) != 0)
		return -1;
	return 0;
}

static int
build(scmp_filter_ctx ctx, enum sandbox_role role, int network, int db, struct err *e)
{
	/* The sanitizers' runtime reads /proc/self/maps with open(2), read-only. */
	struct scmp_arg_cmp sanitizer_open = SCMP_A1(SCMP_CMP_MASKED_EQ,
	    O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY);
	unsigned bit = 1u << role;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if ((role == SANDBOX_SUPERVISOR || (table[i].roles & bit)) &&
		    add(ctx, SCMP_ACT_ALLOW, table[i].nr, 0, NULL, e) != 0)
			return -1;
	}
	if (role == SANDBOX_SUPERVISOR &&
	    add_list(ctx, supervisor_table, sizeof(supervisor_table) / sizeof(int), e) != 0)
		return -1;
	if (SANDBOX_SANITIZED &&
	    (add_list(ctx, sanitizer_table, sizeof(sanitizer_table) / sizeof(int), e) != 0 ||
		add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1, &sanitizer_open, e) != 0))
		return -1;
	return allow_conditional(ctx, role, network, db, e);
}

int
sandbox_seccomp_enter(enum sandbox_role role, int network, int db, struct err *e)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int rc;

	if (ctx == NULL)
		return err_set(e, "cannot start a filter");
	/* TSYNC: every thread the process has gets the filter, not only the caller. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	/* Another architecture's calls: the process dies too, not only the thread. */
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
	if (rc != 0) {
		err_set(e, "cannot set up the filter: %s", strerror(-rc));
	} else if (build(ctx, role, network, db, e) == 0) {
		rc = seccomp_load(ctx);
		if (rc != 0)
			err_set(e, "cannot load the filter: %s", strerror(-rc));
	} else {
		rc = -1;
	}
	seccomp_release(ctx);
	return rc == 0 ? 0 : -1;
}
