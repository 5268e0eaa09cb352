/*
 * hook.c - the operator's [crl] hook, run in the background for every file
 * the signer publishes (CRLs, the JSON lists, the issuer certificates), as
 * the signer's user (it runs in the signer, which has no capability), without
 * a shell unless [crl] hook_shell asks for one, with the file's absolute path: the hook may change directory, and
 * `lancre sign -d data` must not hand it a path only the signer's working
 * directory makes sense of.  A slow upload must not hold up signing, so the
 * signer does not wait for it.
 *
 * A CRL's hook has the CRL's number and thisUpdate in its environment
 * (LANCRE_CRL_NUMBER, decimal; LANCRE_CRL_THIS_UPDATE, Unix seconds; unset
 * for the other files): with several signers, a unit taken over while its
 * former holder's hook for CRL N still runs may see the new holder's hook
 * for N + 1 finish first, so an uploader must refuse to put a lower number
 * over a higher one (docs/OPERATOR.md), and needs the number without
 * parsing the file.  A signer that gives a unit back (lease.c) first waits,
 * bounded, for its hooks of that unit, so that in the ordinary hand-over
 * the order is kept as well; one whose unit was taken (it stalled) cannot.
 *
 * The signer keeps the PID of each hook it started (sg->hooks) and waits only
 * for those, with WNOHANG, at the start of each CRL pass: the process it runs
 * in may have children of its own (`lancre run`, a test) that are not its to
 * reap.  A hook that could not start or that failed is kept until
 * signer_report() tells the caller (signer_events.on_hook); the library
 * prints nothing.
 */
#include "signer/signer_int.h"

#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/fsutil.h"

/* A hook's status as a shell reports it: its exit code, or 128 + the signal that killed it. */
static int
hook_status(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A free entry at the end of sg->hooks, or NULL when out of memory. */
static struct signer_hook *
hook_slot(struct signer *sg)
{
	struct signer_hooks *h = &sg->hooks;

	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : SIGNER_HOOKS_INITIAL;
		struct signer_hook *v = realloc(h->v, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n] = (struct signer_hook){0};
	return &h->v[h->n++];
}

/*
 * Start the hook for path: [crl] hook split at blanks and run directly, path
 * as the last argument, or with [crl] hook_shell through /bin/sh, path as $1.
 * No shell unless asked: a hook is the operator's program, and a shell would
 * parse whatever the command line holds.  Returns 0 or an errno.
 */
static int
spawn(const struct conf *c, const char *path, char *const *envp, pid_t *pid)
{
	char words[CONF_STR_MAX], *argv[SIGNER_HOOK_ARGS_MAX + 2], *save = NULL, *w;
	size_t n = 0;

	if (c->crl_hook_shell) {
		char *sh[] = {"sh", "-c", (char *)c->crl_hook, "lancre-crl-hook", (char *)path,
		    NULL};
		return posix_spawn(pid, "/bin/sh", NULL, NULL, sh, envp);
	}
	snprintf(words, sizeof(words), "%s", c->crl_hook);
	for (w = strtok_r(words, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		if (n == SIGNER_HOOK_ARGS_MAX)
			return E2BIG;
		argv[n++] = w;
	}
	if (n == 0)
		return ENOENT;
	argv[n++] = (char *)path;
	argv[n] = NULL;
	return posix_spawnp(pid, argv[0], NULL, NULL, argv, envp);
}

#define HOOK_ENV_NUMBER "LANCRE_CRL_NUMBER="
#define HOOK_ENV_THIS_UPDATE "LANCRE_CRL_THIS_UPDATE="

/* Whether an inherited variable is one the signer sets for a CRL (never passed on as is). */
static int
hook_env_ours(const char *v)
{
	return strncmp(v, HOOK_ENV_NUMBER, strlen(HOOK_ENV_NUMBER)) == 0 ||
	       strncmp(v, HOOK_ENV_THIS_UPDATE, strlen(HOOK_ENV_THIS_UPDATE)) == 0;
}

/*
 * The hook's environment: the signer's, and for a CRL its number and
 * thisUpdate (in number and date, which must outlive the spawn).  NULL when
 * out of memory; free the array only.
 */
static char **
hook_env(const struct crl_record *crl, char *number, char *date, size_t len)
{
	size_t n = 0, k = 0;
	char **v;

	while (environ != NULL && environ[n] != NULL)
		n++;
	if ((v = calloc(n + 3, sizeof(*v))) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!hook_env_ours(environ[i]))
			v[k++] = environ[i];
	if (crl != NULL) {
		snprintf(number, len, HOOK_ENV_NUMBER "%lld", (long long)crl->number);
		snprintf(date, len, HOOK_ENV_THIS_UPDATE "%lld", (long long)crl->this_update);
		v[k++] = number;
		v[k++] = date;
	}
	v[k] = NULL;
	return v;
}

void
signer_run_hook(struct signer *sg, const char *path, const struct crl_record *crl)
{
	char abs[2 * PATH_MAX], cwd[PATH_MAX]; /* abs: cwd, '/', path */
	char number[64], date[64];
	struct signer_hook *hk;
	char **envp = NULL;

	if (sg->conf->crl_hook[0] == '\0')
		return;
	if ((hk = hook_slot(sg)) == NULL ||
	    (envp = hook_env(crl, number, date, sizeof(number))) == NULL) {
		if (hk != NULL)
			sg->hooks.n--; /* the slot just taken */
		sg->hooks.nomem++;
		return;
	}
	if (crl != NULL) {
		hk->issuer_id = crl->issuer_id;
		hk->shard = crl_key_shard(crl->shard);
	}
	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL &&
	    fs_path(abs, sizeof(abs), NULL, "%s/%s", cwd, path) == 0)
		path = abs;
	/*
	 * posix_spawn, not fork: glibc's returns once the child has exec'd, so the
	 * close-on-exec descriptors (the signer's lock on the data directory above
	 * all) are gone from it by then.  A forked child held the lock until it
	 * reached exec, and a `lancre sign` started just after this one exited
	 * could be refused as "already running".
	 */
	hk->spawn_errno = spawn(sg->conf, path, envp, &hk->pid);
	free(envp);
	if (hk->spawn_errno != 0)
		hk->pid = 0;
}

/* Reap hk if it has finished, without blocking: 1 when it has (now or before). */
static int
hook_reap(struct signer_hook *hk)
{
	int status;
	pid_t got;

	if (hk->pid <= 0 || hk->done)
		return 1;
	got = waitpid(hk->pid, &status, WNOHANG);
	if (got == hk->pid) {
		hk->done = 1;
		hk->status = hook_status(status);
	} else if (got < 0 && errno == ECHILD) { /* reaped by someone else: nothing to say */
		hk->done = 1;
		hk->status = 0;
	}
	return hk->done;
}

void
signer_hooks_reap(struct signer *sg)
{
	for (size_t i = 0; i < sg->hooks.n; i++)
		(void)hook_reap(&sg->hooks.v[i]);
}

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
signer_hooks_wait(struct signer *sg, int64_t issuer_id, int shard, int64_t *deadline)
{
	struct timespec tick = {0, SIGNER_HOOK_POLL_MS * 1000000L};
	int running;

	for (;;) {
		running = 0;
		for (size_t i = 0; i < sg->hooks.n; i++) {
			struct signer_hook *hk = &sg->hooks.v[i];
			if (hk->issuer_id != 0 &&
			    (issuer_id == 0 || (hk->issuer_id == issuer_id && hk->shard == shard)))
				running |= !hook_reap(hk);
		}
		if (!running)
			return;
		if (*deadline == 0)
			*deadline = monotonic_ms() + SIGNER_HOOK_WAIT_MS;
		if (monotonic_ms() >= *deadline)
			return; /* a hook stuck: the unit goes all the same */
		nanosleep(&tick, NULL);
	}
}

void
signer_hooks_report(struct signer *sg, const struct signer_events *ev)
{
	struct signer_hooks *h = &sg->hooks;
	size_t kept = 0;

	for (size_t i = 0; i < h->n; i++) {
		struct signer_hook *hk = &h->v[i];
		if (hk->pid > 0 && !hk->done) {
			h->v[kept++] = *hk; /* still running */
			continue;
		}
		if (ev->on_hook == NULL)
			continue;
		if (hk->pid <= 0)
			ev->on_hook(ev->arg, 0, 0, strerror(hk->spawn_errno));
		else if (hk->status != 0)
			ev->on_hook(ev->arg, (int)hk->pid, hk->status, NULL);
	}
	h->n = kept;
	for (; h->nomem > 0; h->nomem--) {
		if (ev->on_hook != NULL)
			ev->on_hook(ev->arg, 0, 0, strerror(ENOMEM));
	}
}

void
signer_hooks_free(struct signer *sg)
{
	free(sg->hooks.v);
	sg->hooks = (struct signer_hooks){0};
}
