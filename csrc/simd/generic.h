/*
 * Precision-generic names for the ISA ops: kernel templates are written
 * once against v_* / T / V and included twice per ISA, with PN_PREC set to
 * f32 and then f64 (see isa_kernels.inc).
 */
#define PN_CAT2(a, b) a##b
#define PN_CAT(a, b) PN_CAT2(a, b)
#define PN_OP(name) PN_CAT(PN_PREC, PN_CAT(_, name))
/* A function of this precision; file-local, so ISA files never collide. */
#define FN(name) PN_CAT(name, PN_CAT(_, PN_PREC))

#define V PN_OP(v)
#define VM PN_OP(m)
#define LANES PN_OP(LANES)
#define v_load PN_OP(load)
#define v_store PN_OP(store)
#define v_load_part PN_OP(load_part)
#define v_store_part PN_OP(store_part)
#define v_set PN_OP(set)
#define v_add PN_OP(add)
#define v_sub PN_OP(sub)
#define v_mul PN_OP(mul)
#define v_div PN_OP(div)
#define v_sqrt PN_OP(sqrt)
#define v_fma PN_OP(fma)
#define v_max PN_OP(max)
#define v_min PN_OP(min)
#define v_abs PN_OP(abs)
#define v_copysign PN_OP(copysign)
#define v_and_bits PN_OP(and_bits)
#define v_gt PN_OP(gt)
#define v_lt PN_OP(lt)
#define v_ge PN_OP(ge)
#define v_select PN_OP(select)
#define v_pow2b PN_OP(pow2b)
#define v_lookup16 PN_OP(lookup16) /* levels with PN_EXP_TABLE only */
#define v_pow2b16_times PN_OP(pow2b16_times) /* likewise */
#define v_lookup32 PN_OP(lookup32) /* levels with PN_TANH_TABLE only (f32) */
#define v_binade_quarter PN_OP(binade_quarter) /* likewise */
#define v_mant PN_OP(mant)
#define v_expo PN_OP(expo)
#define v_hsum PN_OP(hsum)
#define v_hmax PN_OP(hmax)
