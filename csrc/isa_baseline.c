/* Portable C kernels: one-lane "vectors"; builds on any architecture. */
#include "simd/isa_scalar.h"
#define GEMM_MR 4
#define GEMM_NV 4
/* The lanes pass's register tiles (kernels/lanes.inc): 2 units, 2 inputs.
 * x86-64 has 16 scalar float registers, as AVX2 has ymm ones, but AVX2's 3
 * and 3 made the 1-32-32-32-1 net 4% slower here (no FMA: a multiply and
 * an add per term). */
#define LANES_UNITS 2
#define LANES_INPUTS 2
#define PN_FMA_FUSED 0 /* v_fma is a*b + c, rounded twice */
#define PN_EXP_TABLE 0 /* one lane: the longer polynomial costs less than a table */
#define PN_TANH_TABLE 0 /* float32 tanh from e^x, as at the levels without a 32-entry permute */
#define PN_LEVEL PN_SIMD_BASELINE
#define PN_TABLE pn_kernels_baseline
#include "kernels/isa_kernels.inc"
