/*
 * msg.c - logging to syslog or stderr.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"

static const char *msg_ident = "kim-milter";
static int msg_syslog;
static enum msg_level msg_level = MSG_LEVEL_INFO;
static pthread_mutex_t msg_lock = PTHREAD_MUTEX_INITIALIZER;

/* msg_open - choose where messages go */
void
msg_open(const char *ident, int use_syslog, int facility)
{
	msg_ident = ident;
	msg_syslog = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

/* msg_set_level - set the highest level that is logged */
void
msg_set_level(enum msg_level level)
{
	msg_level = level;
}

/* msg_get_level - the current level */
enum msg_level
msg_get_level(void)
{
	return msg_level;
}

/* msg_vlog - format and emit one message */
void
msg_vlog(enum msg_level level, const char *fmt, va_list ap)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	static const char *tag[] = {"error: ", "warning: ", "", "debug: "};
	char line[2048];
	char *p;

	if (level > msg_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* one line per message: a stray newline would forge a log line */
	for (p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (msg_syslog) {
		syslog(prio[level], "%s%s", tag[level], line);
		return;
	}
	{
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		pthread_mutex_lock(&msg_lock);
		fprintf(stderr, "%s.%03ld %s[%ld]: %s%s\n", stamp,
		    ts.tv_nsec / 1000000, msg_ident, (long)getpid(), tag[level],
		    line);
		fflush(stderr);
		pthread_mutex_unlock(&msg_lock);
	}
}

#define MSG_FN(name, level)                                                    \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		msg_vlog(level, fmt, ap);                                      \
		va_end(ap);                                                    \
	}

MSG_FN(msg_debug, MSG_LEVEL_DEBUG)
MSG_FN(msg_info, MSG_LEVEL_INFO)
MSG_FN(msg_warn, MSG_LEVEL_WARN)
MSG_FN(msg_error, MSG_LEVEL_ERROR)

/* msg_fatal - log and exit; start-up code only */
void
msg_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(MSG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
