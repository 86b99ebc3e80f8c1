#!/bin/bash
# t_nothing_lost.sh - the milter killed with SIGKILL while mail flows: every
# message still arrives, exactly once (issue 2).
#
# An upstream Postfix (short backoff) relays to the front listener, like an
# internal mail server in front of the relay. kim-milter is killed with
# SIGKILL while the upstream delivers a batch; more mail is sent while it is
# down. The front answers 4xx without the milter (milter_default_action =
# tempfail), so the upstream keeps the mail and retries. After the milter
# is back and the upstream's queue is flushed, every message must have
# arrived at the internet sink exactly once, and both queues must be empty.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

kim_init 9
kim_start_all up || exit 1
conf=$(kim_milter_conf)
start_milter "$conf" || exit 1

N1=24	# sent while the milter runs; it dies during this batch
N2=10	# sent while the milter is dead

# source N SUBJECT [WAIT] - N messages into the upstream Postfix in 4
# sessions, each waiting WAIT seconds between messages
source_into_up()
{
	smtp-source -s 4 -m "$1" ${3:+-w "$3"} -f sender@example.org \
	    -t rcpt@example.net -S "$2" "127.0.0.1:$UP_PORT" \
	    >>"$KIM_T/smtp-source.log" 2>&1
}

# sink_msgids - the Message-IDs of all messages at the internet sink
sink_msgids()
{
	local f
	for f in $(sink_files inet); do
		grep -i -m1 '^Message-ID:' "$f"
	done
}

# up_deferred_by_front N - the upstream holds N messages deferred by the
# front's milter_default_action
up_deferred_by_front()
{
	[ "$(queue_list up | grep -c '4\.7\.1')" -ge "$1" ]
}

# the first batch flows for about 6 s; kill when 4 messages arrived
source_into_up "$N1" "batch one" 1 &
src=$!
kim_wait 30 eval '[ "$(sink_count inet)" -ge 4 ]'
stop_milter KILL
killed_at=$(sink_count inet)
wait "$src"
diag "SIGKILL after $killed_at of $N1 messages had arrived"
ok "the milter was killed while the first batch was flowing" \
    test "$killed_at" -lt "$N1"

ok "smtp-source handed the second batch to the upstream" \
    source_into_up "$N2" "batch two"
ok "with the milter dead, the front tempfails and the upstream keeps the mail" \
    kim_wait 30 up_deferred_by_front "$N2"
n_dead=$(sink_count inet)
sleep 2
ok "nothing passes the front while the milter is dead" \
    test "$(sink_count inet)" -eq "$n_dead"

start_milter "$conf" || exit 1
flush up
ok "after the restart and a flush, all $((N1 + N2)) messages arrived" \
    wait_for_sink inet $((N1 + N2)) 90
sleep 1
ok "no message arrived twice ($(sink_count inet) copies)" \
    test "$(sink_count inet)" -eq $((N1 + N2))
ok "every message has its own Message-ID (each arrived exactly once)" \
    test "$(sink_msgids | sort -u | wc -l)" -eq $((N1 + N2))
ok "the upstream queue is empty" test "$(queue_count up)" -eq 0
ok "the front queue is empty" test "$(queue_count pf)" -eq 0
