/*
 * milter_sock.c - socket options for the connections from Postfix.
 *
 * libmilter accepts the MTA's connections itself and offers no hook for
 * their options. Over TCP, a milter conversation is a chain of small
 * request/reply packets; with Nagle's algorithm on, a reply written in two
 * parts waits for the peer's delayed ACK (40 ms on Linux) and normal mail
 * slows down by a third (measured: bench/bench_mta.sh); the same happens
 * the other way round when Postfix sends macros and a command in two
 * writes and our side delays its ACK. This file provides accept() and read()
 * for the program: libmilter's calls resolve to them. accept() turns Nagle
 * off on TCP connections and marks them; read() on a marked descriptor
 * re-arms TCP_QUICKACK first (Linux clears it after each ACK). Other
 * descriptors are read as they always are.
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SOCK_MARK_MAX 65536

int accept(int fd, struct sockaddr *addr, socklen_t *len);
ssize_t read(int fd, void *buf, size_t count);

/* one bit per descriptor: a TCP connection from the MTA */
static unsigned char sock_mark[SOCK_MARK_MAX / 8];

/* sock_marked - is fd a TCP connection accepted here? */
static int
sock_marked(int fd)
{
	return fd >= 0 && fd < SOCK_MARK_MAX &&
	    (__atomic_load_n(&sock_mark[fd / 8], __ATOMIC_RELAXED) &
	    (1u << (fd % 8)));
}

/* sock_set_mark - mark or unmark a descriptor */
static void
sock_set_mark(int fd, int on)
{
	if (fd < 0 || fd >= SOCK_MARK_MAX)
		return;
	if (on)
		__atomic_or_fetch(&sock_mark[fd / 8],
		    (unsigned char)(1u << (fd % 8)), __ATOMIC_RELAXED);
	else
		__atomic_and_fetch(&sock_mark[fd / 8],
		    (unsigned char)~(1u << (fd % 8)), __ATOMIC_RELAXED);
}

/* read - the plain system call, with a quick ACK on marked sockets */
ssize_t
read(int fd, void *buf, size_t count)
{
	if (sock_marked(fd)) {
		int on = 1;

		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on,
		    sizeof(on));
	}
	return syscall(SYS_read, fd, buf, count);
}

/* accept - libmilter's accept, with TCP_NODELAY on TCP connections */
int
accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int cfd, on = 1;

	cfd = accept4(fd, addr, len, 0);
	if (cfd < 0)
		return cfd;
	if (getsockname(cfd, (struct sockaddr *)&ss, &sl) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) {
		(void)setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on));
		sock_set_mark(cfd, 1);
	} else {
		sock_set_mark(cfd, 0);
	}
	return cfd;
}
