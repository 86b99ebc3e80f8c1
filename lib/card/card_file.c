/*
 * card_file.c - reading key, certificate and pass files for the backends,
 * with the permission check (like OpenDKIM: a key that others can read is
 * refused, and the message says what to run).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "card.h"
#include "card_int.h"

#define CARD_FILE_MAX (1024 * 1024)

/* card_file_slurp - read an open descriptor to its end into out */
static int
card_file_slurp(int fd, const char *path, struct buf *out, struct buf *why)
{
	ssize_t n;

	for (;;) {
		if (out->len > CARD_FILE_MAX) {
			if (why)
				(void)buf_printf(why, "%s: larger than %d bytes",
				    path, CARD_FILE_MAX);
			return CARD_E_CONFIG;
		}
		if (buf_reserve(out, 4096) < 0)
			return CARD_E_INTERNAL;
		n = read(fd, out->data + out->len, 4096);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (why)
				(void)buf_printf(why, "%s: %s", path,
				    strerror(errno));
			return CARD_E_CONFIG;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->data[out->len] = 0;
	}
	return CARD_OK;
}

/* card_file_open - open a regular file for reading; fstat into st */
static int
card_file_open(const char *path, struct stat *st, struct buf *why)
{
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (why)
			(void)buf_printf(why, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		if (why)
			(void)buf_printf(why, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* card_file_read_secret - read a secret file, refusing unsafe modes */
int
card_file_read_secret(const char *path, int require_safe, struct buf *out,
    struct buf *why)
{
	struct stat st;
	int fd, rc;

	if ((fd = card_file_open(path, &st, why)) < 0)
		return CARD_E_CONFIG;
	/* checked on the open descriptor: no window for a swap */
	if (require_safe && (st.st_mode & (S_IRWXG | S_IRWXO))) {
		if (why)
			(void)buf_printf(why,
			    "%s: group or others may access this secret file "
			    "(mode %04o); run: chmod 600 %s", path,
			    (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return CARD_E_CONFIG;
	}
	rc = card_file_slurp(fd, path, out, why);
	close(fd);
	return rc;
}

/* card_file_read - read a public file */
int
card_file_read(const char *path, struct buf *out, struct buf *why)
{
	struct stat st;
	int fd, rc;

	if ((fd = card_file_open(path, &st, why)) < 0)
		return CARD_E_CONFIG;
	rc = card_file_slurp(fd, path, out, why);
	close(fd);
	return rc;
}

/*
 * card_file_read_pin - read a PIN file: owned by us with mode 0600, or by
 * root with group read only (0640: root:milter-group). Anything else is
 * refused with the command to run.
 */
int
card_file_read_pin(const char *path, struct buf *out, struct buf *why)
{
	struct stat st;
	int fd, rc;

	if ((fd = card_file_open(path, &st, why)) < 0)
		return CARD_E_CONFIG;
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		if (why)
			(void)buf_printf(why, "%s: PIN file owned by uid %u; "
			    "run: chown %u %s", path, (unsigned)st.st_uid,
			    (unsigned)geteuid(), path);
		close(fd);
		return CARD_E_CONFIG;
	}
	if ((st.st_mode & 077) != 0 &&
	    !(st.st_uid == 0 && (st.st_mode & 077) == 040)) {
		if (why)
			(void)buf_printf(why, "%s: PIN file mode %04o lets "
			    "others read it; run: chmod %s %s", path,
			    (unsigned)(st.st_mode & 07777),
			    st.st_uid == 0 && (st.st_mode & 040) ? "640" : "600",
			    path);
		close(fd);
		return CARD_E_CONFIG;
	}
	rc = card_file_slurp(fd, path, out, why);
	close(fd);
	return rc;
}
