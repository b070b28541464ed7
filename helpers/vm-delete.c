/*
 * vm-delete — delete a stopped VM and everything it has: disks, tap,
 * address, pinned host key.
 *
 * Request: {"v":1,"name":NAME}.  Result: {"name":NAME,"deleted":true}.
 * A running VM is refused ("busy"): stop it first (the CLI's
 * `vm delete` does that for you).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/strerr.h>

#include "banger.h"

static const char *const allowed[] = { "name", NULL };

int
main(void)
{
	struct bg_helper h;
	struct bg_err err = { { 0 }, { 0 } };
	struct bg_vm vm;
	char lock[PATH_MAX], clock_path[PATH_MAX];
	const char *name;
	cJSON *res;
	int r, g, slot = -1;

	PROG = "banger-vm-delete";
	r = bg_helper_begin(&h, "vm-delete", false);
	if (r)
		return r;
	if (bg_helper_check_keys(h.req, allowed, &err) < 0)
		return bg_helper_fail(&h, &err);
	name = bg_req_name(h.req, &err);
	if (name == NULL)
		return bg_helper_fail(&h, &err);
	bg_path_build(lock, sizeof(lock), BG_DIR_RUN, "vms", name, "lock");
	bg_path_build(clock_path, sizeof(clock_path), BG_DIR_STATE, "vms", name,
	    "create.lock");
	g = bg_lock_global(0);
	if (g < 0) {
		bg_err_set(&err, "temporary", "cannot take the global lock: %s",
		    strerror(-g));
		return bg_helper_fail(&h, &err);
	}
	r = bg_vm_load(name, &vm, &err);
	if (r == 0)
		slot = vm.slot;
	else if (r == -ENOENT && bg_lock_held(clock_path) == 0) {
		char dir[PATH_MAX];

		bg_path_build(dir, sizeof(dir), BG_DIR_STATE, "vms", name, NULL);
		if (access(dir, F_OK) < 0) {
			close(g);
			bg_err_set(&err, "not_found",
			    "no VM named \"%s\": banger vm list shows the VMs", name);
			return bg_helper_fail(&h, &err);
		}
	}
	if (bg_lock_held(lock) != 0 || bg_lock_held(clock_path) != 0) {
		close(g);
		bg_err_set(&err, "busy",
		    "VM \"%s\" is running or being created: banger vm stop %s first",
		    name, name);
		return bg_helper_fail(&h, &err);
	}
	r = bg_vm_destroy(name, slot, &err);
	close(g);
	if (r < 0)
		return bg_helper_fail(&h, &err);
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "name", name);
	cJSON_AddBoolToObject(res, "deleted", 1);
	return bg_helper_ok(&h, res);
}
