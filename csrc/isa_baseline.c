/* Portable C kernels: one-lane "vectors"; builds on any architecture. */
#include "simd/isa_scalar.h"
#define GEMM_MR 4
#define GEMM_NV 4
#define PN_FMA_FUSED 0 /* v_fma is a*b + c, rounded twice */
#define PN_LEVEL PN_SIMD_BASELINE
#define PN_TABLE pn_kernels_baseline
#include "kernels/isa_kernels.inc"
