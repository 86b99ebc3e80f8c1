#!/bin/sh
# t_vcard.sh - the virtual SMC-B answers like a real one (kim-format.md
# section 5), APDU by APDU through a real pcscd: selections, EF.GDO and
# certificate reads with end-of-file status, key references and algorithm
# identifiers of MSE:SET (6A81, 6A88), commands in the wrong order (6985,
# 6982), the security state cleared by a reset, the retry counter and
# blocking, bad cryptograms (6A80), unknown instructions and classes.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
apdu=$top_builddir/tests/pcsc/apdu_tool
vcard=$top_builddir/tests/vcard/vsmartcard
. "$top_srcdir/tests/pcsc/pcscd_harness.sh"

if ! why=$(pcsc_usable); then
	echo "1..0 # SKIP $why"
	exit 0
fi
dir=$(mktemp -d)
VPID=
cleanup() {
	[ -n "$VPID" ] && kill $VPID 2>/dev/null
	pcsc_stop
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# a card with an RSA OSIG key and an ECC ENC key only
mkdir "$dir/keys"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$dir/keys/osig-rsa.key" 2>/dev/null &&
openssl req -new -x509 -key "$dir/keys/osig-rsa.key" -subj /CN=o \
    -out "$dir/keys/osig-rsa.crt" 2>/dev/null &&
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:brainpoolP256r1 \
    -out "$dir/keys/enc-ecc.key" &&
openssl req -new -x509 -key "$dir/keys/enc-ecc.key" -subj /CN=e \
    -out "$dir/keys/enc-ecc.crt" 2>/dev/null ||
    { echo "Bail out! cannot make keys"; exit 1; }
pcsc_start "$dir/pcsc" || { echo "Bail out! no pcscd"; exit 1; }
"$vcard" -p $VPCD_PORT -k "$dir/keys" -i 80276883110000654321 \
    2>"$dir/vcard.log" &
VPID=$!
R="Virtual PCD 00 00"
i=0
until "$apdu" "$R" 80200001 >/dev/null 2>&1 || [ $i -gt 50 ]; do
	sleep 0.1; i=$((i + 1))
done

ROOT=00A4040C06D27600014606
ESIGN=00A4040C0AA000000167455349474E
HASH=$(printf x | openssl dgst -sha256 -r | cut -c1-64)
PSO_CDS=002A9E9A20${HASH}00
PIN_OK=002000010826123456FFFFFFFF
PIN_BAD=002000010826654321FFFFFFFF
MSE_PSS=002241B606840184800105

# the expected answers, one per item: "what" "SW LEN"
set -- \
    "select root" $ROOT "9000 0" \
    "EF.GDO: 5A 0A ICCSN, end of file before Le" 00B0820000 "6282 12" \
    "select DF.ESIGN" $ESIGN "9000 0" \
    "C.HCI.OSIG.R2048 by SFI 10, first 256 bytes" 00B0900000 "9000 256" \
    "an offset beyond the end of the EF" 00B07F0000 "6B00 0" \
    "C.HCI.OSIG.E256 is not on this card" 00B0870000 "6A82 0" \
    "MSE:SET ECDSA on the RSA key: algorithm not allowed" 002241B606840184800100 "6A81 0" \
    "MSE:SET on the missing OSIG E256 key" 002241B606840187800100 "6A88 0" \
    "MSE:SET sign with the ENC key" 002241B606840185800100 "6A81 0" \
    "PSO CDS without MSE:SET" $PSO_CDS "6985 0" \
    "MSE:SET PSS" $MSE_PSS "9000 0" \
    "PSO CDS before the PIN" $PSO_CDS "6982 0" \
    "GET PIN STATUS: 3 tries" 80200001 "63C3 0" \
    "VERIFY PIN.SMC" $PIN_OK "9000 0" \
    "GET PIN STATUS: verified, no counter" 80200001 "9000 0" \
    "PSO CDS: a 256-byte signature" $PSO_CDS "9000 256" \
    "MSE:SET decipher ELC on the ENC E256 key" 002241B80684018580010B "9000 0" \
    "PSO DECIPHER with a broken template" 002A808605A60301020300 "6A80 0" \
    "MSE:SET decipher OAEP on the ENC E256 key" 002241B806840185800185 "6A81 0" \
    "reset" reset "reset" \
    "after a reset: PIN no longer verified" 80200001 "63C3 0" \
    "after a reset nothing is selected: key refs unknown" $MSE_PSS "6A88 0" \
    "select DF.ESIGN" $ESIGN "9000 0" \
    "MSE:SET PSS" $MSE_PSS "9000 0" \
    "PSO CDS after the reset: PIN needed again" $PSO_CDS "6982 0" \
    "wrong PIN: 2 tries left" $PIN_BAD "63C2 0" \
    "GET PIN STATUS shows 2" 80200001 "63C2 0" \
    "right PIN resets the counter" $PIN_OK "9000 0" \
    "wrong PIN" $PIN_BAD "63C2 0" \
    "wrong PIN" $PIN_BAD "63C1 0" \
    "wrong PIN: blocked" $PIN_BAD "63C0 0" \
    "VERIFY on a blocked PIN, even the right one" $PIN_OK "6983 0" \
    "unknown instruction" 00FF0000 "6D00 0" \
    "unknown class" B0A4040C06D27600014606 "6E00 0"
total=$(($# / 3))
echo 1..$total
items=
k=$#
j=1
while [ $j -le $k ]; do
	eval "item=\${$((j + 1))}"
	items="$items $item"
	j=$((j + 3))
done
# shellcheck disable=SC2086
"$apdu" "$R" $items > "$dir/answers" 2>"$dir/err"
n=0
fails=0
while [ $# -gt 0 ]; do
	n=$((n + 1))
	got=$(sed -n "${n}p" "$dir/answers")
	if [ "$got" = "$3" ]; then echo "ok $n - $1: $3"
	else echo "not ok $n - $1: got \"$got\", want \"$3\""; fails=$((fails + 1)); fi
	shift 3
done
[ $fails -eq 0 ]
