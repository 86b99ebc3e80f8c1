sbin_PROGRAMS += milter/kim-milter
milter_kim_milter_SOURCES = milter/milter_main.c
milter_kim_milter_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS)
milter_kim_milter_LDADD = $(KIM_LIBS) $(MILTER_LIBS)
