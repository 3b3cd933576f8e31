"""A real JupyterLab rendering of the Noether kernel, headless (run by scripts/jupyterlab-screenshot.sh).

Writes a notebook without outputs, opens it in the JupyterLab served at argv[1], runs every cell
with Shift+Enter as a user would, waits for the inline figure and the MathJax output, and saves a
screenshot to argv[3] (argv[2] is the notebook's folder).
"""
import os
import sys
import time

import nbformat
from playwright.sync_api import sync_playwright

url, folder, out = sys.argv[1], sys.argv[2], sys.argv[3]
nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "noether", "display_name": "Noether", "language": "noether"}})
nb.cells = [
    nbformat.v4.new_markdown_cell("# Noether in JupyterLab\nThe Kepler problem: exact proofs, a symplectic simulation, an inline figure."),
    nbformat.v4.new_code_cell("load kepler3d\nH"),
    nbformat.v4.new_code_cell("conserved(A1, A2, A3)\nbracket(A1, A2) == -2*H*L3"),
    nbformat.v4.new_code_cell('o = simulate(x0: [1, 0, 0, 0, 1.2, 0], t: 20, step: 0.01, method: gl4)\nplot(o, "phase.png")'),
    nbformat.v4.new_code_cell("latex(A1)"),
    nbformat.v4.new_code_cell("bracket(L1,"),
    nbformat.v4.new_code_cell("conserved(L1)"),
]
nbformat.write(nb, os.path.join(folder, "demo.ipynb"))
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1200, "height": 1700})
    page.goto(url + "/lab/tree/demo.ipynb")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
    time.sleep(8)  # the kernel starts
    for button in ("No",):  # JupyterLab's news prompt
        try:
            page.click("button:has-text('%s')" % button, timeout=3000)
        except Exception:
            pass
    page.click(".jp-Notebook .jp-Cell >> nth=0")
    page.keyboard.press("Escape")
    for _ in nb.cells:
        page.keyboard.press("Shift+Enter")
        time.sleep(1.5)
    page.wait_for_selector(".jp-RenderedImage img", timeout=60000)
    page.wait_for_selector("mjx-container", timeout=60000)
    time.sleep(4)
    page.screenshot(path=out)
    browser.close()
print("wrote", out)
