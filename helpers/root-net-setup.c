/*
 * root-net-setup — the host side of the VM network, idempotently:
 * bridge br-fc with 172.16.0.1/24, up; net.ipv4.ip_forward = 1; and
 * banger's own nftables table `ip banger` (masquerade for the subnet,
 * forward accept from the bridge and for replies to it).
 *
 * Request: {"v":1}.  Result: {"bridge":"br-fc","address":"172.16.0.1/24"}.
 *
 * Why this is safe: the request carries nothing but "v"; every name and
 * address is compiled in.  The bridge and the table are banger's own
 * (no other interface or table is touched), and replacing the table in
 * one transaction cannot leave a half ruleset.  Only the installed owner
 * and root reach this helper (root-dispatch and bg_helper_begin both
 * check SO_PEERCRED).
 */
#include <stdio.h>
#include <string.h>

#include <skalibs/strerr.h>

#include "banger.h"

static const char *const allowed[] = { NULL };

int
main(void)
{
	struct bg_helper h;
	struct bg_err err = { { 0 }, { 0 } };
	char addr[32];
	cJSON *res;
	int r;

	PROG = "banger-root-net-setup";
	r = bg_helper_begin(&h, "net-setup", true);
	if (r)
		return r;
	if (bg_helper_check_keys(h.req, allowed, &err) < 0)
		return bg_helper_fail(&h, &err);
	r = bg_net_bridge_ensure(BG_BRIDGE, BG_BRIDGE_ADDR, BG_BRIDGE_PREFIX);
	if (r < 0) {
		bg_err_set(&err, "temporary", "cannot set up bridge %s: %s",
		    BG_BRIDGE, strerror(-r));
		return bg_helper_fail(&h, &err);
	}
	r = bg_net_ip_forward();
	if (r < 0) {
		bg_err_set(&err, "temporary", "cannot enable ip_forward: %s",
		    strerror(-r));
		return bg_helper_fail(&h, &err);
	}
	if (bg_net_nft_ensure(BG_BRIDGE, BG_SUBNET, &err) < 0)
		return bg_helper_fail(&h, &err);
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "bridge", BG_BRIDGE);
	snprintf(addr, sizeof(addr), "%s/%d", BG_BRIDGE_ADDR, BG_BRIDGE_PREFIX);
	cJSON_AddStringToObject(res, "address", addr);
	return bg_helper_ok(&h, res);
}
