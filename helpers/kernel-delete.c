/*
 * kernel-delete — remove an installed kernel: STATE/kernels/NAME.
 *
 * Request: {"v":1,"name":NAME}.  Result: {"name","deleted":true}.
 * Refused (busy) while a VM boots with it: a VM reads its kernel from
 * STATE/kernels at every start.  Otherwise as image-delete
 * (lib/artifact.c).
 */
#include "banger.h"

BG_VERB(.name = "kernel-delete",
    .fields = BG_FIELDS(BG_F_ARTIFACT("name", true)),
    .act = bg_artifact_delete_act);
