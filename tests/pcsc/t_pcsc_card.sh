#!/bin/sh
# t_pcsc_card.sh - the PC/SC backend against a real pcscd (private, see
# pcscd_harness.sh) with the vpcd driver and our virtual SMC-B
# (tests/vcard/vsmartcard): certificates, RSA and ECC signatures that verify
# with the card's certificates, RSA-OAEP and ELC decipher, the PIN rules
# (a wrong PIN moves the counter 3 -> 2 and never lower, across restarts),
# deadlines and progress, card removal and a pcscd restart.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
tool=$top_builddir/tests/pcsc/card_tool
vcard=$top_builddir/tests/vcard/vsmartcard
kat=$top_builddir/tests/unit/elc_kat
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
# t TEXT COMMAND... - ok when the command succeeds
t() {
	text=$1; shift
	if "$@" >"$dir/out" 2>"$dir/err"; then ok "$text"; else
		notok "$text"
		sed 's/^/# /' "$dir/err" | head -5
	fi
}
# grep_err TEXT PATTERN - ok when the last stderr holds PATTERN
grep_err() {
	if grep -q -- "$2" "$dir/err"; then ok "$1"; else
		notok "$1"
		sed 's/^/# /' "$dir/err" | head -5
	fi
}
tohex() { od -An -v -tx1 | tr -d ' \n'; }
unhex() { perl -e 'print pack("H*", $ARGV[0])' "$1"; }

echo 1..41

# the card's keys: OSIG and ENC, RSA-2048 and brainpoolP256r1
mkdir "$dir/keys"
(
	cd "$dir/keys" || exit 1
	cert() {
		openssl req -new -x509 -days 30 -key $1.key -out $1.crt \
		    -subj "/CN=$1" -addext "keyUsage=critical,$2" 2>/dev/null
	}
	for k in osig-rsa enc-rsa; do
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		    -out $k.key 2>/dev/null
	done
	for k in osig-ecc enc-ecc; do
		openssl genpkey -algorithm EC \
		    -pkeyopt ec_paramgen_curve:brainpoolP256r1 -out $k.key
	done
	cert osig-rsa digitalSignature,nonRepudiation &&
	cert enc-rsa keyEncipherment && cert osig-ecc digitalSignature &&
	cert enc-ecc keyAgreement
) || { echo "Bail out! cannot make test keys"; exit 1; }
chmod 600 "$dir"/keys/*.key
printf '123456\n' > "$dir/pin"
printf '654321\n' > "$dir/wrongpin"
chmod 600 "$dir/pin" "$dir/wrongpin"

# start_card SLOT NAME [vsmartcard options] - a card in a reader slot
start_card() {
	slot=$1; name=$2; shift 2
	"$vcard" -p $((VPCD_PORT + slot)) -k "$dir/keys" -s "$dir/$name.vstate" \
	    "$@" 2>>"$dir/$name.log" &
	eval "PID_$name=$!"
	VCARD_PIDS="$VCARD_PIDS $!"
}
stop_card() {
	eval "p=\$PID_$1"
	kill $p 2>/dev/null
	wait $p 2>/dev/null
}
counter() { cut -d' ' -f1 "$dir/$1.vstate" 2>/dev/null; }
# line NAME SLOT PINFILE - the Card line of a card in a slot
line() {
	echo "$1 pool=p backend=pcsc reader=\"Virtual PCD 00 0$2\" pin-file=$3 state-file=$dir/$1.state"
}
# wait_card LINE - until the card is in its reader (certificates readable)
wait_card() {
	i=0
	while [ $i -lt 50 ]; do
		"$tool" -t 2000 "$1" cert osig rsa >/dev/null 2>&1 && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

if pcsc_start "$dir/pcsc"; then ok "private pcscd with vpcd on port $VPCD_PORT"
else
	notok "private pcscd with vpcd"
	cat "$dir/pcsc/pcscd.log" | sed 's/^/# /'
	echo "Bail out! no pcscd"
	exit 1
fi

A=$(line a 0 "$dir/pin")
start_card 0 a
t "the virtual card is found in reader slot 0" wait_card "$A"

# 1. certificates
for k in osig-rsa osig-ecc enc-rsa enc-ecc; do
	use=${k%-*}; type=${k#*-}
	"$tool" "$A" cert $use $type > "$dir/card-$k.pem" 2>"$dir/err"
	if [ "$(openssl x509 -in "$dir/card-$k.pem" -outform DER 2>/dev/null | tohex)" = \
	    "$(openssl x509 -in "$dir/keys/$k.crt" -outform DER | tohex)" ]; then
		ok "certificate $k read from the card"
	else
		notok "certificate $k read from the card"
	fi
	openssl x509 -in "$dir/card-$k.pem" -pubkey -noout > "$dir/card-$k.pub"
done

# the right card by its ICCSN (EF.GDO), not any card in the reader
t "iccsn= of the card in the reader: it is used" \
    "$tool" "$A iccsn=80276883110000123456" cert osig rsa
"$tool" "$A iccsn=80276883110000999999" cert osig rsa >/dev/null 2>&1 &&
    notok "another iccsn=: the card is not used" ||
    ok "another iccsn=: the card is not used"

# 2. signatures verify with the card's certificates
printf 'KIM' | openssl dgst -sha256 -binary > "$dir/hash"
hash=$(tohex < "$dir/hash")
t "RSA-PSS signature from the card" "$tool" "$A" sign rsa "$hash"
unhex "$(cat "$dir/out")" > "$dir/sig-rsa"
t "it verifies with C.HCI.OSIG.R2048 (PSS, SHA-256, salt 32)" \
    openssl pkeyutl -verify -pubin -inkey "$dir/card-osig-rsa.pub" \
    -in "$dir/hash" -sigfile "$dir/sig-rsa" -pkeyopt digest:sha256 \
    -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:32 \
    -pkeyopt rsa_mgf1_md:sha256
t "ECDSA signature from the card" "$tool" "$A" sign ecc "$hash"
unhex "$(cat "$dir/out")" > "$dir/sig-ecc"
t "it is DER and verifies with C.HCI.OSIG.E256" \
    openssl pkeyutl -verify -pubin -inkey "$dir/card-osig-ecc.pub" \
    -in "$dir/hash" -sigfile "$dir/sig-ecc"
printf 'other' | openssl dgst -sha256 -binary > "$dir/hash2"
if openssl pkeyutl -verify -pubin -inkey "$dir/card-osig-ecc.pub" \
    -in "$dir/hash2" -sigfile "$dir/sig-ecc" >/dev/null 2>&1; then
	notok "the ECDSA signature does not verify for another hash"
else
	ok "the ECDSA signature does not verify for another hash"
fi

# the overhead of pcscd + vpcd + our backend per operation, against the
# same RSA signature in-process (the virtual card runs at 0 ms delay and
# does the same private-key operation); a delayed ACK would add ~40 ms
OSOFT="o pool=p backend=soft key=$dir/keys/osig-rsa.key cert=$dir/keys/osig-rsa.crt"
"$tool" "$A" repeat 100 sign rsa "$hash" >/dev/null 2>"$dir/err"
card_ms=$(sed -n 's/.*sign took \([0-9]*\) ms.*/\1/p' "$dir/err")
"$tool" "$OSOFT" repeat 100 sign rsa "$hash" >/dev/null 2>"$dir/err"
soft_ms=$(sed -n 's/.*sign took \([0-9]*\) ms.*/\1/p' "$dir/err")
over=$(awk -v c="${card_ms:-99999}" -v s="${soft_ms:-0}" \
    'BEGIN { printf "%.2f", (c - s) / 100 }')
echo "# 100 RSA signatures: card ${card_ms:-?} ms, in-process ${soft_ms:-?} ms: overhead $over ms per operation"
awk -v o="$over" 'BEGIN { exit !(o < 5) }' &&
    ok "PC/SC overhead per operation $over ms (< 5 ms: no delayed ACKs)" ||
    notok "PC/SC overhead per operation $over ms (< 5 ms: no delayed ACKs)"

# 3. decipher: what was encrypted to the card's ENC certificates comes back
key=$(openssl rand -hex 32)
unhex "$key" > "$dir/key"
openssl pkeyutl -encrypt -pubin -inkey "$dir/card-enc-rsa.pub" \
    -in "$dir/key" -out "$dir/ct-rsa" -pkeyopt rsa_padding_mode:oaep \
    -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256
t "RSA-OAEP decipher on the card (extended APDU)" \
    "$tool" "$A" decipher rsa "$dir/ct-rsa"
[ "$(cat "$dir/out")" = "$key" ] && ok "it gives the encrypted key" ||
    notok "it gives the encrypted key"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:brainpoolP256r1 \
    -out "$dir/eph.pem"
unhex "$("$kat" encrypt "$dir/card-enc-ecc.pub" "$dir/eph.pem" "$key")" \
    > "$dir/ct-elc"
t "ELC decipher on the card" "$tool" "$A" decipher elc "$dir/ct-elc"
[ "$(cat "$dir/out")" = "$key" ] && ok "it gives the encrypted key" ||
    notok "it gives the encrypted key"
perl -e 'open F, "+<", $ARGV[0]; seek F, 140, 0; read F, $b, 1;
    seek F, 140, 0; print F chr(ord($b) ^ 1)' "$dir/ct-elc"
"$tool" "$A" decipher elc "$dir/ct-elc" >/dev/null 2>"$dir/err"
grep_err "a template with a changed MAC is refused by the card (6A80)" \
    "cryptogram rejected.*6A80"
SOFT="s pool=p backend=soft key=$dir/keys/enc-rsa.key cert=$dir/keys/enc-rsa.crt"
t "the soft backend deciphers the same cryptogram" \
    "$tool" "$SOFT" decipher rsa "$dir/ct-rsa"
[ "$(cat "$dir/out")" = "$key" ] && ok "to the same key: card and soft agree" ||
    notok "to the same key: card and soft agree"

# 4. PIN rules, with a second card in slot 1, configured in a
# kim-milter.conf for kimctl; its PIN file holds a wrong PIN at first
cp "$dir/wrongpin" "$dir/bpin"
B=$(line b 1 "$dir/bpin")
C=$(line c 1 "$dir/pin")
printf 'Card %s\nCard %s\n' "$B" "$C" > "$dir/kim-milter.conf"
kimctl() { "$top_builddir/tools/kimctl" -c "$dir/kim-milter.conf" "$@"; }
start_card 1 b
wait_card "$B"
"$tool" "$B" sign rsa "$hash" >/dev/null 2>"$dir/err"
grep_err "a wrong PIN is refused and the card goes out of service" \
    "refused the PIN"
[ "$(counter b)" = 2 ] && ok "the card's retry counter went from 3 to 2" ||
    notok "the card's retry counter went from 3 to 2 (is $(counter b))"
"$tool" "$B" sign rsa "$hash" >/dev/null 2>"$dir/err"
"$tool" "$B" sign ecc "$hash" >/dev/null 2>>"$dir/err"
grep_err "after two restarts the card is still out of service" \
    "card out of service"
[ "$(counter b)" = 2 ] && ok "and the counter is still 2: no PIN was tried" ||
    notok "and the counter is still 2 (is $(counter b))"
kimctl card status b > "$dir/err" 2>&1
grep_err "kimctl card status says why" \
    "out of service: the card refused the PIN"
grep_err "and shows the counter without spending a try" \
    "PIN.SMC 2 of 3 tries left"
[ "$(counter b)" = 2 ] && ok "the counter is still 2 after kimctl card status" ||
    notok "the counter is still 2 after kimctl card status (is $(counter b))"
# a running "daemon" that keeps trying; the admin fixes the file, enables
"$tool" -w 1500 "$B" repeat 2 sign rsa "$hash" >/dev/null 2>"$dir/daemon" &
daemon=$!
sleep 0.5
cp "$dir/pin" "$dir/bpin"
t "kimctl card enable with the fixed PIN file" kimctl card enable b
cat "$dir/out" >> "$dir/err"
grep_err "kimctl says that one PIN try is allowed, never at 1" \
    "At 1 try left it is not"
wait $daemon
if grep -q "sign 1: card out of service" "$dir/daemon" &&
    grep -q "sign 2: ok" "$dir/daemon"; then
	ok "the running daemon picks the card up again"
else
	notok "the running daemon picks the card up again"
	sed 's/^/# /' "$dir/daemon"
fi
[ "$(counter b)" = 3 ] && ok "the counter is back at 3" ||
    notok "the counter is back at 3 (is $(counter b))"

stop_card b
rm -f "$dir/c.vstate"
start_card 1 c -c 1
wait_card "$C"
kimctl card enable c >/dev/null 2>&1
"$tool" "$C" sign rsa "$hash" >/dev/null 2>"$dir/err"
grep_err "at 1 try left even card enable tries no PIN" \
    "person at a card terminal"
[ "$(counter c)" = 1 ] && ok "the counter stays at 1" ||
    notok "the counter stays at 1 (is $(counter c))"
stop_card c
start_card 1 d -t
D=$(line d 1 "$dir/pin")
wait_card "$D"
"$tool" "$D" sign rsa "$hash" >/dev/null 2>"$dir/err"
grep_err "a card with its transport PIN is refused with the reason" \
    "transport PIN is still set"
stop_card d

# 5. deadlines and progress: a card that takes 2.5 s per operation
start_card 1 e -d 2500
E=$(line e 1 "$dir/pin")
wait_card "$E"
"$tool" -t 600 "$E" sign ecc "$hash" >/dev/null 2>"$dir/err"
ms=$(sed -n 's/.*sign took \([0-9]*\) ms.*/\1/p' "$dir/err")
if grep -q "card timeout" "$dir/err" && [ "${ms:-9999}" -lt 1000 ]; then
	ok "a 600 ms deadline gives a timeout in time ($ms ms)"
else
	notok "a 600 ms deadline gives a timeout in time ($ms ms)"
	sed 's/^/# /' "$dir/err"
fi
"$tool" "$E" sign ecc "$hash" >/dev/null 2>"$dir/err"
grep_err "a slow operation calls the progress callback meanwhile" \
    "progress called [2-9]"
stop_card e

# 6. a hung card (the process stopped): SCardTransmit would block forever;
# the caller still gets its answer at its deadline, and the card works
# again once it answers
kill -STOP $PID_a
timeout 20 "$tool" -t 1000 "$A" sign rsa "$hash" >/dev/null 2>"$dir/err"
[ $? = 124 ] && echo "card_tool: did not exit" >> "$dir/err"
ms=$(sed -n 's/.*sign took \([0-9]*\) ms.*/\1/p' "$dir/err")
if grep -q "card timeout" "$dir/err" && [ "${ms:-9999}" -lt 1500 ]; then
	ok "a hung card: timeout at the 1 s deadline ($ms ms)"
else
	notok "a hung card: timeout at the 1 s deadline (${ms:-?} ms)"
	sed 's/^/# /' "$dir/err"
fi
kill -CONT $PID_a
t "the card answers again: the next operation succeeds" \
    "$tool" "$A" sign rsa "$hash"

# 7. card removed, put back, pcscd restarted: clean failures, then success
"$tool" -t 3000 "$A" soak 7 rsa "$hash" > "$dir/soak" 2>"$dir/soak.err" &
soak=$!
sleep 1
stop_card a
sleep 1
start_card 0 a
sleep 1.5
pcsc_restart
wait $soak
soakout=$(cat "$dir/soak")
case "$soakout" in
*"last=ok"*) ok "removal and pcscd restart: later operations succeed ($soakout)" ;;
*) notok "removal and pcscd restart: later operations succeed ($soakout)"
   sed 's/^/# /' "$dir/soak.err" | tail -5 ;;
esac
maxms=${soakout##*maxms=}
[ "${maxms:-99999}" -le 3500 ] && ok "no call outlived its 3 s bound" ||
    notok "no call outlived its 3 s bound (max $maxms ms)"

[ $fails -eq 0 ]
