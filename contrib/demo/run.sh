#!/bin/sh
# contrib/demo/run.sh - the README's first command: install what is needed
# (Debian 12, as root), build kim-milter, and run the self-contained demo
# (contrib/demo/kim-demo.sh) with embedded defaults: a private Postfix,
# KIM directory, virtual SMC-B and KIM provider stand-in on 127.0.0.1.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
sh "$top/contrib/install-deps.sh"
build=$top/_build-demo
# a tree configured in place cannot also be built out of tree: use it
[ -f "$top/config.status" ] && build=$top
cd "$top"
[ -x configure ] && [ -f build-aux/tap-driver.sh ] || ./autogen.sh >/dev/null
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ]; then
	"$top/configure" >configure.out 2>&1 || { cat configure.out; exit 1; }
fi
# the programs, and the test helpers the demo runs: the virtual SMC-B, its
# probe, the provider stand-in, and cms_strip (openssl cms as a judge)
make -j2 all tests/vcard/vsmartcard tests/pcsc/card_tool \
    tests/provider/kim-provider tests/codec/cms_strip >make.out 2>&1 ||
    { cat make.out; exit 1; }
top_srcdir=$top top_builddir=$build exec sh "$top/contrib/demo/kim-demo.sh"
