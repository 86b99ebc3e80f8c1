/*
 * dir_cache - the shared Redis cache of directory answers (hiredis).
 *
 * Key layout (schema version in the prefix; readable with redis-cli):
 *   kim:v1:addr:<address>   STRING  one entry (text, below), TTL CacheTTL
 *                                   (NegativeCacheTTL for "not found")
 *   kim:v1:key:<sha256>     SET     "<telematikID> <address>" for every
 *                                   address whose certificate carries the
 *                                   public key with this SPKI SHA-256;
 *                                   more than one Telematik-ID = key reuse
 *   kim:v1:stats            HASH    lookups, misses, forged, dir_errors
 * An entry is lines of "name value": kim-dir-entry 1, address, status
 * (found|notfound), fetched (Unix time), telematikID, displayName,
 * organization, kimVersion, appTags, one "cert <verdict> <base64 DER>" per
 * certificate (verdict of the write-time checks), and last "mac <hex>":
 * HMAC-SHA256 with the CacheKeyFile key over every byte before that line.
 *
 * Thread-safe: a small pool of connections. After a connection failure the
 * cache is not tried again for a second (DIR_CACHE_DOWN at once).
 */
#ifndef KIM_DIR_CACHE_H
#define KIM_DIR_CACHE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "dir.h"

#define DIR_CACHE_PREFIX "kim:v1:"
#define DIR_CACHE_KEY_INDEX_TTL (30 * 86400)

enum dir_cache_rc {
	DIR_CACHE_DOWN = -1,	/* Redis unreachable or failing */
	DIR_CACHE_HIT = 0,
	DIR_CACHE_MISS = 1,
	DIR_CACHE_FORGED = 2,	/* an entry whose MAC or layout is wrong */
};

struct dir_cache_stats {
	unsigned long long lookups, misses, forged, dir_errors;
	unsigned long long entries;
	time_t oldest;		/* fetch time of the oldest entry, 0 if none */
};

struct dir_cache;

/*
 * dir_cache_open - parse RedisURI, read CacheKeyFile (>= 32 bytes, not
 * readable by others) and RedisPasswordFile. No connection yet. NULL with
 * a reason in why.
 */
struct dir_cache *dir_cache_open(const struct conf *c, struct buf *why);
void dir_cache_close(struct dir_cache *dc);

/*
 * dir_cache_get - read and verify an address's entry. HIT: *out is a
 * result with status DIR_FOUND or DIR_NOT_FOUND (before the read-time
 * checks: call dir_result_finish), source DIR_SOURCE_CACHE. FORGED is
 * logged here; why says what failed on DOWN/FORGED.
 */
int dir_cache_get(struct dir_cache *dc, const char *address,
    struct dir_result **out, struct buf *why);
/* dir_cache_put - write an entry with its MAC; 0 or DIR_CACHE_DOWN */
int dir_cache_put(struct dir_cache *dc, const struct dir_result *r,
    unsigned ttl, struct buf *why);
/*
 * dir_cache_key_index - record each certificate's public key under the
 * entry's Telematik-ID; a key already seen under another Telematik-ID
 * gets static_reason DIR_CERT_KEY_REUSED here, and the other addresses'
 * entries are dropped so that they learn it too. 0 or DIR_CACHE_DOWN.
 */
int dir_cache_key_index(struct dir_cache *dc, struct dir_result *r,
    struct buf *why);
/* dir_cache_del - drop an address's entry; 1 dropped, 0 none, DOWN */
int dir_cache_del(struct dir_cache *dc, const char *address, struct buf *why);
/* dir_cache_purge_all - drop every kim:v1: key; count or DOWN */
long dir_cache_purge_all(struct dir_cache *dc, struct buf *why);
/* dir_cache_incr - count an event in kim:v1:stats (best effort) */
void dir_cache_incr(struct dir_cache *dc, const char *field);

/*
 * dir_cache_scan - call fn for every cached address matching glob (Redis
 * MATCH syntax; NULL = all). fn returns 0 to go on. 0 or DOWN.
 */
int dir_cache_scan(struct dir_cache *dc, const char *glob,
    int (*fn)(const char *address, void *arg), void *arg, struct buf *why);
/*
 * dir_cache_raw - an entry as stored, its remaining TTL (seconds), and
 * its verification: DIR_CACHE_HIT (MAC good; *out set when out is not
 * NULL), DIR_CACHE_MISS, DIR_CACHE_FORGED (why says what), DOWN.
 */
int dir_cache_raw(struct dir_cache *dc, const char *address,
    struct buf *raw, long *ttl, struct dir_result **out, struct buf *why);
/*
 * dir_cache_key_scan - call fn for every key-index set with its members
 * ("<telematikID> <address>"). 0 or DOWN.
 */
int dir_cache_key_scan(struct dir_cache *dc,
    int (*fn)(const char *fingerprint, char **members, size_t n, void *arg),
    void *arg, struct buf *why);
/* dir_cache_stats - counters and the entry count; 0 or DOWN */
int dir_cache_stats(struct dir_cache *dc, struct dir_cache_stats *st,
    struct buf *why);

#endif
