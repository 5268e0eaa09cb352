/*
 * conns.c - the connection set of one event loop; see conns.h.
 */
#include "server/conns.h"

#include <stdlib.h>
#include <sys/socket.h>

struct conn_entry {
	h2o_linklist_t link;
	h2o_socket_t *sock;
	struct conns *set;
	atomic_long *counter;
};

void
conns_init(struct conns *cs)
{
	h2o_linklist_init_anchor(&cs->open);
	cs->n = 0;
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
conns_add(struct conns *cs, h2o_socket_t *sock, atomic_long *counter)
{
	struct conn_entry *c = malloc(sizeof(*c));

	if (c == NULL)
		return -1;
	*c = (struct conn_entry){.sock = sock, .set = cs, .counter = counter};
	h2o_linklist_insert(&cs->open, &c->link);
	cs->n++;
	sock->on_close.cb = on_close;
	sock->on_close.data = c;
	return 0;
}

/* shutdown() rather than h2o_socket_close(): the socket belongs to h2o's connection object. */
static void
shut(struct conns *cs, int how, int idle_only)
{
	for (h2o_linklist_t *l = cs->open.next; l != &cs->open; l = l->next) {
		struct conn_entry *c = H2O_STRUCT_FROM_MEMBER(struct conn_entry, link, l);
		if (!idle_only || !h2o_socket_is_writing(c->sock))
			shutdown(h2o_socket_get_fd(c->sock), how);
	}
}

void
conns_close_idle(struct conns *cs)
{
	shut(cs, SHUT_RD, 1);
}

void
conns_close_all(struct conns *cs)
{
	shut(cs, SHUT_RDWR, 0);
}
