#!/bin/sh
# serve, banger.service's accept loop (helpers/serve.c): started with a
# listening socket the sd_listen_fds way (systemd-socket-activate
# without --accept execs it with LISTEN_FDS=1, as banger.socket does),
# it runs dispatch per connection, exits 0 after its idle time, and on
# SIGTERM answers the requests in flight (accepted, their dispatch
# running) before it exits.  Under real systemd it is t/0310.
. "${0%/*}/lib.sh"

X=$B/libexec/banger
SOCK=$TRASH/serve.sock

# start [SERVE-FLAGS...]: serve on $SOCK; its pid in serve.pid.
start() {
	rm -f "$SOCK"
	{ systemd-socket-activate -E BANGER_ROOT -E BANGER_LIBEXECDIR -l "$SOCK" \
	    "$X/serve" "$@" "$X/dispatch" >/dev/null 2>"$TRASH/serve.err" & } &&
	echo $! >"$TRASH/serve.pid" &&
	i=0 && while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done &&
	[ -S "$SOCK" ]
}
# gone SECONDS: serve has exited (its status in serve.st) within SECONDS.
gone() {
	_p=$(cat "$TRASH/serve.pid") && _i=0 &&
	while kill -0 "$_p" 2>/dev/null && [ $_i -lt $(($1 * 20)) ]; do sleep 0.05; _i=$((_i+1)); done &&
	! kill -0 "$_p" 2>/dev/null && wait "$_p"; echo $? >"$TRASH/serve.st"
}
at_exit 'kill $(cat "$TRASH/serve.pid" 2>/dev/null) 2>/dev/null'
export BANGER_LIBEXECDIR="$X"

test_expect_success 'without a listening socket from systemd: usage, exit 100' '
	must_fail 100 "$X/serve" "$X/dispatch" 2>err &&
	grep -q "LISTEN_PID/LISTEN_FDS" err &&
	LISTEN_PID=$$ LISTEN_FDS=1 must_fail 100 "$X/serve" "$X/dispatch" 2>err
'
test_expect_success 'a relative PROG: usage, exit 100' '
	must_fail 100 "$X/serve" dispatch 2>err
'
test_expect_success 'serve answers 50 requests in a row, each through dispatch' '
	start -t 30 &&
	"$B/bench/latency" sock 50 "$SOCK" >lat.out &&
	kill -0 $(cat serve.pid)
'
test_expect_success 'SIGTERM with a request in flight: it is answered, then serve exits 0' '
	kill $(cat serve.pid) && start -t 30 &&
	{ perl -MIO::Socket::UNIX -e '"'"'
		my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!";
		open(my $f, ">", $ARGV[2]) or die; close $f;
		sleep 1 until -e $ARGV[3];
		print $s "vm-list\n{}\n"; shutdown($s, 1);
		open(my $o, ">", $ARGV[1]) or die; print $o $_ while <$s>;'"'"' \
	    "$SOCK" "$TRASH/inflight.out" "$TRASH/connected" "$TRASH/termed" & } &&
	c=$! &&
	i=0 && while [ -z "$(pgrep -P $(cat serve.pid))" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done &&
	pgrep -P $(cat serve.pid) >/dev/null &&
	kill -TERM $(cat serve.pid) &&
	kill -0 $(cat serve.pid) &&
	touch termed &&
	wait $c &&
	grep -q "^{\"ok\":true" inflight.out &&
	gone 10 && [ "$(cat serve.st)" = 0 ]
'
test_expect_success 'idle: serve exits 0 after its idle time (-t 1) with nothing to do' '
	start -t 1 &&
	"$B/bench/latency" sock 3 "$SOCK" >/dev/null &&
	gone 10 && [ "$(cat serve.st)" = 0 ]
'
test_done
