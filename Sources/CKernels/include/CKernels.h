// Elementwise kernels of Learn's hot path, in C so that they vectorise (AVX-512 or AVX2 with
// FMA where the CPU has it, chosen at load time) while giving the same bits on every machine:
// every product that is fused is an explicit fma(), nothing is contracted or reassociated, so
// the vector clones and the plain x86-64 one compute identical results.
//
// Arrays are contiguous row-major doubles; a "row vector" has `cols` entries and applies to
// every row. Outputs may alias an input only where stated.
#ifndef NOETHER_KERNELS_H
#define NOETHER_KERNELS_H
#include <stddef.h>

/// y = tanh(x), within 3 ulp (y may be x). NaN stays NaN, ±inf gives ±1, ±0 keeps its sign.
void nk_tanh(const double *x, double *y, size_t n);

/// y = 1/(1 + e^-x) from expm1(|x|) (the same reduction and series as nk_tanh), relative error
/// of a few ulp in both tails (y may be x).
void nk_sigmoid(const double *x, double *y, size_t n);
// y = log(1 + e^x), vectorised; within 4 ulp from -700 to 700 (tested), max(x, 0) beyond.
void nk_softplus(const double *x, double *y, size_t n);

/// The k-th derivative of σ at x for k = 1, 2, 3 (any other k: the third), in one pass:
/// s(1 − s), s(1 − s)(1 − 2s), s(1 − s)(1 − 6s + 6s²) with s = σ(x) as nk_sigmoid gives it.
void nk_sigmoid_derivative(int k, const double *x, double *y, size_t n);

/// An LA-SympNet's map (SympNet.swift) on rows of y [rows, 2n] = (q, p), in place: for each of
/// `layers` linear modules, `sublayers` shears with S~ = S + Sᵀ (S [layers·sublayers, n, n]),
/// p += q S~ then q += p S~ alternately, then p += bp, q += bq (bias [layers, 2n]: bp then bq);
/// between two modules an activation module, p += a_k ⊙ σ(q) then q += a_k ⊙ σ(p) alternately
/// (a [layers − 1, n]). `saved` [layers·sublayers + layers − 1, rows, n] receives the half each
/// shear or activation reads, for the backward pass (as columns [n][rows]); `work` holds
/// 2n·rows + 2n² doubles.
void nk_la_forward(size_t rows, size_t n, size_t layers, size_t sublayers, const double *S, const double *bias,
                   const double *a, double *y, double *saved, double *work);
/// Its pullback: g [rows, 2n] is the output's adjoint on entry and the input's on return; gS,
/// gbias and ga (shaped as S, bias, a) are written whole.
void nk_la_backward(size_t rows, size_t n, size_t layers, size_t sublayers, const double *S, const double *a,
                    const double *saved, double *g, double *gS, double *gbias, double *ga, double *work);

/// A G-SympNet gradient module's increment delta = (σ(xK + b) ⊙ a) Kᵀ for rows x [rows, n],
/// K [n, w], a and b [w]; sigma [rows, w] receives σ(xK + b) for the backward pass.
void nk_gradient_module_forward(size_t rows, size_t n, size_t w, const double *x, const double *K, const double *a,
                                const double *b, double *sigma, double *delta);
/// Its pullback of g [rows, n]: with ū = gK and z̄ = ū ⊙ a ⊙ σ(1 − σ), gx = z̄Kᵀ [rows, n],
/// gK = gᵀ(σ ⊙ a) + xᵀz̄ [n, w], ga = Σ_rows ū ⊙ σ, gb = Σ_rows z̄ [w]; work holds 2w doubles.
void nk_gradient_module_backward(size_t rows, size_t n, size_t w, const double *x, const double *K, const double *a,
                                 const double *sigma, const double *g, double *gx, double *gK, double *ga, double *gb,
                                 double *work);

/// y = g ⊙ s ⊙ (1 − s): the sigmoid's backward from its output s (y may be g).
void nk_times_sigmoid_slope(const double *g, const double *s, double *y, size_t n);

/// nk_tanh compiled for plain x86-64 only (libm's fma, no vector extensions): the tests compare
/// it bit for bit with the clone the CPU runs.
void nk_tanh_baseline(const double *x, double *y, size_t n);

/// z = tanh(z + b) in place, b a row vector.
void nk_bias_tanh(double *z, const double *b, size_t rows, size_t cols);

/// z = tanh(z + b) in place, and e = w ⊙ (1 − z²) with w a row vector: the last hidden layer
/// of a scalar network, whose input gradient starts from the output weights w.
void nk_bias_tanh_top(double *z, const double *b, const double *w, double *e, size_t rows, size_t cols);

/// e = u ⊙ (1 − a²): tanh's backward from its output a (e may be u).
void nk_times_one_minus_square(const double *u, const double *a, double *e, size_t n);

/// out = scale · a ⊙ b ⊙ c.
void nk_triple_product(double scale, const double *a, const double *b, const double *c, double *out, size_t n);

/// Second-order backward through e = u ⊙ (1 − a²) with a = tanh z, given ē (the adjoint of e)
/// and e itself: ū = ē ⊙ (1 − a²) written over ē, and z̄ₚ = −2 ē ⊙ a ⊙ e.
void nk_tanh_second(double *ebar, const double *e, const double *a, double *zp, size_t n);

/// The same for the top layer, where u = w is a row vector: z̄ₚ = −2 ē ⊙ a ⊙ e (zp may be
/// ebar); wbar = Σ_rows ē ⊙ (1 − a²) and bbar = Σ_rows z̄ₚ (both overwritten, summed over the
/// rows in order). The matrices' rows are `stride` apart, so a block of columns can be passed
/// (every column's sums are then the same whichever block holds it).
void nk_tanh_second_top(const double *ebar, const double *e, const double *a, double *zp,
                        double *wbar, double *bbar, size_t rows, size_t cols, size_t stride);

/// z̄ = z̄ₚ + ā ⊙ (1 − a²) written over ā, and bbar = Σ_rows z̄ (overwritten, summed over the
/// rows in order); rows `stride` apart, as above.
void nk_tanh_adjoint(double *abar, const double *a, const double *zp, double *bbar, size_t rows, size_t cols, size_t stride);

/// out = a ∘ b elementwise for op 0: +, 1: −, 2: ×, 3: ÷ (IEEE, as Swift's operators: the same
/// bits, only without a function call per element). out may be a or b.
void nk_arithmetic(int op, const double *a, const double *b, double *out, size_t n);

/// The same with b a row vector of `cols` entries applied to every row of a (rows × cols).
void nk_arithmetic_rows(int op, const double *a, const double *row, double *out, size_t rows, size_t cols);

/// Column sums of a rows × cols block whose rows are `stride` apart, into out (overwritten),
/// each summed over the rows in order from 0.
void nk_column_sums(const double *x, double *out, size_t rows, size_t cols, size_t stride);

/// One Adam step over n parameters: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²,
/// p ← p − rate · (m/c₁) / (√(v/c₂) + ε), with c₁, c₂ the bias corrections.
void nk_adam(double *p, const double *g, double *m, double *v, size_t n, double rate,
             double beta1, double beta2, double c1, double c2, double epsilon);

// MARK: Worker threads

/// The number of CPUs this process may run on (its affinity mask, as `taskset` sets it), ≥ 1.
size_t nk_affinity_cores(void);

/// C = β·C + op(A)·op(B) for small row-major matrices (op(A): m × k, op(B): k × n, leading
/// dimensions as BLAS's), β 0 or 1. Every element is summed in one chain over p = 0…k−1 with
/// fma, from 0, then added to C when β = 1: the same bits on every CPU and at any vector width
/// (smallgemm.c). Any β other than 0 is taken as 1; C must not overlap A or B.
void nk_small_gemm(int transpose_a, int transpose_b, size_t m, size_t n, size_t k,
                   const double *A, size_t lda, const double *B, size_t ldb, double beta,
                   double *C, size_t ldc);

/// The elementwise steps of the tanh HNN's MAML pass by hand (tanhhnn.c; formulas and names in
/// Learn's MetaLearning+FusedHNN.swift). Outputs must not overlap inputs.
void nk_hnn_slope(const double *u, const double *a, double *e, size_t n);
void nk_hnn_up(const double *eb, const double *a, const double *e, double *ub, double *z, size_t n);
void nk_hnn_down(const double *zt, const double *ab, const double *am, const double *abk, const double *ddm,
                 double *z, size_t n);
void nk_hnn_tangent(const double *z, const double *a, double *dot, double *ddot, size_t n);
void nk_hnn_slope_tangent(const double *ud, const double *a, const double *u, const double *dd, double *e, size_t n);
void nk_hnn_up_tangent(const double *ebd, const double *a, const double *e, const double *eb, const double *ad,
                       const double *dd, const double *ed, double *next, double *zd, size_t n);

/// 1 on an x86-64 CPU with AVX2 and FMA (what OpenBLAS's Haswell kernels need), else 0.
int nk_cpu_has_avx2_fma(void);

/// A chunk of a parallel loop: task(context, index).
typedef void (*nk_task)(void *context, size_t index);

/// task(context, i) for every i in 0..<chunks, spread over a persistent pool of one thread per
/// allowed CPU (the caller being one of them; started on the first call, never with one CPU),
/// returning when all are done. Chunks must be independent: which thread runs a chunk, and
/// in which order, is not defined. A call made while the pool is busy runs serially.
void nk_parallel_for(size_t chunks, nk_task task, void *context);

/// Whether splitting pays now: the pool has workers (more than one allowed CPU) and has not
/// lately been kept waiting by descheduled workers. Starts the pool.
int nk_parallel_available(void);

/// Jobs the pool has split over its threads, and jobs it ran serially because the caller had
/// been waiting for descheduled workers (other processes on the cores).
void nk_parallel_counts(size_t *split, size_t *serial);

/// The pool's threads including the caller (starts the pool).
size_t nk_parallel_workers(void);

/// A symplectic additive coupling's irrotational MLP NN(u) = W tanh(w2 ⊙ tanh(Wᵀu + b1) + b2) + b3
/// (W [n, w] row-major) on `rows` rows of x (`stride` entries each): target += sign·NN(u), with
/// u the n entries at `uoff` and the target the n at `toff`. `scratch` holds 2w doubles;
/// `hidden`, when not NULL, receives each row's two hidden layers (rows × 2w) for the pullback.
void nk_irrot_forward(double *x, size_t rows, size_t stride, size_t uoff, size_t toff, double sign, size_t n, size_t w,
                      const double *W, const double *b1, const double *w2, const double *b2, const double *b3, double *scratch, double *hidden);

/// Its pullback: x holds the layer's input rows (u is unchanged by it), g the gradient with
/// respect to its output rows; adds (∂NN/∂u)ᵀ(sign·g_target) to g's u entries in place and the
/// parameters' gradients to dW [n, w], db1, dw2, db2 [w] and db3 [n]. `scratch` holds 3w doubles;
/// `hidden` is the forward's (NULL: recomputed from x).
void nk_irrot_backward(const double *x, double *g, size_t rows, size_t stride, size_t uoff, size_t toff, double sign, size_t n, size_t w,
                       const double *W, const double *b1, const double *w2, const double *b2,
                       double *dW, double *db1, double *dw2, double *db2, double *db3, double *scratch, const double *hidden);

#endif

// Particles in a periodic square box of side `box` (positions x[2i], x[2i+1]), pair potential
// V(r) = sum_k coeffs[k] r^-powers[k] for r < rc, minus `shift` (V(rc), so the cut is continuous).
// The forces into f (2n values); returns the potential energy.
double nk_pair_forces(int n, const double *x, double box, double rc, int m, const int *powers, const double *coeffs,
                      double shift, double *f);
// `steps` velocity-Verlet steps of unit masses (f must hold the forces at x on entry, and holds
// those at the new x on return); positions wrapped into [0, box). Returns the potential energy.
double nk_velocity_verlet(int n, double *x, double *v, double *f, double box, double rc, int m, const int *powers,
                          const double *coeffs, double shift, double h, long steps);
// Adds the number of pairs at minimum-image distance in each of `bins` bins of [0, rmax) to counts.
void nk_pair_histogram(int n, const double *x, double box, double rmax, int bins, double *counts);
// The force on each particle per unit coefficient: basis[(2i + a) m + k] (2n x m, row-major).
void nk_pair_force_basis(int n, const double *x, double box, double rc, int m, const int *powers, double *basis);

// Hessian rows of a softplus network (MLP+HessianRows.swift): one hidden level at a time, over
// rows [0, rows) of (1 + m) blocks `block` doubles apart (block 0 the values, block t the
// tangent along the t-th direction), each block [rows, cols] row-major. s = σ(z + b) is the
// sigmoid, softplus' derivative; s2 = s(1 − s), s3 = s2(1 − 2s).

/// Activation: A₀ = softplus(Z₀ + b), S = σ(Z₀ + b), A_t = S ⊙ Z_t (t = 1…m). Z is not changed.
void nk_softplus_tangent_forward(const double *Z, const double *b, double *A, double *S, size_t rows, size_t cols,
                                 size_t m, size_t block);
/// Input-gradient chain: E₀ = U₀ ⊙ S, E_t = U_t ⊙ S + U₀ ⊙ s2 ⊙ Z_t. U == NULL is the top level:
/// U₀ = w in every row, U_t = 0.
void nk_softplus_tangent_gradient(const double *U, const double *w, const double *S, const double *Z, double *E,
                                  size_t rows, size_t cols, size_t m, size_t block);
/// Pullback, going up: from Ē (blocks), writes Ū₀ = Ē₀ ⊙ S + Σ_t Ē_t ⊙ s2 ⊙ Z_t, Ū_t = Ē_t ⊙ S
/// (Ubar's tangent blocks only when U != NULL), Zbar₀ = (Ē₀ ⊙ U₀ + Σ_t Ē_t ⊙ U_t) ⊙ s2 +
/// (Σ_t Ē_t ⊙ U₀ ⊙ Z_t) ⊙ s3, Zbar_t = Ē_t ⊙ U₀ ⊙ s2 (U == NULL: the top level, as above).
void nk_softplus_tangent_up(const double *Ebar, const double *U, const double *w, const double *S, const double *Z,
                            double *Ubar, double *Zbar, size_t rows, size_t cols, size_t m, size_t block);
/// Pullback, going down, from Ā (blocks): Zbar₀ += Ā₀ ⊙ S + (Σ_t Ā_t ⊙ Z_t) ⊙ s2,
/// Zbar_t += Ā_t ⊙ S.
void nk_softplus_tangent_down(const double *Abar, const double *S, const double *Z, double *Zbar, size_t rows,
                              size_t cols, size_t m, size_t block);
