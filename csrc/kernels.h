/*
 * Internal: the table of kernels that each ISA translation unit fills
 * (csrc/isa_<level>.c, one per row of ops.def) and dispatch.c selects.
 * Kernels trust their arguments: api.c has checked them.
 */
#ifndef PN_KERNELS_H
#define PN_KERNELS_H

#include <math.h>

#include "ops.def"
#include "pyneuron.h"

typedef void (*pn_act_fwd_fn)(const void *x, void *y, int64_t n, double alpha);
typedef void (*pn_act_bwd_fn)(const void *x, const void *dy, void *dx, int64_t n, double alpha);
typedef void (*pn_act_fwd_deriv_fn)(const void *x, void *y, void *deriv, int64_t n, double alpha);
typedef void (*pn_mul_fn)(const void *a, const void *b, void *out, int64_t n);
typedef void (*pn_softmax_fn)(int log_out, const void *x, void *y, int64_t rows, int64_t cols);
typedef void (*pn_softmax_bwd_fn)(int log_out, const void *x, const void *dy, void *dx,
                                  int64_t rows, int64_t cols);
typedef pn_status (*pn_dense_fwd_fn)(const void *x, const void *W, const void *b, void *y,
                                     int64_t n, int64_t in, int64_t out);
typedef pn_status (*pn_dense_bwd_fn)(const void *x, const void *W, const void *dy, void *dx,
                                     void *dW, void *db, int64_t n, int64_t in, int64_t out);
typedef double (*pn_loss_fn)(const void *pred, const void *target, int64_t n);
typedef void (*pn_loss_grad_fn)(const void *pred, const void *target, void *grad, int64_t n);
typedef double (*pn_xent_fn)(const void *logits, const int64_t *labels, const void *target,
                             int64_t rows, int64_t classes);
typedef void (*pn_xent_grad_fn)(const void *logits, const int64_t *labels, const void *target,
                                void *grad, int64_t rows, int64_t classes);

typedef void (*pn_sgd_fn)(void *params, const void *grad, void *buf, int64_t n,
                          const pn_train_config *config, int first);
/* bias1, bias2: the step's bias corrections 1 - beta1^t and 1 - beta2^t. */
typedef void (*pn_adam_fn)(void *params, const void *grad, void *m, void *v, int64_t n,
                           const pn_train_config *config, double bias1, double bias2);

/* C (M x N, row stride ldc) = A B + row_bias (per row; may be NULL), with
 * A(i, k) = A[i*rsa + k*csa] and B(k, j) = B[k*rsb + j*csb]. */
typedef pn_status (*pn_gemm_fn)(int64_t M, int64_t N, int64_t K, const void *A, int64_t rsa, int64_t csa,
                                const void *B, int64_t rsb, int64_t csb, const void *row_bias, void *C,
                                int64_t ldc);
/* C[i*ldc + j] = sum_k A[i*lda + k] B[j*ldb + k]; B NULL: row sums into C[i*ldc]. */
typedef void (*pn_dot_rows_fn)(int64_t M, int64_t N, int64_t K, const void *A, int64_t lda, const void *B,
                               int64_t ldb, void *C, int64_t ldc);

/* ---- small networks, one sample per vector lane (kernels/lanes.inc) ---- */

#define PN_MAX_LAYERS 64
/* Networks whose widths are all at most this run the lanes pass (train.c). */
#define PN_LANES_MAX_WIDTH 64
/* The lanes pass works on blocks of PN_LANES_BLOCK_BYTES per unit: 128
 * float64 or 256 float32 samples, and twice that (up to PN_LANES_PAD
 * samples: float64's 256) for a network whose whole work set still fits
 * PN_LANES_L1_BYTES (train.c, lanes_block).  Not less: a tiny net's
 * per-block work is about a third of its pass (the 1-2-2-1 headline
 * trained 14% faster at avx512 with 128 float64 samples than with 64,
 * float32 5-8% faster with 256 than with 128, and float64 leaky ReLU 9%
 * faster with 256 than with 128); not more where the set would leave L1:
 * 2 KB per unit made the 2-8-8-1 circle net 2% slower, a 32-wide net more.
 * Its feature-major arrays hold a multiple of PN_LANES_PAD samples, the
 * most a block holds, the padding zero. */
#define PN_LANES_BLOCK_BYTES 1024
#define PN_LANES_PAD (PN_LANES_BLOCK_BYTES / 4) /* float32's block */
#define PN_LANES_L1_BYTES (32 * 1024)          /* the smallest L1 data cache of the cores targeted */

/* One pass of a network over m samples held feature-major: unit u of
 * sample s at X[u * ld + s], ld a multiple of PN_LANES_PAD. */
typedef struct pn_lanes_pass {
    const void *X;       /* inputs x ld */
    const void *Y;       /* MSE, BCE: targets, outputs x ld; XENT: class labels as values, 1 x ld */
    int64_t m, ld;
    int64_t block;       /* samples per block: whole register tiles, at most PN_LANES_PAD (train.c) */
    int loss;            /* pn_train_loss */
    double scale;        /* 1 / the count the loss is the mean over */
    void *grad;          /* NULL: forward only; else the gradient of the loss, one per parameter */
    void *out;           /* NULL, or the network's outputs, outputs x ld */
    int64_t *stats;      /* NULL, or per layer: dead units, saturated (sample, unit) pairs (needs grad) */
    void *work;          /* lanes_work_bytes(net, block) bytes (train.c), 64-byte aligned */
} pn_lanes_pass;

/* Returns the loss (0 when forward only). */
typedef double (*pn_lanes_fn)(const pn_mlp *net, const pn_lanes_pass *pass);

/* An activation's family (ops.def): what training records of its units. */
static inline int pn_family_of(int act) {
    switch (act) {
#define PN_FAMILY_CASE(code, name, family, ...) \
    case code:                                  \
        return family;
        PN_ACTIVATIONS(PN_FAMILY_CASE)
#undef PN_FAMILY_CASE
    }
    return PN_FAMILY_LINEAR;
}

/* The |pre-activation| beyond which a sigmoid or tanh unit counts as
 * saturated: its derivative is below 5% of its peak (sigmoid s(1-s) <
 * 0.0125, tanh 1 - t^2 < 0.05).  One definition for both paths. */
static inline double pn_saturation_limit(int act) {
    const double s = (1.0 + sqrt(0.95)) / 2.0;
    return act == PN_ACT_SIGMOID ? log(s / (1.0 - s)) : atanh(sqrt(0.95));
}

typedef struct pn_dtype_kernels {
    pn_act_fwd_fn act_fwd[PN_ACT_COUNT];
    pn_act_bwd_fn act_bwd[PN_ACT_COUNT];
    pn_act_fwd_deriv_fn act_fwd_deriv[PN_ACT_COUNT]; /* y and dy/dx in one pass */
    pn_mul_fn mul;
    pn_softmax_fn softmax;
    pn_softmax_bwd_fn softmax_bwd;
    pn_dense_fwd_fn dense_fwd;
    pn_dense_bwd_fn dense_bwd;
    pn_loss_fn loss[PN_LOSS_COUNT];
    pn_loss_grad_fn loss_grad[PN_LOSS_COUNT];
    pn_xent_fn xent;
    pn_xent_grad_fn xent_grad;
    pn_sgd_fn sgd;
    pn_adam_fn adam;
    pn_gemm_fn gemm;
    pn_dot_rows_fn dot_rows;
    pn_lanes_fn lanes_pass;
} pn_dtype_kernels;

typedef struct pn_kernel_table {
    int level; /* the pn_simd level whose translation unit filled the table */
    /* its sizes, reported by pn_simd_describe (the tests' sweeps follow them) */
    int f32_lanes, f64_lanes, gemm_mr, gemm_nv, lanes_units, lanes_inputs;
    pn_dtype_kernels f32, f64;
} pn_kernel_table;

/* ops.def's architectures: PN_IF_ARCH_<arch>(...) keeps its arguments for
 * the levels this build compiles and drops them for the others. */
#define PN_IF_ARCH_any(...) __VA_ARGS__
#if defined(__x86_64__) || defined(_M_X64)
#define PN_IF_ARCH_x86_64(...) __VA_ARGS__
#define PN_IF_ARCH_aarch64(...)
#elif defined(__aarch64__) || defined(_M_ARM64)
#define PN_IF_ARCH_x86_64(...)
#define PN_IF_ARCH_aarch64(...) __VA_ARGS__
#else
#define PN_IF_ARCH_x86_64(...)
#define PN_IF_ARCH_aarch64(...)
#endif

#define PN_DECLARE_TABLE(code, name, arch, flags, features) extern const pn_kernel_table pn_kernels_##name;
PN_SIMD_LEVELS(PN_DECLARE_TABLE)
#undef PN_DECLARE_TABLE

/* The kernels of the SIMD level in use for a dtype (dispatch.c). */
const pn_dtype_kernels *pn_kernels_for(int dtype);

/* Count the levels in mask (a pn_simd_served mask of another thread, whose
 * work this thread's call asked for: pn_train_jobs) as serving this
 * thread's calls (dispatch.c). */
void pn_simd_count_served(int mask);

/* The table of the SIMD level in use (dispatch.c). */
const pn_kernel_table *pn_active_kernels(void);

#endif
