/*
 * kernel-list — the kernels installed in STATE/kernels/, from their manifests.
 *
 * Request: {"v":1}.  Result: {"kernels":[{"name","state","version",
 * "bytes",...}]} sorted by name (lib/artifact.c); "state" is "ready",
 * or "broken" with "error" when the manifest cannot be read.
 */
#include "banger.h"

BG_VERB(.name = "kernel-list", .act = bg_artifact_list_act);
