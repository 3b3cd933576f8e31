#include <cblas.h>
// mallopt, for Learn's allocator tuning (glibc's malloc.h is not in Swift's Glibc module).
#include <malloc.h>
// LAPACK (OpenBLAS carries it): the blocked QR and Qᵀ applied to a vector, for tall least squares.
void dgeqrf_(int *m, int *n, double *a, int *lda, double *tau, double *work, int *lwork, int *info);
void dormqr_(char *side, char *trans, int *m, int *n, int *k, double *a, int *lda, double *tau, double *c, int *ldc,
             double *work, int *lwork, int *info);
