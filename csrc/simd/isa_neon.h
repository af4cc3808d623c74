/* AArch64 Advanced SIMD (NEON): 4 x f32, 2 x f64.  Semantics as in
 * isa_scalar.h.  NEON is part of every AArch64 CPU, so this header needs
 * no flags; only AArch64 (not 32-bit ARM) instructions are used: f64
 * vectors, vfmaq_f64, vaddvq, vcvtq_f64_s64. */
#ifndef PN_ISA_NEON_H
#define PN_ISA_NEON_H

#include <arm_neon.h>
#include <stdint.h>
#include <string.h>

#define PN_ISA_NAME neon
#define PN_SI static inline __attribute__((always_inline))

/* ---- f32 ---- */
typedef float32x4_t f32_v;
typedef uint32x4_t f32_m;
#define f32_LANES 4

PN_SI f32_v f32_load(const float *p) { return vld1q_f32(p); }
PN_SI void f32_store(float *p, f32_v v) { vst1q_f32(p, v); }
/* No masked loads or stores: the k lanes go through a stack buffer, so
 * memory past p[k-1] is never touched (the guard-page tests rely on it). */
PN_SI f32_v f32_load_part(const float *p, int64_t k) {
    float buf[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    memcpy(buf, p, (size_t)k * sizeof(float));
    return vld1q_f32(buf);
}
PN_SI void f32_store_part(float *p, f32_v v, int64_t k) {
    float buf[4];
    vst1q_f32(buf, v);
    memcpy(p, buf, (size_t)k * sizeof(float));
}
PN_SI f32_v f32_set(float a) { return vdupq_n_f32(a); }
PN_SI f32_v f32_add(f32_v a, f32_v b) { return vaddq_f32(a, b); }
PN_SI f32_v f32_sub(f32_v a, f32_v b) { return vsubq_f32(a, b); }
PN_SI f32_v f32_mul(f32_v a, f32_v b) { return vmulq_f32(a, b); }
PN_SI f32_v f32_div(f32_v a, f32_v b) { return vdivq_f32(a, b); }
PN_SI f32_v f32_sqrt(f32_v a) { return vsqrtq_f32(a); }
PN_SI f32_v f32_fma(f32_v a, f32_v b, f32_v c) { return vfmaq_f32(c, a, b); }
/* vmaxq/vminq return NaN when either operand is NaN; the contract is
 * x86's (the second operand when unordered), so compare and select. */
PN_SI f32_v f32_max(f32_v a, f32_v b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
PN_SI f32_v f32_min(f32_v a, f32_v b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
PN_SI f32_v f32_and_bits(f32_v a, uint32_t m) {
    return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a), vdupq_n_u32(m)));
}
PN_SI f32_v f32_abs(f32_v a) { return vabsq_f32(a); }
PN_SI f32_v f32_copysign(f32_v mag, f32_v sgn) { return vbslq_f32(vdupq_n_u32(0x80000000u), sgn, mag); }
PN_SI f32_m f32_gt(f32_v a, f32_v b) { return vcgtq_f32(a, b); }
PN_SI f32_m f32_lt(f32_v a, f32_v b) { return vcltq_f32(a, b); }
PN_SI f32_m f32_ge(f32_v a, f32_v b) { return vcgeq_f32(a, b); }
PN_SI f32_v f32_select(f32_m m, f32_v a, f32_v b) { return vbslq_f32(m, a, b); }
PN_SI f32_v f32_pow2b(f32_v v) { return vreinterpretq_f32_u32(vshlq_n_u32(vreinterpretq_u32_f32(v), 23)); }
PN_SI f32_v f32_mant(f32_v v) {
    uint32x4_t b = vandq_u32(vreinterpretq_u32_f32(v), vdupq_n_u32(0x007fffffu));
    return vreinterpretq_f32_u32(vorrq_u32(b, vdupq_n_u32(0x3f800000u)));
}
PN_SI f32_v f32_expo(f32_v v) {
    int32x4_t e = vreinterpretq_s32_u32(vshrq_n_u32(vreinterpretq_u32_f32(v), 23));
    return vcvtq_f32_s32(vsubq_s32(e, vdupq_n_s32(127)));
}
PN_SI float f32_hsum(f32_v v) { return vaddvq_f32(v); }
PN_SI float f32_hmax(f32_v v) {
    f32_v s = f32_max(v, vextq_f32(v, v, 2));
    return vgetq_lane_f32(f32_max(s, vextq_f32(s, s, 1)), 0);
}

/* ---- f64 ---- */
typedef float64x2_t f64_v;
typedef uint64x2_t f64_m;
#define f64_LANES 2

PN_SI f64_v f64_load(const double *p) { return vld1q_f64(p); }
PN_SI void f64_store(double *p, f64_v v) { vst1q_f64(p, v); }
PN_SI f64_v f64_load_part(const double *p, int64_t k) {
    double buf[2] = {0.0, 0.0};
    memcpy(buf, p, (size_t)k * sizeof(double));
    return vld1q_f64(buf);
}
PN_SI void f64_store_part(double *p, f64_v v, int64_t k) {
    double buf[2];
    vst1q_f64(buf, v);
    memcpy(p, buf, (size_t)k * sizeof(double));
}
PN_SI f64_v f64_set(double a) { return vdupq_n_f64(a); }
PN_SI f64_v f64_add(f64_v a, f64_v b) { return vaddq_f64(a, b); }
PN_SI f64_v f64_sub(f64_v a, f64_v b) { return vsubq_f64(a, b); }
PN_SI f64_v f64_mul(f64_v a, f64_v b) { return vmulq_f64(a, b); }
PN_SI f64_v f64_div(f64_v a, f64_v b) { return vdivq_f64(a, b); }
PN_SI f64_v f64_sqrt(f64_v a) { return vsqrtq_f64(a); }
PN_SI f64_v f64_fma(f64_v a, f64_v b, f64_v c) { return vfmaq_f64(c, a, b); }
PN_SI f64_v f64_max(f64_v a, f64_v b) { return vbslq_f64(vcgtq_f64(a, b), a, b); }
PN_SI f64_v f64_min(f64_v a, f64_v b) { return vbslq_f64(vcltq_f64(a, b), a, b); }
PN_SI f64_v f64_and_bits(f64_v a, uint64_t m) {
    return vreinterpretq_f64_u64(vandq_u64(vreinterpretq_u64_f64(a), vdupq_n_u64(m)));
}
PN_SI f64_v f64_abs(f64_v a) { return vabsq_f64(a); }
PN_SI f64_v f64_copysign(f64_v mag, f64_v sgn) {
    return vbslq_f64(vdupq_n_u64(0x8000000000000000ull), sgn, mag);
}
PN_SI f64_m f64_gt(f64_v a, f64_v b) { return vcgtq_f64(a, b); }
PN_SI f64_m f64_lt(f64_v a, f64_v b) { return vcltq_f64(a, b); }
PN_SI f64_m f64_ge(f64_v a, f64_v b) { return vcgeq_f64(a, b); }
PN_SI f64_v f64_select(f64_m m, f64_v a, f64_v b) { return vbslq_f64(m, a, b); }
PN_SI f64_v f64_pow2b(f64_v v) { return vreinterpretq_f64_u64(vshlq_n_u64(vreinterpretq_u64_f64(v), 52)); }
PN_SI f64_v f64_mant(f64_v v) {
    uint64x2_t b = vandq_u64(vreinterpretq_u64_f64(v), vdupq_n_u64(0x000fffffffffffffull));
    return vreinterpretq_f64_u64(vorrq_u64(b, vdupq_n_u64(0x3ff0000000000000ull)));
}
PN_SI f64_v f64_expo(f64_v v) {
    int64x2_t e = vreinterpretq_s64_u64(vshrq_n_u64(vreinterpretq_u64_f64(v), 52));
    return vcvtq_f64_s64(vsubq_s64(e, vdupq_n_s64(1023)));
}
PN_SI double f64_hsum(f64_v v) { return vaddvq_f64(v); }
PN_SI double f64_hmax(f64_v v) {
    return vgetq_lane_f64(f64_max(v, vextq_f64(v, v, 1)), 0);
}

#endif
