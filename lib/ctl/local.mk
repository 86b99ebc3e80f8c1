lib_libkim_a_SOURCES += lib/ctl/ctl.c
noinst_HEADERS += include/ctl.h
