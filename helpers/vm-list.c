/*
 * vm-list — list the VMs in STATE/vms/ with their state.
 *
 * Request: {"v":1}.  Result: {"vms":[{"name","state",...}]} sorted by
 * name.  A VM is "running" exactly while someone holds its lock
 * (RUN/vms/<name>/lock, held by the process that runs its VMM),
 * "stopped" otherwise, "creating" while its create runs, "broken" when
 * its vm.json cannot be read (a crash mid-create; `vm prune` removes
 * those), "unknown" when its lock cannot be probed.  No VMs: an empty
 * list.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banger.h"

/* Fields of vm.json worth a line in the listing. */
static const char *const shown[] = { "ip", "image", "kernel", "vcpu",
	"memory_mib", "disk_bytes", "created_at", NULL };

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static cJSON *
describe(const char *name)
{
	struct bg_vmh h;
	struct bg_err ignore;
	enum bg_vm_state st;
	cJSON *o = cJSON_CreateObject(), *all;
	size_t i;

	cJSON_AddStringToObject(o, "name", name);
	if (bg_vm_open(name, BG_VMH_ANY, &h, &ignore) < 0) {
		cJSON_AddStringToObject(o, "state", "broken");
		return o;
	}
	st = bg_vm_state(&h);
	cJSON_AddStringToObject(o, "state", bg_vm_state_name(st));
	if (st == BG_VM_UNKNOWN)
		cJSON_AddStringToObject(o, "error",
		    strerror(-bg_vm_running(&h)));
	all = h.loaded ? bg_vm_to_json(&h.vm) : NULL;
	for (i = 0; all != NULL && shown[i] != NULL; i++) {
		cJSON *f = cJSON_GetObjectItemCaseSensitive(all, shown[i]);

		if (f != NULL)
			cJSON_AddItemToObject(o, shown[i],
			    cJSON_Duplicate(f, 1));
	}
	cJSON_Delete(all);
	bg_vm_close(&h);
	return o;
}

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	_cleanup_free_ char **names = NULL;
	size_t n = 0, i;
	char dir[PATH_MAX];
	struct dirent *e;
	cJSON *arr;
	DIR *d = NULL;
	int r;

	(void)rq;
	r = bg_path_build(dir, sizeof(dir), BG_DIR_STATE, "vms", NULL, NULL);
	if (r == 0 && (d = opendir(dir)) == NULL && errno != ENOENT)
		r = -errno;
	if (r < 0) {
		bg_err_set(err, "temporary", "cannot read the VM directory: %s",
		    strerror(-r));
		return r;
	}
	/* No VM directory yet: no VMs. */
	while (d != NULL && (e = readdir(d)) != NULL) {
		char **nn;

		if (!bg_name_valid(e->d_name))
			continue;
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (nn != NULL)
			names = nn;
		if (nn == NULL || (nn[n] = strdup(e->d_name)) == NULL) {
			while (n > 0)
				free(names[--n]);
			if (d != NULL)
				closedir(d);
			bg_err_set(err, "temporary", "out of memory");
			return -ENOMEM;
		}
		n++;
	}
	if (d != NULL)
		closedir(d);
	qsort(names, n, sizeof(*names), cmp_name);
	*result = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(*result, "vms");
	for (i = 0; i < n; i++) {
		cJSON_AddItemToArray(arr, describe(names[i]));
		free(names[i]);
	}
	return 0;
}

BG_VERB(.name = "vm-list", .act = act);
