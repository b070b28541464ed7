/*
 * net-setup.c — the whole host side of the VM network, idempotently:
 * bridge br-fc with 172.16.0.1/24, up; net.ipv4.ip_forward = 1 (the
 * value found first kept, to be restored); and banger's own nftables
 * tables, from the admin's policy (ETC/network.toml) and the host's
 * upstream DNS servers.  Run by root-net-setup and, before each tap, by
 * root-tap-add: a firewall reload that flushed the ruleset, a reboot
 * that took the bridge, or a changed policy or resolv.conf, is mended
 * by the next vm start.  And the way back: bg_net_down.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "banger.h"

int
bg_net_ensure(struct bg_err *err)
{
	struct bg_net_policy p;
	char dns[128];
	int r = bg_net_policy_load(&p, err);

	if (r < 0)
		return r;
	bg_host_dns(dns, sizeof(dns));
	r = bg_net_bridge_ensure(BG_BRIDGE, BG_BRIDGE_ADDR, BG_BRIDGE_PREFIX);
	if (r < 0) {
		bg_err_set(err, "temporary", "cannot set up bridge %s: %s",
		    BG_BRIDGE, strerror(-r));
		return r;
	}
	/* The policy before forwarding: never a moment of forwarding without it. */
	r = bg_net_nft_ensure(&p, dns, err);
	if (r < 0)
		return r;
	r = bg_net_ip_forward();
	if (r < 0)
		bg_err_set(err, "temporary",
		    "cannot enable ip_forward (or keep its old value in "
		    "/run/banger-root): %s",
		    strerror(-r));
	return r;
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

int
bg_net_down(uid_t owner, struct bg_err *err)
{
	char tap[16], left[256] = "";
	size_t o = 0;
	int i, r;

	/* The owner's taps first: each is a VM that would lose its network. */
	for (i = BG_NET_INDEX_MIN; i <= BG_NET_INDEX_MAX; i++)
		if (bg_net_tap_name(i, tap, sizeof(tap)) == 0 &&
		    bg_net_tap_mine(tap, owner) == 0 && o < sizeof(left) - 20)
			o += (size_t)snprintf(left + o, sizeof(left) - o,
			    "%s%s", o ? " " : "", tap);
	if (o > 0) {
		bg_err_set(err, "busy",
		    "the VM network is in use (taps: %s): stop and delete "
		    "the VMs first (banger vm prune removes stopped ones)",
		    left);
		return -EBUSY;
	}
	r = bg_net_nft_remove(err);
	if (r < 0)
		return r;
	r = bg_net_bridge_delete(BG_BRIDGE);
	if (r < 0) {
		bg_err_set(err, "temporary", "cannot remove bridge %s: %s",
		    BG_BRIDGE, strerror(-r));
		return r;
	}
	r = bg_net_ip_forward_restore();
	if (r < 0)
		bg_err_set(err, "temporary", "cannot restore ip_forward: %s",
		    strerror(-r));
	return r;
}
