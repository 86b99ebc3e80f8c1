#!/bin/sh
# t_readme.sh - the README's Postfix block is exactly what contrib/postfix/
# ships (and what the integration tests run), and its first lines are the
# two commands.
echo "1..4"
n=0
for f in main.cf.kim master.cf.kim kim_header_checks; do
	n=$((n + 1))
	if perl -0777 -e '
		my ($r, $f) = @ARGV;
		open my $a, "<", $r or exit 2; my $R = <$a>;
		open my $b, "<", $f or exit 2; my $F = <$b>; $F =~ s/\s+\z//;
		exit(index($R, "```\n$F\n```") >= 0 ? 0 : 1)' \
	    "$top_srcdir/README.md" "$top_srcdir/contrib/postfix/$f"; then
		echo "ok $n - README.md carries contrib/postfix/$f verbatim"
	else
		echo "not ok $n - README.md and contrib/postfix/$f differ"
	fi
done
if sed -n '1,6p' "$top_srcdir/README.md" | grep -q "contrib/demo/run.sh" &&
   sed -n '1,6p' "$top_srcdir/README.md" | grep -q "tests/run.sh"; then
	echo "ok 4 - the README begins with the demo and the test command"
else
	echo "not ok 4 - the README's first lines are not the two commands"
fi
