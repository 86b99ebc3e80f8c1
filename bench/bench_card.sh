#!/bin/sh
# bench_card.sh - the SMC-B path through a real pcscd: the virtual card
# (tests/vcard/vsmartcard) behind a private pcscd (tests/pcsc/
# pcscd_harness.sh), measured in one run. Not a test: it prints a table.
#
#  1. overhead per operation: N RSA-PSS signatures through pcscd with the
#     card at 0 ms delay (it does the same private-key operation with the
#     same key) minus the same N signatures in-process (soft backend);
#     goal < 2 ms per operation.
#  2. pool efficiency at 300 ms per operation, one card and two cards:
#     measured rate / (cards / delay); goal >= 0.9.
#
#   sh bench/bench_card.sh [N] [POOL_OPS_PER_CARD]	(defaults 200, 10)
# Run as root (private mount namespace for pcscd), from a built tree.
set -u
nops=${1:-200}
pops=${2:-10}
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
tool=$top_builddir/tests/pcsc/card_tool
pool=$top_builddir/tests/pcsc/pool_tool
vcard=$top_builddir/tests/vcard/vsmartcard
. "$top_srcdir/tests/pcsc/pcscd_harness.sh"

if ! why=$(pcsc_usable); then
	echo "bench_card: cannot run: $why" >&2
	exit 1
fi
dir=$(mktemp -d)
VCARD_PIDS=
cleanup() {
	for p in $VCARD_PIDS; do kill $p 2>/dev/null; done
	pcsc_stop
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

sh "$top_srcdir/tests/pki/mkpki.sh" "$dir/pki" >"$dir/pki.log" 2>&1 ||
    { echo "bench_card: tests/pki/mkpki.sh failed" >&2; exit 1; }
printf '123456\n' > "$dir/pin"
chmod 600 "$dir/pin"
pcsc_start "$dir/pcsc" || { echo "bench_card: no pcscd" >&2; exit 1; }

# card SLOT PARTY DELAY - (re)start a virtual card in a slot
card() {
	eval "old=\${PID_$2:-}"
	if [ -n "$old" ]; then kill $old 2>/dev/null; wait $old 2>/dev/null; fi
	"$vcard" -p $((VPCD_PORT + $1)) -k "$dir/pki/$2" -d $3 \
	    -i 8027688311000000000$1 -s "$dir/$2.vstate" 2>>"$dir/$2.log" &
	eval "PID_$2=$!"
	VCARD_PIDS="$VCARD_PIDS $!"
}
line() {
	echo "$2 pool=p backend=pcsc reader=\"Virtual PCD 00 0$1\" pin-file=$dir/pin state-file=$dir/$2.state"
}
ready() {
	i=0
	while ! "$tool" -t 2000 "$1" cert osig rsa >/dev/null 2>&1; do
		[ $i -lt 50 ] || { echo "bench_card: card not ready" >&2; exit 1; }
		sleep 0.1; i=$((i + 1))
	done
}
K=$(line 0 klinikum)
P=$(line 1 praxis)
SOFT="s pool=p backend=soft key=$dir/pki/klinikum/osig-rsa.key cert=$dir/pki/klinikum/osig-rsa.pem"
[ -f "$dir/pki/klinikum/osig-rsa.pem" ] ||
    SOFT="s pool=p backend=soft key=$dir/pki/klinikum/osig-rsa.key cert=$dir/pki/klinikum/osig-rsa.crt"
hash=$(printf bench | openssl dgst -sha256 -r | cut -d' ' -f1)

# signs LINE - ms of $nops signatures (card_tool's own timing)
signs() {
	"$tool" "$1" repeat "$nops" sign rsa "$hash" >/dev/null 2>"$dir/err" ||
	    { sed 's/^/bench_card: /' "$dir/err" >&2; exit 1; }
	sed -n 's/.*sign took \([0-9]*\) ms.*/\1/p' "$dir/err"
}
# pooled THREADS OPS LINE... - ms of OPS signatures through a pool
pooled() {
	"$pool" "$@" >"$dir/pool" 2>"$dir/err"
	grep -q "^ok=$2 bad=0" "$dir/pool" ||
	    { echo "bench_card: pool run failed: $(head -1 "$dir/pool")" >&2; exit 1; }
	sed -n 's/.*ms=\([0-9]*\).*/\1/p' "$dir/pool"
}

# 1. overhead at 0 ms; warm-up first (PIN, certificates, caches)
card 0 klinikum 0
ready "$K"
signs "$K" >/dev/null
card_ms=$(signs "$K")
soft_ms=$(signs "$SOFT")

# 2. pool efficiency at 300 ms
card 0 klinikum 300
card 1 praxis 300
ready "$K"
ready "$P"
one_ms=$(pooled 4 "$pops" "$K")
two_ms=$(pooled 4 $((2 * pops)) "$K" "$P")

for v in "$card_ms" "$soft_ms" "$one_ms" "$two_ms"; do
	[ -n "$v" ] && [ "$v" -gt 0 ] 2>/dev/null ||
	    { echo "bench_card: a run failed (see above)" >&2; exit 1; }
done
awk -v n="$nops" -v c="$card_ms" -v s="$soft_ms" -v po="$pops" \
    -v one="$one_ms" -v two="$two_ms" 'BEGIN {
	over = (c - s) / n
	r1 = po * 1000 / one; r2 = 2 * po * 1000 / two
	e1 = r1 / (1 / 0.3); e2 = r2 / (2 / 0.3)
	printf "bench_card: RSA-2048 PSS signatures, virtual SMC-B behind a private pcscd\n"
	printf "%-34s %10s %10s %8s %s\n", "case", "ops/s", "ms/op", "figure", "goal"
	printf "%-34s %10.1f %10.2f\n", "in-process (soft), " n " ops", n * 1000 / s, s / n
	printf "%-34s %10.1f %10.2f\n", "pcscd, card 0 ms delay, " n " ops", n * 1000 / c, c / n
	printf "%-34s %10s %10.2f %8s %s\n", "overhead per operation", "", over, \
	    (over < 2 ? "ok" : "MISSED"), "< 2 ms"
	printf "%-34s %10.2f %10.1f %8.2f %s\n", "1 card at 300 ms, " po " ops", r1, one / po, e1, ">= 0.9" (e1 >= 0.9 ? " ok" : " MISSED")
	printf "%-34s %10.2f %10.1f %8.2f %s\n", "2 cards at 300 ms, " 2 * po " ops", r2, two / (2 * po), e2, ">= 0.9" (e2 >= 0.9 ? " ok" : " MISSED")
}'
