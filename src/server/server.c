/*
 * server.c - threads, listeners and reloads of the public server; see
 * server.h.  Requests themselves are answered in handlers.c.
 */
#include "server/server_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ocsp/request.h"
#include "sandbox/sandbox.h"
#include "server/conns.h"
#include "util/asan.h"

#define SERVER_LISTEN_BACKLOG 4096
/*
 * Bytes a connection's socket may hold that the client has not been sent
 * (TCP_NOTSENT_LOWAT), set on the listening socket and so inherited by every
 * socket it accepts.  Without it the kernel takes a body until the send
 * buffer is full, and on a client that stops reading that buffer autotunes
 * to tcp_wmem's maximum (4 MB): 500 stalled clients of a large CRL held
 * ~1.7 GB of kernel memory, and a loop short of CPU spent seconds filling
 * it (the sweep then ran late).  With it a write stops at 128 KB not yet
 * sent (the socket polls writable again below that); what the client's
 * window lets through is not limited.  Measured with ss on loopback, a
 * stalled connection's skmem w 3.9 MB -> 0.18 MB (HTTP/1.1), 2.8 -> 0.11
 * MB (HTTP/2): docs/DESIGN.md, "Write stalls"; tests/e2e/crl_lowat.sh.
 */
#define SERVER_NOTSENT_LOWAT (128 * 1024)

struct worker {
	struct server *sv;
	int id;
	int fd, admin_fd; /* admin_fd: -1 except on worker 0 */
	pthread_t tid;
};

int
server_parse_addr(const char *hostport, char *host, size_t host_len, char *port, size_t port_len,
    struct err *e)
{
	const char *colon = strrchr(hostport, ':');
	const char *h = hostport;
	size_t hl;

	if (colon == NULL || colon[1] == '\0')
		return err_set(e, "'%s' is not HOST:PORT", hostport);
	hl = (size_t)(colon - hostport);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') { /* [::1]:8080 */
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= host_len || strlen(colon + 1) >= port_len)
		return err_set(e, "'%s' is not HOST:PORT", hostport);
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, port_len, "%s", colon + 1);
	return 0;
}

/*
 * The listening socket on addr, bound once, without SO_REUSEPORT: a port
 * another process holds (another lancre included, whatever its data
 * directory) is refused by the kernel, where SO_REUSEPORT let two servers
 * split the traffic.  The loops share it (start_workers); SO_REUSEADDR only
 * lets a restart bind while old connections sit in TIME_WAIT.
 */
static int
listen_on(const char *addr, struct err *e)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
	char host[256], port[16];
	int fd, on = 1, lowat = SERVER_NOTSENT_LOWAT, rc;

	if (server_parse_addr(addr, host, sizeof(host), port, sizeof(port), e) != 0)
		return -1;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		return err_set(e, "cannot listen on %s: %s", addr, gai_strerror(rc));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, SERVER_LISTEN_BACKLOG) != 0) {
		if (errno == EADDRINUSE)
			err_set(e, "cannot listen on %s: the address is already in use (another "
				   "lancre, or another program)", addr);
		else
			err_set(e, "cannot listen on %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	/* Best effort: a kernel without it (before 3.12) fills the send buffer as before. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
	return fd;
}

/*
 * One listening socket in one loop: h2o's accept context, the loop's
 * connections, and the pause after EMFILE/ENFILE.  Out of descriptors, the
 * pending connection stays in the backlog and the socket stays readable: a
 * loop that kept watching it would spin (both cores, nothing accepted).  So
 * the listener stops watching for SERVER_ACCEPT_PAUSE_MS, which lets the
 * connections it serves finish and free descriptors, then tries again.
 */
struct listener {
	h2o_accept_ctx_t actx;
	struct conns *conns;
	struct server *sv;
	int admin; /* counted against [server] admin_max_connections, else max_connections */
	h2o_socket_t *sock;
	h2o_timeout_t pause;
	h2o_timeout_entry_t resume;
};

static void on_accept(h2o_socket_t *listener, const char *err);

static void
on_resume(h2o_timeout_entry_t *entry)
{
	struct listener *l = H2O_STRUCT_FROM_MEMBER(struct listener, resume, entry);

	h2o_socket_read_start(l->sock, on_accept);
}

static void
pause_accepting(struct listener *l)
{
	h2o_socket_read_stop(l->sock);
	h2o_timeout_link(l->actx.ctx->loop, &l->pause, &l->resume);
	atomic_fetch_add(&l->sv->connections_refused, 1);
	atomic_fetch_add(&l->sv->fd_pauses, 1); /* the main thread logs them, see log_fd_pauses() */
}

static void
on_accept(h2o_socket_t *listener, const char *err)
{
	struct listener *l = listener->data;
	struct server *sv = l->sv;
	h2o_socket_t *sock;

	if (err != NULL)
		return;
	/* Take every pending connection: one wake-up may stand for many. */
	while ((sock = h2o_evloop_socket_accept(listener)) != NULL) {
		const struct snapshot *snap = atomic_load(&sv->current);
		atomic_long *counter = l->admin ? &sv->admin_connections : &sv->connections;
		atomic_ulong *refused = l->admin ? &sv->admin_connections_refused
						 : &sv->connections_refused;
		long max = l->admin ? snap->conf.admin_max_connections : snap->conf.max_connections;
		if (atomic_load_explicit(counter, memory_order_relaxed) >= max ||
		    conns_add(l->conns, sock, counter, 0) != 0) {
			atomic_fetch_add(refused, 1);
			h2o_socket_close(sock);
			continue;
		}
		atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
		h2o_accept(&l->actx, sock);
	}
	/* h2o_evloop_socket_accept() returns NULL right after accept() fails. */
	if (errno == EMFILE || errno == ENFILE)
		pause_accepting(l);
}

static void
watch(h2o_evloop_t *loop, int fd, struct listener *l)
{
	l->sock = h2o_evloop_socket_create(loop, fd, H2O_SOCKET_FLAG_DONT_READ);
	l->sock->data = l;
	h2o_timeout_init(loop, &l->pause, SERVER_ACCEPT_PAUSE_MS);
	l->resume.cb = on_resume;
	h2o_socket_read_start(l->sock, on_accept);
}

static void
unwatch(h2o_evloop_t *loop, struct listener *l)
{
	if (l->sock == NULL)
		return;
	if (h2o_timeout_is_linked(&l->resume))
		h2o_timeout_unlink(&l->resume);
	h2o_timeout_dispose(loop, &l->pause);
	h2o_socket_read_stop(l->sock);
	h2o_socket_close(l->sock);
}

/*
 * The stop: no new connections; HTTP/2 clients get GOAWAY; every connection
 * that is not writing a response is closed, the others once they have
 * written it, for at most SERVER_DRAIN_MS; then whatever is left is cut.
 * Returns 0 when every connection is closed (the contexts may be disposed).
 */
static int
drain(h2o_evloop_t *loop, struct conns *cs, struct lookup_port *port, h2o_context_t *ctx,
    h2o_context_t *admin_ctx)
{
	uint64_t deadline = h2o_now(loop) + SERVER_DRAIN_MS;

	conns_request_shutdown(ctx);
	if (admin_ctx != NULL)
		conns_request_shutdown(admin_ctx);
	h2o_evloop_run(loop, 0); /* send the GOAWAYs before reading sides close */
	/*
	 * A request waiting for its lookup owes a response but no body yet, so
	 * conns_close_idle would take its connection for idle: none is closed
	 * while one waits (each is answered by its deadline, lookup.h).
	 */
	while (cs->n > 0 && h2o_now(loop) < deadline) {
		if (port->waiting == 0)
			conns_close_idle(cs);
		h2o_evloop_run(loop, SERVER_DRAIN_TICK_MS);
	}
	if (cs->n > 0) {
		conns_close_all(cs);
		for (int i = 0; i < SERVER_DRAIN_CUT_TICKS && cs->n > 0; i++)
			h2o_evloop_run(loop, SERVER_DRAIN_TICK_MS);
	}
	/* Run what the closes queued (h2o frees some objects on the next turn). */
	h2o_evloop_run(loop, 0);
	return cs->n > 0 ? -1 : 0;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct server *sv = w->sv;
	/*
	 * On the heap, not this thread's stack: a lookup still out when the
	 * loop gives up waiting (lookup_port_dispose) sends its job to lp->port
	 * after this function returned.  Then lp and the loop are left to the
	 * OS, as is a loop whose connections would not close.
	 */
	struct server_loop *lp = calloc(1, sizeof(*lp));
	struct conns *cs = lp != NULL ? &lp->conns : NULL;
	struct listener pub = {.sv = sv, .conns = cs}, adm = {.sv = sv, .conns = cs, .admin = 1};
	h2o_evloop_t *loop;

	if (lp == NULL)
		return NULL; /* out of memory: as a loop that never started, the others serve */
	loop = h2o_evloop_create();
	conns_init(cs, loop, &sv->write_stalls);
	h2o_context_init(&lp->ctx, loop, &sv->config);
	/* Without a queue (no pipe left) a miss is answered tryLater (lookup_submit). */
	(void)lookup_port_init(&lp->port, sv->lookup, loop, handle_lookup_done, sv);
	pub.actx.ctx = &lp->ctx;
	pub.actx.hosts = sv->config.hosts;
	watch(loop, w->fd, &pub);
	if (w->admin_fd >= 0) {
		h2o_context_init(&lp->admin_ctx, loop, &sv->admin_config);
		adm.actx.ctx = &lp->admin_ctx;
		adm.actx.hosts = sv->admin_config.hosts;
		watch(loop, w->admin_fd, &adm);
	}
	while (!atomic_load(&sv->stopping)) {
		/* The settings of the snapshot this loop may hold until it goes round again. */
		const struct snapshot *snap = atomic_load_explicit(&sv->current, memory_order_acquire);
		cs->write_timeout_ms = (uint64_t)snap->conf.write_timeout * 1000;
		h2o_evloop_run(loop, SERVER_LOOP_WAKE_MS);
		atomic_fetch_add_explicit(&sv->quiescent[w->id], 1, memory_order_release);
	}
	unwatch(loop, &pub);
	unwatch(loop, &adm);
	if (drain(loop, cs, &lp->port, &lp->ctx, adm.sock != NULL ? &lp->admin_ctx : NULL) != 0) {
		/* A connection h2o would not close: disposing would abort on its
		 * timers.  The process is exiting; leave the loop to the OS. */
		return NULL;
	}
	if (lookup_port_dispose(&lp->port, loop) != 0)
		return NULL; /* a lookup still out will send to lp->port: leave lp and loop */
	conns_dispose(cs);
	if (adm.sock != NULL)
		h2o_context_dispose(&lp->admin_ctx);
	h2o_context_dispose(&lp->ctx);
	h2o_evloop_destroy(loop);
	free(lp);
	return NULL;
}

/* Wait until every loop has gone round since now: nobody can still hold the old snapshot. */
static void
wait_quiescent(struct server *sv)
{
	uint64_t seen[SERVER_THREADS_MAX];
	struct timespec ms = {0, 5 * 1000000L};

	for (int i = 0; i < sv->nthreads; i++)
		seen[i] = atomic_load_explicit(&sv->quiescent[i], memory_order_acquire);
	for (int i = 0; i < sv->nthreads; i++) {
		while (atomic_load_explicit(&sv->quiescent[i], memory_order_acquire) == seen[i] &&
		    !atomic_load(&sv->stopping))
			nanosleep(&ms, NULL);
	}
}

static void
setup_config(h2o_globalconf_t *config, struct server *sv, int (*on_req)(h2o_handler_t *, h2o_req_t *))
{
	h2o_hostconf_t *host;
	h2o_pathconf_t *path;
	struct server_handler *h;

	h2o_config_init(config);
	config->server_name = h2o_iovec_init(H2O_STRLIT("lancre"));
	config->max_request_entity_size = OCSP_REQUEST_MAX; /* larger POST bodies get 413 */
	config->http1.req_timeout = (uint64_t)sv->conf.request_timeout * 1000; /* slowloris */
	config->http2.idle_timeout = (uint64_t)sv->conf.h2_idle_timeout * 1000;
	/* h2o 2.2 accepts 100 open streams a connection (refusing more) but answers
	 * only this many at once; the others wait, holding their request headers alone. */
	config->http2.max_concurrent_requests_per_connection = (size_t)sv->conf.h2_max_streams;
	host = h2o_config_register_host(config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	path = h2o_config_register_path(host, "/", 0);
	h = (struct server_handler *)h2o_create_handler(path, sizeof(*h));
	h->super.on_req = on_req;
	h->sv = sv;
}

/*
 * force: build a whole new snapshot even if nothing in the store changed
 * (SIGHUP).  With a builder (builder.h) the base is never loaded here: a
 * finished one is taken, and a new one asked for when it is due.
 */
static int
reload(struct server *sv, int force, struct err *e)
{
	struct snapshot *cur = atomic_load(&sv->current), *next;
	struct snapshot_how how = {.defer_base = sv->builder != NULL, .force = force,
	    .cache = sv->cache};
	int64_t now = (int64_t)time(NULL);
	int changed, failed = 0;

	if (sv->builder != NULL && sv->fresh == NULL &&
	    (sv->fresh = builder_take(sv->builder, &failed, e)) == NULL && failed)
		return err_prefix(e, "loading the responses"); /* asked for again below, next time */
	how.fresh = sv->fresh;
	/* Forced without a builder: a new base is read here (bounded: none, the feed goes on from cur). */
	next = snapshot_update_ex(sv->store,
	    force && sv->builder == NULL && sv->cache == NULL ? NULL : cur, &sv->conf,
	    sv->opts->dir, now, &how, &changed, e);
	sv->fresh = how.fresh; /* NULL once taken; kept when the reload failed */
	if (next == NULL)
		return -1;
	if (how.want_base)
		builder_request(sv->builder, next->catalog, now);
	if (!changed)
		return 0;
	if (next->ocsp_seq < cur->ocsp_seq) /* the store went back: so does what lookups served */
		lookup_served_forget(sv->lookup);
	if (cur->partial && !next->partial && sv->swap_delay_ms > 0) { /* tests only (server.h) */
		struct timespec d = {sv->swap_delay_ms / 1000, (sv->swap_delay_ms % 1000) * 1000000L};
		nanosleep(&d, NULL);
	}
	atomic_store_explicit(&sv->current, next, memory_order_release);
	atomic_fetch_add(&sv->reloads, 1);
	wait_quiescent(sv);
	snapshot_free(cur);
	return 0;
}

int
server_listen(const struct server_opts *o, struct server_listeners *l, struct err *e)
{
	l->admin_fd = -1;
	l->fd = listen_on(o->listen, e);
	if (l->fd < 0)
		return -1;
	if (o->admin != NULL && o->admin[0] != '\0') {
		l->admin_fd = listen_on(o->admin, e);
		if (l->admin_fd < 0) {
			server_listeners_close(l);
			return err_prefix(e, "admin listener");
		}
	}
	return 0;
}

void
server_listeners_close(struct server_listeners *l)
{
	if (l->fd >= 0)
		close(l->fd);
	if (l->admin_fd >= 0)
		close(l->admin_fd);
	l->fd = l->admin_fd = -1;
}

/*
 * One public socket for all the loops: each watches its own dup() of it (h2o
 * closes the descriptor it was given), and whichever loop wakes first
 * accepts.  Measured against one SO_REUSEPORT socket per loop in
 * docs/BENCHMARKS.md.  The workers take l's descriptors over (l is left
 * with -1s), worker 0 the admin one too.
 */
static int
start_workers(struct server *sv, struct worker *w, struct server_listeners *l, struct err *e)
{
	for (int i = 0; i < sv->nthreads; i++) {
		w[i] = (struct worker){.sv = sv, .id = i, .fd = -1, .admin_fd = -1};
		w[i].fd = i == 0 ? l->fd : fcntl(w[0].fd, F_DUPFD_CLOEXEC, 0);
		if (i == 0) {
			w[0].admin_fd = l->admin_fd;
			l->fd = l->admin_fd = -1;
		}
		if (w[i].fd < 0)
			return err_set(e, "cannot share the listener: %s", strerror(errno));
	}
	return 0;
}

/* SIGHUP: read lancre.conf again; keep the old settings if the new ones are bad. */
static void
reload_conf(struct server *sv)
{
	const struct server_events *ev = sv->ev;
	struct conf c;
	struct err e;
	int restart, rc;

	if (sv->opts->conf_path == NULL)
		return;
	rc = sv->opts->load_conf != NULL ? sv->opts->load_conf(sv->opts->load_conf_arg, &c, &e) : 1;
	if (rc == 1)
		rc = conf_load(sv->opts->conf_path, &c, &e);
	if (rc != 0) {
		if (ev->on_settings_error != NULL)
			ev->on_settings_error(ev->arg, sv->opts->conf_path, &e);
		return;
	}
	restart = strcmp(c.listen, sv->conf.listen) != 0 || strcmp(c.admin, sv->conf.admin) != 0 ||
	    strcmp(c.store, sv->conf.store) != 0 || c.cache != sv->conf.cache;
	sv->conf = c;
	if (ev->on_settings != NULL)
		ev->on_settings(ev->arg, sv->opts->conf_path, restart);
}

static void
close_helper_stores(struct store **helpers)
{
	for (int i = 0; i < 1 + SERVER_LOOKUP_THREADS; i++) {
		store_close(helpers[i]);
		helpers[i] = NULL;
	}
}

/* The read-only handles of the base loader (helpers[0]) and the lookup threads, or none. */
static int
open_helper_stores(const struct server_opts *o, struct store **helpers, struct err *e)
{
	if (o->store_location == NULL)
		return 0;
	for (int i = 0; i < 1 + SERVER_LOOKUP_THREADS; i++) {
		helpers[i] = store_open(o->dir, o->store_location, STORE_READ, e);
		if (helpers[i] == NULL) {
			close_helper_stores(helpers);
			return err_prefix(e, "a second handle on the store");
		}
	}
	return 0;
}

/* A test hook's number (server.h): 0 when name is unset or not a number in 1..max. */
static long
test_env(const char *name, long max)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return 0;
	n = strtol(v, &end, 10);
	return *end == '\0' && n > 0 && n <= max ? n : 0;
}

/*
 * The base loader and the lookup threads, in the sandbox (started after it:
 * they are bound by it), taking helpers over.
 */
static int
start_helpers(struct server *sv, struct store **helpers, struct err *e)
{
	struct lookup_test t = {
	    .delay_ms = (int)test_env(SERVER_LOOKUP_DELAY_ENV, SERVER_LOAD_DELAY_MAX_MS),
	    .queue_max = test_env(SERVER_LOOKUP_QUEUE_ENV, LOOKUP_QUEUE_MAX),
	    .fail = test_env(SERVER_LOOKUP_FAIL_ENV, 1) != 0};

	if (helpers[0] == NULL)
		return 0;
	if (sv->cache != NULL) {
		store_close(helpers[0]); /* bounded, no base is ever loaded: no builder */
		helpers[0] = NULL;
	} else {
		sv->builder = builder_start(helpers[0],
		    (int)test_env(SERVER_LOAD_DELAY_ENV, SERVER_LOAD_DELAY_MAX_MS),
		    test_env(SERVER_LOAD_FAIL_ENV, 1) != 0, e);
		helpers[0] = NULL;
		if (sv->builder == NULL)
			return -1;
	}
	sv->lookup = lookup_start(helpers + 1, SERVER_LOOKUP_THREADS, &t, e);
	for (int i = 1; i < 1 + SERVER_LOOKUP_THREADS; i++)
		helpers[i] = NULL;
	lookup_set_hold(sv->lookup, getenv(SERVER_LOOKUP_HOLD_ENV));
	sv->swap_delay_ms = (int)test_env(SERVER_SWAP_DELAY_ENV, SERVER_LOAD_DELAY_MAX_MS);
	return sv->lookup != NULL ? 0 : -1;
}

/*
 * After the drop (the caller's; the allowlist has no setuid) and before the
 * threads: Landlock binds the calling thread and the threads it starts
 * later, not those already running.
 */
static int
enter_sandbox(struct server *sv, struct err *e)
{
	struct sandbox_report r;

	asan_symbolizer_warm(); /* sanitizer builds: leak reports name functions (util/asan.h) */
	if (sandbox_enter(SANDBOX_SERVER, sv->opts->sandbox_mode, &sv->opts->sandbox, &r, e) != 0)
		return err_prefix(e, "sandbox");
	if (sv->ev->on_sandbox != NULL)
		sv->ev->on_sandbox(sv->ev->arg, &r);
	return 0;
}

/*
 * Every connection is a descriptor: take all the hard limit allows.  *was
 * and *limit are the limit before and after (both 0 if it is unknown).
 */
static void
raise_fd_limit(rlim_t *was, rlim_t *limit)
{
	struct rlimit rl;

	*was = *limit = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	*was = *limit = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			*limit = rl.rlim_cur;
	}
}

/*
 * Out of descriptors: say so once per episode, a run of pauses (any loop's)
 * with no gap of SERVER_FD_EPISODE_GAP_S between them, not once per pause.
 */
struct fd_watch {
	unsigned long pauses;
	int64_t last; /* when pauses last grew; 0: never */
	rlim_t was, limit;
};

static void
log_fd_pauses(struct server *sv, struct fd_watch *fw)
{
	unsigned long now = atomic_load(&sv->fd_pauses);
	int64_t t = (int64_t)time(NULL), last = fw->last;

	if (now == fw->pauses)
		return;
	fw->pauses = now;
	fw->last = t;
	if (last != 0 && t - last < SERVER_FD_EPISODE_GAP_S)
		return;
	if (sv->ev->on_fd_exhausted != NULL)
		sv->ev->on_fd_exhausted(sv->ev->arg, (unsigned long long)fw->limit,
		    SERVER_ACCEPT_PAUSE_MS);
}

/*
 * The main thread's loop until *stop: watch the descriptors, re-read
 * lancre.conf on *reload_flag, and swap in a new snapshot when the store
 * changed.  A failed reload keeps serving the current snapshot and is told
 * once per distinct failure.
 */
static void
serve_loop(struct server *sv, struct fd_watch *fw, volatile sig_atomic_t *stop,
    volatile sig_atomic_t *reload_flag, struct err *e)
{
	struct timespec tick = {0, SERVER_RELOAD_MS * 1000000L};
	char failure[ERR_MSG_MAX] = "";
	int force = 0;

	while (!*stop) {
		int maybe;
		/* SQLite: sleeps a tick and says "maybe"; PostgreSQL: woken by a commit (LISTEN). */
		if ((maybe = store_changes_wait(sv->store, SERVER_RELOAD_MS, e)) < 0)
			nanosleep(&tick, NULL); /* the store is away: the reload below says so, and serving goes on */
		log_fd_pauses(sv, fw);
		if (reload_flag != NULL && *reload_flag) {
			*reload_flag = 0;
			reload_conf(sv);
			force = 1; /* settings, about pages: everything is read again, until it succeeds */
		}
		if (maybe == 0 && !force && sv->fresh == NULL &&
		    (sv->builder == NULL ||
			(!builder_ready(sv->builder) && !builder_retry_due(sv->builder))))
			continue;
		if (reload(sv, force, e) != 0) {
			if (strcmp(failure, e->msg) != 0 && sv->ev->on_reload_error != NULL)
				sv->ev->on_reload_error(sv->ev->arg, e);
			snprintf(failure, sizeof(failure), "%s", e->msg);
		} else {
			failure[0] = '\0';
			force = 0;
		}
	}
}

int
server_run(struct store *s, const struct conf *c, const struct server_opts *o,
    struct server_listeners *l, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload_flag,
    const struct server_events *ev, struct err *e)
{
	static struct server sv; /* h2o keeps pointers into its config for the process lifetime */
	static const struct server_events silent = {0};
	struct worker w[SERVER_THREADS_MAX];
	struct snapshot *first;
	int changed, started = 0, configured = 0, rc = -1, stuck;
	struct fd_watch fw = {0};
	struct store *helpers[1 + SERVER_LOOKUP_THREADS] = {0};
	struct snapshot_how how = {0};

	memset(&sv, 0, sizeof(sv));
	sv.store = s;
	sv.conf = *c;
	sv.opts = o;
	sv.ev = ev != NULL ? ev : &silent;
	sv.nthreads = o->threads < 1 ? 1 : o->threads > SERVER_THREADS_MAX ? SERVER_THREADS_MAX
									  : o->threads;
	sv.started = (int64_t)time(NULL);
	if (open_helper_stores(o, helpers, e) != 0) {
		server_listeners_close(l);
		return -1;
	}
	how.defer_base = helpers[0] != NULL;
	if (helpers[0] != NULL && c->cache > 0 &&
	    (sv.cache = how.cache = ocsp_cache_new((size_t)c->cache, SERVER_CACHED_MAX, e)) ==
	        NULL) {
		close_helper_stores(helpers);
		server_listeners_close(l);
		return -1;
	}
	first = snapshot_update_ex(s, NULL, &sv.conf, o->dir, sv.started, &how, &changed, e);
	if (first == NULL) {
		ocsp_cache_free(sv.cache);
		close_helper_stores(helpers);
		server_listeners_close(l);
		return -1;
	}
	atomic_store(&sv.current, first);
	for (int i = 0; i < SERVER_THREADS_MAX; i++)
		w[i].fd = w[i].admin_fd = -1;
	raise_fd_limit(&fw.was, &fw.limit);
	/* The caller has left root already (proc/drop.h): the ports were bound before. */
	if (start_workers(&sv, w, l, e) != 0 || enter_sandbox(&sv, e) != 0 ||
	    start_helpers(&sv, helpers, e) != 0)
		goto out;
	if (how.want_base)
		builder_request(sv.builder, first->catalog, sv.started);
	setup_config(&sv.config, &sv, handle_public);
	setup_config(&sv.admin_config, &sv, handle_admin);
	configured = 1;
	/*
	 * Said before the threads start: the ports listen already (connections
	 * wait in the backlog), and a client that got an answer, /healthz in the
	 * tests, must find the line written.
	 */
	if (sv.ev->on_start != NULL) {
		struct server_started st = {.listen = o->listen, .admin = o->admin,
		    .threads = sv.nthreads, .fd_limit_was = (unsigned long long)fw.was,
		    .fd_limit = (unsigned long long)fw.limit};
		sv.ev->on_start(sv.ev->arg, &st);
	}
	for (; started < sv.nthreads; started++) {
		if (pthread_create(&w[started].tid, NULL, worker_main, &w[started]) != 0) {
			err_set(e, "cannot start a server thread");
			goto out;
		}
	}
	serve_loop(&sv, &fw, stop, reload_flag, e);
	rc = 0;
out:
	atomic_store(&sv.stopping, 1);
	for (int i = 0; i < started; i++)
		pthread_join(w[i].tid, NULL);
	for (int i = started; i < sv.nthreads; i++) { /* listeners no thread took over */
		if (w[i].fd >= 0)
			close(w[i].fd);
		if (w[i].admin_fd >= 0)
			close(w[i].admin_fd);
	}
	server_listeners_close(l); /* if start_workers() failed before taking them */
	/* After the loops: a job out comes back to its loop's port (lookup_port_dispose). */
	stuck = lookup_stop(sv.lookup) != 0;
	builder_stop(sv.builder);
	snapshot_base_free(sv.fresh);
	if (!stuck) /* a lookup thread left inside the store would fill it (lookup.h) */
		ocsp_cache_free(sv.cache); /* after the lookups, which fill it */
	close_helper_stores(helpers); /* those no thread took over */
	if (configured) {
		h2o_config_dispose(&sv.config);
		h2o_config_dispose(&sv.admin_config);
	}
	snapshot_free(atomic_load(&sv.current));
	return rc;
}
