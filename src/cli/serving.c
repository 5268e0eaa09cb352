/*
 * serving.c - see serving.h.
 *
 * `lancre run` is two processes: the signer (the only one that loads keys)
 * is forked first and the parent becomes the public server.  They share
 * nothing but the store.  SIGINT/SIGTERM stop both; if the signer dies, the
 * server stops too and the exit status says so, rather than serving
 * responses that will silently go stale.
 */
#include "cli/serving.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/server.h"
#include "signer/signer.h"

static volatile sig_atomic_t stop;
static volatile sig_atomic_t hup;

static void
on_hup(int sig)
{
	(void)sig;
	hup = 1;
}

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void
on_child(int sig)
{
	(void)sig;
	stop = 1;
}

/* The signer process: signer passes until told to stop, failures logged and retried. */
static int
signer_child(struct cli_dir *d, int threads)
{
	struct signer_stats st = {0};
	struct signer *sg;
	struct err e;

	/* The store connection is per process: open our own. */
	store_close(d->store);
	d->store = store_open(d->path, d->conf.store, 0, &e);
	if (d->store == NULL || (sg = cli_signer_new("sign", d, threads, &e)) == NULL)
		return cli_fail("sign", &e);
	cli_signer_loop("sign", sg, &stop, 0, &st);
	signer_free(sg);
	return EXIT_OK;
}

void
serving_admin_addr(const struct conf *c, const char *listen, const char *admin, char *out,
    size_t len)
{
	const char *colon = strrchr(listen, ':');
	long port = colon != NULL ? strtol(colon + 1, NULL, 10) : 0;

	if (admin != NULL)
		snprintf(out, len, "%s", admin);
	else if (c->admin[0] != '\0')
		snprintf(out, len, "%s", c->admin);
	else
		snprintf(out, len, "127.0.0.1:%ld", port > 0 && port < 65535 ? port + 1 : 8081);
}

int
serving_run(struct cli_dir *d, const struct serving *o, const char *cmd)
{
	struct server_opts so = {0};
	struct sigaction sa;
	char admin[CONF_STR_MAX], conf_path[PATH_MAX + 32];
	pid_t child = -1;
	struct err e;
	int rc, status;

	so.listen = o->listen != NULL ? o->listen : d->conf.listen;
	serving_admin_addr(&d->conf, so.listen, o->admin, admin, sizeof(admin));
	so.admin = admin;
	so.threads = o->threads > 0 ? o->threads : cli_cpus();
	snprintf(conf_path, sizeof(conf_path), "%s/%s", d->path, CONF_FILE);
	so.conf_path = conf_path;
	so.dir = d->path;
	so.quiet = o->quiet;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (o->with_signer) {
		fflush(NULL);
		child = fork();
		if (child < 0) {
			err_set(&e, "cannot start the signer: %s", strerror(errno));
			return cli_fail(cmd, &e);
		}
		if (child == 0) {
			signal(SIGHUP, SIG_IGN); /* the signer's settings are read at start */
			_exit(signer_child(d, so.threads));
		}
		sa.sa_handler = on_child;
		sigaction(SIGCHLD, &sa, NULL);
	}
	rc = server_run(d->store, &d->conf, &so, &stop, &hup, &e);
	if (child > 0) {
		kill(child, SIGTERM);
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		/* A signer stopped by our SIGTERM (or the terminal's SIGINT) exits 0. */
		if (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
			err_set(&e, "the signer process stopped (status %d); stopping the server",
			    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
			rc = -1;
		}
	}
	return rc == 0 ? EXIT_OK : cli_fail(cmd, &e);
}
