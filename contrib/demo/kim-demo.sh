#!/bin/bash
# contrib/demo/kim-demo.sh - kim-milter in a real Postfix, in one minute.
#
# Builds nothing (contrib/demo/run.sh installs and builds first, then runs
# this). Needs root and Debian's postfix package (no system instance is
# touched: everything runs from a fresh temporary directory on loopback and
# is stopped at the end). Uses the integration-test harness
# (tests/integration/lib.sh) with the Postfix blocks we ship
# (contrib/postfix), and shows:
#   1. a normal mail goes through the front listener and arrives at "the
#      internet" (an smtp-sink) byte for byte unchanged;
#   2. a mail to a KIM address is routed to the gate and held there, in
#      Postfix's queue, with the gate's reason: nothing reaches the KIM
#      provider (another smtp-sink) until the KIM path exists.
# Environment: top_srcdir (default: this tree), top_builddir (default: the
# same); KIM_KEEP=1 keeps the temporary directory.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

# colours only on a terminal
if [ -t 1 ]; then
	B=$(printf '\033[1m') G=$(printf '\033[32m') R=$(printf '\033[31m')
	N=$(printf '\033[0m')
else
	B= G= R= N=
fi

say()
{
	printf '\n%s== %s%s\n' "$B" "$*" "$N"
}

if [ "$(id -u)" != 0 ]; then
	echo "kim-demo: run me as root (Postfix test instances need it)" >&2
	exit 1
fi
for prog in postfix smtp-sink swaks; do
	if ! command -v "$prog" >/dev/null 2>&1 &&
	    [ ! -x "/usr/sbin/$prog" ]; then
		echo "kim-demo: $prog is missing (apt-get install postfix swaks)" >&2
		exit 1
	fi
done
if [ ! -x "$top_builddir/milter/kim-milter" ]; then
	echo "kim-demo: $top_builddir/milter/kim-milter is not built" \
	    "(run contrib/demo/run.sh, or set top_builddir)" >&2
	exit 1
fi

. "$top_srcdir/tests/integration/lib.sh"
kim_init ""

say "Starting a private Postfix (from contrib/postfix/*.kim), two sinks and kim-milter"
kim_start_all || exit 1
start_milter "$(kim_milter_conf)" || exit 1
cat <<EOF
  front listener   127.0.0.1:$PF_FRONT_PORT  (smtpd, milter role "front")
  gate listener    127.0.0.1:$PF_GATE_PORT  (smtpd, milter role "gate", the only way to the provider)
  internet         127.0.0.1:$SINK_PORT_inet  (smtp-sink, relayhost)
  KIM provider     127.0.0.1:$SINK_PORT_prov  (smtp-sink, the gate's content_filter)
  kim-milter       127.0.0.1:$MILTER_PORT  (pid $MILTER_PID)
  everything under $KIM_T
EOF

# 1. a normal mail
normal=$KIM_T/normal.eml
cat >"$normal" <<'EOF'
From: Station 3 <station3@klinik.example>
To: Labor Dr. Muster <labor@example.net>
Subject: Probenabholung morgen
Date: Sat, 28 Nov 2026 10:00:00 +0100
Message-ID: <demo-normal-1@klinik.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Guten Tag,

bitte holen Sie die Proben morgen früh um 8 Uhr ab.

Grüße
Station 3
EOF
say "1. A normal mail to labor@example.net through the front listener"
send "$PF_FRONT_PORT" station3@klinik.example labor@example.net "$normal"
normal_ok=no
if wait_for_sink inet 1 30; then
	got=$(sink_files inet | head -1)
	sink_body_below_received "$got" >"$KIM_T/normal.arrived"
	echo "  arrived at the internet sink. Postfix added only its Received header:"
	sink_message "$got" | sed -n '1,/^[^ \t]/p' | sed '$d' | sed 's/^/    /'
	if cmp -s "$normal" "$KIM_T/normal.arrived"; then
		normal_ok=yes
		echo "  below it, the message is byte for byte what was sent ($(wc -c <"$normal") bytes)."
	else
		echo "  it DIFFERS from what was sent:"
		diff "$normal" "$KIM_T/normal.arrived" | sed 's/^/    /'
	fi
else
	echo "  it did NOT arrive within 30 s"
fi

# 2. a KIM mail
kim=$KIM_T/kim.eml
cat >"$kim" <<'EOF'
From: Station 3 <station3@klinik.example>
To: Praxis Dr. Beispiel <praxis@aerzte.kim.telematik-test>
Subject: Entlassbrief
Message-ID: <demo-kim-1@klinik.example>

Entlassbrief (Testdaten)
EOF
say "2. A mail to the KIM address praxis@aerzte.kim.telematik-test"
send "$PF_FRONT_PORT" station3@klinik.example \
    praxis@aerzte.kim.telematik-test "$kim"
# held - the KIM recipient waits in the queue with a 4xx of the gate
held()
{
	queue_list pf | grep 'praxis@aerzte.kim.telematik-test' |
	    grep -q 'said: 4[0-9][0-9] '
}
kim_ok=no
if kim_wait 30 held; then
	kim_ok=yes
	echo "  transport_maps sent it to the gate; the gate said no. Postfix's queue (mailq):"
	postqueue -c "$(pf_dir pf)/etc" -p | sed 's/^/    /'
	reason=$(queue_list pf | sed -n 's/.*"delay_reason": "\([^"]*\)".*/\1/p' |
	    head -1)
else
	echo "  it was NOT held in the queue within 30 s:"
	queue_list pf | sed 's/^/    /'
fi
prov=$(sink_count prov)
inet_kim=$(grep -l 'praxis@aerzte' "$KIM_T/sink-inet"/m.* 2>/dev/null | wc -l)
echo "  messages at the KIM provider sink: $prov; KIM mail at the internet sink: $inet_kim"

say "3. kimctl status"
kimctl status | sed 's/^/    /'

say "Result"
result=0
mark()
{
	if [ "$1" = yes ]; then
		printf '  %sYES%s  %s\n' "$G" "$N" "$2"
	else
		printf '  %sNO %s  %s\n' "$R" "$N" "$2"
		result=1
	fi
}
mark "$normal_ok" "normal mail arrived at the internet byte for byte unchanged"
mark "$kim_ok" "KIM mail is held in Postfix's queue with the gate's reason:"
[ -n "$reason" ] && echo "         \"$reason\""
[ "$prov" -eq 0 ] && [ "$inet_kim" -eq 0 ] && nothing=yes || nothing=no
mark "$nothing" "nothing reached the KIM provider, nothing leaked to the internet"
echo
if [ "$result" = 0 ]; then
	echo "kim-demo: OK (stopping Postfix, the sinks and kim-milter)"
else
	echo "kim-demo: FAILED (logs follow)"
	KIM_FAILED=1
fi
exit "$result"
