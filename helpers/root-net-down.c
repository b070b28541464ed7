/*
 * root-net-down — take the host side of the VM network away: banger's
 * nftables tables, the bridge br-fc, and net.ipv4.ip_forward back to
 * what it was before banger first turned it on.  Refused (busy) while
 * any of the owner's taps exists: each is a VM that would lose its
 * network.  For `banger system uninstall` and admins; root only (not in
 * the owner's access rules).
 *
 * Request: {"v":1}.  Result: {"bridge":"br-fc","removed":true}.
 *
 * Why this is safe: the request carries nothing; every name is
 * compiled in; only banger's own tables and bridge are removed, and
 * ip_forward is only ever set back to the value banger recorded in
 * root's own run directory (/run/banger-root), never to one a client
 * chose.
 */

#include "banger.h"

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	int r = bg_net_down(rq->owner_uid, err);

	if (r < 0)
		return r;
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "bridge", BG_BRIDGE);
	cJSON_AddBoolToObject(*result, "removed", true);
	return 0;
}

BG_VERB(.name = "net-down", .flags = BG_VERB_ROOT, .caps = BG_CAPS_NET,
    .act = act);
