sbin_PROGRAMS += milter/kim-milter
milter_kim_milter_SOURCES = milter/milter_main.c milter/milter.h \
	milter/milter_cb.c milter/milter_io.c milter/milter_session.c \
	milter/milter_state.c milter/milter_ctl.c \
	milter/pipe_front.c milter/pipe_gate.c milter/pipe_inbound.c
milter_kim_milter_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS)
milter_kim_milter_LDADD = $(KIM_LIBS) $(MILTER_LIBS)
