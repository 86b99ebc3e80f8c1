#!/bin/sh
# t_pcsc_pool.sh - two virtual SMC-Bs (keys from the test PKI) in the two
# slots of the vpcd reader, behind a private pcscd, as one card pool:
# each card does one operation at a time at 300 ms each, the pool spreads
# the work over both, every signature verifies with the certificate of the
# card that made it, and when one card is pulled mid-run the pool carries on
# with the other.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
pool=$top_builddir/tests/pcsc/pool_tool
vcard=$top_builddir/tests/vcard/vsmartcard
. "$top_srcdir/tests/pcsc/pcscd_harness.sh"

if ! why=$(pcsc_usable); then
	echo "1..0 # SKIP $why"
	exit 0
fi

dir=$(mktemp -d)
VCARD_PIDS=
cleanup() {
	for p in $VCARD_PIDS; do kill -CONT $p 2>/dev/null; kill $p 2>/dev/null; done
	pcsc_stop
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }

echo 1..9

sh "$top_srcdir/tests/pki/mkpki.sh" "$dir/pki" >"$dir/pki.log" 2>&1 ||
    { echo "Bail out! tests/pki/mkpki.sh failed"; exit 1; }
printf '123456\n' > "$dir/pin"
chmod 600 "$dir/pin"

if pcsc_start "$dir/pcsc"; then ok "private pcscd with vpcd on port $VPCD_PORT"
else notok "private pcscd with vpcd"; echo "Bail out! no pcscd"; exit 1; fi

# card SLOT PARTY: a card with a party's keys, 300 ms per operation
card() {
	"$vcard" -p $((VPCD_PORT + $1)) -k "$dir/pki/$2" -d 300 -i 8027688311000000000$1 \
	    -s "$dir/$2.vstate" 2>>"$dir/$2.log" &
	VCARD_PIDS="$VCARD_PIDS $!"
	eval "PID_$2=$!"
}
line() {
	echo "$2 pool=p backend=pcsc reader=\"Virtual PCD 00 0$1\" pin-file=$dir/pin state-file=$dir/$2.state"
}
card 0 klinikum
card 1 praxis
K=$(line 0 klinikum)
P=$(line 1 praxis)
sleep 0.5

# without reader=, iccsn= finds the card in whichever slot it is
"$top_builddir/tests/pcsc/card_tool" "x pool=p backend=pcsc iccsn=80276883110000000001 pin-file=$dir/pin state-file=$dir/x.state" \
    cert osig rsa > "$dir/x.pem" 2>"$dir/err"
if [ "$(openssl x509 -in "$dir/x.pem" -noout -fingerprint 2>/dev/null)" = \
    "$(openssl x509 -in "$dir/pki/praxis/osig-rsa.pem" -noout -fingerprint)" ]; then
	ok "iccsn= without reader= finds the card in slot 1"
else
	notok "iccsn= without reader= finds the card in slot 1"
	sed 's/^/# /' "$dir/err" | head -3
fi

# one card alone: 8 operations in a row
"$pool" 4 8 "$K" > "$dir/one" 2>"$dir/err"
one_ms=$(sed -n 's/.*ms=\([0-9]*\).*/\1/p' "$dir/one")
# two cards: 16 operations from 4 threads
"$pool" 4 16 "$K" "$P" > "$dir/two" 2>"$dir/err"
two_ms=$(sed -n 's/.*ms=\([0-9]*\).*/\1/p' "$dir/two")
grep -q '^ok=16 bad=0' "$dir/two" &&
    ok "16 signatures through the pool, each verified with its card's certificate" ||
    { notok "16 signatures through the pool ($(head -1 "$dir/two"))"; sed 's/^/# /' "$dir/err" | head; }
k=$(sed -n 's/^klinikum=//p' "$dir/two")
p=$(sed -n 's/^praxis=//p' "$dir/two")
[ "${k:-0}" -ge 5 ] && [ "${p:-0}" -ge 5 ] &&
    ok "the work is spread over both cards (klinikum=$k praxis=$p)" ||
    notok "the work is spread over both cards (klinikum=${k:-0} praxis=${p:-0})"
# 16 operations on two cards at 300 ms: 2.4 s ideal
eff=$(awk -v ms="${two_ms:-99999}" 'BEGIN { printf "%.2f", 16 * 300 / 2 / ms }')
echo "# one card: 8 ops in ${one_ms:-?} ms; two cards: 16 ops in ${two_ms:-?} ms; pool efficiency $eff"
awk -v e="$eff" 'BEGIN { exit !(e >= 0.8) }' &&
    ok "two cards do twice the work of one (efficiency $eff >= 0.8)" ||
    notok "two cards do twice the work of one (efficiency $eff)"
[ "${one_ms:-0}" -ge 2300 ] &&
    ok "one card does one operation at a time (8 x 300 ms took $one_ms ms)" ||
    notok "one card does one operation at a time (8 x 300 ms took ${one_ms:-?} ms)"

# pull the praxis card after 1 s of a 24-operation run
"$pool" 4 24 "$K" "$P" > "$dir/pull" 2>"$dir/err" &
run=$!
sleep 1
kill $PID_praxis
wait $run
grep -q '^ok=24 bad=0' "$dir/pull" &&
    ok "a card pulled mid-run: every operation still succeeds ($(head -1 "$dir/pull"))" ||
    { notok "a card pulled mid-run ($(head -1 "$dir/pull"))"; sed 's/^/# /' "$dir/err" | head; }
k=$(sed -n 's/^klinikum=//p' "$dir/pull")
[ "${k:-0}" -ge 12 ] && ok "the other card took over (klinikum=$k)" ||
    notok "the other card took over (klinikum=${k:-0})"
# the card comes back and is used again
card 1 praxis
sleep 0.5
"$pool" 2 6 "$P" > "$dir/back" 2>"$dir/err"
grep -q '^ok=6 bad=0' "$dir/back" && ok "a card put back is used again" ||
    { notok "a card put back is used again ($(head -1 "$dir/back"))"; sed 's/^/# /' "$dir/err" | head; }

[ $fails -eq 0 ]
