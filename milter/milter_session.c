/*
 * milter_session.c - a transaction's life: its configuration, the one log
 * line per message, the counters.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "milter.h"
#include "msg.h"

/* session_begin - take the current configuration for this transaction */
void
session_begin(struct session *s)
{
	if (s->in_txn)
		session_end(s, "abort", NULL);
	s->conf = state_conf();
	s->role = conf_role_of(s->conf, s->daemon_name[0] ? s->daemon_name :
	    NULL);
	s->in_txn = 1;
	s->nrcpt = 0;
	s->queue_id[0] = 0;
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	state_active(1);
	state_count(s->role, ST_TRANSACTIONS);
}

/* session_end - the one log line per message */
void
session_end(struct session *s, const char *decision, const char *reason)
{
	struct timespec t1;
	double secs;

	if (!s->in_txn)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - s->t0.tv_sec) +
	    (double)(t1.tv_nsec - s->t0.tv_nsec) / 1e9;
	if (strcmp(decision, "accept") == 0)
		state_count(s->role, ST_ACCEPT);
	else if (strcmp(decision, "tempfail") == 0)
		state_count(s->role, ST_TEMPFAIL);
	else if (strcmp(decision, "reject") == 0)
		state_count(s->role, ST_REJECT);
	msg_info("%s: role=%s listener=%s client=%s rcpts=%lu decision=%s%s%s%s "
	    "time=%.3fs", s->queue_id[0] ? s->queue_id : "NOQUEUE",
	    conf_role_name(s->role), s->daemon_name[0] ? s->daemon_name : "-",
	    s->client[0] ? s->client : "-", s->nrcpt, decision,
	    reason ? " reason=\"" : "", reason ? reason : "",
	    reason ? "\"" : "", secs);
	conf_unref(s->conf);
	s->conf = NULL;
	s->in_txn = 0;
	state_active(-1);
}
