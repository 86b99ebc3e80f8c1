#!/bin/sh
# install-deps.sh - install every Debian 12 package kim-milter needs to build,
# test and run its demo. Run as root. Safe to run again.
#
# Postfix is preseeded to "No configuration": the package then neither
# prompts nor starts a system instance; the tests and the demo run their own.
set -e
if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: run as root (it calls apt-get)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
PKGS="build-essential autoconf automake libtool pkg-config
	libmilter-dev libssl-dev openssl libpcsclite-dev pcscd vsmartcard-vpcd
	libhiredis-dev redis-server libldap-dev slapd ldap-utils check
	postfix swaks miltertest libclang-rt-14-dev clang valgrind
	util-linux procps iproute2 ca-certificates
	libnet-ssleay-perl libsasl2-modules dovecot-pop3d fetchmail"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	exit 0
fi
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
# Debian's package scripts may have started the services just installed; the
# tests and the demo run private instances and need the ports free. Only
# what this run installed is stopped, and only through its init script: an
# admin's running services are never touched (on systemd machines nothing
# is stopped at all).
[ -d /run/systemd/system ] && exit 0
for svc in postfix redis-server slapd pcscd dovecot; do
	case " $(echo $missing) " in
	*" $svc "*|*" $svc-"*)
		service "$svc" stop >/dev/null 2>&1 || true ;;
	esac
done
exit 0
