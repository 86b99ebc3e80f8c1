bin_PROGRAMS += tools/kimctl
tools_kimctl_SOURCES = tools/kimctl.c tools/kimctl.h tools/kimctl_ctl.c \
	tools/kimctl_dir.c \
	tools/kimctl_codec.c \
	tools/kimctl_card.c
tools_kimctl_LDADD = $(KIM_LIBS)
# revocation status as the inbound role asks it (issue 8)
tools_kimctl_SOURCES += tools/kimctl_rev.c
