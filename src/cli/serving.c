/*
 * serving.c - see serving.h.
 *
 * `lancre run` is two processes: the signer (the only one that loads keys)
 * is forked and the parent becomes the public server.  They share nothing
 * but the store.  Acquire, then start: the signer lock on the data directory
 * is taken and the ports are bound before the fork, so a second `run` or a
 * taken port fails with no signer ever started; the child closes its copies
 * of the listening sockets at once (a signer holding one would keep the port
 * from the next server, and could accept on it).  SIGINT/SIGTERM stop both;
 * if the signer dies, the server stops too and the exit status says so,
 * rather than serving responses that will silently go stale.
 *
 * Only an exit counts: SIGCHLD is asked for with SA_NOCLDSTOP and the handler
 * reaps only the signer, with WNOHANG, so a signer stopped (SIGSTOP, a
 * debugger) and continued is not taken for a dead one.  The other way round,
 * the signer asks the kernel for SIGTERM when its parent dies
 * (PR_SET_PDEATHSIG), so a SIGKILLed `run` leaves no signer behind; it then
 * checks its parent is still the one that forked it, in case the parent died
 * before the request was made.
 */
#include "cli/serving.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/server.h"
#include "signer/signer.h"
#include "util/lockfile.h"

static volatile sig_atomic_t stop;
static volatile sig_atomic_t stop_asked; /* by SIGINT/SIGTERM, not by the signer's exit */
static volatile sig_atomic_t hup;
/* The signer child, and its wait status once the SIGCHLD handler has reaped it. */
static volatile pid_t signer_pid = -1;
static volatile sig_atomic_t signer_reaped, signer_died_first;
static int signer_status;

/* SIGHUP: both processes read lancre.conf again; the parent passes it on to the signer. */
static void
on_hup(int sig)
{
	(void)sig;
	hup = 1;
	if (signer_pid > 0)
		kill(signer_pid, SIGHUP);
}

static void
on_stop(int sig)
{
	(void)sig;
	stop_asked = 1;
	stop = 1;
}

static void
on_child(int sig)
{
	int saved = errno, status;

	(void)sig;
	if (signer_pid > 0 && !signer_reaped && waitpid(signer_pid, &status, WNOHANG) == signer_pid) {
		signer_status = status;
		signer_died_first = !stop_asked;
		signer_reaped = 1;
		stop = 1;
	}
	errno = saved;
}

/* The signer process: signer passes until told to stop, failures logged and retried. */
static int
signer_child(struct cli_dir *d, int threads, pid_t parent, int lock, struct server_listeners *ls)
{
	struct signer_stats st = {0};
	struct sigaction sa;
	struct signer *sg;
	struct err e;

	/* The ports are the server's: drop our copies before anything else. */
	server_listeners_close(ls);
	/* Die with the parent; if it is already gone, go now. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		return EXIT_FAIL;
	lockfile_set_pid(lock); /* the parent took the lock for us: name the signer */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	/* The terminal's SIGINT reaches the whole group: the parent stops us with SIGTERM. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	hup = 0;
	sa.sa_handler = on_hup; /* signer_pid is -1 here: nothing to pass on */
	sigaction(SIGHUP, &sa, NULL);

	/* The store connection is per process: open our own. */
	store_close(d->store);
	d->store = store_open(d->path, d->conf.store, 0, &e);
	if (d->store == NULL || (sg = cli_signer_new("sign", d, threads, &e)) == NULL)
		return cli_fail("sign", &e);
	cli_signer_loop("sign", sg, d, &stop, &hup, 0, &st);
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

/*
 * Fork the signer, SIGCHLD (exits only) watched from before the fork; lock
 * is the signer lock the caller took, ls the ports it bound.
 */
static int
start_signer(struct cli_dir *d, int threads, int lock, struct server_listeners *ls,
    struct err *e)
{
	struct sigaction sa;
	pid_t parent = getpid(), child;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	fflush(NULL);
	child = fork();
	if (child < 0)
		return err_set(e, "cannot start the signer: %s", strerror(errno));
	if (child == 0)
		_exit(signer_child(d, threads, parent, lock, ls));
	signer_pid = child;
	return 0;
}

/*
 * Stop the signer (SIGTERM: it commits its batch) and reap it.  Fails when
 * it died before we were asked to stop, or did not exit 0, saying how.
 */
static int
stop_signer(int server_ok, struct err *e)
{
	int status = 0;

	if (!signer_reaped) {
		kill(signer_pid, SIGTERM);
		while (!signer_reaped && waitpid(signer_pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!signer_reaped)
			signer_status = status;
	}
	status = signer_status;
	if (!server_ok || (!signer_died_first && WIFEXITED(status) && WEXITSTATUS(status) == 0))
		return 0;
	if (WIFSIGNALED(status))
		return err_set(e, "the signer process (pid %ld) was killed by signal %d (%s); "
				  "stopping the server", (long)signer_pid, WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	return err_set(e, "the signer process (pid %ld) exited with status %d; stopping the "
			  "server", (long)signer_pid, WEXITSTATUS(status));
}

/*
 * What the server reports, in the words `lancre serve` has always used
 * (tests/e2e check them).  Called on the thread that runs server_run();
 * arg is the struct serving (for --quiet).
 */
static void
log_start(void *arg, const struct server_started *st)
{
	const struct serving *o = arg;
	char note[96] = "";

	if (o->quiet)
		return;
	if (st->fd_limit != 0 && st->fd_limit != st->fd_limit_was)
		snprintf(note, sizeof(note), "; descriptor limit raised from %llu to %llu",
		    st->fd_limit_was, st->fd_limit);
	else if (st->fd_limit != 0)
		snprintf(note, sizeof(note), "; descriptor limit %llu", st->fd_limit);
	printf("Serving %s (%d threads)%s%s%s\n", st->listen, st->threads,
	    st->admin ? ", admin on " : "", st->admin ? st->admin : "", note);
	fflush(stdout);
}

static void
log_settings(void *arg, const char *conf_path, int needs_restart)
{
	const struct serving *o = arg;

	if (needs_restart)
		fprintf(stderr, "lancre serve: SIGHUP: listen, admin and store changes need a "
				"restart\n");
	if (!o->quiet)
		printf("Settings reloaded from %s\n", conf_path);
}

static void
log_settings_error(void *arg, const char *conf_path, const struct err *e)
{
	(void)arg;
	(void)conf_path;
	fprintf(stderr, "lancre serve: SIGHUP: %s; keeping the current settings\n", e->msg);
}

static void
log_fd_exhausted(void *arg, unsigned long long fd_limit, int pause_ms)
{
	(void)arg;
	fprintf(stderr, "lancre serve: out of file descriptors (limit %llu): new connections wait, "
			"accepting is paused %d ms at a time until some close (counted in "
			"connections_refused_total); raise the hard `ulimit -n` or lower [server] "
			"max_connections\n",
	    fd_limit, pause_ms);
}

static void
log_reload_error(void *arg, const struct err *e)
{
	(void)arg;
	fprintf(stderr, "lancre serve: reload failed, still serving: %s\n", e->msg);
}

int
serving_run(struct cli_dir *d, const struct serving *o, const char *cmd)
{
	struct server_opts so = {0};
	struct server_listeners ls;
	struct server_events ev = {.on_start = log_start, .on_settings = log_settings,
	    .on_settings_error = log_settings_error, .on_fd_exhausted = log_fd_exhausted,
	    .on_reload_error = log_reload_error, .arg = (void *)o};
	struct sigaction sa;
	char admin[CONF_STR_MAX], conf_path[PATH_MAX + 32];
	struct err e;
	int rc, lock = -1;

	so.listen = o->listen != NULL ? o->listen : d->conf.listen;
	serving_admin_addr(&d->conf, so.listen, o->admin, admin, sizeof(admin));
	so.admin = admin;
	so.threads = o->threads > 0 ? o->threads : cli_cpus();
	snprintf(conf_path, sizeof(conf_path), "%s/%s", d->path, CONF_FILE);
	so.conf_path = conf_path;
	so.dir = d->path;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Acquire everything before starting anything: the signer lock first (a
	 * second `run` names the running signer), then the ports, then the fork.
	 * The lock is ours until exit; the child inherits it. */
	if (o->with_signer && (lock = cli_lock_signer(d, &e)) < 0)
		return cli_fail(cmd, &e);
	if (server_listen(&so, &ls, &e) != 0)
		return cli_fail(cmd, &e);
	if (o->with_signer && start_signer(d, so.threads, lock, &ls, &e) != 0) {
		server_listeners_close(&ls);
		return cli_fail(cmd, &e);
	}
	rc = server_run(d->store, &d->conf, &so, &ls, &stop, &hup, &ev, &e);
	if (signer_pid > 0 && stop_signer(rc == 0, &e) != 0)
		rc = -1;
	return rc == 0 ? EXIT_OK : cli_fail(cmd, &e);
}
