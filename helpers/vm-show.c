/*
 * vm-show — everything about one VM: vm.json, its state and its files.
 *
 * Request: {"v":1,"name":NAME}.  Result: the VM with "state"
 * (running, stopped, creating, broken) and "paths" (serial log, disks).
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
	struct bg_vm_paths p;
	const char *name;
	cJSON *res, *paths;
	int r, held, creating;

	PROG = "banger-vm-show";
	r = bg_helper_begin(&h, "vm-show", false);
	if (r)
		return r;
	if (bg_helper_check_keys(h.req, allowed, &err) < 0)
		return bg_helper_fail(&h, &err);
	name = bg_req_name(h.req, &err);
	if (name == NULL)
		return bg_helper_fail(&h, &err);
	r = bg_vm_load(name, &vm, &err);
	if (r == -ENOENT) {
		bg_err_set(&err, "not_found",
		    "no VM named \"%s\": banger vm list shows the VMs", name);
		return bg_helper_fail(&h, &err);
	}
	if (r < 0)
		return bg_helper_fail(&h, &err);
	bg_vm_paths(&vm, &p);
	held = bg_lock_held(p.lock);
	creating = bg_lock_held(p.create_lock);
	res = bg_vm_to_json(&vm);
	cJSON_AddStringToObject(res, "state",
	    creating == 1 ? "creating" :
	    strcmp(vm.status, "created") != 0 ? "broken" :
	    held == 1 ? "running" : held == 0 ? "stopped" : "unknown");
	paths = cJSON_AddObjectToObject(res, "paths");
	cJSON_AddStringToObject(paths, "serial_log", p.serial);
	cJSON_AddStringToObject(paths, "rootfs", p.rootfs);
	cJSON_AddStringToObject(paths, "work", p.work);
	cJSON_AddStringToObject(paths, "vmm_socket", p.sock);
	return bg_helper_ok(&h, res);
}
