/*
 * kimctl_postconf.c - read Postfix's effective configuration by running
 * postconf, ask tables with postmap -q, and ask trivial-rewrite how an
 * address resolves (its `private/rewrite` socket, Postfix's attribute
 * protocol in the null-terminated form: name NUL value NUL ... NUL).
 * Nothing here parses main.cf or master.cf itself: Postfix's own view is
 * the one that routes mail.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kimctl_postconf.h"

#ifndef PATH_POSTCONF
#define PATH_POSTCONF "postconf"
#endif
#ifndef PATH_POSTMAP
#define PATH_POSTMAP "postmap"
#endif

/* run - argv's stdout into out (stderr passes through); the exit status,
 * or -1 when it could not run */
static int
run(char *const argv[], struct buf *out)
{
	int fds[2], status = -1;
	pid_t pid;
	char chunk[4096];
	ssize_t n;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		if (devnull >= 0)
			(void)dup2(devnull, 0);
		(void)dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		/* /usr/sbin is not on every root PATH, never on users' */
		execvp(argv[0], argv);
		{
			char path[256];

			snprintf(path, sizeof(path), "/usr/sbin/%s", argv[0]);
			execv(path, argv);
		}
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (buf_append(out, chunk, (size_t)n) < 0)
			break;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status))
		return WEXITSTATUS(status) == 127 ? -1 : WEXITSTATUS(status);
	return -1;
}

/* run_postconf - postconf [-c DIR] ARGS... */
static int
run_postconf(const struct pc *pc, const char *a1, const char *a2,
    struct buf *out)
{
	char *argv[8];
	int n = 0;

	argv[n++] = (char *)PATH_POSTCONF;
	if (pc->confdir) {
		argv[n++] = (char *)"-c";
		argv[n++] = (char *)pc->confdir;
	}
	if (a1)
		argv[n++] = (char *)a1;
	if (a2)
		argv[n++] = (char *)a2;
	argv[n] = NULL;
	return run(argv, out);
}

/* trim - strip blanks at both ends, in place */
static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* kv_add - append name = value */
static int
kv_add(struct pc_kv **v, size_t *n, const char *name, const char *value)
{
	struct pc_kv *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (nv == NULL)
		return -1;
	*v = nv;
	nv[*n].name = strdup(name);
	nv[*n].value = strdup(value);
	if (nv[*n].name == NULL || nv[*n].value == NULL) {
		free(nv[*n].name);
		free(nv[*n].value);
		return -1;
	}
	(*n)++;
	return 0;
}

/* parse_kv - "name = value" lines */
static int
parse_kv(char *text, struct pc_kv **v, size_t *n)
{
	char *line, *save = NULL, *eq;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((eq = strstr(line, " = ")) != NULL) {
			*eq = 0;
			if (kv_add(v, n, trim(line), trim(eq + 3)) < 0)
				return -1;
		} else if (line[strlen(line) - 1] == '=' ||
		    (strlen(line) > 2 && strcmp(line + strlen(line) - 2,
		    " =") == 0)) {
			/* "name =": an empty value */
			line[strlen(line) - 1] = 0;
			if (kv_add(v, n, trim(line), "") < 0)
				return -1;
		}
	}
	return 0;
}

/* parse_services - postconf -M: name type private unpriv chroot wakeup
 * maxproc command args... */
static int
parse_services(struct pc *pc, char *text)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *f[8], *s2 = NULL, *w;
		struct pc_svc *nv;
		int i = 0;

		for (w = strtok_r(line, " \t", &s2); w != NULL && i < 8;
		    w = strtok_r(NULL, " \t", &s2))
			f[i++] = w;
		if (i < 8)
			continue;
		nv = realloc(pc->svcs, (pc->nsvcs + 1) * sizeof(*nv));
		if (nv == NULL)
			return -1;
		pc->svcs = nv;
		memset(&nv[pc->nsvcs], 0, sizeof(nv[0]));
		nv[pc->nsvcs].name = strdup(f[0]);
		nv[pc->nsvcs].type = strdup(f[1]);
		nv[pc->nsvcs].command = strdup(f[7]);
		pc->nsvcs++;
		if (nv[pc->nsvcs - 1].name == NULL ||
		    nv[pc->nsvcs - 1].type == NULL ||
		    nv[pc->nsvcs - 1].command == NULL)
			return -1;
	}
	return 0;
}

/* parse_params - postconf -P: service/type/name = value */
static int
parse_params(struct pc *pc, char *text)
{
	struct pc_kv *kv = NULL;
	size_t nkv = 0, i, j;
	int rc = -1;

	if (parse_kv(text, &kv, &nkv) < 0)
		goto out;
	for (i = 0; i < nkv; i++) {
		char *t = strchr(kv[i].name, '/'), *p;

		if (t == NULL || (p = strchr(t + 1, '/')) == NULL)
			continue;
		*t = 0;
		*p = 0;
		for (j = 0; j < pc->nsvcs; j++)
			if (strcmp(pc->svcs[j].name, kv[i].name) == 0 &&
			    strcmp(pc->svcs[j].type, t + 1) == 0)
				break;
		if (j < pc->nsvcs && kv_add(&pc->svcs[j].params,
		    &pc->svcs[j].nparams, p + 1, kv[i].value) < 0)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < nkv; i++) {
		free(kv[i].name);
		free(kv[i].value);
	}
	free(kv);
	return rc;
}

/* pc_load - the four postconf calls */
int
pc_load(struct pc *pc, const char *confdir, struct buf *err)
{
	struct buf out = BUF_INIT;
	int rc = -1, st;

	memset(pc, 0, sizeof(*pc));
	pc->confdir = confdir;
	if ((st = run_postconf(pc, "-x", NULL, &out)) != 0) {
		(void)buf_printf(err, "postconf%s%s -x %s", confdir ? " -c " :
		    "", confdir ? confdir : "", st < 0 ? "could not run "
		    "(is Postfix installed?)" : "failed");
		goto out;
	}
	if (parse_kv((char *)buf_str(&out), &pc->main, &pc->nmain) < 0 ||
	    pc->nmain == 0) {
		(void)buf_puts(err, "postconf -x printed no parameters");
		goto out;
	}
	buf_reset(&out);
	if (run_postconf(pc, "-n", NULL, &out) != 0 ||
	    parse_kv((char *)buf_str(&out), &pc->explicit_,
	    &pc->nexplicit) < 0) {
		(void)buf_puts(err, "postconf -n failed");
		goto out;
	}
	buf_reset(&out);
	if (run_postconf(pc, "-M", NULL, &out) != 0 ||
	    parse_services(pc, (char *)buf_str(&out)) < 0) {
		(void)buf_puts(err, "postconf -M failed");
		goto out;
	}
	buf_reset(&out);
	if (run_postconf(pc, "-P", "-x", &out) != 0 ||
	    parse_params(pc, (char *)buf_str(&out)) < 0) {
		(void)buf_puts(err, "postconf -P failed");
		goto out;
	}
	rc = 0;
out:
	buf_free(&out);
	return rc;
}

/* kv_free - an array of pairs */
static void
kv_free(struct pc_kv *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

/* pc_free - everything pc_load allocated */
void
pc_free(struct pc *pc)
{
	size_t i;

	if (pc == NULL)
		return;
	kv_free(pc->main, pc->nmain);
	kv_free(pc->explicit_, pc->nexplicit);
	for (i = 0; i < pc->nsvcs; i++) {
		free(pc->svcs[i].name);
		free(pc->svcs[i].type);
		free(pc->svcs[i].command);
		kv_free(pc->svcs[i].params, pc->svcs[i].nparams);
	}
	free(pc->svcs);
	memset(pc, 0, sizeof(*pc));
}

/* kv_get - a value by name, or NULL */
static const char *
kv_get(const struct pc_kv *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return v[i].value;
	return NULL;
}

/* pc_main - effective main.cf value */
const char *
pc_main(const struct pc *pc, const char *name)
{
	return kv_get(pc->main, pc->nmain, name);
}

/* pc_explicit - set in main.cf */
int
pc_explicit(const struct pc *pc, const char *name)
{
	return kv_get(pc->explicit_, pc->nexplicit, name) != NULL;
}

/* pc_svc_param - a -o value */
const char *
pc_svc_param(const struct pc_svc *s, const char *name)
{
	return kv_get(s->params, s->nparams, name);
}

/* pc_svc_value - the value the service runs with */
const char *
pc_svc_value(const struct pc *pc, const struct pc_svc *s, const char *name)
{
	const char *v = pc_svc_param(s, name);

	if (v == NULL)
		v = pc_main(pc, name);
	return v ? v : "";
}

/* pc_svc_find - by name and type */
const struct pc_svc *
pc_svc_find(const struct pc *pc, const char *name, const char *type)
{
	size_t i;

	for (i = 0; i < pc->nsvcs; i++)
		if (strcmp(pc->svcs[i].name, name) == 0 &&
		    (type == NULL || strcmp(pc->svcs[i].type, type) == 0))
			return &pc->svcs[i];
	return NULL;
}

/* pc_query - postmap [-c DIR] -q key table */
int
pc_query(const struct pc *pc, const char *table, const char *key,
    struct buf *out)
{
	char *argv[8];
	int n = 0, st;

	argv[n++] = (char *)PATH_POSTMAP;
	if (pc->confdir) {
		argv[n++] = (char *)"-c";
		argv[n++] = (char *)pc->confdir;
	}
	argv[n++] = (char *)"-q";
	argv[n++] = (char *)key;
	argv[n++] = (char *)table;
	argv[n] = NULL;
	buf_reset(out);
	st = run(argv, out);
	/* one value line; drop the line break */
	while (out->len && (out->data[out->len - 1] == '\n'))
		out->data[--out->len] = 0;
	if (st == 0)
		return 1;
	return st == 1 && out->len == 0 ? 0 : -1;
}

/* put_attr - name NUL value NUL */
static int
put_attr(struct buf *b, const char *name, const char *value)
{
	if (buf_append(b, name, strlen(name) + 1) < 0 ||
	    buf_append(b, value, strlen(value) + 1) < 0)
		return -1;
	return 0;
}

/*
 * list_end - where the attribute list starting at data[0] ends (the offset
 * after its terminating empty name), or 0 while it is incomplete
 */
static size_t
list_end(const char *data, size_t len)
{
	size_t i = 0, fields = 0, l;

	while (i < len) {
		l = strnlen(data + i, len - i);
		if (i + l >= len)
			return 0;
		if (l == 0 && fields % 2 == 0)
			return i + 1;
		i += l + 1;
		fields++;
	}
	return 0;
}

/*
 * read_reply - the resolve reply: attribute lists until one names a
 * transport. Postfix 3.x announces `protocol trivial_rewrite_protocol` on
 * connect (older versions do not); that list is skipped. In the reply the
 * first `flags` is the server's status, the second the resolve flags.
 */
static int
read_reply(int fd, struct pc_resolved *r, struct buf *err)
{
	char data[8192], *p, *end;
	size_t len = 0, e;
	ssize_t n;
	int nflags;

	for (;;) {
		while ((e = list_end(data, len)) == 0) {
			if (len >= sizeof(data) - 1) {
				(void)buf_puts(err, "trivial-rewrite: reply "
				    "too long");
				return -1;
			}
			n = read(fd, data + len, sizeof(data) - 1 - len);
			if (n <= 0) {
				(void)buf_printf(err, "trivial-rewrite: %s",
				    n == 0 ? "connection closed" :
				    strerror(errno));
				return -1;
			}
			len += (size_t)n;
		}
		p = data;
		end = data + e;
		nflags = 0;
		while (p < end && *p) {
			char *name = p, *value = p + strlen(p) + 1;

			if (value >= end)
				break;
			if (strcmp(name, "transport") == 0)
				snprintf(r->transport, sizeof(r->transport),
				    "%s", value);
			else if (strcmp(name, "nexthop") == 0)
				snprintf(r->nexthop, sizeof(r->nexthop), "%s",
				    value);
			else if (strcmp(name, "recipient") == 0)
				snprintf(r->recipient, sizeof(r->recipient),
				    "%s", value);
			else if (strcmp(name, "flags") == 0 && nflags++ > 0)
				r->flags = atoi(value);
			p = value + strlen(value) + 1;
		}
		if (r->transport[0])
			return 0;
		/* not the reply (the protocol announcement): drop it */
		memmove(data, data + e, len - e);
		len -= e;
	}
}

/* pc_resolve - request=resolve on queue_directory/private/rewrite */
int
pc_resolve(const struct pc *pc, const char *addr, struct pc_resolved *r,
    struct buf *err)
{
	const char *q = pc_main(pc, "queue_directory");
	struct sockaddr_un sun;
	struct timeval tv = {10, 0};
	struct buf req = BUF_INIT;
	int fd = -1, rc = -1;

	memset(r, 0, sizeof(*r));
	if (geteuid() != 0) {
		(void)buf_puts(err, "not root (private/rewrite is Postfix's own)");
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (q == NULL || (size_t)snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "%s/private/rewrite", q) >= sizeof(sun.sun_path)) {
		(void)buf_puts(err, "no usable queue_directory");
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		(void)buf_printf(err, "%s: %s (is Postfix running?)",
		    sun.sun_path, strerror(errno));
		goto out;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* request, sender (empty: the null sender), address; then the end */
	if (put_attr(&req, "request", "resolve") < 0 ||
	    put_attr(&req, "sender", "") < 0 ||
	    put_attr(&req, "address", addr) < 0 ||
	    buf_append(&req, "", 1) < 0) {
		(void)buf_puts(err, "out of memory");
		goto out;
	}
	if (write(fd, req.data, req.len) != (ssize_t)req.len) {
		(void)buf_printf(err, "trivial-rewrite: %s", strerror(errno));
		goto out;
	}
	rc = read_reply(fd, r, err);
out:
	if (fd >= 0)
		close(fd);
	buf_free(&req);
	return rc;
}

/* pc_words - a Postfix list: blanks and commas separate, {...} is one */
char **
pc_words(const char *value)
{
	char **v = calloc(strlen(value) / 2 + 2, sizeof(char *));
	const char *p = value, *s;
	size_t n = 0;
	int depth;

	if (v == NULL)
		return NULL;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\n')
			p++;
		if (*p == 0)
			break;
		s = p;
		depth = 0;
		while (*p && (depth > 0 || !(*p == ' ' || *p == '\t' ||
		    *p == ',' || *p == '\n'))) {
			if (*p == '{')
				depth++;
			else if (*p == '}' && depth > 0)
				depth--;
			p++;
		}
		if ((v[n] = strndup(s, (size_t)(p - s))) == NULL) {
			pc_words_free(v);
			return NULL;
		}
		n++;
	}
	v[n] = NULL;
	return v;
}

/* pc_words_free - accepts NULL */
void
pc_words_free(char **w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; w[i]; i++)
		free(w[i]);
	free(w);
}
