#!/bin/bash
# t_daemon.sh - the daemon as an admin runs it: detached, as UserID after
# opening its sockets, an owner-only control socket, a PID file; kimctl
# drain stops it gracefully and a drained milter tempfails new work.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

kim_init 9
kim_start_all || exit 1
conf=$(kim_milter_conf "UserID nobody:nogroup" "DrainTimeout 20s")
sed -i 's/^Syslog no/Syslog no\nBackground yes/' "$conf"
MILTER_CONF=$conf
# the control socket's directory must be reachable by nobody
chmod 755 "$KIM_T/milter"
"$KIM_MILTER" -c "$conf" >>"$KIM_T/milter/log" 2>&1
ok "kim-milter detaches (the start command returns at once with 0)" test $? -eq 0
pidf=$KIM_T/milter/pid
kim_wait 20 test -s "$pidf"
pid=$(cat "$pidf" 2>/dev/null)
KIM_PIDS="$KIM_PIDS $pid"
ok "it writes its PID file" kill -0 "$pid"
ok "it runs as UserID (nobody), not root" \
    eval '[ "$(ps -o user= -p "$pid" | tr -d " ")" = nobody ]'
ok "the control socket is owned by nobody and mode 0600" \
    eval '[ "$(stat -c "%U %a" "$KIM_T/milter/control")" = "nobody 600" ]'
port=$(sed -n 's/^Socket[ \t]*inet:\([0-9]*\)@.*/\1/p' "$conf")
kim_wait 20 port_listening "$port"
send "$PF_FRONT_PORT" sender@klinik.example b@example.net
ok "normal mail flows through the detached milter" wait_for_sink inet 1 20
ok "kimctl status reaches it" eval 'kimctl status | grep -q "^role front: transactions=1 "'
ok "kimctl drain --wait returns when the daemon has stopped" \
    eval 'timeout 60 "$KIM_KIMCTL" -c "$conf" drain --wait | grep -q "has stopped"'
ok "the daemon is gone after the drain" kim_wait 10 eval '! kill -0 "$pid" 2>/dev/null'
# with the milter gone, the front's default_action=tempfail holds KIM mail
# and normal mail alike: nothing passes unchecked
send "$PF_FRONT_PORT" sender@klinik.example c@example.net
ok "without the milter the front answers 4xx (nothing passes unchecked)" \
    eval 'tail -n 30 "$KIM_T/swaks.log" | grep -qE "^<\*\* +4[0-9][0-9] "'
