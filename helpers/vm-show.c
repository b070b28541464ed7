/*
 * vm-show — everything about one VM: vm.json, its state and its files.
 *
 * Request: {"v":1,"name":NAME}.  Result: the VM with "state"
 * (running, stopped, creating, broken, unknown) and "paths" (serial
 * log, disks, VMM socket).
 */
#include <limits.h>

#include "banger.h"

static struct bg_vmh h = BG_VMH_INIT;

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	static const struct {
		const char *key;
		enum bg_vm_file f;
	} shown[] = { { "serial_log", BG_VMF_SERIAL },
		{ "rootfs", BG_VMF_ROOTFS }, { "work", BG_VMF_WORK },
		{ "vmm_socket", BG_VMF_SOCK } };
	char path[PATH_MAX];
	cJSON *paths;
	size_t i;
	int r;

	r = bg_vm_open(bg_req_str(rq, "name"), 0, &h, err);
	if (r < 0)
		return r;
	*result = bg_vm_to_json(&h.vm);
	cJSON_AddStringToObject(*result, "state",
	    bg_vm_state_name(bg_vm_state(&h)));
	paths = cJSON_AddObjectToObject(*result, "paths");
	for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		if (bg_vm_path(&h, shown[i].f, path, sizeof(path)) == 0)
			cJSON_AddStringToObject(paths, shown[i].key, path);
	return 0;
}

BG_VERB(.name = "vm-show", .fields = BG_FIELDS(BG_F_NAME), .act = act);
