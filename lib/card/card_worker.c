/*
 * card_worker.c - one thread per card that does the card's work, so that a
 * caller can give up at its deadline even when the card (or pcscd) hangs:
 * pcsc-lite blocks SCardTransmit forever on a hung card.
 *
 * A card serves one job at a time. A caller waits for the card to be free,
 * then for its job, calling its progress callback on its own thread at
 * least every CARD_PROGRESS_INTERVAL_MS. A job that the caller gave up on
 * still runs to its end on the worker; whoever finishes last frees it.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "card.h"
#include "card_int.h"

struct card_worker {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int started;
	int stop;
	int (*exec)(void *impl, struct card_job *job);
	void *impl;
	struct card_job *cur;	/* the job on the card, or NULL */
	int running;		/* cur has been taken by the thread */
};

/* card_job_unref - drop one reference; the last frees */
static void
card_job_unref(struct card_job *job)
{
	if (__atomic_sub_fetch(&job->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	buf_wipe(&job->in);
	buf_wipe(&job->out);
	buf_free(&job->why);
	free(job);
}

/* card_worker_main - take jobs until told to stop */
static void *
card_worker_main(void *arg)
{
	struct card_worker *w = arg;
	struct card_job *job;
	int rc;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && (w->cur == NULL || w->running))
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		job = w->cur;
		w->running = 1;
		pthread_mutex_unlock(&w->mu);
		rc = w->exec(w->impl, job);
		pthread_mutex_lock(&w->mu);
		job->rc = rc;
		job->done = 1;
		w->cur = NULL;
		w->running = 0;
		card_job_unref(job);
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* card_worker_new - start the thread */
struct card_worker *
card_worker_new(int (*exec)(void *, struct card_job *), void *impl)
{
	struct card_worker *w;
	pthread_condattr_t ca;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->exec = exec;
	w->impl = impl;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	/* deadlines are CLOCK_REALTIME (card_deadline): the default */
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&w->thread, NULL, card_worker_main, w) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	w->started = 1;
	return w;
}

/*
 * card_worker_free - stop the thread. A thread stuck in a hung card is
 * left behind (detached) after a short wait rather than blocking the
 * caller: then -1, and the caller must leave the backend state that the
 * thread uses alone (it leaks, which beats a use after free).
 */
int
card_worker_free(struct card_worker *w)
{
	struct timespec dl;

	if (w == NULL)
		return 0;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	card_deadline(&dl, 3000);
	if (pthread_timedjoin_np(w->thread, NULL, &dl) != 0) {
		pthread_detach(w->thread);
		return -1;	/* w leaks with the stuck thread: it uses it */
	}
	if (w->cur != NULL)
		card_job_unref(w->cur);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return 0;
}

/* card_job_new - a job with one reference (the caller's) */
struct card_job *
card_job_new(int op)
{
	struct card_job *job;

	if ((job = calloc(1, sizeof(*job))) == NULL)
		return NULL;
	job->op = op;
	job->refs = 1;
	return job;
}

/* card_job_free - the caller is done with a job it did not submit */
void
card_job_free(struct card_job *job)
{
	if (job != NULL)
		card_job_unref(job);
}

/* card_worker_wait - a timed wait that keeps the progress callback going */
static int
card_worker_wait(struct card_worker *w, const struct timespec *deadline,
    card_progress_fn progress, void *arg)
{
	struct timespec slice, *until;
	int rc;

	card_deadline(&slice, CARD_PROGRESS_INTERVAL_MS / 2);
	until = deadline != NULL && (deadline->tv_sec < slice.tv_sec ||
	    (deadline->tv_sec == slice.tv_sec &&
	    deadline->tv_nsec < slice.tv_nsec)) ? (struct timespec *)deadline :
	    &slice;
	rc = pthread_cond_timedwait(&w->cv, &w->mu, until);
	if (rc == ETIMEDOUT && until == &slice && progress != NULL) {
		/* never call out with the lock held */
		pthread_mutex_unlock(&w->mu);
		progress(arg);
		pthread_mutex_lock(&w->mu);
	}
	return card_deadline_passed(deadline) ? -1 : 0;
}

/*
 * card_worker_run - run job on the card before deadline. Returns the
 * job's result, CARD_E_BUSY when the card stayed busy with other work, or
 * CARD_E_TIMEOUT when the job did not finish in time. The job is the
 * caller's again afterwards (card_job_free), except its results are only
 * valid when the call returned the job's own result.
 */
int
card_worker_run(struct card_worker *w, struct card_job *job,
    const struct timespec *deadline, card_progress_fn progress, void *arg)
{
	int rc;

	pthread_mutex_lock(&w->mu);
	while (w->cur != NULL) {
		if (card_worker_wait(w, deadline, progress, arg) < 0) {
			pthread_mutex_unlock(&w->mu);
			return CARD_E_BUSY;
		}
	}
	__atomic_add_fetch(&job->refs, 1, __ATOMIC_ACQ_REL);
	w->cur = job;
	pthread_cond_broadcast(&w->cv);
	while (!job->done) {
		if (card_worker_wait(w, deadline, progress, arg) < 0 &&
		    !job->done) {
			pthread_mutex_unlock(&w->mu);
			return CARD_E_TIMEOUT;
		}
	}
	rc = job->rc;
	pthread_mutex_unlock(&w->mu);
	return rc;
}
