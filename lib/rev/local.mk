## revocation of signer certificates (issue 8): CRL files and OCSP
lib_libkim_a_SOURCES += lib/rev/rev.c
noinst_HEADERS += include/rev.h
