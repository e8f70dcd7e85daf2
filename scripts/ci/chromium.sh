#!/usr/bin/env bash
# Usage: bash scripts/ci/chromium.sh && export FERRY_TEST_CHROMIUM=/usr/bin/chromium
# Installs Debian's chromium for the dashboard's end-to-end tests (test/web*.test.ts), which drive
# it with the npm package playwright-core. Never `npx playwright install`: it downloads a browser
# build of its own, which this project does not rely on (and which cannot be fetched offline).
# Then checks that the browser starts headless and prints its version.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

bash "$here/apt.sh" chromium

# The /usr/bin/chromium wrapper prints "[: …: unexpected operator" from its /dev/shm check; harmless.
chromium --headless --no-sandbox --disable-gpu --version 2>/dev/null
