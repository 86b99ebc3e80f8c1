#!/bin/bash
# t_reload.sh - a reload with a broken configuration keeps the old one and
# the daemon keeps serving (issue 2).
#
# kim-milter runs behind the front and gate listeners. Its file is broken
# (an unknown key and a bad value); "kimctl reload" and SIGUSR1 must both
# refuse it, name the problems with file:line in the log, keep the old
# configuration (kimctl status shows the old load time), and mail must keep
# flowing exactly as before: normal mail arrives, KIM mail is held by the
# gate. A repaired file is then loaded.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

kim_init 14
kim_start_all || exit 1
conf=$(kim_milter_conf)
cp "$conf" "$KIM_T/good.conf"
start_milter "$conf" || exit 1

# loaded - the "config: ... loaded TIME" line of kimctl status
loaded()
{
	kimctl status 2>/dev/null | grep "^config: "
}

# serving TAG - normal mail through the front arrives, KIM mail is held
serving()
{
	local n
	n=$(sink_count inet)
	send "$PF_FRONT_PORT" sender@klinik.example "b-$1@example.net" &&
	    wait_for_sink inet $((n + 1)) 20 &&
	    send "$PF_FRONT_PORT" sender@klinik.example \
	    "praxis-$1@aerzte.kim.telematik-test" &&
	    kim_wait 20 eval "postqueue -c '$(pf_dir pf)/etc' -j |
	    grep -F 'praxis-$1@aerzte.kim.telematik-test' |
	    grep -q '451 4.4.3'"
}

before=$(loaded)
ok "kimctl status names the configuration file and its load time" \
    grep -q "^config: $conf loaded " <<<"$before"
ok "serving before the reload" serving 1

# break the file: an unknown key and a bad value
{
	cat "$KIM_T/good.conf"
	echo "NoSuchKey yes"
	echo "DrainTimeout forever"
} >"$conf"
bad_line=$(grep -n '^NoSuchKey' "$conf" | cut -d: -f1)
sleep 1.1	# so that a (wrong) reload would show a new load time

kimctl reload >"$KIM_T/reload.out" 2>&1
rc=$?
ok "kimctl reload of a broken file fails (exit $rc)" test "$rc" -ne 0
diag "$(cat "$KIM_T/reload.out")"
ok "kimctl reload says the old configuration is kept" \
    grep -q -i 'old configuration kept' "$KIM_T/reload.out"
ok "the daemon logged the unknown key with file:line" \
    grep -q "$conf:$bad_line" "$KIM_T/milter/log"
ok "the old configuration is still loaded (same load time)" \
    test "$(loaded)" = "$before"
ok "the daemon is still running" kill -0 "$MILTER_PID"
ok "serving after the failed reload" serving 2

# the same through SIGUSR1
kill -USR1 "$MILTER_PID"
kim_wait 10 eval '[ "$(grep -c "$conf:$bad_line" "$KIM_T/milter/log")" -ge 2 ]'
ok "SIGUSR1 with the broken file: logged again, old configuration kept" \
    test "$(loaded)" = "$before"
ok "SIGUSR1: the daemon is still running" kill -0 "$MILTER_PID"
ok "serving after the failed SIGUSR1 reload" serving 3

# repaired: the reload takes effect
sed 's/^LogLevel .*/LogLevel info/' "$KIM_T/good.conf" >"$conf"
ok "kimctl reload of the repaired file succeeds" kimctl reload
ok "a new load time is shown" test "$(loaded)" != "$before"
ok "serving after the good reload" serving 4
