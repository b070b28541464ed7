/*
 * net-setup.c — the whole host side of the VM network, idempotently:
 * bridge br-fc with 172.16.0.1/24, up; net.ipv4.ip_forward = 1; and
 * banger's own nftables table.  Run by root-net-setup and, before each
 * tap, by root-tap-add: a firewall reload that flushed the ruleset, or
 * a reboot that took the bridge, is mended by the next vm start.
 */
#include <errno.h>
#include <string.h>

#include "banger.h"

int
bg_net_ensure(struct bg_err *err)
{
	int r =
	    bg_net_bridge_ensure(BG_BRIDGE, BG_BRIDGE_ADDR, BG_BRIDGE_PREFIX);

	if (r < 0) {
		bg_err_set(err, "temporary", "cannot set up bridge %s: %s",
		    BG_BRIDGE, strerror(-r));
		return r;
	}
	r = bg_net_ip_forward();
	if (r < 0) {
		bg_err_set(err, "temporary", "cannot enable ip_forward: %s",
		    strerror(-r));
		return r;
	}
	return bg_net_nft_ensure(BG_BRIDGE, BG_SUBNET, err);
}

int
bg_net_tap_add(int index, uid_t uid, gid_t gid, char *tap, size_t n,
    struct bg_err *err)
{
	int r = bg_net_tap_name(index, tap, n);

	if (r == 0)
		r = bg_net_ensure(err);
	if (r < 0)
		return r;
	r = bg_net_tap_ensure(tap, uid, gid, BG_BRIDGE);
	if (r < 0 && !bg_net_tap_refused(tap, r, err))
		bg_err_set(err, r == -EBUSY ? "busy" : "temporary",
		    "cannot create tap %s: %s", tap, strerror(-r));
	return r;
}
