/*
 * prov_smtp.c - one SMTP session of the provider stand-in, on a connection
 * that already finished its TLS handshake: EHLO/HELO, AUTH PLAIN/LOGIN,
 * MAIL, RCPT, DATA, RSET, NOOP, QUIT, with the provider's rules (see
 * kim-provider.c): AUTH before MAIL, MAIL FROM = AUTH user, the From
 * header = AUTH user. Command lines are limited to 4096 bytes; garbage gets
 * a 5xx and 20 of them end the session.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "prov.h"

#define CMD_MAX		4096	/* one command line, CRLF included */
#define SEG_MAX		65536	/* one piece of a DATA line */
#define MAX_RCPT	1000
#define MAX_ERRORS	20

struct sess {
	const struct prov_conf *cf;
	SSL	*ssl;
	const char *cert;
	unsigned char in[16384];	/* read buffer */
	size_t	ipos, ilen;
	int	ehlo;			/* EHLO or HELO seen */
	char	*user;			/* AUTH user, once authenticated */
	char	*from;			/* MAIL FROM, in a transaction */
	char	*rcpt[MAX_RCPT];
	size_t	nrcpt;
	int	errors;
	char	*msg;			/* DATA after unstuffing */
	size_t	mlen, mcap;
};

/* fill - read more TLS data into the buffer; -1 on EOF, error or timeout */
static int
fill(struct sess *s)
{
	int n;

	s->ipos = 0;
	s->ilen = 0;
	if ((n = SSL_read(s->ssl, s->in, sizeof(s->in))) <= 0)
		return -1;
	s->ilen = n;
	return 0;
}

/*
 * read_seg - up to MAX bytes of a line, through its LF; *PARTIAL is set
 * when the piece ends without LF (the line goes on). -1 at end of input.
 */
static long
read_seg(struct sess *s, char *out, size_t max, int *partial)
{
	size_t n = 0;
	unsigned char c;

	*partial = 1;
	while (n < max) {
		if (s->ipos == s->ilen && fill(s) < 0)
			return -1;
		c = s->in[s->ipos++];
		out[n++] = c;
		if (c == '\n') {
			*partial = 0;
			break;
		}
	}
	return (long)n;
}

/* reply - one reply line (CRLF added); -1 when the client is gone */
static int
reply(struct sess *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int
reply(struct sess *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if (n > (int)sizeof(line) - 3)
		n = (int)sizeof(line) - 3;
	line[n++] = '\r';
	line[n++] = '\n';
	return SSL_write(s->ssl, line, n) == n ? 0 : -1;
}

/*
 * read_cmd - one command line without its line end into LINE (CMD_MAX
 * bytes). Returns 0, -1 at end of input, -2 for a line too long or with a
 * NUL byte (already answered).
 */
static int
read_cmd(struct sess *s, char *line)
{
	long n;
	int partial, toolong = 0;

	for (;;) {
		if ((n = read_seg(s, line, CMD_MAX - 1, &partial)) < 0)
			return -1;
		if (!partial)
			break;
		toolong = 1;		/* skip the rest of the line */
	}
	if (toolong)
		return reply(s, "500 5.5.2 Line too long") < 0 ? -1 : -2;
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	line[n] = 0;
	if (strlen(line) != (size_t)n)
		return reply(s, "500 5.5.2 NUL byte in command") < 0 ? -1 : -2;
	return 0;
}

/* b64_val - the value of one base64 character, or -1 */
static int
b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* b64_decode - strict base64 (padded) into OUT; length or -1 */
static long
b64_decode(const char *in, unsigned char *out, size_t max)
{
	size_t len = strlen(in), i, n = 0;
	int v[4], k, pad;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		pad = 0;
		for (k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad > 0 || (v[k] = b64_val(in[i + k])) < 0)
				return -1;
		}
		if (n + 3 > max)
			return -1;
		out[n++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[n++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[n++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	return (long)n;
}

/* check_login - 0 when USER/PASSWORD is a line of the users file */
static int
check_login(const struct prov_conf *cf, const char *user, const char *pw)
{
	size_t i;

	for (i = 0; i < cf->nusers; i++)
		if (strcasecmp(cf->users[i].name, user) == 0)
			return strcmp(cf->users[i].password, pw) == 0 ? 0 : -1;
	return -1;
}

/*
 * auth_response - the client's answer to a 334 challenge, decoded; -1 when
 * the client is gone, -2 when answered already (cancelled or bad base64)
 */
static long
auth_response(struct sess *s, const char *challenge, const char *initial,
    unsigned char *out, size_t max)
{
	char line[CMD_MAX];
	long n;
	int rc;

	if (initial == NULL) {
		if (reply(s, "334 %s", challenge) < 0)
			return -1;
		if ((rc = read_cmd(s, line)) < 0)
			return rc;
		initial = line;
	}
	if (strcmp(initial, "*") == 0)
		n = reply(s, "501 5.7.0 Authentication cancelled") < 0 ? -1 : -2;
	else if (strcmp(initial, "=") == 0)
		n = 0;
	else if ((n = b64_decode(initial, out, max - 1)) < 0)
		n = reply(s, "501 5.5.2 Cannot decode response") < 0 ? -1 : -2;
	if (n >= 0)
		out[n] = 0;
	/* the line may hold a password */
	OPENSSL_cleanse(line, sizeof(line));
	return n;
}

/* do_auth - AUTH PLAIN or LOGIN; -1 when the client is gone */
static int
do_auth(struct sess *s, char *arg)
{
	unsigned char a[1024], b[1024];
	char *mech, *initial, *user = NULL, *pw = NULL;
	long n;
	int rc = 0;

	if (s->user != NULL)
		return reply(s, "503 5.5.1 Already authenticated");
	if (!s->ehlo)
		return reply(s, "503 5.5.1 Send EHLO first");
	if (s->from != NULL)
		return reply(s, "503 5.5.1 AUTH not allowed in a transaction");
	mech = strtok(arg, " ");
	initial = strtok(NULL, " ");
	if (mech != NULL && strcasecmp(mech, "PLAIN") == 0) {
		/* authzid NUL authcid NUL password */
		if ((n = auth_response(s, "", initial, a, sizeof(a))) < 0)
			goto gone;
		user = memchr(a, 0, n);
		pw = user ? memchr(user + 1, 0, n - (user + 1 - (char *)a)) :
		    NULL;
		if (user == NULL || pw == NULL) {
			rc = reply(s, "501 5.5.2 Malformed PLAIN response");
			goto out;
		}
		user++;
		pw++;
		if (a[0] != 0 && strcasecmp((char *)a, user) != 0) {
			prov_log("auth fail user=%s: authzid %s", user,
			    (char *)a);
			rc = reply(s, "535 5.7.8 Authentication credentials "
			    "invalid");
			goto out;
		}
	} else if (mech != NULL && strcasecmp(mech, "LOGIN") == 0) {
		/* challenges "Username:" and "Password:" */
		if ((n = auth_response(s, "VXNlcm5hbWU6", initial, a,
		    sizeof(a))) < 0 ||
		    (n = auth_response(s, "UGFzc3dvcmQ6", NULL, b,
		    sizeof(b))) < 0)
			goto gone;
		user = (char *)a;
		pw = (char *)b;
	} else {
		rc = reply(s, "504 5.5.4 Unrecognized authentication type");
		goto out;
	}
	if (*user == 0 || check_login(s->cf, user, pw) < 0) {
		prov_log("auth fail user=%s: wrong user or password", user);
		rc = reply(s, "535 5.7.8 Authentication credentials invalid");
		goto out;
	}
	if ((s->user = strdup(user)) == NULL) {
		rc = reply(s, "454 4.7.0 Temporary authentication failure");
		goto out;
	}
	prov_log("auth ok user=%s mech=%s", user, mech);
	rc = reply(s, "235 2.7.0 Authentication successful");
	goto out;
gone:
	rc = n == -1 ? -1 : 0;
out:
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	return rc;
}

/* reset - end the mail transaction (the login stays) */
static void
reset(struct sess *s)
{
	size_t i;

	free(s->from);
	s->from = NULL;
	for (i = 0; i < s->nrcpt; i++)
		free(s->rcpt[i]);
	s->nrcpt = 0;
	s->mlen = 0;
}

/*
 * path_arg - the address of "FROM:<addr> params" / "TO:<addr>" after the
 * keyword KW, into a new string; NULL on a syntax error
 */
static char *
path_arg(const char *arg, const char *kw)
{
	size_t kl = strlen(kw);
	const char *p, *e;

	if (strncasecmp(arg, kw, kl) != 0)
		return NULL;
	p = arg + kl;
	while (*p == ' ')
		p++;
	if (*p != '<' || (e = strchr(p, '>')) == NULL)
		return NULL;
	if (e[1] != 0 && e[1] != ' ')
		return NULL;
	return strndup(p + 1, e - p - 1);
}

/* do_mail - MAIL FROM: only the authenticated user's own address */
static int
do_mail(struct sess *s, const char *arg)
{
	char *addr;

	if (s->user == NULL) {
		prov_log("refused 530 MAIL before AUTH");
		return reply(s, "530 5.7.0 Authentication required");
	}
	if (s->from != NULL)
		return reply(s, "503 5.5.1 Nested MAIL command");
	if ((addr = path_arg(arg, "FROM:")) == NULL)
		return reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
	prov_log("mail from=<%s>", addr);
	if (strcasecmp(addr, s->user) != 0) {
		prov_log("refused 553 sender <%s> not owned by user %s", addr,
		    s->user);
		reply(s, "553 5.7.1 sender <%s> not owned by user %s", addr,
		    s->user);
		free(addr);
		return 0;
	}
	s->from = addr;
	return reply(s, "250 2.1.0 Ok");
}

/* do_rcpt - RCPT TO, refusing the -r addresses */
static int
do_rcpt(struct sess *s, const char *arg)
{
	char *addr;
	size_t i;

	if (s->from == NULL)
		return reply(s, "503 5.5.1 Need MAIL command");
	if ((addr = path_arg(arg, "TO:")) == NULL)
		return reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
	prov_log("rcpt to=<%s>", addr);
	for (i = 0; i < s->cf->nrefuse; i++) {
		if (strcasecmp(addr, s->cf->refuse_rcpt[i]) == 0) {
			prov_log("refused 550 rcpt <%s> (-r)", addr);
			reply(s, "550 5.1.1 <%s>: recipient refused by "
			    "provider stand-in", addr);
			free(addr);
			return 0;
		}
	}
	if (s->nrcpt == MAX_RCPT) {
		free(addr);
		return reply(s, "452 4.5.3 Too many recipients");
	}
	s->rcpt[s->nrcpt++] = addr;
	return reply(s, "250 2.1.5 Ok");
}

/*
 * read_data - the message up to the lone dot, unstuffed, into s->msg;
 * -1 when the client is gone, 1 when it was too big (read to its end)
 */
static int
read_data(struct sess *s)
{
	static char seg[SEG_MAX];
	int partial, bol = 1, toobig = 0;
	size_t cap, skip;
	char *p;
	long n;

	s->mlen = 0;
	for (;;) {
		if ((n = read_seg(s, seg, sizeof(seg), &partial)) < 0)
			return -1;
		skip = 0;
		if (bol && seg[0] == '.') {
			if ((n == 2 && seg[1] == '\n') ||
			    (n == 3 && seg[1] == '\r' && seg[2] == '\n'))
				break;
			skip = 1;	/* dot-stuffing */
		}
		bol = !partial;
		n -= skip;
		if (toobig || s->mlen + n > PROV_MAX_MSG) {
			toobig = 1;	/* read on to the dot, keep nothing */
			continue;
		}
		if (s->mlen + n > s->mcap) {
			cap = s->mcap ? s->mcap : 65536;
			while (cap < s->mlen + n)
				cap *= 2;
			if ((p = realloc(s->msg, cap)) == NULL) {
				toobig = 1;
				continue;
			}
			s->msg = p;
			s->mcap = cap;
		}
		memcpy(s->msg + s->mlen, seg + skip, n);
		s->mlen += n;
	}
	return toobig;
}

/* do_data - DATA: read the message, check it, store it */
static int
do_data(struct sess *s)
{
	struct prov_msg msg = {
		.auth = s->user, .from = s->from, .rcpt = s->rcpt,
		.nrcpt = s->nrcpt, .cert = s->cert,
	};
	char from[1024], id[32];
	int rc, code = s->cf->data_code;

	if (s->from == NULL)
		return reply(s, "503 5.5.1 Need MAIL command");
	if (s->nrcpt == 0)
		return reply(s, "554 5.5.1 No valid recipients");
	if (reply(s, "354 End data with <CR><LF>.<CR><LF>") < 0 ||
	    (rc = read_data(s)) < 0)
		return -1;
	if (rc == 1) {
		prov_log("refused 552 message bigger than %lu bytes",
		    PROV_MAX_MSG);
		rc = reply(s, "552 5.3.4 Message size exceeds fixed limit");
	} else if (code != 0) {
		prov_log("refused %d by -x", code);
		rc = reply(s, "%d %d.3.0 provider stand-in %s the message "
		    "(-x)", code, code / 100, code < 500 ? "defers" :
		    "refuses");
	} else if ((rc = prov_from_address(s->msg, s->mlen, from,
	    sizeof(from))) < 0) {
		prov_log("refused 550 From header %s", rc == -1 ?
		    "missing" : rc == -2 ? "repeated" : "unparsable");
		rc = reply(s, "550 5.7.1 message needs exactly one From "
		    "header with one address");
	} else if (strcasecmp(from, s->user) != 0) {
		prov_log("refused 550 From header <%s> does not match the "
		    "authenticated account %s", from, s->user);
		rc = reply(s, "550 5.7.1 From header <%s> does not match the "
		    "authenticated account %s", from, s->user);
	} else {
		msg.data = s->msg;
		msg.len = s->mlen;
		if (prov_spool_store(s->cf, &msg, id, sizeof(id)) < 0) {
			prov_log("refused 451 spool error");
			rc = reply(s, "451 4.3.0 Spool error");
		} else {
			prov_log("accepted %s from=<%s> nrcpt=%zu size=%zu",
			    id, s->from, s->nrcpt, s->mlen);
			rc = reply(s, "250 2.0.0 Ok: queued as %s", id);
		}
	}
	reset(s);
	return rc;
}

/* prov_smtp_session - the SMTP dialogue; returns when it ends */
void
prov_smtp_session(const struct prov_conf *cf, SSL *ssl, const char *cert)
{
	struct sess *s;
	char line[CMD_MAX], *verb, *arg;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return;
	s->cf = cf;
	s->ssl = ssl;
	s->cert = cert;
	if (reply(s, "220 %s ESMTP KIM provider stand-in", cf->hostname) < 0)
		goto out;
	for (;;) {
		if (s->errors >= MAX_ERRORS) {
			prov_log("too many errors: closing");
			reply(s, "421 4.7.0 Too many errors");
			break;
		}
		if ((rc = read_cmd(s, line)) == -1)
			break;
		if (rc == -2) {
			s->errors++;
			continue;
		}
		verb = line;
		if ((arg = strchr(line, ' ')) != NULL)
			*arg++ = 0;
		else
			arg = line + strlen(line);
		if (strcasecmp(verb, "EHLO") == 0 && *arg) {
			reset(s);
			s->ehlo = 1;
			rc = reply(s, "250-%s", cf->hostname) < 0 ||
			    reply(s, "250-AUTH PLAIN LOGIN") < 0 ||
			    reply(s, "250-SIZE %lu", PROV_MAX_MSG) < 0 ||
			    reply(s, "250-8BITMIME") < 0 ||
			    reply(s, "250 ENHANCEDSTATUSCODES") < 0 ? -1 : 0;
		} else if (strcasecmp(verb, "HELO") == 0 && *arg) {
			reset(s);
			s->ehlo = 1;
			rc = reply(s, "250 %s", cf->hostname);
		} else if (strcasecmp(verb, "AUTH") == 0)
			rc = do_auth(s, arg);
		else if (strcasecmp(verb, "MAIL") == 0)
			rc = do_mail(s, arg);
		else if (strcasecmp(verb, "RCPT") == 0)
			rc = do_rcpt(s, arg);
		else if (strcasecmp(verb, "DATA") == 0)
			rc = do_data(s);
		else if (strcasecmp(verb, "RSET") == 0) {
			reset(s);
			rc = reply(s, "250 2.0.0 Ok");
		} else if (strcasecmp(verb, "NOOP") == 0)
			rc = reply(s, "250 2.0.0 Ok");
		else if (strcasecmp(verb, "QUIT") == 0) {
			reply(s, "221 2.0.0 Bye");
			break;
		} else {
			s->errors++;
			rc = reply(s, "502 5.5.2 Command not recognized");
		}
		if (rc < 0)
			break;
	}
out:
	reset(s);
	free(s->msg);
	free(s->user);
	free(s);
}
