#!/bin/sh
# dns-answer's own refusals and its pipe mode, without a network: usage
# errors (100) that name the fix, never running as root, and the inetd
# contract on stdin and stdout (docs/dns-answer.md).  The network side
# is t/3200-dns.t.
. "${0%/*}/lib.sh"

DA=$B/libexec/banger/dns-answer

test_expect_success 'usage errors exit 100 and say what is wrong' '
	must_fail 100 "$DA" -x 2>err && grep -q "usage: dns-answer" err &&
	must_fail 100 "$DA" extra 2>err && grep -q "usage: dns-answer" err &&
	must_fail 100 "$DA" -i -1 2>err && grep -q "from 0 to 86400" err &&
	must_fail 100 "$DA" -u 11 2>err && grep -q "from 12 to 1232" err &&
	must_fail 100 "$DA" -l 127.0.0.1 2>err && grep -q "not ADDR:PORT" err &&
	must_fail 100 "$DA" -l 300.1.1.1:53 2>err && grep -q "not an IPv4 address" err &&
	must_fail 100 "$DA" -l 127.0.0.1:0 2>err && grep -q "from 1 to 65535" err
'
if [ "$(id -u)" = 0 ]; then
	test_expect_success 'run as root it refuses (100), binds nothing, and says how to run it' '
		must_fail 100 strace -f -e trace=bind -o tr "$DA" -l 127.0.0.1:5398 2>err &&
		grep -q "never runs as root" err &&
		grep -q "setpriv --reuid=OWNER --regid=GROUP --clear-groups --inh-caps=+net_bind_service --ambient-caps=+net_bind_service" err &&
		! grep -q "bind(" tr &&
		must_fail 100 setpriv --reuid=65534 --regid=0 --clear-groups "$DA" -l 127.0.0.1:5398 2>err &&
		grep -q "never runs as root (uid, gid or a group 0)" err &&
		must_fail 100 setpriv --reuid=65534 --regid=65534 --groups=0 "$DA" -l 127.0.0.1:5398 2>err &&
		grep -q "never runs as root" err &&
		printf "" | must_fail 100 "$DA" 2>err && grep -q "never runs as root" err
	'
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
	test_skip 'run as root it refuses' 'needs root'
	AS=
fi
# A length-prefixed query for NAME (type A, id 0x0102, RD clear), in
# octal escapes.  The replies: NXDOMAIN with the SOA (AA), REFUSED.
frame() {
	_q='\001\002\000\000\000\001\000\000\000\000\000\000'
	for _l in $(echo "$1" | tr . " "); do
		_q="$_q$(printf '\\%03o' ${#_l})$_l"
	done
	_q="$_q\000\000\001\000\001"
	_n=$(printf "$_q" | wc -c)
	printf "$(printf '\\%03o\\%03o' $((_n / 256)) $((_n % 256)))$_q"
}
test_expect_success 'a pipe: framed queries in, framed replies out, in order; exit 0 at EOF' '
	{ frame x.vm; frame example.com; } | BANGER_ROOT="$TRASH/none" $AS "$DA" >replies &&
	od -An -tx1 -v replies | tr -s " \n" "  " >hex &&
	grep -q "^ 00 4c 01 02 84 03 00 01 00 00 00 01 00 00 01 78 02 76 6d 00 " hex &&
	grep -q "00 1d 01 02 80 05 00 01 00 00 00 00 00 00 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01 *$" hex
'
test_expect_success 'a pipe: a length that is not DNS, or a cut query, ends it with 100, nothing written' '
	printf "\000\003abc" | BANGER_ROOT="$TRASH/none" must_fail 100 $AS "$DA" >out 2>err &&
	grep -q "is not DNS" err && ! test -s out &&
	printf "\000\040abc" | BANGER_ROOT="$TRASH/none" must_fail 100 $AS "$DA" >out 2>err &&
	grep -q "cut short" err
'
test_done
