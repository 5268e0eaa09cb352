/*
 * tcpstat.h - what the kernel knows of a TCP connection's progress (not for
 * use outside src/server/).
 *
 * Apart from conns.c because <linux/tcp.h>, the only header with today's
 * struct tcp_info, clashes with glibc's <netinet/tcp.h> that h2o pulls in.
 */
#ifndef LANCRE_SERVER_TCPSTAT_H
#define LANCRE_SERVER_TCPSTAT_H

#include <stdint.h>

/*
 * Bytes of fd's stream the peer has acknowledged so far (TCP_INFO
 * tcpi_bytes_acked, Linux 4.1), or -1 when the kernel cannot say (not TCP,
 * an older kernel).
 */
int64_t tcpstat_acked(int fd);

#endif
