#!/bin/sh
# Malformed messages between processes are fatal, in both directions.
. "$(dirname "$0")/../lib.sh"
need_root
"$PYTHON" "$(dirname "$0")/child_fatal.py" || FAILED=1
"$(dirname "$0")/parent_fatal.sh" || FAILED=1
finish
