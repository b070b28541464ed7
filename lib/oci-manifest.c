/*
 * oci-manifest.c — the JSON documents of an image pull, read without
 * I/O (docs/oci-import.md):
 *
 *   - an image manifest: OCI (application/vnd.oci.image.manifest.v1+json)
 *     or Docker v2 schema 2, whose config descriptor and layers (tar,
 *     tar+gzip, tar+zstd) are what the client fetches and verifies;
 *   - an index: OCI image index or Docker manifest list, from which one
 *     platform's manifest is picked;
 *   - the image config: os, architecture, Env, WorkingDir, User,
 *     Entrypoint, Cmd, and rootfs.diff_ids.
 *
 * The media type of a manifest or index is its "mediaType" when it has
 * one, else the registry's Content-Type (umoci writes OCI manifests
 * without "mediaType"); when both name a type they must be the same.
 * A manifest that carries "manifests", or an index that carries
 * "layers" or "config", is refused: such a document reads differently
 * to different clients (the OCI spec's ambiguity, CVE-2021-41190).
 *
 * Every input is bounded (oci-manifest.h): 4 MiB of JSON, UTF-8, no
 * NUL, nested at most BG_REQ_DEPTH_MAX deep, each key once in an
 * object, digests sha256 only, sizes integers, arrays and strings
 * counted.  Strings from the registry are shown in messages only as
 * printable ASCII, cut short.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banger.h"
#include "oci-manifest.h"

#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define PLATFORM_FIELD_MAX 31

/* ---- shared ------------------------------------------------------- */

/* s (untrusted) made printable for a message: at most 64 bytes shown. */
static const char *
shown(const char *s, char *buf, size_t n)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < n && i < 64; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i] != '\0' && i >= 64 && n > i + 3) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* len bytes of JSON as one object in *out, or bad_request naming what. */
static int
load(const char *json, size_t len, const char *what, cJSON **out,
    struct bg_err *err)
{
	char *buf;
	cJSON *j;

	*out = NULL;
	if (len > BG_OCI_JSON_MAX) {
		bg_err_set(err, "bad_request",
		    "the %s is %zu bytes, more than the %u MiB banger reads",
		    what, len, BG_OCI_JSON_MAX >> 20);
		return -EFBIG;
	}
	if (json == NULL || len == 0) {
		bg_err_set(err, "bad_request", "the %s is empty", what);
		return -EINVAL;
	}
	if (memchr(json, '\0', len) != NULL ||
	    bg_json_has_nul_escape(json, len) || !bg_utf8_valid(json, len)) {
		bg_err_set(err, "bad_request",
		    "the %s is not JSON text (a NUL, or not UTF-8)", what);
		return -EINVAL;
	}
	if (bg_json_nesting(json, len) > BG_REQ_DEPTH_MAX) {
		bg_err_set(err, "bad_request",
		    "the %s is nested more than %d deep", what,
		    BG_REQ_DEPTH_MAX);
		return -EINVAL;
	}
	buf = malloc(len + 1);
	if (buf == NULL) {
		bg_err_set(err, "temporary", "out of memory reading the %s",
		    what);
		return -ENOMEM;
	}
	memcpy(buf, json, len);
	buf[len] = '\0';
	j = cJSON_ParseWithLengthOpts(buf, len + 1, NULL, 1);
	free(buf);
	if (j == NULL) {
		bg_err_set(err, "bad_request", "the %s is not valid JSON",
		    what);
		return -EINVAL;
	}
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		bg_err_set(err, "bad_request", "the %s is not a JSON object",
		    what);
		return -EINVAL;
	}
	/* cJSON keeps both of {"a":1,"a":2}: which one would count? */
	if (bg_json_has_duplicate_keys(j)) {
		cJSON_Delete(j);
		bg_err_set(err, "bad_request",
		    "the %s has a key twice in one object", what);
		return -EINVAL;
	}
	*out = j;
	return 0;
}

/* A media type or Content-Type: before any ';', trimmed, lower-case. */
static void
normalize(const char *in, char *out, size_t n)
{
	size_t i = 0, e;

	out[0] = '\0';
	if (in == NULL)
		return;
	while (*in == ' ' || *in == '\t')
		in++;
	e = strcspn(in, ";");
	while (e > 0 && (in[e - 1] == ' ' || in[e - 1] == '\t'))
		e--;
	if (e >= n)
		return; /* too long to be any we know: none */
	for (i = 0; i < e; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

enum bg_oci_kind
bg_oci_media_kind(const char *media_type)
{
	char mt[128];

	normalize(media_type, mt, sizeof(mt));
	if (strcmp(mt, BG_OCI_MT_MANIFEST) == 0 ||
	    strcmp(mt, BG_OCI_MT_DOCKER_MANIFEST) == 0)
		return BG_OCI_KIND_MANIFEST;
	if (strcmp(mt, BG_OCI_MT_INDEX) == 0 ||
	    strcmp(mt, BG_OCI_MT_DOCKER_LIST) == 0)
		return BG_OCI_KIND_INDEX;
	return BG_OCI_KIND_UNKNOWN;
}

/* A Content-Type that says nothing about which JSON document it is. */
static bool
generic_type(const char *ct)
{
	return ct[0] == '\0' || strcmp(ct, "application/json") == 0 ||
	    strcmp(ct, "application/octet-stream") == 0 ||
	    strcmp(ct, "binary/octet-stream") == 0 ||
	    strcmp(ct, "text/plain") == 0;
}

/*
 * The document's media type into out (128 bytes): its "mediaType",
 * else the Content-Type's; refused when they differ or neither says.
 */
static int
media_type_of(const cJSON *j, const char *content_type, const char *what,
    char *out, struct bg_err *err)
{
	const cJSON *mt = cJSON_GetObjectItemCaseSensitive(j, "mediaType");
	char ct[128], s1[80], s2[80];

	normalize(content_type, ct, sizeof(ct));
	if (generic_type(ct))
		ct[0] = '\0';
	if (mt != NULL) {
		if (!cJSON_IsString(mt) || mt->valuestring[0] == '\0' ||
		    strlen(mt->valuestring) >= 128) {
			bg_err_set(err, "bad_request",
			    "the %s's \"mediaType\" is not a media type (a "
			    "string of 1-127 bytes)",
			    what);
			return -EINVAL;
		}
		if (ct[0] != '\0' && strcmp(ct, mt->valuestring) != 0) {
			bg_err_set(err, "bad_request",
			    "the %s says its mediaType is %s but the registry "
			    "sent it as %s: the two must agree",
			    what, shown(mt->valuestring, s1, sizeof(s1)),
			    shown(ct, s2, sizeof(s2)));
			return -EINVAL;
		}
		snprintf(out, 128, "%s", mt->valuestring);
		return 0;
	}
	if (ct[0] == '\0') {
		bg_err_set(err, "bad_request",
		    "the %s has no \"mediaType\" and the registry's "
		    "Content-Type (%s) does not name one: banger cannot tell "
		    "what it is",
		    what,
		    content_type == NULL || content_type[0] == '\0' ?
			"none" :
			shown(content_type, s1, sizeof(s1)));
		return -EINVAL;
	}
	snprintf(out, 128, "%s", ct);
	return 0;
}

enum bg_oci_kind
bg_oci_document_kind(const char *json, size_t len, const char *content_type)
{
	_cleanup_json_ cJSON *j = NULL;
	char mt[128];

	if (load(json, len, "document", &j, NULL) < 0 ||
	    media_type_of(j, content_type, "document", mt, NULL) < 0)
		return BG_OCI_KIND_UNKNOWN;
	return bg_oci_media_kind(mt);
}

static int
schema_version(const cJSON *j, const char *what, struct bg_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "schemaVersion");

	if (cJSON_IsNumber(v) && v->valuedouble == 2)
		return 0;
	if (cJSON_IsNumber(v) && v->valuedouble == 1)
		bg_err_set(err, "bad_request",
		    "the %s is Docker's schema 1, which registries no longer "
		    "serve and banger does not read: push the image again with "
		    "a current tool",
		    what);
	else
		bg_err_set(err, "bad_request",
		    "the %s's \"schemaVersion\" must be 2", what);
	return -EINVAL;
}

/* A media type as RFC 6838 spells one: printable, no blanks. */
static bool
media_type_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return i >= 3 && i < 128 && strchr(s, '/') != NULL;
}

/* "sha256:<64 lower-case hex>", or bad_request naming what and why. */
static int
digest_check(const char *d, const char *what, struct bg_err *err)
{
	const char *colon = strchr(d, ':');
	char s[80];

	if (strncmp(d, "sha256:", 7) == 0 && bg_sha256_hex_valid(d + 7))
		return 0;
	if (colon != NULL && colon != d && strncmp(d, "sha256:", 7) != 0 &&
	    colon - d <= 32)
		bg_err_set(err, "bad_request",
		    "%s: the digest %s is not sha256: banger verifies "
		    "sha256 digests only",
		    what, shown(d, s, sizeof(s)));
	else
		bg_err_set(err, "bad_request",
		    "%s: the digest \"%s\" is not sha256:<64 lower-case "
		    "hex digits>",
		    what, shown(d, s, sizeof(s)));
	return -EINVAL;
}

static const char *
size_words(uint64_t max)
{
	return max == BG_OCI_LAYER_SIZE_MAX ? "64 GiB" : "4 MiB";
}

/*
 * One descriptor {mediaType, digest, size} into out; what names it in
 * messages ("the image manifest's layer 3"); size is 1..max.
 */
static int
descriptor(const cJSON *d, const char *what, uint64_t max,
    struct bg_oci_descriptor *out, struct bg_err *err)
{
	const cJSON *mt, *dg, *sz;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(d)) {
		bg_err_set(err, "bad_request", "%s is not a JSON object", what);
		return -EINVAL;
	}
	mt = cJSON_GetObjectItemCaseSensitive(d, "mediaType");
	if (!cJSON_IsString(mt) || !media_type_ok(mt->valuestring)) {
		bg_err_set(err, "bad_request",
		    "%s: no \"mediaType\" (a media type of at most 127 "
		    "bytes)",
		    what);
		return -EINVAL;
	}
	dg = cJSON_GetObjectItemCaseSensitive(d, "digest");
	if (!cJSON_IsString(dg)) {
		bg_err_set(err, "bad_request",
		    "%s: no \"digest\" (sha256:<64 hex digits>)", what);
		return -EINVAL;
	}
	if (digest_check(dg->valuestring, what, err) < 0)
		return -EINVAL;
	sz = cJSON_GetObjectItemCaseSensitive(d, "size");
	/* In range first: only then is the cast to uint64_t defined. */
	if (!cJSON_IsNumber(sz) || !(sz->valuedouble >= 1) ||
	    sz->valuedouble > (double)max ||
	    sz->valuedouble != (double)(uint64_t)sz->valuedouble) {
		bg_err_set(err, "bad_request",
		    "%s: \"size\" must be an integer from 1 byte to %s", what,
		    size_words(max));
		return -EINVAL;
	}
	snprintf(out->media_type, sizeof(out->media_type), "%s",
	    mt->valuestring);
	snprintf(out->digest, sizeof(out->digest), "%s", dg->valuestring);
	out->size = (uint64_t)sz->valuedouble;
	return 0;
}

/* ---- manifests ---------------------------------------------------- */

static const struct {
	const char *type;
	enum bg_oci_compression comp;
} layer_types[] = {
	{ "application/vnd.oci.image.layer.v1.tar", BG_OCI_COMP_NONE },
	{ "application/vnd.oci.image.layer.v1.tar+gzip", BG_OCI_COMP_GZIP },
	{ "application/vnd.oci.image.layer.v1.tar+zstd", BG_OCI_COMP_ZSTD },
	{ "application/vnd.docker.image.rootfs.diff.tar.gzip",
	    BG_OCI_COMP_GZIP },
};

static int
layer_type(struct bg_oci_descriptor *l, size_t i, struct bg_err *err)
{
	const char *t = l->media_type;
	char s[80];
	size_t k;

	for (k = 0; k < sizeof(layer_types) / sizeof(layer_types[0]); k++)
		if (strcmp(t, layer_types[k].type) == 0) {
			l->compression = layer_types[k].comp;
			return 0;
		}
	shown(t, s, sizeof(s));
	if (strstr(t, "+encrypted") != NULL)
		bg_err_set(err, "bad_request",
		    "layer %zu of the image manifest is encrypted (%s): banger "
		    "pulls unencrypted images only",
		    i + 1, s);
	else if (strstr(t, "nondistributable") != NULL ||
	    strstr(t, "foreign") != NULL)
		bg_err_set(err, "bad_request",
		    "layer %zu of the image manifest is a foreign "
		    "(non-distributable) layer (%s), fetched from elsewhere "
		    "than the registry: banger does not pull such images "
		    "(Windows base layers are)",
		    i + 1, s);
	else
		bg_err_set(err, "bad_request",
		    "layer %zu of the image manifest has media type %s, which "
		    "is not a container filesystem layer banger knows (tar, "
		    "tar+gzip, tar+zstd)",
		    i + 1, s);
	return -EINVAL;
}

int
bg_oci_manifest_parse(const char *json, size_t len, const char *content_type,
    struct bg_oci_manifest *m, struct bg_err *err)
{
	static const char what[] = "image manifest";
	_cleanup_json_ cJSON *j = NULL;
	const cJSON *cfg, *layers, *l;
	char mt[128], s[80], name[64];
	enum bg_oci_kind kind;
	size_t n;
	int r;

	memset(m, 0, sizeof(*m));
	r = load(json, len, what, &j, err);
	if (r < 0)
		return r;
	if (schema_version(j, what, err) < 0 ||
	    media_type_of(j, content_type, what, mt, err) < 0)
		return -EINVAL;
	kind = bg_oci_media_kind(mt);
	if (kind == BG_OCI_KIND_INDEX) {
		bg_err_set(err, "bad_request",
		    "the document is an image index (%s), not an image "
		    "manifest: pick a platform's manifest from it first",
		    mt);
		return -EINVAL;
	}
	if (kind != BG_OCI_KIND_MANIFEST) {
		bg_err_set(err, "bad_request",
		    "the manifest is of type %s, which banger cannot pull: it "
		    "reads OCI image manifests and Docker v2 schema 2 ones",
		    shown(mt, s, sizeof(s)));
		return -EINVAL;
	}
	snprintf(m->media_type, sizeof(m->media_type), "%s", mt);
	if (cJSON_GetObjectItemCaseSensitive(j, "manifests") != NULL) {
		bg_err_set(err, "bad_request",
		    "the image manifest also has \"manifests\", as an index "
		    "would: refused as ambiguous");
		return -EINVAL;
	}

	cfg = cJSON_GetObjectItemCaseSensitive(j, "config");
	if (cfg == NULL) {
		bg_err_set(err, "bad_request",
		    "the image manifest has no \"config\"");
		return -EINVAL;
	}
	if (descriptor(cfg, "the config descriptor of the image manifest",
		BG_OCI_JSON_MAX, &m->config, err) < 0)
		return -EINVAL;
	if (strcmp(m->config.media_type, MT_OCI_CONFIG) != 0 &&
	    strcmp(m->config.media_type, MT_DOCKER_CONFIG) != 0) {
		bg_err_set(err, "bad_request",
		    "the manifest's config is of type %s: this is not a "
		    "container image but another kind of artifact (a "
		    "signature, an SBOM, a chart...)",
		    shown(m->config.media_type, s, sizeof(s)));
		return -EINVAL;
	}

	layers = cJSON_GetObjectItemCaseSensitive(j, "layers");
	if (!cJSON_IsArray(layers)) {
		bg_err_set(err, "bad_request",
		    "the image manifest has no \"layers\" array");
		return -EINVAL;
	}
	n = (size_t)cJSON_GetArraySize(layers);
	if (n == 0) {
		bg_err_set(err, "bad_request",
		    "the image manifest has no layers: nothing to boot");
		return -EINVAL;
	}
	if (n > BG_OCI_LAYERS_MAX) {
		bg_err_set(err, "bad_request",
		    "the image has %zu layers, more than the %d banger pulls",
		    n, BG_OCI_LAYERS_MAX);
		return -E2BIG;
	}
	n = 0;
	cJSON_ArrayForEach(l, layers) {
		struct bg_oci_descriptor *d = &m->layers[n];

		snprintf(name, sizeof(name), "layer %zu of the image manifest",
		    n + 1);
		if (descriptor(l, name, BG_OCI_LAYER_SIZE_MAX, d, err) < 0 ||
		    layer_type(d, n, err) < 0)
			return -EINVAL;
		m->layers_size += d->size;
		if (m->layers_size > BG_OCI_LAYERS_TOTAL_MAX) {
			bg_err_set(err, "bad_request",
			    "the image's layers add up to more than %llu GiB",
			    (unsigned long long)(BG_OCI_LAYERS_TOTAL_MAX >>
				30));
			return -EFBIG;
		}
		n++;
	}
	m->n_layers = n;
	return 0;
}

/* ---- indexes ------------------------------------------------------ */

/* A platform field: a string of 1..31 bytes, or absent (optional). */
static int
platform_field(const cJSON *p, const char *key, bool need, char *out,
    const char *what, struct bg_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, key);

	out[0] = '\0';
	if (v == NULL && !need)
		return 0;
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0' ||
	    strlen(v->valuestring) > PLATFORM_FIELD_MAX) {
		bg_err_set(err, "bad_request",
		    "%s: the platform needs \"%s\" (a string of 1-%d bytes)",
		    what, key, PLATFORM_FIELD_MAX);
		return -EINVAL;
	}
	memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

/* Append "os/arch[/variant]" (shown) to the list in buf, once. */
static void
list_add(char *buf, size_t n, size_t *count, const char *os, const char *arch,
    const char *variant)
{
	char a[40], b[40], c[40], item[130], *p;
	size_t len = strlen(buf), il;

	snprintf(item, sizeof(item), "%s/%s%s%s", shown(os, a, sizeof(a)),
	    shown(arch, b, sizeof(b)), variant[0] ? "/" : "",
	    shown(variant, c, sizeof(c)));
	il = strlen(item);
	for (p = strstr(buf, item); p != NULL; p = strstr(p + 1, item))
		if ((p == buf || p[-1] == ' ') &&
		    (p[il] == ',' || p[il] == '\0'))
			return;
	if (*count == 0)
		snprintf(buf, n, "%s", item);
	else if (len + il + 2 + 5 < n)
		snprintf(buf + len, n - len, ", %s", item);
	else if (len + 5 < n && strcmp(buf + len - 3, "...") != 0)
		snprintf(buf + len, n - len, ", ...");
	(*count)++;
}

int
bg_oci_index_pick(const char *json, size_t len, const char *content_type,
    const char *os, const char *arch, struct bg_oci_descriptor *out,
    struct bg_err *err)
{
	static const char what[] = "image index";
	_cleanup_json_ cJSON *j = NULL;
	const cJSON *list, *e, *p;
	struct bg_oci_descriptor d;
	char mt[128], s[80], name[64], have[512] = "";
	char eos[PLATFORM_FIELD_MAX + 1], earch[PLATFORM_FIELD_MAX + 1],
	    evar[PLATFORM_FIELD_MAX + 1];
	size_t n, i = 0, count = 0;
	bool found = false;
	int r;

	memset(out, 0, sizeof(*out));
	if (os == NULL || arch == NULL) {
		bg_err_set(err, "internal",
		    "no platform to pick from an index");
		return -EINVAL;
	}
	r = load(json, len, what, &j, err);
	if (r < 0)
		return r;
	if (schema_version(j, what, err) < 0 ||
	    media_type_of(j, content_type, what, mt, err) < 0)
		return -EINVAL;
	switch (bg_oci_media_kind(mt)) {
	case BG_OCI_KIND_INDEX:
		break;
	case BG_OCI_KIND_MANIFEST:
		bg_err_set(err, "bad_request",
		    "the document is an image manifest (%s), not an index", mt);
		return -EINVAL;
	default:
		bg_err_set(err, "bad_request",
		    "the index is of type %s, which banger cannot read: it "
		    "reads OCI image indexes and Docker manifest lists",
		    shown(mt, s, sizeof(s)));
		return -EINVAL;
	}
	if (cJSON_GetObjectItemCaseSensitive(j, "layers") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(j, "config") != NULL) {
		bg_err_set(err, "bad_request",
		    "the image index also has \"layers\" or \"config\", as a "
		    "manifest would: refused as ambiguous");
		return -EINVAL;
	}
	list = cJSON_GetObjectItemCaseSensitive(j, "manifests");
	if (!cJSON_IsArray(list)) {
		bg_err_set(err, "bad_request",
		    "the image index has no \"manifests\" array");
		return -EINVAL;
	}
	n = (size_t)cJSON_GetArraySize(list);
	if (n == 0) {
		bg_err_set(err, "bad_request",
		    "the image index lists no manifests");
		return -EINVAL;
	}
	if (n > BG_OCI_INDEX_MAX) {
		bg_err_set(err, "bad_request",
		    "the image index has %zu entries, more than the %d banger "
		    "reads",
		    n, BG_OCI_INDEX_MAX);
		return -E2BIG;
	}
	/* Every entry checked, then the first match is the answer. */
	cJSON_ArrayForEach(e, list) {
		snprintf(name, sizeof(name), "entry %zu of the image index",
		    ++i);
		if (descriptor(e, name, BG_OCI_JSON_MAX, &d, err) < 0)
			return -EINVAL;
		p = cJSON_GetObjectItemCaseSensitive(e, "platform");
		if (p == NULL)
			continue; /* no platform: not a candidate */
		if (!cJSON_IsObject(p)) {
			bg_err_set(err, "bad_request",
			    "%s: \"platform\" is not a JSON object", name);
			return -EINVAL;
		}
		if (platform_field(p, "os", true, eos, name, err) < 0 ||
		    platform_field(p, "architecture", true, earch, name, err) <
			0 ||
		    platform_field(p, "variant", false, evar, name, err) < 0)
			return -EINVAL;
		/* BuildKit's attestations: not an image of any platform. */
		if (strcmp(eos, "unknown") == 0 &&
		    strcmp(earch, "unknown") == 0)
			continue;
		if (bg_oci_media_kind(d.media_type) != BG_OCI_KIND_MANIFEST)
			continue;
		list_add(have, sizeof(have), &count, eos, earch, evar);
		if (!found && strcmp(eos, os) == 0 &&
		    strcmp(earch, arch) == 0) {
			*out = d;
			found = true;
		}
	}
	if (!found) {
		char a[40], b[40];

		bg_err_set(err, "not_found",
		    "no %s/%s image in this index; %s%s",
		    shown(os, a, sizeof(a)), shown(arch, b, sizeof(b)),
		    count ? "it has: " : "it lists no platform's image", have);
		return -ENOENT;
	}
	return 0;
}

/* ---- image config ------------------------------------------------- */

void
bg_oci_config_free(struct bg_oci_config *c)
{
	size_t i;

	for (i = 0; i < c->n_env; i++)
		free(c->env[i]);
	for (i = 0; i < c->n_entrypoint; i++)
		free(c->entrypoint[i]);
	for (i = 0; i < c->n_cmd; i++)
		free(c->cmd[i]);
	free(c->env);
	free(c->entrypoint);
	free(c->cmd);
	free(c->user);
	free(c->working_dir);
	free(c->diff_ids);
	memset(c, 0, sizeof(*c));
}

static int
oom(struct bg_err *err)
{
	bg_err_set(err, "temporary", "out of memory reading the image config");
	return -ENOMEM;
}

/* config.KEY: absent, null or a string of at most max bytes ("" is none). */
static int
config_string(const cJSON *cfg, const char *key, size_t max, char **out,
    struct bg_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);

	*out = NULL;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) || strlen(v->valuestring) > max) {
		bg_err_set(err, "bad_request",
		    "the image config's config.%s must be a string of at most "
		    "%zu bytes",
		    key, max);
		return -EINVAL;
	}
	if (v->valuestring[0] == '\0')
		return 0;
	*out = strdup(v->valuestring);
	return *out == NULL ? oom(err) : 0;
}

/* config.KEY: absent, null or an array of at most max_n strings. */
static int
config_strings(const cJSON *cfg, const char *key, size_t max_n, size_t max_len,
    bool env, char ***out, size_t *n, struct bg_err *err)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(cfg, key), *v;
	size_t count;
	char s[80], *dup;

	*out = NULL;
	*n = 0;
	if (a == NULL || cJSON_IsNull(a))
		return 0;
	if (!cJSON_IsArray(a)) {
		bg_err_set(err, "bad_request",
		    "the image config's config.%s must be an array of strings",
		    key);
		return -EINVAL;
	}
	count = (size_t)cJSON_GetArraySize(a);
	if (count > max_n) {
		bg_err_set(err, "bad_request",
		    "the image config's config.%s has %zu entries, more than "
		    "%zu",
		    key, count, max_n);
		return -E2BIG;
	}
	if (count == 0)
		return 0;
	*out = calloc(count, sizeof(**out));
	if (*out == NULL)
		return oom(err);
	cJSON_ArrayForEach(v, a) {
		if (!cJSON_IsString(v) || strlen(v->valuestring) > max_len) {
			bg_err_set(err, "bad_request",
			    "the image config's config.%s[%zu] must be a "
			    "string of at most %zu bytes",
			    key, *n, max_len);
			return -EINVAL;
		}
		if (env &&
		    (strchr(v->valuestring, '=') == NULL ||
			v->valuestring[0] == '=')) {
			bg_err_set(err, "bad_request",
			    "the image config's config.Env[%zu] is \"%s\", not "
			    "NAME=VALUE",
			    *n, shown(v->valuestring, s, sizeof(s)));
			return -EINVAL;
		}
		/* Counted in *n as stored: bg_oci_config_free frees it. */
		dup = strdup(v->valuestring);
		if (dup == NULL)
			return oom(err);
		(*out)[(*n)++] = dup;
	}
	return 0;
}

static int
config_fields(const cJSON *j, struct bg_oci_config *c, struct bg_err *err)
{
	const cJSON *cfg, *rootfs, *ids, *v;
	char s[80];
	size_t n;

	if (platform_field(j, "os", true, c->os, "the image config", err) < 0 ||
	    platform_field(j, "architecture", true, c->arch, "the image config",
		err) < 0 ||
	    platform_field(j, "variant", false, c->variant, "the image config",
		err) < 0) {
		/* platform_field speaks of an index entry's platform. */
		bg_err_set(err, "bad_request",
		    "the image config needs \"os\" and \"architecture\" (and "
		    "an optional \"variant\"), strings of 1-%d bytes",
		    PLATFORM_FIELD_MAX);
		return -EINVAL;
	}
	cfg = cJSON_GetObjectItemCaseSensitive(j, "config");
	if (cfg != NULL && !cJSON_IsNull(cfg) && !cJSON_IsObject(cfg)) {
		bg_err_set(err, "bad_request",
		    "the image config's \"config\" is not a JSON object");
		return -EINVAL;
	}
	if (config_string(cfg, "User", BG_OCI_USER_LEN_MAX, &c->user, err) <
		0 ||
	    config_string(cfg, "WorkingDir", BG_OCI_PATH_LEN_MAX,
		&c->working_dir, err) < 0 ||
	    config_strings(cfg, "Env", BG_OCI_ENV_MAX, BG_OCI_ENV_LEN_MAX, true,
		&c->env, &c->n_env, err) < 0 ||
	    config_strings(cfg, "Entrypoint", BG_OCI_ARGS_MAX,
		BG_OCI_ARG_LEN_MAX, false, &c->entrypoint, &c->n_entrypoint,
		err) < 0 ||
	    config_strings(cfg, "Cmd", BG_OCI_ARGS_MAX, BG_OCI_ARG_LEN_MAX,
		false, &c->cmd, &c->n_cmd, err) < 0)
		return -EINVAL;

	rootfs = cJSON_GetObjectItemCaseSensitive(j, "rootfs");
	v = cJSON_GetObjectItemCaseSensitive(rootfs, "type");
	ids = cJSON_GetObjectItemCaseSensitive(rootfs, "diff_ids");
	if (!cJSON_IsObject(rootfs) || !cJSON_IsString(v) ||
	    strcmp(v->valuestring, "layers") != 0 || !cJSON_IsArray(ids)) {
		bg_err_set(err, "bad_request",
		    "the image config has no \"rootfs\" of type \"layers\" "
		    "with \"diff_ids\"");
		return -EINVAL;
	}
	n = (size_t)cJSON_GetArraySize(ids);
	if (n > BG_OCI_LAYERS_MAX) {
		bg_err_set(err, "bad_request",
		    "the image config lists %zu layers, more than the %d "
		    "banger pulls",
		    n, BG_OCI_LAYERS_MAX);
		return -E2BIG;
	}
	if (n > 0) {
		c->diff_ids = calloc(n, sizeof(*c->diff_ids));
		if (c->diff_ids == NULL)
			return oom(err);
	}
	cJSON_ArrayForEach(v, ids) {
		snprintf(s, sizeof(s),
		    "rootfs.diff_ids[%zu] of the image config", c->n_diff_ids);
		if (!cJSON_IsString(v)) {
			bg_err_set(err, "bad_request", "%s is not a string", s);
			return -EINVAL;
		}
		if (digest_check(v->valuestring, s, err) < 0)
			return -EINVAL;
		snprintf(c->diff_ids[c->n_diff_ids++], sizeof(*c->diff_ids),
		    "%s", v->valuestring);
	}
	return 0;
}

int
bg_oci_config_parse(const char *json, size_t len, struct bg_oci_config *c,
    struct bg_err *err)
{
	_cleanup_json_ cJSON *j = NULL;
	int r;

	memset(c, 0, sizeof(*c));
	r = load(json, len, "image config", &j, err);
	if (r < 0)
		return r;
	r = config_fields(j, c, err);
	if (r < 0)
		bg_oci_config_free(c);
	return r;
}

int
bg_oci_config_check(const struct bg_oci_config *c,
    const struct bg_oci_manifest *m, const char *os, const char *arch,
    struct bg_err *err)
{
	char a[40], b[40];

	if (c->n_diff_ids != m->n_layers) {
		bg_err_set(err, "bad_request",
		    "the image config lists %zu layers (rootfs.diff_ids) but "
		    "the manifest has %zu: the image is inconsistent",
		    c->n_diff_ids, m->n_layers);
		return -EINVAL;
	}
	if ((os != NULL && strcmp(c->os, os) != 0) ||
	    (arch != NULL && strcmp(c->arch, arch) != 0)) {
		bg_err_set(err, "bad_request",
		    "the image is for %s/%s, not %s/%s",
		    shown(c->os, a, sizeof(a)), shown(c->arch, b, sizeof(b)),
		    os != NULL ? os : c->os, arch != NULL ? arch : c->arch);
		return -EINVAL;
	}
	return 0;
}
