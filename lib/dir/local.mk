## lib/dir: the KIM directory (VZD over LDAP behind a shared Redis cache)
## and the validation of encryption certificates.
lib_libkim_a_SOURCES += lib/dir/dir.c lib/dir/dir_known.c lib/dir/dir_cache.c \
	lib/dir/dir_cert.c lib/dir/dir_entry.c lib/dir/dir_ldap.c \
	lib/dir/dir_result.c lib/dir/dir_util.c \
	lib/dir/dir_certcache.c lib/dir/dir_cache_conn.c
noinst_HEADERS += include/dir.h include/dir_cache.h include/dir_cert.h \
	include/dir_certcache.h \
	lib/dir/dir_int.h lib/dir/dir_cache_int.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_dir_cert
TESTS += tests/unit/check_dir_cert
endif
tests_unit_check_dir_cert_SOURCES = tests/unit/check_dir_cert.c
tests_unit_check_dir_cert_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_dir_cert_LDADD = $(TEST_LIBS)

# the cache entry text, its MAC, and the parsed-certificate cache
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_dir_entry
TESTS += tests/unit/check_dir_entry
endif
tests_unit_check_dir_entry_SOURCES = tests/unit/check_dir_entry.c
tests_unit_check_dir_entry_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/lib/dir
tests_unit_check_dir_entry_LDADD = $(TEST_LIBS)

# the directory's keys in conf_dump
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_dir_conf
TESTS += tests/unit/check_dir_conf
endif
tests_unit_check_dir_conf_SOURCES = tests/unit/check_dir_conf.c
tests_unit_check_dir_conf_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_dir_conf_LDADD = $(TEST_LIBS)

# integration tests: real slapd and redis-server, started by the tests
check_PROGRAMS += tests/dir/dir_probe
tests_dir_dir_probe_SOURCES = tests/dir/dir_probe.c
tests_dir_dir_probe_LDADD = $(KIM_LIBS)
TESTS += tests/dir/t_dir_lookup.sh tests/dir/t_dir_cache.sh \
	tests/dir/t_dir_outage.sh tests/dir/t_dir_tls.sh
EXTRA_DIST += tests/dir/harness.sh tests/dir/vzd.schema \
	tests/dir/t_dir_lookup.sh tests/dir/t_dir_cache.sh \
	tests/dir/t_dir_outage.sh tests/dir/t_dir_tls.sh
