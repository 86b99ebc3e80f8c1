lib_libkim_a_SOURCES += lib/conf/conf.c lib/conf/conf_lex.c lib/conf/conf_table.c
noinst_HEADERS += include/conf.h lib/conf/conf_int.h
