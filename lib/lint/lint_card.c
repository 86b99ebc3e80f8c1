/*
 * lint_card.c - the cards of a pool against the directory: one identity.
 */
#include "config.h"

#include <string.h>

#include "card.h"
#include "dir.h"
#include "lint.h"

/* card_tid - the Telematik-ID of a card's OSIG certificate (ECC first) */
static int
card_tid(struct card *card, char *out, size_t outsz)
{
	X509 *x = card_certificate(card, CARD_USE_OSIG, CARD_KEY_ECC);

	if (x == NULL)
		x = card_certificate(card, CARD_USE_OSIG, CARD_KEY_RSA);
	if (x == NULL)
		return -1;
	return dir_cert_telematik_id(x, out, outsz) == 0 && out[0] ? 0 : -1;
}

/* lint_card_telematik - every card of the pool has the address's identity */
int
lint_card_telematik(const char *pool, const char *kim_address, void *arg,
    struct buf *err)
{
	const struct lint_cards *lc = arg;
	struct dir_result *res = NULL;
	size_t i, ncards = 0;
	int st, bad = 0;

	st = dir_lookup(lc->dir, kim_address, 0, &res);
	if (st == DIR_UNUSABLE || st == DIR_NOT_FOUND) {
		/* the directory check reports this address already */
		dir_result_free(res);
		return 0;
	}
	if (st != DIR_FOUND) {
		buf_printf(err, "the directory cannot be asked about %s (%s)",
		    kim_address, res ? res->reason : "no answer");
		dir_result_free(res);
		return -1;
	}
	for (i = 0; i < lc->conf->n_cards; i++) {
		const struct conf_card *cc = &lc->conf->cards[i];
		struct buf why = BUF_INIT;
		struct card *card;
		char tid[129];

		if (strcmp(cc->pool, pool) != 0)
			continue;
		ncards++;
		if ((card = card_open(cc, &why)) == NULL) {
			buf_printf(err, "card %s cannot be opened: %s", cc->name,
			    buf_str(&why));
			buf_free(&why);
			bad = -1;
			break;
		}
		buf_free(&why);
		if (card_tid(card, tid, sizeof(tid)) < 0) {
			buf_printf(err, "card %s: no OSIG certificate with a "
			    "Telematik-ID (card absent?)", cc->name);
			bad = -1;
		} else if (res->telematik_id == NULL ||
		    strcmp(tid, res->telematik_id) != 0) {
			buf_printf(err, "card %s of pool %s is Telematik-ID %s, "
			    "but the KIM directory lists %s for %s: signing "
			    "with it would fail the receivers' sender check\n",
			    cc->name, pool, tid, res->telematik_id ?
			    res->telematik_id : "none", kim_address);
			bad = bad < 0 ? bad : bad + 1;
		}
		card_free(card);
		if (bad < 0)
			break;
	}
	if (ncards == 0 && bad == 0) {
		buf_printf(err, "pool %s has no Card line", pool);
		bad = -1;
	}
	dir_result_free(res);
	return bad;
}
