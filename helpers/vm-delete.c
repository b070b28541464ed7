/*
 * vm-delete — delete a stopped VM and everything it has: disks, tap,
 * address, pinned host key.
 *
 * Request: {"v":1,"name":NAME,"stop":bool}.  Result:
 * {"name":NAME,"deleted":true,"was_running":bool}.  A running VM is
 * refused ("busy": the CLI's `vm delete` stops it gracefully first),
 * unless "stop" is true: then it is stopped at once, without grace
 * (`vm run --rm`: its disks go next, a shutdown would protect nothing).
 */
#include <errno.h>
#include <string.h>

#include "banger.h"

static struct bg_vmh h = BG_VMH_INIT;

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	_cleanup_close_ int g = -1;
	const char *name = bg_req_str(rq, "name");
	bool forced = false, was;
	int r;

	g = bg_lock_global_err(err);
	if (g < 0)
		return g;
	/* A VM whose vm.json is broken is deleted all the same. */
	r = bg_vm_open(name, BG_VMH_ANY, &h, err);
	if (r < 0)
		return r;
	was = bg_vm_running(&h) != 0;
	if (bg_vm_creating(&h) != 0 ||
	    (was && (!bg_req_bool(rq, "stop") || !h.loaded))) {
		bg_err_set(err, "busy",
		    "VM \"%s\" is running or being created: banger vm stop %s first",
		    name, name);
		return -EBUSY;
	}
	if (was) {
		r = bg_vm_stop(&h, 0, &forced, err);
		if (r < 0)
			return r;
	}
	r = bg_vm_destroy(name, h.loaded ? h.vm.slot : -1, err);
	if (r < 0)
		return r;
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "name", name);
	cJSON_AddBoolToObject(*result, "deleted", 1);
	cJSON_AddBoolToObject(*result, "was_running", was);
	return 0;
}

BG_VERB(.name = "vm-delete", .fields = BG_FIELDS(BG_F_NAME, BG_F_BOOL("stop")),
    .act = act);
