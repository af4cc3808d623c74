/* AVX2 + FMA kernels; compiled with -mavx2 -mfma, run only where the CPU has them. */
#include "simd/isa_avx2.h"
#define GEMM_MR 6 /* 6 x 2 ymm accumulators + 2 B vectors + 1 broadcast = 15 of 16 registers */
#define GEMM_NV 2
/* The lanes pass's register tiles (kernels/lanes.inc): 2 units by 4 vectors
 * per product tile (8 ymm accumulators + 4 inputs + 2 weights = 14 of 16
 * registers), 2 inputs by 4 units per gradient tile. */
#define LANES_UNITS 2
#define LANES_INPUTS 2
#define PN_FMA_FUSED 1 /* v_fma rounds once: a*b - p is exact */
#define PN_EXP_TABLE 0 /* no permute across a 256-bit register holds 16 doubles */
#define PN_TANH_TABLE 0 /* nor 32 floats: 4 permutes and 3 blends a coefficient */
#define PN_LEVEL PN_SIMD_AVX2
#define PN_TABLE pn_kernels_avx2
#include "kernels/isa_kernels.inc"
