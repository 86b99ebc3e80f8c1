/*
 * dir_certcache - parsed encryption certificates kept in memory, keyed by
 * the SHA-256 of their DER, so that a cache hit in Redis does not parse
 * the same certificates again (d2i_X509 and the SPKI fingerprint cost
 * ~0.2 ms each and take libcrypto's provider locks, which 8 threads
 * contend for).
 *
 * What is kept is only what follows from the DER alone (the X509, subject,
 * issuer, serial, dates, Telematik-ID, key type and fingerprints): a
 * function of the bytes, so sharing it cannot change a verdict. Verdicts
 * are not kept here; the caller sets them from the MAC-protected entry.
 *
 * Bounded: DIR_CERTCACHE_SLOTS slots, direct-mapped by the hash (a new
 * certificate replaces the one in its slot). Thread-safe (one mutex, held
 * for a copy, never across I/O). The X509 objects are shared by
 * reference (X509_up_ref), read-only.
 */
#ifndef KIM_DIR_CERTCACHE_H
#define KIM_DIR_CERTCACHE_H

#include <stddef.h>

#include "dir_cert.h"

#define DIR_CERTCACHE_SLOTS 1024

struct dir_certcache;

/* dir_certcache_new - an empty cache; NULL when memory runs out */
struct dir_certcache *dir_certcache_new(void);
/* dir_certcache_free - release every kept certificate; accepts NULL */
void dir_certcache_free(struct dir_certcache *cc);

/*
 * dir_certcache_get - like dir_cert_from_der (the caller owns *c and
 * releases it with dir_cert_clear), from the cache when these exact bytes
 * were parsed before. cc may be NULL (then it is dir_cert_from_der).
 * 0, or -1 when memory runs out.
 */
int dir_certcache_get(struct dir_certcache *cc, const unsigned char *der,
    size_t len, struct dir_cert *c);

/* dir_certcache_counts - hits and misses so far (tests, statistics) */
void dir_certcache_counts(struct dir_certcache *cc, unsigned long *hits,
    unsigned long *misses);

#endif
