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

static const struct mio_ops mio_smfi_ops = {
	.getsymval = smfi_getsymval_w,
	.setreply = smfi_setreply_w,
	.progress = smfi_progress_w,
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
