// See CKernels.h. Built with -ffp-contract=off (Package.swift): a·b + c is never fused behind
// our back, so the AVX-512, AVX2 and baseline clones give identical bits; the fused operations
// are the explicit fma() calls, which the baseline clone takes from libm (correctly rounded).
#include "CKernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define BASELINE __attribute__((target("arch=x86-64"), noinline))
#else
#define CLONES
#define BASELINE __attribute__((noinline))
#endif

// tanh x = e / (e + 2) with e = expm1(2x): no cancellation near 0. expm1 by Cody–Waite
// reduction 2x = k ln2 + r, |r| ≤ ln2/2, Taylor series of expm1(r) to r¹³ (truncation below
// 2e-17 relative), then expm1(2x) = 2ᵏ·expm1(r) + (2ᵏ − 1) in one fma. |x| > 20 saturates
// (tanh rounds to ±1 from 19.06 on); the comparisons let NaN through.
static const double ln2_hi = 6.93147180369123816490e-01;  // 32 significant bits: k·ln2_hi exact
static const double ln2_lo = 1.90821492927058770002e-10;
static const double inv_ln2 = 1.44269504088896338700e+00;
static const double shifter = 6755399441055744.0;  // 1.5·2⁵²: adding it rounds to an integer

// eʸ = 2ᵏ (1 + p) for |y| < 709.7 (2ᵏ stays a normal number): *s = 2ᵏ and *p = expm1(r), by the
// reduction and series above.
static inline __attribute__((always_inline)) void exp_parts(double y, double *scale, double *part) {
    double t = fma(y, inv_ln2, shifter);
    double k = t - shifter;
    double r = fma(-k, ln2_hi, y);
    r = fma(-k, ln2_lo, r);
    double q = 1.0 / 6227020800.0;               // 1/13!
    q = fma(q, r, 1.0 / 479001600.0);
    q = fma(q, r, 1.0 / 39916800.0);
    q = fma(q, r, 1.0 / 3628800.0);
    q = fma(q, r, 1.0 / 362880.0);
    q = fma(q, r, 1.0 / 40320.0);
    q = fma(q, r, 1.0 / 5040.0);
    q = fma(q, r, 1.0 / 720.0);
    q = fma(q, r, 1.0 / 120.0);
    q = fma(q, r, 1.0 / 24.0);
    q = fma(q, r, 1.0 / 6.0);
    q = fma(q, r, 0.5);
    double p = fma(q, r * r, r);                 // expm1(r)
    uint64_t bits;
    memcpy(&bits, &t, sizeof bits);              // low bits of t hold k
    bits = (bits + 1023) << 52;
    memcpy(scale, &bits, sizeof *scale);         // 2ᵏ
    *part = p;
}

// expm1(y) for |y| < 709.7.
static inline __attribute__((always_inline)) double expm1_reduced(double y) {
    double s, p;
    exp_parts(y, &s, &p);
    return fma(s, p, s - 1.0);
}

static inline __attribute__((always_inline)) double tanh1(double x) {
    double c = x > 20.0 ? 20.0 : (x < -20.0 ? -20.0 : x);
    double e = expm1_reduced(c + c);             // expm1(2x)
    return copysign(e / (e + 2.0), x);           // odd: keeps the sign of ±0
}

// σ(x) from e = expm1(|x|): σ(−|x|) = 1/(2 + e) and σ(|x|) = (1 + e)/(2 + e), neither with a
// cancellation, so both tails keep their relative accuracy. Past |x| = 708, 0 or 1; NaN stays
// NaN (the comparisons let it through).
static inline __attribute__((always_inline)) double sigmoid1(double x) {
    double a = fabs(x);
    if (a > 708.0) return x > 0 ? 1.0 : 0.0;
    double e = expm1_reduced(a);
    return x > 0 ? (1.0 + e) / (2.0 + e) : 1.0 / (2.0 + e);
}

// eʸ for −708 ≤ y ≤ 0 by the same reduction, ending in 2ᵏ + 2ᵏ·expm1(r) (no cancellation:
// e^(−30) keeps its relative accuracy).
static inline __attribute__((always_inline)) double exp_reduced(double y) {
    double s, p;
    exp_parts(y, &s, &p);
    return fma(s, p, s);
}

// softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e) with e = e^(−|x|) ∈ (0, 1], and log1p(e) =
// 2 atanh(z), z = e/(2 + e) ≤ 1/3, by its odd series to z³⁵ (truncation below 1e-18 relative).
static inline __attribute__((always_inline)) double softplus1(double x) {
    double a = fabs(x);
    double m = x > 0 ? x : 0.0;
    if (a > 708.0) return x != x ? x : m;
    double e = exp_reduced(-a);
    double z = e / (2.0 + e), w = z * z;
    double q = 1.0 / 35.0;
    for (int k = 33; k >= 3; k -= 2) q = fma(q, w, 1.0 / k);
    q = fma(q, w, 1.0);
    return m + 2.0 * z * q;
}

CLONES void nk_softplus(const double *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = softplus1(x[i]);
}

CLONES void nk_tanh(const double *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = tanh1(x[i]);
}

CLONES void nk_sigmoid(const double *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = sigmoid1(x[i]);
}

CLONES void nk_sigmoid_derivative(int k, const double *x, double *y, size_t n) {
    // One pass per order, the polynomial in s = σ(x) written as Variable.sigmoidDerivative's.
    switch (k) {
    case 1: for (size_t i = 0; i < n; i++) { double s = sigmoid1(x[i]); y[i] = s * (1 - s); } break;
    case 2: for (size_t i = 0; i < n; i++) { double s = sigmoid1(x[i]); y[i] = s * (1 - s) * (1 - 2 * s); } break;
    default: for (size_t i = 0; i < n; i++) { double s = sigmoid1(x[i]); y[i] = s * (1 - s) * (1 - 6 * s + 6 * s * s); } break;
    }
}

CLONES void nk_times_sigmoid_slope(const double *g, const double *s, double *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = g[i] * (s[i] * (1.0 - s[i]));
}

BASELINE void nk_tanh_baseline(const double *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = tanh1(x[i]);
}

CLONES void nk_bias_tanh(double *z, const double *b, size_t rows, size_t cols) {
    for (size_t i = 0; i < rows; i++, z += cols)
        for (size_t j = 0; j < cols; j++) z[j] = tanh1(z[j] + b[j]);
}

CLONES void nk_bias_tanh_top(double *z, const double *b, const double *w, double *e, size_t rows, size_t cols) {
    for (size_t i = 0; i < rows; i++, z += cols, e += cols)
        for (size_t j = 0; j < cols; j++) {
            double a = tanh1(z[j] + b[j]);
            z[j] = a;
            e[j] = w[j] * fma(-a, a, 1.0);
        }
}

CLONES void nk_times_one_minus_square(const double *u, const double *a, double *e, size_t n) {
    for (size_t i = 0; i < n; i++) e[i] = u[i] * fma(-a[i], a[i], 1.0);
}

CLONES void nk_triple_product(double scale, const double *a, const double *b, const double *c, double *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = scale * a[i] * b[i] * c[i];
}

CLONES void nk_tanh_second(double *ebar, const double *e, const double *a, double *zp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double g = ebar[i];
        ebar[i] = g * fma(-a[i], a[i], 1.0);
        zp[i] = -2.0 * g * a[i] * e[i];
    }
}

CLONES void nk_tanh_second_top(const double *ebar, const double *e, const double *a, double *zp,
                               double *wbar, double *bbar, size_t rows, size_t cols, size_t stride) {
    for (size_t j = 0; j < cols; j++) { wbar[j] = 0; bbar[j] = 0; }
    for (size_t i = 0; i < rows; i++, ebar += stride, e += stride, a += stride, zp += stride)
        for (size_t j = 0; j < cols; j++) {
            double g = ebar[j];
            double z = -2.0 * g * a[j] * e[j];
            wbar[j] += g * fma(-a[j], a[j], 1.0);
            zp[j] = z;
            bbar[j] += z;
        }
}

CLONES void nk_tanh_adjoint(double *abar, const double *a, const double *zp, double *bbar, size_t rows, size_t cols, size_t stride) {
    for (size_t j = 0; j < cols; j++) bbar[j] = 0;
    for (size_t i = 0; i < rows; i++, abar += stride, a += stride, zp += stride)
        for (size_t j = 0; j < cols; j++) {
            double z = fma(abar[j], fma(-a[j], a[j], 1.0), zp[j]);
            abar[j] = z;
            bbar[j] += z;
        }
}

CLONES void nk_arithmetic(int op, const double *a, const double *b, double *out, size_t n) {
    switch (op) {
    case 0: for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i]; break;
    case 1: for (size_t i = 0; i < n; i++) out[i] = a[i] - b[i]; break;
    case 2: for (size_t i = 0; i < n; i++) out[i] = a[i] * b[i]; break;
    default: for (size_t i = 0; i < n; i++) out[i] = a[i] / b[i]; break;
    }
}

CLONES void nk_arithmetic_rows(int op, const double *a, const double *row, double *out, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++, a += cols, out += cols) nk_arithmetic(op, a, row, out, cols);
}

CLONES void nk_column_sums(const double *x, double *out, size_t rows, size_t cols, size_t stride) {
    for (size_t j = 0; j < cols; j++) out[j] = 0;
    for (size_t i = 0; i < rows; i++, x += stride)
        for (size_t j = 0; j < cols; j++) out[j] += x[j];
}

CLONES void nk_adam(double *p, const double *g, double *m, double *v, size_t n, double rate,
                    double beta1, double beta2, double c1, double c2, double epsilon) {
    for (size_t i = 0; i < n; i++) {
        m[i] = beta1 * m[i] + (1 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
        p[i] -= rate * (m[i] / c1) / (sqrt(v[i] / c2) + epsilon);
    }
}

// The irrotational MLP of a symplectic additive coupling (Bondesan & Lamacraft, appendix A):
// NN(u) = W·tanh(w2 ⊙ tanh(Wᵀu + b1) + b2) + b3 with W [n, w] row-major. Its Jacobian
// W·D2·diag(w2)·D1·Wᵀ is symmetric, so NN = ∇V. Rows of x have `stride` entries; u is the n
// entries at `uoff`, the target the n entries at `toff` (disjoint). Sums over the hidden units
// are kept in eight lanes in a fixed order, so every clone gives the same bits.
static inline __attribute__((always_inline)) double lanes_dot(const double *a, const double *b, size_t w) {
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t j = 0;
    for (; j + 8 <= w; j += 8)
        for (size_t l = 0; l < 8; l++) acc[l] = fma(a[j + l], b[j + l], acc[l]);
    for (size_t l = 0; j < w; j++, l++) acc[l] = fma(a[j], b[j], acc[l]);
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

static inline __attribute__((always_inline)) void irrot_hidden(const double *u, size_t n, size_t w, const double *W, const double *b1,
                                                              const double *w2, const double *b2, double *h1, double *h2) {
    for (size_t j = 0; j < w; j++) h1[j] = b1[j];
    for (size_t i = 0; i < n; i++) {
        const double ui = u[i], *Wi = W + i * w;
        for (size_t j = 0; j < w; j++) h1[j] = fma(ui, Wi[j], h1[j]);
    }
    for (size_t j = 0; j < w; j++) {
        h1[j] = tanh1(h1[j]);
        h2[j] = tanh1(fma(w2[j], h1[j], b2[j]));
    }
}

CLONES void nk_irrot_forward(double *x, size_t rows, size_t stride, size_t uoff, size_t toff, double sign, size_t n, size_t w,
                             const double *W, const double *b1, const double *w2, const double *b2, const double *b3, double *scratch, double *hidden) {
    for (size_t r = 0; r < rows; r++) {
        double *row = x + r * stride;
        double *h1 = hidden ? hidden + r * 2 * w : scratch, *h2 = h1 + w;
        irrot_hidden(row + uoff, n, w, W, b1, w2, b2, h1, h2);
        for (size_t i = 0; i < n; i++) row[toff + i] += sign * (lanes_dot(h2, W + i * w, w) + b3[i]);
    }
}

CLONES void nk_irrot_backward(const double *x, double *g, size_t rows, size_t stride, size_t uoff, size_t toff, double sign, size_t n, size_t w,
                              const double *W, const double *b1, const double *w2, const double *b2,
                              double *dW, double *db1, double *dw2, double *db2, double *db3, double *scratch, const double *hidden) {
    double *a = scratch + 2 * w;
    for (size_t r = 0; r < rows; r++) {
        const double *u = x + r * stride + uoff;
        double *gu = g + r * stride + uoff;
        const double *gt = g + r * stride + toff;
        const double *h1, *h2;
        if (hidden) { h1 = hidden + r * 2 * w; h2 = h1 + w; }
        else { irrot_hidden(u, n, w, W, b1, w2, b2, scratch, scratch + w); h1 = scratch; h2 = scratch + w; }
        for (size_t j = 0; j < w; j++) a[j] = 0;
        for (size_t i = 0; i < n; i++) {
            const double gi = sign * gt[i], *Wi = W + i * w;
            double *dWi = dW + i * w;
            db3[i] += gi;
            for (size_t j = 0; j < w; j++) {
                a[j] = fma(gi, Wi[j], a[j]);
                dWi[j] = fma(gi, h2[j], dWi[j]);
            }
        }
        for (size_t j = 0; j < w; j++) {
            const double a2 = a[j] * fma(-h2[j], h2[j], 1.0);
            dw2[j] = fma(a2, h1[j], dw2[j]);
            db2[j] += a2;
            a[j] = a2 * w2[j] * fma(-h1[j], h1[j], 1.0);
            db1[j] += a[j];
        }
        for (size_t i = 0; i < n; i++) {
            const double ui = u[i];
            double *dWi = dW + i * w;
            for (size_t j = 0; j < w; j++) dWi[j] = fma(ui, a[j], dWi[j]);
            gu[i] += lanes_dot(a, W + i * w, w);
        }
    }
}

// LA-SympNet: see CKernels.h. The state is turned into columns [2n][rows] first, so that every
// shear and activation is a vectorisable pass along the rows; sums over rows use four fixed
// lanes (the same order whatever the machine), so results depend on the inputs alone.
static inline __attribute__((always_inline)) void symmetrised(size_t n, const double *s, double *out) {
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++) out[a * n + b] = s[a * n + b] + s[b * n + a];
}

static inline __attribute__((always_inline)) double lane_dot(const double *x, const double *y, size_t n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t r = 0;
    for (; r + 4 <= n; r += 4) { s0 += x[r] * y[r]; s1 += x[r + 1] * y[r + 1]; s2 += x[r + 2] * y[r + 2]; s3 += x[r + 3] * y[r + 3]; }
    for (; r < n; r++) s0 += x[r] * y[r];
    return (s0 + s1) + (s2 + s3);
}

static inline __attribute__((always_inline)) double lane_sum(const double *x, size_t n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t r = 0;
    for (; r + 4 <= n; r += 4) { s0 += x[r]; s1 += x[r + 1]; s2 += x[r + 2]; s3 += x[r + 3]; }
    for (; r < n; r++) s0 += x[r];
    return (s0 + s1) + (s2 + s3);
}

static void to_columns(size_t rows, size_t d, const double *y, double *col) {
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < d; c++) col[c * rows + r] = y[r * d + c];
}

static void from_columns(size_t rows, size_t d, const double *col, double *y) {
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < d; c++) y[r * d + c] = col[c * rows + r];
}

CLONES void nk_la_forward(size_t rows, size_t n, size_t layers, size_t sublayers, const double *S, const double *bias,
                          const double *a, double *y, double *saved, double *work) {
    size_t d = 2 * n;
    double *col = work, *St = work + d * rows;
    to_columns(rows, d, y, col);
    for (size_t k = 0; k < layers; k++) {
        for (size_t j = 0; j < sublayers; j++, saved += n * rows) {
            symmetrised(n, S + (k * sublayers + j) * n * n, St);
            size_t from = j % 2 == 0 ? 0 : n, to = n - from;  // up (p += q S~) first
            memcpy(saved, col + from * rows, n * rows * sizeof(double));
            for (size_t b = 0; b < n; b++) {
                double *t = col + (to + b) * rows;
                for (size_t c = 0; c < n; c++) {
                    double w = St[c * n + b];
                    const double *f = saved + c * rows;
                    for (size_t r = 0; r < rows; r++) t[r] += w * f[r];
                }
            }
        }
        const double *bp = bias + k * d, *bq = bp + n;
        for (size_t c = 0; c < n; c++) {
            double *tp = col + (n + c) * rows, *tq = col + c * rows, vp = bp[c], vq = bq[c];
            for (size_t r = 0; r < rows; r++) { tp[r] += vp; tq[r] += vq; }
        }
        if (k + 1 == layers) break;
        size_t from = k % 2 == 0 ? 0 : n, to = n - from;       // up (p += a σ(q)) first
        memcpy(saved, col + from * rows, n * rows * sizeof(double));
        for (size_t c = 0; c < n; c++) {
            double *t = col + (to + c) * rows, w = a[k * n + c];
            const double *f = saved + c * rows;
            for (size_t r = 0; r < rows; r++) t[r] += w * sigmoid1(f[r]);
        }
        saved += n * rows;
    }
    from_columns(rows, d, col, y);
}

CLONES void nk_la_backward(size_t rows, size_t n, size_t layers, size_t sublayers, const double *S, const double *a,
                           const double *saved, double *g, double *gS, double *gbias, double *ga, double *work) {
    size_t d = 2 * n;
    double *col = work, *St = work + d * rows, *M = St + n * n;
    to_columns(rows, d, g, col);
    saved += rows * n * (layers * sublayers + layers - 1);
    for (size_t k = layers; k-- > 0;) {
        if (k + 1 < layers) {
            size_t from = k % 2 == 0 ? 0 : n, to = n - from;
            saved -= rows * n;
            for (size_t c = 0; c < n; c++) {
                const double *up = col + (to + c) * rows, *f = saved + c * rows;
                double *down = col + (from + c) * rows, w = a[k * n + c];
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                size_t r = 0;
                for (; r + 4 <= rows; r += 4) {
                    double sg0 = sigmoid1(f[r]), sg1 = sigmoid1(f[r + 1]), sg2 = sigmoid1(f[r + 2]), sg3 = sigmoid1(f[r + 3]);
                    s0 += up[r] * sg0; s1 += up[r + 1] * sg1; s2 += up[r + 2] * sg2; s3 += up[r + 3] * sg3;
                    down[r] += up[r] * w * (sg0 * (1 - sg0));
                    down[r + 1] += up[r + 1] * w * (sg1 * (1 - sg1));
                    down[r + 2] += up[r + 2] * w * (sg2 * (1 - sg2));
                    down[r + 3] += up[r + 3] * w * (sg3 * (1 - sg3));
                }
                for (; r < rows; r++) {
                    double sg = sigmoid1(f[r]);
                    s0 += up[r] * sg;
                    down[r] += up[r] * w * (sg * (1 - sg));
                }
                ga[k * n + c] = (s0 + s1) + (s2 + s3);
            }
        }
        for (size_t c = 0; c < n; c++) {
            gbias[k * d + c] = lane_sum(col + (n + c) * rows, rows);   // bp: p's adjoint
            gbias[k * d + n + c] = lane_sum(col + c * rows, rows);     // bq: q's adjoint
        }
        for (size_t j = sublayers; j-- > 0;) {
            size_t from = j % 2 == 0 ? 0 : n, to = n - from;
            saved -= rows * n;
            symmetrised(n, S + (k * sublayers + j) * n * n, St);
            for (size_t c = 0; c < n; c++)
                for (size_t b = 0; b < n; b++) M[c * n + b] = lane_dot(saved + c * rows, col + (to + b) * rows, rows);
            symmetrised(n, M, gS + (k * sublayers + j) * n * n);
            for (size_t c = 0; c < n; c++) {
                double *down = col + (from + c) * rows;
                for (size_t b = 0; b < n; b++) {
                    double w = St[c * n + b];
                    const double *up = col + (to + b) * rows;
                    for (size_t r = 0; r < rows; r++) down[r] += w * up[r];
                }
            }
        }
    }
    from_columns(rows, d, col, g);
}

// A G-SympNet gradient module: see CKernels.h. Row by row, every inner loop along the width.
CLONES void nk_gradient_module_forward(size_t rows, size_t n, size_t w, const double *x, const double *K, const double *a,
                                       const double *b, double *sigma, double *delta) {
    for (size_t r = 0; r < rows; r++) {
        double *s = sigma + r * w;
        const double *xr = x + r * n;
        for (size_t j = 0; j < w; j++) s[j] = b[j];
        for (size_t c = 0; c < n; c++) {
            double v = xr[c];
            const double *k = K + c * w;
            for (size_t j = 0; j < w; j++) s[j] += v * k[j];
        }
        for (size_t j = 0; j < w; j++) s[j] = sigmoid1(s[j]);
        for (size_t c = 0; c < n; c++) {
            const double *k = K + c * w;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            size_t j = 0;
            for (; j + 4 <= w; j += 4) {
                s0 += s[j] * a[j] * k[j]; s1 += s[j + 1] * a[j + 1] * k[j + 1];
                s2 += s[j + 2] * a[j + 2] * k[j + 2]; s3 += s[j + 3] * a[j + 3] * k[j + 3];
            }
            for (; j < w; j++) s0 += s[j] * a[j] * k[j];
            delta[r * n + c] = (s0 + s1) + (s2 + s3);
        }
    }
}

CLONES void nk_gradient_module_backward(size_t rows, size_t n, size_t w, const double *x, const double *K, const double *a,
                                        const double *sigma, const double *g, double *gx, double *gK, double *ga, double *gb,
                                        double *work) {
    double *ubar = work, *zbar = work + w;
    for (size_t e = 0; e < n * w; e++) gK[e] = 0;
    for (size_t j = 0; j < w; j++) ga[j] = gb[j] = 0;
    for (size_t r = 0; r < rows; r++) {
        const double *s = sigma + r * w, *gr = g + r * n, *xr = x + r * n;
        for (size_t j = 0; j < w; j++) ubar[j] = 0;
        for (size_t c = 0; c < n; c++) {
            double v = gr[c];
            const double *k = K + c * w;
            for (size_t j = 0; j < w; j++) ubar[j] += v * k[j];
        }
        for (size_t j = 0; j < w; j++) {
            ga[j] += ubar[j] * s[j];
            zbar[j] = ubar[j] * a[j] * (s[j] * (1 - s[j]));
            gb[j] += zbar[j];
        }
        for (size_t c = 0; c < n; c++) {
            const double *k = K + c * w;
            double *gk = gK + c * w, gv = gr[c], xv = xr[c];
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            size_t j = 0;
            for (; j + 4 <= w; j += 4) {
                s0 += zbar[j] * k[j]; s1 += zbar[j + 1] * k[j + 1]; s2 += zbar[j + 2] * k[j + 2]; s3 += zbar[j + 3] * k[j + 3];
            }
            for (; j < w; j++) s0 += zbar[j] * k[j];
            gx[r * n + c] = (s0 + s1) + (s2 + s3);
            for (j = 0; j < w; j++) gk[j] += gv * (s[j] * a[j]) + xv * zbar[j];
        }
    }
}

// MARK: Hessian rows of a softplus network (declared with their formulas in CKernels.h)

CLONES void nk_softplus_tangent_forward(const double *Z, const double *b, double *A, double *S, size_t rows, size_t cols,
                                        size_t m, size_t block) {
    for (size_t i = 0; i < rows; i++) {
        size_t o = i * cols;
        for (size_t j = 0; j < cols; j++) {
            double z = Z[o + j] + b[j];
            A[o + j] = softplus1(z);
            S[o + j] = sigmoid1(z);
        }
        for (size_t t = 1; t <= m; t++)
            for (size_t j = 0; j < cols; j++) A[t * block + o + j] = S[o + j] * Z[t * block + o + j];
    }
}

CLONES void nk_softplus_tangent_gradient(const double *U, const double *w, const double *S, const double *Z, double *E,
                                         size_t rows, size_t cols, size_t m, size_t block) {
    for (size_t i = 0; i < rows; i++) {
        size_t o = i * cols;
        const double *u = U ? U + o : w;
        for (size_t j = 0; j < cols; j++) E[o + j] = u[j] * S[o + j];
        for (size_t t = 1; t <= m; t++) {
            const double *zt = Z + t * block + o;
            double *et = E + t * block + o;
            if (U) {
                const double *ut = U + t * block + o;
                for (size_t j = 0; j < cols; j++) {
                    double s = S[o + j];
                    et[j] = ut[j] * s + u[j] * (s * (1.0 - s)) * zt[j];
                }
            } else {
                for (size_t j = 0; j < cols; j++) {
                    double s = S[o + j];
                    et[j] = u[j] * (s * (1.0 - s)) * zt[j];
                }
            }
        }
    }
}

CLONES void nk_softplus_tangent_up(const double *Ebar, const double *U, const double *w, const double *S, const double *Z,
                                   double *Ubar, double *Zbar, size_t rows, size_t cols, size_t m, size_t block) {
    for (size_t i = 0; i < rows; i++) {
        size_t o = i * cols;
        const double *u = U ? U + o : w;
        const double *e0 = Ebar + o, *s = S + o;
        double *ub = Ubar + o, *zb = Zbar + o;
        for (size_t j = 0; j < cols; j++) {
            ub[j] = e0[j] * s[j];
            zb[j] = e0[j] * u[j];          // the s2 factor's sum, completed below
        }
        // zb (so far Σ of s̄1) and c (Σ of s̄2) are combined at the end: zb s2 + c s3.
        double c[cols > 0 ? cols : 1];
        for (size_t j = 0; j < cols; j++) c[j] = 0;
        for (size_t t = 1; t <= m; t++) {
            const double *et = Ebar + t * block + o, *zt = Z + t * block + o;
            double *zbt = Zbar + t * block + o;
            for (size_t j = 0; j < cols; j++) {
                double sj = s[j], s2 = sj * (1.0 - sj);
                ub[j] += et[j] * s2 * zt[j];
                c[j] += et[j] * u[j] * zt[j];
                zbt[j] = et[j] * u[j] * s2;
            }
            if (U) {
                const double *ut = U + t * block + o;
                double *ubt = Ubar + t * block + o;
                for (size_t j = 0; j < cols; j++) {
                    zb[j] += et[j] * ut[j];
                    ubt[j] = et[j] * s[j];
                }
            }
        }
        for (size_t j = 0; j < cols; j++) {
            double sj = s[j], s2 = sj * (1.0 - sj), s3 = s2 * (1.0 - 2.0 * sj);
            zb[j] = zb[j] * s2 + c[j] * s3;
        }
    }
}

CLONES void nk_softplus_tangent_down(const double *Abar, const double *S, const double *Z, double *Zbar, size_t rows,
                                     size_t cols, size_t m, size_t block) {
    for (size_t i = 0; i < rows; i++) {
        size_t o = i * cols;
        const double *a0 = Abar + o, *s = S + o;
        double *zb = Zbar + o;
        for (size_t j = 0; j < cols; j++) zb[j] += a0[j] * s[j];
        for (size_t t = 1; t <= m; t++) {
            const double *at = Abar + t * block + o, *zt = Z + t * block + o;
            double *zbt = Zbar + t * block + o;
            for (size_t j = 0; j < cols; j++) {
                double sj = s[j];
                zb[j] += at[j] * zt[j] * (sj * (1.0 - sj));
                zbt[j] += at[j] * sj;
            }
        }
    }
}
