/*
 * serving.c - see serving.h.
 *
 * `lancre run` is the process table's children (proc/procs.h) under a
 * supervisor (proc/supervise.h): the public server and the signer (the only
 * one that loads keys), which share nothing but the store.  Acquire, then
 * start: the signer lock on the data directory is taken and the ports are
 * bound by the supervisor before any fork, so a second `run` or a taken port
 * fails with no child ever started, and a restarted server finds the ports
 * still bound.  The supervisor closes its store handle before forking; each
 * child opens its own (the server read-only), keeps what its row says and
 * closes the rest (the signer its copies of the listening sockets: holding
 * one would let it accept).  A child that dies is restarted and the
 * supervisor logs why; SIGHUP reaches both, the server getting lancre.conf
 * as the supervisor read it (proc/confpass.h: its sandbox may not reach a
 * replaced file); SIGINT/SIGTERM stop both.
 *
 * The admin API's process (src/admin/) is a third child when [admin]
 * listen is not off: its port is bound by the supervisor too, before any
 * fork, and only it keeps that socket; the server and the signer close it.
 *
 * `lancre serve` runs the server row in its own process, without a
 * supervisor, and `lancre admin` the admin row.
 */
#include "cli/serving.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "admin/httpd.h"
#include "admin/listen.h"
#include "admin/tls.h"
#include "cli/sandboxing.h"
#include "proc/confpass.h"
#include "proc/drop.h"
#include "proc/layout.h"
#include "proc/procs.h"
#include "proc/supervise.h"
#include "proc/users.h"
#include "server/server.h"
#include "signer/signer.h"
#include "util/lockfile.h"

/* Set by the handlers of the process that serves or signs (one per process). */
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

/* SIGTERM (and SIGINT when asked) stop, SIGHUP reloads lancre.conf. */
static void
set_handlers(int with_sigint)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	if (with_sigint)
		sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* What the children of `lancre run` need from the supervisor. */
struct serving_ctx {
	struct cli_dir *d;
	const struct serving *o;
	const char *cmd;
	struct server_opts so;
	struct server_listeners ls;
	int lock; /* the signer lock, held by the supervisor */
	int conf_fd; /* `lancre run`: lancre.conf passed to the server on SIGHUP; else -1 */
	struct proc_users users; /* started as root: whom each row becomes */
	char api[CONF_STR_MAX]; /* the admin API's HOST:PORT; "": none */
	int api_fd;             /* its listening socket, or -1 */
	SSL_CTX *api_tls;       /* [admin] tls_cert's context (its key read as root), or NULL */
};

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
		fprintf(stderr, "lancre serve: SIGHUP: listen, admin, store and cache changes need a "
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

static void
log_sandbox(void *arg, const struct sandbox_report *r)
{
	(void)arg;
	cli_sandbox_warn("serve", SANDBOX_SERVER, r);
}

/*
 * Open d's store as row p says: the signer read-write, the server read-only,
 * at [store] server_store if set (a role that may only read, or a replica),
 * the admin process for intake, at [store] admin_store if set (its own role).
 */
static int
open_store_as(struct cli_dir *d, const struct proc *p, struct store_open_state *st,
    struct err *e)
{
	int write = (p->opens & PROC_OPENS_STORE_WRITE) != 0;
	/* The admin process writes, but without the key store (store.h, STORE_INTAKE). */
	int intake = p->id == PROC_ADMIN;

	store_close(d->store);
	cli_store_passfile(&d->conf, !write);
	if (intake && d->conf.api_passfile[0] != '\0')
		setenv("PGPASSFILE", d->conf.api_passfile, 1);
	d->store = store_open_ex(d->path,
	    intake && d->conf.admin_store[0] != '\0'   ? d->conf.admin_store
	    : !write && d->conf.server_store[0] != '\0' ? d->conf.server_store
							: d->conf.store,
	    intake ? STORE_INTAKE : write ? STORE_WRITE : STORE_READ, st, e);
	return d->store != NULL ? 0 : -1;
}

static int
open_store(struct cli_dir *d, const struct proc *p, struct err *e)
{
	return open_store_as(d, p, NULL, e);
}

/*
 * The server's store, waited for while it is a hot standby that has not
 * yet replayed the schema migration this lancre needs (store_open_state):
 * it cannot be migrated from here, and refusing to start left a node down
 * until someone started it again after the replay.  Said once, on stderr;
 * tried again after SERVE_STANDBY_RETRY_MIN_MS, doubling to
 * SERVE_STANDBY_RETRY_MAX_MS (a connection to the standby each time).
 * 0: open; 1: stopped (SIGTERM) while waiting; -1: e says why not.
 */
#define SERVE_STANDBY_RETRY_MIN_MS 250
#define SERVE_STANDBY_RETRY_MAX_MS 2000

static int
open_server_store(struct serving_ctx *sc, const struct proc *p, struct err *e)
{
	struct timespec tick = {0, 50 * 1000000L};
	struct store_open_state st;
	long wait_ms = SERVE_STANDBY_RETRY_MIN_MS;
	int said = 0;

	while (open_store_as(sc->d, p, &st, e) != 0) {
		if (!st.behind)
			return -1;
		if (!said) {
			fprintf(stderr, "lancre %s: waiting for the standby to replay the schema "
					"migration: it has schema version %d, this lancre needs %d "
					"(trying again every %d s at most)\n",
			    sc->cmd, st.have, st.need, SERVE_STANDBY_RETRY_MAX_MS / 1000);
			said = 1;
		}
		for (long waited = 0; waited < wait_ms && !stop; waited += 50)
			nanosleep(&tick, NULL);
		if (stop)
			return 1;
		wait_ms = wait_ms * 2 < SERVE_STANDBY_RETRY_MAX_MS ? wait_ms * 2
								   : SERVE_STANDBY_RETRY_MAX_MS;
	}
	return 0;
}

/*
 * The admin API's port is the admin process's: every other process closes
 * its copy, and frees its copy of the TLS context (OpenSSL clears the
 * private key it frees: the public server, the one facing the world, must
 * not hold the admin listener's key).
 */
static void
close_api(struct serving_ctx *sc)
{
	if (sc->api_fd >= 0)
		close(sc->api_fd);
	sc->api_fd = -1;
	SSL_CTX_free(sc->api_tls);
	sc->api_tls = NULL;
}

/* SIGHUP in the server of `lancre run`: lancre.conf as the supervisor read it. */
static int
load_passed_conf(void *arg, struct conf *c, struct err *e)
{
	const struct serving_ctx *sc = arg;
	size_t len;
	char *text;
	int rc;

	if ((rc = proc_confpass_get(sc->conf_fd, &text, &len, e)) != 0)
		return rc; /* 1: nothing passed yet, the file is read */
	rc = conf_load_text(sc->so.conf_path, text, len, c, e);
	free(text);
	return rc;
}

/* The server row: serve on sc->ls until SIGTERM.  c is NULL for `lancre serve`. */
static int
server_body(struct serving_ctx *sc, const struct proc_child *c)
{
	struct server_events ev = {.on_start = log_start, .on_settings = log_settings,
	    .on_settings_error = log_settings_error, .on_fd_exhausted = log_fd_exhausted,
	    .on_reload_error = log_reload_error, .on_sandbox = log_sandbox, .arg = (void *)sc->o};
	const struct proc *p = proc_get(PROC_SERVER);
	struct cli_sandbox sb;
	struct err e;
	int rc;

	/* The signer lock is the signer's: a server holding it would keep it past both. */
	if (sc->lock >= 0)
		close(sc->lock);
	close_api(sc);
	/* The ports are bound: leave root before reading anything from the network. */
	if (sc->users.as_root && proc_become(&sc->users.server, &e) != 0) {
		server_listeners_close(&sc->ls);
		return cli_fail(sc->cmd, &e);
	}
	/* Handlers and signals before the store: a stop must end a wait for a standby. */
	set_handlers(c == NULL);
	if (c == NULL)
		cli_sandbox_trap_says(sc->cmd);
	if ((c != NULL && proc_child_ready(c, &e) != 0) ||
	    (rc = open_server_store(sc, p, &e)) < 0) {
		server_listeners_close(&sc->ls);
		return cli_fail(sc->cmd, &e);
	}
	if (rc > 0) { /* stopped while waiting: nothing served yet */
		server_listeners_close(&sc->ls);
		return EXIT_OK;
	}
	/* Its lookup threads and base loader open the store as open_store() did. */
	sc->so.store_location = sc->d->conf.server_store[0] != '\0' ? sc->d->conf.server_store
								   : sc->d->conf.store;
	/* server_run() enters the sandbox once it has dropped root, before its threads. */
	cli_sandbox_paths(&sb, sc->d, 1);
	sc->so.sandbox = sb.paths;
	sc->so.sandbox_mode = p->sandbox == PROC_SANDBOX_SERVER ? cli_sandbox_mode(sc->d)
								 : SANDBOX_OFF;
	if (sc->conf_fd >= 0) {
		sc->so.load_conf = load_passed_conf;
		sc->so.load_conf_arg = sc;
	}
	if (server_run(sc->d->store, &sc->d->conf, &sc->so, &sc->ls, &stop, &hup, &ev, &e) != 0)
		return cli_fail(sc->cmd, &e);
	return EXIT_OK;
}

/* The signer row under the supervisor: signer passes until SIGTERM, failures logged and retried. */
static int
signer_body(struct serving_ctx *sc, const struct proc_child *c)
{
	const struct proc *p = proc_get(PROC_SIGNER);
	struct signer_stats st = {0};
	struct signer *sg;
	struct err e;

	/* The ports are the server's: drop our copies before anything else (and lancre.conf's
	 * memory file: the signer reads the file itself). */
	server_listeners_close(&sc->ls);
	close_api(sc);
	close(sc->conf_fd);
	lockfile_set_pid(sc->lock); /* the supervisor took the lock for us: name the signer */
	if ((sc->users.as_root && proc_become(&sc->users.signer, &e) != 0) ||
	    proc_protect(&e) != 0 || open_store(sc->d, p, &e) != 0 || (sg = cli_signer_new("sign", sc->d, sc->so.threads,
						 &e)) == NULL)
		return cli_fail("sign", &e);
	set_handlers(0);
	/* Keys loaded, store open, ready told (prctl): narrow before the signing threads start. */
	if (proc_child_ready(c, &e) != 0 ||
	    (p->sandbox == PROC_SANDBOX_SIGNER && cli_sandbox_signer("sign", sc->d, sg, &e) != 0)) {
		signer_free(sg);
		return cli_fail("sign", &e);
	}
	cli_signer_loop("sign", sg, sc->d, &stop, &hup, 0, &st);
	signer_free(sg);
	return EXIT_OK;
}

static void
log_api_start(void *arg)
{
	const struct serving_ctx *sc = arg;

	if (sc->o->quiet)
		return;
	printf("Admin API on %s\n", sc->api);
	fflush(stdout);
}

/* A CRL of [admin] client_crl passed its nextUpdate in a handshake (admin/tls.h). */
static void
log_tls_notice(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "lancre admin: %s\n", msg);
}

/*
 * The admin row: the API on sc->api_fd until SIGTERM.  c is NULL for `lancre
 * admin`.  It keeps no other socket, no lock, no key (its store handle is an
 * intake one), and enters its sandbox before the first request.
 */
static int
admin_body(struct serving_ctx *sc, const struct proc_child *c)
{
	const struct proc *p = proc_get(PROC_ADMIN);
	struct admin_api api = {0};
	struct admin_tls_notice notice = {.fn = log_tls_notice};
	struct err e;
	int rc;

	server_listeners_close(&sc->ls);
	if (sc->lock >= 0)
		close(sc->lock);
	if (sc->conf_fd >= 0)
		close(sc->conf_fd);
	if ((sc->users.as_root && proc_become(&sc->users.admin, &e) != 0) ||
	    open_store(sc->d, p, &e) != 0) {
		close_api(sc);
		return cli_fail("admin", &e);
	}
	set_handlers(c == NULL);
	if (c == NULL)
		cli_sandbox_trap_says("admin");
	if ((c != NULL && proc_child_ready(c, &e) != 0) ||
	    (p->sandbox == PROC_SANDBOX_ADMIN && cli_sandbox_admin("admin", sc->d, sc->so.listen, &e) != 0)) {
		close_api(sc);
		return cli_fail("admin", &e);
	}
	if (sc->api_tls != NULL)
		admin_tls_set_notice(sc->api_tls, &notice); /* this process's copy of the context */
	api.store = sc->d->store;
	api.conf = &sc->d->conf;
	api.dir = sc->d->path;
	api.public_listen = sc->so.listen;
	api.started = (int64_t)time(NULL);
	api.threads = cli_cpus();
	rc = admin_httpd_run(&api, sc->api_fd, sc->api_tls, &stop, log_api_start, sc, &e);
	sc->api_fd = -1; /* closed by admin_httpd_run, whatever it returns */
	admin_api_dispose(&api);
	close_api(sc);
	return rc != 0 ? cli_fail("admin", &e) : EXIT_OK;
}

static int
child_body(void *arg, const struct proc_child *c)
{
	struct serving_ctx *sc = arg;

	switch (c->p->id) {
	case PROC_SIGNER:
		return signer_body(sc, c);
	case PROC_ADMIN:
		return admin_body(sc, c);
	default:
		return server_body(sc, c);
	}
}

/* The supervisor's log: which child died, why, and when it starts again. */
static void
log_child_exit(void *arg, const struct proc *p, const struct proc_exit *x)
{
	const struct serving_ctx *sc = arg;
	char how[192];

	if ((x->restart_ms < 0 || x->replaced) && WIFEXITED(x->status) &&
	    WEXITSTATUS(x->status) == 0)
		return; /* stopped as asked (or replaced: pass_conf said why) */
	proc_describe_exit(x, how, sizeof(how));
	if (x->replaced) /* its successor already runs: nothing to restart */
		fprintf(stderr, "lancre %s: the replaced %s process (pid %ld) %s while finishing\n",
		    sc->cmd, p->name, (long)x->pid, how);
	else if (x->restart_ms >= 0)
		fprintf(stderr, "lancre %s: the %s process (pid %ld) %s; restarting it in %ld ms\n",
		    sc->cmd, p->name, (long)x->pid, how, x->restart_ms);
	else
		fprintf(stderr, "lancre %s: the %s process (pid %ld) %s\n", sc->cmd, p->name,
		    (long)x->pid, how);
}

/*
 * A child started after a SIGHUP (a restart) starts with the settings read
 * then, as the running ones reloaded them; what `lancre run` itself bound or
 * decided at start stays (the ports, the store, the users, the sandbox mode).
 * A file the children refuse is refused here too, silently: they say why.
 */
static void
reload_for_restarts(struct serving_ctx *sc)
{
	struct conf c, *now = &sc->d->conf;
	struct err e;

	/* The bytes just passed to the server, not the file read a second time: the
	 * server and a child restarted later get the same version of it. */
	if (load_passed_conf(sc, &c, &e) != 0)
		return;
	memcpy(c.listen, now->listen, sizeof(c.listen));
	memcpy(c.admin, now->admin, sizeof(c.admin));
	memcpy(c.store, now->store, sizeof(c.store));
	memcpy(c.admin_store, now->admin_store, sizeof(c.admin_store));
	memcpy(c.user, now->user, sizeof(c.user));
	memcpy(c.signer_user, now->signer_user, sizeof(c.signer_user));
	memcpy(c.api_listen, now->api_listen, sizeof(c.api_listen));
	memcpy(c.api_user, now->api_user, sizeof(c.api_user));
	memcpy(c.api_passfile, now->api_passfile, sizeof(c.api_passfile));
	/* The TLS files are read again at the paths of the start (reload_api_tls). */
	if (strcmp(c.api_tls_cert, now->api_tls_cert) != 0 ||
	    strcmp(c.api_tls_key, now->api_tls_key) != 0 ||
	    strcmp(c.api_client_ca, now->api_client_ca) != 0 ||
	    strcmp(c.api_client_crl, now->api_client_crl) != 0)
		fprintf(stderr, "lancre %s: SIGHUP: a change of [admin] tls_cert, tls_key, "
				"client_ca or client_crl (a path) needs a restart; their files are "
				"read again where they were\n", sc->cmd);
	memcpy(c.api_tls_cert, now->api_tls_cert, sizeof(c.api_tls_cert));
	memcpy(c.api_tls_key, now->api_tls_key, sizeof(c.api_tls_key));
	memcpy(c.api_client_ca, now->api_client_ca, sizeof(c.api_client_ca));
	memcpy(c.api_client_crl, now->api_client_crl, sizeof(c.api_client_crl));
	memcpy(c.api_clients, now->api_clients, sizeof(c.api_clients));
	c.api_nclients = now->api_nclients;
	c.sandbox_mode = now->sandbox_mode;
	*now = c;
}

/* The serial of ctx's certificate as openssl x509 -serial prints it (upper-case hex), or "?". */
static void
ctx_serial_hex(SSL_CTX *ctx, char *buf, size_t len)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(SSL_CTX_get0_certificate(ctx));
	BIGNUM *bn = sn != NULL ? ASN1_INTEGER_to_BN(sn, NULL) : NULL;
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

	snprintf(buf, len, "%s", hex != NULL ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

/*
 * SIGHUP: the admin listener's TLS files (tls_cert, tls_key, client_ca,
 * client_crl, at the paths read at start) made into a new context here, in
 * the supervisor, and the admin process replaced to use it.  1: replace it;
 * 0: nothing changed, or a file is bad (said in one line; the current
 * context and process stay).
 *
 * Why the supervisor and a restart.  The admin process runs as [admin] user,
 * which may not read the key (refused at start if it owns it; mode 0600), and
 * inside Landlock; giving it the key's bytes over a channel would leave key
 * material in a second place (a memory file, a pipe) and need a context
 * swapped under libh2o's accept loop, whose connections are named by their
 * context (admin/httpd.c).  The supervisor already holds the context for the
 * admin processes it restarts and has no Landlock rule; as root it ran as
 * [signer] user after start, with no capability to read another user's
 * file, so the key must be that user's (mode 0600: the user that holds the
 * CA's keys anyway) to be read again; root's is read at start only, and a
 * SIGHUP then says so and keeps the current one.  Keeping CAP_DAC_READ_SEARCH
 * for this would let the supervisor read every file on the host.  A new
 * admin process is then started at once with the new context, on the same
 * bound port (proc/supervise.h: the replacement overlaps), while the old one
 * stops as on SIGTERM: it stops accepting, answers what it began under the
 * old certificate (admin/httpd.h: held answers up to ADMIN_DRAIN_MS),
 * closes its idle connections and exits; no connection is refused, and the
 * public server, which gets SIGHUP as usual, keeps answering.
 */
static int
reload_api_tls(struct serving_ctx *sc)
{
	uid_t deny[2] = {sc->users.admin.uid, sc->users.server.uid};
	char serial[128];
	SSL_CTX *ctx;
	struct err e;

	if (sc->api_fd < 0 || sc->api_tls == NULL)
		return 0;
	if (admin_tls_ctx_new(&sc->d->conf, deny, sc->users.as_root ? 2 : 0, &ctx, &e) != 0) {
		char hint[160] = "";

		if (sc->users.as_root && strstr(e.msg, "Permission denied") != NULL)
			snprintf(hint, sizeof(hint), " (after start lancre reads it as [signer] user %s: "
			    "chown it to that user, mode 0600, to reload it on SIGHUP)",
			    sc->users.signer.name);
		fprintf(stderr, "lancre %s: SIGHUP: %s%s; the admin API keeps its current TLS "
				"settings\n", sc->cmd, e.msg, hint);
		return 0;
	}
	if (ctx == NULL || admin_tls_ctx_same(ctx, sc->api_tls)) {
		SSL_CTX_free(ctx);
		return 0;
	}
	ctx_serial_hex(ctx, serial, sizeof(serial));
	SSL_CTX_free(sc->api_tls);
	sc->api_tls = ctx;
	if (!sc->o->quiet) {
		printf("Admin API TLS files read again (certificate serial %s): its process "
		       "restarts to use them\n", serial);
		fflush(stdout);
	}
	return 1;
}

/* SIGHUP: read lancre.conf for the server, whose sandbox may not reach a replaced file. */
static unsigned
pass_conf(void *arg)
{
	struct serving_ctx *sc = arg;
	struct err e;

	if (proc_confpass_put(sc->conf_fd, sc->so.conf_path, &e) != 0)
		fprintf(stderr, "lancre %s: SIGHUP: %s\n", sc->cmd, e.msg);
	reload_for_restarts(sc);
	return reload_api_tls(sc) ? 1u << PROC_ADMIN : 0;
}

static void
log_child_start_error(void *arg, const struct proc *p, const struct err *e)
{
	const struct serving_ctx *sc = arg;

	(void)p;
	fprintf(stderr, "lancre %s: %s\n", sc->cmd, e->msg);
}

/* The signer lock, taken as root: the file is the signer's, as `lancre sign` makes it. */
static int
lock_signer(struct cli_dir *d, const struct proc_users *u, struct err *e)
{
	int fd = cli_lock_signer(d, e);

	if (fd >= 0 && u->as_root &&
	    (fchown(fd, u->signer.uid, u->signer.gid) != 0 || fchmod(fd, 0600) != 0)) {
		err_set(e, "cannot give %s/%s to %s: %s", d->path, CLI_SIGNER_LOCK,
		    u->signer.name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* `lancre run`: the children of the process table under the supervisor. */
static int
supervise(struct serving_ctx *sc, struct err *e)
{
	static const enum proc_id ids[] = {PROC_SIGNER, PROC_SERVER, PROC_ADMIN};
	struct proc_events ev = {.on_exit = log_child_exit,
	    .on_start_error = log_child_start_error, .on_hup = pass_conf, .arg = sc};
	/* The admin row last: without an admin API, the first two only. */
	struct proc_supervise_opts po = {.ids = ids,
	    .n = sizeof(ids) / sizeof(ids[0]) - (sc->api_fd < 0),
	    .body = child_body, .body_arg = sc, .ev = &ev};
	int rc;

	/* The supervisor holds no store: each child opens its own. */
	store_close(sc->d->store);
	sc->d->store = NULL;
	/* Leave root too, keeping only what starting children as their users needs. */
	if ((sc->users.as_root ? proc_become_supervisor(&sc->users.signer, e) : proc_protect(e)) ||
	    /* Then narrow: the children start inside the supervisor's sandbox and narrow further. */
	    (proc_get(PROC_SUPERVISOR)->sandbox == PROC_SANDBOX_SUPERVISOR &&
		cli_sandbox_supervisor(sc->cmd, sc->d, sc->api_fd >= 0 ? sc->so.listen : NULL, e) != 0)) {
		server_listeners_close(&sc->ls);
		close_api(sc);
		return -1;
	}
	rc = proc_supervise(&po, e);
	server_listeners_close(&sc->ls);
	close_api(sc);
	close(sc->conf_fd);
	return rc;
}

/*
 * The admin API's address (admin/listen.h: refused off loopback) and its
 * socket, bound now like the others; nothing when it is off.  With an admin
 * process started as root, its user must be able to write the store.
 */
static int
bind_api(struct serving_ctx *sc, struct err *e)
{
	struct server_opts so = {0};
	struct server_listeners ls;
	int rc;

	if ((rc = admin_listen_addr(&sc->d->conf, sc->so.listen, NULL, sc->api, sizeof(sc->api),
		 e)) != 0)
		return rc > 0 ? 0 : -1;
	if (proc_layout_check_admin(sc->d->path, sc->d->conf.store, &sc->users, e) != 0)
		return -1;
	/* The TLS key now, as the user who started lancre: the admin user cannot read it. */
	uid_t deny[2] = {sc->users.admin.uid, sc->users.server.uid};
	if (admin_tls_ctx_new(&sc->d->conf, deny, sc->users.as_root ? 2 : 0, &sc->api_tls, e) != 0)
		return -1;
	so.listen = sc->api;
	if (server_listen(&so, &ls, e) != 0) {
		SSL_CTX_free(sc->api_tls);
		sc->api_tls = NULL;
		return err_prefix(e, "admin API");
	}
	sc->api_fd = ls.fd;
	return 0;
}

int
serving_run(struct cli_dir *d, const struct serving *o, const char *cmd)
{
	struct serving_ctx sc = {.d = d, .o = o, .cmd = cmd, .lock = -1, .conf_fd = -1,
	    .api_fd = -1};
	char admin[CONF_STR_MAX], conf_path[PATH_MAX + 32];
	struct err e;
	int rc;

	sc.so.listen = o->listen != NULL ? o->listen : d->conf.listen;
	serving_admin_addr(&d->conf, sc.so.listen, o->admin, admin, sizeof(admin));
	sc.so.admin = admin;
	sc.so.threads = o->threads > 0 ? o->threads : cli_cpus();
	snprintf(conf_path, sizeof(conf_path), "%s/%s", d->path, CONF_FILE);
	sc.so.conf_path = conf_path;
	sc.so.dir = d->path;
	if (o->api != NULL) /* --api: as if lancre.conf said it (the users follow it too) */
		snprintf(d->conf.api_listen, sizeof(d->conf.api_listen), "%s", o->api);
	signal(SIGPIPE, SIG_IGN);
	/* Acquire everything before starting anything: the users and the owners of
	 * the directory (a missing user or a wrong owner is one line now, not a
	 * child dying at each restart), the signer lock (a second `run` names the
	 * running signer), then the ports, then the forks.  The lock is the
	 * supervisor's until exit; each signer child inherits it. */
	if (proc_users_resolve(&d->conf, &sc.users, &e) != 0 ||
	    proc_layout_check(d->path, d->conf.store, &sc.users, &e) != 0)
		return cli_fail(cmd, &e);
	if (o->only_admin) {
		sc.ls.fd = sc.ls.admin_fd = -1;
		if (bind_api(&sc, &e) != 0)
			return cli_fail(cmd, &e);
		if (sc.api_fd < 0)
			return cli_usage_error(cmd, "[admin] listen is off: there is no admin API to "
						    "run");
		return admin_body(&sc, NULL);
	}
	if (o->with_signer && (sc.lock = lock_signer(d, &sc.users, &e)) < 0)
		return cli_fail(cmd, &e);
	if (server_listen(&sc.so, &sc.ls, &e) != 0)
		return cli_fail(cmd, &e);
	if (!o->with_signer)
		return server_body(&sc, NULL);
	if (bind_api(&sc, &e) != 0 || (sc.conf_fd = proc_confpass_new(&e)) < 0) {
		server_listeners_close(&sc.ls);
		close_api(&sc);
		return cli_fail(cmd, &e);
	}
	rc = supervise(&sc, &e);
	return rc == 0 ? EXIT_OK : cli_fail(cmd, &e);
}
