/*
 * card_pcsc_io.c - the one place that talks to pcsc-lite: context and
 * handle life, the short transaction around each operation, status words
 * and PC/SC errors turned into card errors, the SMC-B's selections and its
 * certificates. Runs on the card's worker thread only.
 *
 * What pcsc-lite 1.9.9 does (measured, see the PC/SC issue): a card that
 * vanishes mid-APDU gives success with 0 bytes; another handle's reset
 * gives SCARD_W_RESET_CARD (reconnect, then the PIN state is gone); after
 * a pcscd restart calls fail with SCARD_E_NO_SERVICE while the context
 * still looks valid (establish a new one); a card is powered off soon after
 * its last handle closes (keep the handle open).
 */
#include "config.h"

#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include <stdio.h>

#include <openssl/x509.h>

#include <PCSC/pcsclite.h>
#include <PCSC/winscard.h>

#include "card.h"
#include "card_int.h"
#include "card_pcsc.h"
#include "msg.h"

static const unsigned char apdu_sel_root[] = {
	0x00, 0xa4, 0x04, 0x0c, 0x06, 0xd2, 0x76, 0x00, 0x01, 0x46, 0x06,
};
static const unsigned char apdu_sel_esign[] = {
	0x00, 0xa4, 0x04, 0x0c, 0x0a, 0xa0, 0x00, 0x00, 0x01, 0x67, 0x45,
	0x53, 0x49, 0x47, 0x4e,
};
static const unsigned char apdu_read_gdo[] = {0x00, 0xb0, 0x82, 0x00, 0x00};

/* pcsc_sw_err - a status word's error class */
int
pcsc_sw_err(unsigned sw)
{
	if (sw == 0x9000)
		return CARD_OK;
	if ((sw & 0xfff0) == 0x63c0 || sw == 0x6983 || sw == 0x62c1)
		return CARD_E_PIN;
	switch (sw) {
	case 0x6a88:
	case 0x6a82:
		return CARD_E_NOKEY;
	case 0x6a81:
		return CARD_E_ALG;
	case 0x6a80:
		return CARD_E_CRYPTO;
	case 0x6982:	/* PIN state lost between our commands (a reset) */
	case 0x6985:	/* no MSE: our sequence broke (a reset between) */
		return CARD_E_IO;
	default:
		return CARD_E_IO;
	}
}

/* pcsc_sw_str - what a status word means, for logs and reasons */
const char *
pcsc_sw_str(unsigned sw)
{
	if ((sw & 0xfff0) == 0x63c0)
		return "wrong PIN";
	switch (sw) {
	case 0x9000: return "ok";
	case 0x62c1: return "transport PIN still set";
	case 0x6282: return "end of file";
	case 0x6983: return "PIN blocked";
	case 0x6982: return "security status not satisfied";
	case 0x6985: return "conditions of use not satisfied";
	case 0x6a80: return "bad cryptogram";
	case 0x6a81: return "algorithm not allowed for this key";
	case 0x6a82: return "file not found";
	case 0x6a88: return "key not found";
	case 0x6b00: return "offset beyond end of file";
	case 0x6d00: return "instruction not supported";
	default: return "unexpected status";
	}
}

/* pcsc_drop - forget the handle (and the context) after an error */
void
pcsc_drop(struct pcsc *p, int context_too)
{
	if (p->have_h)
		(void)SCardDisconnect(p->h, SCARD_LEAVE_CARD);
	p->have_h = 0;
	if (context_too && p->have_ctx) {
		(void)SCardReleaseContext(p->ctx);
		p->have_ctx = 0;
	}
}

/*
 * pcsc_rv - the one mapping of PC/SC errors: side effects on the handle
 * and context, a card error and a reason.
 */
static int
pcsc_rv(struct pcsc *p, LONG rv, const char *what, struct buf *why)
{
	int rc;

	switch (rv) {
	case SCARD_S_SUCCESS:
		return CARD_OK;
	case SCARD_W_RESET_CARD:
		/* another handle reset the card: the PIN state is gone */
		if (SCardReconnect(p->h, SCARD_SHARE_SHARED,
		    SCARD_PROTOCOL_T1 | SCARD_PROTOCOL_T0, SCARD_LEAVE_CARD,
		    &p->proto) == SCARD_S_SUCCESS) {
			p->fresh = 1;
			return PCSC_RETRY;
		}
		pcsc_drop(p, 0);
		rc = CARD_E_REMOVED;
		break;
	case SCARD_W_REMOVED_CARD:
	case SCARD_E_NO_SMARTCARD:
	case SCARD_W_UNPOWERED_CARD:
	case SCARD_W_UNRESPONSIVE_CARD:
	case SCARD_E_READER_UNAVAILABLE:
	case SCARD_E_UNKNOWN_READER:
	case SCARD_E_NO_READERS_AVAILABLE:
	case SCARD_E_INVALID_HANDLE:
		pcsc_drop(p, 0);
		rc = CARD_E_REMOVED;
		break;
	case SCARD_E_NO_SERVICE:
	case SCARD_E_SERVICE_STOPPED:
	case SCARD_F_COMM_ERROR:
	case SCARD_E_INVALID_PARAMETER:
		/* pcscd restarted: the context is dead whatever it says */
		pcsc_drop(p, 1);
		rc = CARD_E_REMOVED;
		break;
	case SCARD_E_SHARING_VIOLATION:
	case SCARD_E_TIMEOUT:
		rc = CARD_E_BUSY;
		break;
	default:
		rc = CARD_E_IO;
		break;
	}
	if (why)
		(void)buf_printf(why, "%s: %s", what, pcsc_stringify_error(rv));
	return rc;
}

/* pcsc_apdu - transmit one command; resp gets the data, sw the status */
int
pcsc_apdu(struct pcsc *p, const unsigned char *cmd, size_t n,
    struct buf *resp, unsigned *sw, struct buf *why)
{
	unsigned char r[MAX_BUFFER_SIZE_EXTENDED];
	DWORD len = sizeof(r);
	LONG rv;
	int rc;

	rv = SCardTransmit(p->h, p->proto == SCARD_PROTOCOL_T0 ?
	    SCARD_PCI_T0 : SCARD_PCI_T1, cmd, (DWORD)n, NULL, r, &len);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_rv(p, rv, "SCardTransmit", why);
	if (len < 2) {
		/* pcsc-lite's answer when the card vanished mid-APDU */
		pcsc_drop(p, 0);
		if (why)
			(void)buf_puts(why, "card removed during a command");
		return CARD_E_REMOVED;
	}
	*sw = ((unsigned)r[len - 2] << 8) | r[len - 1];
	rc = CARD_OK;
	if (resp != NULL && buf_append(resp, r, len - 2) < 0)
		rc = CARD_E_INTERNAL;
	OPENSSL_cleanse(r, len);
	return rc;
}

/* pcsc_context - a working context (a new one after a pcscd restart) */
static int
pcsc_context(struct pcsc *p, struct buf *why)
{
	LONG rv;

	if (p->have_ctx)
		return CARD_OK;
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
	if (rv != SCARD_S_SUCCESS) {
		if (why)
			(void)buf_printf(why, "pcscd: %s",
			    pcsc_stringify_error(rv));
		return CARD_E_REMOVED;
	}
	p->have_ctx = 1;
	return CARD_OK;
}

/* pcsc_try_reader - connect to a reader; 0 when it holds our card */
static int
pcsc_try_reader(struct pcsc *p, const char *reader, struct buf *why)
{
	LONG rv;

	rv = SCardConnect(p->ctx, reader, SCARD_SHARE_SHARED,
	    SCARD_PROTOCOL_T1 | SCARD_PROTOCOL_T0, &p->h, &p->proto);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_rv(p, rv, reader, why);
	p->have_h = 1;
	p->fresh = 1;
	pthread_mutex_lock(&p->mu);	/* card_status reads it */
	snprintf(p->reader, sizeof(p->reader), "%s", reader);
	pthread_mutex_unlock(&p->mu);
	return CARD_OK;
}

static int pcsc_simple(struct pcsc *, const unsigned char *, size_t,
    const char *, struct buf *);
static int pcsc_iccsn(struct pcsc *, char[21], struct buf *);

/*
 * pcsc_probe - without reader=, or with iccsn=: is the card in the reader
 * just connected an SMC-B, and the one configured? Lets the search go on
 * to the next reader.
 */
static int
pcsc_probe(struct pcsc *p, struct buf *why)
{
	char iccsn[21];
	LONG rv;
	int rc;

	if ((rv = SCardBeginTransaction(p->h)) != SCARD_S_SUCCESS)
		return pcsc_rv(p, rv, "SCardBeginTransaction", why);
	rc = pcsc_simple(p, apdu_sel_root, sizeof(apdu_sel_root),
	    "select SMC-B root", why);
	if (rc == CARD_OK)
		rc = pcsc_iccsn(p, iccsn, why);
	if (rc == CARD_OK && p->iccsn_want != NULL &&
	    strcasecmp(iccsn, p->iccsn_want) != 0) {
		if (why)
			(void)buf_printf(why, "reader \"%s\" holds card %s, "
			    "not %s", p->reader, iccsn, p->iccsn_want);
		rc = CARD_E_REMOVED;
	}
	if (p->have_h)
		(void)SCardEndTransaction(p->h, SCARD_LEAVE_CARD);
	return rc;
}

/* pcsc_connect - find the reader (reader=, else any) and connect */
static int
pcsc_connect(struct pcsc *p, struct buf *why)
{
	char *list = NULL, *r;
	DWORD len = 0;
	LONG rv;
	int rc = CARD_E_REMOVED;

	rv = SCardListReaders(p->ctx, NULL, NULL, &len);
	if (rv == SCARD_S_SUCCESS && (list = malloc(len)) != NULL)
		rv = SCardListReaders(p->ctx, NULL, list, &len);
	if (rv != SCARD_S_SUCCESS || list == NULL) {
		rc = pcsc_rv(p, rv, "SCardListReaders", why);
		if (rc == CARD_OK)
			rc = CARD_E_INTERNAL;
		goto out;
	}
	for (r = list; *r; r += strlen(r) + 1) {
		if (p->reader_want != NULL && strcmp(r, p->reader_want) != 0 &&
		    strncmp(r, p->reader_want, strlen(p->reader_want)) != 0)
			continue;
		buf_reset(why);
		if ((rc = pcsc_try_reader(p, r, why)) != CARD_OK)
			continue;
		if (p->reader_want != NULL && p->iccsn_want == NULL)
			break;
		if ((rc = pcsc_probe(p, why)) == CARD_OK)
			break;
		pcsc_drop(p, 0);	/* not ours: try the next reader */
		if (rc == PCSC_RETRY || rc == CARD_E_NOKEY)
			rc = CARD_E_REMOVED;
	}
	if (rc != CARD_OK && why && why->len == 0)
		(void)buf_printf(why, "no reader %s%s%s",
		    p->reader_want ? "\"" : "",
		    p->reader_want ? p->reader_want : "with a card",
		    p->reader_want ? "\"" : "");
out:
	free(list);
	return rc == PCSC_RETRY ? CARD_E_REMOVED : rc;
}

/* pcsc_simple - a command whose answer must be 9000 */
static int
pcsc_simple(struct pcsc *p, const unsigned char *cmd, size_t n,
    const char *what, struct buf *why)
{
	unsigned sw;
	int rc;

	if ((rc = pcsc_apdu(p, cmd, n, NULL, &sw, why)) != CARD_OK)
		return rc;
	if (sw == 0x9000)
		return CARD_OK;
	if (why)
		(void)buf_printf(why, "%s: %04X %s", what, sw, pcsc_sw_str(sw));
	return pcsc_sw_err(sw);
}

/* pcsc_iccsn - read EF.GDO under the root: 5A 0A ICCSN */
static int
pcsc_iccsn(struct pcsc *p, char out[21], struct buf *why)
{
	struct buf r = BUF_INIT;
	unsigned sw;
	int rc, i;

	if ((rc = pcsc_apdu(p, apdu_read_gdo, sizeof(apdu_read_gdo), &r, &sw,
	    why)) != CARD_OK)
		goto out;
	rc = CARD_E_IO;
	if ((sw != 0x9000 && sw != 0x6282) || r.len < 12 || r.data[0] != 0x5a ||
	    r.data[1] != 0x0a) {
		if (why)
			(void)buf_printf(why, "EF.GDO: %04X, no ICCSN", sw);
		goto out;
	}
	for (i = 0; i < 10; i++)
		snprintf(out + 2 * i, 3, "%02x", r.data[2 + i]);
	rc = CARD_OK;
out:
	buf_free(&r);
	return rc;
}

/*
 * pcsc_begin - connect if needed and open the transaction of one
 * operation: reselect the root (another handle or a reset may have moved
 * the selection), check the ICCSN of a fresh connection.
 */
int
pcsc_begin(struct pcsc *p, struct buf *why)
{
	char iccsn[21];
	LONG rv;
	int rc, attempt, stale = 0;

	for (attempt = 0; attempt < 3; attempt++) {
		if ((rc = pcsc_context(p, why)) != CARD_OK)
			return rc;
		if (!p->have_h && (rc = pcsc_connect(p, why)) != CARD_OK) {
			/* a stale context after a pcscd restart: once more */
			if (!p->have_ctx)
				continue;
			return rc;
		}
		rv = SCardBeginTransaction(p->h);
		rc = pcsc_rv(p, rv, "SCardBeginTransaction", why);
		/*
		 * Once more with a fresh connection when the handle was
		 * stale: a card taken out and put back (or a reader that came
		 * back) answers the new handle, and the first mail after it
		 * need not wait for Postfix's next queue run.
		 */
		if (rc == PCSC_RETRY || (rc == CARD_E_REMOVED &&
		    (!p->have_ctx || stale++ == 0)))
			continue;
		if (rc != CARD_OK)
			return rc;
		break;
	}
	if (attempt == 3)
		return CARD_E_REMOVED;
	rc = pcsc_simple(p, apdu_sel_root, sizeof(apdu_sel_root),
	    "select SMC-B root", why);
	if (rc == CARD_E_NOKEY) {
		if (why)
			(void)buf_printf(why, " (the card in \"%s\" is not an "
			    "SMC-B)", p->reader);
		rc = CARD_E_REMOVED;
	}
	if (rc != CARD_OK || !p->fresh)
		goto out;
	if ((rc = pcsc_iccsn(p, iccsn, why)) != CARD_OK)
		goto out;
	if (p->iccsn_want != NULL && strcasecmp(iccsn, p->iccsn_want) != 0) {
		if (why)
			(void)buf_printf(why, "reader \"%s\" holds card %s, not "
			    "%s", p->reader, iccsn, p->iccsn_want);
		rc = CARD_E_REMOVED;
		goto out;
	}
	pthread_mutex_lock(&p->mu);
	if (strcmp(iccsn, p->iccsn) != 0 && p->certs_loaded) {
		/* another card: its certificates must be read again */
		p->certs_loaded = 0;
	}
	snprintf(p->iccsn, sizeof(p->iccsn), "%s", iccsn);
	pthread_mutex_unlock(&p->mu);
	p->fresh = 0;
out:
	if (rc != CARD_OK)
		pcsc_end(p);
	return rc;
}

/* pcsc_end - end the transaction, keep the handle (and the card powered) */
void
pcsc_end(struct pcsc *p)
{
	if (p->have_h)
		(void)SCardEndTransaction(p->h, SCARD_LEAVE_CARD);
}

/* pcsc_select_esign - DF.ESIGN, where the keys and certificates are */
int
pcsc_select_esign(struct pcsc *p, struct buf *why)
{
	return pcsc_simple(p, apdu_sel_esign, sizeof(apdu_sel_esign),
	    "select DF.ESIGN", why);
}

/* pcsc_read_ef - read an EF by SFI in 256-byte short reads to its end */
static int
pcsc_read_ef(struct pcsc *p, int sfi, struct buf *out, struct buf *why)
{
	unsigned char cmd[5] = {0x00, 0xb0, 0, 0, 0x00};
	size_t off = 0, before;
	unsigned sw;
	int rc;

	for (;;) {
		if (off == 0) {
			cmd[2] = (unsigned char)(0x80 | sfi);
			cmd[3] = 0;
		} else {
			if (off > 0x7fff)
				return CARD_E_IO;
			cmd[2] = (unsigned char)(off >> 8);
			cmd[3] = (unsigned char)off;
		}
		before = out->len;
		if ((rc = pcsc_apdu(p, cmd, sizeof(cmd), out, &sw, why)) !=
		    CARD_OK)
			return rc;
		off += out->len - before;
		if (sw == 0x6282 || sw == 0x6b00)
			return CARD_OK;
		if (sw == 0x6a82)
			return CARD_E_NOKEY;
		if (sw != 0x9000) {
			if (why)
				(void)buf_printf(why, "read SFI %02X: %04X %s",
				    sfi, sw, pcsc_sw_str(sw));
			return pcsc_sw_err(sw);
		}
		if (out->len == before)
			return CARD_OK;
	}
}

/* pcsc_read_certs - the four certificates of DF.ESIGN, when present */
int
pcsc_read_certs(struct pcsc *p, struct buf *why)
{
	static const int sfi[2][2] = {{0x10, 0x07}, {0x02, 0x05}};
	X509 *x[2][2] = {{NULL, NULL}, {NULL, NULL}};
	struct buf der = BUF_INIT;
	const unsigned char *q;
	int u, t, rc = CARD_OK;

	if ((rc = pcsc_select_esign(p, why)) != CARD_OK)
		return rc;
	for (u = 0; u < 2 && rc == CARD_OK; u++)
		for (t = 0; t < 2 && rc == CARD_OK; t++) {
			buf_reset(&der);
			rc = pcsc_read_ef(p, sfi[u][t], &der, why);
			if (rc == CARD_E_NOKEY) {
				rc = CARD_OK;	/* the card lacks this one */
				continue;
			}
			q = der.data;
			if (rc == CARD_OK && der.len > 0 &&
			    (x[u][t] = d2i_X509(NULL, &q, (long)der.len)) ==
			    NULL) {
				card_ssl_why(why, "certificate on the card");
				rc = CARD_E_IO;
			}
		}
	buf_free(&der);
	pthread_mutex_lock(&p->mu);
	for (u = 0; u < 2; u++)
		for (t = 0; t < 2; t++) {
			if (rc != CARD_OK) {
				X509_free(x[u][t]);
				continue;
			}
			if (p->cert[u][t] != NULL) {
				/* borrowed pointers stay valid: keep old ones */
				X509 **o = realloc(p->old,
				    (p->nold + 1) * sizeof(*o));

				if (o != NULL) {
					p->old = o;
					p->old[p->nold++] = p->cert[u][t];
				}
			}
			p->cert[u][t] = x[u][t];
		}
	if (rc == CARD_OK)
		p->certs_loaded = 1;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* card_readers - the PC/SC readers and whether a card is in each */
int
card_readers(struct buf *out)
{
	SCARD_READERSTATE st;
	SCARDCONTEXT ctx;
	char *list = NULL, *r;
	DWORD len = 0;
	LONG rv;
	int rc = CARD_OK;

	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS) {
		(void)buf_printf(out, "pcscd: %s\n", pcsc_stringify_error(rv));
		return CARD_E_REMOVED;
	}
	rv = SCardListReaders(ctx, NULL, NULL, &len);
	if (rv == SCARD_S_SUCCESS && (list = malloc(len)) != NULL)
		rv = SCardListReaders(ctx, NULL, list, &len);
	if (rv == SCARD_E_NO_READERS_AVAILABLE) {
		(void)buf_puts(out, "no readers\n");
		goto out;
	}
	if (rv != SCARD_S_SUCCESS || list == NULL) {
		(void)buf_printf(out, "readers: %s\n",
		    pcsc_stringify_error(rv));
		rc = CARD_E_IO;
		goto out;
	}
	for (r = list; *r; r += strlen(r) + 1) {
		memset(&st, 0, sizeof(st));
		st.szReader = r;
		st.dwCurrentState = SCARD_STATE_UNAWARE;
		rv = SCardGetStatusChange(ctx, 0, &st, 1);
		(void)buf_printf(out, "reader \"%s\": %s\n", r,
		    rv != SCARD_S_SUCCESS ? pcsc_stringify_error(rv) :
		    (st.dwEventState & SCARD_STATE_PRESENT) ? "card present" :
		    "empty");
	}
out:
	free(list);
	(void)SCardReleaseContext(ctx);
	return rc;
}
