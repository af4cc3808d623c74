/* x86-64 AVX2 + FMA: 8 x f32, 4 x f64.  Semantics as in isa_scalar.h. */
#ifndef PN_ISA_AVX2_H
#define PN_ISA_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#define PN_ISA_NAME avx2
#define PN_SI static inline __attribute__((always_inline))

/* ---- f32 ---- */
typedef __m256 f32_v;
typedef __m256 f32_m;
#define f32_LANES 8

PN_SI __m256i f32_lanes_below(int64_t k) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
PN_SI f32_v f32_load(const float *p) { return _mm256_loadu_ps(p); }
PN_SI void f32_store(float *p, f32_v v) { _mm256_storeu_ps(p, v); }
PN_SI f32_v f32_load_part(const float *p, int64_t k) { return _mm256_maskload_ps(p, f32_lanes_below(k)); }
PN_SI void f32_store_part(float *p, f32_v v, int64_t k) { _mm256_maskstore_ps(p, f32_lanes_below(k), v); }
PN_SI f32_v f32_set(float a) { return _mm256_set1_ps(a); }
PN_SI f32_v f32_add(f32_v a, f32_v b) { return _mm256_add_ps(a, b); }
PN_SI f32_v f32_sub(f32_v a, f32_v b) { return _mm256_sub_ps(a, b); }
PN_SI f32_v f32_mul(f32_v a, f32_v b) { return _mm256_mul_ps(a, b); }
PN_SI f32_v f32_div(f32_v a, f32_v b) { return _mm256_div_ps(a, b); }
PN_SI f32_v f32_sqrt(f32_v a) { return _mm256_sqrt_ps(a); }
PN_SI f32_v f32_fma(f32_v a, f32_v b, f32_v c) { return _mm256_fmadd_ps(a, b, c); }
PN_SI f32_v f32_max(f32_v a, f32_v b) { return _mm256_max_ps(a, b); }
PN_SI f32_v f32_min(f32_v a, f32_v b) { return _mm256_min_ps(a, b); }
PN_SI f32_v f32_and_bits(f32_v a, uint32_t m) {
    return _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32((int)m)));
}
PN_SI f32_v f32_abs(f32_v a) { return f32_and_bits(a, 0x7fffffffu); }
PN_SI f32_v f32_copysign(f32_v mag, f32_v sgn) {
    return _mm256_or_ps(f32_and_bits(mag, 0x7fffffffu), f32_and_bits(sgn, 0x80000000u));
}
PN_SI f32_m f32_gt(f32_v a, f32_v b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
PN_SI f32_m f32_lt(f32_v a, f32_v b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
PN_SI f32_m f32_ge(f32_v a, f32_v b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
PN_SI f32_v f32_select(f32_m m, f32_v a, f32_v b) { return _mm256_blendv_ps(b, a, m); }
PN_SI f32_v f32_pow2b(f32_v v) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(v), 23));
}
PN_SI f32_v f32_mant(f32_v v) {
    __m256i b = _mm256_and_si256(_mm256_castps_si256(v), _mm256_set1_epi32(0x007fffff));
    return _mm256_castsi256_ps(_mm256_or_si256(b, _mm256_set1_epi32(0x3f800000)));
}
PN_SI f32_v f32_expo(f32_v v) {
    __m256i e = _mm256_srli_epi32(_mm256_castps_si256(v), 23);
    return _mm256_cvtepi32_ps(_mm256_sub_epi32(e, _mm256_set1_epi32(127)));
}
PN_SI float f32_hsum(f32_v v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
PN_SI float f32_hmax(f32_v v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* ---- f64 ---- */
typedef __m256d f64_v;
typedef __m256d f64_m;
#define f64_LANES 4

PN_SI __m256i f64_lanes_below(int64_t k) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(k), _mm256_setr_epi64x(0, 1, 2, 3));
}
PN_SI f64_v f64_load(const double *p) { return _mm256_loadu_pd(p); }
PN_SI void f64_store(double *p, f64_v v) { _mm256_storeu_pd(p, v); }
PN_SI f64_v f64_load_part(const double *p, int64_t k) { return _mm256_maskload_pd(p, f64_lanes_below(k)); }
PN_SI void f64_store_part(double *p, f64_v v, int64_t k) { _mm256_maskstore_pd(p, f64_lanes_below(k), v); }
PN_SI f64_v f64_set(double a) { return _mm256_set1_pd(a); }
PN_SI f64_v f64_add(f64_v a, f64_v b) { return _mm256_add_pd(a, b); }
PN_SI f64_v f64_sub(f64_v a, f64_v b) { return _mm256_sub_pd(a, b); }
PN_SI f64_v f64_mul(f64_v a, f64_v b) { return _mm256_mul_pd(a, b); }
PN_SI f64_v f64_div(f64_v a, f64_v b) { return _mm256_div_pd(a, b); }
PN_SI f64_v f64_sqrt(f64_v a) { return _mm256_sqrt_pd(a); }
PN_SI f64_v f64_fma(f64_v a, f64_v b, f64_v c) { return _mm256_fmadd_pd(a, b, c); }
PN_SI f64_v f64_max(f64_v a, f64_v b) { return _mm256_max_pd(a, b); }
PN_SI f64_v f64_min(f64_v a, f64_v b) { return _mm256_min_pd(a, b); }
PN_SI f64_v f64_and_bits(f64_v a, uint64_t m) {
    return _mm256_and_pd(a, _mm256_castsi256_pd(_mm256_set1_epi64x((long long)m)));
}
PN_SI f64_v f64_abs(f64_v a) { return f64_and_bits(a, 0x7fffffffffffffffull); }
PN_SI f64_v f64_copysign(f64_v mag, f64_v sgn) {
    return _mm256_or_pd(f64_and_bits(mag, 0x7fffffffffffffffull), f64_and_bits(sgn, 0x8000000000000000ull));
}
PN_SI f64_m f64_gt(f64_v a, f64_v b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }
PN_SI f64_m f64_lt(f64_v a, f64_v b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
PN_SI f64_m f64_ge(f64_v a, f64_v b) { return _mm256_cmp_pd(a, b, _CMP_GE_OQ); }
PN_SI f64_v f64_select(f64_m m, f64_v a, f64_v b) { return _mm256_blendv_pd(b, a, m); }
PN_SI f64_v f64_pow2b(f64_v v) {
    return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_castpd_si256(v), 52));
}
PN_SI f64_v f64_mant(f64_v v) {
    __m256i b = _mm256_and_si256(_mm256_castpd_si256(v), _mm256_set1_epi64x(0x000fffffffffffffll));
    return _mm256_castsi256_pd(_mm256_or_si256(b, _mm256_set1_epi64x(0x3ff0000000000000ll)));
}
/* No AVX2 int64->double conversion: place the 11-bit exponent field in the
 * mantissa of 2^52 and subtract 2^52 (exact). */
PN_SI f64_v f64_expo(f64_v v) {
    __m256i e = _mm256_srli_epi64(_mm256_castpd_si256(v), 52);
    f64_v big = _mm256_castsi256_pd(_mm256_or_si256(e, _mm256_set1_epi64x(0x4330000000000000ll)));
    return _mm256_sub_pd(big, _mm256_set1_pd(4503599627370496.0 + 1023.0));
}
PN_SI double f64_hsum(f64_v v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}
PN_SI double f64_hmax(f64_v v) {
    __m128d s = _mm_max_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_max_sd(s, _mm_unpackhi_pd(s, s)));
}

#endif
