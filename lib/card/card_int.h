/*
 * card_int.h - what the card backends share inside lib/card.
 */
#ifndef KIM_CARD_INT_H
#define KIM_CARD_INT_H

#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "card.h"
#include "conf.h"

/* card_alloc - a card with ops, a copy of name and impl; NULL on ENOMEM */
struct card *card_alloc(const struct card_ops *ops, const char *name,
    void *impl);

/* card_deadline_passed - 1 when deadline (may be NULL: none) is over */
int card_deadline_passed(const struct timespec *deadline);

/*
 * card_ssl_why - the one place that turns OpenSSL's error queue into text:
 * appends "what: reason" to why (may be NULL) and clears the queue.
 */
void card_ssl_why(struct buf *why, const char *what);

/*
 * card_file_read_secret - read a key, PKCS#12 or pass file into out
 * (caller wipes). With require_safe, refuse a file that group or others may
 * access, naming the chmod to run. Returns 0, or CARD_E_CONFIG with a
 * reason in why.
 */
int card_file_read_secret(const char *path, int require_safe,
    struct buf *out, struct buf *why);

/* card_file_read - read a public file (certificate) into out */
int card_file_read(const char *path, struct buf *out, struct buf *why);

/* backends */
struct card *card_soft_open(const struct conf_card *cc, struct buf *why);
struct card *card_pcsc_open(const struct conf_card *cc, struct buf *why);

#endif
