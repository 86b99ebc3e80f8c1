## lib/kim: the KIM message codec (include/kim.h)
lib_libkim_a_SOURCES += lib/kim/kim_asn1.c lib/kim/kim_mime.c \
	lib/kim/kim_remails.c lib/kim/kim_signed.c lib/kim/kim_verify.c \
	lib/kim/kim_env.c lib/kim/kim_inspect.c \
	lib/kim/kim_encode.c lib/kim/kim_decode.c
noinst_HEADERS += include/kim.h include/kim_asn1.h include/kim_mime.h \
	include/kim_cms.h

## codec tests: gematik's sample, openssl cms as the judge (tests/codec)
check_PROGRAMS += tests/codec/cms_strip tests/codec/peakrss
tests_codec_cms_strip_SOURCES = tests/codec/cms_strip.c
tests_codec_cms_strip_LDADD = $(OPENSSL_LIBS)
tests_codec_peakrss_SOURCES = tests/codec/peakrss.c
TESTS += tests/codec/t_sample.sh tests/codec/t_rsa_cms.sh \
	tests/codec/t_roundtrip.sh tests/codec/t_memory.sh tests/codec/t_encode_dir.sh
EXTRA_DIST += tests/codec/t_sample.sh tests/codec/t_rsa_cms.sh \
	tests/codec/t_roundtrip.sh tests/codec/t_memory.sh tests/codec/t_encode_dir.sh \
	tests/codec/mkkeys.sh tests/codec/gematik/README \
	tests/codec/gematik/.gitattributes \
	tests/codec/gematik/inputEmail.txt \
	tests/codec/gematik/inputEmail.txt.01.rfc822wrap \
	tests/codec/gematik/inputEmail.txt.02.signedcms \
	tests/codec/gematik/inputEmail.txt.03.signedwrap \
	tests/codec/gematik/inputEmail.txt.04.encryptedcms \
	tests/codec/gematik/inputEmail.txt.05.encryptedwrap \
	tests/codec/gematik/signer-smcb-osig.pem \
	tests/codec/gematik/hci-enc-2-kim-bsp.p12 \
	tests/codec/gematik/hci-enc-3-kim-bsp.p12 \
	tests/codec/gematik/password.txt \
	tests/codec/gematik/GEM.RCA2-TEST-ONLY.pem \
	tests/codec/gematik/GEM.KOMP-CA24-TEST-ONLY.pem

## codec unit tests (Check)
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_kim tests/unit/check_kim_struct
TESTS += tests/unit/check_kim tests/unit/check_kim_struct
endif
tests_unit_check_kim_SOURCES = tests/unit/check_kim.c tests/unit/kim_test.c \
	tests/unit/kim_test.h
tests_unit_check_kim_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_kim_LDADD = $(TEST_LIBS)
tests_unit_check_kim_struct_SOURCES = tests/unit/check_kim_struct.c \
	tests/unit/kim_test.c tests/unit/kim_test.h
tests_unit_check_kim_struct_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_kim_struct_LDADD = $(TEST_LIBS)

## libFuzzer target for the decoder: optional, needs clang with libFuzzer.
## `make fuzz` builds tests/fuzz/fuzz_decode; `make fuzz-run` runs it for
## FUZZ_TIME seconds (default 60) on seeds from gematik's sample.
FUZZ_CC = clang
FUZZ_TIME = 60
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined
EXTRA_DIST += tests/fuzz/fuzz_decode.c
CLEANFILES += tests/fuzz/fuzz_decode
tests/fuzz/fuzz_decode: $(srcdir)/tests/fuzz/fuzz_decode.c \
	$(lib_libkim_a_SOURCES)
	$(MKDIR_P) tests/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -I$(top_builddir) $(AM_CPPFLAGS) \
	    $(DEFS) $(OPENSSL_CFLAGS) $(PCSC_CFLAGS) $(HIREDIS_CFLAGS) \
	    $(LDAP_CFLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz_decode.c \
	    $(addprefix $(srcdir)/,$(filter %.c,$(lib_libkim_a_SOURCES))) \
	    $(OPENSSL_LIBS) $(PCSC_LIBS) $(HIREDIS_LIBS) $(LDAP_LIBS) -pthread
fuzz: tests/fuzz/fuzz_decode
fuzz-run: tests/fuzz/fuzz_decode
	rm -rf tests/fuzz/corpus && $(MKDIR_P) tests/fuzz/corpus
	for f in 05.encryptedwrap 03.signedwrap; do \
	    { printf '\000'; cat $(srcdir)/tests/codec/gematik/inputEmail.txt.$$f; } \
	    > tests/fuzz/corpus/even-$$f; done
	for f in 02.signedcms 03.signedwrap; do \
	    { printf '\001'; cat $(srcdir)/tests/codec/gematik/inputEmail.txt.$$f; } \
	    > tests/fuzz/corpus/odd-$$f; done
	tests/fuzz/fuzz_decode -max_total_time=$(FUZZ_TIME) -max_len=16384 \
	    -print_final_stats=1 tests/fuzz/corpus
.PHONY: fuzz fuzz-run
