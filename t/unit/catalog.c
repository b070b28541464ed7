/*
 * catalog.c — the catalogs (lib/catalog.c): the built-in one parses and
 * is unpublished; catalog_file and [[catalog]] replace entries by kind
 * and name; every broken entry is refused naming where it is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banger.h"
#include "tap.h"

static char dir[] = "/tmp/banger-catalog-XXXXXX";

static int
load_toml(const char *toml, const char *file_json, struct bg_catalog *cat,
    struct bg_err *err)
{
	char cfg[256], cat_path[256];
	struct bg_config c;
	FILE *f;
	int r;

	snprintf(cfg, sizeof(cfg), "%s/config.toml", dir);
	snprintf(cat_path, sizeof(cat_path), "%s/catalog.json", dir);
	f = fopen(cat_path, "w");
	fputs(file_json != NULL ? file_json : "{}", f);
	fclose(f);
	f = fopen(cfg, "w");
	fprintf(f, "catalog_file = \"%s\"\n%s", cat_path, toml);
	fclose(f);
	memset(err, 0, sizeof(*err));
	r = bg_config_load(&c, cfg, err);
	if (r < 0)
		return r;
	r = bg_catalog_load(cat, &c, err);
	bg_config_free(&c);
	return r;
}

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void
refused(const char *what, const char *toml, const char *json, const char *words)
{
	struct bg_catalog cat;
	struct bg_err err;
	int r = load_toml(toml, json, &cat, &err);

	if (!ok(r < 0 && strstr(err.msg, words) != NULL &&
		    strcmp(err.code, "bad_config") == 0,
		"%s refused", what))
		printf("#   r=%d %s: %s\n#   want: %s\n", r, err.code, err.msg,
		    words);
	if (r == 0)
		bg_catalog_free(&cat);
}

int
main(void)
{
	const struct bg_catalog_entry *e;
	struct bg_catalog cat;
	struct bg_err err;
	char home[300];
	int r;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(home, sizeof(home), "%s", dir);
	setenv("HOME", home, 1);

	r = bg_catalog_load(&cat, NULL, &err);
	ok(r == 0, "the built-in catalog parses");
	e = bg_catalog_find(&cat, "image", "debian-bookworm");
	ok(e != NULL && strcmp(e->origin, "built-in") == 0 &&
		e->sha256[0] == '\0' &&
		strcmp(e->kernel, "debian-6.1-amd64") == 0 &&
		strncmp(e->url, "https://", 8) == 0,
	    "built in: debian-bookworm, unpublished, with its kernel");
	ok(bg_catalog_find(&cat, "kernel", "debian-6.1-amd64") != NULL &&
		bg_catalog_find(&cat, "kernel", "debian-bookworm") == NULL,
	    "kinds are apart");
	bg_catalog_free(&cat);

	r = load_toml("[[catalog]]\nkind = \"image\"\nname = \"debian-bookworm\"\n"
		      "url = \"https://b.example/img.tar.zst\"\nsha256 = \"" SHA_B
		      "\"\nsize = 42\n",
	    "{\"images\":[{\"name\":\"debian-bookworm\",\"url\":"
	    "\"https://a.example/x\",\"sha256\":\"" SHA_A "\",\"size\":1},"
	    "{\"name\":\"mine\",\"url\":\"https://a.example/m\",\"sha256\":\"" SHA_A
	    "\",\"size\":2,\"kernel\":\"k1\",\"description\":\"ignored\"}],"
	    "\"kernels\":[{\"name\":\"k1\",\"url\":\"https://a.example/k\","
	    "\"sha256\":\"" SHA_A "\",\"size\":7}]}",
	    &cat, &err);
	ok(r == 0, "three layers load (%s)", r < 0 ? err.msg : "ok");
	e = r == 0 ? bg_catalog_find(&cat, "image", "debian-bookworm") : NULL;
	ok(e != NULL && strcmp(e->sha256, SHA_B) == 0 && e->size == 42 &&
		strstr(e->origin, "config.toml:") != NULL,
	    "the config's entry wins over the file's and the built-in one");
	e = r == 0 ? bg_catalog_find(&cat, "image", "mine") : NULL;
	ok(e != NULL && strcmp(e->kernel, "k1") == 0 &&
		strstr(e->origin, "catalog.json") != NULL,
	    "the file's own entries, with their origin");
	e = r == 0 ? bg_catalog_find(&cat, "kernel", "k1") : NULL;
	ok(e != NULL && e->size == 7, "kernels from the file");
	if (r == 0)
		bg_catalog_free(&cat);

	refused("an http URL", "",
	    "{\"images\":[{\"name\":\"x\",\"url\":\"http://a/x\",\"sha256\":\"" SHA_A
	    "\",\"size\":1}]}",
	    "catalog entry x needs \"url\": an https:// URL");
	refused("a bad sha256", "",
	    "{\"images\":[{\"name\":\"x\",\"url\":\"https://a/x\",\"sha256\":\"ABC\"}]}",
	    "64 lowercase hex digits");
	refused("a published entry without a size", "",
	    "{\"images\":[{\"name\":\"x\",\"url\":\"https://a/x\",\"sha256\":\"" SHA_A
	    "\"}]}",
	    "catalog entry x needs \"size\"");
	refused("a bad name", "",
	    "{\"images\":[{\"name\":\"X Y\",\"url\":\"https://a/x\"}]}",
	    "needs \"name\"");
	refused("a kernel with a kernel", "",
	    "{\"kernels\":[{\"name\":\"k\",\"url\":\"https://a/x\",\"kernel\":\"k2\"}]}",
	    "\"kernel\" is an image's kernel");
	refused("a size that is not a byte count", "",
	    "{\"images\":[{\"name\":\"x\",\"url\":\"https://a/x\",\"size\":-1}]}",
	    "\"size\" must be the bundle's size");
	refused("a file that is not an object", "", "[1]",
	    "is not a JSON object");
	refused("images that are not an array", "", "{\"images\":{}}",
	    "\"images\" must be an array");
	refused("a [[catalog]] without a kind",
	    "[[catalog]]\nname = \"x\"\nurl = \"https://a/x\"\n", NULL,
	    "config.toml:2:1: a [[catalog]] entry needs kind");
	refused("a [[catalog]] size that is a string",
	    "[[catalog]]\nkind = \"image\"\nsize = \"1\"\n", NULL,
	    "catalog entry size must be an integer");
	{
		char cfg[256];
		struct bg_config c;
		FILE *f;

		snprintf(cfg, sizeof(cfg), "%s/c2.toml", dir);
		f = fopen(cfg, "w");
		fputs("catalog_file = \"rel/cat.json\"\n", f);
		fclose(f);
		memset(&err, 0, sizeof(err));
		r = bg_config_load(&c, cfg, &err);
		ok(r < 0 &&
			strstr(err.msg,
			    "must be an absolute path or a ~/ path") != NULL,
		    "catalog_file must be absolute or ~/: %s", err.msg);
		f = fopen(cfg, "w");
		fputs("ca_file = \"/etc/x/ca.pem\"\ncatalog_file = \"~/c.json\"\n",
		    f);
		fclose(f);
		r = bg_config_load(&c, cfg, &err);
		ok(r == 0 && strcmp(c.ca_file, "/etc/x/ca.pem") == 0 &&
			strncmp(c.catalog_file, dir, strlen(dir)) == 0 &&
			strcmp(c.catalog_file + strlen(dir), "/c.json") == 0,
		    "ca_file and catalog_file, each its own (~/ expanded)");
		if (r == 0)
			bg_config_free(&c);
		f = fopen(cfg, "w");
		fputs("catalog_file = \"~/nosuch.json\"\n", f);
		fclose(f);
		r = bg_config_load(&c, cfg, &err);
		ok(r == 0 && bg_catalog_load(&cat, &c, &err) < 0 &&
			strstr(err.msg, "cannot read catalog_file") != NULL &&
			strstr(err.msg, dir) != NULL,
		    "a missing catalog_file: %s", err.msg);
		if (r == 0)
			bg_config_free(&c);
	}
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)system(cmd);
	}
	return done_testing();
}
