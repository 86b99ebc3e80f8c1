/*
 * pipe_front.c - the front role: the relay's public listeners.
 *
 * The front only answers recipients. Postfix routes KIM domains to the gate,
 * where the transformation happens; the front returns ACCEPT at DATA so that
 * neither headers nor body are ever streamed to it (normal mail is not
 * delayed by the milter). Never ACCEPT at RCPT: that would accept the whole
 * transaction before the other recipients are checked.
 */
#include "config.h"

#include "milter.h"

/* front_envfrom - nothing to check on the sender yet */
enum verdict
front_envfrom(struct session *s, struct mio *io, const char *from)
{
	return V_CONTINUE;
}

/* front_envrcpt - KIM recipients are accepted; Postfix routes them */
enum verdict
front_envrcpt(struct session *s, struct mio *io, const char *rcpt)
{
	return V_CONTINUE;
}

/* front_data - step out: the rest of the message is not ours */
enum verdict
front_data(struct session *s, struct mio *io)
{
	return V_ACCEPT;
}
