#!/bin/sh
# t_kimctl_policy.sh - `kimctl policy test` and `kimctl policy lint` against
# the sample policies in contrib/policy.d: what an admin sees. Prints TAP.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
KIMCTL="$top_builddir/tools/kimctl"
SAMPLES="$top_srcdir/contrib/policy.d"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_kimctl_policy.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

cat > "$tmp/kim-milter.conf" <<CONF
KimDomains kim.telematik, kim.telematik-test
Card smcb1 pool=klinikum backend=soft
Card smcb2 pool=klinikum backend=soft
Card mvz1 pool=radiologie backend=pcsc
PolicyDirectory $SAMPLES
CONF

n=0
fails=0
echo "1..16"

# ok_if - report one test: description, then a command that must succeed
ok_if() {
	desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		fails=$((fails + 1))
		echo "# output was:"
		sed 's/^/#   /' "$tmp/out"
	fi
}

# run - kimctl with the test config; output to $tmp/out, status to $tmp/rc
run() {
	"$KIMCTL" -c "$tmp/kim-milter.conf" "$@" > "$tmp/out" 2>&1
	echo $? > "$tmp/rc"
}
has() { grep -qF -- "$1" "$tmp/out"; }
status() { [ "$(cat "$tmp/rc")" = "$1" ]; }

# 1-2: the samples are clean; what was not checked is said
run policy lint
ok_if "lint: the three samples have no problems" \
	sh -c "grep -qF '$SAMPLES: 3 policies, no problems' '$tmp/out' && [ \$(cat '$tmp/rc') = 0 ]"
ok_if "lint: says the directory check was skipped" \
	has "note: directory check skipped: no directory configured"

# 3-5: an exact address beats the Verwaltung's *@domain
run policy test --from Chefarzt.Herz@klinikum-beispiel.de \
	--rcpt praxis@arzt.kim.telematik bob@example.org \
	kardiologie@klinikum-beispiel.kim.telematik
ok_if "test: exact address picks kardiologie with file:line" \
	has "matched   chefarzt.herz@klinikum-beispiel.de (exact address) at $SAMPLES/kardiologie.conf:13"
ok_if "test: KIM recipient accepted at the front, signed by pool klinikum at the gate" \
	sh -c "grep -qF 'front: accept; the directory was not asked' '$tmp/out' &&
	    grep -qF 'gate:  accept: sign with card pool klinikum, send as kardiologie@klinikum-beispiel.kim.telematik, X-KIM-Dienstkennung KIM-Mail;Default;V1.0' '$tmp/out'"
ok_if "test: non-KIM and own KIM recipients are untouched" \
	sh -c "grep -qF 'front: untouched: not a KIM address' '$tmp/out' &&
	    grep -qF 'front: untouched: our own KIM address (inbound mail)' '$tmp/out'"

# 6: a sender of a policy that forbids KIM: 550 at the front
run policy test --from sekretariat@klinikum-beispiel.de --rcpt praxis@arzt.kim.telematik
ok_if "test: Verwaltung gets 550 5.7.1 at the front" \
	has "front: 550 5.7.1 sender sekretariat@klinikum-beispiel.de may not send to KIM addresses (policy verwaltung)"

# 7-8: uncovered and null senders: default policy, enforced at the gate
run policy test --from someone@example.org --rcpt praxis@arzt.kim.telematik
ok_if "test: uncovered sender passes the front, 550 at the gate" \
	sh -c "grep -qF 'front: accept (the default policy is applied at the gate)' '$tmp/out' &&
	    grep -qF 'gate:  550 5.7.1 sender someone@example.org is not covered by any KIM policy' '$tmp/out'"
run policy test --from '<>' --rcpt praxis@arzt.kim.telematik
ok_if "test: null sender may not send KIM" \
	has "gate:  550 5.7.1 mail with the null sender (a bounce) may not be sent to KIM addresses"

# 9-10: size and Dienstkennung at the gate
run policy test --from x@ct.radiologie.klinikum-beispiel.de --rcpt a@b.kim.telematik
ok_if "test: *@*.domain is not *@domain (sub-domain of radiologie is uncovered)" \
	has "matched   no pattern matches: the default policy applies"
run policy test --from x@radiologie.klinikum-beispiel.de --size 16000000 \
	--dienstkennung 'arztbrief;vhitg-versand;v1.2' --rcpt a@b.kim.telematik
ok_if "test: oversize gets 552 5.3.4" \
	has "gate:  552 5.3.4 message of 16000000 bytes is larger than the 15728640 bytes"

# 11: JSON for scripts
run --json policy test --from chefarzt.herz@klinikum-beispiel.de --rcpt praxis@arzt.kim.telematik
ok_if "test --json: policy, match line and verdicts" \
	sh -c "grep -qF '\"policy\":\"kardiologie\"' '$tmp/out' &&
	    grep -qF '\"line\":13' '$tmp/out' &&
	    grep -qF '\"kind\":\"kim\",\"directory\":null,\"front\":{\"verdict\":\"pass\"' '$tmp/out'"

# 12-14: a broken copy: every problem with file:line, exit 1; test refuses
mkdir "$tmp/bad"
cp "$SAMPLES"/*.conf "$tmp/bad/"
sed 's/^On-CardError .*/On-CardError accept/' "$SAMPLES/radiologie.conf" > "$tmp/bad/radiologie.conf"
echo "Sender *@kardiologie.klinikum-beispiel.de" >> "$tmp/bad/verwaltung.conf"
sed 's/^CardPool .*/CardPool nosuchpool/' "$SAMPLES/kardiologie.conf" > "$tmp/bad/kardiologie.conf"
printf 'garbage\n' > "$tmp/bad/kardiologie.conf~"
run policy lint --dir "$tmp/bad"
ok_if "lint: accept refused with file:line, exit 1" \
	sh -c "grep -qF '$tmp/bad/radiologie.conf:28: On-CardError accept is not allowed' '$tmp/out' && [ \$(cat '$tmp/rc') = 1 ]"
ok_if "lint: the tie names both files and lines" \
	has "$tmp/bad/verwaltung.conf:16: Sender *@kardiologie.klinikum-beispiel.de is also listed in $tmp/bad/kardiologie.conf:11"
ok_if "lint: unknown card pool, 3 problems, the backup file ignored" \
	sh -c "grep -qF '$tmp/bad/kardiologie.conf:20: CardPool \"nosuchpool\" is not the pool of any Card line' '$tmp/out' &&
	    grep -qF '$tmp/bad: 3 problems' '$tmp/out' && ! grep -q 'garbage' '$tmp/out'"
run policy test --dir "$tmp/bad" --from a@b.example --rcpt c@d.kim.telematik
ok_if "test: refuses a broken set (exit 78)" \
	sh -c "[ \$(cat '$tmp/rc') = 78 ] && grep -qF 'policy files refused' '$tmp/out'"

# 16: a KIM address outside KimDomains
mkdir "$tmp/dom"
sed 's/^KimAddress .*/KimAddress kardiologie@klinikum-beispiel.de/' \
	"$SAMPLES/kardiologie.conf" > "$tmp/dom/kardiologie.conf"
run policy lint --dir "$tmp/dom"
ok_if "lint: KIM address outside KimDomains" \
	has "$tmp/dom/kardiologie.conf:18: KimAddress kardiologie@klinikum-beispiel.de is outside KimDomains (kim.telematik, kim.telematik-test)"

[ "$fails" = 0 ]
