/*
 * catalog.c — where images and kernels are pulled from
 * (docs/image-catalog.md): name → bundle URL, sha256, size, and for an
 * image the kernel it boots with.
 *
 * Three layers, later ones replacing an entry of the same kind and
 * name: the catalog compiled in (conf/catalog.json), the file that
 * catalog_file names in config.toml, and the config's [[catalog]]
 * entries.  Every entry is checked here, and a bad one names where it
 * came from.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banger.h"

#define CATALOG_FILE_MAX (1u << 20)
#define CATALOG_ENTRIES_MAX 1024

/* One entry (a JSON object) into e; bad_config naming origin. */
static int
entry(const cJSON *o, const char *kind, const char *origin,
    struct bg_catalog_entry *e, struct bg_err *err)
{
	const cJSON *v;
	const char *name;

	memset(e, 0, sizeof(*e));
	snprintf(e->kind, sizeof(e->kind), "%s", kind);
	snprintf(e->origin, sizeof(e->origin), "%s", origin);
	v = cJSON_GetObjectItemCaseSensitive(o, "name");
	name = cJSON_GetStringValue(v);
	if (name == NULL || !bg_artifact_name_valid(name)) {
		bg_err_set(err, "bad_config",
		    "%s: a catalog %s entry needs \"name\": %s", origin, kind,
		    BG_ARTIFACT_WHAT);
		return -EINVAL;
	}
	snprintf(e->name, sizeof(e->name), "%s", name);
	v = cJSON_GetObjectItemCaseSensitive(o, "url");
	if (!cJSON_IsString(v) || strncmp(v->valuestring, "https://", 8) != 0 ||
	    strlen(v->valuestring) >= sizeof(e->url) ||
	    strlen(v->valuestring) <= 8) {
		bg_err_set(err, "bad_config",
		    "%s: catalog entry %s needs \"url\": an https:// URL "
		    "(banger pulls over https only)",
		    origin, name);
		return -EINVAL;
	}
	snprintf(e->url, sizeof(e->url), "%s", v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(o, "sha256");
	if (v != NULL && !cJSON_IsNull(v) &&
	    !(cJSON_IsString(v) &&
		(v->valuestring[0] == '\0' ||
		    bg_sha256_hex_valid(v->valuestring)))) {
		bg_err_set(err, "bad_config",
		    "%s: catalog entry %s: \"sha256\" must be the bundle's "
		    "sha256, 64 lowercase hex digits (sha256sum FILE)",
		    origin, name);
		return -EINVAL;
	}
	if (cJSON_IsString(v))
		snprintf(e->sha256, sizeof(e->sha256), "%s", v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(o, "size");
	if (v != NULL && !cJSON_IsNull(v) &&
	    !(cJSON_IsNumber(v) && v->valuedouble >= 0 &&
		v->valuedouble <= 9.0e15 &&
		v->valuedouble == (double)(uint64_t)v->valuedouble)) {
		bg_err_set(err, "bad_config",
		    "%s: catalog entry %s: \"size\" must be the bundle's "
		    "size in bytes",
		    origin, name);
		return -EINVAL;
	}
	if (cJSON_IsNumber(v))
		e->size = (uint64_t)v->valuedouble;
	/* A pull's bound: what the download may be, and its progress. */
	if (e->sha256[0] != '\0' && e->size == 0) {
		bg_err_set(err, "bad_config",
		    "%s: catalog entry %s needs \"size\", the bundle's size "
		    "in bytes (stat -c %%s FILE)",
		    origin, name);
		return -EINVAL;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "kernel");
	if (v != NULL && !cJSON_IsNull(v)) {
		if (strcmp(kind, "image") != 0 || !cJSON_IsString(v) ||
		    !bg_artifact_name_valid(v->valuestring)) {
			bg_err_set(err, "bad_config",
			    "%s: catalog entry %s: \"kernel\" is an image's "
			    "kernel, %s",
			    origin, name, BG_ARTIFACT_WHAT);
			return -EINVAL;
		}
		snprintf(e->kernel, sizeof(e->kernel), "%s", v->valuestring);
	}
	return 0;
}

/* e into cat, replacing an entry of the same kind and name. */
static int
put(struct bg_catalog *cat, const struct bg_catalog_entry *e,
    struct bg_err *err)
{
	struct bg_catalog_entry *n;
	size_t i;

	for (i = 0; i < cat->n; i++)
		if (strcmp(cat->e[i].kind, e->kind) == 0 &&
		    strcmp(cat->e[i].name, e->name) == 0) {
			cat->e[i] = *e;
			return 0;
		}
	if (cat->n >= CATALOG_ENTRIES_MAX) {
		bg_err_set(err, "bad_config",
		    "%s: more than %d catalog entries", e->origin,
		    CATALOG_ENTRIES_MAX);
		return -E2BIG;
	}
	n = realloc(cat->e, (cat->n + 1) * sizeof(*n));
	if (n == NULL) {
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	cat->e = n;
	cat->e[cat->n++] = *e;
	return 0;
}

int
bg_catalog_add_json(struct bg_catalog *cat, const char *text,
    const char *origin, struct bg_err *err)
{
	static const char *const lists[][2] = { { "images", "image" },
		{ "kernels", "kernel" } };
	_cleanup_json_ cJSON *j = cJSON_ParseWithOpts(text, NULL, 1);
	struct bg_catalog_entry *e = malloc(sizeof(*e));
	const cJSON *a, *o;
	size_t i;
	int r = 0;

	if (e == NULL) {
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	if (!cJSON_IsObject(j)) {
		bg_err_set(err, "bad_config",
		    "%s is not a JSON object (a catalog is "
		    "{\"images\":[...],\"kernels\":[...]})",
		    origin);
		free(e);
		return -EINVAL;
	}
	for (i = 0; i < 2 && r == 0; i++) {
		a = cJSON_GetObjectItemCaseSensitive(j, lists[i][0]);
		if (a != NULL && !cJSON_IsArray(a)) {
			bg_err_set(err, "bad_config",
			    "%s: \"%s\" must be an array", origin, lists[i][0]);
			r = -EINVAL;
			break;
		}
		cJSON_ArrayForEach(o, a) {
			r = entry(o, lists[i][1], origin, e, err);
			if (r == 0)
				r = put(cat, e, err);
			if (r < 0)
				break;
		}
	}
	free(e);
	return r;
}

int
bg_catalog_load(struct bg_catalog *cat, const struct bg_config *c,
    struct bg_err *err)
{
	_cleanup_free_ char *text = NULL;
	struct bg_catalog_entry *e = NULL;
	const cJSON *o, *k;
	size_t len;
	int r;

	memset(cat, 0, sizeof(*cat));
	r = bg_catalog_add_json(cat, bg_catalog_builtin, "built-in", err);
	if (r < 0 || c == NULL)
		goto out;
	if (c->catalog_file != NULL) {
		r = bg_read_file(AT_FDCWD, c->catalog_file, CATALOG_FILE_MAX,
		    &text, &len);
		if (r < 0) {
			bg_err_set(err, "bad_config",
			    "cannot read catalog_file %s: %s", c->catalog_file,
			    r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
			goto out;
		}
		r = bg_catalog_add_json(cat, text, c->catalog_file, err);
		if (r < 0)
			goto out;
	}
	if ((e = malloc(sizeof(*e))) == NULL) {
		r = -ENOMEM;
		bg_err_set(err, "temporary", "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(o, c->catalog) {
		const char *where = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(o, "where"));

		k = cJSON_GetObjectItemCaseSensitive(o, "kind");
		if (!cJSON_IsString(k) ||
		    (strcmp(k->valuestring, "image") != 0 &&
			strcmp(k->valuestring, "kernel") != 0)) {
			bg_err_set(err, "bad_config",
			    "%s: a [[catalog]] entry needs kind = \"image\" "
			    "or \"kernel\"",
			    where);
			r = -EINVAL;
			goto out;
		}
		r = entry(o, k->valuestring, where, e, err);
		if (r == 0)
			r = put(cat, e, err);
		if (r < 0)
			goto out;
	}
out:
	free(e);
	if (r < 0)
		bg_catalog_free(cat);
	return r;
}

const struct bg_catalog_entry *
bg_catalog_find(const struct bg_catalog *cat, const char *kind,
    const char *name)
{
	size_t i;

	for (i = 0; i < cat->n; i++)
		if (strcmp(cat->e[i].kind, kind) == 0 &&
		    strcmp(cat->e[i].name, name) == 0)
			return &cat->e[i];
	return NULL;
}

void
bg_catalog_free(struct bg_catalog *cat)
{
	free(cat->e);
	cat->e = NULL;
	cat->n = 0;
}
