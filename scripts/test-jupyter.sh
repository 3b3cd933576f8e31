#!/usr/bin/env bash
# The Jupyter kernel end to end, headless: a virtual environment with jupyter_client, ipykernel,
# nbclient, nbformat and NumPy (made once, in .build-jupyter/), the kernel installed into a
# private prefix, then scripts/test_jupyter.py (notebooks through the real kernel with nbclient,
# interrupt, completion, convert round trips, NumPy reading what save wrote).
set -euo pipefail
cd "$(dirname "$0")/.."
NOETHER="${NOETHER:-.build/debug/noether}"
root="$PWD/.build-jupyter"
venv="$root/venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import jupyter_client, ipykernel, nbclient, nbformat, numpy" 2>/dev/null \
  || "$venv/bin/pip" install -q jupyter_client ipykernel nbclient nbformat numpy
rm -rf "$root/prefix"
"$NOETHER" kernel install --prefix "$root/prefix" --python "$venv/bin/python" >/dev/null
export JUPYTER_PATH="$root/prefix/share/jupyter"
# Kernels' connection files and runtime state stay out of the user's home.
export JUPYTER_RUNTIME_DIR="$root/runtime" JUPYTER_DATA_DIR="$root/data" JUPYTER_CONFIG_DIR="$root/config"
"$venv/bin/python" scripts/test_jupyter.py "$NOETHER"
