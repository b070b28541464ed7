/*
 * vm-stop — stop a running VM: ask the guest to shut down (the driver's
 * shutdown: the ACPI power button under QEMU, Ctrl-Alt-Del under
 * Firecracker), wait, then force: the driver's quit (QMP quit), and at
 * last SIGKILL to the VMM.  A stopped VM is fine.
 *
 * Request: {"v":1,"name":NAME,"timeout_s":N (0..600, default 10)}.
 * Result: {"name","state":"stopped","was_running":bool,"forced":bool}.
 */
#include "banger.h"

static struct bg_vmh h = BG_VMH_INIT;

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	int timeout_ms = (int)bg_req_int(rq, "timeout_s") * 1000;
	bool forced, was;
	int r;

	r = bg_vm_open(bg_req_str(rq, "name"), 0, &h, err);
	if (r < 0)
		return r;
	was = bg_vm_running(&h) == 1;
	r = bg_vm_stop(&h, timeout_ms, &forced, err);
	if (r < 0)
		return r;
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "name", h.vm.name);
	cJSON_AddStringToObject(*result, "state", "stopped");
	cJSON_AddBoolToObject(*result, "was_running", was);
	cJSON_AddBoolToObject(*result, "forced", forced);
	return 0;
}

static const struct bg_field fields[] = {
	BG_F_NAME,
	{ .key = "timeout_s",
	    .type = BG_T_INT,
	    .min = 0,
	    .max = 600,
	    .def = 10 },
	{ NULL },
};

BG_VERB(.name = "vm-stop", .fields = fields, .act = act);
