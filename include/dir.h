/*
 * dir - "who is this KIM address?": the KIM directory (VZD over LDAP)
 * behind a shared, tamper-evident Redis cache.
 *
 * A struct dir is made once per loaded configuration (dir_open) and used
 * from any number of threads: dir_lookup is thread-safe. Concurrent
 * lookups of the same address that miss the cache make one LDAP query
 * (the others wait for its answer, up to their own deadline).
 *
 * The four answers are never confused: an outage (Redis required and down,
 * LDAP down, timeout) is DIR_UNAVAILABLE, never DIR_NOT_FOUND.
 *
 * Ownership: dir_lookup hands the caller a struct dir_result, freed with
 * dir_result_free; the X509 pointers inside belong to the result (take a
 * reference with X509_up_ref to keep one longer). They are shared, read
 * only, with other results and threads (the parsed-certificate cache,
 * dir_certcache.h): never modify one.
 */
#ifndef KIM_DIR_H
#define KIM_DIR_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "dir_cert.h"

enum dir_status {
	DIR_FOUND = 0,		/* entry with at least one usable certificate */
	DIR_UNUSABLE = 1,	/* entry, but no usable certificate: reason */
	DIR_NOT_FOUND = 2,	/* no entry for the address */
	DIR_UNAVAILABLE = 3,	/* cannot tell now: tempfail */
};

enum dir_source {
	DIR_SOURCE_NONE = 0,	/* no answer (unavailable) */
	DIR_SOURCE_CACHE,	/* from Redis, MAC verified */
	DIR_SOURCE_DIRECTORY,	/* from LDAP just now */
};

struct dir_result {
	enum dir_status status;
	enum dir_source source;
	time_t fetched_at;	/* when the directory gave this answer */
	char *address;		/* normalised (lower case) */
	char *telematik_id;	/* telematikID attribute, or NULL */
	char *display_name;	/* UTF-8 as published, or NULL */
	char *organization;	/* or NULL */
	char *kim_version;	/* "1.0", "1.5", "1.5+" (kimData/komLeData) */
	char *app_tags;		/* "eAU|..." from kimData, or NULL */
	struct dir_cert *certs;	/* every published certificate, with verdict */
	size_t ncerts;
	size_t nusable;		/* certs with reason DIR_CERT_OK */
	char reason[256];	/* one ASCII line for an SMTP reply or a log */
};

/* lookup flags */
#define DIR_LOOKUP_NOCACHE 0x01	/* neither read nor write the cache */
#define DIR_LOOKUP_REFRESH 0x02	/* skip the cache read, write the answer */

struct dir;

/*
 * dir_open - set up a directory from the configuration: loads TrustAnchors,
 * CacheKeyFile and the password files (call before dropping privileges),
 * starts the LDAP watchdog thread. No connection is made yet. NULL with a
 * reason in why on a configuration problem. A missing DirectoryURI is
 * allowed (every lookup is then DIR_UNAVAILABLE, logged once).
 */
struct dir *dir_open(const struct conf *c, struct buf *why);

/*
 * dir_lookup - look an address up. timeout_ms bounds the whole call (0:
 * DirectoryTimeout). Sets *res (always, unless memory runs out) and
 * returns its status, or -1 when memory runs out (treat as unavailable).
 */
int dir_lookup(struct dir *d, const char *address, unsigned timeout_ms,
    struct dir_result **res);
/* dir_lookup_flags - dir_lookup with DIR_LOOKUP_* flags (kimctl) */
int dir_lookup_flags(struct dir *d, const char *address, int flags,
    unsigned timeout_ms, struct dir_result **res);

/* dir_is_local - is the address one of LocalKimAddresses? */
int dir_is_local(const struct dir *d, const char *address);

/* dir_set_clock - fixed "now" for certificate dates (tests); 0 = real */
void dir_set_clock(struct dir *d, time_t now);

/* dir_ldap_queries - LDAP searches made so far (tests, statistics) */
unsigned long dir_ldap_queries(const struct dir *d);

/* dir_status_name - "found", "unusable", "not-found", "unavailable" */
const char *dir_status_name(enum dir_status s);

/*
 * dir_result_finish - the read-time verdict of a result: certificate dates
 * at now, one Telematik-ID per address, nusable, status and reason (a
 * DIR_NOT_FOUND or DIR_UNAVAILABLE status is kept). dir_lookup does this;
 * kimctl uses it for entries it reads from the cache itself.
 */
void dir_result_finish(struct dir_result *r, time_t now);
/* dir_result_free - accepts NULL */
void dir_result_free(struct dir_result *r);
/* dir_result_dup - deep copy; NULL when memory runs out */
struct dir_result *dir_result_dup(const struct dir_result *r);

/*
 * dir_known - for the policy lint (policy_dir_known_fn, arg = struct dir):
 * 1 when the directory has a usable entry for the address, 0 when it has
 * none or an unusable one (the reason in err), -1 when it cannot be asked
 * (reason in err).
 */
int dir_known(const char *address, void *dir, struct buf *err);

/* dir_close - stop the watchdog, close connections, wipe keys; accepts NULL */
void dir_close(struct dir *d);

#endif
