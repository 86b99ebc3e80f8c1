#!/bin/bash
# bench_mta.sh - throughput of normal mail through Postfix with and without
# kim-milter, measured in one run, alternating, against the same Postfix
# instance (tests/integration/lib.sh): the front listener (milter, steps out
# at DATA) and the same smtpd without milters. Not a test: it prints
# messages/s of each arm and their ratio (goal: >= 0.97).
#
#   bash bench/bench_mta.sh [ROUNDS] [MESSAGES_PER_ROUND] [SESSIONS] [SIZE]
# Defaults: 6 rounds of 1500 messages, 20 parallel sessions, 10 KB.
# Run as root (private Postfix instances), from a built tree.
rounds=${1:-6}
msgs=${2:-1500}
sessions=${3:-20}
size=${4:-10240}
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/integration/lib.sh"

kim_init "" >/dev/null
kim_start_all || { echo "bench: Postfix did not start" >&2; exit 1; }
start_milter "$(kim_milter_conf)" || exit 1

# one_round PORT - seconds for $msgs messages through smtpd on PORT
one_round()
{
	local t0 t1
	t0=$(date +%s.%N)
	smtp-source -s "$sessions" -l "$size" -m "$msgs" -c \
	    -f sender@example.org -t rcpt@example.net "127.0.0.1:$1" \
	    >/dev/null 2>&1 || return 1
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{printf "%.3f\n", $2 - $1}'
}

plain=0 milter=0
echo "bench_mta: $rounds rounds x $msgs messages, $sessions sessions, $size bytes each"
# warm-up, not counted
one_round "$PF_PLAIN_PORT" >/dev/null
one_round "$PF_FRONT_PORT" >/dev/null
for r in $(seq 1 "$rounds"); do
	# alternate which arm goes first: the queue grows during a run
	if [ $((r % 2)) = 1 ]; then
		a=$(one_round "$PF_PLAIN_PORT"); b=$(one_round "$PF_FRONT_PORT")
	else
		b=$(one_round "$PF_FRONT_PORT"); a=$(one_round "$PF_PLAIN_PORT")
	fi
	[ -n "$a" ] && [ -n "$b" ] || { echo "bench: smtp-source failed" >&2; exit 1; }
	printf 'round %d: without milter %.0f msg/s, with milter %.0f msg/s\n' "$r" \
	    "$(echo "$msgs $a" | awk '{print $1 / $2}')" "$(echo "$msgs $b" | awk '{print $1 / $2}')"
	plain=$(echo "$plain $a" | awk '{print $1 + $2}')
	milter=$(echo "$milter $b" | awk '{print $1 + $2}')
done
total=$((rounds * msgs))
echo "$total $plain $milter" | awk '{
	p = $1 / $2; m = $1 / $3;
	printf "without milter: %.0f msg/s\nwith milter:    %.0f msg/s\nratio (with/without): %.3f\n", p, m, m / p }'
echo "front callbacks: $(kimctl status | grep '^role front')"
