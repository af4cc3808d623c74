/* AVX-512F kernels; compiled with -mavx512f -mavx2 -mfma, run only where the CPU has them. */
#include "simd/isa_avx512.h"
#define GEMM_MR 12 /* 12 x 2 zmm accumulators + 3 = 27 of 32 registers */
#define GEMM_NV 2
/* The lanes pass's register tiles (kernels/lanes.inc): 4 units by 4 vectors
 * per product tile (16 zmm accumulators + 4 inputs + 1 weight = 21 of 32
 * registers), 4 inputs by 4 units per gradient tile. */
#define LANES_UNITS 4
#define LANES_INPUTS 4
#define PN_FMA_FUSED 1 /* v_fma rounds once: a*b - p is exact */
#define PN_EXP_TABLE 1 /* float64 exp by 2^(j/16) from a table: two permutes */
#define PN_TANH_TABLE 1 /* float32 tanh by 32 pieces: a permute a coefficient */
#define PN_LEVEL PN_SIMD_AVX512
#define PN_TABLE pn_kernels_avx512
#include "kernels/isa_kernels.inc"
