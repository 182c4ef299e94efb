/* SPDX-License-Identifier: MIT */
/* shim.h: what the two files of the kqueue emulation share (tests only). */
#ifndef MOB_KQUEUE_SHIM_H
#define MOB_KQUEUE_SHIM_H

#include <stdint.h>
#include <sys/stat.h>

/* The socket error for `fflags` with EV_EOF: the one kept for fd's socket, or, when epoll's
 * `revents` has EPOLLERR, the one Linux hands over (and then keeps it for the socket's next
 * call). 0 when there is none. */
unsigned mob_kqshim_socket_error(int fd, uint32_t revents, const struct stat *st);

/* Nonzero when fd is a TCP socket whose send side is shut (its FIN is out). */
int mob_kqshim_tcp_send_shut(int fd);

#endif /* MOB_KQUEUE_SHIM_H */
