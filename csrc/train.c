/*
 * Networks and training: the whole loop in C.  Python hands over the
 * network, the data and every buffer that outlives a call (parameters,
 * optimizer state, sample order, recording), then calls pn_train for a
 * chunk of epochs at a time; nothing here allocates per epoch.
 *
 * Two paths compute a pass (forward, loss, backward over a set of
 * samples), chosen per network, and the same one for every call:
 *  - narrow networks (every width <= PN_LANES_MAX_WIDTH) run the lanes
 *    pass of kernels/lanes.inc: one sample per vector lane, forward, loss,
 *    backward and gradient accumulation fused over blocks of samples that
 *    stay in L1;
 *  - wider ones run layer by layer over feature-major arrays, each layer's
 *    products on the GEMM, each operation a pass over memory.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"



static size_t elem_size(int dtype) { return dtype == PN_F32 ? 4 : 8; }

static double load(int dtype, const void *p, int64_t i) {
    return dtype == PN_F32 ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

/* ---- the network -------------------------------------------------------- */

static int64_t param_count(const pn_mlp *net) {
    int64_t count = 0;
    for (int l = 0; l < net->n_layers; l++) count += (net->sizes[l] + 1) * net->sizes[l + 1];
    return count;
}

static char *layer_W(const pn_mlp *net, int l) {
    int64_t off = 0;
    for (int i = 0; i < l; i++) off += (net->sizes[i] + 1) * net->sizes[i + 1];
    return (char *)net->params + off * (int64_t)elem_size(net->dtype);
}

static char *layer_b(const pn_mlp *net, int l) {
    return layer_W(net, l) + net->sizes[l] * net->sizes[l + 1] * (int64_t)elem_size(net->dtype);
}

static pn_status check_net(const pn_mlp *net) {
    if (!net || !net->sizes || !net->acts || !net->alphas || !net->params) return PN_ERR_NULL;
    if ((uintptr_t)net->sizes % sizeof(int64_t) || (uintptr_t)net->acts % sizeof(int) ||
        (uintptr_t)net->alphas % sizeof(double))
        return PN_ERR_ALIGN;
    if (net->dtype != PN_F32 && net->dtype != PN_F64) return PN_ERR_DTYPE;
    if (net->n_layers < 1 || net->n_layers > PN_MAX_LAYERS) return PN_ERR_SIZE;
    /* every width first: 2^24 units per layer keep the products below in int64 */
    for (int l = 0; l <= net->n_layers; l++)
        if (net->sizes[l] < 1 || net->sizes[l] > (1 << 24)) return PN_ERR_SIZE;
    int64_t total = 0;
    for (int l = 0; l < net->n_layers; l++) {
        if (net->acts[l] < 0 || net->acts[l] >= PN_ACT_COUNT) return PN_ERR_OP;
        total += (net->sizes[l] + 1) * net->sizes[l + 1];
    }
    if (total > INT64_MAX / 16) return PN_ERR_OVERFLOW;
    return PN_OK;
}

int64_t pn_mlp_param_count(const pn_mlp *net) { return check_net(net) == PN_OK ? param_count(net) : -1; }

static int lanes_eligible(const pn_mlp *net);

int pn_mlp_path(const pn_mlp *net) {
    if (check_net(net) != PN_OK) return -1;
    return lanes_eligible(net) ? PN_PATH_LANES : PN_PATH_LAYERS;
}

/* a * b * c elements of `size` bytes fit in the address space (a, b, c >= 0). */
static int addressable(int64_t a, int64_t b, int64_t c, size_t size) {
    int64_t ab, abc;
    return !__builtin_mul_overflow(a, b, &ab) && !__builtin_mul_overflow(ab, c, &abc) &&
           (uint64_t)abc <= (uint64_t)PTRDIFF_MAX / size;
}

static int64_t max_width(const pn_mlp *net) {
    int64_t w = 0;
    for (int l = 0; l <= net->n_layers; l++) w = net->sizes[l] > w ? net->sizes[l] : w;
    return w;
}

/* ---- workspace ------------------------------------------------------------
 *
 * Both paths keep samples feature-major: (units x rows), so that each
 * operation runs along the long sample axis, however narrow the layers
 * (1-2-2-1 nets are the point of this project).  The layer-by-layer path:
 * Z^T = W^T A^T + b;  dA^T = W dZ^T;  dW and db are dot products of
 * contiguous rows.  The lanes path reads its arrays a block of samples at a
 * time, with rows padded to a multiple of PN_LANES_PAD.  Inputs and targets
 * are transposed once per call (minibatches gathered and transposed per
 * batch). */

/* Does this network run the lanes pass?  Narrow layers; and not float32
 * tanh-GELU, whose float32 kernels compute in float64 (isa_kernels.inc). */
static int lanes_eligible(const pn_mlp *net) {
    for (int l = 0; l <= net->n_layers; l++)
        if (net->sizes[l] > PN_LANES_MAX_WIDTH) return 0;
    if (net->dtype == PN_F32)
        for (int l = 0; l < net->n_layers; l++)
            if (net->acts[l] == PN_ACT_GELU_TANH && !(l == net->n_layers - 1 && net->softmax_output)) return 0;
    return 1;
}

static int64_t padded(int64_t rows) { return (rows + PN_LANES_PAD - 1) / PN_LANES_PAD * PN_LANES_PAD; }

typedef struct {
    int lanes;                                  /* the path */
    int64_t rows;
    void *grad;                                 /* one per parameter */
    void *xT, *yT, *gT;                         /* training inputs, targets, grid: feature-major */
    int64_t ld_x, ld_g, ld_b;                   /* their row strides, and a minibatch's */
    void *xbT, *ybT;                            /* a minibatch's, feature-major */
    int64_t *lb;                                /* a minibatch's labels */
    /* the layer-by-layer path */
    void *z[PN_MAX_LAYERS], *a[PN_MAX_LAYERS]; /* pre-activations, activations: units x rows */
    void *d[PN_MAX_LAYERS];                     /* activation derivatives at z (training passes) */
    void *dz, *da;                              /* widest layer x rows */
    void *rm, *rm_grad;                         /* rows x outputs, row-major (softmax, cross-entropy) */
    /* the lanes path */
    void *outT;                                 /* outputs x ld_g: the network's outputs on the grid */
    void *lanes_work;
    int64_t lanes_block;                        /* its samples per block */
    int64_t adam_settled[2];                    /* steps from which 1 - beta1^t, 1 - beta2^t are exactly 1 */
    /* the gradient of the current state, left by a snapshot for the epoch that follows */
    int fresh;
    double fresh_loss;
    void *block;
} workspace;

/* Bytes of the lanes pass's work buffer (kernels/lanes.inc carves it) for
 * blocks of `block` samples: per layer a block's activations and
 * derivatives, two blocks of the widest layer's gradient, and a vector (at
 * most 64 bytes) per parameter and per unit. */
static int64_t lanes_work_bytes(const pn_mlp *net, int64_t block) {
    int64_t rows = 0, vectors = param_count(net), widest = 0;
    for (int l = 0; l < net->n_layers; l++) {
        rows += 2 * net->sizes[l + 1];
        vectors += net->sizes[l + 1];
        widest = net->sizes[l + 1] > widest ? net->sizes[l + 1] : widest;
        widest = net->sizes[l] > widest ? net->sizes[l] : widest;
    }
    return (rows + 2 * widest) * block * (int64_t)elem_size(net->dtype) + vectors * 64;
}

/* Samples per block of the lanes pass (kernels.h): PN_LANES_BLOCK_BYTES
 * per unit, or twice that where the block stays within PN_LANES_PAD
 * samples and the network's work set within PN_LANES_L1_BYTES -- the two
 * sizes kernels/lanes.inc compiles. */
static int64_t lanes_block(const pn_mlp *net) {
    const int64_t base = PN_LANES_BLOCK_BYTES / (int64_t)elem_size(net->dtype);
    return 2 * base <= PN_LANES_PAD && lanes_work_bytes(net, 2 * base) <= PN_LANES_L1_BYTES ? 2 * base : base;
}

/* rows: the most samples a pass sees (the layer-by-layer path's arrays). */
static pn_status workspace_alloc(workspace *w, const pn_mlp *net, int64_t rows, int64_t n, int64_t grid_n,
                                 int64_t batch) {
    const size_t es = elem_size(net->dtype);
    const int L = net->n_layers;
    const int64_t P = param_count(net), width = max_width(net);
    const int64_t in = net->sizes[0], out = net->sizes[L];
    memset(w, 0, sizeof *w);
    w->lanes = lanes_eligible(net);
    if (rows < 1) rows = 1;
    if (rows > INT64_MAX / 8 / (width * (2 * L + 4) + 2) - PN_LANES_PAD) return PN_ERR_OVERFLOW;
    w->rows = rows;
    w->ld_x = w->lanes ? padded(n) : n;
    w->ld_g = w->lanes ? padded(grid_n) : grid_n;
    w->ld_b = w->lanes ? padded(batch) : batch;
    /* element counts: inputs and targets (with the labels as values), grid, minibatch, gradient */
    int64_t elems = w->ld_x * (in + 2 * out + 1) + w->ld_g * (in + out) + w->ld_b * (in + out + 1) + P;
    int64_t bytes = 0;
    if (w->lanes) {
        w->lanes_block = lanes_block(net);
        bytes = lanes_work_bytes(net, w->lanes_block);
    } else {
        elems += 2 * rows * width + 2 * rows * out;
        for (int l = 0; l < L; l++) elems += 3 * rows * net->sizes[l + 1];
    }
    char *p = (char *)malloc((size_t)elems * es + (size_t)batch * sizeof(int64_t) + (size_t)bytes + 128);
    if (!p) return PN_ERR_NOMEM;
    w->block = p;
    if (w->lanes) { /* first, 64-byte aligned */
        w->lanes_work = (void *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
        p = (char *)w->lanes_work + bytes;
    }
#define CARVE(ptr, count) (ptr = p, p += (size_t)(count) * es)
    if (!w->lanes) {
        for (int l = 0; l < L; l++) {
            CARVE(w->z[l], rows * net->sizes[l + 1]);
            CARVE(w->a[l], rows * net->sizes[l + 1]);
            CARVE(w->d[l], rows * net->sizes[l + 1]);
        }
        CARVE(w->dz, rows * width);
        CARVE(w->da, rows * width);
        CARVE(w->rm, rows * out);
        CARVE(w->rm_grad, rows * out);
    }
    CARVE(w->grad, P);
    CARVE(w->xT, w->ld_x * in);
    CARVE(w->yT, w->ld_x * (out + 1)); /* targets, or a row of labels as values */
    CARVE(w->gT, w->ld_g * in);
    CARVE(w->outT, (w->ld_g > w->ld_x ? w->ld_g : w->ld_x) * out);
    CARVE(w->xbT, w->ld_b * in);
    CARVE(w->ybT, w->ld_b * (out + 1));
#undef CARVE
    w->lb = (int64_t *)(((uintptr_t)p + 7) & ~(uintptr_t)7);
    return PN_OK;
}

/* dst (cols x ld) = src^T, src (rows x cols) row r being src row idx[r]
 * (idx NULL: row r), each row of dst padded with zeros from rows to ld. */
static void transpose(int dtype, const void *src, const int64_t *idx, int64_t rows, int64_t cols, void *dst,
                      int64_t ld) {
#define PN_TRANSPOSE(TYPE)                                                        \
    do {                                                                          \
        const TYPE *s = (const TYPE *)src;                                        \
        TYPE *d = (TYPE *)dst;                                                    \
        for (int64_t r = 0; r < rows; r++) {                                      \
            const TYPE *row = s + (idx ? idx[r] : r) * cols;                      \
            for (int64_t c = 0; c < cols; c++) d[c * ld + r] = row[c];            \
        }                                                                         \
        for (int64_t c = 0; c < cols; c++)                                        \
            for (int64_t r = rows; r < ld; r++) d[c * ld + r] = 0;                \
    } while (0)
    if (dtype == PN_F32) PN_TRANSPOSE(float);
    else PN_TRANSPOSE(double);
#undef PN_TRANSPOSE
}

/* The lanes pass's labels: dst[r] = labels[idx[r]] (idx NULL: r) as values
 * of the network's dtype (exact: fewer than 2^24 classes), zeros to ld. */
static void labels_as_values(int dtype, const int64_t *labels, const int64_t *idx, int64_t rows, void *dst,
                             int64_t ld) {
    for (int64_t r = 0; r < ld; r++) {
        int64_t v = r < rows ? labels[idx ? idx[r] : r] : 0;
        if (dtype == PN_F32) ((float *)dst)[r] = (float)v;
        else ((double *)dst)[r] = (double)v;
    }
}

/* dst (m x units, row-major) = srcT (units x m, row stride ld) transposed back. */
static void untranspose(int dtype, const void *srcT, int64_t units, int64_t m, int64_t ld, void *dst) {
#define PN_UNTRANSPOSE(TYPE)                                                     \
    for (int64_t u = 0; u < units; u++)                                          \
        for (int64_t r = 0; r < m; r++) ((TYPE *)dst)[r * units + u] = ((const TYPE *)srcT)[u * ld + r];
    if (dtype == PN_F32) PN_UNTRANSPOSE(float)
    else PN_UNTRANSPOSE(double)
#undef PN_UNTRANSPOSE
}

/* ---- the layer-by-layer path -------------------------------------------------- */

/* Forward over m samples given feature-major inputs inT (inputs x m); a
 * training pass (with_deriv) also keeps each activation's derivative. */
static pn_status forward(const pn_mlp *net, const pn_dtype_kernels *k, const void *inT, int64_t m,
                         workspace *w, int with_deriv) {
    const void *in = inT;
    for (int l = 0; l < net->n_layers; l++) {
        int64_t din = net->sizes[l], dout = net->sizes[l + 1];
        pn_status st = k->gemm(dout, m, din, layer_W(net, l), 1, dout, in, m, 1, layer_b(net, l), w->z[l], m);
        if (st != PN_OK) return st;
        if (l == net->n_layers - 1 && net->softmax_output) { /* softmax across units: per sample, row-major */
            untranspose(net->dtype, w->z[l], dout, m, m, w->rm);
            k->softmax(0, w->rm, w->rm_grad, m, dout);
            transpose(net->dtype, w->rm_grad, NULL, m, dout, w->a[l], m);
        } else if (with_deriv) {
            k->act_fwd_deriv[net->acts[l]](w->z[l], w->a[l], w->d[l], m * dout, net->alphas[l]);
        } else {
            k->act_fwd[net->acts[l]](w->z[l], w->a[l], m * dout, net->alphas[l]);
        }
        in = w->a[l];
    }
    return PN_OK;
}

/* The loss of the last forward pass over m samples (targets yT feature-major,
 * or labels) and its gradient with respect to the last pre-activation, in
 * w->dz (feature-major). */
static double loss_and_grad(const pn_mlp *net, const pn_dtype_kernels *k, const pn_train_config *c,
                            const void *yT, const int64_t *labels, int64_t m, workspace *w) {
    const int L = net->n_layers;
    const int64_t out = net->sizes[L], count = m * out;
    void *z = w->z[L - 1], *a = w->a[L - 1];
    switch (c->loss) {
    case PN_TRAIN_BCE:
        k->loss_grad[PN_LOSS_BCE_LOGITS](z, yT, w->dz, count);
        return k->loss[PN_LOSS_BCE_LOGITS](z, yT, count);
    case PN_TRAIN_XENT: {
        untranspose(net->dtype, z, out, m, m, w->rm);
        k->xent_grad(w->rm, labels, NULL, w->rm_grad, m, out);
        transpose(net->dtype, w->rm_grad, NULL, m, out, w->dz, m);
        return k->xent(w->rm, labels, NULL, m, out);
    }
    default: /* MSE on the activated output, back through its activation (never softmax: XENT only) */
        k->loss_grad[PN_LOSS_MSE](a, yT, w->da, count);
        k->mul(w->da, w->d[L - 1], w->dz, count);
        return k->loss[PN_LOSS_MSE](a, yT, count);
    }
}

/* Parameter gradient into w->grad, from w->dz left by loss_and_grad. */
static pn_status backward(const pn_mlp *net, const pn_dtype_kernels *k, const void *inT, int64_t m,
                          workspace *w) {
    const size_t es = elem_size(net->dtype);
    char *grad = (char *)w->grad;
    int64_t off = param_count(net);
    for (int l = net->n_layers - 1; l >= 0; l--) {
        int64_t din = net->sizes[l], dout = net->sizes[l + 1];
        off -= (din + 1) * dout;
        char *dW = grad + off * (int64_t)es, *db = dW + din * dout * (int64_t)es;
        const void *prevT = l ? w->a[l - 1] : inT;
        k->dot_rows(din, dout, m, prevT, m, w->dz, m, dW, dout); /* dW = A_prev^T dZ */
        k->dot_rows(dout, 1, m, w->dz, m, NULL, 0, db, 1);        /* db = dZ summed over samples */
        if (l) {
            pn_status st = k->gemm(din, m, dout, layer_W(net, l), dout, 1, w->dz, m, 1, NULL, w->da, m);
            if (st != PN_OK) return st;
            k->mul(w->da, w->d[l - 1], w->dz, m * din);
        }
    }
    return PN_OK;
}

/* Unit statistics of layer l from its pre-activations over m rows: the
 * counts of dead units and of saturated (sample, unit) pairs. */
static void unit_counts(const pn_mlp *net, int l, int64_t m, const workspace *w, int64_t *dead, int64_t *saturated) {
    const int64_t units = net->sizes[l + 1];
    const int act = net->acts[l];
    *dead = *saturated = 0;
    if (l == net->n_layers - 1 && net->softmax_output) return;
    if (pn_family_of(act) == PN_FAMILY_RELU) {
        for (int64_t j = 0; j < units; j++) { /* z is feature-major: unit j's m values are contiguous */
            int64_t r = 0;
            while (r < m && load(net->dtype, w->z[l], j * m + r) <= 0.0) r++;
            *dead += r == m;
        }
    } else if (pn_family_of(act) == PN_FAMILY_SATURATING) {
        const double limit = pn_saturation_limit(act);
        for (int64_t i = 0; i < m * units; i++) *saturated += fabs(load(net->dtype, w->z[l], i)) > limit;
    }
}

/* ---- passes, on the network's path ----------------------------------------------- */

/* The loss over m samples and its gradient into w->grad.  Inputs inT and
 * targets yT feature-major with row stride ld (the layer-by-layer path:
 * ld = m); class labels in `labels` for the layer-by-layer path, as values
 * in yT for the lanes path.  With counts, per layer the dead units and the
 * saturated (sample, unit) pairs. */
static pn_status train_pass(const pn_mlp *net, const pn_dtype_kernels *k, const pn_train_config *c,
                            const void *inT, const void *yT, const int64_t *labels, int64_t m, int64_t ld,
                            workspace *w, double *loss, int64_t *counts) {
    if (w->lanes) {
        const int64_t count = c->loss == PN_TRAIN_XENT ? m : m * net->sizes[net->n_layers];
        pn_lanes_pass p = {.X = inT, .Y = yT, .m = m, .ld = ld, .block = w->lanes_block, .loss = c->loss,
                           .scale = 1.0 / (double)count, .grad = w->grad, .out = NULL, .stats = counts,
                           .work = w->lanes_work};
        *loss = k->lanes_pass(net, &p);
        return PN_OK;
    }
    pn_status st = forward(net, k, inT, m, w, 1);
    if (st != PN_OK) return st;
    *loss = loss_and_grad(net, k, c, yT, labels, m, w);
    if (counts)
        for (int l = 0; l < net->n_layers; l++) unit_counts(net, l, m, w, &counts[2 * l], &counts[2 * l + 1]);
    return backward(net, k, inT, m, w);
}

/* The network's outputs on m samples (feature-major inputs inT, row stride
 * ld) into dst (m x outputs, row-major). */
static pn_status outputs(const pn_mlp *net, const pn_dtype_kernels *k, const void *inT, int64_t m, int64_t ld,
                         workspace *w, void *dst) {
    const int64_t out = net->sizes[net->n_layers];
    if (w->lanes) {
        pn_lanes_pass p = {.X = inT, .m = m, .ld = ld, .block = w->lanes_block, .loss = PN_TRAIN_MSE, .scale = 1.0,
                           .out = w->outT, .work = w->lanes_work};
        k->lanes_pass(net, &p);
        untranspose(net->dtype, w->outT, out, m, ld, dst);
        return PN_OK;
    }
    pn_status st = forward(net, k, inT, m, w, 0);
    if (st == PN_OK) untranspose(net->dtype, w->a[net->n_layers - 1], out, m, m, dst);
    return st;
}

/* ---- recording -------------------------------------------------------------- */

static void grad_norms(const pn_mlp *net, const workspace *w, double *norms) {
    int64_t off = 0;
    for (int l = 0; l < net->n_layers; l++) {
        int64_t count = (net->sizes[l] + 1) * net->sizes[l + 1];
        double sum = 0.0;
        for (int64_t i = 0; i < count; i++) {
            double g = load(net->dtype, w->grad, off + i);
            sum += g * g;
        }
        norms[l] = sqrt(sum);
        off += count;
    }
}

/* Snapshot slot rec->next: the current state, measured on the whole
 * training set; its loss is returned (NaN or inf means divergence).  Its
 * gradient stays in w->grad, fresh: a full-batch epoch that follows steps
 * with it instead of computing it again. */
static pn_status record(const pn_mlp *net, const pn_dtype_kernels *k, const pn_train_config *c,
                        const pn_train_data *d, pn_recording *rec, workspace *w, double *loss) {
    const size_t es = elem_size(net->dtype);
    const int L = net->n_layers;
    const int64_t s = rec->next, P = param_count(net), out = net->sizes[L];
    int64_t counts[2 * PN_MAX_LAYERS];
    pn_status st = train_pass(net, k, c, w->xT, w->yT, d->labels, d->n, w->ld_x, w, loss, counts);
    if (st != PN_OK) return st;
    for (int l = 0; l < L; l++) {
        const double units = (double)net->sizes[l + 1];
        rec->unit_stats[(s * L + l) * 2] = (double)counts[2 * l] / units;
        rec->unit_stats[(s * L + l) * 2 + 1] = (double)counts[2 * l + 1] / ((double)d->n * units);
    }
    grad_norms(net, w, rec->grad_norms + s * L);
    w->fresh = 1;
    w->fresh_loss = *loss;
    rec->loss[s] = *loss;
    memcpy((char *)rec->params + s * P * (int64_t)es, net->params, (size_t)P * es);
    if (d->grid_n &&
        (st = outputs(net, k, w->gT, d->grid_n, w->ld_g, w, (char *)rec->predictions + s * d->grid_n * out * (int64_t)es)) != PN_OK)
        return st;
    rec->next = s + 1;
    return PN_OK;
}

/* ---- training ----------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Fisher-Yates; j = floor(u * (i + 1) / 2^64) for a uniform 64-bit u. */
static void shuffle(int64_t *order, int64_t n, uint64_t *rng) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(((unsigned __int128)splitmix64(rng) * (uint64_t)(i + 1)) >> 64);
        int64_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

/* The penalties on every layer's W (biases are not penalised, as in
 * TensorFlow Playground).  L2 adds rate * W to the gradient before the step
 * (torch's weight_decay).  L1 follows the step, as Playground applies it:
 * W -= lr * rate * sign(W), and a weight that this crosses over 0 stops at
 * 0 -- so that L1 leaves weights at exactly 0, the sparsity it is shown for.
 * The recorded loss and gradient norms stay those of the data. */
#define PN_DEFINE_PENALTY(T, name)                                                                      \
    static void name(const pn_mlp *net, const pn_train_config *c, T *grad) {                            \
        T *p = (T *)net->params;                                                                        \
        const T rate = (T)c->regularization_rate, shrink = (T)(c->lr * c->regularization_rate);         \
        int64_t at = 0;                                                                                 \
        for (int l = 0; l < net->n_layers; l++) {                                                       \
            const int64_t weights = net->sizes[l] * net->sizes[l + 1];                                  \
            for (int64_t i = at; i < at + weights; i++) {                                               \
                if (grad) {                                                                             \
                    grad[i] += rate * p[i];                                                             \
                } else {                                                                                \
                    const T moved = p[i] - shrink * (T)((p[i] > 0) - (p[i] < 0));                       \
                    p[i] = moved * p[i] < 0 ? (T)0 : moved;                                             \
                }                                                                                       \
            }                                                                                           \
            at += weights + net->sizes[l + 1];                                                          \
        }                                                                                               \
    }
PN_DEFINE_PENALTY(float, penalty_f32)
PN_DEFINE_PENALTY(double, penalty_f64)

/* L2 (grad given) into the gradient, or L1 (grad NULL) onto the weights. */
static void penalise(const pn_mlp *net, const pn_train_config *c, void *grad) {
    if (net->dtype == PN_F64) penalty_f64(net, c, (double *)grad);
    else penalty_f32(net, c, (float *)grad);
}

/* The first step t from which Adam's bias correction 1 - beta^t is exactly 1
 * (INT64_MAX: none within reach).  It is where beta^t <= 2^-55: 1 - x
 * rounds to 1 for every x <= 2^-54 (1 - 2^-54 is a tie, rounded to even),
 * and the factor 2 covers pow's own rounding, so that skipping pow from then
 * on changes no bit.  Called every step, pow took 8% of a 1-2-2-1 leaky ReLU
 * run once beta1^t had underflowed into its slow subnormal path. */
static int64_t bias_correction_settles(double beta) {
    if (beta == 0.0) return 1;
    const double t = ceil(-55.0 / log2(beta)); /* beta in (0, 1): check_training */
    if (!(t < 0x1p60)) return INT64_MAX;
    int64_t step = (int64_t)t;
    while (pow(beta, (double)step) > 0x1p-55) step++; /* log2 rounded */
    return step;
}

static double bias_correction(double beta, int64_t step, int64_t settled) {
    return step >= settled ? 1.0 : 1.0 - pow(beta, (double)step);
}

static void optimizer_step(const pn_mlp *net, const pn_dtype_kernels *k, const pn_train_config *c,
                           pn_train_state *s, workspace *w) {
    const int64_t P = param_count(net);
    s->step++;
    const int penalty = c->regularization_rate != 0.0 ? c->regularization : PN_REG_NONE;
    if (penalty == PN_REG_L2) penalise(net, c, w->grad);
    if (c->optimizer == PN_OPT_ADAM)
        k->adam(net->params, w->grad, s->opt_a, s->opt_b, P, c,
                bias_correction(c->beta1, s->step, w->adam_settled[0]),
                bias_correction(c->beta2, s->step, w->adam_settled[1]));
    else
        k->sgd(net->params, w->grad, s->opt_a, P, c, s->step == 1);
    if (penalty == PN_REG_L1) penalise(net, c, NULL);
    w->fresh = 0; /* the parameters moved */
}

/* One epoch; *loss is the mean of its batch losses (NaN if any was). */
static pn_status run_epoch(const pn_mlp *net, const pn_dtype_kernels *k, const pn_train_config *c,
                           const pn_train_data *d, pn_train_state *s, workspace *w, double *loss) {
    const int64_t n = d->n, in = net->sizes[0], out = net->sizes[net->n_layers];
    pn_status st;
    if (c->batch_size >= n) { /* full batch: the order of the samples is irrelevant */
        if (w->fresh) *loss = w->fresh_loss; /* a snapshot just computed this state's gradient */
        else if ((st = train_pass(net, k, c, w->xT, w->yT, d->labels, n, w->ld_x, w, loss, NULL)) != PN_OK) return st;
        optimizer_step(net, k, c, s, w);
        return PN_OK;
    }
    if (c->shuffle) shuffle(s->order, n, &s->rng);
    double sum = 0.0;
    for (int64_t start = 0; start < n; start += c->batch_size) {
        int64_t m = n - start < c->batch_size ? n - start : c->batch_size;
        const int64_t *idx = s->order + start, ld = w->lanes ? w->ld_b : m;
        transpose(net->dtype, d->x, idx, m, in, w->xbT, ld);
        if (c->loss != PN_TRAIN_XENT) /* labels may be given, unused, with the other losses */
            transpose(net->dtype, d->y, idx, m, out, w->ybT, ld);
        else if (w->lanes)
            labels_as_values(net->dtype, d->labels, idx, m, w->ybT, ld);
        else
            for (int64_t r = 0; r < m; r++) w->lb[r] = d->labels[idx[r]];
        double batch_loss;
        if ((st = train_pass(net, k, c, w->xbT, w->ybT, w->lb, m, ld, w, &batch_loss, NULL)) != PN_OK) return st;
        sum += batch_loss * (double)m;
        optimizer_step(net, k, c, s, w);
    }
    *loss = sum / (double)n;
    return PN_OK;
}

static pn_status check_training(const pn_mlp *net, const pn_train_config *c, const pn_train_data *d,
                                const pn_train_state *s, const pn_recording *rec, int64_t epochs) {
    pn_status st = check_net(net);
    if (st != PN_OK) return st;
    if (!c || !d || !s || !rec || !s->order || !s->opt_a) return PN_ERR_NULL;
    if (c->optimizer == PN_OPT_ADAM && !s->opt_b) return PN_ERR_NULL;
    if (c->loss < PN_TRAIN_MSE || c->loss > PN_TRAIN_XENT) return PN_ERR_OP;
    if (c->optimizer != PN_OPT_SGD && c->optimizer != PN_OPT_ADAM) return PN_ERR_OP;
    if (!(c->lr > 0) || !isfinite(c->lr) || !(c->momentum >= 0) || !(c->eps > 0) ||
        !(c->beta1 >= 0 && c->beta1 < 1) || !(c->beta2 >= 0 && c->beta2 < 1) || !(c->weight_decay >= 0))
        return PN_ERR_ARG;
    if (c->regularization < PN_REG_NONE || c->regularization > PN_REG_L2) return PN_ERR_OP;
    if (!(c->regularization_rate >= 0) || !isfinite(c->regularization_rate)) return PN_ERR_ARG;
    if ((c->loss == PN_TRAIN_XENT) != (net->softmax_output != 0)) return PN_ERR_ARG;
    if (d->n < 1 || d->grid_n < 0 || c->batch_size < 1 || epochs < 0) return PN_ERR_SIZE;
    if (rec->count < 0 || rec->next < 0 || rec->next > rec->count) return PN_ERR_SIZE;
    const int L = net->n_layers;
    const int64_t in = net->sizes[0], out = net->sizes[L], P = param_count(net);
    const size_t es = elem_size(net->dtype);
    if (!addressable(d->n, 1, 1, sizeof(int64_t)) || !addressable(d->n, in, 1, es) || !addressable(d->n, out, 1, es) || !addressable(d->grid_n, in, 1, es) ||
        !addressable(rec->count, P, 1, es) || !addressable(rec->count, d->grid_n, out, es) ||
        !addressable(rec->count, L, 2, sizeof(double)))
        return PN_ERR_OVERFLOW;
    /* the epoch and step counters must not overflow on the way */
    const int64_t steps_per_epoch = d->n / c->batch_size + (d->n % c->batch_size != 0);
    int64_t steps;
    if (s->epoch < 0 || s->step < 0 || epochs > INT64_MAX - s->epoch ||
        __builtin_mul_overflow(epochs, steps_per_epoch, &steps) || steps > INT64_MAX - s->step)
        return PN_ERR_OVERFLOW;
    if (!d->x || (d->grid_n && !d->grid)) return PN_ERR_NULL;
    if (c->loss == PN_TRAIN_XENT ? !d->labels : !d->y) return PN_ERR_NULL;
    const void *typed[] = {net->params, d->x, d->y, d->grid, s->opt_a, s->opt_b, rec->params, rec->predictions};
    const void *words[] = {d->labels, s->order, rec->epochs, rec->loss, rec->grad_norms, rec->unit_stats};
    for (size_t i = 0; i < sizeof typed / sizeof *typed; i++)
        if ((uintptr_t)typed[i] % es) return PN_ERR_ALIGN;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if ((uintptr_t)words[i] % 8) return PN_ERR_ALIGN;
    if (d->labels)
        for (int64_t i = 0; i < d->n; i++)
            if (d->labels[i] < 0 || d->labels[i] >= net->sizes[net->n_layers]) return PN_ERR_LABEL;
    for (int64_t i = 0; i < d->n; i++)
        if (s->order[i] < 0 || s->order[i] >= d->n) return PN_ERR_ARG;
    if (rec->count && (!rec->epochs || !rec->loss || !rec->params || !rec->grad_norms || !rec->unit_stats ||
                       (d->grid_n && !rec->predictions)))
        return PN_ERR_NULL;
    return PN_OK;
}

/* The training set into the workspace, feature-major, as the passes read it. */
static void load_training_set(const pn_mlp *net, int loss, const pn_train_data *d, workspace *w) {
    transpose(net->dtype, d->x, NULL, d->n, net->sizes[0], w->xT, w->ld_x);
    if (loss != PN_TRAIN_XENT)
        transpose(net->dtype, d->y, NULL, d->n, net->sizes[net->n_layers], w->yT, w->ld_x);
    else if (w->lanes)
        labels_as_values(net->dtype, d->labels, NULL, d->n, w->yT, w->ld_x);
}

pn_status pn_train(const pn_mlp *net, const pn_train_config *c, const pn_train_data *d, pn_train_state *s,
                   pn_recording *rec, int64_t epochs) {
    pn_status st = check_training(net, c, d, s, rec, epochs);
    if (st != PN_OK) return st;
    const pn_dtype_kernels *k = pn_kernels_for(net->dtype);
    const int64_t batch = c->batch_size < d->n ? c->batch_size : d->n;
    const int64_t rows = d->n > d->grid_n ? d->n : d->grid_n;
    workspace w;
    if ((st = workspace_alloc(&w, net, rows, d->n, d->grid_n, batch)) != PN_OK) return st;
    load_training_set(net, c->loss, d, &w);
    if (c->optimizer == PN_OPT_ADAM) {
        w.adam_settled[0] = bias_correction_settles(c->beta1);
        w.adam_settled[1] = bias_correction_settles(c->beta2);
    }
    if (d->grid_n) transpose(net->dtype, d->grid, NULL, d->grid_n, net->sizes[0], w.gT, w.ld_g);
    const int64_t stop = s->epoch + epochs;
    for (;;) {
        double loss = 0.0;
        while (rec->next < rec->count && rec->epochs[rec->next] <= s->epoch) {
            if (rec->epochs[rec->next] < s->epoch) { /* a past epoch: the schedule was not ascending */
                st = PN_ERR_ARG;
                goto done;
            }
            if ((st = record(net, k, c, d, rec, &w, &loss)) != PN_OK) goto done;
            if (!isfinite(loss)) { /* no use training on from a state whose loss is not finite */
                st = PN_DIVERGED;
                goto done;
            }
        }
        if (s->epoch >= stop) break;
        if ((st = run_epoch(net, k, c, d, s, &w, &loss)) != PN_OK) goto done;
        s->epoch++;
        if (!isfinite(loss)) { /* stop; the state it led to is the last snapshot */
            if (rec->next < rec->count && (st = record(net, k, c, d, rec, &w, &loss)) != PN_OK) goto done;
            st = PN_DIVERGED;
            goto done;
        }
    }
done:
    free(w.block);
    return st;
}

pn_status pn_mlp_forward(const pn_mlp *net, const void *x, void *y, int64_t n) {
    pn_status st = check_net(net);
    if (st != PN_OK) return st;
    if (n < 0) return PN_ERR_SIZE;
    if (n == 0) return PN_OK;
    if (!x || !y) return PN_ERR_NULL;
    if ((uintptr_t)net->params % elem_size(net->dtype) || (uintptr_t)x % elem_size(net->dtype) ||
        (uintptr_t)y % elem_size(net->dtype))
        return PN_ERR_ALIGN;
    workspace w;
    if ((st = workspace_alloc(&w, net, n, n, 0, 1)) != PN_OK) return st;
    transpose(net->dtype, x, NULL, n, net->sizes[0], w.xT, w.ld_x);
    st = outputs(net, pn_kernels_for(net->dtype), w.xT, n, w.ld_x, &w, y);
    free(w.block);
    return st;
}

pn_status pn_mlp_losses(const pn_mlp *net, int loss, const void *params, int64_t count, const pn_train_data *d,
                        double *losses) {
    if (!net) return PN_ERR_NULL;
    static const double no_params = 0; /* to check the network when there are no parameter vectors */
    pn_mlp at = *net;                  /* the network at each parameter vector in turn */
    at.params = count ? (void *)params : (void *)&no_params;
    pn_status st = check_net(&at);
    if (st != PN_OK) return st;
    if (loss < PN_TRAIN_MSE || loss > PN_TRAIN_XENT) return PN_ERR_OP;
    if ((loss == PN_TRAIN_XENT) != (net->softmax_output != 0)) return PN_ERR_ARG;
    if (!d) return PN_ERR_NULL;
    if (count < 0 || d->n < 1) return PN_ERR_SIZE;
    const int L = net->n_layers;
    const int64_t in = net->sizes[0], out = net->sizes[L], P = param_count(net);
    const size_t es = elem_size(net->dtype);
    if (!addressable(count, P, 1, es) || !addressable(d->n, in, 1, es) || !addressable(d->n, out, 1, es) ||
        !addressable(d->n, 1, 1, sizeof(int64_t)) || !addressable(count, 1, 1, sizeof(double)))
        return PN_ERR_OVERFLOW;
    if (count == 0) return PN_OK;
    if (!losses || !d->x || (loss == PN_TRAIN_XENT ? !d->labels : !d->y)) return PN_ERR_NULL;
    if ((uintptr_t)d->x % es || (uintptr_t)d->y % es || (uintptr_t)d->labels % 8 || (uintptr_t)losses % 8)
        return PN_ERR_ALIGN;
    if (d->labels)
        for (int64_t i = 0; i < d->n; i++)
            if (d->labels[i] < 0 || d->labels[i] >= out) return PN_ERR_LABEL;
    workspace w;
    if ((st = workspace_alloc(&w, net, d->n, d->n, 0, d->n)) != PN_OK) return st;
    load_training_set(net, loss, d, &w);
    const pn_dtype_kernels *k = pn_kernels_for(net->dtype);
    const pn_train_config c = {.loss = loss};
    for (int64_t i = 0; i < count && st == PN_OK; i++) {
        at.params = (char *)params + i * P * (int64_t)es;
        st = train_pass(&at, k, &c, w.xT, w.yT, d->labels, d->n, w.ld_x, &w, &losses[i], NULL);
    }
    free(w.block);
    return st;
}
