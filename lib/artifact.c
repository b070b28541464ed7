/*
 * artifact.c — the images or kernels in STATE/images/ or STATE/kernels/,
 * described from each one's manifest.json (the format the images/ build scripts
 * write and the catalogs will deliver): name, version, the total size
 * of its files, and "source"/"ssh" when the manifest has them.  A
 * directory whose manifest cannot be read is listed with
 * "state":"broken" and why, so nothing installed is ever hidden.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banger.h"

#define MANIFEST_MAX (64u << 10)

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static cJSON *
describe(int dfd, const char *name)
{
	static const char *const copied[] = { "version", "source", "ssh",
		NULL };
	cJSON *o = cJSON_CreateObject(), *m = NULL;
	const cJSON *files, *f, *v;
	double bytes = 0;
	char rel[PATH_MAX];
	int r;
	size_t i;

	if (o == NULL || cJSON_AddStringToObject(o, "name", name) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	snprintf(rel, sizeof(rel), "%s/manifest.json", name);
	r = bg_json_read_file(dfd, rel, MANIFEST_MAX, &m);
	if (r < 0 || !cJSON_IsObject(m)) {
		cJSON_AddStringToObject(o, "state", "broken");
		cJSON_AddStringToObject(o, "error",
		    r == -ENOENT ? "no manifest.json" :
			r >= 0 || r == -EBADMSG ?
				   "manifest.json is not a JSON object" :
				   strerror(-r));
		cJSON_Delete(m);
		return o;
	}
	cJSON_AddStringToObject(o, "state", "ready");
	for (i = 0; copied[i] != NULL; i++) {
		v = cJSON_GetObjectItemCaseSensitive(m, copied[i]);
		if (cJSON_IsString(v))
			cJSON_AddStringToObject(o, copied[i], v->valuestring);
	}
	files = cJSON_GetObjectItemCaseSensitive(m, "files");
	cJSON_ArrayForEach(f, files) {
		v = cJSON_GetObjectItemCaseSensitive(f, "size");
		if (cJSON_IsNumber(v) && v->valuedouble > 0)
			bytes += v->valuedouble;
	}
	cJSON_AddNumberToObject(o, "bytes", bytes);
	cJSON_Delete(m);
	return o;
}

int
bg_artifact_list(const char *kind, cJSON **out, struct bg_err *err)
{
	char **names = NULL, **nn;
	size_t n = 0, i;
	struct dirent *e;
	cJSON *arr;
	DIR *d;
	int dfd, r = 0;

	*out = NULL;
	dfd = bg_state_dir(BG_DIR_STATE, kind, 0755);
	if (dfd < 0) {
		bg_err_set(err, "temporary", "cannot open the %s directory: %s",
		    kind, strerror(-dfd));
		return dfd;
	}
	d = fdopendir(dfd);
	if (d == NULL) {
		r = -errno;
		close(dfd);
		bg_err_set(err, "temporary", "cannot read the %s directory: %s",
		    kind, strerror(-r));
		return r;
	}
	while ((errno = 0, e = readdir(d)) != NULL) {
		if (!bg_artifact_name_valid(e->d_name))
			continue;
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (nn == NULL || (nn[n] = strdup(e->d_name)) == NULL) {
			names = nn != NULL ? nn : names;
			r = -ENOMEM;
			break;
		}
		names = nn;
		n++;
	}
	if (r == 0 && errno != 0)
		r = -errno;
	arr = r == 0 ? cJSON_CreateArray() : NULL;
	if (r == 0 && arr == NULL)
		r = -ENOMEM;
	if (r == 0) {
		qsort(names, n, sizeof(*names), cmp_name);
		for (i = 0; i < n && r == 0; i++) {
			cJSON *o = describe(dirfd(d), names[i]);

			if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
				cJSON_Delete(o);
				r = -ENOMEM;
			}
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	if (r < 0) {
		cJSON_Delete(arr);
		bg_err_set(err, "temporary", "cannot list the %s: %s", kind,
		    strerror(-r));
		return r;
	}
	*out = arr;
	return 0;
}

int
bg_artifact_list_act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	/* image-list lists images, kernel-list kernels. */
	const char *kind =
	    strcmp(rq->verb->name, "kernel-list") == 0 ? "kernels" : "images";
	cJSON *arr;
	int r = bg_artifact_list(kind, &arr, err);

	if (r < 0)
		return r;
	*result = cJSON_CreateObject();
	if (*result == NULL || !cJSON_AddItemToObject(*result, kind, arr)) {
		cJSON_Delete(arr);
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	return 0;
}
