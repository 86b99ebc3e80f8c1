/*
 * prov.h - the parts of the KIM provider stand-in (tests/provider/), a test
 * program, not part of kim-milter: kim-provider.c (options, TLS, listener,
 * log, spool) and prov_smtp.c (one SMTP session over TLS).
 */
#ifndef PROV_H
#define PROV_H

#include <stddef.h>

#include <openssl/ssl.h>

/* the largest message accepted (bytes of DATA after unstuffing) */
#define PROV_MAX_MSG	(64UL * 1024 * 1024)

/* one `user password` line of the users file */
struct prov_user {
	char	*name;
	char	*password;
};

/* what the options say; set up once in main, read-only in the children */
struct prov_conf {
	const char *spooldir;		/* -d */
	struct prov_user *users;	/* -u */
	size_t	nusers;
	char	**refuse_rcpt;		/* -r, may repeat */
	size_t	nrefuse;
	int	data_code;		/* -x: 0 or the code for every DATA end */
	int	timeout;		/* -t: seconds per read */
	char	hostname[256];		/* the greeting's name */
};

/* one accepted message, as prov_spool_store writes it */
struct prov_msg {
	const char *auth;		/* AUTH user */
	const char *from;		/* MAIL FROM address */
	char	**rcpt;			/* RCPT TO addresses */
	size_t	nrcpt;
	const char *cert;		/* client certificate subject or NULL */
	const char *data;		/* DATA bytes after dot-unstuffing */
	size_t	len;
};

/* kim-provider.c */
void	prov_log(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
int	prov_spool_store(const struct prov_conf *, const struct prov_msg *,
	    char *id, size_t idlen);

/* prov_smtp.c: run one session on an established TLS connection */
void	prov_smtp_session(const struct prov_conf *, SSL *, const char *cert);

/* prov_hdr.c: the address of the one From header */
int	prov_from_address(const char *data, size_t len, char *out,
	    size_t outlen);

#endif
