/*
 * Run-time SIMD dispatch: detect what this CPU *and OS* support (CPUID
 * feature bits plus the XCR0 register states the OS saves), then route
 * every public call through one kernel table.
 */
#include "kernels.h"

#ifdef PN_HAVE_X86
#include <cpuid.h>

static uint64_t xgetbv0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

static int detect_x86(void) {
    int mask = 1 << PN_SIMD_BASELINE;
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return mask;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    if (!osxsave || !avx) return mask;
    uint64_t xcr0 = xgetbv0();
    if ((xcr0 & 0x6) != 0x6) return mask; /* OS does not save YMM state */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return mask;
    int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1;
    if (avx2 && fma) {
        mask |= 1 << PN_SIMD_AVX2;
        /* opmask, ZMM0-15 upper halves and ZMM16-31 states must all be saved */
        if (avx512f && (xcr0 & 0xe6) == 0xe6) mask |= 1 << PN_SIMD_AVX512;
    }
    return mask;
}
#endif

static int disabled = 0; /* levels turned off by pn_simd_disable */

int pn_simd_supported(void) {
#ifdef PN_HAVE_X86
    return detect_x86() & ~disabled;
#else
    return (1 << PN_SIMD_BASELINE) & ~disabled;
#endif
}

static const pn_kernel_table *const tables[PN_SIMD_COUNT] = {
    &pn_kernels_baseline,
#ifdef PN_HAVE_X86
    &pn_kernels_avx2,
    &pn_kernels_avx512,
#endif
};

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

const char *pn_build_info(void) {
#ifdef PN_HAVE_X86
#define PN_COMPILED_LEVELS "baseline, avx2, avx512"
#else
#define PN_COMPILED_LEVELS "baseline"
#endif
#ifdef __VERSION__
    return "C compiler " __VERSION__ "; kernels compiled: " PN_COMPILED_LEVELS;
#else
    return "kernels compiled: " PN_COMPILED_LEVELS;
#endif
}

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
