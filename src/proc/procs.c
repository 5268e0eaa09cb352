/*
 * procs.c - the table of lancre's processes; see procs.h for what each row
 * means and why.  Change a process's rights here first, then where it acts
 * on them (cli/serving.c for the children's bodies).
 */
#include "proc/procs.h"

#include <stddef.h>

static const struct proc procs[PROC_COUNT] = {
    [PROC_SUPERVISOR] = {PROC_SUPERVISOR, "supervisor", PROC_AS_SIGNER_USER_WITH_CAPS,
	PROC_OPENS_LISTENERS | PROC_OPENS_SIGNER_LOCK, PROC_SANDBOX_SUPERVISOR},
    [PROC_SERVER] = {PROC_SERVER, "server", PROC_AS_SERVER_USER,
	PROC_OPENS_STORE_READ | PROC_OPENS_LISTENERS | PROC_OPENS_NETWORK, PROC_SANDBOX_SERVER},
    [PROC_SIGNER] = {PROC_SIGNER, "signer", PROC_AS_SIGNER_USER,
	PROC_OPENS_STORE_WRITE | PROC_OPENS_KEYS | PROC_OPENS_PUBLIC | PROC_OPENS_SIGNER_LOCK,
	PROC_SANDBOX_SIGNER},
    [PROC_ADMIN] = {PROC_ADMIN, "admin", PROC_AS_ADMIN_USER,
	PROC_OPENS_STORE_WRITE | PROC_OPENS_LISTENERS | PROC_OPENS_NETWORK, PROC_SANDBOX_ADMIN},
};

const struct proc *
proc_get(enum proc_id id)
{
	return id >= 0 && id < PROC_COUNT ? &procs[id] : NULL;
}
