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
#include <errno.h>
#include <string.h>

#include <linux/capability.h>

#include "banger.h"

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	char tap[16];
	bool existed;
	int r;

	r = bg_net_tap_name((int)bg_req_int(rq, "index"), tap, sizeof(tap));
	if (r < 0)
		return r;
	existed = bg_net_link_exists(tap);
	r = bg_net_tap_delete(tap);
	if (r < 0) {
		bg_err_set(err, r == -EBUSY ? "busy" : "temporary",
		    "cannot remove tap %s: %s", tap, strerror(-r));
		return r;
	}
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "tap", tap);
	cJSON_AddBoolToObject(*result, "removed", existed);
	return 0;
}

static const struct bg_field fields[] = { BG_F_INDEX, { NULL } };

static const struct bg_verb verb = {
	.name = "tap-del",
	.flags = BG_VERB_ROOT,
	.fields = fields,
	.caps = BG_CAP(CAP_NET_ADMIN),
	.act = act,
};

int
main(void)
{
	return bg_verb_main(&verb);
}
