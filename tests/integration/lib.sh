# tests/integration/lib.sh - the Postfix harness of the integration tests.
# Needs bash: $RANDOM, local, ${var//}.
#
# Sourced by every tests/integration/t_*.sh (and by contrib/demo/kim-demo.sh).
# It runs real services on loopback, each started here and stopped by PID:
#
#   front Postfix ("pf")  private config, queue, data and log directories
#                         under a fresh mktemp -d; main.cf and master.cf are
#                         generated FROM contrib/postfix/main.cf.kim and
#                         master.cf.kim, so the shipped blocks are what is
#                         tested. Listeners:
#                           $PF_FRONT_PORT  the shipped "smtp inet" line (the
#                                           front, milter_macro_daemon_name=
#                                           kimfront)
#                           $PF_GATE_PORT   the shipped gate listener (10026)
#                           $PF_INBOUND_PORT the shipped inbound listener
#                           $PF_PLAIN_PORT  test only: the same Postfix without
#                                           any milter (the byte-identity
#                                           baseline)
#   sink "inet"           smtp-sink as the internet: relayhost of pf
#   sink "prov"           smtp-sink as the KIM provider: the gate's
#                         content_filter points at it
#   upstream Postfix "up" a second instance that relays everything to the
#                         front with short backoff: the sending MTA for retry
#                         tests (swaks and smtp-source never retry)
#   kim-milter            $top_builddir/milter/kim-milter -f -c CONF
#
# What differs from the shipped blocks, and why (nothing else does):
#   - addresses: 127.0.0.1:10025/10026/10027 and "smtp inet" become dynamic
#     ports; /etc/postfix/ becomes the private config directory; the provider
#     nexthop becomes the provider sink;
#   - every service runs with chroot = n (the private queue directory has no
#     chroot jail);
#   - kimprovider talks plain SMTP (smtp-sink has no TLS), see pf_create;
#   - local_header_rewrite_clients is empty, so Postfix itself adds no
#     Message-ID or Date header that differs between two sends.
# Logging: there is no syslog on CI; each instance runs the postlog service
# and writes $KIM_T/<instance>/log/maillog (maillog_file).
#
# /etc/postfix/main.cf: Debian installs postfix with "No configuration",
# which leaves no /etc/postfix/main.cf. The harness needs none: as root,
# "postfix -c DIR", "postconf -c DIR", "postqueue -c DIR" and "postsuper -c
# DIR" work without it and without an alternate_config_directories entry
# (that entry is only checked for non-root users of the set-gid tools).
# Nothing outside $KIM_T is written.
#
# Usage in a test:
#   . "$top_srcdir/tests/integration/lib.sh"
#   kim_init 7                 # TAP plan; skips everything without postfix
#   kim_start_all              # sinks, front Postfix (and upstream if asked)
#   start_milter "$(kim_milter_conf)"
#   send "$PF_FRONT_PORT" from@example.org to@example.net file.eml
#   wait_for_sink inet 1
#   ok "mail arrived" test "$(sink_count inet)" -eq 1
# Everything is torn down by the EXIT trap. Set KIM_KEEP=1 to keep $KIM_T.
# A failed test appends the tails of every maillog and the milter's log to
# its .log file.
#
# Running one test (as root, after make):
#   make check TESTS=tests/integration/t_fail_closed.sh
#   top_srcdir=$PWD top_builddir=$PWD tests/integration/t_fail_closed.sh
# Time: Postfix starts in about 0.3 s per instance (no "postfix check",
# config files dated back, see pf_prepare and pf_age).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

KIM_PF_SNIPPETS=$top_srcdir/contrib/postfix
KIM_MILTER=$top_builddir/milter/kim-milter
KIM_KIMCTL=$top_builddir/tools/kimctl
KIM_TAPN=0
KIM_FAILED=0
KIM_PIDS=""
KIM_PF_STARTED=""
PATH=$PATH:/usr/sbin:/sbin
export PATH

# ---- TAP -----------------------------------------------------------------

# ok DESC CMD... - run CMD; print "ok N - DESC" or "not ok N - DESC"
ok()
{
	local desc=$1
	shift
	KIM_TAPN=$((KIM_TAPN + 1))
	if "$@"; then
		echo "ok $KIM_TAPN - $desc"
	else
		echo "not ok $KIM_TAPN - $desc"
		KIM_FAILED=$((KIM_FAILED + 1))
	fi
}

# skip DESC REASON - a test that cannot run here
skip()
{
	KIM_TAPN=$((KIM_TAPN + 1))
	echo "ok $KIM_TAPN - $1 # SKIP $2"
}

# diag TEXT... - a TAP comment (shown in the .log file)
diag()
{
	local line
	printf '%s\n' "$*" | while IFS= read -r line; do
		echo "# $line"
	done
}

# kim_skip_all REASON - nothing of this test can run here
kim_skip_all()
{
	echo "1..0 # SKIP $1"
	exit 0
}

# ---- set-up and teardown -------------------------------------------------

# kim_init PLAN - check the machine, print the plan, create $KIM_T
kim_init()
{
	local plan=$1
	if ! command -v postfix >/dev/null 2>&1 ||
	    ! command -v smtp-sink >/dev/null 2>&1; then
		kim_skip_all "postfix or smtp-sink not installed"
	fi
	if [ "$(id -u)" != 0 ]; then
		kim_skip_all "Postfix test instances need root"
	fi
	[ -n "$plan" ] && echo "1..$plan"
	KIM_T=$(mktemp -d "${TMPDIR:-/tmp}/kimt.XXXXXX") || exit 99
	# Postfix daemons run as postfix and must reach their directories.
	chmod 755 "$KIM_T"
	KIM_ID=$(basename "$KIM_T" | tr 'A-Z.' 'a-z-')
	trap kim_teardown EXIT
	trap 'exit 98' INT TERM HUP
}

# kim_teardown - stop everything this test started, by PID; remove $KIM_T
kim_teardown()
{
	local rc=$? inst pid
	set +e
	if [ "$KIM_FAILED" -gt 0 ] || [ "$rc" -ne 0 ]; then
		kim_dump_logs >&2
	fi
	# TERM first (kim-milter takes a few seconds to stop), Postfix meanwhile
	for pid in $KIM_PIDS; do
		kill "$pid" 2>/dev/null
	done
	for inst in $KIM_PF_STARTED; do
		pf_stop "$inst"
	done
	for pid in $KIM_PIDS; do
		wait "$pid" 2>/dev/null
	done
	if [ -n "$KIM_T" ] && [ -z "$KIM_KEEP" ]; then
		rm -rf "$KIM_T"
	elif [ -n "$KIM_T" ]; then
		echo "# kept $KIM_T" >&2
	fi
	# failed checks are "not ok" lines; the exit status reports only
	# a test that could not run to its end
	exit "$rc"
}

# kim_dump_logs - the tails of every log, for the .log file of a failed test
kim_dump_logs()
{
	local f
	for f in "$KIM_T"/*/log/maillog "$KIM_T"/milter/log; do
		[ -f "$f" ] || continue
		echo "==== $f (last 60 lines)"
		tail -n 60 "$f"
	done
}

# kim_port - print a free TCP port on 127.0.0.1 (not handed out before in
# this test)
kim_port()
{
	local p n
	for n in $(seq 1 200); do
		# below the kernel's ephemeral range (32768-60999): an outgoing
		# connection never holds the port we are about to listen on
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 7000))
		# callers use $(kim_port), a subshell: remember ports in a file
		grep -qx "$p" "$KIM_T/ports" 2>/dev/null && continue
		if [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ]; then
			echo "$p" >>"$KIM_T/ports"
			echo "$p"
			return 0
		fi
	done
	echo "kim_port: no free port found" >&2
	return 1
}

# kim_wait SECONDS CMD... - poll CMD every 0.1 s until it succeeds
kim_wait()
{
	local limit=$(($1 * 10)) i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.1
	done
	return 0
}

# port_listening PORT - something listens on 127.0.0.1:PORT
port_listening()
{
	[ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
}

# ---- sinks ---------------------------------------------------------------

# sink_start NAME - smtp-sink on a fresh port, dumping each message to
# $KIM_T/sink-NAME/; sets SINK_PORT_NAME
sink_start()
{
	local name=$1 port dir pid
	port=$(kim_port) || return 1
	dir=$KIM_T/sink-$name
	mkdir -p "$dir"
	chown postfix "$dir"
	# -u: smtp-sink refuses to run as root; -d: one file per message
	smtp-sink -u postfix -d "$dir/m." "127.0.0.1:$port" 256 \
	    >"$KIM_T/sink-$name.log" 2>&1 &
	pid=$!
	KIM_PIDS="$KIM_PIDS $pid"
	eval "SINK_PORT_$name=$port SINK_PID_$name=$pid"
	kim_wait 10 port_listening "$port" || {
		echo "sink $name did not start" >&2
		return 1
	}
}

# sink_files NAME - the complete message files of sink NAME, one a line
# (smtp-sink ends every dump with an empty line; one process for all files,
# since tests poll this)
sink_files()
{
	perl -e '
	for my $f (@ARGV) {
		next unless -s $f;
		open(my $fh, "<", $f) or next;
		seek($fh, -2, 2);
		read($fh, my $end, 2);
		print "$f\n" if $end eq "\n\n";
	}' "$KIM_T/sink-$1"/m.* 2>/dev/null
}

# sink_count NAME - how many complete messages sink NAME holds
sink_count()
{
	sink_files "$1" | wc -l
}

# sink_size_sum NAME - a fingerprint of the dump directory's state
sink_size_sum()
{
	ls -l "$KIM_T/sink-$1" 2>/dev/null | md5sum
}

# wait_for_sink NAME N [SECONDS] - wait until sink NAME holds N complete
# messages and nothing is still being written (default 60 s)
wait_for_sink()
{
	local name=$1 n=$2 limit=${3:-60} i=0 a b
	while :; do
		a=$(sink_size_sum "$name")
		if [ "$(sink_count "$name")" -ge "$n" ]; then
			sleep 0.3
			b=$(sink_size_sum "$name")
			[ "$a" = "$b" ] && return 0
		fi
		i=$((i + 1))
		[ "$i" -ge $((limit * 10)) ] && return 1
		sleep 0.1
	done
}

# sink_clear NAME - forget what sink NAME received
sink_clear()
{
	rm -f "$KIM_T/sink-$1"/m.*
}

# sink_message FILE - the message of a sink dump as Postfix delivered it
# (without smtp-sink's own X-* lines, its Received header, and its final
# empty line)
sink_message()
{
	# smtp-sink: X-* lines, then its own Received header (3 lines)
	awk '
	    done { print; next }
	    rcvd && /^[ \t]/ { next }
	    rcvd { done = 1; print; next }
	    /^Received: / { rcvd = 1; next }
	' "$1" | sed '$d'
}

# sink_body_below_received FILE - the delivered message below Postfix's
# own (first) Received header: what must be identical with and without the
# milter
sink_body_below_received()
{
	sink_message "$1" | awk '
	    done { print; next }
	    /^Received: / && !seen { seen = 1; skip = 1; next }
	    /^[ \t]/ && skip { next }
	    { skip = 0; done = 1; print }
	'
}

# ---- Postfix instances ---------------------------------------------------

# pf_dir INST - the directory of instance INST (pf, up)
pf_dir()
{
	echo "$KIM_T/$1"
}

# pf_base_main INST HOSTNAME - main.cf lines every test instance needs
pf_base_main()
{
	local d
	d=$(pf_dir "$1")
	cat <<EOF
# generated by tests/integration/lib.sh for a private test instance
compatibility_level = 3.6
queue_directory = $d/spool
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
myhostname = $2
mydomain = localdomain
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
# see the header of lib.sh: no Message-ID/Date added by Postfix
local_header_rewrite_clients =
biff = no
smtp_dns_support_level = disabled
# no syslog on CI: the postlog service writes this file
maillog_file = $d/log/maillog
maillog_file_prefixes = $KIM_T
delay_warning_time = 0
EOF
}

# pf_base_master - the Postfix services, without any listener
pf_base_master()
{
	cat <<'EOF'
# generated by tests/integration/lib.sh: Postfix's internal services
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# pf_subst - the shipped snippets with the test instance's addresses
pf_subst()
{
	sed -e "s|inet:127\.0\.0\.1:10025|inet:127.0.0.1:$MILTER_PORT|g" \
	    -e "s|127\.0\.0\.1\(\]\{0,1\}\):10026|127.0.0.1\1:$PF_GATE_PORT|g" \
	    -e "s|127\.0\.0\.1\(\]\{0,1\}\):10027|127.0.0.1\1:$PF_INBOUND_PORT|g" \
	    -e "s|^smtp      inet |127.0.0.1:$PF_FRONT_PORT inet |" \
	    -e "s|\[kim-provider\.example\]:465|[127.0.0.1]:$SINK_PORT_prov|g" \
	    -e "s|/etc/postfix/|$(pf_dir pf)/etc/|g"
}

# pf_nochroot - set the chroot column of every master.cf service to n
pf_nochroot()
{
	awk '
	    /^[ \t#]/ || NF < 8 { print; next }
	    { $5 = "n"; print }
	'
}

# pf_create_front - generate the front instance "pf" from the shipped blocks
pf_create_front()
{
	local d
	d=$(pf_dir pf)
	mkdir -p "$d/etc" "$d/spool" "$d/data" "$d/log"
	PF_FRONT_PORT=$(kim_port) && PF_GATE_PORT=$(kim_port) &&
	    PF_INBOUND_PORT=$(kim_port) && PF_PLAIN_PORT=$(kim_port) &&
	    MILTER_PORT=${MILTER_PORT:-$(kim_port)} || return 1
	{
		pf_base_main pf "kimt-$KIM_ID-pf.localdomain"
		echo "relayhost = [127.0.0.1]:$SINK_PORT_inet"
		echo
		echo "# ---- contrib/postfix/main.cf.kim ----"
		pf_subst <"$KIM_PF_SNIPPETS/main.cf.kim"
	} >"$d/etc/main.cf"
	{
		pf_base_master
		echo
		echo "# ---- contrib/postfix/master.cf.kim ----"
		pf_subst <"$KIM_PF_SNIPPETS/master.cf.kim"
		echo
		echo "# ---- test only: the same Postfix without a milter ----"
		echo "127.0.0.1:$PF_PLAIN_PORT inet n - n - - smtpd"
		echo "  -o syslog_name=postfix/plain"
		echo "  -o smtpd_milters="
	} | pf_nochroot >"$d/etc/master.cf"
	# the tables the shipped blocks name (/etc/postfix/kim_*), with the
	# test addresses (kim_route_checks names the provider)
	for f in kim_header_checks kim_route_checks kim_route_strip \
	    kim_sasl_passwd kim_virtual; do
		pf_subst <"$KIM_PF_SNIPPETS/$f" >"$d/etc/$f"
	done
	# smtp-sink has no TLS: the provider stand-in speaks plain SMTP
	pf_age pf
	pf_postconf pf -P \
	    "kimprovider/unix/smtp_tls_wrappermode=no" \
	    "kimprovider/unix/smtp_tls_security_level=none" \
	    "kimprov-kardiologie/unix/smtp_tls_wrappermode=no" \
	    "kimprov-kardiologie/unix/smtp_tls_security_level=none" \
	    "kimprov-kardiologie/unix/smtp_tls_cert_file=" \
	    "kimprov-kardiologie/unix/smtp_tls_key_file=" || return 1
	pf_prepare pf
}

# pf_create_upstream - the upstream instance "up": relays all to the front
pf_create_upstream()
{
	local d
	d=$(pf_dir up)
	mkdir -p "$d/etc" "$d/spool" "$d/data" "$d/log"
	UP_PORT=$(kim_port) || return 1
	{
		pf_base_main up "kimt-$KIM_ID-up.localdomain"
		echo "relayhost = [127.0.0.1]:$PF_FRONT_PORT"
		echo "# retry tests: retry soon, forever"
		echo "minimal_backoff_time = 1s"
		echo "maximal_backoff_time = 2s"
		echo "queue_run_delay = 1s"
	} >"$d/etc/main.cf"
	{
		pf_base_master
		echo "127.0.0.1:$UP_PORT inet n - n - - smtpd"
	} >"$d/etc/master.cf"
	pf_age up
	# like a real submission server it adds Message-ID and Date (tests
	# count messages by Message-ID; smtp-source sends none)
	pf_postconf up -e local_header_rewrite_clients=permit_inet_interfaces ||
	    return 1
	pf_prepare up
}

# pf_prepare INST - queue directories, ownerships, configuration warnings.
# "postfix check" (post-install create-missing and the permission scans)
# takes 3-6 s per instance; the harness creates the queue directories with
# the owners and modes post-install would give them and marks the queue
# "quick-start", so that "postfix start" skips those checks.
# t_postfix_config.sh runs the full "postfix check" on the same files.
pf_prepare()
{
	local d q
	d=$(pf_dir "$1")
	q=$d/spool
	chown postfix "$d/data"
	pf_age "$1"
	install -d -o root -g root -m 755 "$q/pid"
	for sub in active bounce corrupt defer deferred flush hold incoming \
	    private saved trace; do
		install -d -o postfix -g root -m 700 "$q/$sub"
	done
	install -d -o postfix -g postdrop -m 730 "$q/maildrop"
	install -d -o postfix -g postdrop -m 710 "$q/public"
	touch "$d/log/maillog"
	if ! postconf -c "$d/etc" -n >/dev/null 2>"$d/log/postconf"; then
		echo "postconf failed for $1:" >&2
		cat "$d/log/postconf" >&2
		return 1
	fi
	if [ -s "$d/log/postconf" ]; then
		diag "postconf warnings for $1:" "$(cat "$d/log/postconf")"
	fi
}

# pf_age INST - date the configuration files of INST one minute back.
# Postfix reads a file modified within the last second or two again and
# again until it is older (dict_load_file), which costs every postfix,
# postconf and postqueue call up to 2 s after an edit.
pf_age()
{
	touch -d '1 minute ago' "$(pf_dir "$1")"/etc/*
}

# pf_start INST - start instance INST and wait for its listeners
pf_start()
{
	local d
	d=$(pf_dir "$1")
	touch "$d/spool/quick-start"
	postfix -c "$d/etc" start >>"$d/log/start" 2>&1 || {
		cat "$d/log/start" >&2
		return 1
	}
	KIM_PF_STARTED="$KIM_PF_STARTED $1"
	case $1 in
	pf)	kim_wait 20 port_listening "$PF_FRONT_PORT" &&
		    kim_wait 20 port_listening "$PF_GATE_PORT" ;;
	up)	kim_wait 20 port_listening "$UP_PORT" ;;
	esac
}

# pf_stop INST - stop instance INST: SIGTERM to its master process (by its
# PID file; the master stops its children), then wait for it. ("postfix
# stop" does the same but polls only once a second.)
pf_stop()
{
	local d pid
	d=$(pf_dir "$1")
	pid=$(sed -n '1s/ //gp' "$d/spool/pid/master.pid" 2>/dev/null)
	if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
		kim_wait 10 kim_gone "$pid" || kill -9 "$pid" 2>/dev/null
	fi
	KIM_PF_STARTED=$(echo "$KIM_PF_STARTED" | sed "s/ *\<$1\>//")
}

# kim_gone PID - the process is gone (or a zombie: a daemon's parent is
# init, which may reap late)
kim_gone()
{
	case $(ps -o stat= -p "$1" 2>/dev/null) in
	""|Z*)	return 0 ;;
	esac
	return 1
}

# pf_reload INST - make INST read its changed configuration
pf_reload()
{
	postfix -c "$(pf_dir "$1")/etc" reload >/dev/null 2>&1
}

# pf_postconf INST ARGS... - postconf on instance INST (e.g. -e, -P)
pf_postconf()
{
	local inst=$1 rc
	shift
	postconf -c "$(pf_dir "$inst")/etc" "$@"
	rc=$?
	pf_age "$inst"
	return $rc
}

# queue_list INST - postqueue -j of instance INST (one JSON object a line)
queue_list()
{
	postqueue -c "$(pf_dir "$1")/etc" -j
}

# queue_count INST - how many messages INST holds
queue_count()
{
	queue_list "$1" | grep -c '"queue_id"'
}

# flush INST - retry everything queued in INST now
flush()
{
	postqueue -c "$(pf_dir "$1")/etc" -f
}

# log_count INST ERE - how many lines of INST's maillog match ERE
log_count()
{
	grep -c -E -e "$2" "$(pf_dir "$1")/log/maillog"
}

# log_wait INST ERE N [SECONDS] - wait until INST's maillog has N lines
# matching ERE (default 30 s)
log_wait()
{
	kim_wait "${4:-30}" _log_ge "$1" "$2" "$3"
}
_log_ge()
{
	[ "$(log_count "$1" "$2")" -ge "$3" ]
}

# flush_wait INST N - flush INST and wait until N more delivery attempts
# ended (status=sent, deferred or bounced) in its log
flush_wait()
{
	local ere='status=(sent|deferred|bounced)' n
	n=$(log_count "$1" "$ere")
	flush "$1"
	log_wait "$1" "$ere" $((n + $2))
}

# pf_log INST - the maillog of instance INST
pf_log()
{
	cat "$(pf_dir "$1")/log/maillog"
}

# kim_start_all [up] - sinks and the front Postfix (and the upstream one)
kim_start_all()
{
	sink_start inet && sink_start prov && pf_create_front &&
	    pf_start pf || return 1
	if [ "$1" = up ]; then
		pf_create_upstream && pf_start up || return 1
	fi
}

# ---- kim-milter ------------------------------------------------------------

# kim_gate_policy KIMADDR ACCOUNT - the test hospital's policy with a KIM
# address the test directory knows (call before kim_milter_conf)
kim_gate_policy()
{
	mkdir -p "$KIM_T/milter/policy.d"
	cat >"$KIM_T/milter/policy.d/klinik.conf" <<-EOF
		Description "test hospital (tests/integration/lib.sh)"
		Sender      *@klinik.example
		KimSending  yes
		KimAddress  $1
		KimAccount  $2
		CardPool    klinik
		On-DirectoryError tempfail
	EOF
}

# kim_gate_milter_conf [LINE...] - with tests/dir/harness.sh loaded and its
# slapd, Redis and $CONF set up: the test hospital's policy with the
# klinikum's KIM address (kardiologie, account kardiologie), the directory
# lines of $CONF, LINEs, and the klinikum's soft card with its RSA OSIG key
# only (so the signature is RSA-PSS, which openssl can judge); prints the
# path of the kim-milter.conf
KIM_GATE_ADDR=kardiologie@klinikum-nord.kim.telematik-test
kim_gate_milter_conf()
{
	local k=$PKI/klinikum f
	local -a dirl
	kim_gate_policy "$KIM_GATE_ADDR" kardiologie
	mapfile -t dirl < <(grep -E '^(Directory|Redis|Cache|Trust)' "$CONF")
	f=$(kim_milter_conf "${dirl[@]}" "$@")
	sed -i "s|^Card testcard .*|Card testcard pool=klinik backend=soft key=$k/osig-rsa.key,$k/enc-rsa.key,$k/enc-ecc.key cert=$k/osig-rsa.pem,$k/enc-rsa.pem,$k/enc-ecc.pem|" "$f"
	echo "$f"
}

# kim_dir_up - slapd, Redis and $CONF of the directory harness, or bail out
kim_dir_up()
{
	start_slapd || { echo "Bail out! slapd did not start"; exit 1; }
	start_redis || { echo "Bail out! redis did not start"; exit 1; }
	write_conf
}

# kim_milter_conf [LINE...] - write a test kim-milter.conf (plus LINEs) to
# $KIM_T/milter/kim-milter.conf and print its path
kim_milter_conf()
{
	local f=$KIM_T/milter/kim-milter.conf line
	mkdir -p "$KIM_T/milter/policy.d"
	# the test hospital: its senders may send KIM (the gate's default
	# policy refuses uncovered senders with a 5xx)
	[ -f "$KIM_T/milter/policy.d/klinik.conf" ] || cat >"$KIM_T/milter/policy.d/klinik.conf" <<-EOF
		Description "test hospital (tests/integration/lib.sh)"
		Sender      *@klinik.example
		KimSending  yes
		KimAddress  station@klinik.kim.telematik-test
		CardPool    klinik
		On-DirectoryError tempfail
	EOF
	{
		echo "# generated by tests/integration/lib.sh"
		echo "Socket inet:$MILTER_PORT@127.0.0.1"
		echo "ControlSocket $KIM_T/milter/control"
		echo "PidFile $KIM_T/milter/pid"
		echo "Syslog no"
		echo "LogLevel debug"
		echo "PolicyDirectory $KIM_T/milter/policy.d"
		echo "Card testcard pool=klinik backend=soft"
		for line in "$@"; do
			echo "$line"
		done
	} >"$f"
	echo "$f"
}

# start_milter CONF - run kim-milter in the foreground (background job),
# log to $KIM_T/milter/log, wait for its milter socket
start_milter()
{
	local conf=$1 port
	mkdir -p "$KIM_T/milter"
	MILTER_CONF=$conf
	port=$(sed -n 's/^Socket[ \t]*inet:\([0-9]*\)@.*/\1/p' "$conf")
	"$KIM_MILTER" -f -c "$conf" >>"$KIM_T/milter/log" 2>&1 &
	MILTER_PID=$!
	KIM_PIDS="$KIM_PIDS $MILTER_PID"
	kim_wait 20 port_listening "$port" || {
		echo "kim-milter did not open port $port" >&2
		tail "$KIM_T/milter/log" >&2
		return 1
	}
}

# stop_milter [SIGNAL] - stop kim-milter (default TERM) and wait for it
stop_milter()
{
	[ -n "$MILTER_PID" ] || return 0
	kill -"${1:-TERM}" "$MILTER_PID" 2>/dev/null
	wait "$MILTER_PID" 2>/dev/null
	KIM_PIDS=$(echo "$KIM_PIDS" | sed "s/ *\<$MILTER_PID\>//")
	MILTER_PID=""
}

# kimctl ARGS... - tools/kimctl with the running milter's configuration
kimctl()
{
	"$KIM_KIMCTL" -c "$MILTER_CONF" "$@"
}

# ---- sending ---------------------------------------------------------------

# send PORT FROM TO[,TO...] [FILE] - one SMTP transaction with swaks; FILE
# is the whole message (default: a small one); the HELO name is $KIM_HELO
# (default kimtest.localdomain). swaks ends the DATA with
# CRLF . CRLF after the data even when the data ends with a line break,
# which would add an empty line to every message: the last line break of
# FILE is taken off on the way. swaks' transcript is appended to
# $KIM_T/swaks.log; returns swaks' exit code.
send()
{
	local port=$1 from=$2 to=$3 file=$4 data rc
	if [ -z "$file" ]; then
		file=$KIM_T/small.$$.$RANDOM.eml
		printf 'From: <%s>\nTo: <%s>\nSubject: harness %s\nMessage-ID: <%s@kimtest.invalid>\n\nhello\n' \
		    "$from" "$to" "$RANDOM" "$RANDOM$RANDOM" >"$file"
	fi
	data=$KIM_T/send.$BASHPID.$RANDOM
	perl -0777 -pe 's/\r?\n\z//' "$file" >"$data" || return 1
	swaks --server 127.0.0.1 --port "$port" \
	    --helo "${KIM_HELO:-kimtest.localdomain}" \
	    --from "$from" --to "$to" --data "@$data" \
	    --suppress-data >>"$KIM_T/swaks.log" 2>&1
	rc=$?
	rm -f "$data"
	return $rc
}
