# tests/provider/lib.sh - helpers for the tests of the KIM provider stand-in
# (tests/provider/kim-provider), sourced by t_provider*.sh. Needs $PROV_T
# (a fresh mktemp -d of the test) and $top_builddir.
#
#   prov_pki                  a test PKI under $PROV_T/pki (openssl CLI):
#                             ca (server and good clients), ca2 (a foreign
#                             CA), server (CN=localhost), client (the KIM
#                             account's certificate), stranger (of ca2)
#   prov_start NAME [OPT...]  kim-provider -f on 127.0.0.1, port 0 (or
#                             $PROV_LISTEN, e.g. a restart), under
#                             $PROV_T/NAME/ (spool/, log, port, users);
#                             sets PROV_PORT and PROV_PID, adds the PID to
#                             PROV_PIDS
#   prov_stop PID             SIGTERM and wait
#   prov_count NAME           how many messages NAME's spool holds
#   prov_pf_transport INST SVC  a private Postfix service (integration
#                             lib.sh) delivers to the stand-in, see below
#
# The account of every instance: $PROV_USER with password $PROV_PASS.

PROV_BIN=${PROV_BIN:-$top_builddir/tests/provider/kim-provider}
PROV_USER=station@klinik.kim.telematik-test
PROV_PASS='geheim-1'
PROV_PIDS=""

# prov_ca NAME - a self-signed P-256 CA
prov_ca()
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$PROV_T/pki/$1.key" -out "$PROV_T/pki/$1.pem" \
	    -subj "/O=kim-milter test/CN=$1" -days 30 \
	    -addext basicConstraints=critical,CA:true \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

# prov_leaf CA NAME SUBJECT EXTFILE-LINES - a P-256 certificate of CA
prov_leaf()
{
	local d=$PROV_T/pki
	printf '%s\n' "$4" >"$d/$2.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/$2.key" -out "$d/$2.csr" -subj "$3" 2>/dev/null &&
	    openssl x509 -req -in "$d/$2.csr" -CA "$d/$1.pem" \
	    -CAkey "$d/$1.key" -CAcreateserial -days 30 \
	    -extfile "$d/$2.ext" -out "$d/$2.pem" 2>/dev/null
}

# prov_pki - the certificates of the tests
prov_pki()
{
	mkdir -p "$PROV_T/pki"
	prov_ca ca && prov_ca ca2 &&
	    prov_leaf ca server "/O=KIM provider stand-in/CN=localhost" \
	    "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth" &&
	    prov_leaf ca client "/O=Klinik/CN=$PROV_USER" \
	    "extendedKeyUsage=clientAuth" &&
	    prov_leaf ca2 stranger "/O=Elsewhere/CN=$PROV_USER" \
	    "extendedKeyUsage=clientAuth"
}

# prov_start NAME [OPT...] - start an instance, wait for its port file
prov_start()
{
	local dir=$PROV_T/$1 i
	shift
	mkdir -p "$dir/spool"
	printf '# user password\n%s %s\n' "$PROV_USER" "$PROV_PASS" \
	    >"$dir/users"
	rm -f "$dir/port"
	"$PROV_BIN" -f -l "${PROV_LISTEN:-127.0.0.1:0}" -P "$dir/port" \
	    -c "$PROV_T/pki/server.pem" -k "$PROV_T/pki/server.key" \
	    -C "$PROV_T/pki/ca.pem" -u "$dir/users" -d "$dir/spool" \
	    -L "$dir/log" -t 30 "$@" 2>>"$dir/stderr" &
	PROV_PID=$!
	PROV_PIDS="$PROV_PIDS $PROV_PID"
	for i in $(seq 1 100); do
		if [ -s "$dir/port" ]; then
			PROV_PORT=$(cat "$dir/port")
			return 0
		fi
		kill -0 "$PROV_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "kim-provider $dir did not start:" >&2
	cat "$dir/stderr" >&2
	return 1
}

# prov_stop PID - stop one instance
prov_stop()
{
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	PROV_PIDS=$(echo "$PROV_PIDS" | sed "s/ *\<$1\>//")
}

# prov_count NAME - stored messages of instance NAME
prov_count()
{
	ls "$PROV_T/$1/spool" | grep -c '^[0-9]*\.eml$'
}

# prov_pf_transport INST SERVICE - with tests/integration/lib.sh loaded:
# make the smtp(8) service SERVICE (master.cf, type unix) of the private
# Postfix instance INST talk to the stand-in the way the KIM route's
# provider transport does: implicit TLS, the account's client certificate,
# SASL as $PROV_USER. The nexthop is the caller's (relayhost, a
# content_filter, or SINK_PORT_prov=$PROV_PORT before pf_create_front).
prov_pf_transport()
{
	local k=$PROV_T/pki/client-pf.key s=$2/unix
	# Postfix's smtp processes run as postfix and read the (test) key
	cp "$PROV_T/pki/client.key" "$k" && chmod 644 "$k" &&
	    chmod -R a+rX "$PROV_T" &&
	    pf_postconf "$1" -P "$s/smtp_tls_wrappermode=yes" \
	    "$s/smtp_tls_security_level=encrypt" \
	    "$s/smtp_tls_cert_file=$PROV_T/pki/client.pem" \
	    "$s/smtp_tls_key_file=$k" \
	    "$s/smtp_tls_CAfile=$PROV_T/pki/ca.pem" \
	    "$s/smtp_sasl_auth_enable=yes" \
	    "$s/smtp_sasl_password_maps=static:$PROV_USER:$PROV_PASS" \
	    "$s/smtp_sasl_security_options=noanonymous" \
	    "$s/smtp_sasl_tls_security_options=noanonymous"
}
