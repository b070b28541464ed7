/*
 * kernel-pull — download a kernel bundle over https, check it and install it
 * (lib/pull.c; docs/bundles.md).
 *
 * Request: {"v":1,"name":NAME,"url":"https://...","sha256":HEX,
 *           "size":N?,"catalog":ENTRY?,"ca_file":PATH?,
 *           "proxy":URL?,"no_proxy":LIST?}
 * (the CLI resolves NAME in the catalogs and passes the user's proxy
 * settings).  Events: progress (bytes), log.  Result: {"name","kind",
 * "version","bytes","unpacked_bytes","resumed"} or {"name",
 * "already":true}.
 */
#include "pull.h"

BG_VERB(.name = "kernel-pull", .fields = bg_pull_fields, .act = bg_pull_act);
