#!/bin/sh
# t_pcsc_codec.sh - KIM messages through the card and through soft keys are
# interchangeable: kimctl encode signs with the virtual SMC-B (ECC card and
# RSA-only card) behind a private pcscd and the recipient's soft keys
# decode it; soft keys encode to the card's ENC certificates (RSA-OAEP and
# ELC) and kimctl decode --card decrypts with the card. Keys from the test
# PKI (tests/pki/mkpki.sh).
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
vcard=$top_builddir/tests/vcard/vsmartcard
K=$top_builddir/tools/kimctl
. "$top_srcdir/tests/pcsc/pcscd_harness.sh"

if ! why=$(pcsc_usable); then
	echo "1..0 # SKIP $why"
	exit 0
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

n=0
fails=0
t() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"; fails=$((fails + 1))
		[ -f "$dir/err" ] && sed 's/^/# /' "$dir/err" | head -5
	fi
}

echo 1..9
sh "$top_srcdir/tests/pki/mkpki.sh" "$dir/pki" >"$dir/pki.log" 2>&1 ||
    { echo "Bail out! tests/pki/mkpki.sh failed"; exit 1; }
P=$dir/pki
KLINIK=kardiologie@klinikum-nord.kim.telematik-test
PRAXIS=praxis@aerzte.kim.telematik-test
# the RSA-only card: klinikum's RSA keys alone
mkdir "$dir/rsacard"
for f in osig-rsa enc-rsa; do
	cp "$P/klinikum/$f.key" "$P/klinikum/$f.pem" "$dir/rsacard/"
done
printf '123456\n' > "$dir/pin"
chmod 600 "$dir/pin"

pcsc_start "$dir/pcsc" || { echo "Bail out! no pcscd"; exit 1; }
"$vcard" -p $VPCD_PORT -k "$P/klinikum" -s "$dir/ecc.vstate" 2>>"$dir/v.log" &
VCARD_PIDS="$VCARD_PIDS $!"
"$vcard" -p $((VPCD_PORT + 1)) -k "$dir/rsacard" -s "$dir/rsa.vstate" \
    -i 80276883110000000002 2>>"$dir/v.log" &
VCARD_PIDS="$VCARD_PIDS $!"
cat > "$dir/kim-milter.conf" <<CONF
Card smcb pool=klinik backend=pcsc reader="Virtual PCD 00 00" pin-file=$dir/pin state-file=$dir/smcb.state
Card smcbrsa pool=klinikrsa backend=pcsc reader="Virtual PCD 00 01" pin-file=$dir/pin state-file=$dir/smcbrsa.state
CONF
sleep 0.5

cat > "$dir/mail" <<MAIL
From: Kardiologie <$KLINIK>
To: Praxis <$PRAXIS>
Subject: Befund
Date: Sat, 28 Nov 2026 12:00:00 +0100
Message-ID: <card-test@klinikum>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Der Befund, signiert mit der SMC-B.
MAIL

# encode ARGS... - kimctl encode of the mail to praxis (and the sender)
encode() {
	"$K" -c "$dir/kim-milter.conf" encode "$@" --encrypt-to all \
	    --sender-cert "$P/klinikum/enc-rsa.pem" \
	    --sender-cert "$P/klinikum/enc-ecc.pem" \
	    --recipient-cert "$PRAXIS=$P/praxis/enc-rsa.pem" \
	    --recipient-cert "$PRAXIS=$P/praxis/enc-ecc.pem" \
	    < "$dir/mail"
}
# decode_soft FILE - praxis decodes with its soft keys
decode_soft() {
	"$K" decode --key "$P/praxis/enc-ecc.key,$P/praxis/enc-rsa.key" \
	    --cert "$P/praxis/enc-ecc.pem,$P/praxis/enc-rsa.pem" \
	    --address "$PRAXIS" --trust "$P/anchors.pem" < "$1"
}

encode --card smcb > "$dir/ecc.kim" 2>"$dir/err"
t $? "kimctl encode --card: signed by the ECC card through pcscd"
decode_soft "$dir/ecc.kim" > "$dir/ecc.out" 2>"$dir/err"
t $? "the recipient's soft keys decode it; the card's signature verifies"
grep -q 'Der Befund, signiert mit der SMC-B' "$dir/ecc.out"
t $? "to the original text"

encode --card smcbrsa > "$dir/rsa.kim" 2>"$dir/err"
t $? "kimctl encode --card: signed by the RSA-only card (PSS)"
decode_soft "$dir/rsa.kim" > "$dir/rsa.out" 2>"$dir/err"
t $? "the recipient's soft keys decode it; the RSA card signature verifies"

# soft keys (praxis) encode to the card's ENC certificate; the card decrypts
sed "s/^From: .*/From: Praxis <$PRAXIS>/; s/^To: .*/To: Kardiologie <$KLINIK>/" \
    "$dir/mail" > "$dir/mail2"
soft_encode() {
	"$K" encode --key "$P/praxis/osig-ecc.key" --cert "$P/praxis/osig-ecc.pem" \
	    --sender-cert "$P/praxis/enc-ecc.pem" \
	    --recipient-cert "$KLINIK=$1" --encrypt-to all < "$dir/mail2"
}
soft_encode "$P/klinikum/enc-ecc.pem" > "$dir/toecc.kim" 2>"$dir/err"
t $? "soft keys encode to the card's ENC E256 certificate (ELC)"
"$K" -c "$dir/kim-milter.conf" decode --card smcb --address "$KLINIK" \
    --trust "$P/anchors.pem" < "$dir/toecc.kim" > "$dir/toecc.out" 2>"$dir/err"
rc=$?
grep -q 'Der Befund' "$dir/toecc.out" && [ $rc = 0 ]
t $? "kimctl decode --card: the card deciphers the ELC template"
soft_encode "$P/klinikum/enc-rsa.pem" > "$dir/torsa.kim" 2>"$dir/err"
t $? "soft keys encode to the card's ENC R2048 certificate (RSA-OAEP)"
"$K" -c "$dir/kim-milter.conf" decode --card smcbrsa --address "$KLINIK" \
    --trust "$P/anchors.pem" < "$dir/torsa.kim" > "$dir/torsa.out" 2>"$dir/err"
rc=$?
grep -q 'Der Befund' "$dir/torsa.out" && [ $rc = 0 ]
t $? "kimctl decode --card: the RSA card deciphers OAEP (extended APDU)"

[ $fails -eq 0 ]
