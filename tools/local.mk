bin_PROGRAMS += tools/kimctl
tools_kimctl_SOURCES = tools/kimctl.c
tools_kimctl_LDADD = $(KIM_LIBS)
