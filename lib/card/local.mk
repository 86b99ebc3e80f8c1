## lib/card: the card interface, its backends, ELC key transport.
lib_libkim_a_SOURCES += lib/card/card.c lib/card/card_file.c \
	lib/card/card_soft.c lib/card/elc.c
noinst_HEADERS += include/card.h include/elc.h lib/card/card_int.h

## unit tests and the ELC known-answer test
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_card tests/unit/check_elc
TESTS += tests/unit/check_card tests/unit/check_elc
endif
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
