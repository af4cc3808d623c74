/* AVX2 + FMA kernels; compiled with -mavx2 -mfma, run only where the CPU has them. */
#include "simd/isa_avx2.h"
#define GEMM_MR 6 /* 6 x 2 ymm accumulators + 2 B vectors + 1 broadcast = 15 of 16 registers */
#define GEMM_NV 2
/* The lanes pass's register tiles (kernels/lanes.inc): 3 units by 4 vectors
 * per product tile (12 ymm accumulators + 3 inputs + 1 weight = 16 of 16
 * registers, the fourth input an FMA's memory operand), 3 inputs by 4 units
 * per gradient tile.  12 chains keep both FMA pipes busy where 8 (2 by 4)
 * left them waiting on the FMA's latency: the 1-32-32-32-1 net trained 18%
 * faster (Zen 5), the 2-8-8-1 circle net 4%. */
#define LANES_UNITS 3
#define LANES_INPUTS 3
#define PN_FMA_FUSED 1 /* v_fma rounds once: a*b - p is exact */
#define PN_EXP_TABLE 0 /* no permute across a 256-bit register holds 16 doubles */
#define PN_TANH_TABLE 0 /* nor 32 floats: 4 permutes and 3 blends a coefficient */
#define PN_LEVEL PN_SIMD_AVX2
#define PN_TABLE pn_kernels_avx2
#include "kernels/isa_kernels.inc"
