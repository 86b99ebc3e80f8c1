/*
 * kim-provider.c - a stand-in for the KIM provider's mail server (a test
 * program of kim-milter, never installed):
 *
 *	kim-provider -l ADDR:PORT [-P PORTFILE] -c CERT -k KEY [-C CAFILE]
 *	    -u USERSFILE -d SPOOLDIR [-L LOGFILE] [-f] [-p PIDFILE]
 *	    [-r ADDR]... [-x CODE] [-t SECONDS]
 *
 * What it enforces, as the real provider does (issue 7):
 *   - implicit TLS on connect (like port 465), TLS 1.2 and 1.3 only; a
 *     client that speaks plain SMTP fails the handshake: there is no
 *     plaintext mode and no STARTTLS;
 *   - with -C, a client certificate that verifies against CAFILE; none or
 *     one of another CA ends the connection in the handshake (logged);
 *   - AUTH (PLAIN, with initial response or continuation, and LOGIN)
 *     against USERSFILE (`user password` lines) before MAIL;
 *   - AUTH user = MAIL FROM address = the address of the message's one From
 *     header, compared case-insensitively.
 * What it does not do: relay anything (accepted messages stay in
 * SPOOLDIR); look at the message beyond its From header (a message above
 * 64 MB is refused with 552); offer PIPELINING, SMTPUTF8 or DSN; compare
 * the certificate's subject with the AUTH user; ask for a client
 * certificate without -C; resume TLS sessions.
 *
 * Spool: each accepted message becomes SPOOLDIR/NNNNNN.env (lines `auth
 * USER`, `from ADDR`, `rcpt ADDR` per recipient, `cert SUBJECT`) and then
 * SPOOLDIR/NNNNNN.eml (the DATA bytes after dot-unstuffing, line ends as
 * received); each is written under a dot name and renamed, and the .eml
 * appears last, so a reader that sees the .eml sees both files whole.
 * Log (-L, else stderr): one line per event, for tests to grep.
 * Failure injection: -r ADDR refuses that recipient with 550 5.1.1 (may
 * repeat); -x CODE answers every end of DATA with CODE (4xx or 5xx).
 * Port 0 picks a free port and writes it to PORTFILE (written whole, by
 * rename, after the socket listens). Without -f it runs as a daemon; -p
 * writes its PID. -t: seconds a read may wait (default 300). SIGTERM stops
 * the listener and every session. One process per connection.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "prov.h"

#define MAX_CHILDREN	256

static int log_fd = 2;
static unsigned long *spool_seq;	/* shared by all children (mmap) */
static volatile sig_atomic_t stopping;
static pid_t children[MAX_CHILDREN];

/* prov_log - one line to the log, written with one write(2) (O_APPEND) */
void
prov_log(const char *fmt, ...)
{
	char line[2048];
	struct tm tm;
	time_t now;
	va_list ap;
	int n, m;

	now = time(NULL);
	gmtime_r(&now, &tm);
	n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	n += snprintf(line + n, sizeof(line) - n, "kim-provider[%ld]: ",
	    (long)getpid());
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	/* client data (user names, addresses) cannot forge log lines */
	for (m = 0; m < n; m++)
		if ((unsigned char)line[m] < 0x20 || line[m] == 0x7f)
			line[m] = '?';
	line[n++] = '\n';
	(void)!write(log_fd, line, n);
}

/* usage - the one-line synopsis, then exit 2 */
static void
usage(void)
{
	fprintf(stderr, "usage: kim-provider -l ADDR:PORT [-P PORTFILE] "
	    "-c CERT -k KEY [-C CAFILE] -u USERSFILE -d SPOOLDIR "
	    "[-L LOGFILE] [-f] [-p PIDFILE] [-r ADDR]... [-x CODE] "
	    "[-t SECONDS]\n");
	exit(2);
}

/* die - a start-up error: message and exit 1 (start-up code only) */
static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("kim-provider: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	ERR_print_errors_fp(stderr);
	exit(1);
}

/* load_users - read `user password` lines; # starts a comment */
static void
load_users(struct prov_conf *cf, const char *path)
{
	char line[1024], *name, *pw, *save;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((name = strtok_r(line, " \t\r\n", &save)) == NULL ||
		    *name == '#')
			continue;
		if ((pw = strtok_r(NULL, " \t\r\n", &save)) == NULL)
			die("%s: no password for %s", path, name);
		cf->users = realloc(cf->users,
		    (cf->nusers + 1) * sizeof(*cf->users));
		if (cf->users == NULL)
			die("out of memory");
		cf->users[cf->nusers].name = strdup(name);
		cf->users[cf->nusers].password = strdup(pw);
		if (cf->users[cf->nusers].name == NULL ||
		    cf->users[cf->nusers].password == NULL)
			die("out of memory");
		cf->nusers++;
	}
	fclose(fp);
	if (cf->nusers == 0)
		die("%s: no users", path);
}

/* tls_setup - the server context: TLS 1.2/1.3, certificate, client CA */
static SSL_CTX *
tls_setup(const char *cert, const char *key, const char *cafile)
{
	STACK_OF(X509_NAME) *names;
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		die("SSL_CTX_new");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	/* every connection shows its client certificate again */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	/*
	 * Brainpool as the real provider offers it: OpenSSL 3.0 has the
	 * brainpool groups for TLS 1.2 only (it ignores them in TLS 1.3);
	 * a build without them keeps its default list.
	 */
	if (SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384:P-521:"
	    "brainpoolP256r1:brainpoolP384r1:brainpoolP512r1") != 1)
		ERR_clear_error();
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		die("%s: cannot load the server certificate", cert);
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		die("%s: cannot load the server key", key);
	if (cafile != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1)
			die("%s: cannot load the client CA", cafile);
		if ((names = SSL_load_client_CA_file(cafile)) == NULL)
			die("%s: no CA names", cafile);
		SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	return ctx;
}

/* listen_on - bind and listen on ADDR:PORT ([v6]:PORT); return the socket */
static int
listen_on(const char *spec, int *port)
{
	struct addrinfo hints, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], *colon;
	int fd, one = 1, rc;

	if (strlen(spec) >= sizeof(host) ||
	    (colon = strrchr(spec, ':')) == NULL)
		die("-l %s: want ADDR:PORT", spec);
	if (spec[0] == '[' && colon > spec + 1 && colon[-1] == ']') {
		memcpy(host, spec + 1, colon - spec - 2);
		host[colon - spec - 2] = 0;
	} else {
		memcpy(host, spec, colon - spec);
		host[colon - spec] = 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints,
	    &ai)) != 0)
		die("-l %s: %s", spec, gai_strerror(rc));
	if ((fd = socket(ai->ai_family, SOCK_STREAM, 0)) < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0)
		die("-l %s: %s", spec, strerror(errno));
	freeaddrinfo(ai);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		die("getsockname: %s", strerror(errno));
	*port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* write_whole - write LEN bytes to PATH under a dot name, then rename */
static int
write_whole(const char *dir, const char *name, const char *data, size_t len)
{
	char tmp[4096], path[4096];
	size_t off = 0;
	ssize_t n;
	int fd, rc = -1;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		goto out;
	while (off < len) {
		if ((n = write(fd, data + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			goto out;
		}
		off += n;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		prov_log("spool: %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	return rc;
}

/* prov_spool_store - store one message: NNNNNN.env, then NNNNNN.eml */
int
prov_spool_store(const struct prov_conf *cf, const struct prov_msg *m,
    char *id, size_t idlen)
{
	char name[64], *env = NULL;
	size_t envlen = 0, i;
	FILE *fp;
	int rc = -1;

	snprintf(id, idlen, "%06lu",
	    __atomic_add_fetch(spool_seq, 1, __ATOMIC_SEQ_CST));
	if ((fp = open_memstream(&env, &envlen)) == NULL)
		goto out;
	fprintf(fp, "auth %s\nfrom %s\n", m->auth, m->from);
	for (i = 0; i < m->nrcpt; i++)
		fprintf(fp, "rcpt %s\n", m->rcpt[i]);
	if (m->cert != NULL)
		fprintf(fp, "cert %s\n", m->cert);
	if (fclose(fp) != 0)
		goto out;
	snprintf(name, sizeof(name), "%s.env", id);
	if (write_whole(cf->spooldir, name, env, envlen) < 0)
		goto out;
	snprintf(name, sizeof(name), "%s.eml", id);
	if (write_whole(cf->spooldir, name, m->data, m->len) < 0)
		goto out;
	rc = 0;
out:
	free(env);
	return rc;
}

/* spool_init - the shared message counter, after the highest stored one */
static void
spool_init(const char *dir)
{
	struct dirent *de;
	unsigned long n, max = 0;
	char *end;
	DIR *d;

	spool_seq = mmap(NULL, sizeof(*spool_seq), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (spool_seq == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	if ((d = opendir(dir)) == NULL)
		die("%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		n = strtoul(de->d_name, &end, 10);
		if ((strcmp(end, ".eml") == 0 || strcmp(end, ".env") == 0) &&
		    n > max)
			max = n;
	}
	closedir(d);
	*spool_seq = max;
}

/* write_number - the port or PID file, written whole by rename */
static void
write_number(const char *path, long num)
{
	char tmp[4096];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL)
		die("%s: %s", tmp, strerror(errno));
	fprintf(fp, "%ld\n", num);
	if (fclose(fp) != 0 || rename(tmp, path) < 0)
		die("%s: %s", path, strerror(errno));
}

/* tls_reason - why the handshake failed, in a few words */
static void
tls_reason(SSL *ssl, int ret, char *buf, size_t len)
{
	unsigned long e;
	long v;

	v = SSL_get_verify_result(ssl);
	if (v != X509_V_OK) {
		snprintf(buf, len, "client certificate: %s",
		    X509_verify_cert_error_string(v));
		ERR_clear_error();
		return;
	}
	if ((e = ERR_peek_last_error()) != 0) {
		ERR_error_string_n(e, buf, len);
		ERR_clear_error();
		return;
	}
	if (SSL_get_error(ssl, ret) == SSL_ERROR_SYSCALL && errno != 0)
		snprintf(buf, len, "%s", strerror(errno));
	else
		snprintf(buf, len, "connection closed in the handshake");
}

/*
 * linger - before close, read what the client still sends (2 s at most):
 * closing with unread input makes the kernel send a reset, which can
 * destroy our last reply (421 after garbage) before the client reads it
 */
static void
linger(int fd)
{
	struct timeval tv = { 2, 0 };
	char junk[4096];
	time_t end = time(NULL) + 2;

	shutdown(fd, SHUT_WR);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (time(NULL) <= end && read(fd, junk, sizeof(junk)) > 0)
		;
}

/* serve - one connection in its own process: handshake, then SMTP */
static void
serve(SSL_CTX *ctx, int fd, const struct prov_conf *cf, const char *peer)
{
	char reason[256], *subject = NULL;
	struct timeval tv;
	X509 *x = NULL;
	BIO *bio;
	SSL *ssl;
	long blen;
	char *bp;
	int ret;

	tv.tv_sec = cf->timeout;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	prov_log("connect from %s", peer);
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
		prov_log("tls fail: SSL_new");
		goto out;
	}
	errno = 0;
	if ((ret = SSL_accept(ssl)) != 1) {
		tls_reason(ssl, ret, reason, sizeof(reason));
		prov_log("tls fail from %s: %s", peer, reason);
		goto out;
	}
	if ((x = SSL_get1_peer_certificate(ssl)) != NULL &&
	    (bio = BIO_new(BIO_s_mem())) != NULL) {
		X509_NAME_print_ex(bio, X509_get_subject_name(x), 0,
		    XN_FLAG_RFC2253);
		blen = BIO_get_mem_data(bio, &bp);
		subject = strndup(bp, blen);
		BIO_free(bio);
	}
	prov_log("tls ok %s %s cert=%s", SSL_get_version(ssl),
	    SSL_get_cipher_name(ssl), subject ? subject : "none");
	prov_smtp_session(cf, ssl, subject);
	SSL_shutdown(ssl);
	linger(fd);
out:
	prov_log("disconnect from %s", peer);
	X509_free(x);
	free(subject);
	SSL_free(ssl);
	close(fd);
}

/* on_stop - SIGTERM/SIGINT: the accept loop ends */
static void
on_stop(int sig)
{
	stopping = 1;
}

/* on_child - SIGCHLD only wakes poll; the loop reaps */
static void
on_child(int sig)
{
}

/* reap - collect ended sessions; WAIT: block until all are gone */
static void
reap(int wait_all)
{
	pid_t pid;
	int i, status;

	while ((pid = waitpid(-1, &status, wait_all ? 0 : WNOHANG)) > 0) {
		for (i = 0; i < MAX_CHILDREN; i++)
			if (children[i] == pid)
				children[i] = 0;
		/* a session that crashed is a bug of the stand-in: say so */
		if (WIFSIGNALED(status) && !(stopping &&
		    WTERMSIG(status) == SIGTERM))
			prov_log("session %ld killed by signal %d", (long)pid,
			    WTERMSIG(status));
		else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			prov_log("session %ld exited with status %d",
			    (long)pid, WEXITSTATUS(status));
	}
}

/* accept_loop - fork one process per connection until SIGTERM */
static void
accept_loop(SSL_CTX *ctx, int lfd, const struct prov_conf *cf)
{
	struct sockaddr_storage ss;
	char peer[INET6_ADDRSTRLEN + 8];
	struct pollfd pfd;
	socklen_t sl;
	pid_t pid;
	int fd, i;

	while (!stopping) {
		reap(0);
		pfd.fd = lfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 500) <= 0)
			continue;
		sl = sizeof(ss);
		if ((fd = accept(lfd, (struct sockaddr *)&ss, &sl)) < 0)
			continue;
		if (getnameinfo((struct sockaddr *)&ss, sl, peer,
		    sizeof(peer), NULL, 0, NI_NUMERICHOST) != 0)
			strcpy(peer, "unknown");
		for (i = 0; i < MAX_CHILDREN && children[i] != 0; i++)
			;
		if (i == MAX_CHILDREN) {
			prov_log("too many sessions: dropped %s", peer);
			close(fd);
			continue;
		}
		if ((pid = fork()) < 0) {
			prov_log("fork: %s", strerror(errno));
			close(fd);
			continue;
		}
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			signal(SIGCHLD, SIG_DFL);
			close(lfd);
			serve(ctx, fd, cf, peer);
			_exit(0);
		}
		children[i] = pid;
		close(fd);
	}
	close(lfd);
	for (i = 0; i < MAX_CHILDREN; i++)
		if (children[i] != 0)
			kill(children[i], SIGTERM);
	reap(1);
}

int
main(int argc, char **argv)
{
	const char *listen_spec = NULL, *portfile = NULL, *cert = NULL;
	const char *key = NULL, *cafile = NULL, *usersfile = NULL;
	const char *logfile = NULL, *pidfile = NULL;
	struct prov_conf cf;
	struct sigaction sa;
	int ch, fg = 0, lfd, port;
	SSL_CTX *ctx;

	memset(&cf, 0, sizeof(cf));
	cf.timeout = 300;
	while ((ch = getopt(argc, argv, "l:P:c:k:C:u:d:L:fp:r:x:t:")) != -1) {
		switch (ch) {
		case 'l': listen_spec = optarg; break;
		case 'P': portfile = optarg; break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'C': cafile = optarg; break;
		case 'u': usersfile = optarg; break;
		case 'd': cf.spooldir = optarg; break;
		case 'L': logfile = optarg; break;
		case 'f': fg = 1; break;
		case 'p': pidfile = optarg; break;
		case 'r':
			cf.refuse_rcpt = realloc(cf.refuse_rcpt,
			    (cf.nrefuse + 1) * sizeof(char *));
			if (cf.refuse_rcpt == NULL)
				die("out of memory");
			cf.refuse_rcpt[cf.nrefuse++] = optarg;
			break;
		case 'x':
			cf.data_code = atoi(optarg);
			if (cf.data_code < 400 || cf.data_code > 599)
				die("-x %s: want a 4xx or 5xx code", optarg);
			break;
		case 't':
			if ((cf.timeout = atoi(optarg)) <= 0)
				die("-t %s: want seconds", optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || listen_spec == NULL || cert == NULL ||
	    key == NULL || usersfile == NULL || cf.spooldir == NULL)
		usage();
	load_users(&cf, usersfile);
	if (logfile != NULL && (log_fd = open(logfile,
	    O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0)
		die("%s: %s", logfile, strerror(errno));
	if (gethostname(cf.hostname, sizeof(cf.hostname) - 1) != 0)
		strcpy(cf.hostname, "kim-provider.invalid");
	spool_init(cf.spooldir);
	ctx = tls_setup(cert, key, cafile);
	lfd = listen_on(listen_spec, &port);
	if (portfile != NULL)
		write_number(portfile, port);
	if (!fg && daemon(1, logfile == NULL) < 0)
		die("daemon: %s", strerror(errno));
	if (pidfile != NULL)
		write_number(pidfile, getpid());

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	prov_log("listening on %s port %d%s", listen_spec, port,
	    cafile ? ", client certificate required" : "");
	accept_loop(ctx, lfd, &cf);
	prov_log("stopped");
	SSL_CTX_free(ctx);
	for (ch = 0; ch < (int)cf.nusers; ch++) {
		OPENSSL_cleanse(cf.users[ch].password,
		    strlen(cf.users[ch].password));
		free(cf.users[ch].name);
		free(cf.users[ch].password);
	}
	free(cf.users);
	free(cf.refuse_rcpt);
	return 0;
}
