"""The Noether Jupyter kernel and NumPy files, checked from Python (run by scripts/test-jupyter.sh).

Every check raises on failure, with what was expected and what came back.
"""
import base64
import glob
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time

import nbformat
import numpy as np
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient

NOETHER = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp(prefix="noether-jupyter-")
checks = 0


def check(condition, message):
    global checks
    if not condition:
        raise AssertionError(message)
    checks += 1


def noether(*args, ok=True):
    r = subprocess.run([NOETHER, *args], capture_output=True, text=True, cwd=work)
    if ok and r.returncode != 0:
        raise AssertionError("noether %s failed: %s%s" % (" ".join(args), r.stdout, r.stderr))
    return r


def text_of(outputs):
    """The plain text a cell showed: streams, results and errors, as the text notebooks record it."""
    parts = []
    for o in outputs:
        if o.output_type == "stream":
            parts.append(o.text)
        elif o.output_type in ("display_data", "execute_result") and "image/png" not in o.data \
                and not o.get("metadata", {}).get("noether", {}).get("progress"):
            parts.append(o.data.get("text/plain", "") + "\n")
        elif o.output_type == "error":
            parts.append("\n".join(o.traceback) + "\n")
    return "".join(parts)


def noether_child(km):
    """The pid of the kernel's `noether kernel serve` process."""
    pid = km.provisioner.process.pid
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        children = [int(c) for c in f.read().split()]
    check(len(children) == 1, "the kernel runs one Noether process: %r" % children)
    return children[0]


def run(kc, code, timeout=120):
    """Executes code; with stop_on_error=False, so that a failing cell does not make ipykernel
    abort the request sent right after it (the next run's reply would be "aborted", with no
    output, whenever it reached the kernel before ipykernel stopped aborting)."""
    messages = []
    reply = kc.execute_interactive(code, output_hook=messages.append, timeout=timeout, stop_on_error=False)["content"]
    return reply, messages


def png_size(data):
    raw = base64.b64decode(data)
    check(raw[:8] == b"\x89PNG\r\n\x1a\n", "an image/png output that is not a PNG: %r" % raw[:8])
    width, height = struct.unpack(">II", raw[16:24])
    return width, height


# 1. A notebook through the real kernel with nbclient: text, LaTeX, a figure, an error cell
#    with the session alive after it, an interrupted long statement and a working cell after it.
cells = [
    "canonical (x, px)\nH = px^2/2 + x^2/2\nH",                                   # 0
    "bracket(x, H)",                                                               # 1
    "latex(H)",                                                                    # 2
    'o = simulate(x0: [1, 0], t: 6.3, step: 0.01, method: gl4)\nplot(o, "%s/phase.png")' % work,  # 3
    "bracket(x, )",                                                                # 4
    "bracket(px, H)",                                                              # 5
    "load calogero(n: 8)",                                                         # 6: long, interrupted
    "bracket(x, H)\nshow",                                                         # 7
]
nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "noether", "display_name": "Noether", "language": "noether"}})
nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
client = NotebookClient(nb, kernel_name="noether", allow_errors=True, interrupt_on_timeout=True,
                        timeout_func=lambda cell: 4 if "calogero" in cell.source else 300)
start = time.time()
client.execute()
elapsed = time.time() - start
out = [c.outputs for c in nb.cells]
check(text_of(out[0]) == "px^2/2 + x^2/2\n", "cell 0: %r" % text_of(out[0]))
check(out[0][0].data.get("text/latex") == "$$\\frac{\\mathrm{px}^{2}}{2} + \\frac{x^{2}}{2}$$", "cell 0 LaTeX: %r" % out[0][0].data)
check(text_of(out[1]) == "px\n", "cell 1: %r" % text_of(out[1]))
check(out[2][0].data["text/latex"].startswith("$$\\frac{"), "latex(H) renders as math: %r" % out[2][0].data)
images = [o for o in out[3] if o.output_type == "display_data" and "image/png" in o.data]
check(len(images) == 1, "cell 3 shows one figure: %r" % [o.output_type for o in out[3]])
w, h = png_size(images[0].data["image/png"])
check(w > 100 and h > 100, "the figure is %dx%d" % (w, h))
check("wrote %s/phase.png" % work in text_of(out[3]), "cell 3 names its file: %r" % text_of(out[3]))
check(os.path.getsize("%s/phase.png" % work) == len(base64.b64decode(images[0].data["image/png"])), "the inline PNG is the file")
errors = [o for o in out[4] if o.output_type == "error"]
check(len(errors) == 1 and errors[0].traceback[-1].strip() == "^", "cell 4: an error with its caret: %r" % out[4])
check("expected an expression" in errors[0].evalue, "cell 4's message: %r" % errors[0].evalue)
check(text_of(out[5]) == "-x\n", "after the error the session is intact: %r" % text_of(out[5]))
interrupted = [o for o in out[6] if o.output_type == "error"]
check(interrupted and interrupted[-1].ename == "Interrupted", "cell 6 was interrupted: %r" % out[6])
check(text_of(out[7]).startswith("px\npairs: (x, px)\n"), "after the interrupt the session is the one before it: %r" % text_of(out[7]))
check(elapsed < 120, "the interrupt stopped calogero(n: 8) (the notebook took %.0f s)" % elapsed)

# 2. Completion, inspection, live progress, an HTML table and restart, through jupyter_client.
km, kc = start_new_kernel(kernel_name="noether")
try:
    reply = kc.complete("brac", 4, reply=True)["content"]
    check(reply["matches"] == ["bracket"] and reply["cursor_start"] == 0, "complete 'brac': %r" % reply)
    kc.execute_interactive("load harmonic", output_hook=lambda m: None, timeout=60)
    reply = kc.complete("train(hnn, d, ste", 17, reply=True)["content"]
    check(reply["matches"] == ["step: ", "steps: "], "complete a train option: %r" % reply)
    reply = kc.complete("load kep", 8, reply=True)["content"]
    check(reply["matches"] == ["kepler2d", "kepler3d"], "complete a catalog system: %r" % reply)
    reply = kc.inspect("conserved(", 10, reply=True)["content"]
    check(reply["found"] and "conserved(f, g, ...)" in reply["data"]["text/plain"], "inspect conserved: %r" % reply)
    messages = []
    code = "d = dataset(harmonic, trajectories: 4, samples: 20, seed: 0)\nm = train(hnn, d, hidden: 8, steps: 300, seed: 0)\ncompare(m, d)"
    reply = kc.execute_interactive(code, output_hook=messages.append, timeout=120)["content"]
    check(reply["status"] == "ok", "training: %r" % reply)
    kinds = [m["msg_type"] for m in messages]
    check(kinds.count("update_display_data") >= 10, "training progress updates one display in place: %r" % kinds)
    html = [m["content"]["data"]["text/html"] for m in messages if m["msg_type"] == "display_data" and "text/html" in m["content"]["data"]]
    check(html and html[-1].count("<tr>") >= 2 and "<th>model</th>" in html[-1], "compare is an HTML table: %r" % html)
    info = kc.kernel_info(reply=True)["content"]
    check(info["supported_features"] == [] and info["language_info"]["name"] == "noether", "kernel_info: %r" % info)

    # SIGINT to the wrapper alone (not its process group) is forwarded to Noether.
    # stop_on_error=False: Jupyter's own rule (a failed cell aborts the cells queued behind it,
    # as Run All stops at an error) would otherwise race with the next request.
    kc.execute("x0 = 5\nload calogero(n: 8)", stop_on_error=False)
    time.sleep(3)
    os.kill(km.provisioner.process.pid, signal.SIGINT)
    reply = kc.get_shell_msg(timeout=60)["content"]
    check(reply["status"] == "error" and reply["ename"] == "Interrupted", "a forwarded interrupt: %r" % reply)
    reply, messages = run(kc, "x0")
    check(reply["status"] == "ok" and [m["content"]["data"]["text/plain"] for m in messages if m["msg_type"] == "display_data"] == ["5"],
          "x0 kept: %r, %r" % (reply, messages))

    # Stop pressed while a completion waits for its reply: the reply is not lost, and no later
    # output is shifted onto the wrong cell.
    child = noether_child(km)
    os.kill(child, signal.SIGSTOP)
    msg_id = kc.complete("brac", 4)
    time.sleep(0.5)
    km.interrupt_kernel()
    time.sleep(0.5)
    os.kill(child, signal.SIGCONT)
    reply = kc.get_shell_msg(timeout=30)
    check(reply["parent_header"]["msg_id"] == msg_id and reply["content"]["matches"] == ["bracket"], "completion across a stop: %r" % reply["content"])
    for code, shown in [("1 + 1", "2"), ("2 + 2", "4"), ("x0", "5")]:
        reply, messages = run(kc, code)
        texts = [m["content"]["data"]["text/plain"] for m in messages if m["msg_type"] == "display_data"]
        check(texts == [shown], "%s after the stopped completion shows %r" % (code, texts))

    # The Noether process killed: the next cell says the session was lost, and runs in a fresh one.
    os.kill(noether_child(km), signal.SIGKILL)
    time.sleep(0.5)
    reply, messages = run(kc, "x0")
    errors = [m["content"] for m in messages if m["msg_type"] == "error"]
    check(errors and "session is lost" in errors[0]["evalue"], "a lost session is reported: %r" % errors)
    kinds = [m["msg_type"] for m in messages if m["msg_type"] in ("error", "display_data")]
    check(kinds == ["error", "display_data"], "the loss is said before the fresh session's output: %r" % kinds)

    # A request Noether cannot read (a lone surrogate a browser may send; jupyter_client cannot)
    # is answered without an id, never with another request's, which the wrapper takes as the
    # answer to its current request; the next request is answered as usual.
    serve = subprocess.run([NOETHER, "kernel", "serve"], capture_output=True, text=True, timeout=60,
                           input='{"op": "complete", "code": "\\ud800", "cursor": 1, "id": 7}\n{"op": "complete", "code": "brac", "cursor": 4, "id": 8}\n')
    replies = [json.loads(line) for line in serve.stdout.splitlines()]
    check([r.get("id") for r in replies] == [None, None, 8] and replies[1]["status"] == "error" and replies[2]["matches"] == ["bracket"],
          "an unreadable request: %r" % replies)
    texts = [m["content"]["data"]["text/plain"] for m in messages if m["msg_type"] == "display_data"]
    check(texts == ["x0"], "the fresh session has no x0: %r" % texts)

    km.restart_kernel(now=True)
    kc.wait_for_ready(timeout=60)
    messages = []
    reply = kc.execute_interactive("d", output_hook=messages.append, timeout=60)["content"]
    shown = [m["content"]["data"]["text/plain"] for m in messages if m["msg_type"] == "display_data"]
    check(reply["status"] == "ok" and shown == ["d"], "after restart d is a plain symbol again, not the dataset: %r" % shown)
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)

# 3. Every text notebook through convert --to ipynb and back, identical; each .ipynb valid.
notebooks = sorted(glob.glob(os.path.join(os.getcwd(), "notebooks-txt", "*.txt")))
check(len(notebooks) >= 30, "found %d notebooks" % len(notebooks))
for path in notebooks:
    name = os.path.basename(path)[:-4]
    noether("convert", path, "--to", "ipynb", "-o", "%s/%s.ipynb" % (work, name))
    nbformat.validate(nbformat.read("%s/%s.ipynb" % (work, name), as_version=4))
    noether("convert", "%s/%s.ipynb" % (work, name), "--to", "txt", "-o", "%s/%s.txt" % (work, name))
    with open(path, "rb") as a, open("%s/%s.txt" % (work, name), "rb") as b:
        check(a.read() == b.read(), "%s changed in the round trip" % name)

# 4. A text notebook executed in Jupyter through the kernel, converted back, is the text
#    notebook: the kernel runs statements exactly as the REPL does.
for name in ("tour", "calogero-moser"):
    nb = nbformat.read("%s/%s.ipynb" % (work, name), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    NotebookClient(nb, kernel_name="noether", allow_errors=True, timeout=300).execute()
    nbformat.write(nb, "%s/%s-run.ipynb" % (work, name))
    noether("convert", "%s/%s-run.ipynb" % (work, name), "--to", "txt", "-o", "%s/%s-run.txt" % (work, name))
    with open("notebooks-txt/%s.txt" % name) as a, open("%s/%s-run.txt" % (work, name)) as b:
        check(a.read() == b.read(), "%s executed through the kernel differs from its text notebook" % name)
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    check(name != "tour" or len(shown) == 2, "the tour shows its two figures inline (%d)" % len(shown))

# 5. NumPy reads what save wrote, with the numbers of the CSV; corrupt files are refused.
script = """
load harmonic
d = dataset(harmonic, trajectories: 3, samples: 6, noise: 0.01, seed: 4)
save(d, "d.npz")
save(d, "d.csv")
m = train(scnn, d, hidden: 8, steps: 20, seed: 0)
save(latent(m, d), "z.npy")
save(latent(m, d), "z.npz")
save(latent(m, d), "z.csv")
"""
noether("-e", script)
csv = np.genfromtxt("%s/d.csv" % work, delimiter=",", skip_header=2, names=True, dtype=None, encoding=None)
z = np.load("%s/d.npz" % work)
meta = json.loads(str(z["metadata"]))
names = meta["names"]
check(z.files == ["x", "dx", "t", "trajectory", "split", "metadata"], "the arrays: %r" % z.files)
check(np.array_equal(z["x"], np.column_stack([csv[n] for n in names])), "x equals the CSV's states")
check(np.array_equal(z["dx"], np.column_stack([csv["d_" + n] for n in names])), "dx equals the CSV's derivatives")
check(np.array_equal(z["t"], csv["t"]) and np.array_equal(z["trajectory"], csv["trajectory"]), "t and trajectory equal the CSV's")
check(list(z["split"]) == list(csv["split"]), "split equals the CSV's")
check(meta["system"] == "harmonic" and meta["noise"] == 0.01 and meta["seed"] == "4", "metadata: %r" % meta)
table = np.genfromtxt("%s/z.csv" % work, delimiter=",", skip_header=2, names=True, dtype=None, encoding=None)
latent = np.load("%s/z.npy" % work)
columns = [n for n in table.dtype.names if n not in ("trajectory", "split", "t")]
check(latent.dtype == np.float64 and latent.shape == (18, len(columns)), "z.npy: %s %r" % (latent.dtype, latent.shape))
check(np.array_equal(latent, np.column_stack([table[c] for c in columns])), "z.npy equals the CSV's columns")
zz = np.load("%s/z.npz" % work)
check(np.array_equal(zz["values"], latent) and json.loads(str(zz["metadata"]))["names"] == columns, "z.npz: %r" % zz.files)
# NumPy's own writer: the dataset's arrays saved again by np.savez read back in Noether as the
# same dataset (its CSV identical), and z.npy is byte for byte what np.save writes.
np.savez("%s/resaved.npz" % work, **{k: z[k] for k in z.files})
noether("-e", 'save(read("resaved.npz"), "resaved.csv")')
with open("%s/d.csv" % work, "rb") as a, open("%s/resaved.csv" % work, "rb") as b:
    check(a.read() == b.read(), "np.savez's archive reads back as the same dataset")
np.save("%s/np.npy" % work, latent)
with open("%s/np.npy" % work, "rb") as a, open("%s/z.npy" % work, "rb") as b:
    check(a.read() == b.read(), "z.npy is what np.save writes, byte for byte")
ours = noether("-e", 'read("np.npy")', ok=False)
check("is a single NumPy array (.npy); read takes a dataset" in ours.stdout, "a .npy read as a dataset: %r" % ours.stdout)
np.savez_compressed("%s/c.npz" % work, x=np.zeros(3))
r = noether("-e", 'read("c.npz")', ok=False)
check(r.returncode == 1 and "np.savez_compressed" in r.stdout, "a compressed archive: %r" % r.stdout)
with open("%s/d.npz" % work, "rb") as f:
    raw = f.read()
with open("%s/cut.npz" % work, "wb") as f:
    f.write(raw[: len(raw) // 2])
r = noether("-e", 'read("cut.npz")', ok=False)
check(r.returncode == 1 and "cut.npz" in r.stdout and "^" in r.stdout, "a cut-off archive: %r" % r.stdout)

print("jupyter: %d checks passed (kernel notebook %.1f s)" % (checks, elapsed))
