/*
 * milter_ctl.c - the daemon's side of the control socket: the commands
 * kimctl sends (status, reload, drain, card-status [NAME], card-enable
 * NAME). The card commands answer from the current runtime's card pools:
 * while the daemon runs it holds the PC/SC cards, so kimctl asks it
 * instead of opening a second handle of its own.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include "card.h"
#include "card_pool.h"
#include "ctl.h"
#include "milter.h"
#include "msg.h"

int milter_ctl_start(int fd);
void milter_ctl_stop(void);

static int ctl_fd = -1;
static pthread_t ctl_thread;

/* milter_ctl_card - card-status [NAME], card-enable NAME */
static int
milter_ctl_card(const char *cmd, const char *args, struct buf *out,
    struct buf *err)
{
	struct runtime *rt = state_runtime();
	const char *name = args != NULL && *args ? args : NULL;
	size_t i;
	int rc = -1, found = 0;

	if (strcmp(cmd, "card-status") == 0) {
		if (rt->conf->n_cards == 0)
			buf_printf(out, "no Card lines in %s\n", rt->conf->path);
		for (i = 0; i < rt->conf->n_cards; i++) {
			const struct conf_card *cc = &rt->conf->cards[i];

			if (name != NULL && strcmp(cc->name, name) != 0)
				continue;
			found = 1;
			if (card_pools_status(rt->cards, cc->name, out) !=
			    CARD_OK)
				buf_printf(out, "card %s (pool %s, backend %s): "
				    "not opened\n  cannot be used: see the "
				    "daemon's log or kim-milter -n\n", cc->name,
				    cc->pool ? cc->pool : "-",
				    cc->backend ? cc->backend : "-");
		}
		if (name != NULL && !found)
			buf_printf(err, "no card %s", name);
		else
			rc = 0;
		goto out;
	}
	if (name == NULL) {
		buf_puts(err, "usage: card-enable NAME");
		goto out;
	}
	if (card_pools_enable(rt->cards, name, err) == CARD_OK) {
		msg_info("card %s enabled through the control socket", name);
		buf_printf(out, "card %s is back in service\n", name);
		rc = 0;
	}
out:
	runtime_unref(rt);
	return rc;
}

/* milter_ctl_handle - dispatch one request */
static int
milter_ctl_handle(const char *cmd, const char *args, struct buf *out,
    struct buf *err, void *arg)
{
	if (strcmp(cmd, "status") == 0) {
		state_status(out);
		return 0;
	}
	if (strcmp(cmd, "reload") == 0) {
		msg_info("reload requested through the control socket");
		return state_reload(err);
	}
	if (strcmp(cmd, "drain") == 0) {
		if (state_drain(err) < 0)
			return -1;
		buf_printf(out, "draining: %ld transactions in flight\n",
		    state_active(0));
		return 0;
	}
	if (strcmp(cmd, "card-status") == 0 || strcmp(cmd, "card-enable") == 0)
		return milter_ctl_card(cmd, args, out, err);
	buf_printf(err, "unknown command \"%s\" (this kim-milter knows "
	    "status, reload, drain, card-status, card-enable)", cmd);
	return -1;
}

/* ctl_main - the control thread */
static void *
ctl_main(void *arg)
{
	ctl_serve(ctl_fd, milter_ctl_handle, NULL, 5000);
	return NULL;
}

/* milter_ctl_start - serve the control socket on a thread */
int
milter_ctl_start(int fd)
{
	ctl_fd = fd;
	return pthread_create(&ctl_thread, NULL, ctl_main, NULL) == 0 ? 0 : -1;
}

/* milter_ctl_stop - close the socket and wait for the thread */
void
milter_ctl_stop(void)
{
	if (ctl_fd >= 0) {
		ctl_stop(ctl_fd);
		pthread_join(ctl_thread, NULL);
		ctl_fd = -1;
	}
}
