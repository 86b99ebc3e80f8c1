#!/bin/bash
# bench_kim.sh - outbound KIM messages per second, end to end through
# Postfix (front -> queue -> kimgate -> gate listener with kim-milter ->
# provider sink), with the virtual SMC-B (tests/vcard/vsmartcard) behind a
# private pcscd, the real directory stack (slapd + Redis) and the test PKI.
# Not a test: it prints a table. Measured in one run, against one Postfix
# instance (tests/integration/lib.sh):
#
#   inet    baseline (a): normal mail to an internet recipient, same front
#   route   baseline (b): KIM mail over the same route, but the gate's
#           listener has role front in the milter (Listener kimgate
#           role=front): it checks the recipient and accepts without edits
#   kim     the gate signs with the card pool and encrypts
#
# inet, route and kim at 0 ms alternate in rounds (the route/kim switch is a
# SIGUSR1 reload of the milter with the other configuration); then kim with
# two cards at 0 ms, and one and two cards at 300 ms per private-key
# operation (vsmartcard -d). A run's time is from the first SMTP connection
# of smtp-source until the sink holds every message; at 300 ms also the
# steady rate, from the first message at the provider to the last (the
# pipeline's latency of about one message left out), which the goal is
# judged on.
#
# Goals (issue 7): kim at 0 ms >= 0.5 x route; kim at 300 ms >= 0.9 x
# cards / 0.3 s.
#
#   bash bench/bench_kim.sh [ROUNDS] [MSGS_0MS] [MSGS_300MS_PER_CARD] [SESSIONS]
# Defaults: 3 rounds of 150 messages, 20 messages per card at 300 ms,
# 10 parallel smtp-source sessions. About 3 minutes. Run as root from a
# built tree (make check builds the virtual card).
rounds=${1:-3}
msgs=${2:-150}
slow_per_card=${3:-20}
sessions=${4:-10}
size=2048
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/tests/dir/harness.sh"
set +u
. "$top_srcdir/tests/pcsc/pcscd_harness.sh"
VCARD=$top_builddir/tests/vcard/vsmartcard
VCARD_PIDS=""
bench_cleanup()
{
	local p
	for p in $VCARD_PIDS; do
		kill "$p" 2>/dev/null
	done
	pcsc_stop
	cleanup
}
. "$top_srcdir/tests/integration/lib.sh"
if ! why=$(pcsc_usable); then
	echo "bench_kim: cannot run: $why" >&2
	exit 1
fi
[ -x "$VCARD" ] || { echo "bench_kim: build $VCARD first (make check)" >&2; exit 1; }
kim_init "" >/dev/null
trap 'rc=$?; bench_cleanup; (exit $rc); kim_teardown' EXIT

D=aerzte.kim.telematik-test
KIMADDR=kardiologie@klinikum-nord.kim.telematik-test
A=arzt@klinik.example
start_slapd >/dev/null || { echo "bench_kim: slapd did not start" >&2; exit 1; }
start_redis >/dev/null || { echo "bench_kim: redis did not start" >&2; exit 1; }
write_conf
pcsc_start "$KIM_T/pcsc" || { echo "bench_kim: no private pcscd" >&2; exit 1; }
export PCSCLITE_CSOCK_NAME
printf '123456\n' >"$KIM_T/pin"
chmod 600 "$KIM_T/pin"
kim_start_all || { echo "bench_kim: Postfix did not start" >&2; exit 1; }

# card SLOT DELAY - (re)start the virtual SMC-B (the klinikum's keys) in a
# reader slot with DELAY ms per private-key operation
card()
{
	local old
	eval "old=\${VC_PID_$1:-}"
	if [ -n "$old" ]; then
		kill "$old" 2>/dev/null
		wait "$old" 2>/dev/null
	fi
	"$VCARD" -p $((VPCD_PORT + $1)) -k "$PKI/klinikum" -d "$2" \
	    -i "8027688311000000000$1" -s "$KIM_T/vcard$1.state" \
	    2>>"$KIM_T/vcard$1.log" &
	eval "VC_PID_$1=$!"
	VCARD_PIDS="$VCARD_PIDS $!"
}
# card_line SLOT - the Card line of the card in SLOT
card_line()
{
	echo "Card smcb$1 pool=klinik backend=pcsc reader=\"Virtual PCD 00 0$1\" pin-file=$KIM_T/pin state-file=$KIM_T/card$1.state"
}

kim_gate_policy "$KIMADDR" kardiologie
mapfile -t extra < <(grep -E '^(Directory|Redis|Cache|Trust)' "$CONF")
mconf=$(kim_milter_conf "${extra[@]}" "GateTimeout 60s")
sed -i -e '/^Card testcard /d' -e 's/^LogLevel .*/LogLevel info/' "$mconf"
base=$KIM_T/milter/base.conf
mv "$mconf" "$base"
# milter_conf CARDS [route] - the milter's configuration with CARDS cards;
# "route": the gate listener steps out like a front (no edits)
milter_conf()
{
	local i
	{
		cat "$base"
		for i in $(seq 0 $(($1 - 1))); do
			card_line "$i"
		done
		if [ "$2" = route ]; then
			echo "Listener kimfront role=front"
			echo "Listener kimgate role=front"
			echo "Listener kiminbound role=inbound"
		fi
	} >"$mconf.new"
	mv "$mconf.new" "$mconf"
}
# reload - SIGUSR1, wait until the milter says it reloaded
reload()
{
	local n
	n=$(grep -c 'configuration and policies reloaded' "$KIM_T/milter/log")
	kill -USR1 "$MILTER_PID"
	kim_wait 20 eval '[ "$(grep -c "configuration and policies reloaded" "$KIM_T/milter/log")" -gt '"$n"' ]'
}
# restart_milter CARDS - a fresh milter with CARDS cards
restart_milter()
{
	stop_milter
	milter_conf "$1"
	start_milter "$mconf" || { echo "bench_kim: milter did not start" >&2; exit 1; }
}

# run ARM N - "TOTAL SPAN": seconds for N messages from smtp-source's start
# until the sink holds them all, and from the first message at the sink to
# the last (the steady rate, without the pipeline's latency)
# (ARM inet: to the internet sink; route, kim: to the provider)
run()
{
	local arm=$1 n=$2 sink=prov to="praxis-rsa@$D" t0 t1 tf="" c i=0
	[ "$arm" = inet ] && { sink=inet; to=rcpt@example.net; }
	sink_clear "$sink"
	t0=$(date +%s.%N)
	smtp-source -s "$sessions" -l "$size" -m "$n" -f "$A" -t "$to" \
	    "127.0.0.1:$PF_FRONT_PORT" >>"$KIM_T/smtp-source.log" 2>&1 &
	while c=$(sink_count "$sink"); [ "$c" -lt "$n" ]; do
		[ -z "$tf" ] && [ "$c" -ge 1 ] && tf=$(date +%s.%N)
		i=$((i + 1))
		[ $i -gt 3000 ] && { echo "bench_kim: $arm: only $c of $n arrived" >&2; return 1; }
		sleep 0.05
	done
	t1=$(date +%s.%N)
	wait $! || { echo "bench_kim: smtp-source failed" >&2; return 1; }
	echo "$t0 $t1 ${tf:-$t0}" | awk '{printf "%.3f %.3f\n", $2 - $1, $2 - $3}'
}
# rate N "TOTAL SPAN" - end-to-end messages per second
rate() { echo "$1 $2" | awk '{printf "%.2f", $1 / $2}'; }
# steady N CARDS "TOTAL SPAN" - messages per second from the first arrival
# to the last (the cards finish together: the first CARDS arrive at once)
steady() { echo "$1 $2 $3" | awk '{printf "%.2f", ($1 - $2) / $4}'; }

echo "bench_kim: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench_kim: $rounds rounds x $msgs messages at 0 ms, $slow_per_card per card at 300 ms, $sessions sessions, $size bytes"

# ---- 0 ms, one card: inet, route, kim alternating ----------------------
card 0 0
restart_milter 1
run inet 30 >/dev/null && run kim 30 >/dev/null || exit 1	# warm-up
t_inet=0 t_route=0 t_kim=0
order="inet route kim"
for r in $(seq 1 "$rounds"); do
	line="round $r:"
	for arm in $order; do
		case $arm in
		route)	milter_conf 1 route; reload || exit 1 ;;
		kim)	milter_conf 1; reload || exit 1
			run kim 5 >/dev/null || exit 1 ;;	# the card after reload
		esac
		t=$(run "$arm" "$msgs") || exit 1
		t=${t%% *}
		eval "t_$arm=\$(echo \"\$t_$arm $t\" | awk '{print \$1 + \$2}')"
		line="$line $arm $(rate "$msgs" "$t")/s"
	done
	echo "$line"
	# rotate the order: the queue and caches warm during a round
	order="${order#* } ${order%% *}"
done
total=$((rounds * msgs))
r_inet=$(rate "$total" "$t_inet")
r_route=$(rate "$total" "$t_route")
r_kim1=$(rate "$total" "$t_kim")

# ---- 0 ms, two cards -----------------------------------------------------
card 1 0
restart_milter 2
run kim 20 >/dev/null || exit 1
t=$(run kim "$msgs") || exit 1
r_kim2=$(rate "$msgs" "$t")

# ---- 300 ms, one and two cards -------------------------------------------
card 0 300
card 1 300
restart_milter 1
run kim 2 >/dev/null || exit 1
t=$(run kim "$slow_per_card") || exit 1
r_slow1=$(rate "$slow_per_card" "$t")
q_slow1=$(steady "$slow_per_card" 1 "$t")
restart_milter 2
run kim 4 >/dev/null || exit 1
t=$(run kim $((2 * slow_per_card))) || exit 1
r_slow2=$(rate $((2 * slow_per_card)) "$t")
q_slow2=$(steady $((2 * slow_per_card)) 2 "$t")

deferred=$(log_count pf 'status=deferred')
awk -v i="$r_inet" -v ro="$r_route" -v k1="$r_kim1" -v k2="$r_kim2" \
    -v s1="$r_slow1" -v s2="$r_slow2" -v q1="$q_slow1" -v q2="$q_slow2" 'BEGIN {
	printf "%-36s %8s %8s  %s\n", "case (end to end)", "msg/s", "figure", "goal"
	printf "%-36s %8.1f\n", "(a) inet: normal mail, same Postfix", i
	printf "%-36s %8.1f %8.2f  %s\n", "(b) route: gate accepts, no edits", ro, ro / i, "(x inet)"
	printf "%-36s %8.1f %8.2f  %s\n", "kim, 1 card, 0 ms", k1, k1 / ro, \
	    ">= 0.5 x route" (k1 / ro >= 0.5 ? " ok" : " MISSED")
	printf "%-36s %8.1f %8.2f  %s\n", "kim, 2 cards, 0 ms", k2, k2 / ro, \
	    ">= 0.5 x route" (k2 / ro >= 0.5 ? " ok" : " MISSED")
	e1 = s1 / (1 / 0.3); e2 = s2 / (2 / 0.3)
	f1 = q1 / (1 / 0.3); f2 = q2 / (2 / 0.3)
	printf "%-36s %8.2f %8.2f  %s\n", "kim, 1 card, 300 ms", s1, e1, "(x cards/0.3s, with latency)"
	printf "%-36s %8.2f %8.2f  %s\n", "kim, 2 cards, 300 ms", s2, e2, "(x cards/0.3s, with latency)"
	printf "%-36s %8.2f %8.2f  %s\n", "kim, 1 card, 300 ms, steady", q1, f1, \
	    ">= 0.9 x cards/0.3s" (f1 >= 0.9 ? " ok" : " MISSED")
	printf "%-36s %8.2f %8.2f  %s\n", "kim, 2 cards, 300 ms, steady", q2, f2, \
	    ">= 0.9 x cards/0.3s" (f2 >= 0.9 ? " ok" : " MISSED")
}'
echo "bench_kim: front deferrals during the run: $deferred; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
