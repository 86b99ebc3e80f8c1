#!/bin/sh
# t_corpus.sh - the message corpus holds the traps tests/corpus/README.md lists (TAP)

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
LC_ALL=C
export LC_ALL
OPENSSL=${OPENSSL:-openssl}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
C=$T/corpus
M=$top_srcdir/tests/corpus/msgs
N=0
FAILED=0

# ok EXIT-STATUS TEXT - one TAP line
ok()
{
	N=$((N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $N - $2"
	else
		echo "not ok $N - $2"
		FAILED=1
	fi
}

# sha FILE - SHA-256 hex of a file
sha()
{
	"$OPENSSL" dgst -sha256 -r "$1" | cut -d' ' -f1
}

sh "$top_srcdir/tests/corpus/mkcorpus.sh" "$C"
ok $? "mkcorpus.sh runs"
n=$(ls "$C"/*.eml | wc -l)
test "$n" -ge 25
ok $? "at least 25 messages ($n)"
r=0
for f in "$M"/*.eml; do
	cmp -s "$f" "$C/$(basename "$f")" || r=1
done
ok $r "committed messages copied byte for byte"

# The generated messages are the same bytes everywhere.
test "$(sha "$C/90-large-20mb.eml")" = \
    35d87279d187d88a2a7c75126c7fd43e99f39c17e766224721e66e655685a084
ok $? "90-large-20mb.eml is reproducible"
test "$(sha "$C/91-200-recipients.eml")" = \
    df0f103b932985025c19447acf391f49f53e8e0b70335dc5855d0a381941a4f1
ok $? "91-200-recipients.eml is reproducible"
s=$(wc -c < "$C/90-large-20mb.eml")
test "$s" -gt 19000000 && test "$s" -lt 21000000
ok $? "90-large-20mb.eml is about 20 MB ($s bytes)"
test "$(awk 'length($0) > 76' "$C/90-large-20mb.eml" | wc -l)" -eq 0
ok $? "90: no line longer than 76"
test "$(grep -c 'rcpt[0-9][0-9][0-9]@example.net,\{0,1\}$' "$C/91-200-recipients.eml")" -eq 200 &&
    test "$(wc -l < "$C/91-200-recipients.rcpt")" -eq 200
ok $? "91: 200 recipients in To and in the .rcpt list"

# Every message: a Message-ID, sender/recipient outside KIM domains.
r=0
for f in "$C"/*.eml; do
	grep -qi '^message-id: *<' "$f" || { echo "# no Message-ID: $f"; r=1; }
	grep -qi '^from:.*sender@example.org' "$f" || { echo "# From: $f"; r=1; }
	grep -q 'kim\.telematik' "$f" && { echo "# KIM domain: $f"; r=1; }
done
ok $r "every message has Message-ID, From sender@example.org, no KIM domain"

# The traps.
test "$(tr -cd '\n' < "$M/02-plain-crlf.eml" | wc -c)" -eq \
    "$(grep -c "$(printf '\r')\$" "$M/02-plain-crlf.eml")"
ok $? "02: every line ends in CRLF"
grep -q "$(printf '\r')" "$M/01-plain-ascii-lf.eml"
test $? -ne 0
ok $? "01: no CR at all"
grep -q "$(printf '\r')\$" "$M/23-mixed-line-endings.eml" &&
    grep -q "[^$(printf '\r')]\$" "$M/23-mixed-line-endings.eml"
ok $? "23: CRLF and bare LF lines"
test "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' \
    "$M/13-long-line-5000.eml")" -ge 5000
ok $? "13: a line of 5000 bytes"
awk 'BEGIN { n = 0; m = 0 } /^$/ { exit } /^[ \t]/ { n++; if (n > m) m = n; next }
    { n = 0 } END { exit !(m >= 20) }' "$M/12-long-folded-header.eml"
ok $? "12: a header folded over at least 20 lines"
test "$(grep -c '^--nest-level-[0-9]*-boundary--$' "$M/14-deep-nesting-10.eml")" -eq 10
ok $? "14: ten nested multiparts"
grep -q '^\.$' "$M/16-dot-stuffing.eml" && grep -q '^\.\.$' "$M/16-dot-stuffing.eml"
ok $? "16: lines '.' and '..'"
grep -q "$(printf '\r')." "$M/17-lone-cr.eml"
ok $? "17: a CR not followed by LF"
test "$(tail -c 1 "$M/19-no-final-newline.eml" | od -An -c | tr -d ' ')" != '\n'
ok $? "19: no final newline"
grep -q '^$' "$M/20-headers-only.eml"
test $? -ne 0
ok $? "20: no empty line (headers only)"
test "$(tail -c 4 "$M/21-empty-body.eml" | od -An -tx1 | tr -d ' ')" = 0d0a0d0a
ok $? "21: empty body after CRLF CRLF"
grep -q '[ 	]$' "$M/18-trailing-whitespace.eml"
ok $? "18: trailing whitespace"
grep -q '[^ -~	]' "$M/11-8bit-undeclared.eml" &&
    ! grep -qi '^content-type:' "$M/11-8bit-undeclared.eml"
ok $? "11: 8-bit body without any MIME header"
grep -q '^Subject: .*[^ -~]' "$M/10-raw-utf8-headers.eml"
ok $? "10: raw 8-bit header"
grep -q '^Content-Transfer-Encoding: binary$' "$M/24-binary-cte.eml"
ok $? "24: binary transfer encoding"
grep -q '^DKIM-Signature:' "$M/22-dkim-arc-received.eml" &&
    test "$(grep -c '^Received:' "$M/22-dkim-arc-received.eml")" -ge 4
ok $? "22: DKIM-Signature and a Received chain"
grep -q '^Content-Type: message/rfc822' "$M/15-message-rfc822.eml"
ok $? "15: message/rfc822 attachment"
grep -q 'application/pkcs7-signature' "$M/07-smime-signed.eml"
ok $? "07: S/MIME signature part"
grep -q 'text/calendar' "$M/08-calendar-invite.eml"
ok $? "08: calendar part"

echo "1..$N"
exit $FAILED
