/*
 * image-delete — remove an installed image: STATE/images/NAME.
 *
 * Request: {"v":1,"name":NAME}.  Result: {"name","deleted":true}.
 * The directory is first renamed to a hidden name (so no half-deleted
 * image is ever listed or used), then removed (lib/artifact.c).  VMs
 * made from the image keep working: each has its own copy of the root
 * file system.  An image installed by root (not the owner's) cannot be
 * deleted here.
 */
#include "banger.h"

BG_VERB(.name = "image-delete",
    .fields = BG_FIELDS(BG_F_ARTIFACT("name", true)),
    .act = bg_artifact_delete_act);
