#include <mpc.h>
