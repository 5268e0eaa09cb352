/*
 * conns.c - the connection set of one event loop; see conns.h.
 */
#include "server/conns.h"

#include <stdlib.h>
#include <sys/socket.h>

#include "server/tcpstat.h"

struct conn_entry {
	h2o_linklist_t link;
	h2o_socket_t *sock;
	struct conns *set;
	atomic_long *counter;
	int64_t acked;     /* bytes the client acknowledged, when last seen (tcpstat.h) */
	size_t written;    /* sock->bytes_written, when last seen */
	uint64_t quiet_ms; /* since when it has owed the client bytes and they took none */
	uint64_t added_ms; /* accepted */
	unsigned mark;     /* the owner's (conns_add, conns_mark_of_req) */
	size_t read_at_req; /* sock->bytes_read when its last request was handed over */
	unsigned busy : 1; /* owes a response body (mark_busy) */
	unsigned cut : 1;  /* shut down for a stall (counted once) */
	unsigned had_req : 1; /* a request was handed over (conns_request_seen) */
	unsigned keep : 1;    /* conns_keep: left by the next conns_close_quiet */
};

static void sweep(h2o_timeout_entry_t *te);

void
conns_init(struct conns *cs, h2o_evloop_t *loop, atomic_ulong *stalled)
{
	*cs = (struct conns){.loop = loop, .stalled = stalled};
	h2o_linklist_init_anchor(&cs->open);
	h2o_linklist_init_anchor(&cs->bodies);
	h2o_timeout_init(loop, &cs->sweep, CONNS_SWEEP_MS);
	cs->sweep_entry.cb = sweep;
	h2o_timeout_link(loop, &cs->sweep, &cs->sweep_entry);
}

void
conns_dispose(struct conns *cs)
{
	if (h2o_timeout_is_linked(&cs->sweep_entry))
		h2o_timeout_unlink(&cs->sweep_entry);
	h2o_timeout_dispose(cs->loop, &cs->sweep);
}

static void
on_close(void *data)
{
	struct conn_entry *c = data;

	if (c->counter != NULL)
		atomic_fetch_sub_explicit(c->counter, 1, memory_order_relaxed);
	h2o_linklist_unlink(&c->link);
	c->set->n--;
	free(c);
}

int
conns_add(struct conns *cs, h2o_socket_t *sock, atomic_long *counter, unsigned mark)
{
	struct conn_entry *c = malloc(sizeof(*c));

	if (c == NULL)
		return -1;
	*c = (struct conn_entry){.sock = sock, .set = cs, .counter = counter, .mark = mark,
	    .acked = -1, .quiet_ms = h2o_now(cs->loop), .added_ms = h2o_now(cs->loop)};
	h2o_linklist_insert(&cs->open, &c->link);
	cs->n++;
	sock->on_close.cb = on_close;
	sock->on_close.data = c;
	return 0;
}

/* The entry of the connection that req arrived on, or NULL (not one of ours). */
static struct conn_entry *
entry_of(h2o_req_t *req)
{
	h2o_socket_t *sock = req->conn->callbacks->get_socket != NULL
				 ? req->conn->callbacks->get_socket(req->conn)
				 : NULL;

	return sock != NULL && sock->on_close.cb == on_close ? sock->on_close.data : NULL;
}

unsigned *
conns_mark_of_req(h2o_req_t *req)
{
	struct conn_entry *c = entry_of(req);

	return c != NULL ? &c->mark : NULL;
}

/* The list is in accept order (conns_add appends): the first match is the oldest. */
int
conns_cut_oldest(struct conns *cs, unsigned skip, unsigned set, uint64_t min_age_ms)
{
	uint64_t now = h2o_now(cs->loop);

	for (h2o_linklist_t *l = cs->open.next; l != &cs->open; l = l->next) {
		struct conn_entry *c = H2O_STRUCT_FROM_MEMBER(struct conn_entry, link, l);
		if (now - c->added_ms < min_age_ms)
			return 0; /* the rest are younger still */
		if ((c->mark & skip) != 0)
			continue;
		c->mark |= set;
		shutdown(h2o_socket_get_fd(c->sock), SHUT_RDWR);
		return 1;
	}
	return 0;
}

void
conns_request_seen(h2o_req_t *req)
{
	struct conn_entry *c = entry_of(req);

	if (c != NULL) {
		c->read_at_req = c->sock->bytes_read;
		c->had_req = 1;
	}
}

void
conns_keep(h2o_req_t *req)
{
	struct conn_entry *c = entry_of(req);

	if (c != NULL)
		c->keep = 1;
}

void
conns_body_start(struct conns *cs, struct conns_body *b)
{
	h2o_linklist_insert(&cs->bodies, &b->link);
}

void
conns_body_done(struct conns_body *b)
{
	if (h2o_linklist_is_linked(&b->link))
		h2o_linklist_unlink(&b->link);
}

/*
 * shutdown() rather than h2o_socket_close(): the socket belongs to h2o's
 * connection object, which sees the error or EOF and closes through its own
 * path (HTTP/2 streams and their bodies freed).
 */
static void
cut(struct conns *cs, struct conn_entry *c)
{
	shutdown(h2o_socket_get_fd(c->sock), SHUT_RDWR);
	if (!c->cut && cs->stalled != NULL)
		atomic_fetch_add_explicit(cs->stalled, 1, memory_order_relaxed);
	c->cut = 1;
}

/* Mark the connections that owe a response body (busy); the others are cleared. */
static void
mark_busy(struct conns *cs)
{
	for (h2o_linklist_t *l = cs->open.next; l != &cs->open; l = l->next)
		H2O_STRUCT_FROM_MEMBER(struct conn_entry, link, l)->busy = 0;
	for (h2o_linklist_t *l = cs->bodies.next; l != &cs->bodies; l = l->next) {
		struct conn_entry *c =
		    entry_of(H2O_STRUCT_FROM_MEMBER(struct conns_body, link, l)->req);
		if (c != NULL)
			c->busy = 1;
	}
}

/*
 * A connection owes the client bytes while h2o has a write pending or a body
 * is in flight (an HTTP/2 stream waiting for window has no write pending).
 * Progress is the client acknowledging bytes (the kernel's count, so a slow
 * reader of one big write is not taken for a stalled one), or h2o handing the
 * socket a new write ONLY where the kernel cannot say.  A write the kernel
 * took is no sign of the client: a loopback socket's send buffer grows to
 * tcp_wmem's 4 MB, and a loop short of CPU fills the buffers of hundreds of
 * stalled connections a slice at a time for tens of seconds; counting those
 * writes as progress kept such connections (crl_memory.sh's HTTP/2 clients,
 * at load 10+) open for 25 s past the client's last byte instead of
 * write_timeout.
 */
static void
sweep(h2o_timeout_entry_t *te)
{
	struct conns *cs = H2O_STRUCT_FROM_MEMBER(struct conns, sweep_entry, te);
	uint64_t now = h2o_now(cs->loop);

	if (cs->write_timeout_ms > 0) {
		mark_busy(cs);
		for (h2o_linklist_t *l = cs->open.next; l != &cs->open; l = l->next) {
			struct conn_entry *c = H2O_STRUCT_FROM_MEMBER(struct conn_entry, link, l);
			int64_t acked;
			if (!h2o_socket_is_writing(c->sock) && !c->busy) {
				c->acked = -1;
				c->quiet_ms = now;
				continue;
			}
			acked = tcpstat_acked(h2o_socket_get_fd(c->sock));
			if (acked >= 0 ? acked != c->acked : c->sock->bytes_written != c->written) {
				c->acked = acked;
				c->written = c->sock->bytes_written;
				c->quiet_ms = now;
			} else if (now - c->quiet_ms >= cs->write_timeout_ms) {
				cut(cs, c);
			}
		}
	}
	h2o_timeout_link(cs->loop, &cs->sweep, &cs->sweep_entry);
}

static void
shut(struct conns *cs, int how, int idle_only)
{
	for (h2o_linklist_t *l = cs->open.next; l != &cs->open; l = l->next) {
		struct conn_entry *c = H2O_STRUCT_FROM_MEMBER(struct conn_entry, link, l);
		if (!idle_only || (!h2o_socket_is_writing(c->sock) && !c->busy))
			shutdown(h2o_socket_get_fd(c->sock), how);
	}
}

/*
 * A connection owing a body may be between two writes (an HTTP/2 stream
 * waiting for window): it is not idle, whatever its socket says.
 */
void
conns_close_idle(struct conns *cs)
{
	mark_busy(cs);
	shut(cs, SHUT_RD, 1);
}

void
conns_close_quiet(struct conns *cs, uint64_t grace_ms)
{
	uint64_t now = h2o_now(cs->loop);

	mark_busy(cs);
	for (h2o_linklist_t *l = cs->open.next; l != &cs->open; l = l->next) {
		struct conn_entry *c = H2O_STRUCT_FROM_MEMBER(struct conn_entry, link, l);
		int quiet = !h2o_socket_is_writing(c->sock) && !c->busy && !c->keep &&
			    (c->had_req ? c->sock->bytes_read == c->read_at_req
					: c->sock->bytes_read == 0 && now - c->added_ms >= grace_ms);
		c->keep = 0;
		if (quiet)
			shutdown(h2o_socket_get_fd(c->sock), SHUT_RD);
	}
}

void
conns_close_all(struct conns *cs)
{
	shut(cs, SHUT_RDWR, 0);
}

/*
 * The first GOAWAY is written at once; the timer would send the second one
 * and switch each connection to closing after its last stream.  Unlinked
 * with its callback left set, it is never started again (h2o starts it once).
 */
void
conns_request_shutdown(h2o_context_t *ctx)
{
	h2o_context_request_shutdown(ctx);
	if (h2o_timeout_is_linked(&ctx->http2._graceful_shutdown_timeout))
		h2o_timeout_unlink(&ctx->http2._graceful_shutdown_timeout);
}
