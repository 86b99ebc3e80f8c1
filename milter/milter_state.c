/*
 * milter_state.c - what the whole daemon shares: the current configuration
 * (swapped atomically on reload), counters, drain.
 */
#include "config.h"

#include <libmilter/mfapi.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "milter.h"
#include "msg.h"

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static struct runtime *state_current;
static char *state_path;
static time_t state_started;
static unsigned long state_counters[ST_NROLES][ST_NEVENTS];
static long state_inflight;
static int state_drain_flag;
static time_t state_drain_started;

/* state_init - install the first runtime */
void
state_init(struct runtime *rt, const char *path)
{
	state_current = rt;
	state_path = strdup(path);
	state_started = time(NULL);
	msg_set_level((enum msg_level)rt->conf->log_level);
}

/* state_runtime - a reference to the current runtime */
struct runtime *
state_runtime(void)
{
	struct runtime *rt;

	pthread_mutex_lock(&state_lock);
	rt = runtime_ref(state_current);
	pthread_mutex_unlock(&state_lock);
	return rt;
}

/* state_conf - a reference to the current configuration */
struct conf *
state_conf(void)
{
	struct conf *c;

	pthread_mutex_lock(&state_lock);
	c = conf_ref(state_current->conf);
	pthread_mutex_unlock(&state_lock);
	return c;
}

/* state_reload - replace the configuration, or keep the old one */
int
state_reload(struct buf *why)
{
	struct buf diag = BUF_INIT;
	struct runtime *rt, *old;

	rt = runtime_load(state_path, &diag);
	if (rt == NULL) {
		msg_error("reload of %s failed; keeping the configuration "
		    "and policies loaded before. Problems:", state_path);
		{
			char *line = (char *)diag.data, *nl;

			while (line && *line) {
				nl = strchr(line, '\n');
				if (nl)
					*nl = 0;
				msg_error("  %s", line);
				line = nl ? nl + 1 : NULL;
			}
		}
		buf_printf(why, "reload failed, old configuration kept (see "
		    "the log or run kim-milter -n -c %s)", state_path);
		buf_free(&diag);
		return -1;
	}
	buf_free(&diag);
	/* keys that only take effect at start: warn when they changed */
	pthread_mutex_lock(&state_lock);
	old = state_current;
	if (strcmp(old->conf->socket, rt->conf->socket) != 0 ||
	    strcmp(old->conf->control_socket, rt->conf->control_socket) != 0)
		msg_warn("reload: Socket and ControlSocket take effect only "
		    "after a restart");
	state_current = rt;
	pthread_mutex_unlock(&state_lock);
	msg_set_level((enum msg_level)rt->conf->log_level);
	msg_info("configuration and policies reloaded from %s", state_path);
	runtime_unref(old);	/* transactions in flight keep their ref */
	return 0;
}

/* state_count - bump a counter */
void
state_count(enum conf_role role, enum stat_event ev)
{
	if ((int)role < 0 || role >= ST_NROLES || ev >= ST_NEVENTS)
		return;
	__atomic_add_fetch(&state_counters[role][ev], 1, __ATOMIC_RELAXED);
}

/* state_active - transactions in flight */
long
state_active(long delta)
{
	return __atomic_add_fetch(&state_inflight, delta, __ATOMIC_SEQ_CST);
}

/* state_draining - are we draining? */
int
state_draining(void)
{
	return __atomic_load_n(&state_drain_flag, __ATOMIC_SEQ_CST);
}

/* drain_thread - stop the milter when idle or at DrainTimeout */
static void *
drain_thread(void *arg)
{
	struct conf *c = state_conf();
	time_t bound = state_drain_started + (time_t)c->drain_timeout;

	conf_unref(c);
	while (state_active(0) > 0 && time(NULL) < bound)
		usleep(100000);
	if (state_active(0) > 0)
		msg_warn("drain: %ld transactions still in flight at "
		    "DrainTimeout; stopping anyway (Postfix retries them)",
		    state_active(0));
	else
		msg_info("drain: idle; stopping");
	smfi_stop();
	return NULL;
}

/* state_drain - tempfail new work and stop when idle */
int
state_drain(struct buf *why)
{
	pthread_t t;

	if (__atomic_exchange_n(&state_drain_flag, 1, __ATOMIC_SEQ_CST)) {
		buf_puts(why, "already draining");
		return -1;
	}
	state_drain_started = time(NULL);
	msg_info("drain requested: new transactions get a tempfail; %ld in "
	    "flight", state_active(0));
	if (pthread_create(&t, NULL, drain_thread, NULL) != 0) {
		buf_puts(why, "cannot start the drain thread");
		return -1;
	}
	pthread_detach(t);
	return 0;
}

/* state_status - text for kimctl status */
void
state_status(struct buf *out)
{
	static const char *roles[ST_NROLES] = {"none", "front", "gate",
	    "inbound"};
	char when[64];
	struct tm tm;
	struct conf *c = state_conf();
	int r;

	localtime_r(&c->loaded_at, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	buf_printf(out, "version: %s\n", PACKAGE_VERSION);
	buf_printf(out, "pid: %ld\n", (long)getpid());
	buf_printf(out, "uptime: %lds\n", (long)(time(NULL) - state_started));
	buf_printf(out, "config: %s loaded %s\n", c->path ? c->path : "-",
	    when);
	buf_printf(out, "draining: %s\n", state_draining() ? "yes" : "no");
	buf_printf(out, "active: %ld\n", state_active(0));
	for (r = 0; r < ST_NROLES; r++)
		buf_printf(out, "role %s: transactions=%lu accept=%lu "
		    "tempfail=%lu reject=%lu headers=%lu body_chunks=%lu\n",
		    roles[r],
		    __atomic_load_n(&state_counters[r][ST_TRANSACTIONS], __ATOMIC_RELAXED),
		    __atomic_load_n(&state_counters[r][ST_ACCEPT], __ATOMIC_RELAXED),
		    __atomic_load_n(&state_counters[r][ST_TEMPFAIL], __ATOMIC_RELAXED),
		    __atomic_load_n(&state_counters[r][ST_REJECT], __ATOMIC_RELAXED),
		    __atomic_load_n(&state_counters[r][ST_HEADERS], __ATOMIC_RELAXED),
		    __atomic_load_n(&state_counters[r][ST_BODY_CHUNKS], __ATOMIC_RELAXED));
	conf_unref(c);
}

/* state_shutdown - release at exit */
void
state_shutdown(void)
{
	pthread_mutex_lock(&state_lock);
	runtime_unref(state_current);
	state_current = NULL;
	pthread_mutex_unlock(&state_lock);
	free(state_path);
	state_path = NULL;
}
