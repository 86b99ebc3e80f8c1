/*
 * addr.c - mail address helpers.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

/* addr_normalize - strip <> and blanks, lower-case */
int
addr_normalize(const char *in, char *out, size_t outsz)
{
	const char *s = in, *e;
	size_t n, i;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '<')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e > s && e[-1] == '>')
		e--;
	n = (size_t)(e - s);
	if (n + 1 > outsz)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[n] = 0;
	if (n == 0)
		return 0;
	e = strrchr(out, '@');
	if (e == NULL || e == out || e[1] == 0)
		return -1;
	return 0;
}

/* addr_domain - the domain part */
const char *
addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : NULL;
}

/* addr_domain_matches - suffix match at a label boundary */
int
addr_domain_matches(const char *domain, const char *suffix)
{
	size_t dl = strlen(domain), sl = strlen(suffix);

	if (dl && domain[dl - 1] == '.')
		dl--;
	if (sl && suffix[sl - 1] == '.')
		sl--;
	if (sl == 0 || dl < sl)
		return 0;
	if (strncasecmp(domain + dl - sl, suffix, sl) != 0)
		return 0;
	return dl == sl || domain[dl - sl - 1] == '.';
}

/* addr_in_domains - address below one of the suffixes? */
int
addr_in_domains(const char *addr, char *const *suffixes, size_t n)
{
	const char *d = addr_domain(addr);
	size_t i;

	if (d == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (addr_domain_matches(d, suffixes[i]))
			return 1;
	return 0;
}
