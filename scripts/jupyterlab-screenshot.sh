#!/usr/bin/env bash
# A screenshot of the Noether kernel in a real JupyterLab, headless (not part of the tests):
# Debian's chromium, JupyterLab and Playwright in .build-jupyter/lab-venv, the kernel installed
# there, a demo notebook run cell by cell in the browser. Writes docs/jupyterlab.png.
set -euo pipefail
cd "$(dirname "$0")/.."
NOETHER="${NOETHER:-.build/release/noether}"
command -v chromium >/dev/null || apt-get install -y -q chromium >/dev/null
venv="$PWD/.build-jupyter/lab-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import jupyterlab, playwright, nbformat" 2>/dev/null || "$venv/bin/pip" install -q jupyterlab playwright nbformat
"$NOETHER" kernel install --sys-prefix --python "$venv/bin/python" >/dev/null
folder=$(mktemp -d /tmp/noether-lab.XXXX)
port=8899
"$venv/bin/jupyter" lab --no-browser --allow-root --port $port --IdentityProvider.token='' --ServerApp.root_dir="$folder" > "$folder/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -s -o /dev/null "http://localhost:$port/lab" && break; sleep 1; done
"$venv/bin/python" scripts/jupyterlab_screenshot.py "http://localhost:$port" "$folder" "$PWD/docs/jupyterlab.png"
