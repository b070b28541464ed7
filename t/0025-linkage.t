#!/bin/sh
# Each root program links only what it uses (docs/architecture.md, "What
# each program links"): the dispatchers are static, and no root helper
# records a shared library beyond its short list -- libsystemd, with its
# own dozen libraries, least of all.
. "${0%/*}/lib.sh"

X=$B/libexec/banger
needed() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' '; }
only() {
	_got=$(needed "$X/$1")
	_want=$(printf '%s\n' $2 | sort | tr '\n' ' ')
	[ "$_got" = "$_want" ] && return 0
	echo "$1 links: $_got; want: $_want" >&2
	return 1
}

test_expect_success 'the dispatchers are static' '
	for p in dispatch root-dispatch; do
		test -z "$(needed "$X/$p")" && readelf -l "$X/$p" | grep -q "DYN\|EXEC" ||
			{ echo "$p: $(needed "$X/$p")"; return 1; }
	done
'
test_expect_success 'root-net-setup, root-tap-add and root-net-down: cJSON, nftables, libc' '
	only root-net-setup "libcjson.so.1 libnftables.so.1 libc.so.6" &&
	only root-net-down "libcjson.so.1 libnftables.so.1 libc.so.6" &&
	only root-tap-add "libcjson.so.1 libnftables.so.1 libc.so.6"
'
test_expect_success 'root-tap-del and root-vmm-launch: cJSON and libc alone' '
	only root-tap-del "libcjson.so.1 libc.so.6" &&
	only root-vmm-launch "libcjson.so.1 libc.so.6"
'
test_expect_success 'vmm-exec, which root starts as the owner: cJSON and libc alone' '
	only vmm-exec "libcjson.so.1 libc.so.6"
'
# libsystemd only in what a person runs by hand (status, doctor, install,
# uninstall, restart) and in root-dns-wire (sd-bus to resolved); nothing
# that runs per request, vm-start and dns-answer included.
SD_OK="system-status doctor system-install system-uninstall system-restart root-dns-wire"
test_expect_success 'libsystemd in the by-hand programs and root-dns-wire alone' '
	for p in $SD_OK; do
		needed "$X/$p" | grep -q libsystemd || { echo "$p does not link it"; return 1; }
	done &&
	for p in "$X"/*; do
		case " $SD_OK " in *" ${p##*/} "*) continue ;; esac
		! needed "$p" | grep -q libsystemd || { echo "$p"; return 1; }
	done
'
test_expect_success 'root-dns-wire: cJSON, libsystemd, libc' '
	only root-dns-wire "libcjson.so.1 libsystemd.so.0 libc.so.6"
'
test_expect_success 'dns-answer (per query burst): cJSON and libc alone' '
	only dns-answer "libcjson.so.1 libc.so.6"
'
test_done
