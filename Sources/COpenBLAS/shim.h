#include <cblas.h>
// mallopt, for Learn's allocator tuning (glibc's malloc.h is not in Swift's Glibc module).
#include <malloc.h>
