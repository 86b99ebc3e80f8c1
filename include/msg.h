/*
 * msg - logging for kim-milter and kimctl.
 *
 * Five levels after Postfix (info, warn, error, fatal, panic) plus debug.
 * Output goes to syslog or, in the foreground, to stderr with a time stamp.
 * Thread-safe. Never pass message bodies, subjects or PINs to these
 * functions: the log is for queue IDs, addresses, sizes, decisions, timings.
 */
#ifndef KIM_MSG_H
#define KIM_MSG_H

#include <stdarg.h>

enum msg_level {
	MSG_LEVEL_ERROR = 0,
	MSG_LEVEL_WARN = 1,
	MSG_LEVEL_INFO = 2,
	MSG_LEVEL_DEBUG = 3,
};

/* msg_open - set the program name and destination; facility is LOG_MAIL etc. */
void msg_open(const char *ident, int use_syslog, int facility);
/* msg_set_level - drop messages above this level */
void msg_set_level(enum msg_level level);
enum msg_level msg_get_level(void);

void msg_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* msg_fatal - log and exit(1); for start-up code only, never in a callback */
void msg_fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void msg_vlog(enum msg_level level, const char *fmt, va_list ap);

#endif
