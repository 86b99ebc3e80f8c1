/*
 * kimctl_ctl.c - status, reload, drain: commands answered by the daemon
 * over its control socket.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ctl.h"
#include "kimctl.h"

#define KIMCTL_CTL_TIMEOUT_MS 10000

struct sock_find {
	char path[4096];
};

/* sock_line - pick ControlSocket out of a file that does not load */
static int
sock_line(const char *key, const char *value, int line, void *arg)
{
	struct sock_find *f = arg;

	if (strcasecmp(key, "ControlSocket") == 0)
		snprintf(f->path, sizeof(f->path), "%s", value);
	return 0;
}

/*
 * control_socket - where the daemon listens. A configuration with errors
 * must not keep the admin from reaching the daemon (it still runs with the
 * old one): then ControlSocket is read from the file on its own.
 */
static const char *
control_socket(struct kimctl *k, struct sock_find *f)
{
	struct buf diag = BUF_INIT;

	if (kimctl_conf(k) != NULL)
		return k->conf->control_socket;
	fprintf(stderr, "kimctl: (the running daemon keeps the configuration "
	    "it loaded before)\n");
	f->path[0] = 0;
	(void)conf_lex_file(k->conf_path, sock_line, f, &diag);
	buf_free(&diag);
	if (f->path[0] == 0) {
		struct conf *d = conf_defaults();

		snprintf(f->path, sizeof(f->path), "%s",
		    d ? d->control_socket : "/run/kim-milter/control");
		conf_unref(d);
	}
	return f->path;
}

/* ctl_call - one request; prints the body or the error */
static int
ctl_call(struct kimctl *k, const char *line, struct buf *body)
{
	struct sock_find f;
	struct buf why = BUF_INIT;
	int rc;

	rc = ctl_request(control_socket(k, &f), line, body,
	    KIMCTL_CTL_TIMEOUT_MS, &why);
	if (rc != 0)
		fprintf(stderr, "kimctl: %s: %s\n", line, buf_str(&why));
	buf_free(&why);
	return rc < 0 ? KIMCTL_EX_UNAVAILABLE : rc > 0 ? KIMCTL_EX_FAIL :
	    KIMCTL_EX_OK;
}

/* kimctl_status - print the daemon's status */
int
kimctl_status(struct kimctl *k, int argc, char **argv)
{
	struct buf body = BUF_INIT;
	int rc;

	if (argc != 1) {
		fprintf(stderr, "usage: kimctl status\n");
		return KIMCTL_EX_USAGE;
	}
	rc = ctl_call(k, "status", &body);
	if (rc == KIMCTL_EX_OK)
		fputs(buf_str(&body), stdout);
	buf_free(&body);
	return rc;
}

/* kimctl_reload - ask the daemon to reload its configuration */
int
kimctl_reload(struct kimctl *k, int argc, char **argv)
{
	struct buf body = BUF_INIT;
	int rc;

	if (argc != 1) {
		fprintf(stderr, "usage: kimctl reload\n");
		return KIMCTL_EX_USAGE;
	}
	rc = ctl_call(k, "reload", &body);
	if (rc == KIMCTL_EX_OK)
		printf("configuration reloaded\n");
	buf_free(&body);
	return rc;
}

/* kimctl_drain - tempfail new work, stop when idle; --wait for the stop */
int
kimctl_drain(struct kimctl *k, int argc, char **argv)
{
	struct buf body = BUF_INIT, why = BUF_INIT;
	int rc, wait = 0;
	unsigned waited = 0;

	if (argc == 2 && strcmp(argv[1], "--wait") == 0)
		wait = 1;
	else if (argc != 1) {
		fprintf(stderr, "usage: kimctl drain [--wait]\n");
		return KIMCTL_EX_USAGE;
	}
	rc = ctl_call(k, "drain", &body);
	if (rc == KIMCTL_EX_OK)
		fputs(buf_str(&body), stdout);
	if (rc != KIMCTL_EX_OK || !wait)
		goto out;
	if (k->conf == NULL) {
		fprintf(stderr, "kimctl: drain --wait needs a configuration "
		    "that loads\n");
		rc = KIMCTL_EX_CONFIG;
		goto out;
	}
	/* the daemon stops when idle or at DrainTimeout */
	while (waited < k->conf->drain_timeout + 30) {
		struct buf b = BUF_INIT;

		buf_reset(&why);
		if (ctl_request(k->conf->control_socket, "status", &b, 2000,
		    &why) < 0) {
			buf_free(&b);
			printf("kim-milter has stopped\n");
			goto out;
		}
		buf_free(&b);
		sleep(1);
		waited++;
	}
	fprintf(stderr, "kimctl: drain: kim-milter is still running after "
	    "DrainTimeout\n");
	rc = KIMCTL_EX_FAIL;
out:
	buf_free(&body);
	buf_free(&why);
	return rc;
}
