/*
 * pull.c — images and kernels from the catalogs (docs/image-catalog.md):
 * `image pull`, `kernel pull`, the pull `vm run` and `vm create` do when
 * the image or its kernel is missing, and `image bundle` / `kernel
 * bundle`, which write a bundle of what is installed.
 *
 * The catalog is read here, with the user's config; the service gets
 * one entry (URL, sha256, size) and the user's proxy settings
 * (https_proxy, no_proxy) in the request, and does the download
 * (helpers/image-pull.c).  Bundles are written here too: the installed
 * files are the owner's to read, and OUT is in the user's directory,
 * which the service's sandbox does not write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "oci-auth.h"
#include "oci-ref.h"

static const char *
env2(const char *a, const char *b)
{
	const char *v = getenv(a);

	if (v == NULL || v[0] == '\0')
		v = getenv(b);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

/*
 * The request for entry e, installed as e's name: the catalog's words
 * and the user's TLS and proxy settings.
 */
static cJSON *
pull_req(const struct bg_config *c, const struct bg_catalog_entry *e)
{
	cJSON *req = cJSON_CreateObject();
	const char *proxy = env2("https_proxy", "HTTPS_PROXY");
	const char *no_proxy = env2("no_proxy", "NO_PROXY");

	if (req == NULL)
		return NULL;
	cJSON_AddNumberToObject(req, "v", 1);
	cJSON_AddStringToObject(req, "name", e->name);
	cJSON_AddStringToObject(req, "url", e->url);
	cJSON_AddStringToObject(req, "sha256", e->sha256);
	if (e->size > 0)
		cJSON_AddNumberToObject(req, "size", (double)e->size);
	if (e->kernel[0] != '\0')
		cJSON_AddStringToObject(req, "kernel", e->kernel);
	cJSON_AddStringToObject(req, "catalog", e->name);
	if (c != NULL && c->ca_file != NULL)
		cJSON_AddStringToObject(req, "ca_file", c->ca_file);
	if (proxy != NULL)
		cJSON_AddStringToObject(req, "proxy", proxy);
	if (no_proxy != NULL)
		cJSON_AddStringToObject(req, "no_proxy", no_proxy);
	return req;
}

/* What to do when the built-in entry has no published bundle. */
static void
unpublished(const struct bg_catalog_entry *e, struct bg_err *err)
{
	if (strcmp(e->kind, "image") == 0)
		bg_err_set(err, "not_found",
		    "cannot pull image %s: %s has no published bundle for it "
		    "in this build of banger (it would be at %s)\n"
		    "build it here instead: make && sudo make image-debian && "
		    "banger image register %s "
		    "build/images/debian-bookworm/rootfs.ext4\n"
		    "or set catalog_file in ~/.config/banger/config.toml to a "
		    "catalog that has it (docs/image-catalog.md)",
		    e->name, e->origin, e->url, e->name);
	else
		bg_err_set(err, "not_found",
		    "cannot pull kernel %s: %s has no published bundle for it "
		    "in this build of banger (it would be at %s)\n"
		    "build it here instead: make images && install "
		    "build/images/kernel as /var/lib/banger/kernels/%s "
		    "(docs/kernel-bundle.md)\n"
		    "or set catalog_file in ~/.config/banger/config.toml to a "
		    "catalog that has it (docs/image-catalog.md)",
		    e->name, e->origin, e->url, e->name);
}

/* A failed pull of an image: how to have one without the network. */
static void
local_hint(struct bg_err *err, const char *image)
{
	char m[sizeof(err->msg)], code[sizeof(err->code)];

	memcpy(m, err->msg, sizeof(m));
	memcpy(code, err->code, sizeof(code));
	bg_err_set(err, code,
	    "%.700s\nor build an image here: make && sudo make image-debian "
	    "&& banger image register %s "
	    "build/images/debian-bookworm/rootfs.ext4 (docs/golden-image.md)",
	    m, image);
}

/*
 * Pull entry e (kind, name) through the service, with progress.  0, or
 * the exit code with err filled.  *result: the answer's result.
 */
static int
pull_one(const struct cli_inv *inv, const struct bg_config *c,
    const struct bg_catalog_entry *e, cJSON **result, struct bg_err *err)
{
	struct cli_call call = { 0 };
	char verb[16];
	cJSON *req;
	int r;

	*result = NULL;
	if (e->sha256[0] == '\0') {
		unpublished(e, err);
		return bg_exit_for_code(err->code);
	}
	req = pull_req(c, e);
	if (req == NULL) {
		bg_err_set(err, "temporary", "out of memory");
		return BG_EXIT_TEMP;
	}
	snprintf(verb, sizeof(verb), "%s-pull", e->kind);
	if (inv == NULL || !inv->json)
		fprintf(stderr, "banger: pulling %s %s from %s\n", e->kind,
		    e->name, e->url);
	call.verb = verb;
	call.req = req;
	call.silence_ms = cli_silence_ms();
	call.json_events = inv != NULL && inv->json;
	r = cli_call(&call);
	cJSON_Delete(req);
	if (call.final == NULL || !call.ok) {
		*err = call.err;
		/* What was tried, unless the message names it already. */
		if (call.final != NULL && strstr(err->msg, e->url) == NULL) {
			char m[sizeof(err->msg)];

			memcpy(m, err->msg, sizeof(m));
			bg_err_set(err, call.err.code,
			    "%.600s\n(pulling %.300s, the %.100s catalog's "
			    "entry for %s)",
			    m, e->url, e->origin, e->name);
		}
		cli_call_free(&call);
		return r != 0 ? r : bg_exit_for_code(err->code);
	}
	*result = call.result != NULL ? cJSON_Duplicate(call.result, 1) :
					cJSON_CreateObject();
	cli_call_free(&call);
	return 0;
}

/*
 * Is kind NAME installed?  Read where the service keeps it: the CLI runs
 * as the owner, whose state it is (BANGER_ROOT applies to both).  1 yes,
 * 0 no.  An installed image's manifest kernel goes into kernel (may be
 * NULL).
 */
static int
have(const char *kind, const char *name, char *kernel, size_t n)
{
	char sub[16], path[PATH_MAX];
	cJSON *m = NULL;
	const char *k;

	snprintf(sub, sizeof(sub), "%ss", kind);
	if (bg_path_build(path, sizeof(path), BG_DIR_STATE, sub, name,
		"manifest.json") < 0 ||
	    bg_json_read_file(AT_FDCWD, path, 65536, &m) < 0)
		return 0;
	k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "kernel"));
	if (kernel != NULL && k != NULL && bg_artifact_name_valid(k))
		snprintf(kernel, n, "%s", k);
	cJSON_Delete(m);
	return 1;
}

/* "a, b, c" of the catalog's names of kind, for messages. */
static void
names_of(const struct bg_catalog *cat, const char *kind, char *buf, size_t n)
{
	size_t i, l;

	buf[0] = '\0';
	for (i = 0; i < cat->n; i++) {
		if (strcmp(cat->e[i].kind, kind) != 0)
			continue;
		l = strlen(buf);
		snprintf(buf + l, n - l, "%s%s", l ? ", " : "", cat->e[i].name);
	}
	if (buf[0] == '\0')
		snprintf(buf, n, "nothing");
}

/*
 * A kernel that is not installed: pulled from the catalog when it has
 * it.  0 when there is nothing to do (vm-create says what is missing).
 */
static int
ensure_kernel(const struct cli_inv *inv, const struct bg_config *c,
    const struct bg_catalog *cat, const char *kernel, struct bg_err *err)
{
	const struct bg_catalog_entry *e;
	cJSON *res = NULL;
	int r;

	if (have("kernel", kernel, NULL, 0))
		return 0;
	e = bg_catalog_find(cat, "kernel", kernel);
	if (e == NULL || e->sha256[0] == '\0')
		return 0;
	fprintf(stderr, "banger: kernel %s is not on this host: pulling it\n",
	    kernel);
	r = pull_one(inv, c, e, &res, err);
	cJSON_Delete(res);
	return r;
}

int
cli_pull_missing(const struct cli_inv *inv, struct cli_spec *s)
{
	const char *image = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(s->req, "image"));
	const char *kernel = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(s->req, "kernel"));
	const struct bg_catalog_entry *e;
	struct bg_catalog cat;
	struct bg_err err = { { 0 }, { 0 } };
	cJSON *res = NULL;
	char want[BG_NAME_MAX + 1] = "";
	int r;

	s->missing_hint[0] = '\0';
	if (image == NULL)
		return 0;
	r = bg_catalog_load(&cat, &s->cfg, &err);
	if (r < 0)
		return cli_fail(inv, &err);
	e = bg_catalog_find(&cat, "image", image);
	if (have("image", image, want, sizeof(want))) {
		/* Installed: its manifest may name a kernel to fetch. */
	} else if (e != NULL && e->sha256[0] != '\0') {
		fprintf(stderr,
		    "banger: image %s is not on this host: pulling it from "
		    "the catalog\n",
		    image);
		snprintf(want, sizeof(want), "%s", e->kernel);
		r = pull_one(inv, &s->cfg, e, &res, &err);
		cJSON_Delete(res);
		if (r != 0) {
			local_hint(&err, image);
			goto fail;
		}
	} else if (e != NULL) {
		/* Nothing to pull: said if vm-create finds no image. */
		unpublished(e, &err);
		snprintf(s->missing_hint, sizeof(s->missing_hint), "%.1000s",
		    err.msg);
	}
	if (kernel != NULL)
		snprintf(want, sizeof(want), "%s", kernel);
	if (want[0] != '\0') {
		r = ensure_kernel(inv, &s->cfg, &cat, want, &err);
		if (r != 0)
			goto fail;
	}
	bg_catalog_free(&cat);
	return 0;
fail:
	bg_catalog_free(&cat);
	return cli_fail(inv, &err);
}

/* "image test pulled: version 1, 6.0 MiB downloaded, 9.4 MiB on disk" */
static void
pulled(const char *kind, const char *name, const cJSON *res)
{
	char *v = cli_clean(cli_str(res, "version"), 128, false);

	printf("%s %s pulled: version %s, %.1f MiB downloaded, %.1f MiB on "
	       "disk%s\n",
	    kind, name, v != NULL ? v : "?",
	    cJSON_GetNumberValue(
		cJSON_GetObjectItemCaseSensitive(res, "bytes")) /
		1048576.0,
	    cJSON_GetNumberValue(
		cJSON_GetObjectItemCaseSensitive(res, "unpacked_bytes")) /
		1048576.0,
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "resumed")) ?
		" (resumed)" :
		"");
	free(v);
}

/* ---- OCI images ----------------------------------------------------- */

/*
 * The user's credentials for registry, from Docker's config.json
 * ($DOCKER_CONFIG/config.json, else ~/.docker/config.json): base64 of
 * USER:PASSWORD in basic, "" for none.  -errno with err filled for a
 * file that cannot be used; a credential helper is said once and the
 * pull goes on anonymously.
 */
static int
docker_auth(const char *registry, char *basic, size_t n, struct bg_err *err)
{
	const char *dir = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	char path[PATH_MAX];
	char *json = NULL;
	size_t len;
	int r;

	basic[0] = '\0';
	if (dir != NULL && dir[0] != '\0')
		r = snprintf(path, sizeof(path), "%s/config.json", dir);
	else if (home != NULL && home[0] == '/')
		r = snprintf(path, sizeof(path), "%s/.docker/config.json",
		    home);
	else
		return 0;
	if (r < 0 || (size_t)r >= sizeof(path))
		return 0;
	r = bg_read_file(AT_FDCWD, path, BG_OCI_DOCKER_CONFIG_MAX, &json, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		bg_err_set(err, "bad_config", "%.300s: %s", path,
		    r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
		return r;
	}
	r = bg_oci_docker_auth(json, len, registry, basic, n, err);
	explicit_bzero(json, len);
	free(json);
	if (r == -ENOTSUP) {
		fprintf(stderr, "banger: %s; pulling anonymously\n", err->msg);
		basic[0] = '\0';
		return 0;
	}
	if (r < 0) {
		char m[sizeof(err->msg)];

		snprintf(m, sizeof(m), "%s", err->msg);
		bg_err_set(err, err->code, "%.300s: %.700s", path, m);
	}
	return r;
}

/* `image pull REGISTRY/REPO[:TAG][@DIGEST] [--name NAME] [--size SIZE]`. */
static int
oci_pull(struct cli_inv *inv, const char *s)
{
	const char *proxy = env2("https_proxy", "HTTPS_PROXY");
	const char *no_proxy = env2("no_proxy", "NO_PROXY");
	const char *as = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(inv->req, "as"));
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(inv->req, "size");
	const char *kernel = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(inv->req, "kernel"));
	struct cli_call call = { 0 };
	struct bg_oci_ref ref;
	struct bg_config cfg;
	struct bg_err err = { { 0 }, { 0 } };
	char full[600], local[BG_NAME_MAX + 1], basic[BG_OCI_BASIC_MAX + 1];
	const cJSON *res;
	cJSON *req;
	int r;

	if (bg_oci_ref_parse(s, &ref, &err) < 0)
		return cli_fail(inv, &err);
	bg_oci_ref_string(&ref, full, sizeof(full));
	if (as != NULL)
		snprintf(local, sizeof(local), "%s", as);
	else
		bg_oci_ref_local_name(&ref, local, sizeof(local));
	r = cli_config_load(inv, &cfg);
	if (r != 0)
		return r;
	r = docker_auth(ref.registry, basic, sizeof(basic), &err);
	if (r < 0) {
		bg_config_free(&cfg);
		return cli_fail(inv, &err);
	}
	req = cJSON_CreateObject();
	if (req == NULL) {
		bg_config_free(&cfg);
		explicit_bzero(basic, sizeof(basic));
		fputs("banger: out of memory\n", stderr);
		return BG_EXIT_TEMP;
	}
	cJSON_AddNumberToObject(req, "v", 1);
	cJSON_AddStringToObject(req, "name", local);
	cJSON_AddStringToObject(req, "ref", s);
	if (basic[0] != '\0')
		cJSON_AddStringToObject(req, "auth", basic);
	explicit_bzero(basic, sizeof(basic));
	if (cJSON_IsNumber(size))
		cJSON_AddNumberToObject(req, "size", size->valuedouble);
	if (kernel != NULL)
		cJSON_AddStringToObject(req, "kernel", kernel);
	if (cfg.ca_file != NULL)
		cJSON_AddStringToObject(req, "ca_file", cfg.ca_file);
	if (proxy != NULL)
		cJSON_AddStringToObject(req, "proxy", proxy);
	if (no_proxy != NULL)
		cJSON_AddStringToObject(req, "no_proxy", no_proxy);
	bg_config_free(&cfg);
	if (!inv->json)
		fprintf(stderr, "banger: pulling %s as image %s\n", full,
		    local);
	call.verb = "image-import-oci";
	call.req = req;
	call.silence_ms = cli_silence_ms();
	call.json_events = inv->json;
	r = cli_call(&call);
	{
		cJSON *a = cJSON_GetObjectItemCaseSensitive(req, "auth");

		if (cJSON_IsString(a))
			explicit_bzero(a->valuestring, strlen(a->valuestring));
	}
	cJSON_Delete(req);
	if (call.final == NULL || !call.ok) {
		err = call.err;
		cli_call_free(&call);
		return r != 0 ? r : cli_fail(inv, &err);
	}
	res = call.result;
	if (inv->json)
		cli_print_json(res);
	else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "already")))
		printf("image %s is installed already (%s, the same digest)\n",
		    local, full);
	else
		printf("image %s pulled from %s (%s): %d layer%s, %.1f MiB "
		       "downloaded, %.1f MiB on disk%s\n",
		    local, full, cli_str(res, "digest"),
		    (int)cJSON_GetNumberValue(
			cJSON_GetObjectItemCaseSensitive(res, "layers")),
		    cJSON_GetNumberValue(
			cJSON_GetObjectItemCaseSensitive(res, "layers")) == 1 ?
			"" :
			"s",
		    cJSON_GetNumberValue(
			cJSON_GetObjectItemCaseSensitive(res, "bytes")) /
			1048576.0,
		    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(res,
			"unpacked_bytes")) /
			1048576.0,
		    cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(res, "replaced")) ?
			" (replacing the earlier pull)" :
			"");
	cli_call_free(&call);
	return 0;
}

/* `image pull NAME`, `kernel pull NAME`. */
int
cli_pull(struct cli_inv *inv)
{
	const char *kind =
	    strcmp(inv->cmd->group, "kernel") == 0 ? "kernel" : "image";
	const char *name = inv->args[0];
	const struct bg_catalog_entry *e;
	struct bg_catalog cat;
	struct bg_config cfg;
	struct bg_err err = { { 0 }, { 0 } };
	cJSON *res = NULL;
	char names[1024];
	int r;

	if (strcmp(kind, "image") == 0 && bg_oci_ref_like(name))
		return oci_pull(inv, name);
	if (cJSON_GetObjectItemCaseSensitive(inv->req, "as") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(inv->req, "size") != NULL) {
		fprintf(stderr,
		    "banger: --name and --size are for OCI references "
		    "(REGISTRY/REPO:TAG); a catalog image keeps its name\n");
		return BG_EXIT_USAGE;
	}
	r = cli_config_load(inv, &cfg);
	if (r != 0)
		return r;
	r = bg_catalog_load(&cat, &cfg, &err);
	if (r < 0) {
		bg_config_free(&cfg);
		return cli_fail(inv, &err);
	}
	e = bg_catalog_find(&cat, kind, name);
	if (e == NULL) {
		names_of(&cat, kind, names, sizeof(names));
		bg_err_set(&err, "not_found",
		    "no %s named \"%s\" in the catalog (it has: %s)\n"
		    "catalog_file and [[catalog]] in "
		    "~/.config/banger/config.toml add entries "
		    "(docs/image-catalog.md)",
		    kind, name, names);
		r = -ENOENT;
	} else {
		r = pull_one(inv, &cfg, e, &res, &err);
		/* An image's kernel comes with it. */
		if (r == 0 && strcmp(kind, "image") == 0 &&
		    e->kernel[0] != '\0')
			r = ensure_kernel(inv, &cfg, &cat, e->kernel, &err);
	}
	bg_catalog_free(&cat);
	bg_config_free(&cfg);
	if (r != 0) {
		cJSON_Delete(res);
		return cli_fail(inv, &err);
	}
	if (inv->json)
		cli_print_json(res);
	else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "already")))
		printf("%s %s is installed already (the same bundle)\n", kind,
		    name);
	else
		pulled(kind, name, res);
	cJSON_Delete(res);
	return 0;
}

/* ---- bundles ------------------------------------------------------- */

/* `image bundle`, `kernel bundle`: the kind, from the group, in the request. */
int
cli_bundle_check(struct cli_inv *inv)
{
	cJSON *k = cJSON_CreateString(inv->cmd->group);

	if (k == NULL || !cJSON_AddItemToObject(inv->req, "kind", k)) {
		cJSON_Delete(k);
		fputs("banger: out of memory\n", stderr);
		return BG_EXIT_TEMP;
	}
	return 0;
}

/* The bundle helper's result: where, how big, its sha256. */
void
cli_render_bundle(const struct cli_inv *inv, const cJSON *result)
{
	(void)inv;
	cli_put_clean(stdout, cli_str(result, "path"), PATH_MAX);
	printf("\n  size   %.0f\n  sha256 ",
	    cJSON_GetNumberValue(
		cJSON_GetObjectItemCaseSensitive(result, "size")));
	cli_put_clean(stdout, cli_str(result, "sha256"), 64);
	putchar('\n');
}
