/*
 * pyneuron.h -- the one public C API of pyneuron.
 *
 * This header is the contract between the C kernels and Python: the cffi
 * declarations are generated from it at build time (lines starting with '#'
 * are dropped), so it must stay plain C declarations -- no macros in the
 * declarations themselves.
 *
 * Conventions
 *  - Every function returns a pn_status; PN_OK (0) means success.
 *  - Arrays are dense, C-contiguous, of the element type named by `dtype`,
 *    and aligned to their element size.  Sizes are element counts
 *    (int64_t); negative sizes, NULL or misaligned pointers for a non-empty
 *    array, and sizes whose byte count overflows are rejected.
 *  - Outputs may alias inputs of the same shape (in-place operation) where
 *    the function says so.
 */
#ifndef PYNEURON_H
#define PYNEURON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pn_status {
    PN_OK = 0,
    PN_ERR_NULL = 1,        /* a required pointer was NULL */
    PN_ERR_SIZE = 2,        /* a size was negative or inconsistent */
    PN_ERR_OVERFLOW = 3,    /* a byte count would overflow */
    PN_ERR_DTYPE = 4,       /* unknown dtype code */
    PN_ERR_OP = 5,          /* unknown activation / loss code */
    PN_ERR_ARG = 6,         /* an argument is out of its domain */
    PN_ERR_SIMD = 7,        /* SIMD level unknown or not supported by this CPU */
    PN_ERR_NOMEM = 8,       /* allocation failed */
    PN_ERR_LABEL = 9,       /* a class label is out of range */
    PN_DIVERGED = 10,       /* training stopped: the loss became NaN or inf */
    PN_ERR_ALIGN = 11       /* an array is not aligned to its element size */
} pn_status;

typedef enum pn_dtype {
    PN_F32 = 0,
    PN_F64 = 1
} pn_dtype;

/* SIMD levels, in the order of csrc/ops.def, which says what each is.
 * Within an architecture a higher level implies the lower ones. */
typedef enum pn_simd {
    PN_SIMD_BASELINE = 0,   /* portable C, every architecture */
    PN_SIMD_AVX2 = 1,       /* x86-64 AVX2 + FMA */
    PN_SIMD_AVX512 = 2,     /* x86-64 AVX-512F (+ AVX2, FMA) */
    PN_SIMD_NEON = 3,       /* AArch64 Advanced SIMD */
    PN_SIMD_COUNT = 4
} pn_simd;

/* What a SIMD level is and, when this build holds its kernels, their
 * vector and register-tile sizes (0 otherwise): pn_simd_describe. */
typedef struct pn_simd_info {
    const char *name;           /* "baseline", "avx2", ... */
    const char *arch;           /* architecture: "any", "x86_64", "aarch64" */
    const char *flags;          /* compiler flags of its kernels */
    int compiled;               /* 1 if this build holds its kernels */
    int f32_lanes, f64_lanes;   /* elements per vector */
    int gemm_mr, gemm_nv;       /* GEMM micro-tile: rows x vectors */
    int lanes_units, lanes_inputs; /* small-network pass register tiles */
} pn_simd_info;

/* Element-wise activations.  `alpha` is the leaky-ReLU slope or the ELU
 * scale and is ignored by the others. */
typedef enum pn_act {
    PN_ACT_IDENTITY = 0,
    PN_ACT_SIGMOID = 1,
    PN_ACT_TANH = 2,
    PN_ACT_RELU = 3,
    PN_ACT_LEAKY_RELU = 4,
    PN_ACT_ELU = 5,
    PN_ACT_GELU = 6,        /* exact: x * Phi(x) */
    PN_ACT_GELU_TANH = 7,   /* tanh approximation */
    PN_ACT_SILU = 8,
    PN_ACT_SOFTPLUS = 9,
    PN_ACT_COUNT = 10
} pn_act;

/* What kind of unit an activation makes (csrc/ops.def): what training
 * records of it and how a network is initialised by default. */
typedef enum pn_act_family {
    PN_FAMILY_LINEAR = 0,       /* identity */
    PN_FAMILY_SATURATING = 1,   /* sigmoid, tanh: units saturate (recorded) */
    PN_FAMILY_RELU = 2,         /* piecewise linear, flat or sloped below 0: units die (recorded) */
    PN_FAMILY_SMOOTH_RELU = 3   /* ReLU-like and smooth: He initialisation */
} pn_act_family;

/* What an activation is: pn_act_describe. */
typedef struct pn_act_info {
    const char *name;           /* "sigmoid", "leaky_relu", ... */
    int family;                 /* pn_act_family */
    const char *param;          /* its one real parameter, passed as alpha; "" if none */
    double param_default;
    int ulp_bound;              /* tested error bound, float32 and float64 ulp; 0: exact */
} pn_act_info;

typedef enum pn_loss_kind {
    PN_LOSS_MSE = 0,            /* mean((p - t)^2) over all elements */
    PN_LOSS_BCE_LOGITS = 1,     /* binary cross-entropy on logits */
    PN_LOSS_BCE = 2,            /* binary cross-entropy on probabilities */
    PN_LOSS_COUNT = 3
} pn_loss_kind;

/* ---- SIMD dispatch ---------------------------------------------------- */

/* Bit mask of the levels this CPU (and OS) can run: bit k = level k. */
int pn_simd_supported(void);
/* Select the kernels of `level`; PN_ERR_SIMD if the CPU cannot run it. */
pn_status pn_simd_set(int level);
/* The level in use. */
int pn_simd_get(void);
/* Treat the levels in `mask` (bit k = level k) as unsupported from now on,
 * as if the CPU lacked them: pn_simd_supported leaves them out, pn_simd_set
 * refuses them, and a disabled level in use gives way to the best one left.
 * Baseline cannot be disabled (PN_ERR_SIMD).  Not thread-safe: call it
 * before other threads use pyneuron. */
pn_status pn_simd_disable(int mask);
/* Describe `level` (0 .. PN_SIMD_COUNT - 1) into *info. */
pn_status pn_simd_describe(int level, pn_simd_info *info);
/* Bit mask of the levels whose kernel tables served this thread's calls
 * since the last reset (bit k = level k; a pn_train_jobs call's helper
 * threads count as its caller's); `reset` != 0 clears it after reading.
 * Tests use it to prove that a level's own kernels ran. */
int pn_simd_served(int reset);
/* Human-readable text for a status code. */
const char *pn_status_message(int status);
/* The compiler and the SIMD levels compiled into this build. */
const char *pn_build_info(void);
/* Non-zero in a build instrumented with AddressSanitizer. */
int pn_build_sanitized(void);

/* ---- Activations -------------------------------------------------------- */

/* Describe activation `act` (0 .. PN_ACT_COUNT - 1) into *info. */
pn_status pn_act_describe(int act, pn_act_info *info);

/* y[i] = act(x[i]) for i < n.  y may equal x. */
pn_status pn_act_forward(int act, int dtype, const void *x, void *y,
                         int64_t n, double alpha);
/* dx[i] = act'(x[i]) * dy[i].  dx may equal x or dy. */
pn_status pn_act_backward(int act, int dtype, const void *x, const void *dy,
                          void *dx, int64_t n, double alpha);

/* Softmax (or log-softmax when `log` != 0) of each of `rows` rows of
 * `cols` elements.  y may equal x. */
pn_status pn_softmax(int dtype, int log, const void *x, void *y,
                     int64_t rows, int64_t cols);
/* Gradient of the row-wise (log-)softmax with respect to x, given x and
 * dL/dy.  dx may equal dy, not x. */
pn_status pn_softmax_backward(int dtype, int log, const void *x,
                              const void *dy, void *dx,
                              int64_t rows, int64_t cols);

/* ---- Dense layer: y = x W + b ---------------------------------------- */

/* x: (n, in), W: (in, out), b: (out,) or NULL, y: (n, out).
 * y must not overlap x, W or b.  With in == 0, x and W may be NULL and every
 * row of y is b (zeros without b). */
pn_status pn_dense_forward(int dtype, const void *x, const void *W,
                           const void *b, void *y,
                           int64_t n, int64_t in, int64_t out);
/* Given dy: (n, out), writes any of dx: (n, in), dW: (in, out), db: (out,)
 * that is not NULL.  Outputs must not overlap the inputs. */
pn_status pn_dense_backward(int dtype, const void *x, const void *W,
                            const void *dy, void *dx, void *dW, void *db,
                            int64_t n, int64_t in, int64_t out);

/* ---- Input features ----------------------------------------------------- */

/* TensorFlow Playground's input features: what the first layer of a network
 * sees, computed from the raw inputs x_a and x_b (columns of x). */
typedef enum pn_feature_kind {
    PN_FEATURE_INPUT = 0,    /* x_a */
    PN_FEATURE_SQUARE = 1,   /* x_a * x_a */
    PN_FEATURE_PRODUCT = 2,  /* x_a * x_b */
    PN_FEATURE_SIN = 3,      /* sin(x_a); float32: sin in double, rounded once */
    PN_FEATURE_COUNT = 4
} pn_feature_kind;

typedef struct pn_feature {
    int kind;                /* pn_feature_kind */
    int a, b;                /* columns of x; b is read by PN_FEATURE_PRODUCT only */
} pn_feature;

/* out (n x count) = the features of x (n x inputs): out[r][f] is
 * features[f] of row r.  features is non-NULL and aligned when count > 0;
 * an unknown kind is PN_ERR_OP, a column outside 0..inputs-1 PN_ERR_ARG;
 * out must not overlap x (PN_ERR_ARG). */
pn_status pn_features(int dtype, const pn_feature *features, int64_t count, const void *x,
                      int64_t inputs, void *out, int64_t n);

/* ---- Losses ----------------------------------------------------------- */

/* Mean loss over the n elements of pred / target, written to *result
 * (non-NULL and 8-byte aligned). */
pn_status pn_loss(int loss, int dtype, const void *pred, const void *target,
                  int64_t n, double *result);
/* dL/dpred of the mean loss, written to grad (n elements; may alias pred). */
pn_status pn_loss_backward(int loss, int dtype, const void *pred,
                           const void *target, void *grad, int64_t n);

/* Softmax cross-entropy, mean over rows, of logits (rows, classes).
 * Exactly one of `labels` (rows class indices) or `target` (rows x classes
 * probabilities, e.g. one-hot) is given; the other is NULL. */
pn_status pn_cross_entropy(int dtype, const void *logits,
                           const int64_t *labels, const void *target,
                           int64_t rows, int64_t classes, double *result);
pn_status pn_cross_entropy_backward(int dtype, const void *logits,
                                    const int64_t *labels, const void *target,
                                    void *grad, int64_t rows, int64_t classes);

/* ---- Networks and training ------------------------------------------ */

/* A multilayer perceptron of n_layers dense layers: sizes[0] inputs,
 * sizes[n_layers] outputs.  params holds, layer after layer, W (sizes[l] x
 * sizes[l+1], row-major) then b (sizes[l+1]).  Layer l's output goes
 * through acts[l] with parameter alphas[l]; with softmax_output the last
 * layer's acts entry is ignored and its rows go through softmax instead.
 * n_layers is 1..64 and every width 1..2^24 (else PN_ERR_SIZE); sizes, acts
 * and alphas are non-NULL and aligned (else PN_ERR_NULL, PN_ERR_ALIGN). */
typedef struct pn_mlp {
    int dtype;
    int n_layers;
    const int64_t *sizes;
    const int *acts;
    const double *alphas;
    int softmax_output;
    void *params;
} pn_mlp;

/* y (n x sizes[n_layers]) = net(x) (n x sizes[0]). */
pn_status pn_mlp_forward(const pn_mlp *net, const void *x, void *y, int64_t n);

typedef enum pn_train_loss {
    PN_TRAIN_MSE = 0,    /* mean squared error on the output */
    PN_TRAIN_BCE = 1,    /* binary cross-entropy; output = sigmoid(last pre-activation) */
    PN_TRAIN_XENT = 2    /* softmax cross-entropy on class labels; softmax_output */
} pn_train_loss;

typedef enum pn_optimizer {
    PN_OPT_SGD = 0,      /* torch.optim.SGD (dampening 0) */
    PN_OPT_ADAM = 1      /* torch.optim.Adam (L2 weight decay, no amsgrad) */
} pn_optimizer;

typedef enum pn_regularization {
    PN_REG_NONE = 0,
    PN_REG_L1 = 1,       /* after each step W -= lr * rate * sign(W), stopping at 0, as Playground's L1 */
    PN_REG_L2 = 2        /* grad W += rate * W: torch's weight_decay on the weights only */
} pn_regularization;

typedef struct pn_train_config {
    int loss;                 /* pn_train_loss */
    int optimizer;            /* pn_optimizer */
    double lr;
    double momentum;          /* SGD */
    int nesterov;             /* SGD */
    double beta1, beta2, eps; /* Adam */
    double weight_decay;      /* Adam */
    int64_t batch_size;       /* >= 1; n or more is full batch */
    int shuffle;              /* reshuffle the samples every epoch */
    int regularization;       /* pn_regularization, on every layer's W (never b): L2 before each step, L1 after it */
    double regularization_rate; /* >= 0, finite */
} pn_train_config;

/* The training set (x: n x inputs; targets: y (n x outputs) for MSE and
 * BCE, labels (n class indices) for XENT) and the inputs at which
 * predictions are recorded (grid: grid_n x inputs).  Only XENT reads labels
 * and only MSE and BCE read y, but labels, when given, must be in range
 * (PN_ERR_LABEL) whatever the loss. */
typedef struct pn_train_data {
    const void *x;
    const void *y;
    const int64_t *labels;
    int64_t n;
    const void *grid;
    int64_t grid_n;
} pn_train_data;

/* Everything that carries over from one pn_train call to the next. */
typedef struct pn_train_state {
    int64_t epoch;       /* epochs completed */
    int64_t step;        /* optimizer steps taken */
    uint64_t rng;        /* shuffling generator (splitmix64) state */
    void *opt_a;         /* SGD momentum buffer / Adam first moment: one per parameter */
    void *opt_b;         /* Adam second moment: one per parameter */
    int64_t *order;      /* n sample indices, the current epoch's order */
} pn_train_state;

/* Snapshots: at each epoch in epochs[] (ascending), the state after that
 * many epochs: the loss on the whole training set, all parameters, the
 * predictions on the grid, per layer the gradient norm (of the whole
 * training set's loss with respect to that layer's W and b) and two unit
 * statistics, unit_stats[l][0] = fraction of dead units (ReLU and leaky
 * ReLU layers: pre-activation <= 0 on every training input) and
 * unit_stats[l][1] = fraction of saturated (input, unit) pairs (sigmoid,
 * tanh: derivative below 5% of its peak); 0 for other activations. */
typedef struct pn_recording {
    int64_t count;
    const int64_t *epochs;
    int64_t next;             /* snapshots written so far */
    double *loss;             /* count */
    void *params;             /* count x parameter count */
    void *predictions;        /* count x grid_n x outputs */
    double *grad_norms;       /* count x n_layers */
    double *unit_stats;       /* count x n_layers x 2 */
} pn_recording;

/* Number of parameters (weights and biases) of the network; -1 if the
 * network is invalid: NULL, a NULL or misaligned sizes/acts/alphas, an
 * unknown dtype or activation, a layer count or width out of range. */
int64_t pn_mlp_param_count(const pn_mlp *net);

/* How pn_train and pn_mlp_forward compute this network's passes. */
typedef enum pn_path {
    PN_PATH_LANES = 0,   /* narrow layers: one sample per vector lane, forward, loss and
                            backward fused over blocks of samples that stay in cache */
    PN_PATH_LAYERS = 1   /* wide layers: layer by layer over memory, products on the GEMM */
} pn_path;
/* The path of a valid network (-1 if invalid, as pn_mlp_param_count). */
int pn_mlp_path(const pn_mlp *net);

/* Train for `epochs` more epochs, recording every snapshot due on the way
 * (including one at the current epoch before the first update).  Training
 * diverges when a recorded snapshot's loss is not finite, or an epoch's
 * own loss is not: it then stops, the state reached is the last snapshot
 * (recorded in the next slot, whatever epoch was scheduled there, unless
 * just recorded), and PN_DIVERGED is returned, state->epoch telling where.
 * Every array's byte count, read by the loss or not, must fit in the
 * address space, and state->epoch and state->step must be >= 0 and stay
 * below INT64_MAX over `epochs` epochs of ceil(n / batch) steps (else
 * PN_ERR_OVERFLOW). */
pn_status pn_train(const pn_mlp *net, const pn_train_config *config, const pn_train_data *data,
                   pn_train_state *state, pn_recording *rec, int64_t epochs);

/* losses[k] = the loss (pn_train_loss `loss`) on the training set of data
 * (x and y, or labels; its grid is unused) of the network with parameters
 * params[k] (count vectors of pn_mlp_param_count(net) elements, each laid
 * out as net->params, which is not read): for each, the loss pn_train
 * records at a snapshot with those parameters, bit for bit.  For loss
 * landscapes.  losses must not overlap the inputs; the rules on sizes,
 * labels and alignment are pn_train's. */
pn_status pn_mlp_losses(const pn_mlp *net, int loss, const void *params, int64_t count, const pn_train_data *data,
                        double *losses);

/* One training run of pn_train_jobs: pn_train's arguments, and on return
 * its status.  Jobs may share what pn_train only reads (the network's
 * sizes, acts and alphas, the config, the data) but nothing it writes: each
 * job has its own parameters, state buffers and recording. */
typedef struct pn_train_job {
    const pn_mlp *net;
    const pn_train_config *config;
    const pn_train_data *data;
    pn_train_state *state;
    pn_recording *rec;
    int64_t epochs;
    pn_status status;         /* out: what pn_train returned for this job */
} pn_train_job;

/* The most threads pn_train_jobs runs on. */
enum { PN_MAX_THREADS = 256 };

/* Run jobs[0 .. count), each exactly as pn_train would run it alone, on
 * `threads` threads (1 .. PN_MAX_THREADS) started for the call, which take
 * the jobs in order from a shared counter: every job's result is
 * independent of the thread count and of the other jobs.  Returns PN_OK
 * once every job has run (each job's own outcome in its status); jobs NULL
 * with count > 0 is PN_ERR_NULL, misaligned PN_ERR_ALIGN, a negative count
 * PN_ERR_SIZE and threads out of range PN_ERR_ARG, and then no job runs.
 * Fewer threads run if the system refuses to start more (none: the jobs run
 * on the calling thread). */
pn_status pn_train_jobs(pn_train_job *jobs, int64_t count, int threads);

#ifdef __cplusplus
}
#endif
#endif /* PYNEURON_H */
