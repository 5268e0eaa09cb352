/*
 * trap_shim.c - a test-only LD_PRELOAD library, never linked into lancre:
 * once loaded, SIGUSR2 makes the process it is in call mount(2), which no
 * sandbox role allows, as code run by an attacker who took the process over
 * would.  tests/e2e/sandbox.sh uses it to see a real seccomp trap in a
 * running lancre process, and what the supervisor (or the process run
 * alone) then says.
 *
 * Why a preloaded library: the trigger must not exist in the lancre binary.
 * An option or environment variable that made lancre itself make a
 * forbidden call would ship in every build as a way to kill the signer;
 * gdb would need ptrace of a non-dumpable process.  This file is built
 * only by `make tests`, and only a test's own LD_PRELOAD loads it.
 *
 * The call's arguments are all NULL, so without a sandbox (root, mode = off)
 * it fails with EFAULT and mounts nothing.
 */
#define _GNU_SOURCE 1
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void
trap_shim_on_usr2(int sig)
{
	(void)sig;
	syscall(SYS_mount, NULL, NULL, NULL, 0UL, NULL);
}

__attribute__((constructor)) static void
trap_shim_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = trap_shim_on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
}
