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
#include <sys/stat.h>
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
		"kernel", "pulled_from", "pulled_at", "catalog", NULL };
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
	/* Where it came from: the URL it was pulled from, else its source. */
	v = cJSON_GetObjectItemCaseSensitive(m, "pulled_from");
	if (!cJSON_IsString(v))
		v = cJSON_GetObjectItemCaseSensitive(m, "source");
	if (cJSON_IsString(v)) {
		const cJSON *d =
		    cJSON_GetObjectItemCaseSensitive(m, "oci_digest");
		char origin[700];

		/* An OCI import: REF@sha256:<12 digits> (docs/oci-import.md). */
		if (cJSON_IsString(d) && strlen(d->valuestring) == 71) {
			snprintf(origin, sizeof(origin), "%.600s@%.19s",
			    v->valuestring, d->valuestring);
			cJSON_AddStringToObject(o, "origin", origin);
			cJSON_AddStringToObject(o, "digest", d->valuestring);
		} else {
			cJSON_AddStringToObject(o, "origin", v->valuestring);
		}
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

/* The VMs whose vm.json names kernel: their names, comma-separated. */
static int
kernel_users(const char *kernel, char *buf, size_t n)
{
	int vfd = bg_state_dir(BG_DIR_STATE, "vms", 0755);
	DIR *d = vfd < 0 ? NULL : fdopendir(vfd);
	struct dirent *e;
	int count = 0;

	buf[0] = '\0';
	if (d == NULL) {
		if (vfd >= 0)
			close(vfd);
		return vfd < 0 ? vfd : -errno;
	}
	while ((e = readdir(d)) != NULL) {
		char rel[PATH_MAX];
		cJSON *j = NULL;
		const char *k;

		if (!bg_name_valid(e->d_name))
			continue;
		snprintf(rel, sizeof(rel), "%s/vm.json", e->d_name);
		if (bg_json_read_file(dirfd(d), rel, MANIFEST_MAX, &j) < 0)
			continue;
		k = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(j, "kernel"));
		if (k != NULL && strcmp(k, kernel) == 0) {
			size_t l = strlen(buf);

			snprintf(buf + l, n - l, "%s%s", count ? ", " : "",
			    e->d_name);
			count++;
		}
		cJSON_Delete(j);
	}
	closedir(d);
	return count;
}

int
bg_artifact_delete_act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	const char *name = bg_req_str(rq, "name");
	bool kernel = strcmp(rq->verb->name, "kernel-delete") == 0;
	const char *kind = kernel ? "kernel" : "image";
	_cleanup_close_ int dfd = -1, g = -1;
	char gone[BG_NAME_MAX + 40], users[512];
	struct stat st;
	int r;

	dfd = bg_state_dir(BG_DIR_STATE, kernel ? "kernels" : "images", 0755);
	if (dfd < 0) {
		bg_err_set(err, "temporary",
		    "cannot open the %ss directory: %s", kind, strerror(-dfd));
		return dfd;
	}
	/*
	 * A VM boots its kernel from STATE/kernels at every start (an
	 * image is copied at create): under the global lock, so no VM is
	 * made with it meanwhile, a kernel in use stays.
	 */
	if (kernel) {
		g = bg_lock_global_err(err);
		if (g < 0)
			return g;
		r = kernel_users(name, users, sizeof(users));
		if (r > 0) {
			bg_err_set(err, "busy",
			    "kernel \"%s\" is used by %s: delete %s first "
			    "(banger vm delete NAME)",
			    name, users, r == 1 ? "that VM" : "those VMs");
			return -EBUSY;
		}
	}
	snprintf(gone, sizeof(gone), ".delete-%s-%ld", name, (long)getpid());
	/* Not ours (root installed it): refuse before anything moves, or
	 * it would leave the list but not the disk. */
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_uid != geteuid())
		r = -EPERM;
	else if (renameat2(dfd, name, dfd, gone, RENAME_NOREPLACE) < 0)
		r = -errno;
	else
		r = 0;
	if (r == -ENOENT)
		bg_err_set(err, "not_found",
		    "no %s named \"%s\": banger %s list shows the %ss", kind,
		    name, kind, kind);
	else if (r == -EACCES || r == -EPERM)
		bg_err_set(err, "permission_denied",
		    "%s \"%s\" is not yours to delete (it was installed by "
		    "root)",
		    kind, name);
	else if (r < 0)
		bg_err_set(err, "temporary", "cannot delete %s \"%s\": %s",
		    kind, name, strerror(-r));
	if (r < 0)
		return r;
	r = bg_rm_rf_at(dfd, gone);
	if (r < 0) {
		bg_err_set(err, "temporary",
		    "%s \"%s\" is gone from the list, but removing its files "
		    "failed: %s",
		    kind, name, strerror(-r));
		return r;
	}
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "name", name);
	cJSON_AddTrueToObject(*result, "deleted");
	return 0;
}
