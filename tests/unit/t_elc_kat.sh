#!/bin/sh
# t_elc_kat.sh - ELC known answer: the template our C code makes for a fixed
# ephemeral key equals the one computed step by step with the openssl
# command line (pkeyutl -derive, dgst, enc, mac), as kim-format.md section 5
# describes it; and the C decryption takes it back.
set -u
tool=${top_builddir:-.}/tests/unit/elc_kat
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
cd "$dir" || exit 1

n=0
fails=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
notok() {
	n=$((n + 1))
	fails=$((fails + 1))
	echo "not ok $n - $1"
}
check() {
	# check TEXT GOT WANT
	if [ -n "$2" ] && [ "$2" = "$3" ]; then ok "$1"; else
		notok "$1"
		echo "# got:  $2"
		echo "# want: $3"
	fi
}
tohex() { od -An -v -tx1 | tr -d ' \n'; }
unhex() { perl -e 'print pack("H*", $ARGV[0])' "$1"; }
zeros() { head -c "$1" /dev/zero; }

echo 1..8

gen() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:brainpoolP256r1 \
	    -out "$1" 2>/dev/null
}
gen r.pem && openssl pkey -in r.pem -pubout -out r.pub && gen e.pem &&
    gen other.pem || { echo "Bail out! openssl cannot make brainpool keys"; exit 1; }

# kat KEYHEX: the template by the openssl command line, step by step
kat() {
	openssl pkeyutl -derive -inkey e.pem -peerkey r.pub -out z.bin || return 1
	{ cat z.bin; printf '\000\000\000\001'; } |
	    openssl dgst -sha256 -binary > kenc.bin
	{ cat z.bin; printf '\000\000\000\002'; } |
	    openssl dgst -sha256 -binary > kmac.bin
	kenc=$(tohex < kenc.bin)
	kmac=$(tohex < kmac.bin)
	zeros 16 | openssl enc -aes-256-ecb -K "$kenc" -nopad > iv.bin
	# M || 80 00.. up to the next full block (ISO 7816-4)
	mlen=$((${#1} / 2))
	padlen=$((16 - mlen % 16))
	{ unhex "$1"; printf '\200'; zeros $((padlen - 1)); } > m.bin
	openssl enc -aes-256-cbc -K "$kenc" -iv "$(tohex < iv.bin)" -nopad \
	    -in m.bin > c.bin
	{ cat c.bin; printf '\200'; zeros 15; } > cpad.bin
	t=$(openssl mac -cipher AES-256-CBC -macopt "hexkey:$kmac" \
	    -in cpad.bin CMAC | tr 'A-F' 'a-f' | cut -c1-16)
	# E: the uncompressed point ends the DER SubjectPublicKeyInfo
	e=$(openssl pkey -in e.pem -pubout -outform DER | tail -c 65 | tohex)
	c=$(tohex < c.bin)
	clen=$(($(wc -c < c.bin) + 1))
	inner=$((11 + 70 + 2 + clen + 10))
	if [ $inner -lt 128 ]; then il=$(printf '%02x' $inner)
	else il=81$(printf '%02x' $inner); fi
	printf 'a6%s06092b2403030208010107''7f4943''8641%s''86%02x02%s''8e08%s\n' \
	    "$il" "$e" "$clen" "$c" "$t"
}

key32=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
want=$(kat $key32)
got=$("$tool" encrypt r.pub e.pem $key32)
check "32-byte key: C template equals the openssl step-by-step template" \
    "$got" "$want"
check "32-byte key: template is 145 bytes" "$((${#got} / 2))" 145
check "C decrypts the openssl-made template to the key" \
    "$("$tool" decrypt r.pem "$want")" $key32

key16=f0e0d0c0b0a090807060504030201000
check "16-byte key: C template equals the openssl step-by-step template" \
    "$("$tool" encrypt r.pub e.pem $key16)" "$(kat $key16)"

# a template the card would refuse
# flip HEX POS: the hex text with the low bit of the digit at POS flipped
flip() {
	printf '%s' "$1" | perl -pe \
	    's/^(.{'"$2"'})(.)/$1 . sprintf("%x", hex($2) ^ 1)/e'
}
bad_mac=$(flip "$want" 289)
if "$tool" decrypt r.pem "$bad_mac" >/dev/null 2>err.txt; then
	notok "a changed MAC is refused"
else
	grep -q 'cryptogram rejected' err.txt && ok "a changed MAC is refused" ||
	    notok "a changed MAC is refused: $(cat err.txt)"
fi
if "$tool" decrypt other.pem "$want" >/dev/null 2>err.txt; then
	notok "another key cannot decrypt"
else
	ok "another key cannot decrypt"
fi
# the ephemeral point with one bit of Y changed is not on the curve
# (Y is hex digits 104..167 of the template)
bad_pt=$(flip "$want" 160)
if "$tool" decrypt r.pem "$bad_pt" >/dev/null 2>err.txt; then
	notok "a point off the curve is refused"
else
	grep -q 'cryptogram rejected' err.txt && ok "a point off the curve is refused" ||
	    notok "a point off the curve is refused: $(cat err.txt)"
fi
# two encryptions with fresh ephemeral keys differ (no fixed key in use)
gen e.pem
check "another ephemeral key gives another, still matching template" \
    "$("$tool" encrypt r.pub e.pem $key32)" "$(kat $key32)"

[ $fails -eq 0 ]
