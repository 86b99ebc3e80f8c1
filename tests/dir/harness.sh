# harness.sh - sourced by the directory tests (tests/dir/t_*.sh).
#
# Gives: TAP helpers (plan, ok, check, skip_all), a private work dir $T
# removed at exit, the test PKI in $PKI (tests/pki/mkpki.sh), a private
# slapd with a small VZD-like schema and entries from the PKI on
# $LDAP_PORT, a private redis-server (requirepass) on $REDIS_PORT, a
# kim-milter.conf in $CONF, and kimctl as $KIMCTL. Services are started
# and stopped by PID only.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
KIMCTL=$top_builddir/tools/kimctl
SCHEMA=$top_srcdir/tests/dir/vzd.schema
PATH=$PATH:/usr/sbin:/sbin
export PATH

T=$(mktemp -d "${TMPDIR:-/tmp}/kim-dir-test.XXXXXX")
PIDS=""
N=0
FAILED=0

# cleanup - stop what we started (by PID), remove the work dir
cleanup()
{
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	if [ -n "${KEEP:-}" ]; then
		echo "# kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }

# ok COND-EXIT-STATUS TEXT - one TAP line
ok()
{
	N=$((N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $N - $2"
	else
		echo "not ok $N - $2"
		FAILED=1
		# the last kimctl run, for the log
		[ -f "$T/out" ] && sed 's/^/#   out: /' "$T/out"
		[ -f "$T/err" ] && sed 's/^/#   err: /' "$T/err"
	fi
}

# check TEXT CMD... - run CMD, one TAP line from its status
check()
{
	_t=$1
	shift
	if "$@" >"$T/check.out" 2>&1; then
		ok 0 "$_t"
	else
		ok 1 "$_t"
		sed 's/^/# /' "$T/check.out"
	fi
}

# free_port - a TCP port nobody listens on (the caller retries on a race).
# Each test script has its own range (PORT_RANGE, set before sourcing), so
# that a port one test frees while it restarts a service is not taken by
# another directory test running at the same time.
free_port()
{
	while :; do
		# below the ephemeral range (32768-60999), so no outgoing
		# connection holds it; 32000+ is left to the Postfix harness
		_p=$(shuf -i "${PORT_RANGE:-32000-32700}" -n 1)
		if ! ss -tanH "sport = :$_p" 2>/dev/null | grep -q .; then
			echo "$_p"
			return
		fi
	done
}

# run_kimctl ARGS... - kimctl with our config; output in $T/out, status in $RC
run_kimctl()
{
	"$KIMCTL" -c "$CONF" "$@" >"$T/out" 2>"$T/err"
	RC=$?
}

# out_has TEXT - the last kimctl output contains TEXT
out_has()
{
	grep -qF -- "$1" "$T/out" || {
		echo "# expected \"$1\" in:"
		sed 's/^/#   /' "$T/out" "$T/err"
		return 1
	}
}

for tool in slapd slapadd ldapsearch redis-server redis-cli openssl; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip_all "$tool not installed"
done
[ -x "$KIMCTL" ] || skip_all "kimctl not built"

# --- the test PKI ----------------------------------------------------
PKI=$T/pki
sh "$top_srcdir/tests/pki/mkpki.sh" "$PKI" >"$T/mkpki.log" 2>&1 || {
	echo "1..0 # SKIP mkpki.sh failed"
	sed 's/^/# /' "$T/mkpki.log"
	exit 0
}

# pem2der PARTY/NAME - the DER file of a PEM certificate
pem2der()
{
	[ -f "$PKI/$1.der" ] ||
		openssl x509 -in "$PKI/$1.pem" -outform DER -out "$PKI/$1.der"
	echo "$PKI/$1.der"
}

# --- slapd -----------------------------------------------------------
# ldif_entry UID TELEMATIKID "MAIL..." CERTS... - one VZD entry
ldif_entry()
{
	_uid=$1 _tid=$2 _mails=$3
	shift 3
	printf 'dn: uid=%s,ou=KIM,dc=data,dc=vzd\nobjectClass: vzdEntry\n' \
	    "$_uid"
	printf 'uid: %s\ncn: %s\ntelematikID: %s\n' "$_uid" "$_uid" "$_tid"
	printf 'displayName: Praxis %s\norganization: Test %s\n' "$_uid" \
	    "$_uid"
	printf 'entryType: 1\nprofessionOID: 1.2.276.0.76.4.50\n'
	for _m in $_mails; do
		printf 'mail: %s\n' "$_m"
	done
	for _c in "$@"; do
		case $_c in
		kimData=*|komLeData=*)
			printf '%s: %s\n' "${_c%%=*}" "${_c#*=}" ;;
		*)
			printf 'userCertificate;binary:< file://%s\n' "$_c" ;;
		esac
	done
	echo
}

D=aerzte.kim.telematik-test
make_ldif()
{
	# a certificate slapd accepts (its syntax check is shallow) but that
	# does not parse: the key's OID is encoded with a forbidden 0x80
	perl -0777 -pe 's/\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01/\x06\x09\x80\x86\x48\x86\xf7\x0d\x01\x01\x01/' \
	    <"$(pem2der praxis-rsa/enc-rsa)" >"$T/garbage.der"
	cat <<EOT
dn: dc=data,dc=vzd
objectClass: dcObject
objectClass: organization
o: vzd
dc: data

dn: ou=KIM,dc=data,dc=vzd
objectClass: organizationalUnit
ou: KIM

EOT
	ldif_entry praxis-rsa 1-2-ARZT-PRAXIS-RSA "praxis-rsa@$D" \
	    "kimData=praxis-rsa@$D,1.5+,eAU|eEB" "$(pem2der praxis-rsa/enc-rsa)"
	ldif_entry praxis 1-2-ARZT-PRAXIS-01 "praxis@$D" \
	    "komLeData=1.0,praxis@$D" "$(pem2der praxis/enc-rsa)" \
	    "$(pem2der praxis/enc-ecc)"
	# stored in mixed case; looked up in lower case
	ldif_entry praxis-ecc 1-2-ARZT-PRAXIS-ECC "Praxis-ECC@Aerzte.KIM.telematik-test" \
	    "$(pem2der praxis-ecc/enc-ecc)"
	ldif_entry expired 1-2-ARZT-EXPIRED "expired@$D" \
	    "$(pem2der expired/enc-rsa)" "$(pem2der expired/enc-ecc)"
	ldif_entry notyet 1-2-ARZT-NOTYET "notyet@$D" \
	    "$(pem2der notyet/enc-rsa)"
	ldif_entry badku 1-2-ARZT-BADKU "badku@$D" \
	    "$(pem2der badku/enc-rsa)" "$(pem2der badku/enc-ecc)"
	ldif_entry broken 1-2-ARZT-BROKEN "broken@$D" \
	    "$(pem2der broken/enc-rsa)"
	ldif_entry mixedtid 1-2-ARZT-MIXED-01 "mixedtid@$D" \
	    "$(pem2der mixedtid/enc-rsa)" "$(pem2der mixedtid/enc-ecc)"
	ldif_entry kasse-a 8-01-KASSE-A "kasse-a@kasse.kim.telematik-test" \
	    "$(pem2der kasse-a/enc-rsa)" "$(pem2der kasse-a/enc-ecc)"
	ldif_entry kasse-b 8-01-KASSE-B "kasse-b@kasse.kim.telematik-test" \
	    "$(pem2der kasse-b/enc-rsa)" "$(pem2der kasse-b/enc-ecc)"
	ldif_entry garbage 1-2-ARZT-GARBAGE "garbage@$D" "$T/garbage.der"
	# one entry, two addresses, kimData per address
	ldif_entry klinikum 5-2-KH-KLINIKUM-01 \
	    "kardiologie@klinikum-nord.kim.telematik-test radiologie@klinikum-nord.kim.telematik-test" \
	    "kimData=kardiologie@klinikum-nord.kim.telematik-test,1.5+,eAU" \
	    "kimData=radiologie@klinikum-nord.kim.telematik-test,1.0" \
	    "$(pem2der klinikum/enc-rsa)" "$(pem2der klinikum/enc-ecc)"
}

# start_slapd - slapd with the VZD-like schema on a free port
start_slapd()
{
	mkdir -p "$T/slapd/db"
	cat >"$T/slapd/slapd.conf" <<EOT
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $SCHEMA
pidfile $T/slapd/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "dc=data,dc=vzd"
rootdn "cn=admin,dc=data,dc=vzd"
rootpw secret
directory $T/slapd/db
maxsize 10485760
index mail eq
access to * by * read
EOT
	if [ ! -f "$T/slapd/loaded" ]; then
		make_ldif >"$T/vzd.ldif"
		slapadd -f "$T/slapd/slapd.conf" -l "$T/vzd.ldif" \
		    >"$T/slapd/slapadd.log" 2>&1 || {
			sed 's/^/# /' "$T/slapd/slapadd.log"
			return 1
		}
		: >"$T/slapd/loaded"
	fi
	for _try in 1 2 3 4 5; do
		[ -n "${LDAP_PORT:-}" ] && [ "$_try" = 1 ] ||
			LDAP_PORT=$(free_port)
		slapd -f "$T/slapd/slapd.conf" -h "ldap://127.0.0.1:$LDAP_PORT/" \
		    -d 0 >"$T/slapd/log" 2>&1 3>&- &
		SLAPD_PID=$!
		PIDS="$PIDS $SLAPD_PID"
		_i=0
		while [ $_i -lt 50 ]; do
			if ldapsearch -x -H "ldap://127.0.0.1:$LDAP_PORT" \
			    -b dc=data,dc=vzd -s base >/dev/null 2>&1; then
				return 0
			fi
			kill -0 "$SLAPD_PID" 2>/dev/null || break
			sleep 0.1
			_i=$((_i + 1))
		done
		kill "$SLAPD_PID" 2>/dev/null
		wait "$SLAPD_PID" 2>/dev/null
		echo "# slapd: port $LDAP_PORT is taken, trying another"
	done
	return 1
}

# stop_slapd - stop our slapd (by PID)
stop_slapd()
{
	kill "$SLAPD_PID" 2>/dev/null
	wait "$SLAPD_PID" 2>/dev/null
}

# start_redis - redis-server with a password on a free (or the old) port
start_redis()
{
	mkdir -p "$T/redis"
	printf 'redis-test-pw\n' >"$T/redis.pw"
	chmod 600 "$T/redis.pw"
	for _try in 1 2 3 4 5; do
		[ -n "${REDIS_PORT:-}" ] && [ "$_try" = 1 ] ||
			REDIS_PORT=$(free_port)
		redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
		    --appendonly no --dir "$T/redis" --requirepass redis-test-pw \
		    --daemonize no >"$T/redis/log" 2>&1 3>&- &
		REDIS_PID=$!
		PIDS="$PIDS $REDIS_PID"
		_i=0
		while [ $_i -lt 50 ]; do
			if rcli PING 2>/dev/null | grep -q PONG; then
				return 0
			fi
			kill -0 "$REDIS_PID" 2>/dev/null || break
			sleep 0.1
			_i=$((_i + 1))
		done
		kill "$REDIS_PID" 2>/dev/null
		wait "$REDIS_PID" 2>/dev/null
		echo "# redis-server: port $REDIS_PORT is taken, trying another"
	done
	return 1
}

# stop_redis - stop our redis-server (by PID)
stop_redis()
{
	kill "$REDIS_PID" 2>/dev/null
	wait "$REDIS_PID" 2>/dev/null
}

# rcli ARGS... - redis-cli on our server
rcli()
{
	REDISCLI_AUTH=redis-test-pw redis-cli -h 127.0.0.1 -p "$REDIS_PORT" \
	    --no-auth-warning "$@"
}

# write_conf [EXTRA LINES] - kim-milter.conf for slapd and redis
write_conf()
{
	[ -f "$T/cache.key" ] || {
		openssl rand -out "$T/cache.key" 32
		chmod 600 "$T/cache.key"
	}
	CONF=$T/kim-milter.conf
	{
		echo "Syslog no"
		echo "LogLevel warning"
		echo "DirectoryURI ldap://127.0.0.1:${LDAP_PORT:-1}/"
		echo "DirectoryTimeout 5s"
		echo "DirectoryConnectTimeout 2s"
		[ -n "${REDIS_PORT:-}" ] &&
			echo "RedisURI redis://127.0.0.1:$REDIS_PORT/0"
		echo "RedisPasswordFile $T/redis.pw"
		echo "CacheKeyFile $T/cache.key"
		echo "TrustAnchors $PKI/anchors.pem"
		echo "LocalKimAddresses ich@klinikum-nord.kim.telematik-test"
	} >"$CONF"
	# extra lines replace the line of the same key
	for _l in "$@"; do
		sed -i "/^${_l%% *} /d" "$CONF"
		printf '%s\n' "$_l" >>"$CONF"
	done
}
