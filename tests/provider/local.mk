## tests/provider: the KIM provider stand-in (issue 7), a test server with
## implicit TLS, client certificates, AUTH and the AUTH user = MAIL FROM =
## From header rule; built by make (the demo runs it too), never installed.
noinst_PROGRAMS += tests/provider/kim-provider
tests_provider_kim_provider_SOURCES = tests/provider/kim-provider.c \
	tests/provider/prov_smtp.c tests/provider/prov_hdr.c \
	tests/provider/prov.h
tests_provider_kim_provider_LDADD = $(OPENSSL_LIBS)

PROVIDER_TESTS = tests/provider/t_provider.sh \
	tests/provider/t_provider_postfix.sh
TESTS += $(PROVIDER_TESTS)
EXTRA_DIST += $(PROVIDER_TESTS) tests/provider/lib.sh
