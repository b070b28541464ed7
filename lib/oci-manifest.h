/*
 * oci-manifest.h — what a registry says about an image, parsed without
 * I/O (lib/oci-manifest.c, docs/oci-import.md): image manifests (OCI
 * and Docker v2 schema 2), indexes (OCI image index, Docker manifest
 * list) with the pick of one platform, and the image config.
 */
#ifndef BANGER_OCI_MANIFEST_H
#define BANGER_OCI_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bg_err;

#define BG_OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define BG_OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define BG_OCI_MT_DOCKER_MANIFEST \
	"application/vnd.docker.distribution.manifest.v2+json"
#define BG_OCI_MT_DOCKER_LIST \
	"application/vnd.docker.distribution.manifest.list.v2+json"
/* The HTTP Accept header's value for a manifest GET: all four. */
#define BG_OCI_ACCEPT \
	BG_OCI_MT_MANIFEST ", " BG_OCI_MT_INDEX ", " BG_OCI_MT_DOCKER_MANIFEST \
			   ", " BG_OCI_MT_DOCKER_LIST

/* Bounds (each refusal names the one it hits). */
#define BG_OCI_JSON_MAX (4u << 20) /* a manifest, an index, a config */
#define BG_OCI_LAYERS_MAX 128
#define BG_OCI_LAYER_SIZE_MAX (64ULL << 30) /* one layer blob */
#define BG_OCI_LAYERS_TOTAL_MAX (64ULL << 30) /* all layer blobs */
#define BG_OCI_INDEX_MAX 256 /* entries of an index */
#define BG_OCI_ENV_MAX 256 /* config.Env entries */
#define BG_OCI_ENV_LEN_MAX 4096 /* one "K=V", bytes */
#define BG_OCI_ARGS_MAX 256 /* config.Entrypoint, config.Cmd entries */
#define BG_OCI_ARG_LEN_MAX 32768 /* one of them, bytes */
#define BG_OCI_PATH_LEN_MAX 4096 /* config.WorkingDir */
#define BG_OCI_USER_LEN_MAX 256 /* config.User */

enum bg_oci_kind {
	BG_OCI_KIND_UNKNOWN,
	BG_OCI_KIND_MANIFEST, /* OCI image manifest, Docker v2 schema 2 */
	BG_OCI_KIND_INDEX, /* OCI image index, Docker manifest list */
};

enum bg_oci_compression {
	BG_OCI_COMP_NONE, /* ...layer.v1.tar */
	BG_OCI_COMP_GZIP, /* ...layer.v1.tar+gzip, Docker's rootfs.diff.tar.gzip */
	BG_OCI_COMP_ZSTD, /* ...layer.v1.tar+zstd */
};

struct bg_oci_descriptor {
	char media_type[128];
	char digest[72]; /* "sha256:<64 lower-case hex>" */
	uint64_t size; /* what the blob must measure, exactly */
	enum bg_oci_compression compression; /* layers only, else NONE */
};

struct bg_oci_manifest {
	char media_type[128]; /* one of the two manifest types */
	struct bg_oci_descriptor config; /* size ≤ BG_OCI_JSON_MAX */
	size_t n_layers; /* 1 ≤ n ≤ BG_OCI_LAYERS_MAX */
	struct bg_oci_descriptor layers[BG_OCI_LAYERS_MAX]; /* base first */
	uint64_t layers_size; /* the sum of the layers' sizes */
};

/*
 * The image config, its pieces banger uses.  Every string and array is
 * malloc'd (bg_oci_config_free); absent ones are NULL with a count of 0.
 */
struct bg_oci_config {
	char os[32], arch[32], variant[32]; /* variant may be "" */
	char *user; /* config.User, NULL when absent or "" */
	char *working_dir; /* config.WorkingDir, NULL when absent or "" */
	char **env; /* config.Env, each "K=V" with a non-empty K */
	size_t n_env;
	char **entrypoint;
	size_t n_entrypoint;
	char **cmd;
	size_t n_cmd;
	char (*diff_ids)[72]; /* rootfs.diff_ids, the uncompressed layers */
	size_t n_diff_ids;
};

/*
 * A media type or an HTTP Content-Type (parameters after ';', case and
 * blanks ignored): which of the four it is, or UNKNOWN.
 */
enum bg_oci_kind bg_oci_media_kind(const char *media_type);
/*
 * What a manifest GET returned: the kind its "mediaType" names, else
 * its Content-Type's (content_type may be NULL), else UNKNOWN (the
 * parsers then say why).  Reads the JSON, never fails otherwise.
 */
enum bg_oci_kind
bg_oci_document_kind(const char *json, size_t len, const char *content_type);

/*
 * An image manifest of len bytes (no NUL needed) served with
 * content_type (NULL if none).  The media type is the JSON's
 * "mediaType", else the Content-Type's; both, when both name one, must
 * agree.  bad_request saying what is wrong; temporary on no memory.
 */
int bg_oci_manifest_parse(const char *json, size_t len,
    const char *content_type, struct bg_oci_manifest *m, struct bg_err *err);

/*
 * From an index, the manifest for os/arch (e.g. "linux"/"amd64"): the
 * first entry that is an image manifest whose platform has exactly that
 * os and architecture (any variant).  Entries for "unknown/unknown"
 * (build attestations) are skipped.  not_found listing the platforms
 * the index has when none matches; bad_request for a bad index.
 */
int bg_oci_index_pick(const char *json, size_t len, const char *content_type,
    const char *os, const char *arch, struct bg_oci_descriptor *out,
    struct bg_err *err);

/* An image config blob; on failure *c is left empty (nothing to free). */
int bg_oci_config_parse(const char *json, size_t len, struct bg_oci_config *c,
    struct bg_err *err);
/*
 * The config fits the manifest: one diff_id per layer, and (os and
 * arch, when not NULL) the config's own os and architecture.
 */
int bg_oci_config_check(const struct bg_oci_config *c,
    const struct bg_oci_manifest *m, const char *os, const char *arch,
    struct bg_err *err);
void bg_oci_config_free(struct bg_oci_config *c);

#endif
