/*
 * Run-time SIMD dispatch: detect what this CPU *and OS* support (x86-64:
 * CPUID feature bits plus the XCR0 register states the OS saves; AArch64:
 * NEON, always there), then route every public call through the kernel
 * table of one level.  The levels, and the features each needs, are the
 * rows of ops.def.
 */
#include "kernels.h"

/* CPU (and OS) features that ops.def's levels require. */
enum pn_cpu_feature {
    PN_CPU_AVX2 = 1 << 0,
    PN_CPU_FMA = 1 << 1,
    PN_CPU_OS_YMM = 1 << 2,    /* the OS saves YMM state (XCR0) */
    PN_CPU_AVX512F = 1 << 3,
    PN_CPU_OS_ZMM = 1 << 4,    /* ... and opmask, ZMM0-15 upper halves, ZMM16-31 */
    PN_CPU_NEON = 1 << 5,      /* AArch64 Advanced SIMD: every AArch64 CPU */
};

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>

static uint64_t xgetbv0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

static int cpu_features(void) {
    int f = 0;
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    if ((c >> 12) & 1) f |= PN_CPU_FMA;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return f;
    uint64_t xcr0 = xgetbv0();
    if ((xcr0 & 0x6) == 0x6) f |= PN_CPU_OS_YMM;
    if ((xcr0 & 0xe6) == 0xe6) f |= PN_CPU_OS_ZMM;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
    if ((b >> 5) & 1) f |= PN_CPU_AVX2;
    if ((b >> 16) & 1) f |= PN_CPU_AVX512F;
    return f;
}
#elif defined(__aarch64__) || defined(_M_ARM64)
static int cpu_features(void) { return PN_CPU_NEON; }
#else
static int cpu_features(void) { return 0; }
#endif

/* ops.def's level rows follow pn_simd's order... */
enum {
#define PN_ROW_INDEX(code, name, arch, flags, features) pn_row_##code,
    PN_SIMD_LEVELS(PN_ROW_INDEX) pn_simd_rows
#undef PN_ROW_INDEX
};
_Static_assert((int)pn_simd_rows == (int)PN_SIMD_COUNT, "ops.def has one row per pn_simd level");
#define PN_ROW_IN_ORDER(code, name, arch, flags, features) \
    _Static_assert((int)code == (int)pn_row_##code, "ops.def's level rows are in pn_simd order: " #name);
PN_SIMD_LEVELS(PN_ROW_IN_ORDER)
#undef PN_ROW_IN_ORDER

/* ... and give each level's name, architecture, flags and features. */
typedef struct level_row {
    const char *name, *arch, *flags;
    int features;
} level_row;
static const level_row rows[PN_SIMD_COUNT] = {
#define PN_LEVEL_ROW(code, name, arch, flags, features) [code] = {#name, #arch, flags, features},
    PN_SIMD_LEVELS(PN_LEVEL_ROW)
#undef PN_LEVEL_ROW
};

/* The tables of the levels compiled for this architecture; NULL elsewhere. */
static const pn_kernel_table *const tables[PN_SIMD_COUNT] = {
#define PN_TABLE_IF_COMPILED(code, name, arch, flags, features) PN_IF_ARCH_##arch([code] = &pn_kernels_##name, )
    PN_SIMD_LEVELS(PN_TABLE_IF_COMPILED)
#undef PN_TABLE_IF_COMPILED
};

static int disabled = 0; /* levels turned off by pn_simd_disable */

/* cpu_features, asked once: in a virtual machine CPUID traps to the
 * hypervisor (15 us a call measured on a cloud VM), and the answer never
 * changes.  Threads that race here compute the same value; the atomics
 * only keep the race defined. */
static int known_cpu_features(void) {
    static int known = -1;
    int have = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (have < 0) {
        have = cpu_features();
        __atomic_store_n(&known, have, __ATOMIC_RELAXED);
    }
    return have;
}

int pn_simd_supported(void) {
    int have = known_cpu_features(), mask = 0;
    for (int l = 0; l < PN_SIMD_COUNT; l++)
        if (tables[l] && (rows[l].features & have) == rows[l].features) mask |= 1 << l;
    return mask & ~disabled;
}

pn_status pn_simd_describe(int level, pn_simd_info *info) {
    if (!info) return PN_ERR_NULL;
    if (level < 0 || level >= PN_SIMD_COUNT) return PN_ERR_SIMD;
    const level_row *r = &rows[level];
    const pn_kernel_table *t = tables[level];
    *info = (pn_simd_info){.name = r->name, .arch = r->arch, .flags = r->flags, .compiled = t != NULL};
    if (t) {
        info->f32_lanes = t->f32_lanes, info->f64_lanes = t->f64_lanes;
        info->gemm_mr = t->gemm_mr, info->gemm_nv = t->gemm_nv;
        info->lanes_units = t->lanes_units, info->lanes_inputs = t->lanes_inputs;
    }
    return PN_OK;
}

static int active_level = -1;

pn_status pn_simd_set(int level) {
    if (level < 0 || level >= PN_SIMD_COUNT || !tables[level]) return PN_ERR_SIMD;
    if (!(pn_simd_supported() & (1 << level))) return PN_ERR_SIMD;
    active_level = level;
    return PN_OK;
}

static int best_level(void) {
    int mask = pn_simd_supported(), best = PN_SIMD_BASELINE;
    for (int l = 0; l < PN_SIMD_COUNT; l++)
        if ((mask & (1 << l)) && tables[l]) best = l;
    return best;
}

int pn_simd_get(void) {
    if (active_level < 0) active_level = best_level(); /* racing threads agree */
    return active_level;
}

pn_status pn_simd_disable(int mask) {
    if (mask & ((1 << PN_SIMD_BASELINE) | ~((1 << PN_SIMD_COUNT) - 1))) return PN_ERR_SIMD;
    disabled |= mask;
    if (active_level >= 0 && (disabled & (1 << active_level))) active_level = best_level();
    return PN_OK;
}

const pn_kernel_table *pn_active_kernels(void) { return tables[pn_simd_get()]; }

/* Levels whose tables served this thread's calls (pn_simd_served). */
static _Thread_local int served = 0;

const pn_dtype_kernels *pn_kernels_for(int dtype) {
    const pn_kernel_table *t = pn_active_kernels();
    served |= 1 << t->level;
    return dtype == PN_F32 ? &t->f32 : &t->f64;
}

void pn_simd_count_served(int mask) { served |= mask; }

int pn_simd_served(int reset) {
    int mask = served;
    if (reset) served = 0;
    return mask;
}

/* The compiler and the levels compiled for this architecture. */
static const char build_info[] =
#ifdef __VERSION__
    "C compiler " __VERSION__ "; "
#endif
    "kernels compiled:"
#define PN_NAME_IF_COMPILED(code, name, arch, flags, features) PN_IF_ARCH_##arch(" " #name)
    PN_SIMD_LEVELS(PN_NAME_IF_COMPILED);
#undef PN_NAME_IF_COMPILED

const char *pn_build_info(void) { return build_info; }

int pn_build_sanitized(void) {
#if defined(__SANITIZE_ADDRESS__)
    return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return 1;
#endif
#endif
    return 0;
}
