/* x86-64 AVX-512F: 16 x f32, 8 x f64.  Semantics as in isa_scalar.h.
 * Only AVX-512F instructions are used (no DQ/BW/VL), so any AVX-512 CPU
 * runs this. */
#ifndef PN_ISA_AVX512_H
#define PN_ISA_AVX512_H

#include <immintrin.h>
#include <stdint.h>

#define PN_ISA_NAME avx512
#define PN_SI static inline __attribute__((always_inline))

/* ---- f32 ---- */
typedef __m512 f32_v;
typedef __mmask16 f32_m;
#define f32_LANES 16

PN_SI __mmask16 f32_lanes_below(int64_t k) { return (__mmask16)((1u << k) - 1u); }
PN_SI f32_v f32_load(const float *p) { return _mm512_loadu_ps(p); }
PN_SI void f32_store(float *p, f32_v v) { _mm512_storeu_ps(p, v); }
PN_SI f32_v f32_load_part(const float *p, int64_t k) { return _mm512_maskz_loadu_ps(f32_lanes_below(k), p); }
PN_SI void f32_store_part(float *p, f32_v v, int64_t k) { _mm512_mask_storeu_ps(p, f32_lanes_below(k), v); }
PN_SI f32_v f32_set(float a) { return _mm512_set1_ps(a); }
PN_SI f32_v f32_add(f32_v a, f32_v b) { return _mm512_add_ps(a, b); }
PN_SI f32_v f32_sub(f32_v a, f32_v b) { return _mm512_sub_ps(a, b); }
PN_SI f32_v f32_mul(f32_v a, f32_v b) { return _mm512_mul_ps(a, b); }
PN_SI f32_v f32_div(f32_v a, f32_v b) { return _mm512_div_ps(a, b); }
PN_SI f32_v f32_sqrt(f32_v a) { return _mm512_sqrt_ps(a); }
PN_SI f32_v f32_fma(f32_v a, f32_v b, f32_v c) { return _mm512_fmadd_ps(a, b, c); }
PN_SI f32_v f32_max(f32_v a, f32_v b) { return _mm512_max_ps(a, b); }
PN_SI f32_v f32_min(f32_v a, f32_v b) { return _mm512_min_ps(a, b); }
PN_SI f32_v f32_and_bits(f32_v a, uint32_t m) {
    return _mm512_castsi512_ps(_mm512_and_epi32(_mm512_castps_si512(a), _mm512_set1_epi32((int)m)));
}
PN_SI f32_v f32_abs(f32_v a) { return f32_and_bits(a, 0x7fffffffu); }
PN_SI f32_v f32_copysign(f32_v mag, f32_v sgn) {
    return _mm512_castsi512_ps(_mm512_or_epi32(_mm512_castps_si512(f32_and_bits(mag, 0x7fffffffu)),
                                               _mm512_castps_si512(f32_and_bits(sgn, 0x80000000u))));
}
PN_SI f32_m f32_gt(f32_v a, f32_v b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
PN_SI f32_m f32_lt(f32_v a, f32_v b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
PN_SI f32_m f32_ge(f32_v a, f32_v b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
PN_SI f32_v f32_select(f32_m m, f32_v a, f32_v b) { return _mm512_mask_blend_ps(m, b, a); }
PN_SI f32_v f32_pow2b(f32_v v) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(v), 23));
}
PN_SI f32_v f32_mant(f32_v v) {
    __m512i b = _mm512_and_epi32(_mm512_castps_si512(v), _mm512_set1_epi32(0x007fffff));
    return _mm512_castsi512_ps(_mm512_or_epi32(b, _mm512_set1_epi32(0x3f800000)));
}
PN_SI f32_v f32_expo(f32_v v) {
    __m512i e = _mm512_srli_epi32(_mm512_castps_si512(v), 23);
    return _mm512_cvtepi32_ps(_mm512_sub_epi32(e, _mm512_set1_epi32(127)));
}
PN_SI float f32_hsum(f32_v v) { return _mm512_reduce_add_ps(v); }
PN_SI float f32_hmax(f32_v v) { return _mm512_reduce_max_ps(v); }
/* For PN_TANH_TABLE (activations.inc): table[m mod 32] from two registers,
 * and m from a's bits (sign 0, then exponent and the significand's top two
 * bits: a's quarter binade). */
PN_SI f32_v f32_lookup32(const float *table, f32_v v) {
    return _mm512_permutex2var_ps(_mm512_loadu_ps(table), _mm512_castps_si512(v), _mm512_loadu_ps(table + 16));
}
PN_SI f32_v f32_binade_quarter(f32_v a, int e) {
    __m512i m = _mm512_sub_epi32(_mm512_srli_epi32(_mm512_castps_si512(a), 21), _mm512_set1_epi32(((127 + e) << 2) - 1));
    return _mm512_castsi512_ps(_mm512_min_epi32(_mm512_max_epi32(m, _mm512_setzero_si512()), _mm512_set1_epi32(31)));
}

/* ---- f64 ---- */
typedef __m512d f64_v;
typedef __mmask8 f64_m;
#define f64_LANES 8

PN_SI __mmask8 f64_lanes_below(int64_t k) { return (__mmask8)((1u << k) - 1u); }
PN_SI f64_v f64_load(const double *p) { return _mm512_loadu_pd(p); }
PN_SI void f64_store(double *p, f64_v v) { _mm512_storeu_pd(p, v); }
PN_SI f64_v f64_load_part(const double *p, int64_t k) { return _mm512_maskz_loadu_pd(f64_lanes_below(k), p); }
PN_SI void f64_store_part(double *p, f64_v v, int64_t k) { _mm512_mask_storeu_pd(p, f64_lanes_below(k), v); }
PN_SI f64_v f64_set(double a) { return _mm512_set1_pd(a); }
PN_SI f64_v f64_add(f64_v a, f64_v b) { return _mm512_add_pd(a, b); }
PN_SI f64_v f64_sub(f64_v a, f64_v b) { return _mm512_sub_pd(a, b); }
PN_SI f64_v f64_mul(f64_v a, f64_v b) { return _mm512_mul_pd(a, b); }
PN_SI f64_v f64_div(f64_v a, f64_v b) { return _mm512_div_pd(a, b); }
PN_SI f64_v f64_sqrt(f64_v a) { return _mm512_sqrt_pd(a); }
PN_SI f64_v f64_fma(f64_v a, f64_v b, f64_v c) { return _mm512_fmadd_pd(a, b, c); }
PN_SI f64_v f64_max(f64_v a, f64_v b) { return _mm512_max_pd(a, b); }
PN_SI f64_v f64_min(f64_v a, f64_v b) { return _mm512_min_pd(a, b); }
PN_SI f64_v f64_and_bits(f64_v a, uint64_t m) {
    return _mm512_castsi512_pd(_mm512_and_epi64(_mm512_castpd_si512(a), _mm512_set1_epi64((long long)m)));
}
PN_SI f64_v f64_abs(f64_v a) { return f64_and_bits(a, 0x7fffffffffffffffull); }
PN_SI f64_v f64_copysign(f64_v mag, f64_v sgn) {
    return _mm512_castsi512_pd(_mm512_or_epi64(_mm512_castpd_si512(f64_and_bits(mag, 0x7fffffffffffffffull)),
                                               _mm512_castpd_si512(f64_and_bits(sgn, 0x8000000000000000ull))));
}
PN_SI f64_m f64_gt(f64_v a, f64_v b) { return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ); }
PN_SI f64_m f64_lt(f64_v a, f64_v b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
PN_SI f64_m f64_ge(f64_v a, f64_v b) { return _mm512_cmp_pd_mask(a, b, _CMP_GE_OQ); }
PN_SI f64_v f64_select(f64_m m, f64_v a, f64_v b) { return _mm512_mask_blend_pd(m, b, a); }
PN_SI f64_v f64_pow2b(f64_v v) {
    return _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_castpd_si512(v), 52));
}
PN_SI f64_v f64_mant(f64_v v) {
    __m512i b = _mm512_and_epi64(_mm512_castpd_si512(v), _mm512_set1_epi64(0x000fffffffffffffll));
    return _mm512_castsi512_pd(_mm512_or_epi64(b, _mm512_set1_epi64(0x3ff0000000000000ll)));
}
/* int64->double needs AVX-512DQ: use the 2^52 trick instead (see isa_avx2.h). */
PN_SI f64_v f64_expo(f64_v v) {
    __m512i e = _mm512_srli_epi64(_mm512_castpd_si512(v), 52);
    f64_v big = _mm512_castsi512_pd(_mm512_or_epi64(e, _mm512_set1_epi64(0x4330000000000000ll)));
    return _mm512_sub_pd(big, _mm512_set1_pd(4503599627370496.0 + 1023.0));
}
PN_SI double f64_hsum(f64_v v) { return _mm512_reduce_add_pd(v); }
PN_SI double f64_hmax(f64_v v) { return _mm512_reduce_max_pd(v); }
/* For PN_EXP_TABLE (math.inc), where v holds a magic-biased integer m in
 * its low 16 bits: table[m mod 16], from two registers; and that entry (in
 * [1, 2)) times pow2b of m / 16, built by adding m's bits, shifted to the
 * exponent field, to the entry's -- after taking 1023 and m mod 16 (which
 * the shift carries into the significand) off each entry's bits once. */
PN_SI f64_v f64_lookup16(const double *table, f64_v v) {
    return _mm512_permutex2var_pd(_mm512_loadu_pd(table), _mm512_castpd_si512(v), _mm512_loadu_pd(table + 8));
}
PN_SI f64_v f64_pow2b16_times(const double *table, f64_v v) {
    const __m512i j = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0), one = _mm512_set1_epi64(1023ll << 4);
    const __m512i lo = _mm512_sub_epi64(_mm512_castpd_si512(_mm512_loadu_pd(table)),
                                        _mm512_slli_epi64(_mm512_add_epi64(one, j), 48));
    const __m512i hi = _mm512_sub_epi64(_mm512_castpd_si512(_mm512_loadu_pd(table + 8)),
                                        _mm512_slli_epi64(_mm512_add_epi64(one, _mm512_add_epi64(j, _mm512_set1_epi64(8))), 48));
    const __m512i b = _mm512_castpd_si512(v);
    return _mm512_castsi512_pd(_mm512_add_epi64(_mm512_permutex2var_epi64(lo, b, hi), _mm512_slli_epi64(b, 48)));
}
#endif
