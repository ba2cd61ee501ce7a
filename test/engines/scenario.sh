#!/bin/bash
# Runs one scenario of the engine lane in its own process (so that the runner can bound it in time):
#   scenario.sh ENGINE SCENARIO RUNTIME-NAME RUNTIME-PATH
# The runner exports T, IMAGE_TAR and the engine's own variables.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ENGINE=$1 SCENARIO=$2 RT=$3 RT_PATH=$4
export RT RT_PATH
source "$HERE/lib/common.sh"
source "$HERE/lib/$ENGINE.sh"
"sc_${ENGINE}_${SCENARIO}"
