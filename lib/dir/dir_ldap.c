/*
 * dir_ldap.c - the VZD over LDAP (libldap): a small pool of bound
 * connections, timeouts, and a watchdog for the deadline.
 *
 * Traps of libldap 2.5 with GnuTLS handled here:
 *  - a server that accepts TCP but never finishes the TLS handshake makes
 *    libldap wait forever despite LDAP_OPT_NETWORK_TIMEOUT: the socket is
 *    taken from LDAP_OPT_CONNECT_CB and shut down by a watchdog thread at
 *    the lookup's deadline, which makes the blocked call fail;
 *  - per-connection TLS options are ignored unless LDAP_OPT_X_TLS_NEWCTX
 *    is set after them;
 *  - client keys must be unencrypted: a PKCS#12 is decoded with OpenSSL and
 *    handed over as DER through LDAP_OPT_X_TLS_CERT/_KEY.
 * LDAP errors are translated to text in ldap_why only.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <lber.h>
#include <ldap.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "dir_int.h"
#include "msg.h"

struct dir_ldap_conn {
	LDAP *ld;
	struct ldap_conncb cb;	/* must live as long as ld */
	struct dir_ldap *owner;
	/* the rest is guarded by owner->wd_lock */
	int fd;			/* from the connect callback, -1 when none */
	int cut;		/* the watchdog shut the socket down */
	struct timespec deadline;
	struct dir_ldap_conn *next;	/* idle list or busy list */
};

struct dir_ldap {
	char *uri;
	char *base;
	char *bind_dn;
	struct buf bind_pw;
	int starttls;
	char *ca_file;
	char *cert_file, *key_file;	/* files, or */
	struct buf cert_der, key_der;	/* from PKCS#12 */
	unsigned connect_timeout;

	pthread_mutex_t pool_lock;	/* idle list */
	struct dir_ldap_conn *idle;
	int nidle;

	pthread_mutex_t wd_lock;	/* busy list, fds, watchdog */
	pthread_cond_t wd_cond;
	pthread_t wd;
	int wd_started, wd_stop;
	struct dir_ldap_conn *busy;

	unsigned long queries;		/* atomic */
};

#define DIR_LDAP_MAX_IDLE 8
#define DIR_LDAP_SIZELIMIT 16

/* ldap_why - one place that turns an LDAP error into text */
static void
ldap_why(LDAP *ld, int rc, const char *what, struct buf *why)
{
	char *diag = NULL;

	if (ld)
		(void)ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	(void)buf_printf(why, "LDAP %s: %s%s%s%s", what, ldap_err2string(rc),
	    diag && *diag ? " (" : "", diag && *diag ? diag : "",
	    diag && *diag ? ")" : "");
	ldap_memfree(diag);
}

/* wd_main - the watchdog: shut down sockets whose deadline passed */
static void *
wd_main(void *arg)
{
	struct dir_ldap *l = arg;
	struct dir_ldap_conn *c;

	pthread_mutex_lock(&l->wd_lock);
	while (!l->wd_stop) {
		struct timespec next = {0, 0};
		int have = 0;

		for (c = l->busy; c; c = c->next) {
			if (c->cut)
				continue;
			if (dir_ms_left(&c->deadline) == 0) {
				if (c->fd < 0)
					continue;	/* lc_add signals us */
				msg_warn("directory: lookup deadline reached, "
				    "cutting the LDAP connection (fd %d)",
				    c->fd);
				(void)shutdown(c->fd, SHUT_RDWR);
				c->cut = 1;
				continue;
			}
			if (!have || c->deadline.tv_sec < next.tv_sec ||
			    (c->deadline.tv_sec == next.tv_sec &&
			    c->deadline.tv_nsec < next.tv_nsec)) {
				next = c->deadline;
				have = 1;
			}
		}
		if (have)
			(void)pthread_cond_timedwait(&l->wd_cond, &l->wd_lock,
			    &next);
		else
			(void)pthread_cond_wait(&l->wd_cond, &l->wd_lock);
	}
	pthread_mutex_unlock(&l->wd_lock);
	return NULL;
}

/* conn_add_cb - libldap opened a socket: remember it for the watchdog */
static int
conn_add_cb(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr,
    struct ldap_conncb *ctx)
{
	struct dir_ldap_conn *c = ctx->lc_arg;
	ber_socket_t fd = -1;

	(void)ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd);
	pthread_mutex_lock(&c->owner->wd_lock);
	c->fd = (int)fd;
	pthread_cond_signal(&c->owner->wd_cond);
	pthread_mutex_unlock(&c->owner->wd_lock);
	return 0;
}

/* conn_del_cb - libldap closes the socket */
static void
conn_del_cb(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
	struct dir_ldap_conn *c = ctx->lc_arg;

	pthread_mutex_lock(&c->owner->wd_lock);
	c->fd = -1;
	pthread_mutex_unlock(&c->owner->wd_lock);
}

/* busy_add - put c under the watchdog until the deadline */
static void
busy_add(struct dir_ldap *l, struct dir_ldap_conn *c,
    const struct timespec *deadline)
{
	pthread_mutex_lock(&l->wd_lock);
	c->deadline = *deadline;
	c->cut = 0;
	c->next = l->busy;
	l->busy = c;
	pthread_cond_signal(&l->wd_cond);
	pthread_mutex_unlock(&l->wd_lock);
}

/* busy_del - take c from the watchdog; returns whether it was cut */
static int
busy_del(struct dir_ldap *l, struct dir_ldap_conn *c)
{
	struct dir_ldap_conn **pp;
	int cut;

	pthread_mutex_lock(&l->wd_lock);
	for (pp = &l->busy; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->next = NULL;
	cut = c->cut;
	pthread_mutex_unlock(&l->wd_lock);
	return cut;
}

/* conn_free - unbind and free */
static void
conn_free(struct dir_ldap_conn *c)
{
	if (c == NULL)
		return;
	if (c->ld)
		(void)ldap_unbind_ext_s(c->ld, NULL, NULL);
	free(c);
}

/* set_timeout - the per-operation timeout of libldap from the deadline */
static void
set_timeout(LDAP *ld, const struct timespec *deadline, struct timeval *tv)
{
	long ms = dir_ms_left(deadline);

	if (ms < 1)
		ms = 1;
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
	(void)ldap_set_option(ld, LDAP_OPT_TIMEOUT, tv);
}

/* conn_tls - per-connection TLS options, then a new TLS context */
static int
conn_tls(struct dir_ldap *l, LDAP *ld, struct buf *why)
{
	int demand = LDAP_OPT_X_TLS_DEMAND, zero = 0, rc;
	struct berval bv;

	if (l->ca_file && (rc = ldap_set_option(ld,
	    LDAP_OPT_X_TLS_CACERTFILE, l->ca_file)) != LDAP_OPT_SUCCESS)
		goto fail;
	if ((rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT,
	    &demand)) != LDAP_OPT_SUCCESS)
		goto fail;
	if (l->cert_file && ((rc = ldap_set_option(ld,
	    LDAP_OPT_X_TLS_CERTFILE, l->cert_file)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(ld, LDAP_OPT_X_TLS_KEYFILE,
	    l->key_file)) != LDAP_OPT_SUCCESS))
		goto fail;
	if (l->cert_der.len) {
		bv.bv_val = (char *)l->cert_der.data;
		bv.bv_len = l->cert_der.len;
		if ((rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CERT, &bv)) !=
		    LDAP_OPT_SUCCESS)
			goto fail;
		bv.bv_val = (char *)l->key_der.data;
		bv.bv_len = l->key_der.len;
		if ((rc = ldap_set_option(ld, LDAP_OPT_X_TLS_KEY, &bv)) !=
		    LDAP_OPT_SUCCESS)
			goto fail;
	}
	/* without this the options above are silently ignored */
	if ((rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero)) !=
	    LDAP_OPT_SUCCESS)
		goto fail;
	return 0;
fail:
	ldap_why(ld, rc, "TLS settings", why);
	return -1;
}

/* conn_new - initialise, StartTLS, bind; the watchdog already watches */
static int
conn_open(struct dir_ldap *l, struct dir_ldap_conn *c,
    const struct timespec *deadline, struct buf *why)
{
	int v3 = LDAP_VERSION3, rc;
	struct timeval ntv, tv;
	struct berval cred;

	if ((rc = ldap_initialize(&c->ld, l->uri)) != LDAP_SUCCESS) {
		ldap_why(NULL, rc, "initialise", why);
		return -1;
	}
	c->cb.lc_add = conn_add_cb;
	c->cb.lc_del = conn_del_cb;
	c->cb.lc_arg = c;
	ntv.tv_sec = l->connect_timeout;
	ntv.tv_usec = 0;
	if (ldap_set_option(c->ld, LDAP_OPT_PROTOCOL_VERSION, &v3) ||
	    ldap_set_option(c->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) ||
	    ldap_set_option(c->ld, LDAP_OPT_NETWORK_TIMEOUT, &ntv) ||
	    ldap_set_option(c->ld, LDAP_OPT_CONNECT_CB, &c->cb)) {
		(void)buf_puts(why, "LDAP: cannot set connection options");
		return -1;
	}
	if (conn_tls(l, c->ld, why) < 0)
		return -1;
	/*
	 * ldaps: connect (and so shake hands) here, not inside the first
	 * search, so that a TLS failure (untrusted server, client
	 * certificate refused) is reported as such and not as a search error
	 */
	if (strncasecmp(l->uri, "ldaps:", 6) == 0) {
		set_timeout(c->ld, deadline, &tv);
		if ((rc = ldap_connect(c->ld)) != LDAP_SUCCESS) {
			ldap_why(c->ld, rc, "TLS connect (ldaps)", why);
			return -1;
		}
	}
	if (l->starttls) {
		set_timeout(c->ld, deadline, &tv);
		if ((rc = ldap_start_tls_s(c->ld, NULL, NULL)) !=
		    LDAP_SUCCESS) {
			ldap_why(c->ld, rc, "StartTLS", why);
			return -1;
		}
	}
	if (l->bind_dn) {
		set_timeout(c->ld, deadline, &tv);
		cred.bv_val = (char *)l->bind_pw.data;
		cred.bv_len = l->bind_pw.len;
		rc = ldap_sasl_bind_s(c->ld, l->bind_dn, LDAP_SASL_SIMPLE,
		    &cred, NULL, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			ldap_why(c->ld, rc, "bind", why);
			return -1;
		}
	}
	return 0;
}

/* acquire - an idle connection or a new one, under the watchdog */
static struct dir_ldap_conn *
acquire(struct dir_ldap *l, const struct timespec *deadline, int *reused,
    struct buf *why)
{
	struct dir_ldap_conn *c;

	pthread_mutex_lock(&l->pool_lock);
	c = l->idle;
	if (c) {
		l->idle = c->next;
		l->nidle--;
	}
	pthread_mutex_unlock(&l->pool_lock);
	*reused = c != NULL;
	if (c) {
		busy_add(l, c, deadline);
		return c;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		(void)buf_puts(why, "out of memory");
		return NULL;
	}
	c->owner = l;
	c->fd = -1;
	busy_add(l, c, deadline);
	if (conn_open(l, c, deadline, why) < 0) {
		if (busy_del(l, c)) {
			buf_reset(why);
			(void)buf_puts(why, "LDAP: no answer before the "
			    "deadline (connect, TLS or bind)");
		}
		conn_free(c);
		return NULL;
	}
	return c;
}

/* release - back to the pool when healthy, else closed; 1 if it was cut */
static int
release(struct dir_ldap *l, struct dir_ldap_conn *c, int healthy)
{
	int cut = busy_del(l, c);

	if (cut)
		healthy = 0;
	if (healthy) {
		pthread_mutex_lock(&l->pool_lock);
		if (l->nidle < DIR_LDAP_MAX_IDLE) {
			c->next = l->idle;
			l->idle = c;
			l->nidle++;
			c = NULL;
		}
		pthread_mutex_unlock(&l->pool_lock);
	}
	conn_free(c);
	return cut;
}

/* filter_escape - RFC 4515 escaping of an assertion value */
static int
filter_escape(const char *in, char *out, size_t outsz)
{
	size_t j = 0;

	for (; *in; in++) {
		unsigned char ch = (unsigned char)*in;

		if (j + 4 >= outsz)
			return -1;
		if (ch == '*' || ch == '(' || ch == ')' || ch == '\\' ||
		    ch < 0x20 || ch >= 0x7f)
			j += (size_t)snprintf(out + j, outsz - j, "\\%02x", ch);
		else
			out[j++] = (char)ch;
	}
	out[j] = 0;
	return 0;
}

/* bv_eq - berval equals a C string, case-insensitively */
static int
bv_caseeq(const struct berval *bv, const char *s, size_t slen)
{
	return bv->bv_len == slen && strncasecmp(bv->bv_val, s, slen) == 0;
}

/* take_kimdata - "<mail>,<version>[,<tags>]" for our address */
static int
take_kimdata(struct dir_result *r, struct berval **vals)
{
	size_t alen = strlen(r->address), i;
	const char *p, *comma, *end;

	for (i = 0; vals && vals[i]; i++) {
		p = vals[i]->bv_val;
		end = p + vals[i]->bv_len;
		comma = memchr(p, ',', vals[i]->bv_len);
		if (comma == NULL || (size_t)(comma - p) != alen ||
		    strncasecmp(p, r->address, alen) != 0)
			continue;
		p = comma + 1;
		comma = memchr(p, ',', (size_t)(end - p));
		if (dir_result_set(&r->kim_version, p,
		    (size_t)((comma ? comma : end) - p)) < 0)
			return -1;
		if (comma && dir_result_set(&r->app_tags, comma + 1,
		    (size_t)(end - comma - 1)) < 0)
			return -1;
		return 1;
	}
	return 0;
}

/* take_komledata - "<version>,<mail>" for our address */
static int
take_komledata(struct dir_result *r, struct berval **vals)
{
	size_t alen = strlen(r->address), i;
	const char *comma;

	for (i = 0; vals && vals[i]; i++) {
		comma = memchr(vals[i]->bv_val, ',', vals[i]->bv_len);
		if (comma == NULL)
			continue;
		if ((size_t)(vals[i]->bv_val + vals[i]->bv_len - comma - 1) !=
		    alen || strncasecmp(comma + 1, r->address, alen) != 0)
			continue;
		if (dir_result_set(&r->kim_version, vals[i]->bv_val,
		    (size_t)(comma - vals[i]->bv_val)) < 0)
			return -1;
		return 1;
	}
	return 0;
}

/* take_entry - the attributes of one entry into r */
static int
take_entry(LDAP *ld, LDAPMessage *e, struct dir_result *r, int *kimdata)
{
	BerElement *ber = NULL;
	struct berval **vals;
	char *attr;
	int rc = 0, i;

	for (attr = ldap_first_attribute(ld, e, &ber); rc == 0 && attr;
	    attr = ldap_next_attribute(ld, e, ber)) {
		vals = ldap_get_values_len(ld, e, attr);
		if (vals == NULL || vals[0] == NULL) {
			/* nothing */
		} else if (strncasecmp(attr, "userCertificate", 15) == 0 &&
		    (attr[15] == 0 || attr[15] == ';')) {
			for (i = 0; rc == 0 && vals[i]; i++)
				rc = dir_result_add_der(r,
				    (unsigned char *)vals[i]->bv_val,
				    vals[i]->bv_len, NULL);
		} else if (strcasecmp(attr, "telematikID") == 0) {
			if (r->telematik_id == NULL)
				rc = dir_result_set(&r->telematik_id,
				    vals[0]->bv_val, vals[0]->bv_len);
		} else if (strcasecmp(attr, "displayName") == 0) {
			rc = dir_result_set(&r->display_name, vals[0]->bv_val,
			    vals[0]->bv_len);
		} else if (strcasecmp(attr, "cn") == 0) {
			if (r->display_name == NULL)
				rc = dir_result_set(&r->display_name,
				    vals[0]->bv_val, vals[0]->bv_len);
		} else if (strcasecmp(attr, "organization") == 0) {
			rc = dir_result_set(&r->organization, vals[0]->bv_val,
			    vals[0]->bv_len);
		} else if (strcasecmp(attr, "kimData") == 0) {
			i = take_kimdata(r, vals);
			if (i < 0)
				rc = -1;
			else if (i > 0)
				*kimdata = 1;
		} else if (strcasecmp(attr, "komLeData") == 0 && !*kimdata) {
			if (take_komledata(r, vals) < 0)
				rc = -1;
		}
		ldap_value_free_len(vals);
		ldap_memfree(attr);
	}
	ber_free(ber, 0);
	return rc;
}

/* has_mail - does the entry list the address (case-insensitively)? */
static int
has_mail(LDAP *ld, LDAPMessage *e, const char *address)
{
	struct berval **vals = ldap_get_values_len(ld, e, "mail");
	size_t alen = strlen(address);
	int i, found = 0;

	for (i = 0; vals && vals[i]; i++)
		if (bv_caseeq(vals[i], address, alen))
			found = 1;
	ldap_value_free_len(vals);
	return found;
}

/* do_search - one search on a bound connection; an LDAP result code */
static int
do_search(struct dir_ldap *l, struct dir_ldap_conn *c, const char *address,
    const struct timespec *deadline, struct dir_result *r, int *nentries,
    struct buf *why)
{
	static char *attrs[] = {"mail", "telematikID", "displayName", "cn",
	    "organization", "kimData", "komLeData", "userCertificate;binary",
	    "entryType", "professionOID", NULL};
	char esc[1024], filter[1100];
	LDAPMessage *res = NULL, *e;
	struct timeval tv;
	int rc, kimdata = 0;

	*nentries = 0;
	if (filter_escape(address, esc, sizeof(esc)) < 0) {
		(void)buf_puts(why, "address too long for a filter");
		return LDAP_FILTER_ERROR;
	}
	snprintf(filter, sizeof(filter), "(mail=%s)", esc);
	set_timeout(c->ld, deadline, &tv);
	__atomic_add_fetch(&l->queries, 1, __ATOMIC_RELAXED);
	rc = ldap_search_ext_s(c->ld, l->base, LDAP_SCOPE_SUBTREE, filter,
	    attrs, 0, NULL, NULL, &tv, DIR_LDAP_SIZELIMIT, &res);
	if (rc == LDAP_NO_SUCH_OBJECT)
		rc = LDAP_SUCCESS;	/* no base: nobody is in it */
	if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
		ldap_why(c->ld, rc, "search", why);
		goto out;
	}
	rc = LDAP_SUCCESS;
	for (e = ldap_first_entry(c->ld, res); e;
	    e = ldap_next_entry(c->ld, e)) {
		/* the server's matching rule decided; be sure it is ours */
		if (!has_mail(c->ld, e, address))
			continue;
		/* several entries: merge; A_2178 then judges the mix */
		if (take_entry(c->ld, e, r, &kimdata) < 0) {
			(void)buf_puts(why, "out of memory");
			rc = LDAP_NO_MEMORY;
			goto out;
		}
		(*nentries)++;
	}
out:
	ldap_msgfree(res);
	return rc;
}

/* dir_ldap_search - one lookup, retried once on a stale pooled link */
int
dir_ldap_search(struct dir_ldap *l, const char *address,
    const struct timespec *deadline, struct dir_result *r, struct buf *why)
{
	struct dir_ldap_conn *c;
	int attempt, reused, cut, rc = LDAP_OTHER, n = 0;

	for (attempt = 0; attempt < 2; attempt++) {
		buf_reset(why);
		if (dir_ms_left(deadline) == 0) {
			(void)buf_puts(why, "LDAP: lookup deadline reached");
			return DIR_UNAVAILABLE;
		}
		if ((c = acquire(l, deadline, &reused, why)) == NULL)
			return DIR_UNAVAILABLE;
		rc = do_search(l, c, address, deadline, r, &n, why);
		cut = release(l, c, rc == LDAP_SUCCESS);
		if (rc == LDAP_SUCCESS)
			return n > 0 ? DIR_FOUND : DIR_NOT_FOUND;
		if (cut) {
			buf_reset(why);
			(void)buf_puts(why,
			    "LDAP: no answer before the deadline");
			break;
		}
		/* a pooled connection the server closed: try a fresh one */
		if (!(reused && (rc == LDAP_SERVER_DOWN ||
		    rc == LDAP_CONNECT_ERROR)))
			break;
	}
	return DIR_UNAVAILABLE;
}

/* load_pkcs12 - client certificate and key as DER for libldap */
static int
load_pkcs12(struct dir_ldap *l, const struct conf *c, struct buf *why)
{
	struct buf pass = BUF_INIT;
	PKCS12 *p12 = NULL;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	unsigned char *der = NULL;
	FILE *fp = NULL;
	int n = 0, rc = -1;

	if (c->dir_tls_pkcs12_password_file && dir_secret_read(
	    c->dir_tls_pkcs12_password_file, 1, &pass, why) < 0)
		goto out;
	if ((fp = fopen(c->dir_tls_pkcs12_file, "rb")) == NULL ||
	    (p12 = d2i_PKCS12_fp(fp, NULL)) == NULL) {
		(void)buf_printf(why, "DirectoryTLSPKCS12File %s: %s",
		    c->dir_tls_pkcs12_file, fp ? "not a PKCS#12 file" :
		    strerror(errno));
		goto out;
	}
	if (PKCS12_parse(p12, buf_str(&pass), &pkey, &cert, NULL) != 1 ||
	    pkey == NULL || cert == NULL) {
		(void)buf_printf(why, "DirectoryTLSPKCS12File %s: cannot "
		    "decode (wrong password?)", c->dir_tls_pkcs12_file);
		goto out;
	}
	if ((n = i2d_X509(cert, &der)) <= 0 ||
	    buf_append(&l->cert_der, der, (size_t)n) < 0)
		goto nomem;
	OPENSSL_free(der);
	der = NULL;
	if ((n = i2d_PrivateKey(pkey, &der)) <= 0 ||
	    buf_append(&l->key_der, der, (size_t)n) < 0)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	(void)buf_puts(why, "DirectoryTLSPKCS12File: cannot encode");
out:
	if (der && n > 0)
		OPENSSL_cleanse(der, (size_t)n);
	OPENSSL_free(der);
	EVP_PKEY_free(pkey);
	X509_free(cert);
	PKCS12_free(p12);
	if (fp)
		fclose(fp);
	buf_wipe(&pass);
	ERR_clear_error();
	return rc;
}

/* dir_ldap_open - settings and secrets */
struct dir_ldap *
dir_ldap_open(const struct conf *c, struct buf *why)
{
	struct dir_ldap *l = calloc(1, sizeof(*l));
	pthread_condattr_t ca;

	if (l == NULL) {
		(void)buf_puts(why, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&l->pool_lock, NULL);
	pthread_mutex_init(&l->wd_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->wd_cond, &ca);
	pthread_condattr_destroy(&ca);
	if ((l->uri = strdup(c->dir_uri)) == NULL ||
	    (l->base = strdup(c->dir_base)) == NULL ||
	    (c->dir_bind_dn && (l->bind_dn = strdup(c->dir_bind_dn)) == NULL)
	    || (c->dir_tls_ca_file &&
	    (l->ca_file = strdup(c->dir_tls_ca_file)) == NULL)) {
		(void)buf_puts(why, "out of memory");
		goto fail;
	}
	if (ldap_is_ldap_url(l->uri) == 0 && ldap_is_ldaps_url(l->uri) == 0) {
		(void)buf_printf(why, "DirectoryURI \"%s\": not an ldap:// or "
		    "ldaps:// URI", l->uri);
		goto fail;
	}
	l->starttls = c->dir_starttls;
	l->connect_timeout = c->dir_connect_timeout;
	if (c->dir_bind_dn && c->dir_bind_password_file &&
	    dir_secret_read(c->dir_bind_password_file, 1, &l->bind_pw,
	    why) < 0)
		goto fail;
	if ((c->dir_tls_cert_file == NULL) != (c->dir_tls_key_file == NULL)) {
		(void)buf_puts(why, "DirectoryTLSCertFile and "
		    "DirectoryTLSKeyFile go together");
		goto fail;
	}
	if (c->dir_tls_cert_file && c->dir_tls_pkcs12_file) {
		(void)buf_puts(why, "DirectoryTLSPKCS12File or "
		    "DirectoryTLSCertFile/KeyFile, not both");
		goto fail;
	}
	if (c->dir_tls_cert_file &&
	    ((l->cert_file = strdup(c->dir_tls_cert_file)) == NULL ||
	    (l->key_file = strdup(c->dir_tls_key_file)) == NULL)) {
		(void)buf_puts(why, "out of memory");
		goto fail;
	}
	if (c->dir_tls_pkcs12_file && load_pkcs12(l, c, why) < 0)
		goto fail;
	if (pthread_create(&l->wd, NULL, wd_main, l) != 0) {
		(void)buf_puts(why, "cannot start the LDAP watchdog thread");
		goto fail;
	}
	l->wd_started = 1;
	return l;
fail:
	dir_ldap_close(l);
	return NULL;
}

/* dir_ldap_count - searches so far */
unsigned long
dir_ldap_count(const struct dir_ldap *l)
{
	return l ? __atomic_load_n(&l->queries, __ATOMIC_RELAXED) : 0;
}

/* dir_ldap_close - stop the watchdog, close the pool, wipe secrets */
void
dir_ldap_close(struct dir_ldap *l)
{
	struct dir_ldap_conn *c;

	if (l == NULL)
		return;
	if (l->wd_started) {
		pthread_mutex_lock(&l->wd_lock);
		l->wd_stop = 1;
		pthread_cond_signal(&l->wd_cond);
		pthread_mutex_unlock(&l->wd_lock);
		pthread_join(l->wd, NULL);
	}
	while ((c = l->idle) != NULL) {
		l->idle = c->next;
		conn_free(c);
	}
	free(l->uri);
	free(l->base);
	free(l->bind_dn);
	free(l->ca_file);
	free(l->cert_file);
	free(l->key_file);
	buf_wipe(&l->bind_pw);
	buf_wipe(&l->cert_der);
	buf_wipe(&l->key_der);
	pthread_mutex_destroy(&l->pool_lock);
	pthread_mutex_destroy(&l->wd_lock);
	pthread_cond_destroy(&l->wd_cond);
	free(l);
}
