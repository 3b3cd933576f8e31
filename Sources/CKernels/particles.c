// Pair forces of particles in a periodic square box, for molecular dynamics (P10's
// Lennard-Jones fluid). The pair potential is a sum of inverse powers, V(r) = sum_k c_k r^-p_k,
// cut at rc and shifted so that V(rc) = 0; Lennard-Jones is p = (12, 6), c = (4 eps sigma^12,
// -4 eps sigma^6). Pairs are found through a cell list (cells at least rc wide, a half stencil of
// 5 cells so each pair is visited once), so a step is O(N) at fixed density; below 3 cells a
// side every pair is visited. Distances are minimum-image. Built with -ffp-contract=off like the
// other kernels, so results do not depend on the machine.
#include "CKernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// V(r) and -V'(r)/r at r^2 = r2 (r < rc).
static inline void pair_terms(double r2, int m, const int *powers, const double *coeffs, double *v, double *fr) {
    double inv_r = 1.0 / sqrt(r2), inv_r2 = inv_r * inv_r;
    double energy = 0, force = 0;
    for (int k = 0; k < m; k++) {
        double t = 1.0;
        for (int j = 0; j < powers[k]; j++) t *= inv_r;       // r^-p
        energy += coeffs[k] * t;
        force += (double)powers[k] * coeffs[k] * t * inv_r2;  // p c r^-p / r^2 = -V'(r)/r
    }
    *v = energy;
    *fr = force;
}

static inline double wrap(double d, double box) { return d - box * nearbyint(d / box); }

// Visits every pair (i, j), i != j once, with r^2 < rc^2, calling body(i, j, dx, dy, r2).
#define FOR_EACH_PAIR(n, x, box, rc, ...)                                                        \
    do {                                                                                          \
        /* Cells at least rc wide, and no more cells than particles (a tiny cut-off or a dilute  \
           box would otherwise ask for a huge grid): wider cells only visit more candidates. */   \
        double per_side = floor((box) / (rc)), most = floor(sqrt((double)(n)));                  \
        int cells = (int)(per_side < most ? per_side : most);                                     \
        double rc2 = (rc) * (rc);                                                                 \
        int *head = cells >= 3 ? malloc(sizeof(int) * (size_t)cells * (size_t)cells) : NULL;      \
        int *next = cells >= 3 ? malloc(sizeof(int) * (size_t)(n)) : NULL;                        \
        if (head == NULL || next == NULL) {                                                       \
            free(head); free(next);                                                               \
            for (int i = 0; i < (n); i++)                                                         \
                for (int j = i + 1; j < (n); j++) {                                               \
                    double dx = wrap((x)[2 * i] - (x)[2 * j], box), dy = wrap((x)[2 * i + 1] - (x)[2 * j + 1], box); \
                    double r2 = dx * dx + dy * dy;                                                \
                    if (r2 < rc2 && r2 > 0) { __VA_ARGS__ }                                              \
                }                                                                                 \
            break;                                                                                \
        }                                                                                         \
        for (size_t c = 0; c < (size_t)cells * (size_t)cells; c++) head[c] = -1;                  \
        double width = (box) / cells;                                                             \
        for (int i = 0; i < (n); i++) {                                                           \
            int cx = (int)floor((x)[2 * i] / width), cy = (int)floor((x)[2 * i + 1] / width);     \
            cx = ((cx % cells) + cells) % cells; cy = ((cy % cells) + cells) % cells;             \
            next[i] = head[cy * cells + cx]; head[cy * cells + cx] = i;                           \
        }                                                                                         \
        static const int stencil[5][2] = {{0, 0}, {1, 0}, {-1, 1}, {0, 1}, {1, 1}};               \
        for (int cy = 0; cy < cells; cy++)                                                        \
            for (int cx = 0; cx < cells; cx++)                                                    \
                for (int s = 0; s < 5; s++) {                                                     \
                    int ox = (cx + stencil[s][0] + cells) % cells, oy = (cy + stencil[s][1] + cells) % cells; \
                    for (int i = head[cy * cells + cx]; i >= 0; i = next[i])                      \
                        for (int j = (s == 0 ? next[i] : head[oy * cells + ox]); j >= 0; j = next[j]) { \
                            double dx = wrap((x)[2 * i] - (x)[2 * j], box), dy = wrap((x)[2 * i + 1] - (x)[2 * j + 1], box); \
                            double r2 = dx * dx + dy * dy;                                        \
                            if (r2 < rc2 && r2 > 0) { __VA_ARGS__ }                                      \
                        }                                                                         \
                }                                                                                 \
        free(head); free(next);                                                                   \
    } while (0)

double nk_pair_forces(int n, const double *x, double box, double rc, int m, const int *powers, const double *coeffs,
                      double shift, double *f) {
    memset(f, 0, sizeof(double) * 2 * (size_t)n);
    double potential = 0;
    FOR_EACH_PAIR(n, x, box, rc, {
        double v, fr;
        pair_terms(r2, m, powers, coeffs, &v, &fr);
        potential += v - shift;
        f[2 * i] += fr * dx; f[2 * i + 1] += fr * dy;
        f[2 * j] -= fr * dx; f[2 * j + 1] -= fr * dy;
    });
    return potential;
}

double nk_velocity_verlet(int n, double *x, double *v, double *f, double box, double rc, int m, const int *powers,
                          const double *coeffs, double shift, double h, long steps) {
    double potential = 0;
    for (long s = 0; s < steps; s++) {
        for (int k = 0; k < 2 * n; k++) {
            v[k] += 0.5 * h * f[k];
            x[k] += h * v[k];
            x[k] -= box * floor(x[k] / box);
        }
        potential = nk_pair_forces(n, x, box, rc, m, powers, coeffs, shift, f);
        for (int k = 0; k < 2 * n; k++) v[k] += 0.5 * h * f[k];
    }
    return potential;
}

void nk_pair_histogram(int n, const double *x, double box, double rmax, int bins, double *counts) {
    double width = rmax / bins;
    // Every pair within rmax (rmax <= box/2, so the minimum image is the only image counted).
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double dx = wrap(x[2 * i] - x[2 * j], box), dy = wrap(x[2 * i + 1] - x[2 * j + 1], box);
            double r = sqrt(dx * dx + dy * dy);
            int k = (int)(r / width);
            if (r < rmax && k < bins) counts[k] += 1;    // r just below rmax can round to k = bins
        }
}

void nk_pair_force_basis(int n, const double *x, double box, double rc, int m, const int *powers, double *basis) {
    // basis[(2 i + a) m + k] = sum_j p_k r_ij^(-p_k - 2) (x_i - x_j)_a: the force on particle i
    // along axis a is sum_k c_k basis[..., k].
    memset(basis, 0, sizeof(double) * 2 * (size_t)n * (size_t)m);
    FOR_EACH_PAIR(n, x, box, rc, {
        double inv_r = 1.0 / sqrt(r2), inv_r2 = inv_r * inv_r;
        for (int k = 0; k < m; k++) {
            double t = 1.0;
            for (int q = 0; q < powers[k]; q++) t *= inv_r;
            double g = (double)powers[k] * t * inv_r2;
            basis[(2 * i) * m + k] += g * dx; basis[(2 * i + 1) * m + k] += g * dy;
            basis[(2 * j) * m + k] -= g * dx; basis[(2 * j + 1) * m + k] -= g * dy;
        }
    });
}
