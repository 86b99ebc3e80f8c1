/*
 * addr - mail address helpers: normalisation and KIM domain matching.
 */
#ifndef KIM_ADDR_H
#define KIM_ADDR_H

#include <stddef.h>

/*
 * addr_normalize - strip <> and surrounding blanks, lower-case the address.
 * Writes a NUL-terminated copy into out; returns 0, or -1 when it does not
 * fit or is not of the form local@domain (the null sender "" gives 0 and an
 * empty string).
 */
int addr_normalize(const char *in, char *out, size_t outsz);

/* addr_domain - the part after the last '@', or NULL */
const char *addr_domain(const char *addr);

/*
 * addr_domain_matches - does domain equal suffix or end in "." suffix?
 * Case-insensitive; a trailing dot on the domain is ignored. Matching at a
 * label boundary: "xkim.telematik" does not match "kim.telematik".
 */
int addr_domain_matches(const char *domain, const char *suffix);

/* addr_in_domains - is the address in one of the n suffixes? */
int addr_in_domains(const char *addr, char *const *suffixes, size_t n);

#endif
