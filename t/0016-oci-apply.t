#!/bin/sh
cd "$(dirname "$0")/.." && exec build/t/oci-apply
