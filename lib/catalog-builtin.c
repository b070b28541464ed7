/*
 * catalog-builtin.c — the catalog compiled into banger: conf/catalog.json,
 * made into a C string by the Makefile (build/gen/catalog.inc).  A
 * release fills in each bundle's sha256 and size there
 * (docs/image-catalog.md); until then its entries say they are not
 * published, and pulls point at building the image locally.
 */
#include "banger.h"

const char bg_catalog_builtin[] =
#include "catalog.inc"
    ;
