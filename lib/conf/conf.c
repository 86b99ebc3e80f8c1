/*
 * conf.c - load kim-milter.conf into an immutable, reference-counted conf.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf_int.h"

struct load_state {
	struct conf *conf;
	const char *path;
	struct buf *diag;
	int *seen;		/* line where each scalar key was set */
};

/* conf_alloc - a conf with every default applied */
static struct conf *
conf_alloc(struct buf *diag)
{
	struct conf *c = calloc(1, sizeof(*c));
	size_t i;

	if (c == NULL) {
		(void)buf_puts(diag, "out of memory\n");
		return NULL;
	}
	c->refs = 1;
	c->loaded_at = time(NULL);
	for (i = 0; i < conf_nkeys; i++) {
		struct buf err = BUF_INIT;

		if (conf_keys[i].def == NULL)
			continue;
		if (conf_parse_value(c, &conf_keys[i], conf_keys[i].def, 0,
		    &err) < 0) {
			/* a bad built-in default is a bug; say which */
			(void)buf_printf(diag, "built-in default of %s: %s\n",
			    conf_keys[i].name, buf_str(&err));
			buf_free(&err);
			conf_unref(c);
			return NULL;
		}
		buf_free(&err);
	}
	return c;
}

/* conf_line - handle one `Key value` line */
static int
conf_line(const char *key, const char *value, int line, void *arg)
{
	struct load_state *st = arg;
	struct buf err = BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < conf_nkeys; i++)
		if (strcasecmp(conf_keys[i].name, key) == 0)
			break;
	if (i == conf_nkeys) {
		(void)buf_printf(st->diag,
		    "%s:%d: unknown key \"%s\" (see kim-milter.conf(5))\n",
		    st->path, line, key);
		return 1;
	}
	if (conf_keys[i].type != CT_OBJECT) {
		if (st->seen[i]) {
			(void)buf_printf(st->diag,
			    "%s:%d: %s is already set at line %d\n", st->path,
			    line, conf_keys[i].name, st->seen[i]);
			return 1;
		}
		st->seen[i] = line;
	}
	if (conf_parse_value(st->conf, &conf_keys[i], value, line, &err) < 0) {
		(void)buf_printf(st->diag, "%s:%d: %s: %s\n", st->path, line,
		    conf_keys[i].name, buf_str(&err));
		rc = 1;
	}
	buf_free(&err);
	return rc;
}

/* conf_load - read and validate */
struct conf *
conf_load(const char *path, struct buf *diag)
{
	struct load_state st;
	int problems;

	memset(&st, 0, sizeof(st));
	if ((st.seen = calloc(conf_nkeys, sizeof(int))) == NULL) {
		(void)buf_puts(diag, "out of memory\n");
		return NULL;
	}
	if ((st.conf = conf_alloc(diag)) == NULL) {
		free(st.seen);
		return NULL;
	}
	st.path = path;
	st.diag = diag;
	if ((st.conf->path = strdup(path)) == NULL) {
		(void)buf_puts(diag, "out of memory\n");
		goto fail;
	}
	problems = conf_lex_file(path, conf_line, &st, diag);
	if (problems != 0)
		goto fail;
	if (conf_apply_object_defaults(st.conf) < 0) {
		(void)buf_puts(diag, "out of memory\n");
		goto fail;
	}
	free(st.seen);
	return st.conf;
fail:
	free(st.seen);
	conf_unref(st.conf);
	return NULL;
}

/* conf_defaults - defaults only */
struct conf *
conf_defaults(void)
{
	struct buf diag = BUF_INIT;
	struct conf *c = conf_alloc(&diag);

	if (c && conf_apply_object_defaults(c) < 0) {
		conf_unref(c);
		c = NULL;
	}
	buf_free(&diag);
	return c;
}

/* conf_ref - take a reference */
struct conf *
conf_ref(struct conf *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_SEQ_CST);
	return c;
}

/* conf_unref - drop a reference */
void
conf_unref(struct conf *c)
{
	size_t i;

	if (c == NULL || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_SEQ_CST) > 0)
		return;
	for (i = 0; i < conf_nkeys; i++)
		conf_free_value(c, &conf_keys[i]);
	for (i = 0; i < c->n_listeners; i++)
		free(c->listeners[i].name);
	free(c->listeners);
	for (i = 0; i < c->n_cards; i++) {
		free(c->cards[i].name);
		conf_fields_free(c->cards[i].fields, c->cards[i].nfields);
	}
	free(c->cards);
	free(c->path);
	free(c);
}

/* conf_role_of - role of a {daemon_name} */
enum conf_role
conf_role_of(const struct conf *c, const char *daemon_name)
{
	size_t i;

	if (daemon_name == NULL)
		return CONF_ROLE_NONE;
	for (i = 0; i < c->n_listeners; i++)
		if (strcmp(c->listeners[i].name, daemon_name) == 0)
			return c->listeners[i].role;
	return CONF_ROLE_NONE;
}

/* conf_role_name - printable role */
const char *
conf_role_name(enum conf_role r)
{
	switch (r) {
	case CONF_ROLE_FRONT: return "front";
	case CONF_ROLE_GATE: return "gate";
	case CONF_ROLE_INBOUND: return "inbound";
	default: return "none";
	}
}

/* conf_keys_each - enumerate the table */
void
conf_keys_each(void (*fn)(const char *key, void *arg), void *arg)
{
	size_t i;

	for (i = 0; i < conf_nkeys; i++)
		fn(conf_keys[i].name, arg);
}

/* conf_dump - effective values */
void
conf_dump(const struct conf *c, FILE *fp)
{
	static const char *levels[] = {"error", "warning", "info", "debug"};
	size_t i;

	fprintf(fp, "Socket %s\n", c->socket);
	fprintf(fp, "UserID %s\n", c->user ? c->user : "(unset)");
	fprintf(fp, "PidFile %s\n", c->pid_file ? c->pid_file : "(unset)");
	fprintf(fp, "UMask %03o\n", (unsigned)c->umask);
	fprintf(fp, "Syslog %s\n", c->syslog ? "yes" : "no");
	fprintf(fp, "LogLevel %s\n", levels[c->log_level & 3]);
	fprintf(fp, "Background %s\n", c->background ? "yes" : "no");
	fprintf(fp, "ControlSocket %s\n", c->control_socket);
	fprintf(fp, "DrainTimeout %us\n", c->drain_timeout);
	fprintf(fp, "KimDomains");
	for (i = 0; i < c->n_kim_domains; i++)
		fprintf(fp, "%s%s", i ? ", " : " ", c->kim_domains[i]);
	fprintf(fp, "\n");
	for (i = 0; i < c->n_listeners; i++)
		fprintf(fp, "Listener %s role=%s\n", c->listeners[i].name,
		    conf_role_name(c->listeners[i].role));
	for (i = 0; i < c->n_cards; i++)
		fprintf(fp, "Card %s pool=%s backend=%s\n", c->cards[i].name,
		    c->cards[i].pool, c->cards[i].backend);
	fprintf(fp, "PolicyDirectory %s\n", c->policy_directory);

	/* --- directory (lib/dir): file names only, never their contents --- */
#define DUMP_OPT(v) ((v) ? (v) : "(unset)")
	fprintf(fp, "RedisURI %s\n", DUMP_OPT(c->redis_uri));
	fprintf(fp, "RedisUser %s\n", DUMP_OPT(c->redis_user));
	fprintf(fp, "RedisPasswordFile %s\n", DUMP_OPT(c->redis_password_file));
	fprintf(fp, "RedisTimeout %us\n", c->redis_timeout);
	fprintf(fp, "RedisRequired %s\n", c->redis_required ? "yes" : "no");
	fprintf(fp, "DirectoryURI %s\n", DUMP_OPT(c->dir_uri));
	fprintf(fp, "DirectoryBase %s\n", DUMP_OPT(c->dir_base));
	fprintf(fp, "DirectoryBindDN %s\n", DUMP_OPT(c->dir_bind_dn));
	fprintf(fp, "DirectoryBindPasswordFile %s\n",
	    DUMP_OPT(c->dir_bind_password_file));
	fprintf(fp, "DirectoryStartTLS %s\n", c->dir_starttls ? "yes" : "no");
	fprintf(fp, "DirectoryTLSCAFile %s\n", DUMP_OPT(c->dir_tls_ca_file));
	fprintf(fp, "DirectoryTLSCertFile %s\n",
	    DUMP_OPT(c->dir_tls_cert_file));
	fprintf(fp, "DirectoryTLSKeyFile %s\n", DUMP_OPT(c->dir_tls_key_file));
	fprintf(fp, "DirectoryTLSPKCS12File %s\n",
	    DUMP_OPT(c->dir_tls_pkcs12_file));
	fprintf(fp, "DirectoryTLSPKCS12PasswordFile %s\n",
	    DUMP_OPT(c->dir_tls_pkcs12_password_file));
	fprintf(fp, "DirectoryTimeout %us\n", c->dir_timeout);
	fprintf(fp, "DirectoryConnectTimeout %us\n", c->dir_connect_timeout);
	fprintf(fp, "CacheTTL %us\n", c->cache_ttl);
	fprintf(fp, "NegativeCacheTTL %us\n", c->negative_cache_ttl);
	fprintf(fp, "CacheKeyFile %s\n", DUMP_OPT(c->cache_key_file));
	fprintf(fp, "TrustAnchors %s\n", DUMP_OPT(c->trust_anchors));
	fprintf(fp, "LocalKimAddresses%s",
	    c->n_local_kim_addresses ? "" : " (none)");
	for (i = 0; i < c->n_local_kim_addresses; i++)
		fprintf(fp, "%s%s", i ? ", " : " ", c->local_kim_addresses[i]);
	fprintf(fp, "\n");
#undef DUMP_OPT
}
