#!/bin/bash
# contrib/demo/kim-demo.sh - kim-milter in a real Postfix, in one minute:
# internet mail passes unchanged, KIM mail leaves signed by the hospital's
# (virtual) SMC-B and encrypted for its recipient, and a mixed mail is split.
#
# Builds nothing (contrib/demo/run.sh installs and builds first, then runs
# this; besides the programs it needs the test helpers tests/vcard/vsmartcard,
# tests/pcsc/card_tool, tests/codec/cms_strip and tests/provider/kim-provider).
# Needs root. No system service is touched: everything runs on 127.0.0.1
# from fresh temporary directories and is stopped (by PID) at the end:
#   - the KIM directory: a private slapd with VZD-like entries of the test
#     PKI (tests/pki), behind a private Redis cache (tests/dir/harness.sh);
#   - the SMC-B: the virtual card of "Klinikum Nord" (its keys from the test
#     PKI) in a private pcscd (tests/pcsc/pcscd_harness.sh);
#   - the KIM provider: the stand-in tests/provider/kim-provider (implicit
#     TLS, client certificate, AUTH user = MAIL FROM = From header);
#   - the internet: an smtp-sink;
#   - Postfix with the blocks we ship (contrib/postfix, through
#     tests/integration/lib.sh), and kim-milter.
# It sends a mail to the internet, one to a KIM address and one to both,
# and shows what arrived where; then a KIM address the directory does not
# know is refused at RCPT TO, and kimctl shows a directory entry.
# Environment: top_srcdir (default: this tree), top_builddir (default: the
# same); KIM_KEEP=1 keeps the temporary directories.
# Exit status 0 when everything shown worked.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
PATH=$PATH:/usr/sbin:/sbin

# colours only on a terminal
if [ -t 1 ]; then
	C_B=$(printf "\033[1m") C_G=$(printf "\033[32m") C_R=$(printf "\033[31m")
	C_D=$(printf "\033[2m") C_N=$(printf '\033[0m')
else
	C_B='' C_G='' C_R='' C_D='' C_N=''
fi

# say TEXT - a section title
say()
{
	printf '\n%s== %s%s\n' "$C_B" "$*" "$C_N"
}

# show [PREFIX] - indent stdin (default four blanks), dimmed: program output
show()
{
	sed "s/^/${C_D}${1:-    }/; s/\$/${C_N}/"
}

die()
{
	echo "kim-demo: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "run me as root (private Postfix and pcscd need it)"
for prog in postfix smtp-sink swaks slapd slapadd ldapsearch redis-server \
    redis-cli openssl pcscd unshare perl; do
	command -v "$prog" >/dev/null 2>&1 ||
	    die "$prog is missing (sh contrib/install-deps.sh)"
done
for prog in milter/kim-milter tools/kimctl tests/provider/kim-provider \
    tests/vcard/vsmartcard tests/pcsc/card_tool tests/codec/cms_strip; do
	[ -x "$top_builddir/$prog" ] ||
	    die "$top_builddir/$prog is not built (run contrib/demo/run.sh)"
done

# ---- the harnesses: directory (harness.sh), pcscd, Postfix (lib.sh) --------
DEMO_START=$(date +%s)
say "Starting a private KIM world on 127.0.0.1"
echo "  making the test PKI: the certificates of the test hospital and practices..."
. "$top_srcdir/tests/dir/harness.sh"
set +u
. "$top_srcdir/tests/pcsc/pcscd_harness.sh"
. "$top_srcdir/tests/integration/lib.sh"
why=$(pcsc_usable) || die "cannot run a private pcscd here: $why"
kim_init ""
PROV_T=$KIM_T/provider
mkdir -p "$PROV_T"
. "$top_srcdir/tests/provider/lib.sh"

D=aerzte.kim.telematik-test
KIMADDR=kardiologie@klinikum-nord.kim.telematik-test
PRAXIS=praxis-rsa@$D
PRAXIS2=praxis-ecc@$D
LABOR=labor@example.net
SENDER=station3@klinik.example
KIMCTL=$top_builddir/tools/kimctl
STRIP=$top_builddir/tests/codec/cms_strip
VCARD_PID=
# the provider account of the department: its login is its KIM address
PROV_USER=$KIMADDR

# demo_pids - every process the demo started, as "PID name" lines
demo_pids()
{
	local p
	for p in $KIM_PIDS; do
		echo "$p $(ps -o comm= -p "$p" 2>/dev/null)"
	done
	for p in $PIDS $VCARD_PID $PCSCD_PID; do
		echo "$p $(ps -o comm= -p "$p" 2>/dev/null)"
	done
	p=$(sed -n '1s/ //gp' "$(pf_dir pf)/spool/pid/master.pid" 2>/dev/null)
	[ -n "$p" ] && echo "$p postfix-master"
}

# demo_leftovers - processes whose command line or environment names one of
# the demo's directories (Postfix's children carry MAIL_CONFIG): "PID comm"
demo_leftovers()
{
	perl -e '
	my @dirs = grep { length } @ARGV;
	for my $d (glob("/proc/[0-9]*")) {
		my ($pid) = $d =~ m{(\d+)$};
		next if $pid == $$;
		my $all = "";
		for my $f ("cmdline", "environ") {
			open(my $fh, "<", "$d/$f") or next;
			local $/;
			$all .= <$fh> // "";
		}
		next unless grep { index($all, $_) >= 0 } @dirs;
		open(my $c, "<", "$d/comm") or next;
		my $comm = <$c>;
		chomp $comm;
		print "$pid $comm\n";
	}' "$KIM_T" "$T"
}

# demo_stop - stop everything, by PID (milter and provider first, then
# Postfix, sinks, card, pcscd, slapd and Redis)
demo_stop()
{
	local p
	stop_milter
	for p in $KIM_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $KIM_PIDS; do
		wait "$p" 2>/dev/null
	done
	KIM_PIDS=
	for p in $KIM_PF_STARTED; do
		pf_stop "$p"
	done
	[ -n "$VCARD_PID" ] && kill "$VCARD_PID" 2>/dev/null &&
	    wait "$VCARD_PID" 2>/dev/null
	VCARD_PID=
	pcsc_stop
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	PIDS=
}
# on any exit: stop what runs, remove the directories (harness.sh's
# cleanup and lib.sh's kim_teardown; both stop by PID)
trap 'rc=$?; demo_stop; cleanup; (exit $rc); kim_teardown' EXIT

# ---- start ----------------------------------------------------------------
echo "  starting the services..."
start_slapd >/dev/null || die "slapd did not start"
start_redis >/dev/null || die "redis-server did not start"
write_conf

pcsc_start "$KIM_T/pcsc" || die "pcscd did not start"
export PCSCLITE_CSOCK_NAME
"$top_builddir/tests/vcard/vsmartcard" -p "$VPCD_PORT" -k "$PKI/klinikum" \
    -s "$KIM_T/vcard.state" 2>>"$KIM_T/vcard.log" &
VCARD_PID=$!
printf '123456\n' >"$KIM_T/pin"
chmod 600 "$KIM_T/pin"
CARDLINE="backend=pcsc reader=\"Virtual PCD 00 00\" pin-file=$KIM_T/pin"
kim_wait 10 eval '"$top_builddir/tests/pcsc/card_tool" -t 2000 "probe pool=p $CARDLINE" cert osig ecc >/dev/null 2>&1' ||
    die "the virtual SMC-B did not show up in pcscd"

prov_pki || die "openssl could not make the provider's TLS certificates"
prov_start prov || die "the KIM provider stand-in did not start"
KIM_PIDS="$KIM_PIDS $PROV_PID"

# Postfix from the shipped blocks; the provider nexthop is the stand-in,
# and the department's transport (kimprov-kardiologie) talks to it as to a
# real provider: implicit TLS, its client certificate, SASL from the
# shipped kim_sasl_passwd table, looked up by the envelope sender
sink_start inet || die "smtp-sink did not start"
SINK_PORT_prov=$PROV_PORT
pf_create_front || die "the Postfix configuration failed"
printf '%s\t%s:%s\n' "$KIMADDR" "$PROV_USER" "$PROV_PASS" \
    >>"$(pf_dir pf)/etc/kim_sasl_passwd"
chmod 600 "$(pf_dir pf)/etc/kim_sasl_passwd"
prov_pf_transport pf kimprov-kardiologie &&
    pf_postconf pf -P "kimprov-kardiologie/unix/smtp_sasl_password_maps=texthash:$(pf_dir pf)/etc/kim_sasl_passwd" ||
    die "the provider transport could not be set"
pf_start pf || die "Postfix did not start"

# the hospital's policy: its senders send KIM as the cardiology
# department, whose KIM account is "kardiologie"
kim_gate_policy "$KIMADDR" kardiologie
mapfile -t dirconf < <(grep -E '^(Directory|Redis|Cache|Trust)' "$CONF")
mconf=$(kim_milter_conf "${dirconf[@]}" "GateTimeout 60s")
sed -i -e "s|^Card testcard .*|Card smcb pool=klinik $CARDLINE state-file=$KIM_T/card.state|" \
    -e 's/^LogLevel .*/LogLevel info/' "$mconf"
start_milter "$mconf" || die "kim-milter did not start"

cat <<EOF
  Postfix        front 127.0.0.1:$PF_FRONT_PORT, gate 127.0.0.1:$PF_GATE_PORT (contrib/postfix/*.kim)
  kim-milter     127.0.0.1:$MILTER_PORT (pid $MILTER_PID)
  KIM directory  slapd ldap://127.0.0.1:$LDAP_PORT/ (test entries), Redis cache :$REDIS_PORT
  SMC-B          virtual card of Klinikum Nord in a private pcscd (pid $PCSCD_PID)
  KIM provider   stand-in 127.0.0.1:$PROV_PORT: implicit TLS, client certificate, AUTH
  internet       smtp-sink 127.0.0.1:$SINK_PORT_inet
  policy         *@klinik.example sends KIM as $KIMADDR
                 (provider account "kardiologie", transport kimprov-kardiologie)
  directories    $KIM_T $T
EOF

# ---- helpers for the sections ----------------------------------------------
result=0
RESULTS=
# mark yes|no TEXT - remember one line of the final result
mark()
{
	[ "$1" = yes ] || result=1
	RESULTS="$RESULTS$1|$2
"
}

# mail FILE MSGID TO SUBJECT BODY - a message of station 3 (swaks sends
# it with CRLF; smtp-sink and the provider stand-in store what they got)
mail()
{
	printf '%s\n' "From: Station 3 <$SENDER>" "To: $3" "Subject: $4" \
	    'Date: Sat, 28 Nov 2026 10:00:00 +0100' "Message-ID: <$2>" \
	    'MIME-Version: 1.0' 'Content-Type: text/plain; charset=utf-8' \
	    'Content-Transfer-Encoding: 8bit' '' "$5" '' \
	    'Station 3, Klinik (Testdaten)' >"$1"
}

# prov_files - the messages the provider stand-in accepted, oldest first
prov_files()
{
	ls "$PROV_T/prov/spool"/[0-9]*.eml 2>/dev/null
}
prov_has() { [ "$(prov_files | wc -l)" -ge "$1" ]; }

# pf_lines ERE - Postfix log lines matching ERE, without date and host
pf_lines()
{
	grep -E -e "$1" "$(pf_dir pf)/log/maillog" |
	    sed -E 's/^[A-Z][a-z]{2} +[0-9]+ [0-9:]{8} [^ ]+ //;
	        s/\[[0-9]+\]:/:/; s/, delay=[^ ]*, delays=[^ ]*, dsn=[^ ]*,/,/;
	        s/relay=127\.0\.0\.1\[127\.0\.0\.1\]:/relay=127.0.0.1:/'
}

# qid MSGID [SYSLOG-NAME] - the queue ID Postfix's cleanup gave MSGID
qid()
{
	grep -E "${2:-postfix/cleanup}\[[0-9]+\]: [0-9A-F]+: message-id=<$1>" \
	    "$(pf_dir pf)/log/maillog" | head -1 |
	    sed -E 's/.*: ([0-9A-F]+): message-id=.*/\1/'
}

# same_as_sent SENT SINKFILE NAME - compare a sink copy with what was sent
# (below Postfix's Received header); print the verdict
same_as_sent()
{
	sink_body_below_received "$2" >"$KIM_T/$3.arrived"
	if cmp -s "$1" "$KIM_T/$3.arrived"; then
		echo "  diff sent.eml arrived.eml: no differences ($(wc -c <"$1") bytes, byte for byte)"
		return 0
	fi
	echo "  it DIFFERS from what was sent:"
	diff "$1" "$KIM_T/$3.arrived" | head -20 | show
	return 1
}

# decode FILE KEYDIR KEYTYPE ADDRESS - our decoder with the recipient's key
decode()
{
	"$KIMCTL" decode --key "$PKI/$2/enc-$3.key" --cert "$PKI/$2/enc-$3.pem" \
	    --address "$4" --trust "$PKI/anchors.pem" <"$1"
}

# ---- 1. internet mail -----------------------------------------------------
say "1. Internet mail: $SENDER -> $LABOR"
m1=$KIM_T/internet.eml
mail "$m1" demo-1@klinik.example "Labor <$LABOR>" "Probenabholung morgen" \
    'Bitte holen Sie die Proben morgen früh um 8 Uhr ab.'
send "$PF_FRONT_PORT" "$SENDER" "$LABOR" "$m1"
ok1=no
if wait_for_sink inet 1 30; then
	echo "  arrived at the internet sink; Postfix added its Received header, nothing else:"
	same_as_sent "$m1" "$(sink_files inet | head -1)" internet && ok1=yes
else
	echo "  it did NOT arrive within 30 s"
fi
mark "$ok1" "internet mail arrived unchanged, byte for byte"

# ---- 2. KIM mail ----------------------------------------------------------
say "2. KIM mail: $SENDER -> $PRAXIS"
m2=$KIM_T/kim.eml
mail "$m2" demo-2@klinik.example "Praxis Dr. Beispiel <$PRAXIS>" \
    "Entlassbrief Mustermann" 'Anbei der Entlassbrief von Herrn Mustermann.'
send "$PF_FRONT_PORT" "$SENDER" "$PRAXIS" "$m2"
ok2=no dec2=no ossl2=no
if kim_wait 60 prov_has 1; then
	p=$(prov_files | head -1)
	n=$(basename "$p" .eml)
	echo "  the KIM provider accepted it (its message $n). The provider saw:"
	sed -n 's/^auth /  AUTH user    /p; s/^from /  MAIL FROM    /p;
	    s/^rcpt /  RCPT TO      /p; s/^cert /  client cert  /p' \
	    "$PROV_T/prov/spool/$n.env" | show "  "
	tr -d '\r' <"$p" >"$KIM_T/outer"
	echo "  its outer headers (all that the provider and the network see):"
	sed -n '/^$/q; /^Received:/,/^[^ \t]/{/^Received:/d; /^[ \t]/d}; p' \
	    "$KIM_T/outer" | show
	awk 'b {print} /^$/ {b=1}' "$KIM_T/outer" >"$KIM_T/outer.body"
	echo "  its body: $(grep -c . "$KIM_T/outer.body") lines of base64, CMS ciphertext; the first two:"
	head -2 "$KIM_T/outer.body" | show
	if grep -q '^Subject: KOM-LE-Nachricht$' "$KIM_T/outer" &&
	    grep -q "^From: Station 3 <$KIMADDR>\$" "$KIM_T/outer" &&
	    grep -q 'smime-type=authenticated-enveloped-data' "$KIM_T/outer" &&
	    openssl base64 -d <"$KIM_T/outer.body" >"$KIM_T/outer.der" &&
	    ! grep -qiE 'Mustermann|Entlassbrief' "$KIM_T/outer"; then
		ok2=yes
		echo "  no word of the subject or the text in it (grep Mustermann: nothing)."
	else
		echo "  this is NOT what the provider must get"
	fi
	echo
	echo "  The practice decrypts it with its key and checks the card's signature:"
	echo "  \$ kimctl decode --key praxis-rsa/enc-rsa.key --cert praxis-rsa/enc-rsa.pem \\"
	echo "        --address $PRAXIS --trust anchors.pem"
	if decode "$KIM_T/outer" praxis-rsa rsa "$PRAXIS" >"$KIM_T/inner" \
	    2>"$KIM_T/decode.err"; then
		tr -d '\r' <"$KIM_T/inner" >"$KIM_T/inner.lf"
		grep -E '^X-KIM-[A-Za-z]*Result:' "$KIM_T/decode.err" | show
		echo "  and the inner message, as station 3 wrote it (From: the department):"
		sed -n '/^$/q; /^\(From\|To\|Subject\):/p' "$KIM_T/inner.lf" |
		    show "    | "
		awk 'b {print} /^$/ {b=1}' "$KIM_T/inner.lf" | show "    | "
		grep -q '^X-KIM-DecryptionResult: 00$' "$KIM_T/decode.err" &&
		    grep -qE '^X-KIM-IntegrityCheckResult: 0[17]$' "$KIM_T/decode.err" &&
		    grep -q '^Anbei der Entlassbrief' "$KIM_T/inner.lf" && dec2=yes
		echo "  00 = decrypted; 07 = signature and certificate chain valid, the"
		echo "  certificate status unchecked (no OCSP responder in this demo)."
	else
		echo "  kimctl decode FAILED:"
		show <"$KIM_T/decode.err"
	fi
	echo "  An independent judge, openssl cms, with the same key:"
	if "$STRIP" <"$KIM_T/outer.der" >"$KIM_T/env.der" &&
	    openssl cms -decrypt -inform DER -in "$KIM_T/env.der" \
	    -inkey "$PKI/praxis-rsa/enc-rsa.key" \
	    -recip "$PKI/praxis-rsa/enc-rsa.pem" -out "$KIM_T/signed" 2>/dev/null &&
	    "$STRIP" --body <"$KIM_T/signed" >"$KIM_T/sd.der" &&
	    openssl cms -verify -inform DER -in "$KIM_T/sd.der" \
	    -CAfile "$PKI/anchors.pem" -out "$KIM_T/content" 2>"$KIM_T/verify.err" &&
	    grep -q 'Anbei der Entlassbrief' "$KIM_T/content"; then
		ossl2=yes
		alg=$(openssl cms -cmsout -print -inform DER -in "$KIM_T/sd.der" |
		    grep -m1 -oE 'ecdsa-with-SHA[0-9]+|rsassaPss|sha[0-9]+WithRSA')
		echo "    openssl cms -decrypt: ok; openssl cms -verify: $(cat "$KIM_T/verify.err") (${alg:-signature} of the SMC-B)"
	else
		echo "    openssl could NOT decrypt or verify it"
	fi
else
	echo "  it did NOT reach the provider within 60 s; Postfix's queue:"
	queue_list pf | show
fi
mark "$ok2" "KIM mail reached the provider encrypted: Subject KOM-LE-Nachricht, From the department's KIM address"
mark "$dec2" "decrypted with the recipient's key: X-KIM-DecryptionResult 00, the signature checked"
mark "$ossl2" "openssl decrypts it and verifies the SMC-B's signature"

# ---- 3. mixed mail ----------------------------------------------------------
say "3. One mail to both: $PRAXIS2 and $LABOR"
m3=$KIM_T/mixed.eml
mail "$m3" demo-3@klinik.example "Praxis <$PRAXIS2>, Labor <$LABOR>" \
    "Befund Mustermann" 'Der Befund liegt bei.'
send "$PF_FRONT_PORT" "$SENDER" "$PRAXIS2,$LABOR" "$m3"
ok3=no
if kim_wait 60 prov_has 2 && wait_for_sink inet 2 30; then
	q=$(qid demo-3@klinik.example)
	g=$(qid demo-3@klinik.example postfix/kimgate/cleanup)
	echo "  Postfix's log: the front queued it as $q and split it, one delivery per way:"
	pf_lines "$q: to=" | show
	echo "  the gate queued the KIM part as $g, signed and encrypted, and sent it on:"
	pf_lines "${g:-none}: to=" | show
	echo "  (relay ports: $SINK_PORT_inet the internet, $PF_GATE_PORT the gate, $PROV_PORT the KIM provider)"
	p=$(prov_files | sed -n 2p)
	i=$(sink_files inet | xargs grep -l 'demo-3@klinik.example' | head -1)
	echo "  the internet copy, compared with what was sent:"
	same_as_sent "$m3" "$i" mixed && int3=yes
	echo "  the KIM copy at the provider, decrypted with praxis-ecc's (ECC) key:"
	decode "$p" praxis-ecc ecc "$PRAXIS2" 2>"$KIM_T/decode3.err" | tr -d '\r' |
	    grep '^Der Befund' >"$KIM_T/inner3"
	grep -E '^X-KIM-[A-Za-z]*Result:' "$KIM_T/decode3.err" | show
	show "    | " <"$KIM_T/inner3"
	[ -n "$int3" ] && grep -q '^X-KIM-DecryptionResult: 00$' "$KIM_T/decode3.err" &&
	    grep -q '^Der Befund' "$KIM_T/inner3" &&
	    ! grep -q 'Der Befund' "$p" &&
	    pf_lines "$q: to=<$LABOR>.*status=sent" | grep -q . &&
	    pf_lines "$q: to=<$PRAXIS2>.*status=sent" | grep -q . && ok3=yes
else
	echo "  it did NOT arrive at both within 60 s; Postfix's queue:"
	queue_list pf | show
fi
mark "$ok3" "the mixed mail was split: the internet part unchanged, the KIM part encrypted"

# ---- 4. the milter's log ----------------------------------------------------
say "4. kim-milter's log: one line per message and listener"
grep -E 'decision=' "$KIM_T/milter/log" | sed -E 's/^[^ ]+ kim-milter\[[0-9]+\]: //' |
    show
n=$(grep -c 'role=gate .*decision=kim ' "$KIM_T/milter/log")
echo "  role=front: the front listener (routing only); role=gate: the gate signed and encrypted."
[ "$n" -eq 2 ] && ok4=yes || ok4=no
mark "$ok4" "the gate logged decision=kim for both KIM mails ($n)"

# ---- 5. an unknown KIM address; the directory ---------------------------------
say "5. A KIM address the directory does not know: unbekannt@$D"
reply=$(swaks --server 127.0.0.1 --port "$PF_FRONT_PORT" --helo demo.example \
    --from "$SENDER" --to "unbekannt@$D" --quit-after RCPT 2>&1 |
    awk '/RCPT TO/ {getline; sub(/^<[-*]+ /, ""); print; exit}')
echo "  the front answered RCPT TO at once (the sender's program sees it):"
echo "$reply" | show
case $reply in 550\ 5.1.1*) ok5=yes ;; *) ok5=no ;; esac
mark "$ok5" "an address unknown to the KIM directory is refused at RCPT TO with 550 5.1.1"
echo "  and what the directory says about $PRAXIS (kimctl lookup, shortened):"
kimctl lookup "$PRAXIS" 2>&1 | grep -E '^ *(address|status|source|telematikID|displayName|key|verdict):' |
    awk -F: '!seen[$1]++' | show

# ---- the result; stop everything ----------------------------------------------
say "Result"
printf '%s' "$RESULTS" | while IFS='|' read -r yn text; do
	if [ "$yn" = yes ]; then
		printf '  %sYES%s  %s\n' "$C_G" "$C_N" "$text"
	else
		printf '  %sNO %s  %s\n' "$C_R" "$C_N" "$text"
	fi
done

say "Stopping everything the demo started (by PID)"
demo_pids | awk '{printf "%s%s(%s)", sep, $2, $1; sep = " "} END {print ""}' |
    fold -s -w 76 | sed 's/^/  /'
demo_stop
left=$(demo_leftovers)
if [ -z "$left" ]; then
	echo "  all stopped: no process of the demo is left."
else
	echo "  STILL RUNNING:"
	echo "$left" | show
	result=1
fi
echo
if [ "$result" = 0 ]; then
	echo "kim-demo: OK ($(($(date +%s) - DEMO_START)) s)"
else
	echo "kim-demo: FAILED (logs follow)"
	KIM_FAILED=1
fi
exit "$result"
