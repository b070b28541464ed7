# shellcheck shell=sh
# t/pull-fixture.sh — what the pull tests and `make demo` share: a test
# CA and server certificates made with openssl, and the with-sandbox
# root hook that serves bundles over HTTPS (t/https-server.py) inside
# the sandbox's network namespace.
#
#   pull_ca DIR NAME...   DIR/ca.pem (+ .key), DIR/other.pem (another CA),
#                         DIR/NAME.pem and NAME.key for each host NAME,
#                         signed by ca.pem with subjectAltName DNS:NAME
#   pull_hook D WWW       a BANGER_SANDBOX_ROOT_SETUP command line: copies
#                         WWW/catalog.json and D/pki/ca.pem to
#                         $BANGER_SANDBOX_DIR/pull/ for the owner, serves
#                         WWW as https://localhost:8443/, logs to
#                         D/requests.log, and waits until it listens

pull_ca() {
	_d=$1
	shift
	mkdir -p "$_d" && (
		cd "$_d" || exit 1
		_ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
		_ec ca.key &&
		    openssl req -x509 -new -key ca.key -out ca.pem -days 2 -subj /CN=banger-test-ca 2>/dev/null &&
		    _ec other.key &&
		    openssl req -x509 -new -key other.key -out other.pem -days 2 -subj /CN=other-ca 2>/dev/null ||
		    exit 1
		for n in "$@"; do
			_ec "$n.key" &&
			    openssl req -new -key "$n.key" -subj "/CN=$n" -out "$n.csr" 2>/dev/null &&
			    printf 'subjectAltName=DNS:%s\n' "$n" >"$n.ext" &&
			    openssl x509 -req -in "$n.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
				-days 2 -extfile "$n.ext" -out "$n.pem" 2>/dev/null || exit 1
		done
	)
}

pull_hook() {
	printf '%s' "
		mkdir -p \"\$BANGER_SANDBOX_DIR/pull\" &&
		cp '$2/catalog.json' '$1/pki/ca.pem' \"\$BANGER_SANDBOX_DIR/pull/\" &&
		chmod -R a+rX \"\$BANGER_SANDBOX_DIR/pull\" &&
		rm -f '$1/port' &&
		{ /usr/bin/python3 '$TOP/t/https-server.py' --dir '$2' \
		    --cert '$1/pki/localhost.pem' --key '$1/pki/localhost.key' \
		    --port 8443 --port-file '$1/port' --log '$1/requests.log' \
		    </dev/null >'$1/server.log' 2>&1 & } &&
		n=0 && while [ ! -s '$1/port' ] && [ \$n -lt 200 ]; do sleep 0.05; n=\$((n + 1)); done &&
		test -s '$1/port'"
}
