#!/bin/sh
# t_pcsc_daemon.sh - kimctl card status/enable through the running
# kim-milter: the daemon opens the cards of its Card lines (a private pcscd
# with the virtual SMC-B) and answers card-status and card-enable on its
# control socket with the pool state (leased or idle) that only it knows.
# A card out of service after a wrong PIN comes back with `kimctl card
# enable` through the daemon; with the daemon gone, `kimctl card status`
# reads the card directly and says so.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
tool=$top_builddir/tests/pcsc/card_tool
vcard=$top_builddir/tests/vcard/vsmartcard
milter=$top_builddir/milter/kim-milter
. "$top_srcdir/tests/pcsc/pcscd_harness.sh"

if ! why=$(pcsc_usable); then
	echo "1..0 # SKIP $why"
	exit 0
fi

dir=$(mktemp -d)
VCARD_PIDS=
MILTER_PID=
cleanup() {
	[ -n "$MILTER_PID" ] && kill $MILTER_PID 2>/dev/null && wait $MILTER_PID 2>/dev/null
	for p in $VCARD_PIDS; do kill $p 2>/dev/null; done
	pcsc_stop
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"
	sed 's/^/# /' "$dir/out" 2>/dev/null | head -8; }
# has TEXT PATTERN - ok when the last output holds PATTERN
has() { if grep -q -- "$2" "$dir/out"; then ok "$1"; else notok "$1"; fi; }
hasnt() { if grep -q -- "$2" "$dir/out"; then notok "$1"; else ok "$1"; fi; }
kimctl() { "$top_builddir/tools/kimctl" -c "$dir/kim-milter.conf" "$@" >"$dir/out" 2>&1; }
counter() { cut -d' ' -f1 "$dir/c.vstate" 2>/dev/null; }

echo 1..14

sh "$top_srcdir/tests/pki/mkpki.sh" "$dir/pki" >"$dir/pki.log" 2>&1 ||
    { echo "Bail out! tests/pki/mkpki.sh failed"; exit 1; }
printf '123456\n' > "$dir/goodpin"
printf '654321\n' > "$dir/pin"
chmod 600 "$dir/pin" "$dir/goodpin"

if pcsc_start "$dir/pcsc"; then ok "private pcscd with vpcd on port $VPCD_PORT"
else echo "Bail out! no pcscd"; exit 1; fi
"$vcard" -p $VPCD_PORT -k "$dir/pki/klinikum" -s "$dir/c.vstate" 2>>"$dir/c.log" &
VCARD_PIDS=$!
LINE="c pool=p backend=pcsc reader=\"Virtual PCD 00 00\" pin-file=$dir/pin state-file=$dir/c.state"
i=0
while ! "$tool" -t 2000 "$LINE" cert osig rsa >/dev/null 2>&1 && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
hash=$(printf abc | openssl dgst -sha256 -r | cut -d' ' -f1)

# the wrong PIN: refused once (counter 3 -> 2), the card out of service
"$tool" "$LINE" sign rsa "$hash" >"$dir/out" 2>&1
has "a wrong PIN takes the card out of service" "refused the PIN"

# a milter port below the ephemeral range, free now
port=0
for t in 1 2 3 4 5 6 7 8; do
	p=$((27000 + ($$ * 13 + t * 977 + $(date +%N | sed 's/^0*//;s/^$/0/') % 991) % 5700))
	pcsc_port_free $p && { port=$p; break; }
done
mkdir "$dir/policy.d"
cat > "$dir/kim-milter.conf" <<EOF
Socket inet:$port@127.0.0.1
ControlSocket $dir/control
PidFile $dir/pid
Syslog no
PolicyDirectory $dir/policy.d
Card $LINE
EOF
"$milter" -f -c "$dir/kim-milter.conf" >"$dir/milter.log" 2>&1 &
MILTER_PID=$!
i=0
while [ ! -S "$dir/control" ] && [ $i -lt 100 ] && kill -0 $MILTER_PID 2>/dev/null; do
	sleep 0.1; i=$((i + 1))
done
if [ -S "$dir/control" ]; then ok "kim-milter starts with the PC/SC card"
else notok "kim-milter starts with the PC/SC card"; sed 's/^/# /' "$dir/milter.log" | tail -5; fi

kimctl card status
has "kimctl card status goes through the daemon: the pool state is shown" \
    "card c (pool p, backend pcsc): idle"
has "the daemon's card is out of service after the wrong PIN" "out of service"
hasnt "nothing is read directly while the daemon runs" "daemon not running"
[ "$(counter)" = 2 ] && ok "card status spends no PIN try (counter 2)" ||
    notok "card status spends no PIN try (counter $(counter))"

cp "$dir/goodpin" "$dir/pin"
kimctl card enable c && ok "kimctl card enable through the daemon succeeds" ||
    notok "kimctl card enable through the daemon succeeds"
has "the daemon answers the enable" "card c is back in service"
kimctl card status c
has "the daemon's card is back in service" "in service (enabled by the admin"

kill $MILTER_PID; wait $MILTER_PID 2>/dev/null; MILTER_PID=
kimctl card status c
has "without the daemon kimctl reads the card directly and says so" \
    "daemon not running: read directly"
has "and still shows the card" "SMC-B .* in \"Virtual PCD 00 00\""
hasnt "without the daemon there is no pool state" ": idle"

# the one PIN try the admin allowed: the fixed PIN is verified once
"$tool" "$LINE" sign rsa "$hash" >"$dir/out" 2>&1 &&
    ok "the card signs again with the fixed PIN (one VERIFY at counter 2)" ||
    notok "the card signs again with the fixed PIN (one VERIFY at counter 2)"

[ $fails -eq 0 ]
