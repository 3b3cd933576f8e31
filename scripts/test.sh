#!/usr/bin/env bash
# The test suite: unit and acceptance tests (which also check every notebook), then the
# notebooks once more through the command-line checker.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build --build-tests
.build/debug/noether check notebooks-txt/*.txt
swift test --skip-build --disable-swift-testing
