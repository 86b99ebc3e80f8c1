/*
 * pipe_gate.c - the gate role: the only way to the KIM provider.
 *
 * Until the outbound KIM path exists, every gate transaction is tempfailed:
 * the mail stays in Postfix's queue, nothing reaches the provider, nothing
 * is lost (rule 1: fail closed).
 */
#include "config.h"

#include "milter.h"

#define GATE_NOT_READY \
	"KIM path not configured yet: kim-milter cannot sign and encrypt " \
	"in this release; the mail stays queued"

/* gate_envfrom - hold every message */
enum verdict
gate_envfrom(struct session *s, struct mio *io, const char *from)
{
	mio_setreply(io, "451", "4.3.0", GATE_NOT_READY);
	session_end(s, "tempfail", "KIM path not configured yet");
	return V_TEMPFAIL;
}
