/*
 * oci-ref.c — image references (lib/oci-ref.c): Docker's defaults, the
 * grammar's edges, the canonical string, the default local name.
 */
#include <errno.h>
#include <string.h>

#include "banger.h"
#include "oci-ref.h"
#include "tap.h"

static void
good(const char *in, const char *want, const char *local)
{
	struct bg_oci_ref r;
	struct bg_err err;
	char buf[600], name[BG_NAME_MAX + 1];

	memset(&err, 0, sizeof(err));
	if (!ok(bg_oci_ref_parse(in, &r, &err) == 0, "parse \"%s\"", in)) {
		printf("#   %s\n", err.msg);
		return;
	}
	ok(bg_oci_ref_string(&r, buf, sizeof(buf)) == 0 &&
		strcmp(buf, want) == 0,
	    "\"%s\" is %s (got %s)", in, want, buf);
	if (local != NULL)
		ok(bg_oci_ref_local_name(&r, name, sizeof(name)) == 0 &&
			strcmp(name, local) == 0 &&
			bg_artifact_name_valid(name),
		    "\"%s\": local name %s (got %s)", in, local, name);
}

static void
bad(const char *in, const char *why)
{
	struct bg_oci_ref r;
	struct bg_err err;

	memset(&err, 0, sizeof(err));
	ok(bg_oci_ref_parse(in, &r, &err) == -EINVAL &&
		strcmp(err.code, "bad_request") == 0 &&
		strstr(err.msg, why) != NULL &&
		strstr(err.msg, "[REGISTRY/]REPOSITORY") != NULL,
	    "\"%s\" refused: %s (got %s)", in, why, err.msg);
}

int
main(void)
{
	static const char dig[] = "sha256:"
				  "0123456789abcdef0123456789abcdef"
				  "0123456789abcdef0123456789abcdef";
	char in[400], want[400];
	struct bg_oci_ref r;
	struct bg_err err;

	/* Docker's defaults. */
	good("library/debian:bookworm-slim",
	    "docker.io/library/debian:bookworm-slim", "debian-bookworm-slim");
	good("docker.io/debian", "docker.io/library/debian:latest", "debian");
	good("docker.io/library/debian:12", "docker.io/library/debian:12",
	    "debian-12");
	good("alpine/git:v2.45.2", "docker.io/alpine/git:v2.45.2",
	    "git-v2.45.2");
	good("ghcr.io/owner/sub/tool:1.0", "ghcr.io/owner/sub/tool:1.0",
	    "tool-1.0");
	good("localhost/x", "localhost/x:latest", "x");
	good("localhost:5000/a/b", "localhost:5000/a/b:latest", "b");
	good("127.0.0.1:5000/busy_box:Tag_1", "127.0.0.1:5000/busy_box:Tag_1",
	    "busy-box-tag-1");
	good("a__b/c-----d.e", "docker.io/a__b/c-----d.e:latest", "c-----d.e");
	/* A digest: what is pulled; a tag beside it is kept to show. */
	snprintf(in, sizeof(in), "library/debian@%s", dig);
	snprintf(want, sizeof(want), "docker.io/library/debian@%s", dig);
	good(in, want, "debian-0123456789ab");
	snprintf(in, sizeof(in), "reg.example:443/x:1@%s", dig);
	snprintf(want, sizeof(want), "reg.example:443/x:1@%s", dig);
	good(in, want, "x-0123456789ab");
	/* What is not a reference at all. */
	ok(!bg_oci_ref_like("debian") && !bg_oci_ref_like("debian-6.1.0"),
	    "catalog names (no '/') are never references");
	ok(bg_oci_ref_like("a/b") && !bg_oci_ref_like("debian:12"),
	    "a '/' makes a reference; debian:12 is not taken for Docker Hub");
	bad("", "at least one '/'");
	bad("debian:12", "at least one '/'");
	bad("Library/debian", "each part of the path");
	bad("docker.io/Library/x", "each part of the path");
	bad("a//b", "no empty parts");
	bad("a/b/", "no empty parts");
	bad("-a/b", "each part of the path");
	bad("a..b/c", "host name"); /* a dot: the first part is a registry */
	bad("x/a..b", "each part of the path");
	bad("a/b.-c", "each part of the path");
	bad("a/b___c", "each part of the path");
	bad("a/b:", "a tag is");
	bad("a/b:.x", "a tag is");
	bad("a/b:x/y", "each part of the path");
	bad("a/b:x!", "a tag is");
	bad("a/b@sha256:abc", "a digest is");
	bad("a/b@md5:0123456789abcdef0123456789abcdef", "a digest is");
	snprintf(in, sizeof(in), "a/b@sha256:%064d", 0);
	in[strlen(in) - 1] = 'G';
	bad(in, "a digest is");
	bad("reg.example:99999999/x", "host name");
	bad("reg.example:0/x", "host name");
	bad("[::1]:5000/x", "host name");
	bad("reg..example/x", "host name");
	bad(".reg/x", "host name");

	memset(in, 'a', 300);
	in[1] = '/';
	in[300] = '\0';
	bad(in, "too long");
	snprintf(in, sizeof(in), "a/b:%0129d", 0);
	bad(in, "a tag is");
	/* The API host of Docker Hub. */
	memset(&err, 0, sizeof(err));
	ok(bg_oci_ref_parse("docker.io/debian", &r, &err) == 0 &&
		strcmp(bg_oci_ref_api_host(&r), "registry-1.docker.io") == 0,
	    "docker.io's registry API is registry-1.docker.io");
	ok(bg_oci_ref_parse("localhost:5000/x", &r, &err) == 0 &&
		strcmp(bg_oci_ref_api_host(&r), "localhost:5000") == 0,
	    "other registries are their own host");
	/* A long name still gives a valid local name, cut at 63. */
	snprintf(in, sizeof(in), "r.io/%.*s:%.40s", 70,
	    "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij",
	    "t123456789t123456789t123456789t123456789");
	{
		char name[BG_NAME_MAX + 1];

		ok(bg_oci_ref_parse(in, &r, &err) == 0 &&
			bg_oci_ref_local_name(&r, name, sizeof(name)) == 0 &&
			strlen(name) == BG_NAME_MAX &&
			bg_artifact_name_valid(name),
		    "a long reference: a 63-byte local name");
	}
	done_testing();
}
