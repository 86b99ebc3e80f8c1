/*
 * milter_ctl.c - the daemon's side of the control socket: the commands
 * kimctl sends (status, reload, drain).
 */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include "ctl.h"
#include "milter.h"
#include "msg.h"

int milter_ctl_start(int fd);
void milter_ctl_stop(void);

static int ctl_fd = -1;
static pthread_t ctl_thread;

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
	buf_printf(err, "unknown command \"%s\" (this kim-milter knows "
	    "status, reload, drain)", cmd);
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
