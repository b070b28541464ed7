/*
 * image-list — the images installed in STATE/images/, from their manifests.
 *
 * Request: {"v":1}.  Result: {"images":[{"name","state","version",
 * "bytes",...}]} sorted by name (lib/artifact.c); "state" is "ready",
 * or "broken" with "error" when the manifest cannot be read.
 */
#include "banger.h"

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	(void)rq;
	return bg_artifact_list_result("images", result, err);
}

static const struct bg_verb verb = {
	.name = "image-list",
	.fields = (const struct bg_field[]){ { NULL } },
	.act = act,
};

int
main(void)
{
	return bg_verb_main(&verb);
}
