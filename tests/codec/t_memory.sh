#!/bin/sh
# t_memory.sh - the memory bound of the codec: encoding and decoding the
# corpus's 20 MB mail (90-large-20mb.eml, N bytes) in kimctl holds a small
# constant number of copies. Measured peak RSS (see README, Performance):
# kimctl itself holds the input and the output; the bound asserted is
# baseline + 4 N for encode and baseline + 4 N for decode.
K=${top_builddir:-.}/tools/kimctl
PR=${top_builddir:-.}/tests/codec/peakrss
MK=${top_srcdir:-.}/tests/codec/mkkeys.sh
MC=${top_srcdir:-.}/tests/corpus/mkcorpus.sh
echo "1..4"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
sh "$MK" "$T" && sh "$MC" "$T/corpus" >/dev/null 2>&1 ||
    { echo "Bail out! cannot make keys or corpus"; exit 1; }
M=$T/corpus/90-large-20mb.eml
N=$(wc -c <"$M")
keys="--key $T/sender-osig-rsa.key --cert $T/sender-osig-rsa.crt"
rss() { sed -n 's/^peakrss //p' "$1"; }
"$PR" "$K" encode $keys --sender-cert "$T/sender-enc-rsa.crt" \
    <"$T/corpus/01-plain-ascii-lf.eml" >/dev/null 2>"$T/base"
base=$(rss "$T/base")
"$PR" "$K" encode $keys --sender-cert "$T/sender-enc-rsa.crt" \
    --recipient-cert "r1@klinik.kim.telematik=$T/r1-enc-rsa.crt" \
    <"$M" >"$T/out" 2>"$T/enc"
t1=$?
enc=$(rss "$T/enc")
"$PR" "$K" decode --key "$T/r1-enc-rsa.key" --cert "$T/r1-enc-rsa.crt" \
    --address r1@klinik.kim.telematik --trust "$T/ca.crt" <"$T/out" \
    >"$T/back" 2>"$T/dec"
t2=$?
dec=$(rss "$T/dec")
echo "# N=$N bytes, baseline ${base} KB, encode ${enc} KB" \
    "($(( (enc - base) * 1024 * 100 / N ))% of N), decode ${dec} KB" \
    "($(( (dec - base) * 1024 * 100 / N ))% of N)"
[ $t1 = 0 ]; r=$?
[ $r = 0 ] && echo "ok 1 - 20 MB mail encoded" || echo "not ok 1 - 20 MB mail encoded"
[ $t2 = 0 ] && grep -q '^X-KIM-IntegrityCheckResult: 07' "$T/dec"; r=$?
[ $r = 0 ] && echo "ok 2 - and decoded (00/07)" || echo "not ok 2 - and decoded (00/07)"
# a sanitizer build's shadow memory says nothing about the codec
san=
if [ -n "${ASAN_OPTIONS:-}" ] || ldd "$K" 2>/dev/null | grep -q libasan; then
	san=" # SKIP sanitizer build"
fi
[ -n "$san" ] || [ $(( (enc - base) * 1024 )) -le $(( 4 * N )) ]; r=$?
[ $r = 0 ] && echo "ok 3 - encode peak below baseline + 4 N$san" ||
    echo "not ok 3 - encode peak below baseline + 4 N"
[ -n "$san" ] || [ $(( (dec - base) * 1024 )) -le $(( 4 * N )) ]; r=$?
[ $r = 0 ] && echo "ok 4 - decode peak below baseline + 4 N$san" ||
    echo "not ok 4 - decode peak below baseline + 4 N"
