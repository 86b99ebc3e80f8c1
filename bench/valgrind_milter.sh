#!/bin/bash
# valgrind_milter.sh - the daemon under valgrind for a long run: normal mail
# through the front, KIM mail through the gate (held), reloads and status
# calls on the way; then SIGTERM and valgrind's verdict. Not a test (slow);
# run it before a release:  bash bench/valgrind_milter.sh [MESSAGES]
# Prints the leak summary and exits non-zero on errors or definite leaks.
n=${1:-300}
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/integration/lib.sh"
command -v valgrind >/dev/null || { echo "valgrind not installed" >&2; exit 1; }
kim_init "" >/dev/null
kim_start_all || exit 1
vlog=$KIM_T/valgrind.log
wrap=$KIM_T/vg-milter
printf '#!/bin/sh\nexec valgrind --error-exitcode=3 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --log-file=%s %s "$@"\n' \
    "$vlog" "$top_builddir/milter/kim-milter" >"$wrap"
chmod +x "$wrap"
KIM_MILTER=$wrap
start_milter "$(kim_milter_conf)" || exit 1
echo "valgrind_milter: $n normal messages, $((n / 10)) KIM messages, reloads"
smtp-source -s 5 -l 4096 -m "$n" -c -f sender@example.org -t rcpt@example.net \
    "127.0.0.1:$PF_FRONT_PORT" >/dev/null 2>&1
for i in $(seq 1 $((n / 10))); do
	send "$PF_FRONT_PORT" sender@klinik.example "praxis$i@aerzte.kim.telematik-test"
	[ $((i % 10)) = 0 ] && kimctl reload >/dev/null && kimctl status >/dev/null
done
flush pf; sleep 5
kill -TERM "$MILTER_PID"; wait "$MILTER_PID"; rc=$?
grep -E "ERROR SUMMARY|definitely lost|indirectly lost|possibly lost" "$vlog"
echo "exit status under valgrind: $rc (3 = errors or definite leaks)"
exit $rc
