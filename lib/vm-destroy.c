/*
 * vm-destroy.c — remove every trace of a VM that is not running: its
 * tap (through the root helper, only if it exists), its known_hosts
 * line, its run directory and its state directory.  Shared by
 * vm-delete and vm-prune.  The caller holds the global lock and has
 * checked that the VM is neither running nor being created.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "banger.h"

int
bg_vm_destroy(const char *name, int slot, struct bg_err *err)
{
	char tap[16];
	int d, r;

	if (!bg_name_valid(name)) {
		bg_err_set(err, "bad_request", "invalid VM name");
		return -EINVAL;
	}
	if (slot >= BG_NET_INDEX_MIN &&
	    bg_net_tap_name(slot, tap, sizeof(tap)) == 0 &&
	    if_nametoindex(tap) != 0) {
		r = bg_root("tap-del", NULL, slot, NULL, err);
		/* Not the owner's tap: not this VM's either; keep going. */
		if (r < 0 && strcmp(err->code, "exists") != 0)
			return r; /* keep the state: the tap would leak */
	}
	r = bg_known_hosts_update(name, "", NULL);
	if (r < 0) {
		bg_err_set(err, "temporary", "cannot update known_hosts: %s",
		    strerror(-r));
		return r;
	}
	d = bg_state_dir(BG_DIR_RUN, "vms", 0755);
	if (d >= 0) {
		bg_rm_rf_at(d, name);
		close(d);
	}
	d = bg_state_dir(BG_DIR_STATE, "vms", 0755);
	r = d < 0 ? d : bg_rm_rf_at(d, name);
	if (d >= 0)
		close(d);
	if (r < 0)
		bg_err_set(err, "temporary", "cannot remove the VM's files: %s",
		    strerror(-r));
	return r;
}
