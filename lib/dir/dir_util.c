/*
 * dir_util.c - deadlines and secret files for lib/dir.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "dir_int.h"

/* dir_deadline - now plus ms on the monotonic clock */
void
dir_deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* dir_ms_left - time left */
long
dir_ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long)(deadline->tv_sec - now.tv_sec) * 1000L +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000L;
	return ms > 0 ? ms : 0;
}

/* dir_secret_read - a secret file, refused when others may read it */
int
dir_secret_read(const char *path, int text, struct buf *out,
    struct buf *why)
{
	unsigned char tmp[4096];
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		(void)buf_printf(why, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		(void)buf_printf(why, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & S_IRWXO) {
		(void)buf_printf(why, "%s: others may read it (mode %03o); "
		    "chmod o-rwx", path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		if (buf_append(out, tmp, (size_t)n) < 0) {
			(void)buf_puts(why, "out of memory");
			goto out;
		}
	if (n < 0) {
		(void)buf_printf(why, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (text) {
		unsigned char *nl = memchr(out->data ? out->data :
		    (unsigned char *)"", '\n', out->len);

		if (nl)
			out->len = (size_t)(nl - out->data);
		if (out->len && out->data[out->len - 1] == '\r')
			out->len--;
		if (out->data)
			out->data[out->len] = 0;
	}
	rc = 0;
out:
	OPENSSL_cleanse(tmp, sizeof(tmp));
	close(fd);
	return rc;
}
