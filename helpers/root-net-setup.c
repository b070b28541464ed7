/*
 * root-net-setup — the host side of the VM network, idempotently:
 * bridge br-fc with 172.16.0.1/24, up; net.ipv4.ip_forward = 1; and
 * banger's own nftables tables `inet banger`, `arp banger` and
 * `bridge banger`: NAT for the subnet and the guest network policy
 * (lib/net-nft.c, docs/network.md).
 *
 * Request: {"v":1}.  Result: {"bridge":"br-fc","address":"172.16.0.1/24"}.
 *
 * Why this is safe: the request carries nothing but "v"; every name and
 * address is compiled in.  The bridge and the tables are banger's own
 * (no other interface or table is touched), and replacing the tables in
 * one transaction cannot leave a half ruleset.  Only the installed owner
 * and root reach this helper (root-dispatch and bg_verb_main both check
 * SO_PEERCRED).
 */
#include <stdio.h>

#include "banger.h"

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	char addr[32];
	int r;

	(void)rq;
	r = bg_net_ensure(err);
	if (r < 0)
		return r;
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "bridge", BG_BRIDGE);
	snprintf(addr, sizeof(addr), "%s/%d", BG_BRIDGE_ADDR, BG_BRIDGE_PREFIX);
	cJSON_AddStringToObject(*result, "address", addr);
	return 0;
}

BG_VERB(.name = "net-setup", .flags = BG_VERB_ROOT, .caps = BG_CAPS_NET,
    .act = act);
