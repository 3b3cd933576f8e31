// Small matrix products with a fixed order of summation (see CKernels.h, nk_small_gemm).
//
// Each output element is one chain: acc = 0, then acc = fma(a_ip, b_pj, acc) for p = 0…k−1 in
// order, then c = acc (β = 0) or c + acc (β = 1). Vector lanes run over the columns j, so the
// chain of every element is the same at any vector width, on every CPU, and for any split of
// the rows or columns: the bits depend on the operands alone.
//
// The register blocks are 4 rows × 32 columns (16 AVX-512 registers of accumulators), then
// 4 × 8, then one column at a time. B is read along its rows (unit stride in j); op(B) = Bᵀ is
// copied to that layout first.
#include "CKernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

// Eight doubles, unaligned; fma lane by lane (a true fma in every clone, so every clone rounds
// alike).
typedef double v8 __attribute__((vector_size(64), aligned(8)));
#define VFMA(a, b, c) __builtin_elementwise_fma(a, b, c)

// A's element (i, p) is A[i·sa + p·sp]; B's (p, j) is B[p·ldb + j]; C's (i, j) is C[i·ldc + j].
// V vectors of 8 columns per row (V = 0: one column, scalar), accumulators in registers.
#define BLOCK(MR, NR, V)                                                                           \
    static inline __attribute__((always_inline)) void block_##MR##_##NR(                          \
        size_t k, const double *A, size_t sa, size_t sp, const double *B, size_t ldb, double beta, \
        double *C, size_t ldc) {                                                                   \
        if (V == 0) {                                                                              \
            double acc[MR];                                                                        \
            for (int r = 0; r < MR; r++) acc[r] = 0.0;                                             \
            for (size_t p = 0; p < k; p++)                                                         \
                for (int r = 0; r < MR; r++) acc[r] = fma(A[r * sa + p * sp], B[p * ldb], acc[r]);  \
            for (int r = 0; r < MR; r++) C[r * ldc] = beta == 0.0 ? acc[r] : C[r * ldc] + acc[r];  \
            return;                                                                                \
        }                                                                                          \
        v8 acc[MR][V + (V == 0)];                                                                  \
        for (int r = 0; r < MR; r++)                                                               \
            for (int v = 0; v < V; v++) acc[r][v] = (v8){0};                                       \
        for (size_t p = 0; p < k; p++) {                                                           \
            v8 b[V + (V == 0)];                                                                    \
            for (int v = 0; v < V; v++) b[v] = *(const v8 *)(B + p * ldb + 8 * v);                \
            for (int r = 0; r < MR; r++) {                                                         \
                double s = A[r * sa + p * sp];                                                     \
                v8 a = (v8){s, s, s, s, s, s, s, s};                                               \
                for (int v = 0; v < V; v++) acc[r][v] = VFMA(a, b[v], acc[r][v]);                  \
            }                                                                                      \
        }                                                                                          \
        for (int r = 0; r < MR; r++)                                                               \
            for (int v = 0; v < V; v++) {                                                          \
                v8 *c = (v8 *)(C + r * ldc + 8 * v);                                               \
                *c = beta == 0.0 ? acc[r][v] : *c + acc[r][v];                                     \
            }                                                                                      \
    }

BLOCK(4, 32, 4)
BLOCK(4, 8, 1)
BLOCK(4, 1, 0)
BLOCK(1, 32, 4)
BLOCK(1, 8, 1)
BLOCK(1, 1, 0)

#define ROWS(MR)                                                                                   \
    static inline __attribute__((always_inline)) void rows_##MR(                                  \
        size_t n, size_t k, const double *A, size_t sa, size_t sp, const double *B, size_t ldb,   \
        double beta, double *C, size_t ldc) {                                                      \
        size_t j = 0;                                                                              \
        for (; j + 32 <= n; j += 32) block_##MR##_32(k, A, sa, sp, B + j, ldb, beta, C + j, ldc);  \
        for (; j + 8 <= n; j += 8) block_##MR##_8(k, A, sa, sp, B + j, ldb, beta, C + j, ldc);     \
        for (; j < n; j++) block_##MR##_1(k, A, sa, sp, B + j, ldb, beta, C + j, ldc);             \
    }

ROWS(4)
ROWS(1)

CLONES void nk_small_gemm(int transpose_a, int transpose_b, size_t m, size_t n, size_t k,
                          const double *A, size_t lda, const double *B, size_t ldb, double beta,
                          double *C, size_t ldc) {
    if (m == 0 || n == 0) return;
    double local[4096], *copy = NULL;
    if (transpose_b) {
        // op(B) = Bᵀ, B stored n × k: copy it to k × n.
        copy = n * k <= 4096 ? local : malloc(n * k * sizeof *copy);
        if (!copy) {
            // No memory for the copy: the same chains, reading Bᵀ in place (slowly).
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < n; j++) {
                    double acc = 0.0;
                    for (size_t p = 0; p < k; p++)
                        acc = fma(transpose_a ? A[p * lda + i] : A[i * lda + p], B[j * ldb + p], acc);
                    C[i * ldc + j] = beta == 0.0 ? acc : C[i * ldc + j] + acc;
                }
            return;
        }
        for (size_t j = 0; j < n; j++)
            for (size_t p = 0; p < k; p++) copy[p * n + j] = B[j * ldb + p];
        B = copy;
        ldb = n;
    }
    size_t sa = transpose_a ? 1 : lda, sp = transpose_a ? lda : 1;
    size_t i = 0;
    for (; i + 4 <= m; i += 4) rows_4(n, k, A + i * sa, sa, sp, B, ldb, beta, C + i * ldc, ldc);
    for (; i < m; i++) rows_1(n, k, A + i * sa, sa, sp, B, ldb, beta, C + i * ldc, ldc);
    if (copy != local) free(copy);
}
