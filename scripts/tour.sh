#!/usr/bin/env bash
# The main job: build Noether (release) and run the tour notebook, printing its transcript.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build -c release --product noether >&2
.build/release/noether run notebooks-txt/tour.txt
