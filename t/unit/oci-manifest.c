/*
 * oci-manifest.c — lib/oci-manifest.c against documents shaped like
 * what registries serve (Docker Hub's indexes with attestations,
 * Docker v2 manifests, umoci's OCI manifests without "mediaType",
 * image configs), and each refusal with its reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banger.h"
#include "oci-manifest.h"
#include "tap.h"

#define H4(c) c c c c
#define H16(c) H4(c) H4(c) H4(c) H4(c)
#define DG(c) "sha256:" H16(c) H16(c) H16(c) H16(c)
#define DA DG("a")
#define DB DG("b")
#define DC DG("c")
#define DD DG("d")
#define DE DG("e")

#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

/* Docker Hub's shape: OCI index, per-arch manifests, an attestation. */
static const char hub_index[] =
    "{\n"
    "  \"manifests\": [\n"
    "    {\n"
    "      \"annotations\": {\n"
    "        \"com.docker.official-images.bashbrew.arch\": \"amd64\",\n"
    "        \"org.opencontainers.image.base.name\": \"scratch\",\n"
    "        \"org.opencontainers.image.created\": "
    "\"2024-06-12T00:00:00Z\"\n"
    "      },\n"
    "      \"digest\": \"" DA "\",\n"
    "      \"mediaType\": \"" BG_OCI_MT_MANIFEST "\",\n"
    "      \"platform\": { \"architecture\": \"amd64\", \"os\": \"linux\" "
    "},\n"
    "      \"size\": 1017\n"
    "    },\n"
    "    {\n"
    "      \"annotations\": {\n"
    "        \"vnd.docker.reference.digest\": \"" DA "\",\n"
    "        \"vnd.docker.reference.type\": \"attestation-manifest\"\n"
    "      },\n"
    "      \"digest\": \"" DB "\",\n"
    "      \"mediaType\": \"" BG_OCI_MT_MANIFEST "\",\n"
    "      \"platform\": { \"architecture\": \"unknown\", \"os\": "
    "\"unknown\" },\n"
    "      \"size\": 839\n"
    "    },\n"
    "    {\n"
    "      \"digest\": \"" DC "\",\n"
    "      \"mediaType\": \"" BG_OCI_MT_MANIFEST "\",\n"
    "      \"platform\": { \"architecture\": \"arm64\", \"os\": \"linux\", "
    "\"variant\": \"v8\" },\n"
    "      \"size\": 1018\n"
    "    }\n"
    "  ],\n"
    "  \"mediaType\": \"" BG_OCI_MT_INDEX "\",\n"
    "  \"schemaVersion\": 2\n"
    "}\n";

/* A Docker manifest list, without "mediaType": the Content-Type says. */
static const char docker_list[] =
    "{\"schemaVersion\":2,\"manifests\":["
    "{\"mediaType\":\"" BG_OCI_MT_DOCKER_MANIFEST "\",\"size\":529,"
    "\"digest\":\"" DD "\",\"platform\":{\"architecture\":\"arm64\","
    "\"os\":\"linux\",\"variant\":\"v8\"}},"
    "{\"mediaType\":\"" BG_OCI_MT_DOCKER_MANIFEST "\",\"size\":529,"
    "\"digest\":\"" DE "\",\"platform\":{\"architecture\":\"arm\","
    "\"os\":\"linux\",\"variant\":\"v7\"}},"
    "{\"mediaType\":\"" BG_OCI_MT_DOCKER_MANIFEST "\",\"size\":529,"
    "\"digest\":\"" DD "\",\"platform\":{\"architecture\":\"arm64\","
    "\"os\":\"linux\",\"variant\":\"v8\"}}]}";

/* Docker v2 schema 2, gzip layers (what `docker push` wrote for years). */
static const char docker_manifest[] =
    "{\n"
    "   \"schemaVersion\": 2,\n"
    "   \"mediaType\": \"" BG_OCI_MT_DOCKER_MANIFEST "\",\n"
    "   \"config\": {\n"
    "      \"mediaType\": \"" MT_DOCKER_CONFIG "\",\n"
    "      \"size\": 1472,\n"
    "      \"digest\": \"" DA "\"\n"
    "   },\n"
    "   \"layers\": [\n"
    "      {\n"
    "         \"mediaType\": \"" MT_DOCKER_LAYER "\",\n"
    "         \"size\": 29126484,\n"
    "         \"digest\": \"" DB "\"\n"
    "      },\n"
    "      {\n"
    "         \"mediaType\": \"" MT_DOCKER_LAYER "\",\n"
    "         \"size\": 5368709120,\n"
    "         \"digest\": \"" DC "\"\n"
    "      }\n"
    "   ]\n"
    "}";

/* umoci's: no "mediaType", uncompressed and zstd layers, annotations. */
static const char umoci_manifest[] =
    "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" MT_OCI_CONFIG "\","
    "\"digest\":\"" DA "\",\"size\":701},\"layers\":["
    "{\"mediaType\":\"" MT_OCI_LAYER "+zstd\",\"digest\":\"" DB "\","
    "\"size\":1234},"
    "{\"mediaType\":\"" MT_OCI_LAYER "\",\"digest\":\"" DC "\","
    "\"size\":10240},"
    "{\"mediaType\":\"" MT_OCI_LAYER "+gzip\",\"digest\":\"" DD "\","
    "\"size\":99}],"
    "\"annotations\":{\"org.opencontainers.image.ref.name\":\"1\"}}";

static const char image_config[] =
    "{\"architecture\":\"amd64\",\"config\":{\"Hostname\":\"\","
    "\"User\":\"app:app\",\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:"
    "/usr/sbin:/usr/bin:/sbin:/bin\",\"LANG=C.UTF-8\",\"EMPTY=\"],"
    "\"Cmd\":[\"/bin/sh\",\"-c\",\"exec app --port=8080\"],"
    "\"Entrypoint\":null,\"WorkingDir\":\"/srv/app\","
    "\"Labels\":{\"maintainer\":\"x\"},\"ExposedPorts\":{\"8080/tcp\":{}}},"
    "\"created\":\"2024-06-12T00:00:00Z\",\"history\":[{\"created_by\":"
    "\"/bin/sh -c #(nop) ADD file:abc in / \"},{\"created_by\":\"RUN x\"}],"
    "\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DD
    "\",\"" DE "\"]}}";

/* ---- helpers ---- */

static int
manifest(const char *json, const char *ct, struct bg_oci_manifest *m,
    struct bg_err *err)
{
	memset(err, 0, sizeof(*err));
	return bg_oci_manifest_parse(json, strlen(json), ct, m, err);
}

static void
manifest_bad(const char *json, const char *ct, const char *why,
    const char *label)
{
	static struct bg_oci_manifest m;
	struct bg_err err;
	int r = manifest(json, ct, &m, &err);

	if (!ok(r < 0 && strcmp(err.code, "bad_request") == 0 &&
		    strstr(err.msg, why) != NULL,
		"manifest refused: %s", label))
		printf("#   r=%d %s: %s\n#   want: %s\n", r, err.code, err.msg,
		    why);
}

static void
index_bad(const char *json, const char *ct, const char *code, const char *why,
    const char *label)
{
	struct bg_oci_descriptor d;
	struct bg_err err;
	int r;

	memset(&err, 0, sizeof(err));
	r = bg_oci_index_pick(json, strlen(json), ct, "linux", "amd64", &d,
	    &err);
	if (!ok(r < 0 && strcmp(err.code, code) == 0 &&
		    strstr(err.msg, why) != NULL,
		"index refused: %s", label))
		printf("#   r=%d %s: %s\n#   want: %s\n", r, err.code, err.msg,
		    why);
}

static void
config_bad(const char *json, const char *why, const char *label)
{
	struct bg_oci_config c;
	struct bg_err err;
	int r;

	memset(&err, 0, sizeof(err));
	r = bg_oci_config_parse(json, strlen(json), &c, &err);
	if (!ok(r < 0 && strcmp(err.code, "bad_request") == 0 &&
		    strstr(err.msg, why) != NULL && c.env == NULL &&
		    c.diff_ids == NULL,
		"config refused: %s", label))
		printf("#   r=%d %s: %s\n#   want: %s\n", r, err.code, err.msg,
		    why);
}

/* s with the first occurrence of from replaced by to (malloc'd). */
static char *
subst(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	size_t n;
	char *out;

	if (p == NULL) {
		printf("# subst: \"%s\" not found\n", from);
		abort();
	}
	n = strlen(s) - strlen(from) + strlen(to);
	out = malloc(n + 1);
	if (out == NULL)
		abort();
	snprintf(out, n + 1, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
	return out;
}

/* A manifest with n layers of size sz each (malloc'd). */
static char *
many_layers(size_t n, const char *sz)
{
	size_t cap = 512 + n * 256, i;
	char *s = malloc(cap);
	size_t len;

	if (s == NULL)
		abort();
	len = (size_t)snprintf(s, cap,
	    "{\"schemaVersion\":2,\"mediaType\":\"" BG_OCI_MT_MANIFEST
	    "\",\"config\":{\"mediaType\":\"" MT_OCI_CONFIG
	    "\",\"digest\":\"" DA "\",\"size\":2},\"layers\":[");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len,
		    "%s{\"mediaType\":\"" MT_OCI_LAYER
		    "+gzip\",\"digest\":\"" DB "\",\"size\":%s}",
		    i ? "," : "", sz);
	snprintf(s + len, cap - len, "]}");
	return s;
}

/* An index with n linux/arm64 entries (malloc'd). */
static char *
many_entries(size_t n)
{
	size_t cap = 256 + n * 256, i, len;
	char *s = malloc(cap);

	if (s == NULL)
		abort();
	len = (size_t)snprintf(s, cap,
	    "{\"schemaVersion\":2,\"mediaType\":\"" BG_OCI_MT_INDEX
	    "\",\"manifests\":[");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len,
		    "%s{\"mediaType\":\"" BG_OCI_MT_MANIFEST
		    "\",\"digest\":\"" DB "\",\"size\":500,\"platform\":"
		    "{\"os\":\"linux\",\"architecture\":\"arm64\"}}",
		    i ? "," : "");
	snprintf(s + len, cap - len, "]}");
	return s;
}

/* ---- kinds ---- */

static void
test_kinds(void)
{
	is_int(bg_oci_media_kind(BG_OCI_MT_MANIFEST), BG_OCI_KIND_MANIFEST,
	    "OCI manifest type");
	is_int(bg_oci_media_kind(BG_OCI_MT_DOCKER_MANIFEST),
	    BG_OCI_KIND_MANIFEST, "Docker v2 manifest type");
	is_int(bg_oci_media_kind(BG_OCI_MT_INDEX), BG_OCI_KIND_INDEX,
	    "OCI index type");
	is_int(bg_oci_media_kind(BG_OCI_MT_DOCKER_LIST), BG_OCI_KIND_INDEX,
	    "Docker manifest list type");
	is_int(bg_oci_media_kind(" Application/VND.oci.image.index.v1+json ; "
				 "charset=utf-8"),
	    BG_OCI_KIND_INDEX, "Content-Type: case, blanks, parameters");
	is_int(bg_oci_media_kind("application/json"), BG_OCI_KIND_UNKNOWN,
	    "application/json: unknown");
	is_int(bg_oci_media_kind(
		   "application/vnd.docker.distribution.manifest.v1+prettyjws"),
	    BG_OCI_KIND_UNKNOWN, "schema 1: unknown");
	is_int(bg_oci_media_kind(""), BG_OCI_KIND_UNKNOWN, "\"\": unknown");
	is_int(bg_oci_media_kind(NULL), BG_OCI_KIND_UNKNOWN, "NULL: unknown");
	ok(strstr(BG_OCI_ACCEPT, BG_OCI_MT_MANIFEST ", ") != NULL &&
		strstr(BG_OCI_ACCEPT, BG_OCI_MT_INDEX) != NULL &&
		strstr(BG_OCI_ACCEPT, BG_OCI_MT_DOCKER_MANIFEST) != NULL &&
		strstr(BG_OCI_ACCEPT, BG_OCI_MT_DOCKER_LIST) != NULL,
	    "Accept lists the four types: %s", BG_OCI_ACCEPT);

	is_int(bg_oci_document_kind(hub_index, strlen(hub_index), NULL),
	    BG_OCI_KIND_INDEX, "document kind: an index by its mediaType");
	is_int(bg_oci_document_kind(hub_index, strlen(hub_index),
		   "application/json"),
	    BG_OCI_KIND_INDEX, "... a generic Content-Type does not matter");
	is_int(bg_oci_document_kind(umoci_manifest, strlen(umoci_manifest),
		   BG_OCI_MT_MANIFEST),
	    BG_OCI_KIND_MANIFEST, "document kind: by Content-Type");
	is_int(bg_oci_document_kind(docker_list, strlen(docker_list),
		   BG_OCI_MT_DOCKER_LIST "; charset=utf-8"),
	    BG_OCI_KIND_INDEX, "document kind: a list by Content-Type");
	is_int(bg_oci_document_kind(umoci_manifest, strlen(umoci_manifest),
		   NULL),
	    BG_OCI_KIND_UNKNOWN, "document kind: neither says");
	is_int(bg_oci_document_kind(hub_index, strlen(hub_index),
		   BG_OCI_MT_MANIFEST),
	    BG_OCI_KIND_UNKNOWN, "document kind: they disagree");
	is_int(bg_oci_document_kind("{", 1, BG_OCI_MT_MANIFEST),
	    BG_OCI_KIND_UNKNOWN, "document kind: not JSON");
}

/* ---- indexes ---- */

static void
test_index(void)
{
	struct bg_oci_descriptor d;
	struct bg_err err;
	char *s, *t;
	int r;

	memset(&err, 0, sizeof(err));
	r = bg_oci_index_pick(hub_index, strlen(hub_index), BG_OCI_MT_INDEX,
	    "linux", "amd64", &d, &err);
	if (!ok(r == 0, "Docker Hub index: linux/amd64 picked"))
		printf("#   %s\n", err.msg);
	is_str(d.digest, DA, "... its digest");
	is_str(d.media_type, BG_OCI_MT_MANIFEST, "... its media type");
	is_int(d.size, 1017, "... its size");
	r = bg_oci_index_pick(hub_index, strlen(hub_index), NULL, "linux",
	    "arm64", &d, &err);
	ok(r == 0 && strcmp(d.digest, DC) == 0 && d.size == 1018,
	    "linux/arm64 picked (variant v8 any), no Content-Type needed");
	r = bg_oci_index_pick(hub_index, strlen(hub_index), NULL, "unknown",
	    "unknown", &d, &err);
	ok(r == -ENOENT && strcmp(err.code, "not_found") == 0,
	    "the attestation is never picked");
	r = bg_oci_index_pick(hub_index, strlen(hub_index), NULL, "linux",
	    "s390x", &d, &err);
	is_int(r, -ENOENT, "linux/s390x: not there");
	is_str(err.code, "not_found", "... not_found");
	is_str(err.msg,
	    "no linux/s390x image in this index; it has: linux/amd64, "
	    "linux/arm64/v8",
	    "... listing the platforms, the attestation left out");

	r = bg_oci_index_pick(docker_list, strlen(docker_list),
	    BG_OCI_MT_DOCKER_LIST, "linux", "arm64", &d, &err);
	ok(r == 0 && strcmp(d.digest, DD) == 0 &&
		strcmp(d.media_type, BG_OCI_MT_DOCKER_MANIFEST) == 0 &&
		d.size == 529,
	    "Docker manifest list (mediaType from Content-Type): arm64");
	r = bg_oci_index_pick(docker_list, strlen(docker_list),
	    BG_OCI_MT_DOCKER_LIST, "linux", "amd64", &d, &err);
	is_str(err.msg,
	    "no linux/amd64 image in this index; it has: linux/arm64/v8, "
	    "linux/arm/v7",
	    "... no amd64: each platform named once");

	/* Not taken without something saying what it is. */
	index_bad(docker_list, NULL, "bad_request", "has no \"mediaType\"",
	    "no mediaType, no Content-Type");
	index_bad(docker_list, "application/json", "bad_request",
	    "does not name one", "no mediaType, a generic Content-Type");
	index_bad(hub_index, BG_OCI_MT_DOCKER_LIST, "bad_request",
	    "the two must agree", "mediaType and Content-Type disagree");
	index_bad(docker_manifest, NULL, "bad_request", "is an image manifest",
	    "a manifest is not an index");
	s = subst(hub_index, BG_OCI_MT_INDEX,
	    "application/vnd.example.list\\u001b[31m");
	index_bad(s, NULL, "bad_request", "application/vnd.example.list?[31m",
	    "an unknown type, shown without its escape character");
	free(s);
	s = subst(hub_index, "\"schemaVersion\": 2", "\"schemaVersion\": 3");
	index_bad(s, NULL, "bad_request", "\"schemaVersion\" must be 2",
	    "schemaVersion 3");
	free(s);
	s = subst(hub_index, "\"schemaVersion\": 2",
	    "\"schemaVersion\": 2, \"layers\": []");
	index_bad(s, NULL, "bad_request", "ambiguous",
	    "an index that has layers");
	free(s);
	index_bad("{\"schemaVersion\":2,\"mediaType\":\"" BG_OCI_MT_INDEX
		  "\",\"manifests\":[]}",
	    NULL, "bad_request", "lists no manifests", "no entries");
	index_bad("{\"schemaVersion\":2,\"mediaType\":\"" BG_OCI_MT_INDEX "\"}",
	    NULL, "bad_request", "no \"manifests\" array", "no manifests");
	s = many_entries(BG_OCI_INDEX_MAX);
	r = bg_oci_index_pick(s, strlen(s), NULL, "linux", "arm64", &d, &err);
	ok(r == 0, "%d entries: read", BG_OCI_INDEX_MAX);
	free(s);
	s = many_entries(BG_OCI_INDEX_MAX + 1);
	index_bad(s, NULL, "bad_request", "257 entries, more than the 256",
	    "257 entries");
	free(s);
	s = subst(hub_index, "\"digest\": \"" DC,
	    "\"digest\": \"sha256:" H16("C") H16("c") H16("c") H16("c"));
	index_bad(s, NULL, "bad_request",
	    "entry 3 of the image index: the digest",
	    "an upper-case digest in another entry");
	free(s);
	s = subst(hub_index, "\"size\": 1018", "\"size\": 0");
	index_bad(s, NULL, "bad_request",
	    "entry 3 of the image index: \"size\" must be", "a size of 0");
	free(s);
	s = subst(hub_index, "\"size\": 1018", "\"size\": 4194305");
	index_bad(s, NULL, "bad_request", "from 1 byte to 4 MiB",
	    "a manifest over 4 MiB");
	free(s);
	s = subst(hub_index,
	    "{ \"architecture\": \"arm64\", \"os\": \"linux\", \"variant\": "
	    "\"v8\" }",
	    "\"linux/arm64\"");
	index_bad(s, NULL, "bad_request",
	    "entry 3 of the image index: \"platform\" is not",
	    "a platform that is a string");
	free(s);
	s = subst(hub_index, "\"architecture\": \"amd64\", ", "");
	index_bad(s, NULL, "bad_request",
	    "entry 1 of the image index: the platform needs \"architecture\"",
	    "a platform without an architecture");
	free(s);
	/* A nested index for the platform is not an image manifest. */
	s = subst(hub_index, "\"mediaType\": \"" BG_OCI_MT_MANIFEST,
	    "\"mediaType\": \"" BG_OCI_MT_INDEX);
	t = subst(s, "\"mediaType\": \"" BG_OCI_MT_MANIFEST,
	    "\"mediaType\": \"application/vnd.in-toto+json");
	index_bad(t, NULL, "not_found", "it has: linux/arm64/v8",
	    "entries that are not image manifests are not candidates");
	free(t);
	free(s);
}

/* ---- manifests ---- */

static void
test_manifest(void)
{
	static struct bg_oci_manifest m;
	struct bg_err err;
	char big[128], *s, *t;
	int r;

	r = manifest(docker_manifest, BG_OCI_MT_DOCKER_MANIFEST, &m, &err);
	if (!ok(r == 0, "Docker v2 manifest"))
		printf("#   %s\n", err.msg);
	is_str(m.media_type, BG_OCI_MT_DOCKER_MANIFEST, "... its type");
	is_str(m.config.digest, DA, "... config digest");
	is_str(m.config.media_type, MT_DOCKER_CONFIG, "... config type");
	is_int(m.config.size, 1472, "... config size");
	is_int(m.n_layers, 2, "... two layers");
	is_str(m.layers[0].digest, DB, "... layer 1 digest (the base)");
	is_int(m.layers[0].size, 29126484, "... layer 1 size");
	is_int(m.layers[0].compression, BG_OCI_COMP_GZIP, "... gzip");
	is_int(m.layers[1].size, 5368709120ULL,
	    "... layer 2 of 5 GiB (past 32 bits)");
	is_int(m.layers_size, 29126484ULL + 5368709120ULL, "... their sum");

	r = manifest(umoci_manifest, BG_OCI_MT_MANIFEST "; charset=utf-8", &m,
	    &err);
	if (!ok(r == 0, "umoci's OCI manifest, no mediaType, Content-Type"))
		printf("#   %s\n", err.msg);
	is_str(m.media_type, BG_OCI_MT_MANIFEST, "... type from Content-Type");
	is_int(m.n_layers, 3, "... three layers");
	ok(m.layers[0].compression == BG_OCI_COMP_ZSTD &&
		m.layers[1].compression == BG_OCI_COMP_NONE &&
		m.layers[2].compression == BG_OCI_COMP_GZIP,
	    "... zstd, tar, gzip");
	is_int(m.layers_size, 1234 + 10240 + 99, "... their sum");
	is_str(m.config.media_type, MT_OCI_CONFIG, "... OCI config");

	/* Only len bytes are read: no NUL needed after them. */
	s = malloc(strlen(umoci_manifest) + 8);
	memcpy(s, umoci_manifest, strlen(umoci_manifest));
	memcpy(s + strlen(umoci_manifest), "garbage!", 8);
	memset(&err, 0, sizeof(err));
	r = bg_oci_manifest_parse(s, strlen(umoci_manifest), BG_OCI_MT_MANIFEST,
	    &m, &err);
	ok(r == 0 && m.n_layers == 3, "a body that is not NUL-terminated");
	free(s);

	s = many_layers(BG_OCI_LAYERS_MAX, "1000");
	r = manifest(s, NULL, &m, &err);
	ok(r == 0 && m.n_layers == BG_OCI_LAYERS_MAX, "%d layers: read",
	    BG_OCI_LAYERS_MAX);
	free(s);

	/* What the manifest is. */
	manifest_bad(umoci_manifest, NULL, "has no \"mediaType\"",
	    "no mediaType, no Content-Type");
	manifest_bad(umoci_manifest, "application/octet-stream",
	    "Content-Type (application/octet-stream) does not name one",
	    "no mediaType, a generic Content-Type");
	manifest_bad(docker_manifest, BG_OCI_MT_MANIFEST, "the two must agree",
	    "mediaType and Content-Type disagree");
	manifest_bad(hub_index, NULL, "is an image index",
	    "an index is not a manifest");
	manifest_bad(umoci_manifest, BG_OCI_MT_DOCKER_LIST, "is an image index",
	    "... even by Content-Type");
	manifest_bad("{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}",
	    "application/vnd.docker.distribution.manifest.v1+prettyjws",
	    "schema 1", "Docker's schema 1");
	s = subst(docker_manifest, BG_OCI_MT_DOCKER_MANIFEST,
	    "application/vnd.example+json");
	manifest_bad(s, NULL,
	    "application/vnd.example+json, which banger "
	    "cannot pull",
	    "an unknown manifest type");
	free(s);
	s = subst(docker_manifest, "\"schemaVersion\": 2",
	    "\"schemaVersion\": \"2\"");
	manifest_bad(s, NULL, "\"schemaVersion\" must be 2",
	    "schemaVersion a string");
	free(s);
	s = subst(docker_manifest, "\"schemaVersion\": 2,", "");
	manifest_bad(s, NULL, "\"schemaVersion\" must be 2",
	    "no schemaVersion");
	free(s);
	s = subst(docker_manifest, "\"schemaVersion\": 2",
	    "\"schemaVersion\": 2, \"manifests\": []");
	manifest_bad(s, NULL, "ambiguous", "a manifest that has manifests");
	free(s);
	s = subst(docker_manifest,
	    "\"mediaType\": \"" BG_OCI_MT_DOCKER_MANIFEST,
	    "\"mediaType\": 7, \"x\": \"");
	manifest_bad(s, NULL, "\"mediaType\" is not a media type",
	    "mediaType a number");
	free(s);

	/* The config descriptor. */
	s = subst(docker_manifest, MT_DOCKER_CONFIG,
	    "application/vnd.cncf.helm.config.v1+json");
	manifest_bad(s, NULL,
	    "config is of type application/vnd.cncf.helm.config.v1+json: "
	    "this is not a container image",
	    "a Helm chart");
	free(s);
	s = subst(docker_manifest, "\"size\": 1472", "\"size\": 4194305");
	manifest_bad(s, NULL,
	    "config descriptor of the image manifest: \"size\" must be "
	    "an integer from 1 byte to 4 MiB",
	    "a config over 4 MiB");
	free(s);
	manifest_bad("{\"schemaVersion\":2,\"mediaType\":\"" BG_OCI_MT_MANIFEST
		     "\",\"layers\":[]}",
	    NULL, "has no \"config\"", "no config");

	/* Layers. */
	manifest_bad("{\"schemaVersion\":2,\"mediaType\":\"" BG_OCI_MT_MANIFEST
		     "\",\"config\":{\"mediaType\":\"" MT_OCI_CONFIG
		     "\",\"digest\":\"" DA "\",\"size\":2},\"layers\":[]}",
	    NULL, "has no layers", "no layers");
	manifest_bad("{\"schemaVersion\":2,\"mediaType\":\"" BG_OCI_MT_MANIFEST
		     "\",\"config\":{\"mediaType\":\"" MT_OCI_CONFIG
		     "\",\"digest\":\"" DA "\",\"size\":2},\"layers\":{}}",
	    NULL, "no \"layers\" array", "layers an object");
	s = many_layers(BG_OCI_LAYERS_MAX + 1, "1000");
	manifest_bad(s, NULL, "129 layers, more than the 128", "129 layers");
	free(s);
	s = many_layers(2, "40000000000");
	manifest_bad(s, NULL, "add up to more than 64 GiB", "two 40 GB layers");
	free(s);
	s = many_layers(1, "68719476737");
	manifest_bad(s, NULL,
	    "layer 1 of the image manifest: \"size\" must be an "
	    "integer from 1 byte to 64 GiB",
	    "one layer of 64 GiB + 1");
	free(s);
	s = many_layers(1, "68719476736");
	r = manifest(s, NULL, &m, &err);
	ok(r == 0 && m.layers_size == (64ULL << 30), "one layer of 64 GiB");
	free(s);
	s = many_layers(1, "0");
	manifest_bad(s, NULL, "\"size\" must be", "a layer of 0 bytes");
	free(s);
	s = many_layers(1, "-5");
	manifest_bad(s, NULL, "\"size\" must be", "a negative size");
	free(s);
	s = many_layers(1, "10.5");
	manifest_bad(s, NULL, "\"size\" must be", "a fractional size");
	free(s);
	s = many_layers(1, "\"10\"");
	manifest_bad(s, NULL, "\"size\" must be", "a size in a string");
	free(s);
	s = many_layers(1, "1e300");
	manifest_bad(s, NULL, "\"size\" must be", "a size of 1e300");
	free(s);

	s = subst(docker_manifest, "\"digest\": \"" DB,
	    "\"digest\": \"sha512:" H16("b") H16("b") H16("b") H16("b") H16("b")
		H16("b") H16("b") H16("b"));
	manifest_bad(s, NULL, "is not sha256: banger verifies sha256",
	    "a sha512 digest");
	free(s);
	s = subst(docker_manifest, "\"digest\": \"" DB,
	    "\"digest\": \"" DB "0");
	manifest_bad(s, NULL,
	    "layer 1 of the image manifest: the digest \"sha256:",
	    "65 hex digits");
	free(s);
	s = subst(docker_manifest, "\"digest\": \"" DB, "\"digest\": \"" DB);
	t = subst(s, "\"digest\": \"" DB "\"", "\"digest\": 5");
	manifest_bad(t, NULL, "layer 1 of the image manifest: no \"digest\"",
	    "a digest that is a number");
	free(t);
	free(s);
	s = subst(docker_manifest, "\"digest\": \"" DB "\"",
	    "\"digest\": \"" DB "\\u0000x\"");
	manifest_bad(s, NULL, "not JSON text", "a \\u0000 in a digest");
	free(s);

	s = subst(docker_manifest, MT_DOCKER_LAYER,
	    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip");
	manifest_bad(s, NULL,
	    "layer 1 of the image manifest is a foreign "
	    "(non-distributable) layer "
	    "(application/vnd.docker.image.rootfs.foreign.diff.tar.gzip)",
	    "a Docker foreign layer");
	free(s);
	s = subst(umoci_manifest, MT_OCI_LAYER "+zstd",
	    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip");
	manifest_bad(s, BG_OCI_MT_MANIFEST,
	    "layer 1 of the image manifest is a foreign",
	    "an OCI non-distributable layer");
	free(s);
	s = subst(umoci_manifest, MT_OCI_LAYER "\"",
	    MT_OCI_LAYER "+gzip+encrypted\"");
	manifest_bad(s, BG_OCI_MT_MANIFEST,
	    "layer 2 of the image manifest is encrypted "
	    "(application/vnd.oci.image.layer.v1.tar+gzip+encrypted)",
	    "an encrypted layer");
	free(s);
	s = subst(umoci_manifest, MT_OCI_LAYER "+zstd",
	    "application/vnd.cncf.helm.chart.content.v1.tar+gzip");
	manifest_bad(s, BG_OCI_MT_MANIFEST,
	    "layer 1 of the image manifest has media type "
	    "application/vnd.cncf.helm.chart.content.v1.tar+gzip, which is "
	    "not a container filesystem layer",
	    "a layer of another kind");
	free(s);

	/* The JSON itself. */
	manifest_bad("", NULL, "is empty", "empty");
	manifest_bad("[]", NULL, "not a JSON object", "an array");
	manifest_bad("{\"schemaVersion\":2,", NULL, "not valid JSON",
	    "cut short");
	manifest_bad("{\"schemaVersion\":2} {}", NULL, "not valid JSON",
	    "two documents");
	s = subst(docker_manifest, "\"schemaVersion\": 2",
	    "\"schemaVersion\": 2, \"schemaVersion\": 2");
	manifest_bad(s, NULL, "a key twice", "a duplicate top-level key");
	free(s);
	s = subst(docker_manifest, "\"size\": 29126484",
	    "\"size\": 1, \"size\": 29126484");
	manifest_bad(s, NULL, "a key twice", "a duplicate key in a layer");
	free(s);
	s = subst(docker_manifest, "\"schemaVersion\"",
	    "\"schema\xffVersion\"");
	manifest_bad(s, NULL, "not UTF-8", "not UTF-8");
	free(s);
	memset(&err, 0, sizeof(err));
	r = bg_oci_manifest_parse("{\"a\":1}\0", 8, NULL, &m, &err);
	ok(r < 0 && strstr(err.msg, "not JSON text") != NULL,
	    "manifest refused: a NUL byte inside");
	{
		char deep[200];
		int i;

		for (i = 0; i < 65; i++)
			deep[i] = '[';
		for (; i < 130; i++)
			deep[i] = ']';
		deep[i] = '\0';
		s = subst(docker_manifest, "\"schemaVersion\": 2",
		    "\"x\": REPLACE, \"schemaVersion\": 2");
		t = subst(s, "REPLACE", deep);
		manifest_bad(t, NULL, "nested more than 64 deep",
		    "nested 66 deep");
		free(t);
		free(s);
	}
	s = malloc(BG_OCI_JSON_MAX + 2);
	memset(s, ' ', BG_OCI_JSON_MAX + 1);
	memcpy(s, docker_manifest, strlen(docker_manifest));
	s[BG_OCI_JSON_MAX + 1] = '\0';
	snprintf(big, sizeof(big), "%u bytes, more than the 4 MiB",
	    BG_OCI_JSON_MAX + 1);
	manifest_bad(s, NULL, big, "4 MiB + 1");
	s[BG_OCI_JSON_MAX] = '\0';
	r = manifest(s, NULL, &m, &err);
	ok(r == 0, "4 MiB exactly (padded with blanks): read");
	free(s);
}

/* ---- image config ---- */

static void
test_config(void)
{
	static struct bg_oci_manifest m;
	struct bg_oci_config c;
	struct bg_err err;
	char *s, *t, *env;
	size_t i, len;
	int r;

	memset(&err, 0, sizeof(err));
	r = bg_oci_config_parse(image_config, strlen(image_config), &c, &err);
	if (!ok(r == 0, "image config"))
		printf("#   %s\n", err.msg);
	is_str(c.os, "linux", "... os");
	is_str(c.arch, "amd64", "... architecture");
	is_str(c.variant, "", "... no variant");
	is_str(c.user, "app:app", "... User");
	is_str(c.working_dir, "/srv/app", "... WorkingDir");
	is_int(c.n_env, 3, "... three Env entries");
	if (c.n_env == 3) {
		is_str(c.env[0],
		    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
		    "/sbin:/bin",
		    "... PATH");
		is_str(c.env[1], "LANG=C.UTF-8", "... LANG");
		is_str(c.env[2], "EMPTY=", "... an empty value");
	}
	ok(c.n_entrypoint == 0 && c.entrypoint == NULL,
	    "... Entrypoint null: none");
	is_int(c.n_cmd, 3, "... Cmd of three");
	if (c.n_cmd == 3)
		ok(strcmp(c.cmd[0], "/bin/sh") == 0 &&
			strcmp(c.cmd[2], "exec app --port=8080") == 0,
		    "... Cmd's words");
	is_int(c.n_diff_ids, 2, "... two diff_ids");
	if (c.n_diff_ids == 2)
		ok(strcmp(c.diff_ids[0], DD) == 0 &&
			strcmp(c.diff_ids[1], DE) == 0,
		    "... in order");

	r = manifest(docker_manifest, NULL, &m, &err);
	r = bg_oci_config_check(&c, &m, "linux", "amd64", &err);
	ok(r == 0, "config fits the 2-layer manifest and linux/amd64");
	ok(bg_oci_config_check(&c, &m, NULL, NULL, &err) == 0,
	    "... os and arch not asked");
	r = bg_oci_config_check(&c, &m, "linux", "arm64", &err);
	ok(r < 0 &&
		strcmp(err.msg,
		    "the image is for linux/amd64, not "
		    "linux/arm64") == 0,
	    "... refused for linux/arm64: %s", err.msg);
	r = manifest(umoci_manifest, BG_OCI_MT_MANIFEST, &m, &err);
	r = bg_oci_config_check(&c, &m, "linux", "amd64", &err);
	ok(r < 0 &&
		strstr(err.msg,
		    "lists 2 layers (rootfs.diff_ids) but "
		    "the manifest has 3") != NULL,
	    "... refused against a 3-layer manifest: %s", err.msg);
	bg_oci_config_free(&c);
	ok(c.env == NULL && c.n_env == 0, "free empties it");
	bg_oci_config_free(&c);

	/* The least a config can be. */
	s = "{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\","
	    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
	r = bg_oci_config_parse(s, strlen(s), &c, &err);
	ok(r == 0 && c.user == NULL && c.working_dir == NULL && c.n_env == 0 &&
		c.n_cmd == 0 && c.n_diff_ids == 0 &&
		strcmp(c.variant, "v7") == 0,
	    "a config without \"config\"");
	bg_oci_config_free(&c);
	s = subst(image_config, "\"User\":\"app:app\"", "\"User\":\"\"");
	r = bg_oci_config_parse(s, strlen(s), &c, &err);
	ok(r == 0 && c.user == NULL, "User \"\": none");
	bg_oci_config_free(&c);
	free(s);

	/* Refusals (ASan checks nothing leaks on the way out). */
	config_bad("[1]", "not a JSON object", "an array");
	s = subst(image_config, "\"os\":\"linux\",", "");
	config_bad(s, "needs \"os\" and \"architecture\"", "no os");
	free(s);
	s = subst(image_config, "\"architecture\":\"amd64\"",
	    "\"architecture\":[\"amd64\"]");
	config_bad(s, "needs \"os\" and \"architecture\"",
	    "architecture an array");
	free(s);
	s = subst(image_config, "\"config\":{", "\"config\":[{");
	t = subst(s, "\"ExposedPorts\":{\"8080/tcp\":{}}}",
	    "\"ExposedPorts\":{\"8080/tcp\":{}}}]");
	config_bad(t, "\"config\" is not a JSON object", "config an array");
	free(t);
	free(s);
	s = subst(image_config, "\"LANG=C.UTF-8\"", "\"LANG\"");
	config_bad(s, "config.Env[1] is \"LANG\", not NAME=VALUE",
	    "an Env entry without =");
	free(s);
	s = subst(image_config, "\"LANG=C.UTF-8\"", "\"=x\"");
	config_bad(s, "config.Env[1] is \"=x\"", "an Env entry without name");
	free(s);
	s = subst(image_config, "\"LANG=C.UTF-8\"", "7");
	config_bad(s, "config.Env[1] must be a string of at most 4096",
	    "an Env entry that is a number");
	free(s);
	env = malloc(4200);
	memset(env, 'x', 4200);
	memcpy(env, "\"A=", 3);
	env[4097 + 2] = '"';
	env[4097 + 3] = '\0';
	s = subst(image_config, "\"LANG=C.UTF-8\"", env);
	config_bad(s, "config.Env[1] must be a string of at most 4096",
	    "an Env entry of 4097 bytes");
	free(s);
	env[4096 + 1] = '"';
	env[4096 + 2] = '\0';
	s = subst(image_config, "\"LANG=C.UTF-8\"", env);
	r = bg_oci_config_parse(s, strlen(s), &c, &err);
	ok(r == 0 && strlen(c.env[1]) == 4096, "an Env entry of 4096 bytes");
	bg_oci_config_free(&c);
	free(s);
	free(env);
	len = 300 * 8 + 16;
	env = malloc(len);
	for (i = 0, env[0] = '\0'; i < 257; i++)
		snprintf(env + strlen(env), len - strlen(env), "%s\"V%zu=1\"",
		    i ? "," : "", i);
	s = subst(image_config, "\"LANG=C.UTF-8\"", env);
	config_bad(s, "config.Env has 259 entries, more than 256",
	    "259 Env entries");
	free(s);
	free(env);
	s = subst(image_config, "\"Cmd\":[\"/bin/sh\",\"-c\",",
	    "\"Cmd\":\"/bin/sh -c\",\"x\":[");
	config_bad(s, "config.Cmd must be an array of strings", "Cmd a string");
	free(s);
	s = subst(image_config, "\"Entrypoint\":null", "\"Entrypoint\":[1]");
	config_bad(s, "config.Entrypoint[0] must be a string",
	    "Entrypoint of a number");
	free(s);
	s = subst(image_config, "\"WorkingDir\":\"/srv/app\"",
	    "\"WorkingDir\":5");
	config_bad(s, "config.WorkingDir must be a string", "WorkingDir 5");
	free(s);
	s = subst(image_config, "\"type\":\"layers\"", "\"type\":\"lay\"");
	config_bad(s, "no \"rootfs\" of type \"layers\"", "rootfs type");
	free(s);
	s = subst(image_config, ",\"rootfs\":{\"type\":\"layers\",",
	    ",\"x\":{\"type\":\"layers\",");
	config_bad(s, "no \"rootfs\"", "no rootfs");
	free(s);
	s = subst(image_config, "\"" DE "\"", "\"sha256:123\"");
	config_bad(s,
	    "rootfs.diff_ids[1] of the image config: the digest \"sha256:123\" is not",
	    "a bad diff_id");
	free(s);
	s = subst(image_config, "\"" DE "\"", "null");
	config_bad(s, "rootfs.diff_ids[1] of the image config is not a string",
	    "a null diff_id");
	free(s);
	s = subst(image_config, "\"Hostname\":\"\"",
	    "\"Hostname\":\"\",\"Hostname\":\"x\"");
	config_bad(s, "a key twice", "a duplicate key in config");
	free(s);
}

int
main(void)
{
	test_kinds();
	test_index();
	test_manifest();
	test_config();
	return done_testing();
}
