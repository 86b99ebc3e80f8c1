## lib/kim: the KIM message codec (include/kim.h)
lib_libkim_a_SOURCES += lib/kim/kim_asn1.c lib/kim/kim_mime.c \
	lib/kim/kim_remails.c lib/kim/kim_signed.c lib/kim/kim_env.c \
	lib/kim/kim_encode.c lib/kim/kim_decode.c
noinst_HEADERS += include/kim.h include/kim_asn1.h include/kim_mime.h \
	include/kim_cms.h

## codec tests: gematik's sample, openssl cms as the judge (tests/codec)
check_PROGRAMS += tests/codec/cms_strip
tests_codec_cms_strip_SOURCES = tests/codec/cms_strip.c
tests_codec_cms_strip_LDADD = $(OPENSSL_LIBS)
TESTS += tests/codec/t_sample.sh tests/codec/t_rsa_cms.sh
EXTRA_DIST += tests/codec/t_sample.sh tests/codec/t_rsa_cms.sh \
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
