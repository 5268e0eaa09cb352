/*
 * sandbox.c - the order and the modes; see sandbox.h.
 *
 * The order is fixed: no-new-privs first (the kernel requires it of an
 * unprivileged process before either filter, and it is what stops a setuid
 * program from undoing them), then Landlock (its setup makes system calls
 * the seccomp allowlist does not grant: landlock_create_ruleset,
 * landlock_add_rule, openat with O_PATH), seccomp last.
 *
 * In auto mode a mechanism the kernel lacks is skipped and named in
 * report->lacking; one the kernel has and refuses is an error in every mode
 * but off: a sandbox that silently did less than the kernel allows would be
 * the worst outcome.
 */
#include "sandbox/sandbox_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

const char *
sandbox_mode_name(enum sandbox_mode mode)
{
	switch (mode) {
	case SANDBOX_AUTO:
		return "auto";
	case SANDBOX_REQUIRED:
		return "required";
	case SANDBOX_OFF:
		return "off";
	}
	return "?";
}

int
sandbox_mode_parse(const char *s, enum sandbox_mode *mode)
{
	static const enum sandbox_mode all[] = {SANDBOX_AUTO, SANDBOX_REQUIRED, SANDBOX_OFF};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, sandbox_mode_name(all[i])) == 0) {
			*mode = all[i];
			return 0;
		}
	}
	return -1;
}

enum sandbox_mode
sandbox_mode_effective(enum sandbox_mode mode)
{
	const char *env = getenv(SANDBOX_ENV);

	return env != NULL && strcmp(env, "off") == 0 ? SANDBOX_OFF : mode;
}

const char *
sandbox_role_name(enum sandbox_role role)
{
	switch (role) {
	case SANDBOX_SERVER:
		return "server";
	case SANDBOX_SIGNER:
		return "signer";
	case SANDBOX_SUPERVISOR:
		return "supervisor";
	case SANDBOX_ADMIN:
		return "admin";
	}
	return "?";
}

/* Note in r that the kernel lacks what; in required mode that is a failure. */
static int
lacking(struct sandbox_report *r, enum sandbox_mode mode, const char *what, struct err *e)
{
	size_t n = strlen(r->lacking);

	snprintf(r->lacking + n, sizeof(r->lacking) - n, "%s%s", n > 0 ? ", " : "", what);
	if (mode == SANDBOX_REQUIRED)
		return err_set(e, "[sandbox] mode = required, but this kernel has no %s", what);
	return 0;
}

int
sandbox_enter(enum sandbox_role role, enum sandbox_mode mode, const struct sandbox_paths *paths,
    struct sandbox_report *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (mode == SANDBOX_OFF)
		return 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return err_set(e, "cannot set no-new-privs: %s", strerror(errno));
	out->no_new_privs = 1;
	/* The supervisor's children narrow their own files: Landlock would bind them all. */
	out->landlock_abi = sandbox_landlock_abi();
	if (role != SANDBOX_SUPERVISOR) {
		if (out->landlock_abi == 0) {
			if (lacking(out, mode, "Landlock (file access rules)", e) != 0)
				return -1;
		} else if (sandbox_landlock_enter(role, paths, out->landlock_abi, e) != 0) {
			return err_prefix(e, "Landlock");
		} else {
			out->landlock = 1;
		}
	}
	if (!sandbox_seccomp_available())
		return lacking(out, mode, "seccomp (system call filter)", e);
	if (sandbox_trap_install(e) != 0 ||
	    sandbox_seccomp_enter(role, paths->network, paths->db_sockets, e) != 0)
		return err_prefix(e, "seccomp");
	out->seccomp = 1;
	return 0;
}
