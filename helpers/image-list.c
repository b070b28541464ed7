/*
 * image-list — the images installed in STATE/images/, from their manifests.
 *
 * Request: {"v":1}.  Result: {"images":[{"name","state","version",
 * "bytes",...}]} sorted by name (lib/artifact.c); "state" is "ready",
 * or "broken" with "error" when the manifest cannot be read.
 */
#include <skalibs/strerr.h>

#include "banger.h"

static const char *const allowed[] = { NULL };

int
main(void)
{
	struct bg_helper h;
	struct bg_err err = { { 0 }, { 0 } };
	cJSON *res, *arr;
	int r;

	PROG = "banger-image-list";
	r = bg_helper_begin(&h, "image-list", false);
	if (r)
		return r;
	if (bg_helper_check_keys(h.req, allowed, &err) < 0 ||
	    bg_artifact_list("images", &arr, &err) < 0)
		return bg_helper_fail(&h, &err);
	res = cJSON_CreateObject();
	if (res == NULL || !cJSON_AddItemToObject(res, "images", arr)) {
		cJSON_Delete(res);
		cJSON_Delete(arr);
		bg_err_set(&err, "temporary", "out of memory");
		return bg_helper_fail(&h, &err);
	}
	return bg_helper_ok(&h, res);
}
