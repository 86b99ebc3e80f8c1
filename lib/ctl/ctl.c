/*
 * ctl.c - the control protocol over a unix stream socket.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "msg.h"

/* ctl_addr - fill a sockaddr_un; -1 when the path is too long */
static int
ctl_addr(const char *path, struct sockaddr_un *sun, struct buf *why)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		buf_printf(why, "control socket path too long (max %zu): %s",
		    sizeof(sun->sun_path) - 1, path);
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

/* ctl_listen - create the owner-only socket */
int
ctl_listen(const char *path, uid_t uid, gid_t gid, struct buf *why)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd = -1;

	if (ctl_addr(path, &sun, why) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		buf_printf(why, "socket: %s", strerror(errno));
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		buf_printf(why, "cannot remove stale %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		umask(old);
		buf_printf(why, "bind %s: %s (does its directory exist?)",
		    path, strerror(errno));
		goto fail;
	}
	umask(old);
	if (uid != (uid_t)-1 && chown(path, uid, gid) < 0) {
		buf_printf(why, "chown %s: %s", path, strerror(errno));
		goto fail;
	}
	if (listen(fd, 16) < 0) {
		buf_printf(why, "listen %s: %s", path, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* read_line - read up to LF within timeout; -1 on error or overflow */
static int
read_line(int fd, char *line, size_t size, int timeout_ms)
{
	size_t n = 0;

	while (n + 1 < size) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t r;

		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		r = read(fd, line + n, 1);
		if (r <= 0)
			return n ? (line[n] = 0, 0) : -1;
		if (line[n] == '\n') {
			line[n] = 0;
			if (n && line[n - 1] == '\r')
				line[n - 1] = 0;
			return 0;
		}
		n++;
	}
	return -1;
}

/* write_all - write everything or fail */
static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* ctl_answer - serve one client */
static void
ctl_answer(int cfd, ctl_handler_fn fn, void *arg, int timeout_ms)
{
	char line[CTL_LINE_MAX + 1];
	struct buf out = BUF_INIT, err = BUF_INIT, head = BUF_INIT;
	char *args;

	if (read_line(cfd, line, sizeof(line), timeout_ms) < 0) {
		(void)write_all(cfd, "ERR request line missing or too long\n",
		    37);
		return;
	}
	args = line + strcspn(line, " \t");
	if (*args)
		*args++ = 0;
	while (*args == ' ' || *args == '\t')
		args++;
	if (fn(line, args, &out, &err, arg) == 0)
		buf_puts(&head, "OK\n");
	else
		buf_printf(&head, "ERR %s\n",
		    err.len ? buf_str(&err) : "failed");
	if (write_all(cfd, head.data, head.len) == 0 && out.len)
		(void)write_all(cfd, out.data, out.len);
	buf_free(&out);
	buf_free(&err);
	buf_free(&head);
}

/* ctl_serve - accept loop */
void
ctl_serve(int fd, ctl_handler_fn fn, void *arg, int timeout_ms)
{
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EBADF || errno == EINVAL)
				return;	/* closed by ctl_stop */
			msg_warn("control socket: accept: %s", strerror(errno));
			usleep(100000);
			continue;
		}
		ctl_answer(cfd, fn, arg, timeout_ms);
		close(cfd);
	}
}

/* ctl_stop - wake ctl_serve */
void
ctl_stop(int fd)
{
	shutdown(fd, SHUT_RDWR);
	close(fd);
}

/* ctl_request - one request, whole answer */
int
ctl_request(const char *path, const char *line, struct buf *reply,
    int timeout_ms, struct buf *why)
{
	struct sockaddr_un sun;
	char chunk[4096];
	struct buf all = BUF_INIT;
	char *nl;
	int fd, rc = -1;

	if (ctl_addr(path, &sun, why) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		buf_printf(why, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		buf_printf(why, "cannot reach kim-milter at %s: %s "
		    "(is it running? is ControlSocket the same in the "
		    "configuration kimctl reads?)", path, strerror(errno));
		goto out;
	}
	if (write_all(fd, line, strlen(line)) < 0 || write_all(fd, "\n", 1) < 0) {
		buf_printf(why, "write to %s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t r;

		if (poll(&p, 1, timeout_ms) <= 0) {
			buf_printf(why, "no answer from kim-milter within %d ms",
			    timeout_ms);
			goto out;
		}
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			buf_printf(why, "read from %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if (buf_append(&all, chunk, (size_t)r) < 0) {
			buf_puts(why, "out of memory");
			goto out;
		}
	}
	nl = memchr(all.data ? (char *)all.data : "", '\n', all.len);
	if (nl == NULL) {
		buf_puts(why, "truncated answer from kim-milter");
		goto out;
	}
	*nl = 0;
	if (strcmp((char *)all.data, "OK") == 0) {
		rc = 0;
	} else {
		rc = 1;
		buf_puts(why, strncmp((char *)all.data, "ERR ", 4) == 0 ?
		    (char *)all.data + 4 : (char *)all.data);
	}
	if (buf_append(reply, nl + 1, all.len - (size_t)(nl + 1 - (char *)all.data)) < 0) {
		buf_puts(why, "out of memory");
		rc = -1;
	}
out:
	buf_free(&all);
	close(fd);
	return rc;
}
