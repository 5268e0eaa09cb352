/*
 * drop.c - changing user and dropping capabilities; see drop.h.
 *
 * Capabilities are set with the raw capset(2) system call (no libcap): the
 * three the supervisor keeps are a constant, and two 32-bit words are all
 * the kernel's version 3 interface needs.  The order matters: groups first
 * (after setuid we could no longer change them), PR_SET_KEEPCAPS across the
 * uid change for the supervisor only, and capabilities cleared explicitly
 * for a child (a change between two non-zero uids keeps them otherwise).
 */
#include "proc/drop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Set the effective and permitted capabilities to mask (bits of CAP_*, all < 32); none inheritable. */
static int
set_caps(unsigned mask, struct err *e)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = mask;
	if (syscall(SYS_capset, &hdr, data) != 0)
		return err_set(e, "cannot set capabilities: %s", strerror(errno));
	/* Ambient capabilities would survive an exec (of the [crl] hook): none. */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return 0;
}

static int
switch_ids(const struct proc_user *u, struct err *e)
{
	if (setgroups(0, NULL) != 0 || setresgid(u->gid, u->gid, u->gid) != 0 ||
	    setresuid(u->uid, u->uid, u->uid) != 0)
		return err_set(e, "cannot become user '%s': %s", u->name, strerror(errno));
	return 0;
}

int
proc_become(const struct proc_user *u, struct err *e)
{
	if (switch_ids(u, e) != 0 || set_caps(0, e) != 0)
		return -1;
	if (setuid(0) == 0 || (u->uid != 0 && geteuid() == 0))
		return err_set(e, "dropping root failed: user '%s' could become root again",
		    u->name);
	return 0;
}

int
proc_become_supervisor(const struct proc_user *u, struct err *e)
{
	const unsigned keep = (1u << CAP_SETUID) | (1u << CAP_SETGID) | (1u << CAP_KILL);

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
		return err_set(e, "cannot keep capabilities: %s", strerror(errno));
	if (switch_ids(u, e) != 0 || set_caps(keep, e) != 0)
		return -1;
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return proc_protect(e);
}

int
proc_protect(struct err *e)
{
	struct rlimit none = {0, 0};

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return err_set(e, "cannot make the process non-dumpable: %s", strerror(errno));
	if (setrlimit(RLIMIT_CORE, &none) != 0)
		return err_set(e, "cannot turn core dumps off: %s", strerror(errno));
	return 0;
}
