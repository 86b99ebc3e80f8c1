#!/bin/sh
# tests/run.sh - install what is needed, build with warnings as errors and
# run the whole test suite (unit and integration). The README's test command.
#   sh tests/run.sh [BUILDDIR] [extra configure arguments...]
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/contrib/install-deps.sh"
build=${1:-$top/_build}
# a tree configured in place cannot also be built out of tree: use it
[ -f "$top/config.status" ] && build=$top
[ $# -gt 0 ] && shift
cd "$top"
[ -x configure ] && [ -f build-aux/tap-driver.sh ] || ./autogen.sh
mkdir -p "$build"
cd "$build"
"$top/configure" --enable-werror "$@" >configure.out 2>&1 || { cat configure.out; exit 1; }
make -j2 >make.out 2>&1 || { cat make.out; exit 1; }
rc=0
make -j2 check >check.out 2>&1 || rc=$?
sh "$top/tests/summary.sh" "$build"
exit $rc
