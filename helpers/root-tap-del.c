/*
 * root-tap-del — remove the persistent tap of one VM slot.  A tap that
 * is already gone is fine (idempotent: `vm delete` and `vm prune` may
 * both ask).
 *
 * Request: {"v":1,"index":N}, N in 2..254.  Result: {"tap":"bgtapN","removed":bool}.
 *
 * Why this is safe: the name "bgtapN" is built here from a bounded
 * integer; the device is removed only if sysfs says it is a tap owned
 * by the installed owner uid (checked before and after attaching to
 * it), so another user's bgtapN, a tun or any other kind of interface
 * carrying such a name is refused ("exists") and left alone;
 * removal goes through /dev/net/tun (TUNSETPERSIST 0), which acts on
 * tun/tap devices only.
 */

#include "banger.h"

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	char tap[16];
	bool existed = false;
	int r = bg_net_tap_del((int)bg_req_int(rq, "index"), rq->owner_uid, tap,
	    sizeof(tap), &existed, err);

	if (r < 0)
		return r;
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "tap", tap);
	cJSON_AddBoolToObject(*result, "removed", existed);
	return 0;
}

BG_VERB(.name = "tap-del", .flags = BG_VERB_ROOT,
    .fields = BG_FIELDS(BG_F_INDEX), .caps = BG_CAPS_NET, .act = act);
