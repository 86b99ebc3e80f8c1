/*
 * card_pcsc.c - the PC/SC backend: an SMC-B in a reader, through pcscd.
 *
 * Fields of the Card line (kim-milter.conf(5), CARDS): reader= (name or
 * name prefix), iccsn= (20 digits), pin-file= (required), state-file=.
 *
 * PIN rules (architecture.md rule 4): GET PIN STATUS first; VERIFY only when
 * the retry counter is at its maximum (3); a refused PIN is never retried;
 * transport-PIN and blocked cards are refused. Each of these takes the card
 * out of service, with the reason kept in the state file so that a restart
 * does not try again; `card enable` (card_enable) puts it back and allows
 * exactly one VERIFY at a counter of 2 or more, never at 1.
 *
 * Each operation is one job on the card's worker thread, inside one short
 * PC/SC transaction that re-selects the root and DF.ESIGN first.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/x509.h>

#include "card.h"
#include "card_int.h"
#include "card_pcsc.h"
#include "conf.h"
#include "msg.h"

enum { OP_CERTS, OP_SIGN, OP_DECIPHER, OP_STATUS };

#define PCSC_CERT_TIMEOUT_MS 10000
#define PCSC_STATUS_TIMEOUT_MS 5000

static int pcsc_read_pin(struct pcsc *p, struct buf *why);

/* pcsc_state_save - persist "out of service" and why (or remove it) */
static void
pcsc_state_save(struct pcsc *p)
{
	struct buf tmp = BUF_INIT;
	FILE *fp;

	if (!p->disabled && !p->enable_once) {
		if (unlink(p->state_file) < 0 && errno != ENOENT)
			msg_error("card %s: cannot remove %s: %s", p->name,
			    p->state_file, strerror(errno));
		return;
	}
	(void)buf_printf(&tmp, "%s.tmp", p->state_file);
	if ((fp = fopen(buf_str(&tmp), "w")) == NULL ||
	    (p->disabled ? fprintf(fp, "disabled\n%s\n", p->reason) :
	    fprintf(fp, "enable-once\n")) < 0 ||
	    fclose(fp) != 0 || rename(buf_str(&tmp), p->state_file) < 0)
		msg_error("card %s: cannot write %s: %s; the card stays out "
		    "of service only until a restart", p->name, p->state_file,
		    strerror(errno));
	buf_free(&tmp);
}

/* pcsc_state_load - a card taken out of service before a restart */
static void
pcsc_state_load(struct pcsc *p)
{
	char line[600];
	FILE *fp;

	if ((fp = fopen(p->state_file, "r")) == NULL)
		return;
	if (fgets(line, sizeof(line), fp) == NULL)
		line[0] = 0;
	if (strcmp(line, "enable-once\n") == 0) {
		/* kimctl card enable, also while we run: one VERIFY allowed */
		if (p->disabled)
			msg_info("card %s: back in service by the admin; one PIN "
			    "try is allowed if the counter is 2 or more",
			    p->name);
		p->disabled = 0;
		p->reason[0] = 0;
		p->enable_once = 1;
		p->pin_reload = 1;
	} else if (strcmp(line, "disabled\n") == 0) {
		p->disabled = 1;
		if (fgets(p->reason, sizeof(p->reason), fp) == NULL)
			snprintf(p->reason, sizeof(p->reason), "unknown");
		p->reason[strcspn(p->reason, "\n")] = 0;
		msg_warn("card %s: out of service: %s", p->name, p->reason);
	}
	fclose(fp);
}

/* pcsc_disable - take the card out of service, say so, persist it */
static int
pcsc_disable(struct pcsc *p, struct buf *why, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&p->mu);
	p->disabled = 1;
	p->enable_once = 0;
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
	pcsc_state_save(p);
	msg_error("card %s: out of service: %s", p->name, p->reason);
	if (why)
		(void)buf_printf(why, "card %s out of service: %s", p->name,
		    p->reason);
	pthread_mutex_unlock(&p->mu);
	return CARD_E_PIN;
}

/* pcsc_verify - VERIFY PIN.SMC with an ISO 9564 format-2 block */
static int
pcsc_verify(struct pcsc *p, unsigned *sw, struct buf *why)
{
	unsigned char cmd[13] = {0x00, 0x20, 0x00, 0x01, 0x08};
	size_t i;
	int rc;

	memset(cmd + 5, 0xff, 8);
	cmd[5] = (unsigned char)(0x20 | p->pin.len);
	for (i = 0; i < p->pin.len; i++) {
		unsigned d = (unsigned)(p->pin.data[i] - '0');

		if (i % 2 == 0)
			cmd[6 + i / 2] = (unsigned char)((d << 4) | 0x0f);
		else
			cmd[6 + i / 2] = (unsigned char)((cmd[6 + i / 2] &
			    0xf0) | d);
	}
	rc = pcsc_apdu(p, cmd, sizeof(cmd), NULL, sw, why);
	OPENSSL_cleanse(cmd, sizeof(cmd));
	return rc;
}

/* pcsc_pin_state - remember what GET PIN STATUS said, in words */
static void
pcsc_pin_state(struct pcsc *p, unsigned sw)
{
	pthread_mutex_lock(&p->mu);
	if (sw == 0x9000)
		snprintf(p->pin_state, sizeof(p->pin_state), "verified");
	else if (sw == 0x62c1)
		snprintf(p->pin_state, sizeof(p->pin_state), "transport PIN");
	else if (sw == 0x6983 || sw == 0x63c0)
		snprintf(p->pin_state, sizeof(p->pin_state), "blocked");
	else if ((sw & 0xfff0) == 0x63c0)
		snprintf(p->pin_state, sizeof(p->pin_state),
		    "%u of %d tries left", sw & 0x0f, PCSC_PIN_MAX_TRIES);
	else
		snprintf(p->pin_state, sizeof(p->pin_state), "status %04X", sw);
	pthread_mutex_unlock(&p->mu);
}

/* pcsc_pin_status - GET PIN STATUS only: no try is ever spent */
static int
pcsc_pin_status(struct pcsc *p, struct buf *why)
{
	static const unsigned char status[] = {0x80, 0x20, 0x00, 0x01};
	unsigned sw;
	int rc;

	if ((rc = pcsc_apdu(p, status, sizeof(status), NULL, &sw, why)) ==
	    CARD_OK)
		pcsc_pin_state(p, sw);
	return rc;
}

/* pcsc_pin - make sure PIN.SMC is verified, by the rules above */
static int
pcsc_pin(struct pcsc *p, struct buf *why)
{
	static const unsigned char status[] = {0x80, 0x20, 0x00, 0x01};
	unsigned sw, left;
	int rc, once;

	if ((rc = pcsc_apdu(p, status, sizeof(status), NULL, &sw, why)) !=
	    CARD_OK)
		return rc;
	pcsc_pin_state(p, sw);
	if (sw == 0x9000)
		return CARD_OK;		/* verified in this power cycle */
	if (sw == 0x62c1)
		return pcsc_disable(p, why, "the transport PIN is still set: "
		    "set PIN.SMC at a card terminal, then run kimctl card "
		    "enable %s", p->name);
	if (sw == 0x6983 || sw == 0x63c0)
		return pcsc_disable(p, why, "PIN.SMC is blocked: unblock it "
		    "with the PUK at a card terminal, then run kimctl card "
		    "enable %s", p->name);
	if ((sw & 0xfff0) != 0x63c0) {
		if (why)
			(void)buf_printf(why, "GET PIN STATUS: %04X %s", sw,
			    pcsc_sw_str(sw));
		return CARD_E_IO;
	}
	left = sw & 0x0f;
	pthread_mutex_lock(&p->mu);
	once = p->enable_once && left >= 2;
	if (p->enable_once) {
		p->enable_once = 0;
		pcsc_state_save(p);
	}
	pthread_mutex_unlock(&p->mu);
	if (left < PCSC_PIN_MAX_TRIES && !once)
		return pcsc_disable(p, why, "the PIN.SMC retry counter is %u "
		    "of %d: a wrong PIN was entered. No PIN is tried "
		    "automatically now. Check %s, then run kimctl card enable "
		    "%s%s", left, PCSC_PIN_MAX_TRIES, p->pin_file, p->name,
		    left < 2 ? " (at 1 try left only a person at a card "
		    "terminal may enter the PIN)" : "");
	if ((rc = pcsc_verify(p, &sw, why)) != CARD_OK)
		return rc;
	if (sw == 0x9000) {
		msg_info("card %s: PIN.SMC verified", p->name);
		return CARD_OK;
	}
	if ((sw & 0xfff0) == 0x63c0 || sw == 0x6983)
		/* never again: the next wrong try could block the card */
		return pcsc_disable(p, why, "the card refused the PIN from %s "
		    "(%u tries left); it will not be tried again. Put the "
		    "right PIN there, then run kimctl card enable %s",
		    p->pin_file, sw == 0x6983 ? 0 : sw & 0x0f, p->name);
	if (why)
		(void)buf_printf(why, "VERIFY: %04X %s", sw, pcsc_sw_str(sw));
	return pcsc_sw_err(sw);
}

/* pcsc_cmd - MSE:SET or PSO; CARD_OK only for 9000 */
static int
pcsc_cmd(struct pcsc *p, const unsigned char *cmd, size_t n,
    struct buf *resp, const char *what, struct buf *why)
{
	unsigned sw;
	int rc;

	if ((rc = pcsc_apdu(p, cmd, n, resp, &sw, why)) != CARD_OK)
		return rc;
	if (sw == 0x9000)
		return CARD_OK;
	if (why)
		(void)buf_printf(why, "%s: %04X %s", what, sw, pcsc_sw_str(sw));
	return pcsc_sw_err(sw);
}

/* pcsc_sign - MSE:SET and PSO COMPUTE DIGITAL SIGNATURE */
static int
pcsc_sign(struct pcsc *p, struct card_job *job)
{
	unsigned char mse[11] = {0x00, 0x22, 0x41, 0xb6, 0x06, 0x84, 0x01,
	    0x84, 0x80, 0x01, 0x05};
	unsigned char pso[38] = {0x00, 0x2a, 0x9e, 0x9a, 0x20};
	struct buf rs = BUF_INIT;
	int rc, ecc = job->alg == CARD_SIG_ECDSA;

	if (ecc) {
		mse[7] = 0x87;
		mse[10] = 0x00;
	}
	memcpy(pso + 5, job->in.data, 32);
	pso[37] = 0x00;
	if ((rc = pcsc_cmd(p, mse, sizeof(mse), NULL, "MSE:SET sign",
	    &job->why)) != CARD_OK ||
	    (rc = pcsc_cmd(p, pso, sizeof(pso), &rs, "PSO COMPUTE DIGITAL "
	    "SIGNATURE", &job->why)) != CARD_OK)
		goto out;
	if (!ecc) {
		rc = buf_append(&job->out, rs.data, rs.len) < 0 ?
		    CARD_E_INTERNAL : CARD_OK;
		goto out;
	}
	rc = card_ecdsa_der(rs.data, rs.len, &job->out);
	if (rc != CARD_OK)
		(void)buf_printf(&job->why, "the card's ECDSA signature has "
		    "%zu bytes, not 64", rs.len);
out:
	buf_free(&rs);
	return rc;
}

/* pcsc_decipher - MSE:SET and PSO DECIPHER (OAEP: extended APDU) */
static int
pcsc_decipher(struct pcsc *p, struct card_job *job)
{
	unsigned char mse[11] = {0x00, 0x22, 0x41, 0xb8, 0x06, 0x84, 0x01,
	    0x83, 0x80, 0x01, 0x85};
	struct buf pso = BUF_INIT;
	size_t lc;
	int rc, elc = job->alg == CARD_DEC_ELC;

	if (elc) {
		mse[7] = 0x85;
		mse[10] = 0x0b;
	}
	lc = job->in.len + (elc ? 0 : 1);
	if (!elc && job->in.len != 256) {
		(void)buf_printf(&job->why, "RSA cryptogram of %zu bytes, the "
		    "card's key needs 256", job->in.len);
		return CARD_E_CRYPTO;
	}
	rc = CARD_E_INTERNAL;
	if (buf_append(&pso, "\x00\x2a\x80\x86", 4) < 0)
		goto out;
	if (lc <= 255) {
		unsigned char l = (unsigned char)lc;

		if (buf_append(&pso, &l, 1) < 0 ||
		    buf_append(&pso, job->in.data, job->in.len) < 0 ||
		    buf_append(&pso, "\x00", 1) < 0)
			goto out;
	} else {
		unsigned char l[3] = {0, (unsigned char)(lc >> 8),
		    (unsigned char)lc};

		if (buf_append(&pso, l, 3) < 0 ||
		    (!elc && buf_append(&pso, "\x00", 1) < 0) ||
		    buf_append(&pso, job->in.data, job->in.len) < 0 ||
		    buf_append(&pso, "\x00\x00", 2) < 0)
			goto out;
	}
	if ((rc = pcsc_cmd(p, mse, sizeof(mse), NULL, "MSE:SET decipher",
	    &job->why)) != CARD_OK)
		goto out;
	rc = pcsc_cmd(p, pso.data, pso.len, &job->out, "PSO DECIPHER",
	    &job->why);
out:
	buf_free(&pso);
	return rc;
}

/* pcsc_do - one try of a job inside one transaction */
static int
pcsc_do(struct pcsc *p, struct card_job *job)
{
	int rc, loaded, disabled, reload;

	pthread_mutex_lock(&p->mu);
	if (p->disabled)
		pcsc_state_load(p);	/* kimctl card enable may have run */
	disabled = p->disabled;
	reload = p->pin_reload;
	p->pin_reload = 0;
	pthread_mutex_unlock(&p->mu);
	if (reload && (rc = pcsc_read_pin(p, &job->why)) != CARD_OK) {
		buf_reset(&job->why);
		return pcsc_disable(p, &job->why, "the PIN file %s cannot be "
		    "used: fix it, then run kimctl card enable %s",
		    p->pin_file, p->name);
	}
	pthread_mutex_lock(&p->mu);
	if (disabled && job->op != OP_CERTS && job->op != OP_STATUS)
		(void)buf_printf(&job->why, "card %s is out of service: %s",
		    p->name, p->reason);
	pthread_mutex_unlock(&p->mu);
	if (disabled && job->op != OP_CERTS && job->op != OP_STATUS)
		return CARD_E_DISABLED;
	if ((rc = pcsc_begin(p, &job->why)) != CARD_OK)
		return rc;
	pthread_mutex_lock(&p->mu);
	loaded = p->certs_loaded;
	pthread_mutex_unlock(&p->mu);
	if (!loaded && (rc = pcsc_read_certs(p, &job->why)) != CARD_OK)
		goto out;
	if (job->op == OP_CERTS)
		goto out;
	if (job->op == OP_STATUS) {
		rc = pcsc_pin_status(p, &job->why);
		goto out;
	}
	if ((rc = pcsc_pin(p, &job->why)) != CARD_OK ||
	    (rc = pcsc_select_esign(p, &job->why)) != CARD_OK)
		goto out;
	rc = job->op == OP_SIGN ? pcsc_sign(p, job) : pcsc_decipher(p, job);
out:
	pcsc_end(p);
	return rc;
}

/* pcsc_exec - the worker's job function: again once after a reset */
static int
pcsc_exec(void *impl, struct card_job *job)
{
	struct pcsc *p = impl;
	int rc, tries;

	for (tries = 0; tries < 2; tries++) {
		buf_wipe(&job->out);
		buf_reset(&job->why);
		if ((rc = pcsc_do(p, job)) != PCSC_RETRY)
			break;
	}
	if (rc == PCSC_RETRY)
		rc = CARD_E_REMOVED;
	if (rc != CARD_OK && card_err_transient(rc))
		msg_warn("card %s: %s", p->name, buf_str(&job->why));
	return rc;
}

/* pcsc_run - submit a job and wait for it */
static int
pcsc_run(struct card *card, struct card_job *job,
    const struct timespec *deadline, card_progress_fn progress, void *arg,
    struct buf *why)
{
	struct pcsc *p = card->impl;
	int rc;

	rc = card_worker_run(p->worker, job, deadline, progress, arg);
	if (why != NULL) {
		if (rc == CARD_E_BUSY)
			(void)buf_printf(why, "card %s stayed busy until the "
			    "deadline", card->name);
		else if (rc == CARD_E_TIMEOUT)
			(void)buf_printf(why, "card %s did not answer before "
			    "the deadline", card->name);
		else if (rc != CARD_OK)
			(void)buf_puts(why, buf_str(&job->why));
	}
	return rc;
}

/* pcsc_op_sign - card_sign for this backend */
static int
pcsc_op_sign(struct card *card, enum card_sigalg alg,
    const unsigned char *hash, struct buf *sig,
    const struct timespec *deadline, card_progress_fn progress, void *arg,
    struct buf *why)
{
	struct card_job *job;
	int rc;

	if (alg != CARD_SIG_RSA_PSS && alg != CARD_SIG_ECDSA)
		return CARD_E_ALG;
	if ((job = card_job_new(OP_SIGN)) == NULL)
		return CARD_E_INTERNAL;
	job->alg = alg;
	rc = buf_append(&job->in, hash, 32) < 0 ? CARD_E_INTERNAL :
	    pcsc_run(card, job, deadline, progress, arg, why);
	if (rc == CARD_OK && buf_append(sig, job->out.data, job->out.len) < 0)
		rc = CARD_E_INTERNAL;
	card_job_free(job);
	return rc;
}

/* pcsc_op_decipher - card_decipher for this backend */
static int
pcsc_op_decipher(struct card *card, enum card_decalg alg,
    const unsigned char *in, size_t len, struct buf *key,
    const struct timespec *deadline, card_progress_fn progress, void *arg,
    struct buf *why)
{
	struct card_job *job;
	int rc;

	if (alg != CARD_DEC_RSA_OAEP && alg != CARD_DEC_ELC)
		return CARD_E_ALG;
	if (len == 0 || len > 4096)
		return CARD_E_CRYPTO;
	if ((job = card_job_new(OP_DECIPHER)) == NULL)
		return CARD_E_INTERNAL;
	job->alg = alg;
	rc = buf_append(&job->in, in, len) < 0 ? CARD_E_INTERNAL :
	    pcsc_run(card, job, deadline, progress, arg, why);
	if (rc == CARD_OK && buf_append(key, job->out.data, job->out.len) < 0)
		rc = CARD_E_INTERNAL;
	card_job_free(job);
	return rc;
}

/* pcsc_op_certificate - read the card's certificates once, then cached */
static X509 *
pcsc_op_certificate(struct card *card, enum card_keyuse use,
    enum card_keytype type)
{
	struct pcsc *p = card->impl;
	struct card_job *job;
	struct timespec dl;
	X509 *x = NULL;
	int loaded;

	if ((unsigned)use > 1 || (unsigned)type > 1)
		return NULL;
	pthread_mutex_lock(&p->mu);
	loaded = p->certs_loaded;
	pthread_mutex_unlock(&p->mu);
	if (!loaded && (job = card_job_new(OP_CERTS)) != NULL) {
		card_deadline(&dl, PCSC_CERT_TIMEOUT_MS);
		(void)card_worker_run(p->worker, job, &dl, NULL, NULL);
		card_job_free(job);
	}
	pthread_mutex_lock(&p->mu);
	x = p->cert[use][type];
	pthread_mutex_unlock(&p->mu);
	return x;
}

/* pcsc_read_pin - the PIN file: 4 to 12 digits and a line end */
static int
pcsc_read_pin(struct pcsc *p, struct buf *why)
{
	struct buf raw = BUF_INIT;
	size_t i, n;
	int rc;

	buf_wipe(&p->pin);
	if ((rc = card_file_read_pin(p->pin_file, &raw, why)) != CARD_OK)
		goto out;
	n = strcspn((const char *)raw.data, "\r\n");
	rc = CARD_E_CONFIG;
	for (i = 0; i < n; i++)
		if (raw.data[i] < '0' || raw.data[i] > '9')
			break;
	if (i != n || n < 4 || n > 12) {
		if (why)
			(void)buf_printf(why, "%s: the PIN must be 4 to 12 "
			    "digits on the first line", p->pin_file);
		goto out;
	}
	if (buf_reserve(&p->pin, 16) < 0) {
		rc = CARD_E_INTERNAL;
		goto out;
	}
	/* keep it out of swap where we may */
	(void)mlock(p->pin.data, p->pin.cap);
	rc = buf_append(&p->pin, raw.data, n) < 0 ? CARD_E_INTERNAL : CARD_OK;
out:
	buf_wipe(&raw);
	return rc;
}

/*
 * pcsc_op_enable - `kimctl card enable`: back in service with one VERIFY
 * allowed, recorded in the state file (so that a daemon that runs picks it
 * up, and a restart in between does not lose it). The PIN file is checked
 * here and read again by the worker before its next job.
 */
static int
pcsc_op_enable(struct card *card, struct buf *why)
{
	struct pcsc *p = card->impl;
	struct pcsc check;
	int rc;

	memset(&check, 0, sizeof(check));
	check.pin_file = p->pin_file;
	rc = pcsc_read_pin(&check, why);
	buf_wipe(&check.pin);
	if (rc != CARD_OK)
		return rc;
	pthread_mutex_lock(&p->mu);
	p->disabled = 0;
	p->reason[0] = 0;
	p->enable_once = 1;
	p->pin_reload = 1;
	pcsc_state_save(p);
	pthread_mutex_unlock(&p->mu);
	msg_info("card %s: back in service by the admin; one PIN try is "
	    "allowed if the counter is 2 or more", p->name);
	return CARD_OK;
}

/*
 * pcsc_op_status - service state, and what the card shows without a PIN
 * try: ICCSN, reader, PIN status (GET PIN STATUS only)
 */
static int
pcsc_op_status(struct card *card, struct buf *out)
{
	struct pcsc *p = card->impl;
	struct card_job *job;
	struct timespec dl;
	int rc = CARD_E_INTERNAL;

	if ((job = card_job_new(OP_STATUS)) != NULL) {
		card_deadline(&dl, PCSC_STATUS_TIMEOUT_MS);
		rc = card_worker_run(p->worker, job, &dl, NULL, NULL);
	}
	pthread_mutex_lock(&p->mu);
	if (p->disabled)
		pcsc_state_load(p);
	(void)buf_printf(out, "%s%s", p->disabled ? "out of service: " :
	    "in service", p->disabled ? p->reason : "");
	if (p->enable_once)
		(void)buf_puts(out, " (enabled by the admin: one PIN try "
		    "allowed at a counter of 2 or more)");
	if (rc == CARD_OK)
		(void)buf_printf(out, "; card %s in \"%s\"; PIN.SMC %s",
		    p->iccsn, p->reader, p->pin_state);
	else if (rc == CARD_E_TIMEOUT || rc == CARD_E_BUSY)
		/* the job may still run: its why is not ours to read */
		(void)buf_printf(out, "; card busy or not answering (%s)",
		    card_err_str(rc));
	else
		(void)buf_printf(out, "; card not reachable: %s",
		    job ? buf_str(&job->why) : "out of memory");
	pthread_mutex_unlock(&p->mu);
	card_job_free(job);
	return CARD_OK;
}

/* pcsc_free - stop the worker, release pcsc-lite, wipe the PIN */
static void
pcsc_free(struct card *card)
{
	struct pcsc *p = card->impl;
	size_t i;
	int u, t;

	if (p == NULL)
		return;
	if (card_worker_free(p->worker) < 0) {
		/* the worker hangs in pcsc-lite with p: leave p to it */
		msg_warn("card %s: its reader hangs; leaving it behind",
		    p->name);
		card->impl = NULL;
		return;
	}
	pcsc_drop(p, 1);
	for (u = 0; u < 2; u++)
		for (t = 0; t < 2; t++)
			X509_free(p->cert[u][t]);
	for (i = 0; i < p->nold; i++)
		X509_free(p->old[i]);
	free(p->old);
	buf_wipe(&p->pin);
	free(p->name);
	free(p->reader_want);
	free(p->iccsn_want);
	free(p->state_file);
	free(p->pin_file);
	pthread_mutex_destroy(&p->mu);
	free(p);
	card->impl = NULL;
}

static const struct card_ops pcsc_ops = {
	.name = "pcsc",
	.sign = pcsc_op_sign,
	.decipher = pcsc_op_decipher,
	.certificate = pcsc_op_certificate,
	.enable = pcsc_op_enable,
	.status = pcsc_op_status,
	.free = pcsc_free,
};

/* pcsc_fields - check and copy the fields of the Card line */
static int
pcsc_fields(struct pcsc *p, const struct conf_card *cc, struct buf *why)
{
	const struct conf_field *f;
	size_t i;
	char **dst;

	for (i = 0; i < cc->nfields; i++) {
		f = &cc->fields[i];
		if (strcmp(f->key, "pool") == 0 ||
		    strcmp(f->key, "backend") == 0)
			continue;
		if (strcmp(f->key, "reader") == 0)
			dst = &p->reader_want;
		else if (strcmp(f->key, "iccsn") == 0)
			dst = &p->iccsn_want;
		else if (strcmp(f->key, "pin-file") == 0)
			dst = &p->pin_file;
		else if (strcmp(f->key, "state-file") == 0)
			dst = &p->state_file;
		else {
			if (why)
				(void)buf_printf(why, "card \"%s\": unknown field "
				    "\"%s\" for backend pcsc (known: reader, "
				    "iccsn, pin-file, state-file)", cc->name,
				    f->key);
			return CARD_E_CONFIG;
		}
		if ((*dst = strdup(f->value)) == NULL)
			return CARD_E_INTERNAL;
	}
	if (p->pin_file == NULL) {
		if (why)
			(void)buf_printf(why, "card \"%s\": pin-file= is missing",
			    cc->name);
		return CARD_E_CONFIG;
	}
	if (p->iccsn_want != NULL && (strlen(p->iccsn_want) != 20 ||
	    strspn(p->iccsn_want, "0123456789") != 20)) {
		if (why)
			(void)buf_printf(why, "card \"%s\": iccsn= has 20 digits",
			    cc->name);
		return CARD_E_CONFIG;
	}
	if (p->state_file == NULL) {
		struct buf b = BUF_INIT;

		if (buf_printf(&b, "%s/lib/kim-milter/card-%s.state",
		    LOCALSTATEDIR, cc->name) < 0)
			return CARD_E_INTERNAL;
		p->state_file = (char *)b.data;
	}
	return CARD_OK;
}

/* card_pcsc_open - check the line and the PIN file; the card may be absent */
struct card *
card_pcsc_open(const struct conf_card *cc, struct buf *why)
{
	struct card *card = NULL;
	struct pcsc *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	if ((p->name = strdup(cc->name)) == NULL ||
	    pcsc_fields(p, cc, why) != CARD_OK ||
	    pcsc_read_pin(p, why) != CARD_OK)
		goto fail;
	pcsc_state_load(p);
	if ((card = card_alloc(&pcsc_ops, cc->name, p)) == NULL)
		goto fail;
	if ((p->worker = card_worker_new(pcsc_exec, p)) == NULL) {
		card_free(card);
		return NULL;
	}
	return card;
fail:
	if (why && why->len == 0)
		(void)buf_printf(why, "card \"%s\": out of memory", cc->name);
	card = card_alloc(&pcsc_ops, cc->name, p);
	if (card == NULL) {
		free(p->name);
		free(p);
		return NULL;
	}
	card_free(card);
	return NULL;
}
