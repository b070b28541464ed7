/*
 * kernel-list — the kernels installed in STATE/kernels/, from their manifests.
 *
 * Request: {"v":1}.  Result: {"kernels":[{"name","state","version",
 * "bytes",...}]} sorted by name (lib/artifact.c); "state" is "ready",
 * or "broken" with "error" when the manifest cannot be read.
 */
#include "banger.h"

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	(void)rq;
	return bg_artifact_list_result("kernels", result, err);
}

static const struct bg_verb verb = {
	.name = "kernel-list",
	.fields = (const struct bg_field[]){ { NULL } },
	.act = act,
};

int
main(void)
{
	return bg_verb_main(&verb);
}
