/*
 * root-tap-add — the persistent tap of one VM slot, owned by the
 * installed owner so that the owner's unprivileged VMM can open it,
 * attached to br-fc and up; and first the host network it hangs on
 * (lib/net-setup.c, what root-net-setup does), so that one request
 * readies a VM's network.  Idempotent.
 *
 * Request: {"v":1,"index":N}, N in 2..254 (the guest's last address
 * octet).  Result: {"tap":"bgtapN"}.
 *
 * Why this is safe: the request carries a small integer, never a name
 * or path; the interface name "bgtapN" is built here, so only banger's
 * own taps can be created, and they are given to the owner uid and its
 * passwd group, read from /etc/banger/install.toml and passwd (never
 * from the request).  A bgtapN that already exists is used only if it
 * is a tap owned by that uid; anyone else's is refused and left alone
 * (lib/net-link.c).  The network
 * setup touches only banger's own bridge and nftables table.
 */

#include "banger.h"

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	char tap[16];
	int r = bg_net_tap_add((int)bg_req_int(rq, "index"), rq->owner_uid,
	    rq->owner_gid, tap, sizeof(tap), err);

	if (r == 0) {
		*result = cJSON_CreateObject();
		cJSON_AddStringToObject(*result, "tap", tap);
	}
	return r;
}

BG_VERB(.name = "tap-add", .flags = BG_VERB_ROOT,
    .fields = BG_FIELDS(BG_F_INDEX), .caps = BG_CAPS_NET, .act = act);
