/*
 * Portable "vector" of one lane: the reference semantics of every op that
 * the per-ISA headers (isa_avx2.h, isa_avx512.h) implement.
 *
 * Ops, for P in {f32, f64} with element type T:
 *   P_v, P_m            vector and comparison-mask types; P_LANES lanes
 *   P_load/P_store      unaligned full-vector access
 *   P_load_part/P_store_part(p, k)   first k < LANES lanes only; loads
 *                       fill the other lanes with zero and never touch
 *                       memory past p[k-1]
 *   P_set               broadcast
 *   P_add P_sub P_mul P_div P_sqrt P_fma(a,b,c)=a*b+c (fused where the ISA has it)
 *   P_max(a,b) = a > b ? a : b  -- so a NaN in b is returned: put the
 *   P_min(a,b) = a < b ? a : b     operand that may be NaN second
 *   P_abs P_copysign(mag, sgn) P_and_bits(a, mask-bits)
 *   P_gt P_lt P_ge (ordered compares) P_select(m, a, b) = m ? a : b
 *   P_pow2b(v)          reinterpret v's bits as an integer and shift it
 *                       left by the mantissa width (exponent construction
 *                       for the magic-bias trick)
 *   P_mant(v) P_expo(v) mantissa in [1,2) and unbiased exponent (as T) of
 *                       a positive normal v
 *   P_hsum P_hmax       horizontal reductions to a scalar
 *
 * Levels that set PN_EXP_TABLE (isa_*.c) also have, for f64:
 *   P_lookup16(table, v) table[m mod 16], m the integer in v's low bits
 *   P_pow2b16_times(table, v)  table[m mod 16] * P_pow2b(m / 16), for
 *                       entries in [1, 2) and m < 2^16
 * and those that set PN_TANH_TABLE, for f32:
 *   P_lookup32(table, v) table[m mod 32], m the integer in v's low bits
 *   P_binade_quarter(a, e)  for a >= +0 or NaN, that m: 1 + the number of
 *                       quarter binades between 2^e and a (a's top 10 bits
 *                       minus 2^e's), 0 below 2^e, at most 31
 */
#ifndef PN_ISA_SCALAR_H
#define PN_ISA_SCALAR_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define PN_ISA_NAME baseline
#define PN_SI static inline __attribute__((always_inline))

/* ---- f32 ---- */
typedef float f32_v;
typedef int f32_m;
#define f32_LANES 1

PN_SI f32_v f32_load(const float *p) { return *p; }
PN_SI void f32_store(float *p, f32_v v) { *p = v; }
PN_SI f32_v f32_load_part(const float *p, int64_t k) { return k > 0 ? *p : 0.0f; }
PN_SI void f32_store_part(float *p, f32_v v, int64_t k) { if (k > 0) *p = v; }
PN_SI f32_v f32_set(float a) { return a; }
PN_SI f32_v f32_add(f32_v a, f32_v b) { return a + b; }
PN_SI f32_v f32_sub(f32_v a, f32_v b) { return a - b; }
PN_SI f32_v f32_mul(f32_v a, f32_v b) { return a * b; }
PN_SI f32_v f32_div(f32_v a, f32_v b) { return a / b; }
PN_SI f32_v f32_sqrt(f32_v a) { return sqrtf(a); }
/* Unfused on purpose: a software fma() is far slower than the error it saves. */
PN_SI f32_v f32_fma(f32_v a, f32_v b, f32_v c) { return a * b + c; }
PN_SI f32_v f32_max(f32_v a, f32_v b) { return a > b ? a : b; }
PN_SI f32_v f32_min(f32_v a, f32_v b) { return a < b ? a : b; }
PN_SI uint32_t f32_bits(float a) { uint32_t u; memcpy(&u, &a, 4); return u; }
PN_SI float f32_from_bits(uint32_t u) { float a; memcpy(&a, &u, 4); return a; }
PN_SI f32_v f32_abs(f32_v a) { return f32_from_bits(f32_bits(a) & 0x7fffffffu); }
PN_SI f32_v f32_copysign(f32_v mag, f32_v sgn) {
    return f32_from_bits((f32_bits(mag) & 0x7fffffffu) | (f32_bits(sgn) & 0x80000000u));
}
PN_SI f32_v f32_and_bits(f32_v a, uint32_t m) { return f32_from_bits(f32_bits(a) & m); }
PN_SI f32_m f32_gt(f32_v a, f32_v b) { return a > b; }
PN_SI f32_m f32_lt(f32_v a, f32_v b) { return a < b; }
PN_SI f32_m f32_ge(f32_v a, f32_v b) { return a >= b; }
PN_SI f32_v f32_select(f32_m m, f32_v a, f32_v b) { return m ? a : b; }
PN_SI f32_v f32_pow2b(f32_v v) { return f32_from_bits(f32_bits(v) << 23); }
PN_SI f32_v f32_mant(f32_v v) { return f32_from_bits((f32_bits(v) & 0x007fffffu) | 0x3f800000u); }
PN_SI f32_v f32_expo(f32_v v) { return (float)((int32_t)(f32_bits(v) >> 23) - 127); }
PN_SI float f32_hsum(f32_v v) { return v; }
PN_SI float f32_hmax(f32_v v) { return v; }

/* ---- f64 ---- */
typedef double f64_v;
typedef int f64_m;
#define f64_LANES 1

PN_SI f64_v f64_load(const double *p) { return *p; }
PN_SI void f64_store(double *p, f64_v v) { *p = v; }
PN_SI f64_v f64_load_part(const double *p, int64_t k) { return k > 0 ? *p : 0.0; }
PN_SI void f64_store_part(double *p, f64_v v, int64_t k) { if (k > 0) *p = v; }
PN_SI f64_v f64_set(double a) { return a; }
PN_SI f64_v f64_add(f64_v a, f64_v b) { return a + b; }
PN_SI f64_v f64_sub(f64_v a, f64_v b) { return a - b; }
PN_SI f64_v f64_mul(f64_v a, f64_v b) { return a * b; }
PN_SI f64_v f64_div(f64_v a, f64_v b) { return a / b; }
PN_SI f64_v f64_sqrt(f64_v a) { return sqrt(a); }
PN_SI f64_v f64_fma(f64_v a, f64_v b, f64_v c) { return a * b + c; }
PN_SI f64_v f64_max(f64_v a, f64_v b) { return a > b ? a : b; }
PN_SI f64_v f64_min(f64_v a, f64_v b) { return a < b ? a : b; }
PN_SI uint64_t f64_bits(double a) { uint64_t u; memcpy(&u, &a, 8); return u; }
PN_SI double f64_from_bits(uint64_t u) { double a; memcpy(&a, &u, 8); return a; }
PN_SI f64_v f64_abs(f64_v a) { return f64_from_bits(f64_bits(a) & 0x7fffffffffffffffull); }
PN_SI f64_v f64_copysign(f64_v mag, f64_v sgn) {
    return f64_from_bits((f64_bits(mag) & 0x7fffffffffffffffull) |
                         (f64_bits(sgn) & 0x8000000000000000ull));
}
PN_SI f64_v f64_and_bits(f64_v a, uint64_t m) { return f64_from_bits(f64_bits(a) & m); }
PN_SI f64_m f64_gt(f64_v a, f64_v b) { return a > b; }
PN_SI f64_m f64_lt(f64_v a, f64_v b) { return a < b; }
PN_SI f64_m f64_ge(f64_v a, f64_v b) { return a >= b; }
PN_SI f64_v f64_select(f64_m m, f64_v a, f64_v b) { return m ? a : b; }
PN_SI f64_v f64_pow2b(f64_v v) { return f64_from_bits(f64_bits(v) << 52); }
PN_SI f64_v f64_mant(f64_v v) {
    return f64_from_bits((f64_bits(v) & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
}
PN_SI f64_v f64_expo(f64_v v) { return (double)((int64_t)(f64_bits(v) >> 52) - 1023); }
PN_SI double f64_hsum(f64_v v) { return v; }
PN_SI double f64_hmax(f64_v v) { return v; }

#endif
