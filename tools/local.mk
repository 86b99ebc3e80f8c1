bin_PROGRAMS += tools/kimctl
tools_kimctl_SOURCES = tools/kimctl.c tools/kimctl.h tools/kimctl_ctl.c \
	tools/kimctl_dir.c \
	tools/kimctl_codec.c \
	tools/kimctl_card.c
tools_kimctl_LDADD = $(KIM_LIBS)

# the Postfix side of the KIM route (issue 7): mta-config and check-mta
tools_kimctl_SOURCES += tools/kimctl_mta.c tools/kimctl_checkmta.c \
	tools/kimctl_checkroute.c tools/kimctl_checkmta.h \
	tools/kimctl_postconf.c tools/kimctl_postconf.h
# revocation status as the inbound role asks it (issue 8)
tools_kimctl_SOURCES += tools/kimctl_rev.c
