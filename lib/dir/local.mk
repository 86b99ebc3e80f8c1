## lib/dir: the KIM directory (VZD over LDAP behind a shared Redis cache)
## and the validation of encryption certificates.
lib_libkim_a_SOURCES += lib/dir/dir_cert.c
noinst_HEADERS += include/dir_cert.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_dir_cert
TESTS += tests/unit/check_dir_cert
endif
tests_unit_check_dir_cert_SOURCES = tests/unit/check_dir_cert.c
tests_unit_check_dir_cert_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_dir_cert_LDADD = $(TEST_LIBS)
