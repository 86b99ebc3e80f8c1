/*
 * conf - kim-milter.conf: one typed table of keys, loaded into an immutable,
 * reference-counted struct conf.
 *
 * The file is OpenDKIM-style: one `Key value` per line, `#` comments, keys
 * case-insensitive. Keys that describe several objects (listeners, cards) use
 * one line per object: `Key name field=value field="quoted value" ...`.
 *
 * conf_load never exits: every problem is appended to the caller's diag
 * buffer as "file:line: text" lines, and the function returns NULL when
 * there was any. A loaded conf is never modified; a reload loads a new one
 * and swaps it in (see milter_conf), transactions in flight keep theirs.
 */
#ifndef KIM_CONF_H
#define KIM_CONF_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"

enum conf_role {
	CONF_ROLE_NONE = 0,	/* unknown {daemon_name}: tempfail */
	CONF_ROLE_FRONT,
	CONF_ROLE_GATE,
	CONF_ROLE_INBOUND,
};

/* one `name=value` field of an object line */
struct conf_field {
	char *key;
	char *value;
};

/* a `Listener <daemon_name> role=front|gate|inbound` line */
struct conf_listener {
	char *name;
	enum conf_role role;
};

/* a `Card <name> pool=... backend=soft|pcsc ...` line, fields kept as read */
struct conf_card {
	char *name;
	char *pool;
	char *backend;
	struct conf_field *fields;	/* every field, pool and backend included */
	size_t nfields;
	int line;
};

struct conf {
	int refs;			/* atomic; see conf_ref/conf_unref */
	char *path;
	time_t loaded_at;

	char *socket;			/* Socket */
	char *user;			/* UserID (user[:group]) or NULL */
	char *pid_file;			/* PidFile or NULL */
	mode_t umask;			/* UMask */
	int syslog;			/* Syslog */
	int syslog_facility;		/* SyslogFacility (LOG_MAIL ...) */
	int log_level;			/* LogLevel (enum msg_level) */
	int background;			/* Background */
	char *control_socket;		/* ControlSocket */
	unsigned drain_timeout;		/* DrainTimeout, seconds */

	char **kim_domains;		/* KimDomains */
	size_t n_kim_domains;

	struct conf_listener *listeners; /* Listener lines, or the defaults */
	size_t n_listeners;

	struct conf_card *cards;	/* Card lines */
	size_t n_cards;

	/* policy (policy/, kim-milter-policy(5)) */
	char *policy_directory;		/* PolicyDirectory */
	/* --- directory (lib/dir): VZD over LDAP, Redis cache --- */
	char *redis_uri;		/* RedisURI or NULL (no cache) */
	char *redis_user;		/* RedisUser or NULL */
	char *redis_password_file;	/* RedisPasswordFile or NULL */
	unsigned redis_timeout;		/* RedisTimeout, seconds */
	int redis_required;		/* RedisRequired: down = UNAVAILABLE */
	char *dir_uri;			/* DirectoryURI or NULL */
	char *dir_base;			/* DirectoryBase */
	char *dir_bind_dn;		/* DirectoryBindDN or NULL (anonymous) */
	char *dir_bind_password_file;	/* DirectoryBindPasswordFile */
	int dir_starttls;		/* DirectoryStartTLS */
	char *dir_tls_ca_file;		/* DirectoryTLSCAFile */
	char *dir_tls_cert_file;	/* DirectoryTLSCertFile */
	char *dir_tls_key_file;		/* DirectoryTLSKeyFile */
	char *dir_tls_pkcs12_file;	/* DirectoryTLSPKCS12File */
	char *dir_tls_pkcs12_password_file; /* DirectoryTLSPKCS12PasswordFile */
	unsigned dir_timeout;		/* DirectoryTimeout, seconds */
	unsigned dir_connect_timeout;	/* DirectoryConnectTimeout, seconds */
	unsigned cache_ttl;		/* CacheTTL, seconds */
	unsigned negative_cache_ttl;	/* NegativeCacheTTL, seconds */
	char *cache_key_file;		/* CacheKeyFile */
	char *trust_anchors;		/* TrustAnchors or NULL */
	char **local_kim_addresses;	/* LocalKimAddresses */
	size_t n_local_kim_addresses;
	/* --- outbound at the gate (milter/gate_*.c) --- */
	unsigned gate_timeout;		/* GateTimeout, seconds */
	int encrypt_to_all;		/* EncryptToAll */
	char *ecies_oid;		/* EciesOID */
	/* outbound KIM route (issue 7, tools/kimctl_mta.c): the relay of the
	 * policies without their own ProviderRelay */
	char *provider_relay;		/* ProviderRelay [host]:port or NULL */
	/* --- inbound (issue 8, milter/inbound_*.c, lib/rev): revocation of
	 * the signer certificate of received KIM messages --- */
	char *revocation_check;		/* RevocationCheck off|soft|hard */
	char *ocsp_responder;		/* OCSPResponder URL or NULL (AIA) */
	char *ocsp_responder_certs;	/* OCSPResponderCerts PEM or NULL */
	unsigned ocsp_max_age;		/* OCSPMaxAge, seconds */
	unsigned ocsp_timeout;		/* OCSPTimeout, seconds */
	char *crl_files;		/* CRLFiles: paths, blank-separated */
	unsigned inbound_timeout;	/* InboundTimeout, seconds */
};

/* conf_load - read and validate a file; NULL and diag lines on any error */
struct conf *conf_load(const char *path, struct buf *diag);
/* conf_defaults - a conf with every default (no file); NULL on ENOMEM */
struct conf *conf_defaults(void);
/* conf_ref - take a reference */
struct conf *conf_ref(struct conf *c);
/* conf_unref - drop a reference; frees on the last; accepts NULL */
void conf_unref(struct conf *c);

/* conf_role_of - the role of a {daemon_name}, CONF_ROLE_NONE if unlisted */
enum conf_role conf_role_of(const struct conf *c, const char *daemon_name);
/* conf_role_name - "front", "gate", "inbound", "none" */
const char *conf_role_name(enum conf_role r);

/* conf_parse_bool - yes/no, true/false, on/off, 1/0 (policy files too) */
int conf_parse_bool(const char *v, int *out);

/* conf_card_field - a field of a Card line, or NULL */
const char *conf_card_field(const struct conf_card *card, const char *key);

/* conf_dump - print every key with its effective value (kim-milter -n -v) */
void conf_dump(const struct conf *c, FILE *fp);
/* conf_keys_each - call fn for every key name of the table (for docs tests) */
void conf_keys_each(void (*fn)(const char *key, void *arg), void *arg);

/*
 * conf_split_fields - split `name f=v f="v w" ...` into a name and fields.
 * Shared by object keys here and by the policy files. Returns 0, or -1 with a
 * reason in err. Caller frees with conf_fields_free.
 */
int conf_split_fields(const char *text, char **name, struct conf_field **fields,
    size_t *nfields, struct buf *err);
void conf_fields_free(struct conf_field *fields, size_t n);

/*
 * conf_lex_file - read a `Key value` file: calls fn(key, value, line, arg)
 * for each non-comment line; reports lexical problems to diag. Returns the
 * number of problems found, or -1 when the file cannot be read (reason in
 * diag). Shared with the policy files.
 */
int conf_lex_file(const char *path,
    int (*fn)(const char *key, const char *value, int line, void *arg),
    void *arg, struct buf *diag);

#endif
