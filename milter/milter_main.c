/*
 * milter_main.c - kim-milter: options, start-up, privileges, then serve.
 *
 * Order matters: load and check the configuration; detach; open the milter
 * socket and the control socket as the starting user; write the PID file;
 * drop to UserID; block SIGUSR1 before any thread starts (reload is waited
 * for on a thread of ours: libmilter's own signal thread stops the milter on
 * SIGHUP, SIGTERM and SIGINT); start the control thread; smfi_main.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libmilter/mfapi.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "conf.h"
#include "card_pool.h"
#include "ctl.h"
#include "dir.h"
#include "lint.h"
#include "milter.h"
#include "msg.h"
#include "policy.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONF SYSCONFDIR "/kim-milter/kim-milter.conf"
#define EX_CONFIG_ 78

extern struct smfiDesc milter_desc;
int milter_ctl_start(int fd);
void milter_ctl_stop(void);

/* usage - the synopsis */
static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: kim-milter [-c FILE] [-f] [-n] [-V]\n"
	    "  -c FILE  configuration file (default " DEFAULT_CONF ")\n"
	    "  -f       stay in the foreground and log to stderr\n"
	    "  -n       check the configuration, print every problem, exit\n"
	    "  -V       print the version\n"
	    "See kim-milter(8) and kim-milter.conf(5).\n");
}

/* print_diag - problems, one per line, to stderr */
static void
print_diag(const struct buf *diag)
{
	fputs(buf_str(diag), stderr);
}

/* check_config - kim-milter -n: every problem of the configuration, the
 * policies and the directory settings, file:line each; 0 when clean */
static int
check_config(const char *path)
{
	struct buf diag = BUF_INIT, notes = BUF_INIT;
	struct runtime *rt;
	int problems;

	msg_open("kim-milter", 0, 0);
	msg_set_level(MSG_LEVEL_ERROR);
	if ((rt = runtime_load(path, &diag)) == NULL) {
		print_diag(&diag);
		buf_free(&diag);
		return 1;
	}
	{
		struct policy_dir_check dc = {NULL, NULL,
		    "no directory configured (DirectoryURI is not set)", NULL,
		    NULL};
		struct lint_cards lc = {rt->conf, rt->dir};

		if (rt->conf->dir_uri) {
			dc.known = dir_known;
			dc.arg = rt->dir;
			dc.cards = lint_card_telematik;
			dc.card_arg = &lc;
		}
		problems = policy_lint(rt->policies, rt->conf, &dc, &diag,
		    &notes);
	}
	{
		/* a Card line the daemon would leave out is a problem here */
		struct buf why = BUF_INIT;
		struct card_pools *cp = card_pools_open(rt->conf, &why);

		if (cp == NULL) {
			buf_printf(&diag, "%s: Card: %s\n", path,
			    buf_str(&why));
			problems++;
		}
		card_pools_free(cp);
		buf_free(&why);
	}
	print_diag(&diag);
	if (notes.len)
		fputs(buf_str(&notes), stdout);
	if (problems == 0)
		printf("%s: configuration OK (%zu policies)\n", path,
		    policy_set_count(rt->policies));
	runtime_unref(rt);
	buf_free(&diag);
	buf_free(&notes);
	return problems ? 1 : 0;
}

/* resolve_user - uid and gid of user[:group] */
static int
resolve_user(const char *spec, uid_t *uid, gid_t *gid, char **name)
{
	char user[256];
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	struct passwd *pw;

	if (n >= sizeof(user))
		return -1;
	memcpy(user, spec, n);
	user[n] = 0;
	if ((pw = getpwnam(user)) == NULL)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (colon) {
		struct group *gr = getgrnam(colon + 1);

		if (gr == NULL)
			return -1;
		*gid = gr->gr_gid;
	}
	*name = strdup(user);
	return *name ? 0 : -1;
}

/* make_parent_dir - create the control socket's directory if missing */
static void
make_parent_dir(const char *path, uid_t uid, gid_t gid)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = 0;
	if (mkdir(dir, 0750) == 0 && uid != (uid_t)-1 &&
	    chown(dir, uid, gid) < 0)
		msg_warn("chown %s: %s", dir, strerror(errno));
}

/* write_pid - the PID file */
static int
write_pid(const char *path)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL) {
		msg_error("cannot write PID file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	return fclose(fp) == 0 ? 0 : -1;
}

/* detach - become a daemon (before any thread exists) */
static int
detach(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		return -1;
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

/* reload_thread - SIGUSR1 means reload */
static void *
reload_thread(void *arg)
{
	sigset_t *set = arg;

	for (;;) {
		struct buf why = BUF_INIT;
		int sig;

		if (sigwait(set, &sig) != 0)
			continue;
		msg_info("SIGUSR1: reloading the configuration");
		(void)state_reload(&why);
		buf_free(&why);
	}
	return NULL;
}

/* drop_privileges - to UserID for good */
static void
drop_privileges(const char *user, uid_t uid, gid_t gid)
{
	if (getuid() != 0 && geteuid() != 0) {
		if (geteuid() != uid)
			msg_fatal("UserID %s: only root can switch users", user);
		return;
	}
	if (initgroups(user, gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		msg_fatal("cannot switch to user %s: %s", user,
		    strerror(errno));
	if (uid != 0 && setuid(0) == 0)
		msg_fatal("privileges could be regained after dropping them");
}

int
main(int argc, char **argv)
{
	const char *path = DEFAULT_CONF;
	int foreground = 0, check_only = 0, ch, ctl_fd, rc;
	struct buf diag = BUF_INIT;
	struct conf *c;
	struct runtime *rt;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	char *user = NULL;
	static sigset_t usr1;
	pthread_t t;

	while ((ch = getopt(argc, argv, "c:fnVh")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'V':
			printf("kim-milter %s (libmilter %u.%u.%u)\n",
			    PACKAGE_VERSION, SM_LM_VRS_MAJOR(SMFI_VERSION),
			    SM_LM_VRS_MINOR(SMFI_VERSION),
			    SM_LM_VRS_PLVL(SMFI_VERSION));
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 64;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 64;
	}
	if (check_only)
		return check_config(path);
	c = conf_load(path, &diag);
	if (c == NULL) {
		print_diag(&diag);
		fprintf(stderr, "kim-milter: not started: fix %s (kim-milter "
		    "-n -c %s lists every problem)\n", path, path);
		buf_free(&diag);
		return EX_CONFIG_;
	}
	buf_free(&diag);
	msg_open("kim-milter", c->syslog && !foreground, c->syslog_facility);
	msg_set_level((enum msg_level)c->log_level);
	if (c->user && resolve_user(c->user, &uid, &gid, &user) < 0)
		msg_fatal("UserID %s: unknown user or group", c->user);
	if (c->background && !foreground && detach() < 0)
		msg_fatal("cannot detach: %s", strerror(errno));
	/*
	 * Block SIGUSR1 in every thread to come (our reload thread waits for
	 * it), and SIGHUP/SIGTERM/SIGINT too: libmilter's signal thread waits
	 * for those, and a thread of ours that left them unblocked would take
	 * the default action (exit) without a clean stop. This must come
	 * before runtime_load: it starts the directory's watchdog and the card
	 * workers, and a SIGUSR1 delivered to one of them killed the daemon
	 * (tests/integration/t_gate_reload.sh).
	 */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	{
		sigset_t all = usr1;

		sigaddset(&all, SIGHUP);
		sigaddset(&all, SIGTERM);
		sigaddset(&all, SIGINT);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
	}
	/*
	 * Now, after the fork and before dropping privileges: the policies
	 * and the directory (password and key files, the watchdog thread).
	 */
	conf_unref(c);
	if ((rt = runtime_load(path, &diag)) == NULL) {
		msg_error("not started: %s", buf_str(&diag));
		return EX_CONFIG_;
	}
	c = rt->conf;
	umask(c->umask);

	signal(SIGPIPE, SIG_IGN);

	if (smfi_setconn(c->socket) == MI_FAILURE)
		msg_fatal("Socket %s: not usable", c->socket);
	if (smfi_register(milter_desc) == MI_FAILURE)
		msg_fatal("smfi_register failed");
	if (smfi_opensocket(1) == MI_FAILURE)
		msg_fatal("cannot open milter socket %s (in use? bad address? "
		    "permissions?)", c->socket);
	if (strncmp(c->socket, "local:", 6) == 0 ||
	    strncmp(c->socket, "unix:", 5) == 0) {
		const char *sp = strchr(c->socket, ':') + 1;

		if (uid != (uid_t)-1 && chown(sp, uid, gid) < 0)
			msg_fatal("chown %s: %s", sp, strerror(errno));
	}
	make_parent_dir(c->control_socket, uid, gid);
	ctl_fd = ctl_listen(c->control_socket, uid, gid, &diag);
	if (ctl_fd < 0)
		msg_fatal("ControlSocket: %s", buf_str(&diag));
	if (c->pid_file && write_pid(c->pid_file) < 0)
		msg_fatal("PidFile %s: cannot write it", c->pid_file);
	if (user)
		drop_privileges(user, uid, gid);

	state_init(rt, path);
	if (pthread_create(&t, NULL, reload_thread, &usr1) != 0)
		msg_fatal("cannot start the reload thread");
	pthread_detach(t);
	if (milter_ctl_start(ctl_fd) < 0)
		msg_fatal("cannot start the control thread");
	msg_info("kim-milter %s started: socket %s, control %s, config %s",
	    PACKAGE_VERSION, c->socket, c->control_socket, path);

	rc = smfi_main();

	msg_info("kim-milter stopping (%ld transactions in flight are left "
	    "to Postfix's default_action)", state_active(0));
	milter_ctl_stop();
	{
		struct conf *cur = state_conf();

		unlink(cur->control_socket);
		if (cur->pid_file && unlink(cur->pid_file) < 0 && errno != ENOENT)
			msg_warn("cannot remove PID file %s: %s", cur->pid_file,
			    strerror(errno));
		conf_unref(cur);
	}
	state_shutdown();
	free(user);
	return rc == MI_SUCCESS ? 0 : 1;
}
