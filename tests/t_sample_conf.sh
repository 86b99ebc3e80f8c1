#!/bin/sh
# t_sample_conf.sh - the shipped sample configuration loads (kim-milter -n),
# and -n reports every problem of a broken one with file:line.
echo "1..4"
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
sed 's/^UserID.*/UserID root/' "$top_srcdir/contrib/kim-milter.conf" >"$t/ok.conf"
if out=$("$top_builddir/milter/kim-milter" -n -c "$t/ok.conf" 2>&1); then
	echo "ok 1 - contrib/kim-milter.conf passes kim-milter -n"
else
	echo "not ok 1 - contrib/kim-milter.conf fails kim-milter -n: $out"
fi
printf 'Socket tcp:1\nLogLevel loud\nListener kimgate\n' >"$t/bad.conf"
out=$("$top_builddir/milter/kim-milter" -n -c "$t/bad.conf" 2>&1); rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q "bad.conf:1: Socket" &&
   echo "$out" | grep -q "bad.conf:2: LogLevel" && echo "$out" | grep -q "bad.conf:3: Listener"; then
	echo "ok 2 - kim-milter -n lists every problem with file:line and fails"
else
	echo "not ok 2 - kim-milter -n output (rc=$rc): $out"
fi
out=$("$top_builddir/milter/kim-milter" -c "$t/bad.conf" -f 2>&1); rc=$?
if [ $rc -eq 78 ] && echo "$out" | grep -q "not started"; then
	echo "ok 3 - the daemon refuses to start on a broken file (exit 78)"
else
	echo "not ok 3 - start with a broken file: rc=$rc $out"
fi
printf 'Syslog no\nCard c1 pool=p backend=soft\n' >"$t/card.conf"
out=$("$top_builddir/milter/kim-milter" -n -c "$t/card.conf" 2>&1); rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q 'card.conf: Card: .*c1'; then
	echo "ok 4 - kim-milter -n reports a Card line that cannot be opened"
else
	echo "not ok 4 - kim-milter -n with an unusable Card line (rc=$rc): $out"
fi
