#!/bin/sh
# Tests in a virtual machine (each skips where it cannot run).
cd "$(dirname "$0")" || exit 1
./kernel_wg.sh
