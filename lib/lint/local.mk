lib_libkim_a_SOURCES += lib/lint/lint_card.c
noinst_HEADERS += include/lint.h
