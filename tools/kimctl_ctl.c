/*
 * kimctl_ctl.c - status, reload, drain: commands that talk to the daemon.
 * (placeholder until the control socket lands)
 */
#include "config.h"

#include <stdio.h>

#include "kimctl.h"

int
kimctl_status(struct kimctl *k, int argc, char **argv)
{
	fprintf(stderr, "kimctl: status: not implemented yet\n");
	return KIMCTL_EX_UNAVAILABLE;
}

int
kimctl_reload(struct kimctl *k, int argc, char **argv)
{
	fprintf(stderr, "kimctl: reload: not implemented yet\n");
	return KIMCTL_EX_UNAVAILABLE;
}

int
kimctl_drain(struct kimctl *k, int argc, char **argv)
{
	fprintf(stderr, "kimctl: drain: not implemented yet\n");
	return KIMCTL_EX_UNAVAILABLE;
}
