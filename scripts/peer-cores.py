"""How many cores a peer of ../shared/peers/hnn_step.py keeps busy while it times its steps.

Runs the peer's own step function (hnn_step.torch_step or jax_step, unchanged) with a thread
that samples the process's CPU time every 0.25 s of wall time, and prints the median step time
with the cores busy over the last 2 s of the timing loop (past import and compilation).
JAX sizes its thread pool from the CPU affinity and ignores the script's thread flags; under
`taskset -c 0` it runs on one core (jax-ml/jax#1539).

Usage: python3 peer-cores.py PEERS_DIR {torch,jax} {float64,float32}
"""
import argparse, os, statistics, sys, threading, time

peers, framework, dtype = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, peers)
import hnn_step

samples, running = [], True

def sample():
    wall, cpu = time.perf_counter(), sum(os.times()[:2])
    while running:
        time.sleep(0.25)
        w, c = time.perf_counter(), sum(os.times()[:2])
        samples.append((c - cpu) / (w - wall))
        wall, cpu = w, c

threading.Thread(target=sample, daemon=True).start()
args = argparse.Namespace(batch=4096, dim=8, steps=80, threads=1)
seconds = getattr(hnn_step, f"{framework}_step")(args, dtype)
running = False
busy = samples[-8:]
print(f"{framework} {dtype}: {seconds * 1e3:.2f} ms/step; cores busy while timing: "
      f"median {statistics.median(busy):.2f} (samples {', '.join(f'{b:.2f}' for b in busy)})")
