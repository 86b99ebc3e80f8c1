# The milter's modules go into a library of their own so that unit tests
# can drive the pipelines through a fake struct mio, without an MTA.
noinst_LIBRARIES += milter/libkimmilter.a
milter_libkimmilter_a_SOURCES = milter/milter.h \
	milter/milter_cb.c milter/milter_io.c milter/milter_session.c \
	milter/milter_state.c milter/milter_ctl.c milter/milter_runtime.c \
	milter/pipe_rcpt.c milter/mail.h milter/mail.c milter/mail_edit.c \
	milter/gate_send.c milter/gate_kim.c \
	milter/pipe_front.c milter/pipe_gate.c milter/pipe_inbound.c \
	milter/inbound_open.c milter/inbound_mail.c
milter_libkimmilter_a_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS)
MILTER_ALL_LIBS = milter/libkimmilter.a $(KIM_LIBS) $(MILTER_LIBS)

sbin_PROGRAMS += milter/kim-milter
milter_kim_milter_SOURCES = milter/milter_main.c milter/milter_sock.c
milter_kim_milter_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS)
milter_kim_milter_LDADD = $(MILTER_ALL_LIBS)

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_milter
TESTS += tests/unit/check_milter
endif
tests_unit_check_milter_SOURCES = tests/unit/check_milter.c
tests_unit_check_milter_CFLAGS = $(TEST_CFLAGS) $(MILTER_CFLAGS) -I$(top_srcdir)/milter
tests_unit_check_milter_LDADD = $(MILTER_ALL_LIBS) $(CHECK_LIBS)
