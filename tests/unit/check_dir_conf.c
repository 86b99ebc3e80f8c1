/*
 * check_dir_conf.c - the directory's keys in conf_dump (kim-milter -n -v):
 * every one is shown with its effective value, and a password file is
 * shown by name, never by content.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

static char dir[] = "/tmp/check_dir_conf.XXXXXX";

/* path_of - a file name in the test's directory (static buffer) */
static const char *
path_of(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* put - write text into a file of the test's directory */
static void
put(const char *name, const char *text)
{
	FILE *fp = fopen(path_of(name), "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

/* dump - conf_dump of a loaded file into a malloc'd string */
static char *
dump(const char *text)
{
	struct buf diag = BUF_INIT;
	struct conf *c;
	char *out = NULL;
	size_t len = 0;
	FILE *fp;

	put("kim-milter.conf", text);
	c = conf_load(path_of("kim-milter.conf"), &diag);
	ck_assert_msg(c != NULL, "diag: %s", buf_str(&diag));
	fp = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(fp);
	conf_dump(c, fp);
	fclose(fp);
	conf_unref(c);
	buf_free(&diag);
	return out;
}

/* has_line - the dump has exactly this line */
static int
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

struct each {
	const char *text;
	int checked;
};

/* key_cb - a directory key of the table must start a line of the dump */
static void
key_cb(const char *key, void *arg)
{
	struct each *e = arg;
	static const char *const family[] = {"Redis", "Directory", "Cache",
	    "NegativeCache", "TrustAnchors", "LocalKimAddresses"};
	char head[80];
	size_t i;

	for (i = 0; i < sizeof(family) / sizeof(family[0]); i++)
		if (strncmp(key, family[i], strlen(family[i])) == 0)
			break;
	if (i == sizeof(family) / sizeof(family[0]))
		return;
	snprintf(head, sizeof(head), "\n%s ", key);
	ck_assert_msg(strstr(e->text, head) != NULL,
	    "conf_dump does not show %s", key);
	e->checked++;
}

START_TEST(test_dump_values)
{
	char *out;
	char text[1024], line[300];

	/* real files with secrets in them: the dump must name, not read them */
	put("redis.pw", "secret-redis-password\n");
	put("bind.pw", "secret-bind-password\n");
	snprintf(text, sizeof(text), "RedisURI redis://127.0.0.1:6390/2\n"
	    "RedisUser kim\n"
	    "RedisPasswordFile %s/redis.pw\n"
	    "DirectoryBindPasswordFile %s/bind.pw\n", dir, dir);
	strcat(text,
	    "RedisRequired yes\n"
	    "DirectoryURI ldaps://vzd.example:636/\n"
	    "DirectoryBindDN cn=relay,dc=data,dc=vzd\n"
	    "CacheTTL 2h\n"
	    "NegativeCacheTTL 5m\n"
	    "CacheKeyFile /etc/kim/cache.key\n"
	    "LocalKimAddresses a@x.kim.telematik-test,b@x.kim.telematik-test\n");
	out = dump(text);
	ck_assert(has_line(out, "RedisURI redis://127.0.0.1:6390/2"));
	ck_assert(has_line(out, "RedisUser kim"));
	snprintf(line, sizeof(line), "RedisPasswordFile %s/redis.pw", dir);
	ck_assert(has_line(out, line));
	snprintf(line, sizeof(line), "DirectoryBindPasswordFile %s/bind.pw",
	    dir);
	ck_assert(has_line(out, line));
	ck_assert(has_line(out, "RedisTimeout 1s"));
	ck_assert(has_line(out, "RedisRequired yes"));
	ck_assert(has_line(out, "DirectoryURI ldaps://vzd.example:636/"));
	ck_assert(has_line(out, "DirectoryBase dc=data,dc=vzd"));
	ck_assert(has_line(out, "DirectoryBindDN cn=relay,dc=data,dc=vzd"));
	ck_assert(has_line(out, "DirectoryTimeout 10s"));
	ck_assert(has_line(out, "CacheTTL 7200s"));
	ck_assert(has_line(out, "NegativeCacheTTL 300s"));
	ck_assert(has_line(out, "TrustAnchors (unset)"));
	ck_assert(has_line(out, "LocalKimAddresses a@x.kim.telematik-test, "
	    "b@x.kim.telematik-test"));
	ck_assert_ptr_null(strstr(out, "secret"));
	free(out);
}
END_TEST

START_TEST(test_dump_every_key)
{
	struct each e = {NULL, 0};
	char *out = dump("# defaults only\n");

	/* a leading newline so that the first line matches "\nKey " too */
	ck_assert_int_ge(asprintf((char **)&e.text, "\n%s", out), 0);
	conf_keys_each(key_cb, &e);
	/* RedisURI ... LocalKimAddresses: the table has 22 of them */
	ck_assert_int_ge(e.checked, 22);
	ck_assert(has_line(out, "RedisURI (unset)"));
	ck_assert(has_line(out, "CacheTTL 43200s"));
	ck_assert(has_line(out, "NegativeCacheTTL 3600s"));
	free((char *)e.text);
	free(out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dir_conf");
	TCase *tc = tcase_create("dump");
	SRunner *sr;
	int failed;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	tcase_add_test(tc, test_dump_values);
	tcase_add_test(tc, test_dump_every_key);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	unlink(path_of("kim-milter.conf"));
	unlink(path_of("redis.pw"));
	unlink(path_of("bind.pw"));
	rmdir(dir);
	return failed ? 1 : 0;
}
