/*
 * conf_table.c - every key of kim-milter.conf: name, type, default, bounds
 * and help, and the parsers of each type. kim-milter.conf(5) documents the
 * same table; a unit test checks that every key here is in the manual.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "addr.h"
#include "conf_int.h"
#include "msg.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef RUNSTATEDIR
#define RUNSTATEDIR "/run"
#endif

static int conf_obj_listener(struct conf *, const char *, int, struct buf *);
static int conf_obj_card(struct conf *, const char *, int, struct buf *);

#define OFF(f) offsetof(struct conf, f)

const struct conf_key conf_keys[] = {
	{"Socket", CT_SOCKET, OFF(socket), "inet:10025@127.0.0.1", 0, 0, NULL,
	    "where Postfix connects to the milter"},
	{"UserID", CT_USER, OFF(user), NULL, 0, 0, NULL,
	    "user[:group] to run as after opening sockets"},
	{"PidFile", CT_PATH, OFF(pid_file), NULL, 0, 0, NULL,
	    "file to write the process ID to"},
	{"UMask", CT_MODE, OFF(umask), "007", 0, 0777, NULL,
	    "umask for files and sockets the milter creates"},
	{"Syslog", CT_BOOL, OFF(syslog), "yes", 0, 1, NULL,
	    "log to syslog (no: stderr)"},
	{"SyslogFacility", CT_FACILITY, OFF(syslog_facility), "mail", 0, 0,
	    NULL, "syslog facility"},
	{"LogLevel", CT_LOGLEVEL, OFF(log_level), "info", 0, 0, NULL,
	    "error, warning, info or debug"},
	{"Background", CT_BOOL, OFF(background), "yes", 0, 1, NULL,
	    "detach from the terminal (-f overrides)"},
	{"ControlSocket", CT_PATH, OFF(control_socket),
	    RUNSTATEDIR "/kim-milter/control", 0, 0, NULL,
	    "unix socket for kimctl (owner-only)"},
	{"DrainTimeout", CT_DURATION, OFF(drain_timeout), "10m", 1, 86400,
	    NULL, "upper bound for kimctl drain before the milter stops"},
	{"KimDomains", CT_LIST, OFF(kim_domains),
	    "kim.telematik, kim.telematik-test", 0, 0, NULL,
	    "domain suffixes of KIM addresses (label boundary)"},
	{"Listener", CT_OBJECT, OFF(listeners), NULL, 0, 0, conf_obj_listener,
	    "Listener <daemon_name> role=front|gate|inbound"},
	{"Card", CT_OBJECT, OFF(cards), NULL, 0, 0, conf_obj_card,
	    "Card <name> pool=<pool> backend=soft|pcsc <backend fields>"},
	/* policy (policy/, kim-milter-policy(5)) */
	{"PolicyDirectory", CT_PATH, OFF(policy_directory),
	    SYSCONFDIR "/kim-milter/policy.d", 0, 0, NULL,
	    "directory of the per-department policy files (*.conf)"},
	/* --- directory (lib/dir) --- */
	{"RedisURI", CT_STRING, OFF(redis_uri), NULL, 0, 0, NULL,
	    "redis://host[:port][/db] or unix:/path[?db=N]; unset: no cache"},
	{"RedisUser", CT_STRING, OFF(redis_user), NULL, 0, 0, NULL,
	    "Redis ACL user (AUTH user password)"},
	{"RedisPasswordFile", CT_PATH, OFF(redis_password_file), NULL, 0, 0,
	    NULL, "file holding the Redis password"},
	{"RedisTimeout", CT_DURATION, OFF(redis_timeout), "1s", 1, 10, NULL,
	    "connect and command timeout of Redis"},
	{"RedisRequired", CT_BOOL, OFF(redis_required), "no", 0, 1, NULL,
	    "Redis down: yes = directory unavailable, no = ask LDAP"},
	{"DirectoryURI", CT_STRING, OFF(dir_uri), NULL, 0, 0, NULL,
	    "LDAP URI(s) of the VZD (ldap://, ldaps://)"},
	{"DirectoryBase", CT_STRING, OFF(dir_base), "dc=data,dc=vzd", 0, 0,
	    NULL, "search base"},
	{"DirectoryBindDN", CT_STRING, OFF(dir_bind_dn), NULL, 0, 0, NULL,
	    "bind DN; unset: anonymous"},
	{"DirectoryBindPasswordFile", CT_PATH, OFF(dir_bind_password_file),
	    NULL, 0, 0, NULL, "file holding the bind password"},
	{"DirectoryStartTLS", CT_BOOL, OFF(dir_starttls), "no", 0, 1, NULL,
	    "StartTLS on ldap:// URIs"},
	{"DirectoryTLSCAFile", CT_PATH, OFF(dir_tls_ca_file), NULL, 0, 0,
	    NULL, "CA bundle for the LDAP server certificate"},
	{"DirectoryTLSCertFile", CT_PATH, OFF(dir_tls_cert_file), NULL, 0, 0,
	    NULL, "client certificate (PEM or DER)"},
	{"DirectoryTLSKeyFile", CT_PATH, OFF(dir_tls_key_file), NULL, 0, 0,
	    NULL, "client key (unencrypted PEM or DER)"},
	{"DirectoryTLSPKCS12File", CT_PATH, OFF(dir_tls_pkcs12_file), NULL, 0,
	    0, NULL, "client certificate and key as PKCS#12"},
	{"DirectoryTLSPKCS12PasswordFile", CT_PATH,
	    OFF(dir_tls_pkcs12_password_file), NULL, 0, 0, NULL,
	    "file holding the PKCS#12 password"},
	{"DirectoryTimeout", CT_DURATION, OFF(dir_timeout), "10s", 1, 25,
	    NULL, "upper bound of one directory lookup"},
	{"DirectoryConnectTimeout", CT_DURATION, OFF(dir_connect_timeout),
	    "3s", 1, 25, NULL, "TCP connect timeout to the VZD"},
	{"CacheTTL", CT_DURATION, OFF(cache_ttl), "12h", 60, 604800, NULL,
	    "lifetime of a cached directory entry"},
	{"NegativeCacheTTL", CT_DURATION, OFF(negative_cache_ttl), "1h", 10,
	    86400, NULL, "lifetime of a cached \"not found\""},
	{"CacheKeyFile", CT_PATH, OFF(cache_key_file), NULL, 0, 0, NULL,
	    "MAC key of the shared cache (same file on every relay)"},
	{"TrustAnchors", CT_PATH, OFF(trust_anchors), NULL, 0, 0, NULL,
	    "PEM bundle of TI CA certificates"},
	{"LocalKimAddresses", CT_LIST, OFF(local_kim_addresses), NULL, 0, 0,
	    NULL, "our own KIM addresses (never looked up as recipients)"},
	/* outbound at the gate */
	{"GateTimeout", CT_DURATION, OFF(gate_timeout), "4m", 10, 540, NULL,
	    "upper bound of the gate's end-of-message work (card, encryption)"},
	{"EncryptToAll", CT_BOOL, OFF(encrypt_to_all), "no", 0, 1, NULL,
	    "encrypt to every certificate of a party, not only its ECC ones"},
	{"EciesOID", CT_STRING, OFF(ecies_oid), "1.2.276.0.76.4.222", 0, 0,
	    NULL, "key transport OID of gematik ECIES in RecipientInfos"},
	/* outbound KIM route (issue 7) */
	{"ProviderRelay", CT_STRING, OFF(provider_relay), NULL, 0, 0, NULL,
	    "[host]:port of the KIM provider's submission (implicit TLS)"},
	/* inbound (issue 8): revocation of received messages' signers */
	{"RevocationCheck", CT_STRING, OFF(revocation_check), "soft", 0, 0,
	    NULL, "off, soft (unreachable: 07) or hard (unreachable: tempfail)"},
	{"OCSPResponder", CT_STRING, OFF(ocsp_responder), NULL, 0, 0, NULL,
	    "OCSP URL used instead of the certificate's AIA"},
	{"OCSPResponderCerts", CT_PATH, OFF(ocsp_responder_certs), NULL, 0, 0,
	    NULL, "PEM file of OCSP responder certificates trusted directly"},
	{"OCSPMaxAge", CT_DURATION, OFF(ocsp_max_age), "1d", 60, 2592000,
	    NULL, "oldest OCSP answer without nextUpdate still accepted"},
	{"OCSPTimeout", CT_DURATION, OFF(ocsp_timeout), "10s", 1, 60, NULL,
	    "upper bound of one OCSP request (connect, send, answer)"},
	/* CT_STRING: a CT_LIST is lower-cased (addresses), paths are not */
	{"CRLFiles", CT_STRING, OFF(crl_files), NULL, 0, 0, NULL,
	    "CRL files (PEM or DER) checked before OCSP"},
	{"InboundTimeout", CT_DURATION, OFF(inbound_timeout), "4m", 10, 540,
	    NULL, "upper bound of the inbound end-of-message work"},
};
const size_t conf_nkeys = sizeof(conf_keys) / sizeof(conf_keys[0]);

/* conf_strdup - strdup that reports ENOMEM in err */
static char *
conf_strdup(const char *s, struct buf *err)
{
	char *p = strdup(s);

	if (p == NULL)
		(void)buf_puts(err, "out of memory");
	return p;
}

/* parse_uint - decimal with bounds */
static int
parse_uint(const char *v, unsigned long min, unsigned long max,
    unsigned long *out, struct buf *err)
{
	char *end;
	unsigned long n;

	if (!isdigit((unsigned char)*v)) {
		(void)buf_printf(err, "\"%s\" is not a number", v);
		return -1;
	}
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end) {
		(void)buf_printf(err, "\"%s\" is not a number", v);
		return -1;
	}
	if (n < min || n > max) {
		(void)buf_printf(err, "%lu is out of range (%lu..%lu)", n, min,
		    max);
		return -1;
	}
	*out = n;
	return 0;
}

/* parse_duration - 30, 30s, 5m, 12h, 2d */
static int
parse_duration(const char *v, unsigned long min, unsigned long max,
    unsigned long *out, struct buf *err)
{
	char *end;
	unsigned long n, mul = 1;

	if (!isdigit((unsigned char)*v))
		goto bad;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno)
		goto bad;
	if (*end) {
		if (end[1])
			goto bad;
		switch (*end) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		default: goto bad;
		}
	}
	if (n > ULONG_MAX / mul)
		goto bad;
	n *= mul;
	if (n < min || n > max) {
		(void)buf_printf(err,
		    "%lu seconds is out of range (%lu..%lu seconds)", n, min,
		    max);
		return -1;
	}
	*out = n;
	return 0;
bad:
	(void)buf_printf(err,
	    "\"%s\" is not a duration (a number with s, m, h or d)", v);
	return -1;
}

/* conf_parse_bool - yes/no, true/false, on/off, 1/0; -1 for anything else */
int
conf_parse_bool(const char *v, int *out)
{
	static const char *yes[] = {"yes", "true", "on", "1"};
	static const char *no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

/* parse_bool - a boolean value, with the reason when it is none */
static int
parse_bool(const char *v, int *out, struct buf *err)
{
	if (conf_parse_bool(v, out) == 0)
		return 0;
	(void)buf_printf(err, "\"%s\" is not yes or no", v);
	return -1;
}

/* parse_facility - syslog facility by name */
static int
parse_facility(const char *v, int *out, struct buf *err)
{
	static const struct {
		const char *name;
		int fac;
	} fac[] = {
	    {"mail", LOG_MAIL}, {"daemon", LOG_DAEMON}, {"user", LOG_USER},
	    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
	    {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
	    {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
	    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
	};
	size_t i;

	for (i = 0; i < sizeof(fac) / sizeof(fac[0]); i++)
		if (strcasecmp(v, fac[i].name) == 0)
			return *out = fac[i].fac, 0;
	(void)buf_printf(err,
	    "unknown syslog facility \"%s\" (mail, daemon, user, local0..local7)",
	    v);
	return -1;
}

/* parse_loglevel - error, warning, info, debug */
static int
parse_loglevel(const char *v, int *out, struct buf *err)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	int i;

	for (i = 0; i < 4; i++)
		if (strcasecmp(v, names[i]) == 0)
			return *out = i, 0;
	(void)buf_printf(err,
	    "unknown log level \"%s\" (error, warning, info, debug)", v);
	return -1;
}

/* check_socket - inet:port@host, inet6:port@[addr] or local:/path */
static int
check_socket(const char *v, struct buf *err)
{
	const char *p, *at;
	unsigned long port;
	char *end;

	if (strncmp(v, "local:", 6) == 0 || strncmp(v, "unix:", 5) == 0) {
		p = strchr(v, ':') + 1;
		if (*p != '/') {
			(void)buf_printf(err,
			    "\"%s\": a local socket needs an absolute path", v);
			return -1;
		}
		return 0;
	}
	if (strncmp(v, "inet:", 5) == 0)
		p = v + 5;
	else if (strncmp(v, "inet6:", 6) == 0)
		p = v + 6;
	else
		goto bad;
	errno = 0;
	port = strtoul(p, &end, 10);
	if (end == p || errno || port == 0 || port > 65535)
		goto bad;
	at = end;
	if (*at == 0)
		return 0;
	if (*at != '@' || at[1] == 0)
		goto bad;
	if (v[4] == '6' && at[1] == '[' && at[strlen(at) - 1] != ']')
		goto bad;
	return 0;
bad:
	(void)buf_printf(err,
	    "\"%s\" is not a socket (inet:port@host, inet6:port@[addr], "
	    "local:/path)", v);
	return -1;
}

/* check_user - user[:group] must exist */
static int
check_user(const char *v, struct buf *err)
{
	char user[256];
	const char *colon = strchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : strlen(v);

	if (n == 0 || n >= sizeof(user)) {
		(void)buf_printf(err, "\"%s\" is not user[:group]", v);
		return -1;
	}
	memcpy(user, v, n);
	user[n] = 0;
	if (getpwnam(user) == NULL) {
		(void)buf_printf(err, "unknown user \"%s\"", user);
		return -1;
	}
	if (colon && getgrnam(colon + 1) == NULL) {
		(void)buf_printf(err, "unknown group \"%s\"", colon + 1);
		return -1;
	}
	return 0;
}

/* parse_list - comma- or blank-separated, lower-cased, no empties */
static int
parse_list(const char *v, char ***out, size_t *nout, struct buf *err)
{
	char **list = NULL, **nl;
	size_t n = 0;
	const char *p = v;

	while (*p) {
		const char *s;
		char *w;
		size_t i;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == 0)
			break;
		s = p;
		while (*p && *p != ',' && !isspace((unsigned char)*p))
			p++;
		nl = realloc(list, (n + 1) * sizeof(*list));
		if (nl == NULL || (w = strndup(s, (size_t)(p - s))) == NULL) {
			if (nl)
				list = nl;
			(void)buf_puts(err, "out of memory");
			goto fail;
		}
		list = nl;
		for (i = 0; w[i]; i++)
			w[i] = (char)tolower((unsigned char)w[i]);
		list[n++] = w;
	}
	if (n == 0) {
		(void)buf_puts(err, "empty list");
		goto fail;
	}
	*out = list;
	*nout = n;
	return 0;
fail:
	while (n)
		free(list[--n]);
	free(list);
	return -1;
}

/* conf_parse_value - parse one value into its field */
int
conf_parse_value(struct conf *c, const struct conf_key *k, const char *v,
    int line, struct buf *err)
{
	void *field = (char *)c + k->offset;
	unsigned long ul;
	int i;

	switch (k->type) {
	case CT_STRING:
	case CT_PATH:
	case CT_SOCKET:
	case CT_USER:
		if (k->type == CT_PATH && *v != '/') {
			(void)buf_printf(err, "\"%s\" is not an absolute path",
			    v);
			return -1;
		}
		if (k->type == CT_SOCKET && check_socket(v, err) < 0)
			return -1;
		if (k->type == CT_USER && check_user(v, err) < 0)
			return -1;
		{
			char *s = conf_strdup(v, err);

			if (s == NULL)
				return -1;
			free(*(char **)field);
			*(char **)field = s;
		}
		return 0;
	case CT_BOOL:
		return parse_bool(v, (int *)field, err);
	case CT_UINT:
		if (parse_uint(v, k->min, k->max, &ul, err) < 0)
			return -1;
		*(unsigned *)field = (unsigned)ul;
		return 0;
	case CT_DURATION:
		if (parse_duration(v, k->min, k->max, &ul, err) < 0)
			return -1;
		*(unsigned *)field = (unsigned)ul;
		return 0;
	case CT_MODE: {
		char *end;

		errno = 0;
		ul = strtoul(v, &end, 8);
		if (*v < '0' || *v > '7' || *end || errno || ul > k->max) {
			(void)buf_printf(err,
			    "\"%s\" is not an octal mode (e.g. 007)", v);
			return -1;
		}
		*(mode_t *)field = (mode_t)ul;
		return 0;
	}
	case CT_FACILITY:
		return parse_facility(v, (int *)field, err);
	case CT_LOGLEVEL:
		if (parse_loglevel(v, &i, err) < 0)
			return -1;
		*(int *)field = i;
		return 0;
	case CT_LIST: {
		char ***lp = (char ***)field;
		size_t *np = (size_t *)((char *)field + sizeof(char **));
		char **nl;
		size_t nn, j;

		if (parse_list(v, &nl, &nn, err) < 0)
			return -1;
		for (j = 0; j < *np; j++)
			free((*lp)[j]);
		free(*lp);
		*lp = nl;
		*np = nn;
		return 0;
	}
	case CT_OBJECT:
		return k->object(c, v, line, err);
	}
	return -1;
}

/* conf_free_value - release a field's memory */
void
conf_free_value(struct conf *c, const struct conf_key *k)
{
	void *field = (char *)c + k->offset;
	size_t j;

	switch (k->type) {
	case CT_STRING:
	case CT_PATH:
	case CT_SOCKET:
	case CT_USER:
		free(*(char **)field);
		*(char **)field = NULL;
		break;
	case CT_LIST: {
		char **l = *(char ***)field;
		size_t n = *(size_t *)((char *)field + sizeof(char **));

		for (j = 0; j < n; j++)
			free(l[j]);
		free(l);
		*(char ***)field = NULL;
		break;
	}
	default:
		break;
	}
}

/* conf_role_parse - role name to enum */
static enum conf_role
conf_role_parse(const char *v)
{
	if (strcasecmp(v, "front") == 0)
		return CONF_ROLE_FRONT;
	if (strcasecmp(v, "gate") == 0)
		return CONF_ROLE_GATE;
	if (strcasecmp(v, "inbound") == 0)
		return CONF_ROLE_INBOUND;
	return CONF_ROLE_NONE;
}

/* add_listener - append one listener name */
static int
add_listener(struct conf *c, const char *name, enum conf_role role,
    struct buf *err)
{
	struct conf_listener *nl;
	size_t i;

	for (i = 0; i < c->n_listeners; i++)
		if (strcmp(c->listeners[i].name, name) == 0) {
			(void)buf_printf(err,
			    "listener \"%s\" is already defined (as %s)", name,
			    conf_role_name(c->listeners[i].role));
			return -1;
		}
	nl = realloc(c->listeners, (c->n_listeners + 1) * sizeof(*nl));
	if (nl == NULL) {
		(void)buf_puts(err, "out of memory");
		return -1;
	}
	c->listeners = nl;
	if ((nl[c->n_listeners].name = conf_strdup(name, err)) == NULL)
		return -1;
	nl[c->n_listeners].role = role;
	c->n_listeners++;
	return 0;
}

/* conf_obj_listener - `Listener kimgate role=gate` */
static int
conf_obj_listener(struct conf *c, const char *v, int line, struct buf *err)
{
	char *name = NULL;
	struct conf_field *f = NULL;
	size_t n = 0, i;
	enum conf_role role = CONF_ROLE_NONE;
	int rc = -1;

	if (conf_split_fields(v, &name, &f, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(f[i].key, "role") == 0) {
			role = conf_role_parse(f[i].value);
			if (role == CONF_ROLE_NONE) {
				(void)buf_printf(err,
				    "listener \"%s\": unknown role \"%s\" "
				    "(front, gate or inbound)", name,
				    f[i].value);
				goto out;
			}
		} else {
			(void)buf_printf(err,
			    "listener \"%s\": unknown field \"%s\" (only role=)",
			    name, f[i].key);
			goto out;
		}
	}
	if (role == CONF_ROLE_NONE) {
		(void)buf_printf(err,
		    "listener \"%s\": role= is missing (front, gate or inbound)",
		    name);
		goto out;
	}
	for (i = 0; name[i]; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("-_.", name[i])) {
			(void)buf_printf(err,
			    "listener \"%s\": a daemon name has only letters, "
			    "digits, '-', '_' and '.'", name);
			goto out;
		}
	rc = add_listener(c, name, role, err);
out:
	free(name);
	conf_fields_free(f, n);
	return rc;
}

/* conf_obj_card - `Card smcb1 pool=klinikum backend=soft ...` */
static int
conf_obj_card(struct conf *c, const char *v, int line, struct buf *err)
{
	struct conf_card card, *nc;
	size_t i;

	memset(&card, 0, sizeof(card));
	if (conf_split_fields(v, &card.name, &card.fields, &card.nfields,
	    err) < 0)
		return -1;
	card.line = line;
	for (i = 0; i < c->n_cards; i++)
		if (strcmp(c->cards[i].name, card.name) == 0) {
			(void)buf_printf(err,
			    "card \"%s\" is already defined at line %d",
			    card.name, c->cards[i].line);
			goto fail;
		}
	card.pool = (char *)conf_card_field(&card, "pool");
	card.backend = (char *)conf_card_field(&card, "backend");
	if (card.pool == NULL) {
		(void)buf_printf(err, "card \"%s\": pool= is missing",
		    card.name);
		goto fail;
	}
	if (card.backend == NULL ||
	    (strcmp(card.backend, "soft") != 0 &&
	    strcmp(card.backend, "pcsc") != 0)) {
		(void)buf_printf(err,
		    "card \"%s\": backend= must be soft or pcsc", card.name);
		goto fail;
	}
	nc = realloc(c->cards, (c->n_cards + 1) * sizeof(*nc));
	if (nc == NULL) {
		(void)buf_puts(err, "out of memory");
		goto fail;
	}
	c->cards = nc;
	c->cards[c->n_cards++] = card;
	return 0;
fail:
	free(card.name);
	conf_fields_free(card.fields, card.nfields);
	return -1;
}

/* conf_card_field - a field's value */
const char *
conf_card_field(const struct conf_card *card, const char *key)
{
	size_t i;

	for (i = 0; i < card->nfields; i++)
		if (strcmp(card->fields[i].key, key) == 0)
			return card->fields[i].value;
	return NULL;
}

/* conf_apply_object_defaults - the three default listener names */
int
conf_apply_object_defaults(struct conf *c)
{
	struct buf err = BUF_INIT;
	int rc = 0;

	if (c->n_listeners == 0 &&
	    (add_listener(c, "kimfront", CONF_ROLE_FRONT, &err) < 0 ||
	    add_listener(c, "kimgate", CONF_ROLE_GATE, &err) < 0 ||
	    add_listener(c, "kiminbound", CONF_ROLE_INBOUND, &err) < 0))
		rc = -1;
	buf_free(&err);
	return rc;
}
