#!/bin/sh
# mkcorpus.sh OUTDIR - the message corpus (tests/corpus/README.md)
#
# Copies the committed messages (msgs/*.eml) into OUTDIR and generates the
# big ones deterministically: the same bytes on every run and machine
# (pseudo-random bytes from AES-128-CTR over zeros with a fixed key).
# Does nothing when OUTDIR/.complete exists.

set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
OUT=$1
OPENSSL=${OPENSSL:-openssl}
SRC=$(cd "$(dirname "$0")" && pwd)/msgs

[ -f "$OUT/.complete" ] && exit 0
mkdir -p "$OUT"

cp "$SRC"/*.eml "$OUT/"

# bytes N KEYHEX - N reproducible pseudo-random bytes
bytes()
{
	"$OPENSSL" enc -aes-128-ctr -nosalt -K "$2" \
	    -iv 00000000000000000000000000000000 < /dev/zero 2>/dev/null |
	    head -c "$1"
}

# 90: about 20 MB: a 14 MiB binary attachment, base64 with 76-char lines.
{
	cat <<'EOF'
Message-ID: <large-20mb-0090@example.org>
Date: Thu, 3 Apr 2025 10:00:00 +0200
From: Erika Sender <sender@example.org>
To: rcpt@example.net
Subject: Grosser Anhang (20 MB)
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="large0090"

--large0090
Content-Type: text/plain; charset=us-ascii

A 14 MiB binary attachment follows (about 20 MB as base64).
--large0090
Content-Type: application/octet-stream; name="bildgebung.dcm"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="bildgebung.dcm"

EOF
	bytes 14680064 000102030405060708090a0b0c0d0e0f |
	    "$OPENSSL" base64 -A | fold -w 76
	echo
	echo "--large0090--"
} > "$OUT/90-large-20mb.eml"

# 91: 200 recipients in To (folded, one per line) and the list in .rcpt
i=1
: > "$OUT/91-200-recipients.rcpt"
while [ $i -le 200 ]; do
	printf 'rcpt%03d@example.net\n' $i >> "$OUT/91-200-recipients.rcpt"
	i=$((i + 1))
done
{
	cat <<'EOF'
Message-ID: <many-rcpts-0091@example.org>
Date: Fri, 4 Apr 2025 11:00:00 +0200
From: Erika Sender <sender@example.org>
EOF
	sed -e 's/^/ /' -e 's/$/,/' -e '1s/^ /To: /' -e '$s/,$//' \
	    "$OUT/91-200-recipients.rcpt"
	cat <<'EOF'
Subject: Rundschreiben an 200 Empfaenger
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

One message, 200 recipients.
EOF
} > "$OUT/91-200-recipients.eml"

touch "$OUT/.complete"
