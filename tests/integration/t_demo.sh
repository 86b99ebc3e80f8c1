#!/bin/bash
# t_demo.sh - the README's demo (contrib/demo/kim-demo.sh, without the
# install and build of run.sh) runs to its end and shows what it promises:
# the internet mail unchanged, the KIM mail encrypted at the provider
# stand-in and decrypted with the recipient's key (00), the mixed mail
# split by Postfix, the milter's decision=kim lines, 550 5.1.1 for an
# unknown KIM address; and afterwards no process of the demo is left and
# its directories are gone.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
PATH=$PATH:/usr/sbin:/sbin

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP the demo needs root"; exit 0; }
for prog in postfix smtp-sink swaks slapd slapadd ldapsearch redis-server \
    redis-cli openssl; do
	command -v "$prog" >/dev/null 2>&1 ||
	    { echo "1..0 # SKIP $prog not installed"; exit 0; }
done
. "$top_srcdir/tests/pcsc/pcscd_harness.sh"
if ! why=$(pcsc_usable); then
	echo "1..0 # SKIP $why"
	exit 0
fi

echo "1..14"
W=$(mktemp -d "${TMPDIR:-/tmp}/kimdemo-t.XXXXXX") || exit 99
trap 'rm -rf "$W"' EXIT
n=0
failed=0
# ok DESC CMD... - one TAP line
ok()
{
	local desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		failed=$((failed + 1))
	fi
}
# section N - the lines of section N ("== N. " up to the next "== ")
section()
{
	awk -v s="== $1. " 'index($0, s) == 1 {p = 1; next} /^== / {p = 0} p' \
	    "$W/out"
}

start=$(date +%s)
bash "$top_srcdir/contrib/demo/kim-demo.sh" >"$W/out" 2>"$W/err" </dev/null
rc=$?
secs=$(($(date +%s) - start))
echo "# the demo took ${secs}s, exit status $rc"

ok "the demo ends with exit status 0 and kim-demo: OK" \
    eval 'test "$rc" -eq 0 && tail -n 1 "$W/out" | grep -qE "^kim-demo: OK \([0-9]+ s\)$"'
ok "internet mail: arrived, no differences to what was sent" \
    eval 'section 1 | grep -q "diff sent.eml arrived.eml: no differences"'
ok "KIM mail: the provider saw AUTH and MAIL FROM as the department's KIM address" \
    eval 'section 2 | grep -qE "AUTH user +kardiologie@klinikum-nord\.kim\.telematik-test$" &&
    section 2 | grep -qE "MAIL FROM +kardiologie@klinikum-nord\.kim\.telematik-test$"'
ok "KIM mail: outer Subject KOM-LE-Nachricht, From the department, smime-type" \
    eval 'section 2 | grep -q "^    Subject: KOM-LE-Nachricht$" &&
    section 2 | grep -q "^    From: Station 3 <kardiologie@klinikum-nord\.kim\.telematik-test>$" &&
    section 2 | grep -q "smime-type=authenticated-enveloped-data"'
ok "KIM mail: the body shown is base64, no plaintext" \
    eval 'section 2 | grep -qE "^  its body: [0-9]+ lines of base64" &&
    section 2 | sed -n "/its body:/{n;p;n;p}" | grep -qE "^    [A-Za-z0-9+/=]{60,}$" &&
    section 2 | grep -q "grep Mustermann: nothing"'
ok "KIM mail: kimctl decode with the recipient's key gives 00 and 07" \
    eval 'section 2 | grep -q "^    X-KIM-DecryptionResult: 00$" &&
    section 2 | grep -q "^    X-KIM-IntegrityCheckResult: 07$"'
ok "KIM mail: the inner message is the one sent, From the department" \
    eval 'section 2 | grep -q "^    | Subject: Entlassbrief Mustermann$" &&
    section 2 | grep -q "^    | Anbei der Entlassbrief von Herrn Mustermann\.$"'
ok "KIM mail: openssl cms decrypts and verifies the card's signature" \
    eval 'section 2 | grep -q "openssl cms -decrypt: ok; openssl cms -verify: CMS Verification successful"'
ok "mixed mail: the front's queue ID went two ways, both status=sent" \
    eval 'q=$(section 3 | sed -n "s/.*the front queued it as \([0-9A-F]*\) .*/\1/p") &&
    test -n "$q" &&
    section 3 | grep -q "postfix/smtp: $q: to=<labor@example\.net>, .*status=sent" &&
    section 3 | grep -q "postfix/kimgate/smtp: $q: to=<praxis-ecc@aerzte\.kim\.telematik-test>, .*status=sent"'
ok "mixed mail: the gate's part left by the account's transport; the internet part unchanged; the KIM part decrypts (00)" \
    eval 'g=$(section 3 | sed -n "s/.*the gate queued the KIM part as \([0-9A-F]*\),.*/\1/p") &&
    test -n "$g" &&
    section 3 | grep -q "postfix/kimprov-kardiologie/smtp: $g: to=<praxis-ecc@aerzte\.kim\.telematik-test>, .*status=sent" &&
    section 3 | grep -q "diff sent.eml arrived.eml: no differences" &&
    section 3 | grep -q "^    X-KIM-DecryptionResult: 00$" &&
    section 3 | grep -q "^    | Der Befund liegt bei\.$"'
ok "the milter's log lines: decision=kim at the gate for both KIM mails, no subject" \
    eval 'test "$(section 4 | grep -c "role=gate .*decision=kim ")" -eq 2 &&
    ! section 4 | grep -qE "Mustermann|Entlassbrief"'
ok "an unknown KIM address is refused at RCPT TO with 550 5.1.1" \
    eval 'section 5 | grep -q "^    550 5\.1\.1 "'

# afterwards: nothing of the demo runs, its directories are gone
dirs=$(sed -n 's/^  directories *//p' "$W/out")
echo "# the demo's directories: $dirs"
# leftovers - processes whose command line or environment names one of
# the demo's directories
leftovers()
{
	# shellcheck disable=SC2086
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
		print "$pid\n" if grep { index($all, $_) >= 0 } @dirs;
	}' $dirs
}
ok "after the demo: no process of the demo is left (the demo says so too)" \
    eval 'test -n "$dirs" && test -z "$(leftovers)" &&
    grep -q "all stopped: no process of the demo is left" "$W/out"'
# gone - none of the demo's directories exists
gone()
{
	local d
	for d in $dirs; do
		[ ! -e "$d" ] || return 1
	done
}
ok "after the demo: its directories are removed" eval 'test -n "$dirs" && gone'

if [ "$failed" -gt 0 ] || [ "$rc" -ne 0 ]; then
	echo "# the demo's output:"
	sed 's/^/# /' "$W/out" "$W/err" | tail -n 150
fi
exit 0
