/*
 * hook.c - the operator's [crl] hook, run in the background for every file
 * the signer publishes (CRLs, the JSON lists, the issuer certificates), as
 * the signer's user (it runs in the signer, which has no capability), without
 * a shell unless [crl] hook_shell asks for one, with the file's absolute path: the hook may change directory, and
 * `lancre sign -d data` must not hand it a path only the signer's working
 * directory makes sense of.  A slow upload must not hold up signing, so the
 * signer does not wait for it.
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
spawn(const struct conf *c, const char *path, pid_t *pid)
{
	char words[CONF_STR_MAX], *argv[SIGNER_HOOK_ARGS_MAX + 2], *save = NULL, *w;
	size_t n = 0;

	if (c->crl_hook_shell) {
		char *sh[] = {"sh", "-c", (char *)c->crl_hook, "lancre-crl-hook", (char *)path,
		    NULL};
		return posix_spawn(pid, "/bin/sh", NULL, NULL, sh, environ);
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
	return posix_spawnp(pid, argv[0], NULL, NULL, argv, environ);
}

void
signer_run_hook(struct signer *sg, const char *path)
{
	char abs[2 * PATH_MAX], cwd[PATH_MAX]; /* abs: cwd, '/', path */
	struct signer_hook *hk;

	if (sg->conf->crl_hook[0] == '\0')
		return;
	if ((hk = hook_slot(sg)) == NULL) {
		sg->hooks.nomem++;
		return;
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
	hk->spawn_errno = spawn(sg->conf, path, &hk->pid);
	if (hk->spawn_errno != 0)
		hk->pid = 0;
}

void
signer_hooks_reap(struct signer *sg)
{
	struct signer_hook *hk;
	int status;
	pid_t got;

	for (size_t i = 0; i < sg->hooks.n; i++) {
		hk = &sg->hooks.v[i];
		if (hk->pid <= 0 || hk->done)
			continue;
		got = waitpid(hk->pid, &status, WNOHANG);
		if (got == hk->pid) {
			hk->done = 1;
			hk->status = hook_status(status);
		} else if (got < 0 && errno == ECHILD) { /* reaped by someone else: nothing to say */
			hk->done = 1;
			hk->status = 0;
		}
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
