#!/bin/bash
# t_byte_identity.sh - normal mail is untouched, and the front's fast path
# is real (issue 2).
#
# Every message of the corpus (tests/corpus, mkcorpus.sh) is sent through
# the front listener (kim-milter, role front) and through the same Postfix
# without any milter (the harness's plain listener). At the internet sink
# both copies must be identical below Postfix's own Received header,
# envelope included (MAIL FROM arguments except SIZE, and every RCPT TO).
# Then kimctl status must show that the front milter saw every transaction
# and not one header or body chunk: it stepped out at DATA.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

kim_init ""
corpus=$KIM_T/corpus
sh "$top_srcdir/tests/corpus/mkcorpus.sh" "$corpus" || exit 1
kim_start_all || exit 1
start_milter "$(kim_milter_conf)" || exit 1
limit=$(pf_postconf pf -hx smtp_destination_recipient_limit)

# msgid FILE - the Message-ID of a message (any case of the header name)
msgid()
{
	awk '
	    /^\r?$/ { exit }
	    tolower($0) ~ /^message-id:/ {
		sub(/^[^:]*:[ \t]*/, ""); sub(/\r$/, ""); print; exit }
	' "$1"
}

# rcpts FILE - the envelope recipients of a corpus message, comma-separated
rcpts()
{
	local r=${1%.eml}.rcpt
	if [ -f "$r" ]; then
		paste -s -d, "$r"
	else
		echo rcpt@example.net
	fi
}

# send_all PORT HELO - send the corpus to PORT, greeting with HELO (it
# shows in Postfix's own Received header, which tells the two paths apart)
send_all()
{
	local f fails=0
	for f in "$corpus"/*.eml; do
		KIM_HELO=$2 send "$1" sender@example.org "$(rcpts "$f")" "$f" ||
		    fails=$((fails + 1))
	done
	return "$fails"
}

# index DUMP... - print "PATH MESSAGE-ID CHECKSUM" for each sink dump, in
# one process (74 dumps, two of 20 MB). The checksum covers what must be
# equal: the envelope (MAIL FROM without SIZE, which counts Postfix's own
# Received header; every RCPT TO) and the message below Postfix's own
# Received header; PATH is the HELO name in that Received header.
index()
{
	perl -MDigest::MD5 -e '
	for my $f (@ARGV) {
		open(my $fh, "<", $f) or die "$f: $!";
		binmode $fh;
		local $/;
		my $d = <$fh>;
		close $fh;
		my $env = "";
		# smtp-sink: X-* lines, its Received header (3 lines)
		while ($d =~ s/\A(X-[A-Za-z-]+: [^\n]*\n)//) {
			my $l = $1;
			$l =~ s/ SIZE=\d+//;
			$env .= $l if $l =~ /^X-(Mail|Rcpt)-Args:/;
		}
		$d =~ s/\AReceived: [^\n]*\n(?:[ \t][^\n]*\n)*// or die "$f";
		# Postfix: its own Received header
		$d =~ s/\A(Received: [^\n]*\n(?:[ \t][^\n]*\n)*)// or die "$f";
		my $rcvd = $1;
		my ($path) = $rcvd =~ /^Received: from ([a-z]+)\.kimtest\./;
		$d =~ s/\n\z// or die "$f: no final empty line";
		my ($head) = split(/\r?\n\r?\n/, $d, 2);
		my ($id) = $head =~ /^message-id:[ \t]*([^\r\n]*)/im;
		printf "%s %s %s\n", $path // "?", $id // "?",
		    Digest::MD5::md5_hex($env . "--\n" . $d);
	}' "$@"
}

# expected dumps: Postfix delivers at most $limit recipients at a time
expect=0
for f in "$corpus"/*.eml; do
	nr=$(rcpts "$f" | tr ',' '\n' | wc -l)
	expect=$((expect + (nr + limit - 1) / limit))
done

# both paths at once (the corpus takes ~20 s per path with swaks)
t0=$SECONDS
send_all "$PF_FRONT_PORT" front.kimtest.localdomain &
pid_front=$!
send_all "$PF_PLAIN_PORT" plain.kimtest.localdomain
rc_plain=$?
wait "$pid_front"
ok "the front accepted every corpus message" test $? -eq 0
ok "Postfix without the milter accepted every corpus message" \
    test "$rc_plain" -eq 0
ok "the internet sink received $((2 * expect)) copies" \
    wait_for_sink inet $((2 * expect)) 120
t1=$SECONDS
index $(sink_files inet) >"$KIM_T/index"
t2=$SECONDS
diag "corpus of $(ls "$corpus"/*.eml | wc -l) messages sent both ways in $((t1 - t0)) s, compared in $((t2 - t1)) s"

# fingerprints PATH ID - sorted checksums of message ID's copies via PATH
fingerprints()
{
	awk -v p="$1" -v id="$2" '$1 == p && $2 == id { print $3 }' \
	    "$KIM_T/index" | sort
}

for f in "$corpus"/*.eml; do
	name=$(basename "$f")
	id=$(msgid "$f")
	a=$(fingerprints front "$id")
	b=$(fingerprints plain "$id")
	if [ -n "$a" ] && [ "$a" = "$b" ]; then
		ok "$name arrives identical with and without the milter" true
	else
		ok "$name arrives identical with and without the milter" false
		diag "$name: front: $(echo "$a" | grep -c .) copies, plain: $(echo "$b" | grep -c .)"
	fi
done

n=$(ls "$corpus"/*.eml | wc -l)
st=$(kimctl status)
diag "$(echo "$st" | grep '^role front')"
ok "kimctl status: the front milter saw all $n transactions" \
    grep -q "^role front: transactions=$n " <<<"$st"
ok "fast path: the front milter received no header and no body chunk" \
    grep -q "^role front: .* headers=0 body_chunks=0" <<<"$st"
ok "the front accepted them all (decision accept)" \
    grep -q "^role front: .* accept=$n " <<<"$st"
echo "1..$KIM_TAPN"
