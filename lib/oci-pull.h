/*
 * oci-pull.h — image-import-oci's request and act (lib/oci-pull.c).
 */
#ifndef BANGER_OCI_PULL_H
#define BANGER_OCI_PULL_H

#include "banger.h"

extern const struct bg_field bg_oci_pull_fields[];
int bg_oci_pull_act(struct bg_req *rq, cJSON **result, struct bg_err *err);

#endif
