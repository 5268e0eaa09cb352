/*
 * trap.c - saying which system call the sandbox stopped; see sandbox.h.
 *
 * The seccomp filter (seccomp.c) answers a call outside the allowlist with
 * SCMP_ACT_TRAP: the kernel skips the call and sends the thread a SIGSYS
 * whose siginfo holds the call's number and architecture.  The handler here,
 * installed before the filter, writes them to the process's report slot (a
 * page shared with the supervisor, which names the call in its log once the
 * process is dead) or, in a process run alone, one line on stderr with the
 * number, then makes the process die by SIGSYS all the same: the action is
 * back to the default (SA_RESETHAND), SIGSYS is unblocked and sent to the
 * thread, and the default action ends every thread of the process.  The
 * name is resolved by whoever reads the slot (libseccomp allocates: not in
 * a signal handler).
 *
 * A taken-over process cannot turn the trap into "try something else": the
 * filter refuses to set SIGSYS's action once it is loaded (rt_sigaction with
 * a new action for SIGSYS fails with EPERM, and a signal number with bits
 * above the kernel's int is trapped: seccomp.c), so it can neither
 * install a handler that returns nor ignore SIGSYS; and a SIGSYS that
 * seccomp forces on a thread that blocks or ignores it is delivered with the
 * default action anyway (the kernel's force_sig_seccomp: blocked or ignored,
 * the action is reset to SIG_DFL and the signal unblocked), so the process
 * dies by SIGSYS, unreported.  What it can do is write a wrong number into
 * its own slot before dying: the supervisor's line is then wrong about
 * which call, never about the death itself (the wait status says SIGSYS).
 *
 * The handler's state is static: a signal handler has no other way to find
 * it.  It is set once per process before the filter (and, in a child of the
 * supervisor, which inherits the handler installed by the supervisor,
 * pointed at the child's own slot after fork: a store, no system call).
 */
#include "sandbox/sandbox_int.h"

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp SIGSYS (asm-generic/siginfo.h) */
#endif

#define TRAP_LINE_MAX 200 /* "lancre sign: killed by the sandbox: ... NNN\n" */

static struct sandbox_trap *trap_slot;             /* where the handler reports, or NULL */
static char trap_prefix[SANDBOX_TRAP_PREFIX_MAX] = "lancre"; /* "": no line on stderr */
static int trap_installed;                          /* inherited across fork, as the handler is */

void
sandbox_trap_report(struct sandbox_trap *slot, const char *prefix)
{
	trap_slot = slot;
	snprintf(trap_prefix, sizeof(trap_prefix), "%s", prefix != NULL ? prefix : "");
}

/* Append s to buf (length *n, capacity TRAP_LINE_MAX); async-signal-safe. */
static void
trap_append(char *buf, size_t *n, const char *s)
{
	while (*s != '\0' && *n < TRAP_LINE_MAX - 1)
		buf[(*n)++] = *s++;
}

/* "PREFIX: killed by the sandbox: forbidden system call NR\n", with write(2) only. */
static void
trap_write_line(int nr)
{
	char buf[TRAP_LINE_MAX], digits[16];
	size_t n = 0, d = 0;
	unsigned v = nr < 0 ? 0u - (unsigned)nr : (unsigned)nr;

	trap_append(buf, &n, trap_prefix);
	trap_append(buf, &n, ": killed by the sandbox: forbidden system call number ");
	if (nr < 0)
		trap_append(buf, &n, "-");
	do {
		digits[d++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 && d < sizeof(digits));
	while (d > 0 && n < TRAP_LINE_MAX - 1)
		buf[n++] = digits[--d];
	buf[n++] = '\n';
	(void)!write(STDERR_FILENO, buf, n);
}

static void
trap_handler(int sig, siginfo_t *si, void *ctx)
{
	struct sandbox_trap *t = trap_slot;
	sigset_t set;

	(void)ctx;
	if (si->si_code == SYS_SECCOMP) { /* not a SIGSYS someone sent with kill(1) */
		if (t != NULL) {
			t->nr = si->si_syscall;
			t->arch = si->si_arch;
			t->pid = (int32_t)getpid();
			__atomic_store_n(&t->set, 1, __ATOMIC_RELEASE);
		}
		if (trap_prefix[0] != '\0')
			trap_write_line(si->si_syscall);
	}
	/* Die by SIGSYS: the action is the default again (SA_RESETHAND). */
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	syscall(SYS_tgkill, getpid(), gettid(), sig);
	syscall(SYS_exit_group, 128 + sig); /* not reached: tgkill to itself is allowed */
}

int
sandbox_trap_install(struct err *e)
{
	struct sigaction sa;

	if (trap_installed)
		return 0; /* by the supervisor, before its filter: a child may not set it again */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = trap_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigfillset(&sa.sa_mask); /* no other handler runs in between */
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return err_set(e, "cannot handle SIGSYS: %s", strerror(errno));
	trap_installed = 1;
	return 0;
}

void
sandbox_trap_clear(struct sandbox_trap *slot)
{
	__atomic_store_n(&slot->set, 0, __ATOMIC_RELEASE);
	slot->nr = -1;
	slot->arch = 0;
	slot->pid = 0;
}

int
sandbox_trap_read(const struct sandbox_trap *slot, pid_t pid, int *nr, uint32_t *arch)
{
	if (!__atomic_load_n(&slot->set, __ATOMIC_ACQUIRE) || slot->pid != (int32_t)pid)
		return -1;
	*nr = slot->nr;
	*arch = slot->arch;
	return 0;
}

const char *
sandbox_syscall_describe(uint32_t arch, int nr, char *buf, size_t len)
{
	char *name = seccomp_syscall_resolve_num_arch(arch, nr);

	if (name != NULL && arch == seccomp_arch_native())
		snprintf(buf, len, "\"%s\" (%d)", name, nr);
	else if (name != NULL)
		snprintf(buf, len, "\"%s\" (%d, audit architecture 0x%x)", name, nr, arch);
	else
		snprintf(buf, len, "number %d (audit architecture 0x%x)", nr, arch);
	free(name);
	return buf;
}
