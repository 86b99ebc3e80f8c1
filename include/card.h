/*
 * card - the card interface: what the codec and the pipelines need from an
 * SMC-B, whatever the backend (soft keys, PC/SC).
 *
 * Ownership: card_open* returns a card that the caller frees with
 * card_free. Certificates returned by card_certificate are borrowed from the
 * card and live as long as it. Output buffers are caller-owned (struct buf);
 * buffers that hold key material are wiped by the caller with buf_wipe.
 *
 * Threads: every function may be called from any thread; a backend serialises
 * its own operations per card. The progress callback is always invoked on the
 * caller's thread (the milter's end-of-message thread sends smfi_progress
 * from it), at least every CARD_PROGRESS_INTERVAL_MS while the card works.
 *
 * Errors: functions return CARD_OK or a negative card_err. card_err_transient
 * tells the caller whether a retry later can help (busy, removed, timeout:
 * tempfail) or not (PIN refused, blocked, key missing: card out of service or
 * reject). A human-readable reason for the last error of a call is written to
 * the optional `why` buffer.
 *
 * Backends: soft (key files; card_soft.c) and pcsc (an SMC-B through
 * pcscd; card_pcsc*.c, one worker thread per card). Cards of one identity
 * share work through card_pool.h; ELC key transport is elc.h. The Card
 * line's fields of each backend are in kim-milter.conf(5), CARDS.
 */
#ifndef KIM_CARD_H
#define KIM_CARD_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "buf.h"

struct conf_card;

#define CARD_PROGRESS_INTERVAL_MS 2000

enum card_err {
	CARD_OK = 0,
	/* transient: the same call may succeed later */
	CARD_E_BUSY = -1,	/* card busy or pool exhausted until deadline */
	CARD_E_REMOVED = -2,	/* card or reader gone, pcscd restarted */
	CARD_E_TIMEOUT = -3,	/* deadline passed while the card worked */
	CARD_E_IO = -4,		/* other transport error */
	/* permanent: needs an admin or another key */
	CARD_E_PIN = -10,	/* PIN refused, blocked, transport PIN, counter low */
	CARD_E_NOKEY = -11,	/* key or certificate not on this card */
	CARD_E_ALG = -12,	/* algorithm not supported for this key */
	CARD_E_CRYPTO = -13,	/* cryptogram rejected (bad MAC, bad padding) */
	CARD_E_CONFIG = -14,	/* backend misconfigured (files, fields) */
	CARD_E_INTERNAL = -15,	/* out of memory, library failure */
	CARD_E_DISABLED = -16,	/* taken out of service; see card status */
};

/* card_err_transient - 1 when a retry later may succeed (tempfail) */
int card_err_transient(int err);
/* card_err_str - a short name of the error class */
const char *card_err_str(int err);

enum card_keytype {
	CARD_KEY_RSA = 0,	/* R2048 */
	CARD_KEY_ECC = 1,	/* E256, brainpoolP256r1 */
};

enum card_keyuse {
	CARD_USE_OSIG = 0,	/* PrK.HCI.OSIG: signatures */
	CARD_USE_ENC = 1,	/* PrK.HCI.ENC: decipher */
};

enum card_sigalg {
	CARD_SIG_RSA_PSS = 0,	/* RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 */
	CARD_SIG_ECDSA = 1,	/* ECDSA brainpoolP256r1, DER ECDSA-Sig-Value */
};

enum card_decalg {
	CARD_DEC_RSA_OAEP = 0,	/* RSAES-OAEP, SHA-256, MGF1-SHA-256, no label */
	CARD_DEC_ELC = 1,	/* gematik ELC (ECIES) template, see elc.h */
};

/* progress callback: called on the caller's thread while the card works */
typedef void (*card_progress_fn)(void *arg);

struct card;

/* one backend: a designated-initializer vtable */
struct card_ops {
	const char *name;
	int (*sign)(struct card *, enum card_sigalg, const unsigned char *hash32,
	    struct buf *sig, const struct timespec *deadline,
	    card_progress_fn, void *, struct buf *why);
	int (*decipher)(struct card *, enum card_decalg,
	    const unsigned char *cryptogram, size_t len, struct buf *key,
	    const struct timespec *deadline, card_progress_fn, void *,
	    struct buf *why);
	X509 *(*certificate)(struct card *, enum card_keyuse, enum card_keytype);
	int (*enable)(struct card *, struct buf *why);	/* may be NULL */
	int (*status)(struct card *, struct buf *out);	/* may be NULL */
	void (*free)(struct card *);
};

struct card {
	const struct card_ops *ops;
	char *name;		/* from the Card line of kim-milter.conf */
	void *impl;		/* backend state */
};

/*
 * card_sign - sign a SHA-256 hash with the card's OSIG key of the matching
 * type. RSA-PSS gives the 256-byte signature; ECDSA gives DER
 * ECDSA-Sig-Value (the card's r||s converted).
 */
int card_sign(struct card *card, enum card_sigalg alg,
    const unsigned char hash32[32], struct buf *sig,
    const struct timespec *deadline, card_progress_fn progress, void *arg,
    struct buf *why) __attribute__((warn_unused_result));

/*
 * card_decipher - recover a content key with the card's ENC key: RSA-OAEP
 * cryptogram (256 bytes) or ELC template (the encryptedKey of an ECC
 * KeyTransRecipientInfo).
 */
int card_decipher(struct card *card, enum card_decalg alg,
    const unsigned char *cryptogram, size_t len, struct buf *key,
    const struct timespec *deadline, card_progress_fn progress, void *arg,
    struct buf *why) __attribute__((warn_unused_result));

/*
 * card_certificate - the card's certificate for a use and key type, or NULL
 * when the card has none. Borrowed: valid as long as the card.
 */
X509 *card_certificate(struct card *card, enum card_keyuse use,
    enum card_keytype type);

/*
 * card_open - open the card that a `Card` line of kim-milter.conf describes,
 * with the backend its backend= field names (soft, pcsc). The backend checks
 * its fields and files here. Returns NULL with a reason in why (one line,
 * naming the card and the field) when the line cannot work: unknown backend
 * or field, missing or unsafe files, wrong key types. A PC/SC card that is
 * absent at open is not an error: its operations fail with CARD_E_REMOVED
 * until it is back. The line is not referenced after the call.
 *
 * Other callers (kimctl --key/--cert) may fill a struct conf_card by hand:
 * name, backend and the fields array are all that is read.
 */
struct card *card_open(const struct conf_card *cc, struct buf *why)
    __attribute__((warn_unused_result));

/*
 * card_enable - the admin's `kimctl card enable`: put a card that was taken
 * out of service (wrong PIN, counter below its maximum) back, re-read its
 * PIN file, and allow exactly one VERIFY if the retry counter is 2 or more
 * (never at 1). CARD_OK, or an error with the reason in why.
 */
int card_enable(struct card *card, struct buf *why);

/* card_status - append one line: in service or not and why, ICCSN, reader */
int card_status(struct card *card, struct buf *out);

/* card_free - release a card; accepts NULL */
void card_free(struct card *card);

/* card_deadline - a deadline ms milliseconds from now (CLOCK_REALTIME) */
void card_deadline(struct timespec *ts, long ms);
/* card_deadline_passed - 1 when the deadline (NULL: none) is over */
int card_deadline_passed(const struct timespec *deadline);

#endif
