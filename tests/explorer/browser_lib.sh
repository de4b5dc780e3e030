# Sourced by the explorer's browser tests: sets CHROMIUM, or exits 77 (ctest's "skipped") when
# Debian's chromium or python3-websocket is missing; scripts/install-deps.sh installs both.
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then echo "chromium is not installed (scripts/install-deps.sh); skipping"; exit 77; fi
if ! /usr/bin/python3 -c 'import websocket' 2>/dev/null; then
  echo "python3-websocket is not installed (scripts/install-deps.sh); skipping"; exit 77
fi
