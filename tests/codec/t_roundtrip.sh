#!/bin/sh
# t_roundtrip.sh - encode then decode every message of the corpus
# (tests/corpus) with RSA, with ECC and mixed (RSA+ECC recipients, decoded
# with either key): the decoder returns the original message with CRLF
# line endings plus exactly the headers the codec adds, with 00/07.
K=${top_builddir:-.}/tools/kimctl
C=${top_srcdir:-.}/tests/corpus/msgs
MKPKI=${top_srcdir:-.}/tests/pki/mkpki.sh
VER=$(sed -n 's/^PACKAGE_VERSION = //p' "${top_builddir:-.}/Makefile")
msgs=$(ls "$C"/*.eml)
nm=$(echo "$msgs" | wc -l)
echo "1..$((nm * 3 + 1))"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
sh "$MKPKI" "$T/pki" >"$T/pki.log" 2>&1 || { echo "Bail out! mkpki.sh"; exit 1; }
P=$T/pki
KL=klinikum
n=0
t() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
# expect - the mail with bare LF made CRLF and our headers at the end of
# the header block (no blank line invented for a mail of headers only)
expect() {
	perl -e '
		local $/; my $m = <STDIN>; my ($h, $b, $sep);
		$m =~ s/(?<!\r)\n/\r\n/g;
		if ($m =~ /\r\n\r\n/) {
			($h, $b) = split(/\r\n\r\n/, $m, 2);
			$h .= "\r\n"; $sep = "\r\n";
		} else {
			($h, $b, $sep) = ($m, "", "");
			$h .= "\r\n" if length($h) && $h !~ /\r\n$/;
		}
		$h .= "X-KIM-Dienstkennung: KIM-Mail;Default;V1.0\r\n"
		    unless $h =~ /^X-KIM-Dienstkennung:/mi;
		$h .= "X-KIM-Middleware: kim-milter;$ARGV[0]\r\n";
		print $h, $sep, $b;' "$VER" <"$1"
}
# enc MODE MAIL - encode with the klinikum card
enc() {
	case $1 in
	rsa) "$K" encode --key "$P/$KL/osig-rsa.key" --cert "$P/$KL/osig-rsa.pem" \
	    --sender-cert "$P/$KL/enc-rsa.pem" \
	    --recipient-cert "rcpt@example.net=$P/praxis-rsa/enc-rsa.pem" <"$2" ;;
	ecc) "$K" encode --key "$P/$KL/osig-ecc.key" --cert "$P/$KL/osig-ecc.pem" \
	    --sender-cert "$P/$KL/enc-ecc.pem" \
	    --recipient-cert "rcpt@example.net=$P/praxis-ecc/enc-ecc.pem" <"$2" ;;
	mixed) "$K" encode --key "$P/$KL/osig-ecc.key,$P/$KL/osig-rsa.key" \
	    --cert "$P/$KL/osig-ecc.pem,$P/$KL/osig-rsa.pem" \
	    --sender-cert "$P/$KL/enc-rsa.pem" --sender-cert "$P/$KL/enc-ecc.pem" \
	    --recipient-cert "rcpt@example.net=$P/praxis/enc-rsa.pem" \
	    --recipient-cert "rcpt@example.net=$P/praxis/enc-ecc.pem" \
	    --encrypt-to all <"$2" ;;
	esac
}
# dec PARTY KT ADDRESS - decode stdin, inner message on stdout
dec() {
	"$K" decode --key "$P/$1/enc-$2.key" --cert "$P/$1/enc-$2.pem" \
	    --address "$3" --trust "$P/anchors.pem" --require-osig
}
for m in $msgs; do
	b=$(basename "$m")
	expect "$m" >"$T/expect"
	for mode in rsa ecc mixed; do
		ok=1
		enc $mode "$m" >"$T/out" 2>"$T/err" || ok=0
		case $mode in
		rsa) set -- "praxis-rsa rsa rcpt@example.net" ;;
		ecc) set -- "praxis-ecc ecc rcpt@example.net" ;;
		mixed) set -- "praxis rsa rcpt@example.net" "praxis ecc rcpt@example.net" \
		    "$KL rsa sender@example.org" "$KL ecc sender@example.org" ;;
		esac
		for who in "$@"; do
			# shellcheck disable=SC2086
			dec $who <"$T/out" >"$T/back" 2>"$T/derr" || ok=0
			grep -q '^X-KIM-IntegrityCheckResult: 07$' "$T/derr" || ok=0
			cmp -s "$T/back" "$T/expect" || ok=0
		done
		if [ $ok = 1 ]; then t 0 "$b $mode"; else
			t 1 "$b $mode"; sed 's/^/# /' "$T/err" "$T/derr"; fi
	done
done
# the sender's From of 29-odd-headers is spelled FROM: still compared
enc rsa "$C/29-odd-headers.eml" | sed 's/^FROM: .*/FROM: mallory@example.org\r/' |
    dec praxis-rsa rsa rcpt@example.net >/dev/null 2>"$T/derr"
grep -q '^X-KIM-IntegrityCheckResult: 08$' "$T/derr"
t $? "a forged outer FROM (odd case) gives 08"
