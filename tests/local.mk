## Tests: Check unit tests (TAP through CK_TAP_LOG_FILE_NAME=-) and shell
## integration tests that print TAP themselves. Each part lists its own tests
## in its local.mk; this file holds what they share.

AM_TESTS_ENVIRONMENT += \
	CK_TAP_LOG_FILE_NAME=-; export CK_TAP_LOG_FILE_NAME; \
	CK_VERBOSITY=silent; export CK_VERBOSITY; \
	CK_DEFAULT_TIMEOUT=60; export CK_DEFAULT_TIMEOUT;

TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -UNDEBUG \
	-DTEST_SRCDIR='"$(abs_top_srcdir)"' -DTEST_BUILDDIR='"$(abs_top_builddir)"'
TEST_LIBS = $(KIM_LIBS) $(CHECK_LIBS)

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_conf
TESTS += tests/unit/check_conf
endif
tests_unit_check_conf_SOURCES = tests/unit/check_conf.c
tests_unit_check_conf_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_conf_LDADD = $(TEST_LIBS)

EXTRA_DIST += tests/run.sh tests/summary.sh
TESTS += tests/t_sample_conf.sh
EXTRA_DIST += tests/t_sample_conf.sh
TESTS += tests/t_readme.sh
EXTRA_DIST += tests/t_readme.sh
EXTRA_DIST += tests/lsan.supp
