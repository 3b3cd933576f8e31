// Declarations only (include/CFuzzerDriver.h); the definitions are in the toolchain's libFuzzer.
#include "CFuzzerDriver.h"
