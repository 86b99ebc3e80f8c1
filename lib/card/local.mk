## lib/card: the card interface, its backends, ELC key transport.
lib_libkim_a_SOURCES += lib/card/card.c lib/card/card_file.c \
	lib/card/card_soft.c lib/card/elc.c lib/card/card_worker.c \
	lib/card/card_pcsc.c lib/card/card_pcsc_io.c lib/card/card_pool.c
noinst_HEADERS += include/card.h include/elc.h include/card_pool.h \
	lib/card/card_int.h \
	lib/card/card_pcsc.h
## unit tests and the ELC known-answer test
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_card tests/unit/check_elc \
	tests/unit/check_card_pool
TESTS += tests/unit/check_card tests/unit/check_elc \
	tests/unit/check_card_pool
endif
tests_unit_check_card_pool_SOURCES = tests/unit/check_card_pool.c
tests_unit_check_card_pool_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_card_pool_LDADD = $(TEST_LIBS)
tests_unit_check_card_SOURCES = tests/unit/check_card.c
tests_unit_check_card_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_card_LDADD = $(TEST_LIBS)
tests_unit_check_elc_SOURCES = tests/unit/check_elc.c
tests_unit_check_elc_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_elc_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/elc_kat
tests_unit_elc_kat_SOURCES = tests/unit/elc_kat.c
tests_unit_elc_kat_LDADD = $(KIM_LIBS)
TESTS += tests/unit/t_elc_kat.sh
EXTRA_DIST += tests/unit/t_elc_kat.sh

## the virtual SMC-B and the PC/SC integration test (real pcscd + vpcd)
check_PROGRAMS += tests/vcard/vsmartcard tests/pcsc/card_tool \
	tests/pcsc/pool_tool tests/pcsc/apdu_tool
tests_vcard_vsmartcard_SOURCES = tests/vcard/vsmartcard.c
tests_vcard_vsmartcard_LDADD = $(KIM_LIBS)
tests_pcsc_card_tool_SOURCES = tests/pcsc/card_tool.c
tests_pcsc_card_tool_LDADD = $(KIM_LIBS)
tests_pcsc_pool_tool_SOURCES = tests/pcsc/pool_tool.c
tests_pcsc_pool_tool_LDADD = $(KIM_LIBS)
tests_pcsc_apdu_tool_SOURCES = tests/pcsc/apdu_tool.c
tests_pcsc_apdu_tool_CFLAGS = $(AM_CFLAGS) $(PCSC_CFLAGS)
tests_pcsc_apdu_tool_LDADD = $(PCSC_LIBS)
TESTS += tests/pcsc/t_pcsc_card.sh tests/pcsc/t_pcsc_pool.sh \
	tests/pcsc/t_vcard.sh tests/pcsc/t_pcsc_codec.sh \
	tests/pcsc/t_pcsc_daemon.sh
EXTRA_DIST += tests/pcsc/t_pcsc_daemon.sh
EXTRA_DIST += tests/pcsc/t_pcsc_card.sh tests/pcsc/t_pcsc_pool.sh \
	tests/pcsc/t_vcard.sh tests/pcsc/t_pcsc_codec.sh tests/pcsc/README.md \
	tests/pcsc/pcscd_harness.sh
