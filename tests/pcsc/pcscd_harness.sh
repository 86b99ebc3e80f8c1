# pcscd_harness.sh - a private pcscd with the vpcd driver for tests (sourced).
#
# pcscd is a machine-wide singleton on /run/pcscd/pcscd.comm. This runs a
# private one without touching the system's: in its own mount namespace,
# with a private directory bind-mounted on /run/pcscd, and the clients
# pointed at it with PCSCLITE_CSOCK_NAME. The vpcd driver listens for
# virtual cards on VPCD_PORT (slot 0) and VPCD_PORT+1 (slot 1); the port
# is chosen free so that tests can run in parallel.
#
#   pcsc_usable		0 when this machine can do it (else prints why)
#   pcsc_start DIR	start; sets PCSCD_PID, VPCD_PORT, PCSCLITE_CSOCK_NAME
#   pcsc_stop		stop the pcscd we started (by PID)
#   pcsc_restart	stop and start again on the same port

VPCD_DRIVER=${VPCD_DRIVER:-/usr/lib/pcsc/drivers/serial/libifdvpcd.so}

pcsc_usable() {
	if [ "$(id -u)" != 0 ]; then echo "needs root (unshare -m)"; return 1; fi
	for t in pcscd unshare mount openssl; do
		command -v $t >/dev/null 2>&1 ||
		    PATH=$PATH:/usr/sbin:/sbin command -v $t >/dev/null 2>&1 ||
		    { echo "$t not installed"; return 1; }
	done
	[ -f "$VPCD_DRIVER" ] || { echo "vpcd driver not installed (vsmartcard-vpcd)"; return 1; }
	unshare -m true 2>/dev/null || { echo "unshare -m not permitted"; return 1; }
	return 0
}

# pcsc_port_free PORT - nothing listens on PORT or PORT+1 (read from
# /proc/net/tcp*, so that no ss or netstat is needed)
pcsc_port_free() {
	! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v a="$1" '
	    function hex(h,   i, v) { v = 0; h = toupper(h)
		for (i = 1; i <= length(h); i++)
			v = v * 16 + index("0123456789ABCDEF", substr(h, i, 1)) - 1
		return v }
	    $4 == "0A" { n = split($2, f, ":"); p = hex(f[n])
		if (p == a || p == a + 1) found = 1 }
	    END { exit !found }'
}

# pcsc_launch - start pcscd for PCSC_DIR on VPCD_PORT, wait until it listens
pcsc_launch() {
	mkdir -p "$PCSC_DIR/conf" "$PCSC_DIR/run"
	rm -f "$PCSC_DIR/run/pcscd.comm" "$PCSC_DIR/run/pcscd.pid"
	cat > "$PCSC_DIR/conf/vpcd" <<CONF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:$VPCD_PORT
LIBPATH      $VPCD_DRIVER
CHANNELID    $VPCD_PORT
CONF
	PATH=$PATH:/usr/sbin:/sbin unshare -m sh -c "mkdir -p /run/pcscd &&
	    mount --bind '$PCSC_DIR/run' /run/pcscd &&
	    exec pcscd -f -c '$PCSC_DIR/conf'" >> "$PCSC_DIR/pcscd.log" 2>&1 &
	PCSCD_PID=$!
	i=0
	while [ $i -lt 50 ]; do
		if [ -S "$PCSC_DIR/run/pcscd.comm" ] && ! pcsc_port_free $VPCD_PORT; then
			return 0
		fi
		kill -0 $PCSCD_PID 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

pcsc_start() {
	PCSC_DIR=$1
	export PCSCLITE_CSOCK_NAME="$PCSC_DIR/run/pcscd.comm"
	tries=0
	while [ $tries -lt 8 ]; do
		VPCD_PORT=$((20000 + ($$ * 7 + tries * 1031 + $(date +%N | sed 's/^0*//;s/^$/0/') % 997) % 20000 * 2 % 39998))
		tries=$((tries + 1))
		pcsc_port_free $VPCD_PORT || continue
		pcsc_launch && return 0
		pcsc_stop
	done
	return 1
}

pcsc_stop() {
	if [ -n "${PCSCD_PID:-}" ]; then
		kill $PCSCD_PID 2>/dev/null
		i=0
		while kill -0 $PCSCD_PID 2>/dev/null && [ $i -lt 30 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -9 $PCSCD_PID 2>/dev/null
		wait $PCSCD_PID 2>/dev/null
		PCSCD_PID=
	fi
}

pcsc_restart() {
	pcsc_stop
	pcsc_launch
}

# The virtual SMC-B of a test PKI party behind the private pcscd (slot 0).
# Set before use: VCARD_KEYS (the party's directory, e.g. $PKI/klinikum),
# VCARD_STATE (its state file: PIN counter), VCARD_LOG, VCARD_PIN (a PIN
# file for the readiness probe).
#   vcard_start [ARGS]	start it (ARGS e.g. -d MS per key operation)
#   vcard_ready		wait until PC/SC shows the card (up to 10 s)
#   vcard_stop		stop it (by PID)
VCARD=${VCARD:-$top_builddir/tests/vcard/vsmartcard}
CARD_TOOL=${CARD_TOOL:-$top_builddir/tests/pcsc/card_tool}
VCARD_PID=

vcard_start() {
	"$VCARD" -p "$VPCD_PORT" -k "$VCARD_KEYS" -s "$VCARD_STATE" \
	    "$@" 2>>"$VCARD_LOG" &
	VCARD_PID=$!
}

vcard_ready() {
	_i=0
	while ! "$CARD_TOOL" -t 2000 "probe pool=p backend=pcsc reader=\"Virtual PCD 00 00\" pin-file=$VCARD_PIN" \
	    cert enc ecc >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ $_i -ge 50 ] && return 1
		sleep 0.2
	done
	return 0
}

vcard_stop() {
	[ -n "$VCARD_PID" ] && kill "$VCARD_PID" 2>/dev/null
	[ -n "$VCARD_PID" ] && wait "$VCARD_PID" 2>/dev/null
	VCARD_PID=
}
