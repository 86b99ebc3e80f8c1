/*
 * apdu_tool.c - send raw APDUs to a reader through pcscd, for tests of the
 * virtual card itself:
 *
 *	apdu_tool READER ITEM...
 *
 * ITEM is an APDU in hex (prints "SW LEN", the status word and the number
 * of data bytes) or "reset" (SCardReconnect with a card reset, prints
 * "reset"). One transaction-less handle, shared mode.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <PCSC/winscard.h>

int
main(int argc, char **argv)
{
	unsigned char cmd[300], resp[MAX_BUFFER_SIZE_EXTENDED];
	SCARDCONTEXT ctx;
	SCARDHANDLE h;
	DWORD proto, len;
	unsigned v;
	size_t n, k;
	LONG rv;
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: apdu_tool READER APDU|reset...\n");
		return 2;
	}
	if ((rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL,
	    &ctx)) != SCARD_S_SUCCESS ||
	    (rv = SCardConnect(ctx, argv[1], SCARD_SHARE_SHARED,
	    SCARD_PROTOCOL_T1, &h, &proto)) != SCARD_S_SUCCESS) {
		fprintf(stderr, "apdu_tool: %s\n", pcsc_stringify_error(rv));
		return 1;
	}
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "reset") == 0) {
			rv = SCardReconnect(h, SCARD_SHARE_SHARED,
			    SCARD_PROTOCOL_T1, SCARD_RESET_CARD, &proto);
			printf("reset%s\n", rv == SCARD_S_SUCCESS ? "" :
			    " failed");
			continue;
		}
		n = strlen(argv[i]) / 2;
		if (n > sizeof(cmd))
			return 2;
		for (k = 0; k < n; k++) {
			if (sscanf(argv[i] + 2 * k, "%2x", &v) != 1)
				return 2;
			cmd[k] = (unsigned char)v;
		}
		len = sizeof(resp);
		rv = SCardTransmit(h, SCARD_PCI_T1, cmd, (DWORD)n, NULL, resp,
		    &len);
		if (rv != SCARD_S_SUCCESS || len < 2) {
			printf("error %s\n", pcsc_stringify_error(rv));
			continue;
		}
		printf("%02X%02X %lu\n", resp[len - 2], resp[len - 1],
		    (unsigned long)len - 2);
	}
	SCardDisconnect(h, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
	return 0;
}
