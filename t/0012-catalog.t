#!/bin/sh
# The catalogs (lib/catalog.c): the built-in one, catalog_file and
# [[catalog]] layered; broken entries refused naming their place.
cd "$(dirname "$0")/.." && exec build/t/catalog
