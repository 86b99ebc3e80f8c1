#!/bin/sh
# tests/summary.sh BUILDDIR - one line per test program and the totals,
# read from automake's .trs files (Check's own output is in the .log files).
build=${1:-.}
pass=0; fail=0; skip=0
for trs in $(find "$build" -name '*.trs' | sort); do
	p=$(grep -c '^:test-result: PASS' "$trs")
	f=$(grep -c -E '^:test-result: (FAIL|ERROR|XPASS)' "$trs")
	s=$(grep -c -E '^:test-result: (SKIP|XFAIL)' "$trs")
	name=${trs%.trs}; name=${name#"$build"/}
	printf '%-48s %4d passed %4d failed %4d skipped\n' "$name" "$p" "$f" "$s"
	if [ "$f" -gt 0 ]; then
		grep -E '^(not ok|ERROR|Bail out)' "${trs%.trs}.log" | sed 's/^/    /' | head -20
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
done
echo "$pass passed, $fail failed${skip:+ ($skip skipped)}"
