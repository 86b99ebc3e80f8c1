/*
 * dir_int.h - what the files of lib/dir share (private to lib/dir).
 */
#ifndef KIM_DIR_INT_H
#define KIM_DIR_INT_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "dir.h"
#include "dir_certcache.h"

/* --- dir_util.c: monotonic deadlines, secret files --- */

/* dir_deadline - now (CLOCK_MONOTONIC) plus ms */
void dir_deadline(struct timespec *ts, unsigned ms);
/* dir_ms_left - milliseconds until the deadline, 0 when past */
long dir_ms_left(const struct timespec *deadline);



/*
 * dir_secret_read - read a secret file into out (first line when text is
 * set, else the whole file). Refuses a file that others may read. 0, or -1
 * with a reason in why. Wipe out with buf_wipe.
 */
int dir_secret_read(const char *path, int text, struct buf *out,
    struct buf *why);

/* --- dir_result.c: results --- */

/* dir_result_new - an empty result for an address; NULL on ENOMEM */
struct dir_result *dir_result_new(const char *address);
/*
 * dir_result_add_der - append one certificate (parsed, unchecked), from
 * the parsed-certificate cache cc when it has these bytes (cc may be NULL)
 */
int dir_result_add_der(struct dir_result *r, const unsigned char *der,
    size_t len, struct dir_certcache *cc);
/* dir_result_set - replace a string field with a sanitised copy */
int dir_result_set(char **field, const char *value, size_t len);
/* dir_result_unavailable - set status, source and reason for an outage */
void dir_result_unavailable(struct dir_result *r, const char *why);

/* --- dir_ldap.c: the VZD over LDAP --- */

struct dir_ldap;

/* dir_ldap_open - read the settings and secrets; no connection yet */
struct dir_ldap *dir_ldap_open(const struct conf *c, struct buf *why);
/*
 * dir_ldap_search - search (mail=address) under the base and fill r with
 * the entry's fields and certificates (parsed, not checked). Returns
 * DIR_FOUND when an entry exists, DIR_NOT_FOUND, or DIR_UNAVAILABLE with a
 * reason in why. Never runs past the deadline: a watchdog shuts the socket
 * down when libldap would (TLS handshake that never ends).
 */
int dir_ldap_search(struct dir_ldap *l, const char *address,
    const struct timespec *deadline, struct dir_result *r, struct buf *why);
/* dir_ldap_count - searches sent so far */
unsigned long dir_ldap_count(const struct dir_ldap *l);
/* dir_ldap_close - accepts NULL */
void dir_ldap_close(struct dir_ldap *l);



/* --- dir_entry.c: the cache entry text and its MAC --- */

/* dir_entry_encode - entry text ending in the MAC line; 0 or -1 */
int dir_entry_encode(const struct dir_result *r, const struct buf *key,
    struct buf *out);
/*
 * dir_entry_decode - 0 and *out; -1 forged/malformed (why); -2 ENOMEM.
 * Certificates come from cc when it has them (cc may be NULL).
 */
int dir_entry_decode(const char *address, const unsigned char *data,
    size_t len, const struct buf *key, struct dir_certcache *cc,
    struct dir_result **out, struct buf *why);
#endif
