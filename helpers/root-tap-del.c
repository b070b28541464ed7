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

#include <skalibs/strerr.h>

#include "banger.h"

static const char *const allowed[] = { "index", NULL };

int
main(void)
{
	struct bg_helper h;
	struct bg_err err = { { 0 }, { 0 } };
	int ix;
	char tap[16];
	bool existed;
	cJSON *res;
	int r;

	PROG = "banger-root-tap-del";
	r = bg_helper_begin(&h, "tap-del", true);
	if (r)
		return r;
	if (bg_helper_check_keys(h.req, allowed, &err) < 0)
		return bg_helper_fail(&h, &err);
	ix = bg_req_index(h.req, &err);
	if (ix < 0 || bg_net_tap_name(ix, tap, sizeof(tap)) < 0)
		return bg_helper_fail(&h, &err);
	existed = bg_net_link_exists(tap);
	r = bg_net_tap_delete(tap);
	if (r < 0) {
		bg_err_set(&err, r == -EBUSY ? "busy" : "temporary",
		    "cannot remove tap %s: %s", tap, strerror(-r));
		return bg_helper_fail(&h, &err);
	}
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "tap", tap);
	cJSON_AddBoolToObject(res, "removed", existed);
	return bg_helper_ok(&h, res);
}
