/*
 * vm-list — list the VMs in STATE/vms/ with their state.
 *
 * Request: {"v":1}.  Result: {"vms":[{"name","state",...}]} sorted by
 * name.  A VM is "running" exactly while someone holds its lock
 * (RUN/vms/<name>/lock, held by the process that runs its VMM),
 * "stopped" otherwise, and "broken" when its vm.json cannot be read
 * (a crash mid-create; `vm prune` removes those), "unknown" when its
 * lock cannot be probed (with "error").  No VMs: an empty list.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/strerr.h>

#include "banger.h"

static const char *const allowed[] = { NULL };
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
	struct bg_vm vm;
	struct bg_vm_paths p;
	struct bg_err ignore;
	char clk[PATH_MAX];
	cJSON *o;
	int held, creating;
	size_t i;

	bg_path_build(clk, sizeof(clk), BG_DIR_STATE, "vms", name, "create.lock");
	creating = bg_lock_held(clk);
	if (bg_vm_load(name, &vm, &ignore) < 0) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddStringToObject(o, "state", creating == 1 ? "creating" :
		    "broken");
		return o;
	}
	bg_vm_paths(&vm, &p);
	held = bg_lock_held(p.lock);
	{
		cJSON *all = bg_vm_to_json(&vm);

		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", name);
		/*
		 * Never guess: a lock that cannot be probed is "unknown", not
		 * "stopped" (prune removes stopped VMs); a create that never
		 * finished is "broken" (or "creating" while it runs).
		 */
		cJSON_AddStringToObject(o, "state", creating == 1 ? "creating" :
		    strcmp(vm.status, "created") != 0 ? "broken" :
		    held == 1 ? "running" : held == 0 ? "stopped" : "unknown");
		if (held < 0)
			cJSON_AddStringToObject(o, "error", strerror(-held));
		for (i = 0; shown[i] != NULL; i++) {
			cJSON *f = cJSON_GetObjectItemCaseSensitive(all, shown[i]);

			if (f != NULL)
				cJSON_AddItemToObject(o, shown[i],
				    cJSON_Duplicate(f, 1));
		}
		cJSON_Delete(all);
	}
	return o;
}

int
main(void)
{
	struct bg_helper h;
	struct bg_err err = { { 0 }, { 0 } };
	char dir[PATH_MAX];
	char **names = NULL;
	size_t n = 0, i;
	cJSON *res, *arr;
	DIR *d = NULL;
	int r;

	PROG = "banger-vm-list";
	r = bg_helper_begin(&h, "vm-list", false);
	if (r)
		return r;
	if (bg_helper_check_keys(h.req, allowed, &err) < 0)
		return bg_helper_fail(&h, &err);
	res = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(res, "vms");
	r = bg_path_build(dir, sizeof(dir), BG_DIR_STATE, "vms", NULL, NULL);
	if (r >= 0) {
		d = opendir(dir);
		if (d == NULL && errno != ENOENT)
			r = -errno;
	}
	if (r < 0) {
		cJSON_Delete(res);
		bg_err_set(&err, "temporary", "cannot read %s: %s", dir,
		    strerror(-r));
		return bg_helper_fail(&h, &err);
	}
	for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
		if (!bg_name_valid(e->d_name))
			continue;
		char **nn = realloc(names, (n + 1) * sizeof(*names));
		if (nn != NULL)
			names = nn;
		if (nn == NULL || (nn[n] = strdup(e->d_name)) == NULL) {
			while (n > 0)
				free(names[--n]);
			free(names);
			closedir(d);
			cJSON_Delete(res);
			bg_err_set(&err, "temporary", "out of memory");
			return bg_helper_fail(&h, &err);
		}
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n; i++) {
		cJSON_AddItemToArray(arr, describe(names[i]));
		free(names[i]);
	}
	free(names);
	if (d != NULL)
		closedir(d);
	return bg_helper_ok(&h, res);
}
