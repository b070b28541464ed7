/*
 * image-import-oci — pull a container image from an OCI registry and
 * install it as a VM image (lib/oci-pull.c; docs/oci-import.md).
 *
 * Request: {"v":1,"name":NAME,"ref":REFERENCE,"auth":BASE64?,
 *           "size":BYTES?,"kernel":KNAME?,"ca_file":PATH?,"proxy":URL?,
 *           "no_proxy":LIST?}
 * (the CLI reads the user's ~/.docker/config.json and passes the
 * registry's entry as "auth"; it is never logged or written).  Events:
 * progress (layer bytes), log (retries).  Result: {"name","kind","ref",
 * "digest","version","bytes","unpacked_bytes","layers","replaced",
 * "ssh"} or {"name","ref","digest","already":true}.
 */
#include "oci-pull.h"

BG_VERB(.name = "image-import-oci", .fields = bg_oci_pull_fields,
    .act = bg_oci_pull_act);
