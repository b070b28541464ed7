/*
 * image-list — the images installed in STATE/images/, from their manifests.
 *
 * Request: {"v":1}.  Result: {"images":[{"name","state","version",
 * "bytes",...}]} sorted by name (lib/artifact.c); "state" is "ready",
 * or "broken" with "error" when the manifest cannot be read.
 */
#include "banger.h"

BG_VERB(.name = "image-list", .act = bg_artifact_list_act);
