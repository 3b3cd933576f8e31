#ifndef NOETHER_CFUZZERDRIVER_H
#define NOETHER_CFUZZERDRIVER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver, for programs that have their own main (libFuzzer 12 and later).
int LLVMFuzzerRunDriver(int *argc, char ***argv,
                        int (*callback)(const uint8_t *data, size_t size));

#endif
