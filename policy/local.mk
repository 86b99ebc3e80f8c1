## policy/: per-department policy files (kim-milter-policy(5)). Pure: no
## libmilter here; the milter and kimctl call it.
lib_libkim_a_SOURCES += policy/policy.c policy/policy_parse.c \
	policy/policy_load.c policy/policy_match.c policy/policy_decide.c \
	policy/policy_lint.c
noinst_HEADERS += include/policy.h policy/policy_int.h

tools_kimctl_SOURCES += tools/kimctl_policy.c

dist_man_MANS += man/kim-milter-policy.5

EXTRA_DIST += contrib/policy.d/kardiologie.conf \
	contrib/policy.d/radiologie.conf contrib/policy.d/verwaltung.conf

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_policy
TESTS += tests/unit/check_policy
endif
tests_unit_check_policy_SOURCES = tests/unit/check_policy.c
tests_unit_check_policy_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/policy
tests_unit_check_policy_LDADD = $(TEST_LIBS)

TESTS += tests/policy/t_kimctl_policy.sh
EXTRA_DIST += tests/policy/t_kimctl_policy.sh
# the directory lint against a real slapd and redis-server (tests/dir harness)
TESTS += tests/policy/t_policy_dir_lint.sh
EXTRA_DIST += tests/policy/t_policy_dir_lint.sh
