/*
 * card_pcsc.h - the PC/SC backend's state, shared by card_pcsc.c (the
 * operations and PIN rules) and card_pcsc_io.c (pcsc-lite, APDUs, status
 * words).
 *
 * Everything under "worker only" is touched by the card's worker thread
 * alone; the rest is under mu.
 */
#ifndef KIM_CARD_PCSC_H
#define KIM_CARD_PCSC_H

#include <pthread.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "buf.h"
#include "card.h"
#include "card_int.h"

#define PCSC_PIN_MAX_TRIES 3	/* PIN.SMC retry counter when untouched */
#define PCSC_RETRY 1		/* internal: card was reset, run again */

struct pcsc {
	/* configuration, fixed after open */
	char *name;
	char *reader_want;	/* reader= (exact name or prefix), or NULL */
	char *iccsn_want;	/* iccsn= (20 digits), or NULL */
	char *state_file;
	struct buf pin;		/* digits from pin-file=, wiped at free */
	char *pin_file;

	/* worker only */
	SCARDCONTEXT ctx;
	int have_ctx;
	SCARDHANDLE h;
	int have_h;
	DWORD proto;
	int fresh;		/* a new connection: read ICCSN again */

	/* under mu */
	pthread_mutex_t mu;
	X509 *cert[2][2];	/* [use][type], read from the card */
	int certs_loaded;
	X509 **old;		/* certificates of a card swapped out */
	size_t nold;
	char iccsn[21];
	char reader[256];	/* written by the worker under mu */
	int disabled;		/* out of service, persisted in state_file */
	char reason[512];
	int enable_once;	/* `card enable`: one VERIFY at counter >= 2 */
	int pin_reload;		/* the worker re-reads pin-file= first */
	char pin_state[64];	/* last GET PIN STATUS, for card_status */

	struct card_worker *worker;
};

/* io: PC/SC session and APDUs (card_pcsc_io.c), worker thread only */
int pcsc_begin(struct pcsc *p, struct buf *why);
void pcsc_end(struct pcsc *p);
void pcsc_drop(struct pcsc *p, int context_too);
int pcsc_apdu(struct pcsc *p, const unsigned char *cmd, size_t n,
    struct buf *resp, unsigned *sw, struct buf *why);
int pcsc_select_esign(struct pcsc *p, struct buf *why);
int pcsc_read_certs(struct pcsc *p, struct buf *why);
int pcsc_sw_err(unsigned sw);
const char *pcsc_sw_str(unsigned sw);

#endif
