/*
 * Unit tests for server/conns: a connection's write stall is timed from the
 * client's last acknowledged byte (TCP_INFO), not from the last write h2o
 * handed the socket.  Each test runs one h2o event loop over a real TCP
 * connection on loopback whose client's receive window is small and whose
 * reading the test controls exactly; the server side keeps writing small
 * pieces (the kernel takes them: a large send buffer), as a loop short of
 * CPU filled the buffers of stalled clients a slice at a time for tens of
 * seconds (commit 5cb150b).  A response body in flight is registered as
 * server/body.c registers one, through a request whose connection names the
 * socket.  The old sweep took each write as progress and never cut such a
 * connection: test_stall_counts_acked_bytes fails with it every time (no
 * timing is involved: a write precedes every sweep), where crl_memory.sh
 * caught it only under load.  test_close_quiet: the admin drain's closing
 * of quiet connections only.
 */
#include "testutil.h"
#include "server/conns.h"
#include "server/tcpstat.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#define WRITE_TIMEOUT_MS 1000
#define PIECE 512        /* bytes the server writes each turn of the loop */
#define TURN_MS 20       /* the loop's longest wait a turn */
#define RUN_MS 5000      /* of the loop's time: the longest a test runs */
#define CLIENT_RCVBUF 4096

struct pair {
	int client, server;
};

/* A connected TCP pair on loopback: the client's receive buffer small, the server's send large. */
static struct pair
pair_open(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int l, rcv = CLIENT_RCVBUF, snd = 1 << 20, on = 1;
	struct pair p;

	assert_true((l = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
	assert_true((p.client = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	/* Before connect: the window it offers is set by the buffer at the handshake. */
	assert_int_equal(setsockopt(p.client, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)), 0);
	assert_int_equal(connect(p.client, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_true((p.server = accept(l, NULL, NULL)) >= 0);
	close(l);
	assert_int_equal(setsockopt(p.server, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd)), 0);
	assert_int_equal(setsockopt(p.server, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)), 0);
	assert_int_equal(fcntl(p.server, F_SETFL, fcntl(p.server, F_GETFL) | O_NONBLOCK), 0);
	assert_int_equal(fcntl(p.client, F_SETFL, fcntl(p.client, F_GETFL) | O_NONBLOCK), 0);
	return p;
}

/* The request of a body in flight, on a connection whose socket is sock (entry_of). */
static h2o_socket_t *the_sock;

static h2o_socket_t *
get_socket(h2o_conn_t *conn)
{
	(void)conn;
	return the_sock;
}

static const h2o_conn_callbacks_t conn_callbacks = {.get_socket = get_socket};

struct run {
	int writing, write_errors;
	uint64_t cut_ms;        /* the loop's time when the cut was seen, 0 none */
	uint64_t last_ack_ms;   /* when the client last acknowledged a byte (TCP_INFO) */
	uint64_t start_ms;
	int64_t acked;
	size_t read;            /* bytes the client read */
};

static void
on_written(h2o_socket_t *sock, const char *err)
{
	struct run *r = sock->data;

	r->writing = 0;
	r->write_errors += err != NULL;
}

/*
 * Serve one connection for RUN_MS of the loop's time (or until it is cut):
 * a piece written each turn the last one is done, and the client reading
 * read_per_turn bytes a turn (0: never).
 */
static struct run
serve(size_t read_per_turn)
{
	static char piece[PIECE], sink[CLIENT_RCVBUF * 4];
	h2o_evloop_t *loop = h2o_evloop_create();
	struct pair p = pair_open();
	atomic_ulong stalled = 0;
	struct conns cs;
	struct conns_body body;
	h2o_conn_t conn = {.callbacks = &conn_callbacks};
	h2o_req_t req = {.conn = &conn};
	struct run r = {0};
	h2o_iovec_t buf = h2o_iovec_init(piece, sizeof(piece));

	conns_init(&cs, loop, &stalled);
	cs.write_timeout_ms = WRITE_TIMEOUT_MS;
	the_sock = h2o_evloop_socket_create(loop, p.server, H2O_SOCKET_FLAG_DONT_READ);
	the_sock->data = &r;
	assert_int_equal(conns_add(&cs, the_sock, NULL, 0), 0);
	memset(&body, 0, sizeof(body));
	body.req = &req;
	conns_body_start(&cs, &body); /* it owes a body: watched while no write is pending */
	h2o_evloop_run(loop, 0);
	r.start_ms = r.last_ack_ms = h2o_now(loop);
	r.acked = tcpstat_acked(p.server);
	assert_true(r.acked >= 0); /* the kernel says: only its count is progress */
	while (h2o_now(loop) - r.start_ms < RUN_MS && stalled == 0) {
		int64_t acked;
		/* A write before each turn: every sweep sees one since the last. */
		if (!r.writing) {
			r.writing = 1;
			h2o_socket_write(the_sock, &buf, 1, on_written);
		}
		h2o_evloop_run(loop, TURN_MS);
		for (size_t want = read_per_turn; want > 0;) {
			ssize_t n = read(p.client, sink, want < sizeof(sink) ? want : sizeof(sink));
			if (n <= 0)
				break;
			r.read += (size_t)n;
			want -= (size_t)n;
		}
		if ((acked = tcpstat_acked(p.server)) != r.acked) {
			r.acked = acked;
			r.last_ack_ms = h2o_now(loop);
		}
	}
	if (stalled > 0)
		r.cut_ms = h2o_now(loop);
	conns_body_done(&body);
	h2o_socket_close(the_sock);
	h2o_evloop_run(loop, 0);
	conns_dispose(&cs);
	h2o_evloop_destroy(loop);
	close(p.client);
	return r;
}

/*
 * A client that stops reading while the server still hands the socket
 * writes the kernel takes: cut write_timeout after its last acknowledged
 * byte (and a sweep), never before.  The old sweep took those writes as
 * progress: no cut within RUN_MS, every time.
 */
static void
test_stall_counts_acked_bytes(void **state)
{
	struct run r;

	(void)state;
	r = serve(0);
	assert_true(r.cut_ms > 0);
	assert_true(r.cut_ms - r.last_ack_ms >= WRITE_TIMEOUT_MS);
	assert_true(r.cut_ms - r.start_ms < RUN_MS);
}

/* A slow client that keeps reading is never cut, however long it takes. */
static void
test_reader_is_not_cut(void **state)
{
	struct run r;

	(void)state;
	r = serve(4 * PIECE);
	assert_int_equal(r.cut_ms, 0);
	assert_int_equal(r.write_errors, 0);
	assert_true(r.read > 0);
}

/* 1 if the server side of p was shut down for reading (a read sees EOF at once), else 0. */
static int
shut_rd(const struct pair *p)
{
	char c;
	ssize_t n = recv(p->server, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	return n == 0;
}

/*
 * conns_close_quiet (the admin API's drain): a connection is closed once
 * quiet, never while a request may be arriving on it, an answer is held for
 * it, or it is new and has read nothing yet.  Each case on a fresh pair:
 * the socket's bytes_read (h2o's count above TLS) stands in for a client's
 * bytes.
 */
static void
test_close_quiet(void **state)
{
	h2o_evloop_t *loop = h2o_evloop_create();
	h2o_conn_t conn = {.callbacks = &conn_callbacks};
	h2o_req_t req = {.conn = &conn};
	struct conns cs;
	struct pair p;

	(void)state;
	conns_init(&cs, loop, NULL);
	for (int c = 0; c < 5; c++) {
		p = pair_open();
		the_sock = h2o_evloop_socket_create(loop, p.server, H2O_SOCKET_FLAG_DONT_READ);
		assert_int_equal(conns_add(&cs, the_sock, NULL, 0), 0);
		switch (c) {
		case 0: /* new, nothing read: left within the grace, closed after it */
			conns_close_quiet(&cs, 60000);
			assert_int_equal(shut_rd(&p), 0);
			conns_close_quiet(&cs, 0);
			assert_int_equal(shut_rd(&p), 1);
			break;
		case 1: /* no request yet, some bytes read (a request arriving): left */
			the_sock->bytes_read = 10;
			conns_close_quiet(&cs, 0);
			assert_int_equal(shut_rd(&p), 0);
			break;
		case 2: /* a request handed over, more bytes since (the next one coming): left */
			the_sock->bytes_read = 100;
			conns_request_seen(&req);
			the_sock->bytes_read = 150;
			conns_close_quiet(&cs, 0);
			assert_int_equal(shut_rd(&p), 0);
			break;
		case 3: /* a request handed over, nothing since: quiet, closed */
			the_sock->bytes_read = 100;
			conns_request_seen(&req);
			conns_close_quiet(&cs, 0);
			assert_int_equal(shut_rd(&p), 1);
			break;
		case 4: /* kept (an answer held): left once, closed by the next call */
			the_sock->bytes_read = 100;
			conns_request_seen(&req);
			conns_keep(&req);
			conns_close_quiet(&cs, 0);
			assert_int_equal(shut_rd(&p), 0);
			conns_close_quiet(&cs, 0);
			assert_int_equal(shut_rd(&p), 1);
			break;
		}
		h2o_socket_close(the_sock);
		h2o_evloop_run(loop, 0);
		close(p.client);
	}
	assert_int_equal(cs.n, 0);
	conns_dispose(&cs);
	h2o_evloop_destroy(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stall_counts_acked_bytes),
	    cmocka_unit_test(test_reader_is_not_cut),
	    cmocka_unit_test(test_close_quiet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
