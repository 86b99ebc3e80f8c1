/*
 * milter_io.c - the thin wrapper over smfi_*: pipelines never see SMFICTX.
 */
#include "config.h"

#include <libmilter/mfapi.h>

#include "milter.h"

/* smfi_getsymval_w - adapter */
static const char *
smfi_getsymval_w(void *h, const char *name)
{
	return smfi_getsymval((SMFICTX *)h, (char *)name);
}

/* smfi_setreply_w - adapter */
static int
smfi_setreply_w(void *h, const char *rcode, const char *xcode,
    const char *text)
{
	return smfi_setreply((SMFICTX *)h, (char *)rcode, (char *)xcode,
	    (char *)text) == MI_SUCCESS ? 0 : -1;
}

/* smfi_progress_w - adapter */
static int
smfi_progress_w(void *h)
{
	return smfi_progress((SMFICTX *)h) == MI_SUCCESS ? 0 : -1;
}

/* smfi_chgfrom_w - adapter */
static int
smfi_chgfrom_w(void *h, const char *from)
{
	return smfi_chgfrom((SMFICTX *)h, (char *)from, NULL) == MI_SUCCESS ?
	    0 : -1;
}

/* smfi_addheader_w - adapter */
static int
smfi_addheader_w(void *h, const char *name, const char *value)
{
	return smfi_addheader((SMFICTX *)h, (char *)name, (char *)value) ==
	    MI_SUCCESS ? 0 : -1;
}

/* smfi_chgheader_w - adapter */
static int
smfi_chgheader_w(void *h, const char *name, int index, const char *value)
{
	return smfi_chgheader((SMFICTX *)h, (char *)name, index,
	    (char *)value) == MI_SUCCESS ? 0 : -1;
}

/*
 * smfi_replacebody_w - adapter. libmilter sends the body in chunks of its
 * own size; one call hands it everything, so nothing else can be sent in
 * between (Postfix fails the message when anything is).
 */
static int
smfi_replacebody_w(void *h, const unsigned char *p, size_t len)
{
	/* smfi_replacebody takes an int length: hand it the body in pieces */
	const size_t piece = 1U << 30;

	while (len > 0) {
		int n = (int)(len < piece ? len : piece);

		if (smfi_replacebody((SMFICTX *)h, (unsigned char *)p, n) !=
		    MI_SUCCESS)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static const struct mio_ops mio_smfi_ops = {
	.getsymval = smfi_getsymval_w,
	.setreply = smfi_setreply_w,
	.progress = smfi_progress_w,
	.chgfrom = smfi_chgfrom_w,
	.addheader = smfi_addheader_w,
	.chgheader = smfi_chgheader_w,
	.replacebody = smfi_replacebody_w,
};

/* mio_smfi - wrap a real context */
void
mio_smfi(struct mio *io, void *smfictx)
{
	io->ops = &mio_smfi_ops;
	io->h = smfictx;
}

/* mio_getsymval - a macro value or NULL */
const char *
mio_getsymval(struct mio *io, const char *name)
{
	return io->ops->getsymval(io->h, name);
}

/* mio_setreply - set the reply; '%' is doubled as libmilter demands */
int
mio_setreply(struct mio *io, const char *rcode, const char *xcode,
    const char *text)
{
	char clean[512];
	size_t i, n = 0;

	/* one printable ASCII line: libmilter treats % as a format char */
	for (i = 0; text[i] && n + 2 < sizeof(clean); i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch == '%') {
			clean[n++] = '%';
			clean[n++] = '%';
		} else if (ch < 0x20 || ch > 0x7e) {
			clean[n++] = '?';
		} else {
			clean[n++] = (char)ch;
		}
	}
	clean[n] = 0;
	return io->ops->setreply(io->h, rcode, xcode, clean);
}

/* mio_progress - keep the MTA waiting */
int
mio_progress(struct mio *io)
{
	return io->ops->progress(io->h);
}

/* mio_chgfrom - new envelope sender */
int
mio_chgfrom(struct mio *io, const char *from)
{
	return io->ops->chgfrom(io->h, from);
}

/* mio_addheader - append a header */
int
mio_addheader(struct mio *io, const char *name, const char *value)
{
	return io->ops->addheader(io->h, name, value);
}

/* mio_delheader - delete one header */
int
mio_delheader(struct mio *io, const char *name, int index)
{
	return io->ops->chgheader(io->h, name, index, NULL);
}

/* mio_replacebody - the new body */
int
mio_replacebody(struct mio *io, const unsigned char *p, size_t len)
{
	return io->ops->replacebody(io->h, p, len);
}

/* mio_progress_cb - a card_progress_fn: arg is the struct mio */
void
mio_progress_cb(void *arg)
{
	(void)mio_progress(arg);
}
