#!/bin/sh
# t_policy_dir_lint.sh - `kimctl policy lint` asks the real directory
# (private slapd with the VZD-like schema, private redis-server) whether it
# knows the KIM address of each policy: unknown and unusable addresses are
# problems with file:line; a directory that cannot be asked says so.
. "$top_srcdir/tests/dir/harness.sh"

start_slapd || skip_all "slapd does not start"
start_redis || skip_all "redis-server does not start"
K=klinikum-nord.kim.telematik-test

# policy NAME KIMADDRESS - a policy file that sends as KIMADDRESS
policy()
{
	mkdir -p "$2"
	cat >"$2/$1.conf" <<EOT
# $1
Sender *@$1.klinikum-nord.example
KimSending yes
KimAddress $3
CardPool klinikum
EOT
}

policy kardiologie "$T/good" "kardiologie@$K"
policy radiologie "$T/good" "radiologie@$K"
policy kardiologie "$T/bad" "kardiologie@$K"
policy praxis "$T/bad" "expired@aerzte.kim.telematik-test"
policy unbekannt "$T/bad" "unbekannt@$K"
policy neu "$T/down" "neu@$K"

write_conf "Card smcb1 pool=klinikum backend=soft" "PolicyDirectory $T/good"
plan 6

run_kimctl policy lint
check "known KIM addresses: no problems, exit 0" \
    sh -c "[ $RC -eq 0 ] && grep -qF '$T/good: 2 policies, no problems' '$T/out'"
check "the directory check ran (no skip note)" \
    sh -c "! grep -q 'directory check skipped' '$T/out'"

run_kimctl policy lint --dir "$T/bad"
check "unknown KIM address: file:line, exit 1" \
    sh -c "[ $RC -eq 1 ] && grep -qF '$T/bad/unbekannt.conf:4: KimAddress unbekannt@$K is not in the KIM directory' '$T/out'"
check "KIM address without a usable certificate: file:line and reason" \
    out_has "$T/bad/praxis.conf:4: KimAddress expired@aerzte.kim.telematik-test: in the KIM directory, but not usable: KIM address has no usable encryption certificate (expired)"
check "the known one is not reported; 2 problems" \
    sh -c "! grep -q 'kardiologie.conf' '$T/out' && grep -qF '$T/bad: 2 problems' '$T/out'"

stop_slapd
run_kimctl policy lint --dir "$T/down"
check "directory down: could not be asked, exit 1" \
    sh -c "[ $RC -eq 1 ] && grep -qF '$T/down/neu.conf:4: KimAddress neu@$K: the KIM directory could not be asked' '$T/out'"

[ "$FAILED" = 0 ]
