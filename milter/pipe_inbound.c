/*
 * pipe_inbound.c - the inbound role: mail fetched from the KIM provider.
 *
 * Decryption and verification are not built yet: inbound mail passes
 * unchanged (it stays encrypted for its recipient). The inbound role never
 * answers 5xx: fetchmail would bounce to postmaster and delete the mail
 * from the provider.
 */
#include "config.h"

#include "milter.h"

/* inbound_envfrom - pass everything unchanged */
enum verdict
inbound_envfrom(struct session *s, struct mio *io, const char *from)
{
	session_end(s, "accept", "inbound processing not built yet; passed unchanged");
	return V_ACCEPT;
}
