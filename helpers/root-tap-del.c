/*
 * root-tap-del — remove the persistent tap of one VM slot.  A tap that
 * is already gone is fine (idempotent: `vm delete` and `vm prune` may
 * both ask).
 *
 * Request: {"v":1,"index":N}, N in 2..254.  Result: {"tap":"bgtapN","removed":bool}.
 *
 * Why this is safe: the name "bgtapN" is built here from a bounded
 * integer, so only banger's taps can be removed; removal goes through
 * /dev/net/tun (TUNSETIFF on a name only attaches to a tun/tap device,
 * it fails on any other kind of interface), so a bridge or a NIC that
 * happened to carry such a name could not be deleted.
 */
#include <linux/capability.h>

#include "banger.h"

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	char tap[16];
	bool existed = false;
	int r = bg_net_tap_del((int)bg_req_int(rq, "index"), tap, sizeof(tap),
	    &existed, err);

	if (r < 0)
		return r;
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "tap", tap);
	cJSON_AddBoolToObject(*result, "removed", existed);
	return 0;
}

BG_VERB(.name = "tap-del", .flags = BG_VERB_ROOT,
    .fields = BG_FIELDS(BG_F_INDEX), .caps = BG_CAP(CAP_NET_ADMIN), .act = act);
