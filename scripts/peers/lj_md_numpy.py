"""Peer timing for `noether bench lj-md`: a plain NumPy velocity-Verlet run of the same
Lennard-Jones fluid as Noether's md(lennardjones, ...) (P10, the tutorial's fourth experiment).

System: N particles of unit mass in a periodic square box at number density 0.7 (side sqrt(N/0.7)),
V(r) = 4 (r^-12 - r^-6) for r < 2.5, shifted by V(2.5); square-lattice start, Gaussian velocities
at temperature 1 with zero total momentum (NumPy's own seeded generator: the same ensemble as
Noether's, not the same numbers). Forces by the vectorised all-pairs minimum-image sum, the
usual way to write it in NumPy (O(N^2) a step: NumPy has no cell list). Velocity Verlet, h = 0.005.

Prints, per N: the steps per second (median of 3 runs of --steps steps after 20 warm-up steps) and
the relative drift of the total energy over the timed steps, as a check that the integration is
the same physics (Noether's md reports its drift the same way).

Usage: python3 lj_md_numpy.py [--n 256 1024] [--steps 2000]
"""
import argparse, statistics, time
import numpy as np

RC, H, DENSITY = 2.5, 0.005, 0.7
SHIFT = 4 * (RC ** -12 - RC ** -6)


def forces(x, box):
    d = x[:, None, :] - x[None, :, :]
    d -= box * np.round(d / box)
    r2 = (d * d).sum(-1)
    np.fill_diagonal(r2, np.inf)
    inside = r2 < RC * RC
    inv2 = np.where(inside, 1.0 / r2, 0.0)
    inv6 = inv2 ** 3
    u = 0.5 * np.where(inside, 4 * (inv6 * inv6 - inv6) - SHIFT, 0.0).sum()
    fr = 24 * (2 * inv6 * inv6 - inv6) * inv2           # -V'(r)/r
    return (fr[:, :, None] * d).sum(1), u


def start(n, seed=0):
    box = (n / DENSITY) ** 0.5
    side = int(np.ceil(np.sqrt(n)))
    spacing = box / side
    i = np.arange(n)
    x = np.stack([(i % side + 0.5) * spacing, (i // side + 0.5) * spacing], 1)
    v = np.random.default_rng(seed).standard_normal((n, 2))
    v -= v.mean(0)
    v *= np.sqrt((2 * n - 2) * 1.0 / 2 / (0.5 * (v * v).sum()))
    return x, v, box


def run(x, v, box, steps):
    f, u = forces(x, box)
    for _ in range(steps):
        v += 0.5 * H * f
        x += H * v
        x -= box * np.floor(x / box)
        f, u = forces(x, box)
        v += 0.5 * H * f
    return x, v, u


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, nargs="+", default=[256, 1024])
    ap.add_argument("--steps", type=int, default=2000)
    args = ap.parse_args()
    for n in args.n:
        x, v, box = start(n)
        x, v, u = run(x, v, box, 20)
        rates = []
        for _ in range(3):
            e0 = 0.5 * (v * v).sum() + forces(x, box)[1]
            t0 = time.perf_counter()
            x, v, u = run(x, v, box, args.steps)
            rates.append(args.steps / (time.perf_counter() - t0))
            e1 = 0.5 * (v * v).sum() + u
        print(f"numpy lj-md n={n}: {statistics.median(rates):.1f} steps/s (median of 3 x {args.steps} steps); "
              f"energy drift {abs(e1 - e0) / abs(e0):.2e} relative over the last run")
