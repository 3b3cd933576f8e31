// OpenBLAS's cblas.h first, and GSL's own CBLAS header suppressed: GSL 2.7's matrix headers
// include gsl_cblas.h, whose enums clash with OpenBLAS's when both modules are imported.
#include <cblas.h>
#define __GSL_CBLAS_H__ 1
#include <gsl/gsl_errno.h>
#include <gsl/gsl_vector.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_odeiv2.h>
#include <gsl/gsl_version.h>
