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

/* card_ecdsa_der - append r||s (64 bytes) as DER ECDSA-Sig-Value */
int card_ecdsa_der(const unsigned char *rs, size_t len, struct buf *out);

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

/*
 * card_file_read_pin - read a PIN file that only we (mode 0600) or root and
 * our group (root-owned, 0640) may read; else CARD_E_CONFIG with the
 * chmod/chown to run.
 */
int card_file_read_pin(const char *path, struct buf *out, struct buf *why);

/* card_file_read - read a public file (certificate) into out */
int card_file_read(const char *path, struct buf *out, struct buf *why);

/*
 * A job for a card's worker thread. The caller fills op and in, the
 * backend's exec function fills out, why and returns the result.
 */
struct card_job {
	int op;			/* backend-defined */
	int alg;
	struct buf in;		/* wiped on free */
	struct buf out;		/* wiped on free */
	struct buf why;
	int rc;
	int done;		/* under the worker's lock */
	int refs;		/* atomic */
};

struct card_worker;

/* card_worker_new - a thread that runs exec(impl, job) for each job */
struct card_worker *card_worker_new(int (*exec)(void *, struct card_job *),
    void *impl);
/*
 * card_worker_free - stop the thread; accepts NULL. -1 when the thread is
 * stuck in a hung card and was left behind: the backend state it uses
 * must then not be freed.
 */
int card_worker_free(struct card_worker *w);
/* card_job_new - a job for op; the caller frees it with card_job_free */
struct card_job *card_job_new(int op);
void card_job_free(struct card_job *job);
/*
 * card_worker_run - run job before deadline, calling progress on this
 * thread meanwhile: the job's result, CARD_E_BUSY (card stayed busy) or
 * CARD_E_TIMEOUT (job still running; its results must not be used).
 */
int card_worker_run(struct card_worker *w, struct card_job *job,
    const struct timespec *deadline, card_progress_fn progress, void *arg);

/* backends */
struct card *card_soft_open(const struct conf_card *cc, struct buf *why);
struct card *card_pcsc_open(const struct conf_card *cc, struct buf *why);

#endif
