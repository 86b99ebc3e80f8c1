lib_libkim_a_SOURCES += lib/util/msg.c lib/util/buf.c lib/util/addr.c
noinst_HEADERS += include/msg.h include/buf.h include/addr.h
