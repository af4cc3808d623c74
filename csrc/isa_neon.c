/* AArch64 NEON kernels: every AArch64 CPU has them, so no flags. */
#include "simd/isa_neon.h"
#define GEMM_MR 6 /* 6 x 4 q-register accumulators + 4 B vectors + 1 broadcast = 29 of 32 registers */
#define GEMM_NV 4
/* The lanes pass's register tiles (kernels/lanes.inc): 32 vector registers,
 * as AVX-512 has, so its 4 units by 4 vectors per product tile and 4 inputs
 * by 4 units per gradient tile. */
#define LANES_UNITS 4
#define LANES_INPUTS 4
#define PN_FMA_FUSED 1 /* v_fma rounds once: a*b - p is exact */
#define PN_EXP_TABLE 0 /* no permute across 16 doubles */
#define PN_TANH_TABLE 0 /* nor across 32 floats */
#define PN_LEVEL PN_SIMD_NEON
#define PN_TABLE pn_kernels_neon
#include "kernels/isa_kernels.inc"
