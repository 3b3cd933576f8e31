// The elementwise steps of the tanh HNN's hand-written MAML pass (Learn's
// MetaLearning+FusedHNN.swift, whose header has the formulas and names), in C for the vector
// units Swift's baseline build does not use. Each expression is written in the Swift code's
// order and contraction is off (Package.swift), so the bits are the Swift loops' bits.
#include "CKernels.h"

#if defined(__x86_64__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

// e = u ⊙ (1 − a²)
CLONES void nk_hnn_slope(const double *restrict u, const double *restrict a, double *restrict e, size_t n) {
    for (size_t i = 0; i < n; i++) e[i] = u[i] * (1 - a[i] * a[i]);
}

// ū = ē ⊙ (1 − a²), ζ = −2 ē ⊙ a ⊙ e
CLONES void nk_hnn_up(const double *restrict eb, const double *restrict a, const double *restrict e,
                      double *restrict ub, double *restrict z, size_t n) {
    for (size_t i = 0; i < n; i++) {
        ub[i] = eb[i] * (1 - a[i] * a[i]);
        z[i] = -2 * eb[i] * a[i] * e[i];
    }
}

// z̄ = ζ + ā ⊙ (1 − a²) [+ ā_k ⊙ ḋ when abk is not NULL]
CLONES void nk_hnn_down(const double *restrict zt, const double *restrict ab, const double *restrict am,
                        const double *restrict abk, const double *restrict ddm, double *restrict z, size_t n) {
    if (abk)
        for (size_t i = 0; i < n; i++) z[i] = zt[i] + ab[i] * (1 - am[i] * am[i]) + abk[i] * ddm[i];
    else
        for (size_t i = 0; i < n; i++) z[i] = zt[i] + ab[i] * (1 - am[i] * am[i]);
}

// ȧ = (1 − a²) ⊙ ż, ḋ = −2 a ⊙ ȧ
CLONES void nk_hnn_tangent(const double *restrict z, const double *restrict a, double *restrict dot,
                           double *restrict ddot, size_t n) {
    for (size_t i = 0; i < n; i++) {
        dot[i] = (1 - a[i] * a[i]) * z[i];
        ddot[i] = -2 * a[i] * dot[i];
    }
}

// ė = u̇ ⊙ (1 − a²) + u ⊙ ḋ
CLONES void nk_hnn_slope_tangent(const double *restrict ud, const double *restrict a, const double *restrict u,
                                 const double *restrict dd, double *restrict e, size_t n) {
    for (size_t i = 0; i < n; i++) e[i] = ud[i] * (1 - a[i] * a[i]) + u[i] * dd[i];
}

// ū̇ = ē̇ ⊙ (1 − a²) + ē ⊙ ḋ, ζ̇ = −2(ē̇ ⊙ a ⊙ e + ē ⊙ ȧ ⊙ e + ē ⊙ a ⊙ ė)
CLONES void nk_hnn_up_tangent(const double *restrict ebd, const double *restrict a, const double *restrict e,
                              const double *restrict eb, const double *restrict ad, const double *restrict dd,
                              const double *restrict ed, double *restrict next, double *restrict zd, size_t n) {
    for (size_t i = 0; i < n; i++) {
        next[i] = ebd[i] * (1 - a[i] * a[i]) + eb[i] * dd[i];
        zd[i] = -2 * (ebd[i] * a[i] * e[i] + eb[i] * ad[i] * e[i] + eb[i] * a[i] * ed[i]);
    }
}
