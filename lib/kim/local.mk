## lib/kim: the KIM message codec (include/kim.h)
lib_libkim_a_SOURCES += lib/kim/kim_asn1.c lib/kim/kim_mime.c \
	lib/kim/kim_remails.c lib/kim/kim_signed.c lib/kim/kim_env.c \
	lib/kim/kim_encode.c lib/kim/kim_decode.c
noinst_HEADERS += include/kim.h include/kim_asn1.h include/kim_mime.h \
	include/kim_cms.h
