/*
 * ctl - the control protocol between kim-milter and kimctl.
 *
 * A unix stream socket, owner-only. The client sends one request line
 * (`command [args]`, at most CTL_LINE_MAX bytes, LF-terminated); the server
 * answers with a status line, `OK` or `ERR <text>`, then any number of body
 * lines, and closes the connection. Commands are added by registering
 * handlers (see milter/milter_ctl.c); the protocol itself never changes.
 */
#ifndef KIM_CTL_H
#define KIM_CTL_H

#include <sys/types.h>

#include "buf.h"

#define CTL_LINE_MAX 4096

/*
 * handler: gets the command word and the rest of the line, appends the body
 * to out; returns 0 for OK or -1 for ERR with the text in err.
 */
typedef int (*ctl_handler_fn)(const char *cmd, const char *args,
    struct buf *out, struct buf *err, void *arg);

/*
 * ctl_listen - create the socket (removing a stale one), mode 0600, owned
 * by uid:gid when uid is not (uid_t)-1. Returns the listening fd or -1 with
 * the reason in why.
 */
int ctl_listen(const char *path, uid_t uid, gid_t gid, struct buf *why);

/*
 * ctl_serve - accept and answer requests until ctl_stop; run it on a thread
 * of its own. Each client gets timeout_ms to send its line. Returns when the
 * listening fd is closed by ctl_stop.
 */
void ctl_serve(int fd, ctl_handler_fn fn, void *arg, int timeout_ms);
/* ctl_stop - make ctl_serve return */
void ctl_stop(int fd);

/*
 * ctl_request - send one request and collect the body in reply. Returns 0
 * for OK, 1 for ERR (text in why), -1 when the daemon cannot be reached
 * (reason in why).
 */
int ctl_request(const char *path, const char *line, struct buf *reply,
    int timeout_ms, struct buf *why);

#endif
