/*
 * Networks and training: the whole loop in C.  Python hands over the
 * network, the data and every buffer that outlives a call (parameters,
 * optimizer state, sample order, recording), then calls pn_train for a
 * chunk of epochs at a time.  Each pass runs the active SIMD level's
 * kernels (dense, activations, losses, optimizer steps), so training is
 * as vectorised as the kernels are; nothing here allocates per epoch.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

#define PN_MAX_LAYERS 64

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
 * The loop keeps every activation feature-major: (units x rows), so that
 * each operation runs along the long sample axis, contiguous and fully
 * vectorised, however narrow the layers (1-2-2-1 nets are the point of
 * this project):  Z^T = W^T A^T + b;  dA^T = W dZ^T;  dW and db are dot
 * products of contiguous rows.  Inputs and targets are transposed once per
 * call (minibatches gathered and transposed per batch). */

typedef struct {
    int64_t rows;
    void *z[PN_MAX_LAYERS], *a[PN_MAX_LAYERS]; /* pre-activations, activations: units x rows */
    void *d[PN_MAX_LAYERS];                     /* activation derivatives at z (training passes) */
    void *dz, *da;                              /* widest layer x rows */
    void *rm, *rm_grad;                         /* rows x outputs, row-major (softmax, cross-entropy) */
    void *grad;                                 /* one per parameter */
    void *xT, *yT, *gT;                         /* training inputs, targets, grid: feature-major */
    void *xbT, *ybT;                            /* a minibatch's, feature-major */
    int64_t *lb;                                /* a minibatch's labels */
    void *block;
} workspace;

static pn_status workspace_alloc(workspace *w, const pn_mlp *net, int64_t rows, int64_t n, int64_t grid_n,
                                 int64_t batch) {
    const size_t es = elem_size(net->dtype);
    const int L = net->n_layers;
    const int64_t P = param_count(net), width = max_width(net);
    const int64_t in = net->sizes[0], out = net->sizes[L];
    if (rows < 1) rows = 1;
    if (rows > INT64_MAX / 8 / (width * (2 * L + 4) + 2)) return PN_ERR_OVERFLOW;
    int64_t elems = 2 * rows * width + 2 * rows * out + P + (n + batch) * (in + out) + grid_n * in;
    for (int l = 0; l < L; l++) elems += 3 * rows * net->sizes[l + 1];
    char *p = (char *)malloc((size_t)elems * es + (size_t)batch * sizeof(int64_t) + 64);
    if (!p) return PN_ERR_NOMEM;
    w->block = p;
    w->rows = rows;
#define CARVE(ptr, count) (ptr = p, p += (size_t)(count) * es)
    for (int l = 0; l < L; l++) {
        CARVE(w->z[l], rows * net->sizes[l + 1]);
        CARVE(w->a[l], rows * net->sizes[l + 1]);
        CARVE(w->d[l], rows * net->sizes[l + 1]);
    }
    CARVE(w->dz, rows * width);
    CARVE(w->da, rows * width);
    CARVE(w->rm, rows * out);
    CARVE(w->rm_grad, rows * out);
    CARVE(w->grad, P);
    CARVE(w->xT, n * in);
    CARVE(w->yT, n * out);
    CARVE(w->gT, grid_n * in);
    CARVE(w->xbT, batch * in);
    CARVE(w->ybT, batch * out);
#undef CARVE
    w->lb = (int64_t *)(((uintptr_t)p + 7) & ~(uintptr_t)7);
    return PN_OK;
}

/* dst (cols x rows) = src^T, src (rows x cols) row r being src row idx[r]
 * (idx NULL: row r).  Also undoes itself: transpose(dst, NULL, cols, rows). */
static void transpose(int dtype, const void *src, const int64_t *idx, int64_t rows, int64_t cols, void *dst) {
#define PN_TRANSPOSE(TYPE)                                                        \
    do {                                                                          \
        const TYPE *s = (const TYPE *)src;                                        \
        TYPE *d = (TYPE *)dst;                                                    \
        for (int64_t r = 0; r < rows; r++) {                                      \
            const TYPE *row = s + (idx ? idx[r] : r) * cols;                      \
            for (int64_t c = 0; c < cols; c++) d[c * rows + r] = row[c];          \
        }                                                                         \
    } while (0)
    if (dtype == PN_F32) PN_TRANSPOSE(float);
    else PN_TRANSPOSE(double);
#undef PN_TRANSPOSE
}

/* ---- passes ----------------------------------------------------------------- */

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
            transpose(net->dtype, w->z[l], NULL, dout, m, w->rm);
            k->softmax(0, w->rm, w->rm_grad, m, dout);
            transpose(net->dtype, w->rm_grad, NULL, m, dout, w->a[l]);
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
 * or labels) and, when want_grad, its gradient with respect to the last
 * pre-activation, in w->dz (feature-major). */
static double loss_and_grad(const pn_mlp *net, const pn_dtype_kernels *k, const pn_train_config *c,
                            const void *yT, const int64_t *labels, int64_t m, workspace *w, int want_grad) {
    const int L = net->n_layers;
    const int64_t out = net->sizes[L], count = m * out;
    void *z = w->z[L - 1], *a = w->a[L - 1];
    switch (c->loss) {
    case PN_TRAIN_BCE:
        if (want_grad) k->loss_grad[PN_LOSS_BCE_LOGITS](z, yT, w->dz, count);
        return k->loss[PN_LOSS_BCE_LOGITS](z, yT, count);
    case PN_TRAIN_XENT: {
        transpose(net->dtype, z, NULL, out, m, w->rm);
        if (want_grad) {
            k->xent_grad(w->rm, labels, NULL, w->rm_grad, m, out);
            transpose(net->dtype, w->rm_grad, NULL, m, out, w->dz);
        }
        return k->xent(w->rm, labels, NULL, m, out);
    }
    default: /* MSE on the activated output, back through its activation (never softmax: XENT only) */
        if (want_grad) {
            k->loss_grad[PN_LOSS_MSE](a, yT, w->da, count);
            k->mul(w->da, w->d[L - 1], w->dz, count);
        }
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

/* ---- recording -------------------------------------------------------------- */

/* Unit statistics of layer l from its pre-activations over m rows. */
static void unit_stats(const pn_mlp *net, int l, int64_t m, const workspace *w, double *dead, double *saturated) {
    const int64_t units = net->sizes[l + 1];
    const int act = net->acts[l];
    const int last = l == net->n_layers - 1;
    *dead = *saturated = 0.0;
    if (last && net->softmax_output) return;
    if (act == PN_ACT_RELU || act == PN_ACT_LEAKY_RELU) {
        int64_t count = 0;
        for (int64_t j = 0; j < units; j++) { /* z is feature-major: unit j's m values are contiguous */
            int64_t r = 0;
            while (r < m && load(net->dtype, w->z[l], j * m + r) <= 0.0) r++;
            count += r == m;
        }
        *dead = (double)count / (double)units;
    } else if (act == PN_ACT_SIGMOID || act == PN_ACT_TANH) {
        /* |z| past which the derivative is below 5% of its peak:
         * sigmoid s(1-s) < 0.0125 and tanh 1 - t^2 < 0.05 */
        const double s = (1.0 + sqrt(0.95)) / 2.0;
        const double limit = act == PN_ACT_SIGMOID ? log(s / (1.0 - s)) : atanh(sqrt(0.95));
        int64_t count = 0;
        for (int64_t i = 0; i < m * units; i++) count += fabs(load(net->dtype, w->z[l], i)) > limit;
        *saturated = m ? (double)count / (double)(m * units) : 0.0;
    }
}

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
 * training set; its loss is returned (NaN or inf means divergence). */
static pn_status record(const pn_mlp *net, const pn_dtype_kernels *k, const pn_train_config *c,
                        const pn_train_data *d, pn_recording *rec, workspace *w, double *loss) {
    const size_t es = elem_size(net->dtype);
    const int L = net->n_layers;
    const int64_t s = rec->next, P = param_count(net), out = net->sizes[L];
    pn_status st = forward(net, k, w->xT, d->n, w, 1);
    if (st != PN_OK) return st;
    *loss = loss_and_grad(net, k, c, w->yT, d->labels, d->n, w, 1);
    for (int l = 0; l < L; l++)
        unit_stats(net, l, d->n, w, &rec->unit_stats[(s * L + l) * 2], &rec->unit_stats[(s * L + l) * 2 + 1]);
    st = backward(net, k, w->xT, d->n, w);
    if (st != PN_OK) return st;
    grad_norms(net, w, rec->grad_norms + s * L);
    rec->loss[s] = *loss;
    memcpy((char *)rec->params + s * P * (int64_t)es, net->params, (size_t)P * es);
    if (d->grid_n) {
        if ((st = forward(net, k, w->gT, d->grid_n, w, 0)) != PN_OK) return st;
        transpose(net->dtype, w->a[L - 1], NULL, out, d->grid_n,
                  (char *)rec->predictions + s * d->grid_n * out * (int64_t)es);
    }
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

static void optimizer_step(const pn_mlp *net, const pn_dtype_kernels *k, const pn_train_config *c,
                           pn_train_state *s, const workspace *w) {
    const int64_t P = param_count(net);
    s->step++;
    if (c->optimizer == PN_OPT_ADAM)
        k->adam(net->params, w->grad, s->opt_a, s->opt_b, P, c, s->step);
    else
        k->sgd(net->params, w->grad, s->opt_a, P, c, s->step == 1);
}

/* One epoch; *loss is the mean of its batch losses (NaN if any was). */
static pn_status run_epoch(const pn_mlp *net, const pn_dtype_kernels *k, const pn_train_config *c,
                           const pn_train_data *d, pn_train_state *s, workspace *w, double *loss) {
    const int64_t n = d->n, in = net->sizes[0], out = net->sizes[net->n_layers];
    pn_status st;
    if (c->batch_size >= n) { /* full batch: the order of the samples is irrelevant */
        if ((st = forward(net, k, w->xT, n, w, 1)) != PN_OK) return st;
        *loss = loss_and_grad(net, k, c, w->yT, d->labels, n, w, 1);
        if ((st = backward(net, k, w->xT, n, w)) != PN_OK) return st;
        optimizer_step(net, k, c, s, w);
        return PN_OK;
    }
    if (c->shuffle) shuffle(s->order, n, &s->rng);
    double sum = 0.0;
    for (int64_t start = 0; start < n; start += c->batch_size) {
        int64_t m = n - start < c->batch_size ? n - start : c->batch_size;
        const int64_t *idx = s->order + start;
        transpose(net->dtype, d->x, idx, m, in, w->xbT);
        if (c->loss == PN_TRAIN_XENT) /* labels may be given, unused, with the other losses */
            for (int64_t r = 0; r < m; r++) w->lb[r] = d->labels[idx[r]];
        else
            transpose(net->dtype, d->y, idx, m, out, w->ybT);
        if ((st = forward(net, k, w->xbT, m, w, 1)) != PN_OK) return st;
        sum += loss_and_grad(net, k, c, w->ybT, w->lb, m, w, 1) * (double)m;
        if ((st = backward(net, k, w->xbT, m, w)) != PN_OK) return st;
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

pn_status pn_train(const pn_mlp *net, const pn_train_config *c, const pn_train_data *d, pn_train_state *s,
                   pn_recording *rec, int64_t epochs) {
    pn_status st = check_training(net, c, d, s, rec, epochs);
    if (st != PN_OK) return st;
    const pn_dtype_kernels *k = pn_kernels_for(net->dtype);
    const int64_t batch = c->batch_size < d->n ? c->batch_size : d->n;
    const int64_t rows = d->n > d->grid_n ? d->n : d->grid_n, out = net->sizes[net->n_layers];
    workspace w;
    if ((st = workspace_alloc(&w, net, rows, d->n, d->grid_n, batch)) != PN_OK) return st;
    transpose(net->dtype, d->x, NULL, d->n, net->sizes[0], w.xT);
    if (d->y) transpose(net->dtype, d->y, NULL, d->n, out, w.yT);
    if (d->grid_n) transpose(net->dtype, d->grid, NULL, d->grid_n, net->sizes[0], w.gT);
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
    transpose(net->dtype, x, NULL, n, net->sizes[0], w.xT);
    st = forward(net, pn_kernels_for(net->dtype), w.xT, n, &w, 0);
    if (st == PN_OK) {
        const int L = net->n_layers;
        transpose(net->dtype, w.a[L - 1], NULL, net->sizes[L], n, y);
    }
    free(w.block);
    return st;
}
