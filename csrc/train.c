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

int64_t pn_mlp_param_count(const pn_mlp *net) {
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
    if (net->dtype != PN_F32 && net->dtype != PN_F64) return PN_ERR_DTYPE;
    if (net->n_layers < 1 || net->n_layers > PN_MAX_LAYERS) return PN_ERR_SIZE;
    int64_t total = 0;
    for (int l = 0; l <= net->n_layers; l++) {
        /* 2^24 units per layer keeps every product below well within int64 */
        if (net->sizes[l] < 1 || net->sizes[l] > (1 << 24)) return PN_ERR_SIZE;
        if (l < net->n_layers) {
            if (net->acts[l] < 0 || net->acts[l] >= PN_ACT_COUNT) return PN_ERR_OP;
            total += (net->sizes[l] + 1) * net->sizes[l + 1];
        }
    }
    if (total > INT64_MAX / 16) return PN_ERR_OVERFLOW;
    return PN_OK;
}

static int64_t max_width(const pn_mlp *net) {
    int64_t w = 0;
    for (int l = 0; l <= net->n_layers; l++) w = net->sizes[l] > w ? net->sizes[l] : w;
    return w;
}

/* ---- workspace: one allocation for a pass over up to `rows` rows ------ */

typedef struct {
    int64_t rows;
    void *z[PN_MAX_LAYERS], *a[PN_MAX_LAYERS]; /* pre-activations, activations */
    void *dz, *da;                              /* rows x widest layer */
    void *grad;                                 /* one per parameter */
    void *xb, *yb;                              /* a gathered minibatch */
    int64_t *lb;
    void *block;
} workspace;

static pn_status workspace_alloc(workspace *w, const pn_mlp *net, int64_t rows, int64_t batch) {
    const size_t es = elem_size(net->dtype);
    const int L = net->n_layers;
    const int64_t P = pn_mlp_param_count(net), width = max_width(net);
    if (rows < 1) rows = 1;
    if (rows > INT64_MAX / 8 / (width * (2 * L + 2) + 2)) return PN_ERR_OVERFLOW;
    size_t total = 0;
    for (int l = 0; l < L; l++) total += 2 * (size_t)(rows * net->sizes[l + 1]) * es;
    total += 2 * (size_t)(rows * width) * es + (size_t)P * es;
    total += (size_t)(batch * (net->sizes[0] + net->sizes[L])) * es + (size_t)batch * sizeof(int64_t);
    char *p = (char *)malloc(total + 64);
    if (!p) return PN_ERR_NOMEM;
    w->block = p;
    w->rows = rows;
    for (int l = 0; l < L; l++) {
        size_t bytes = (size_t)(rows * net->sizes[l + 1]) * es;
        w->z[l] = p; p += bytes;
        w->a[l] = p; p += bytes;
    }
    w->dz = p; p += (size_t)(rows * width) * es;
    w->da = p; p += (size_t)(rows * width) * es;
    w->grad = p; p += (size_t)P * es;
    w->xb = p; p += (size_t)(batch * net->sizes[0]) * es;
    w->yb = p; p += (size_t)(batch * net->sizes[L]) * es;
    w->lb = (int64_t *)(((uintptr_t)p + 7) & ~(uintptr_t)7);
    return PN_OK;
}

/* ---- passes ----------------------------------------------------------------- */

static pn_status forward(const pn_mlp *net, const pn_dtype_kernels *k, const void *x, int64_t m,
                         workspace *w) {
    const void *in = x;
    for (int l = 0; l < net->n_layers; l++) {
        int64_t din = net->sizes[l], dout = net->sizes[l + 1];
        pn_status st = k->dense_fwd(in, layer_W(net, l), layer_b(net, l), w->z[l], m, din, dout);
        if (st != PN_OK) return st;
        if (l == net->n_layers - 1 && net->softmax_output)
            k->softmax(0, w->z[l], w->a[l], m, dout);
        else
            k->act_fwd[net->acts[l]](w->z[l], w->a[l], m * dout, net->alphas[l]);
        in = w->a[l];
    }
    return PN_OK;
}

/* The loss of the last forward pass over m rows and, when want_grad, its
 * gradient with respect to the last layer's pre-activation, in w->dz. */
static double loss_and_grad(const pn_mlp *net, const pn_dtype_kernels *k, const pn_train_config *c,
                            const void *y, const int64_t *labels, int64_t m, workspace *w, int want_grad) {
    const int L = net->n_layers;
    const int64_t out = net->sizes[L], count = m * out;
    void *z = w->z[L - 1], *a = w->a[L - 1];
    switch (c->loss) {
    case PN_TRAIN_BCE:
        if (want_grad) k->loss_grad[PN_LOSS_BCE_LOGITS](z, y, w->dz, count);
        return k->loss[PN_LOSS_BCE_LOGITS](z, y, count);
    case PN_TRAIN_XENT:
        if (want_grad) k->xent_grad(z, labels, NULL, w->dz, m, out);
        return k->xent(z, labels, NULL, m, out);
    default: /* MSE on the activated output, back through its activation */
        if (want_grad) {
            k->loss_grad[PN_LOSS_MSE](a, y, w->da, count);
            if (net->softmax_output)
                k->softmax_bwd(0, z, w->da, w->dz, m, out);
            else
                k->act_bwd[net->acts[L - 1]](z, w->da, w->dz, count, net->alphas[L - 1]);
        }
        return k->loss[PN_LOSS_MSE](a, y, count);
    }
}

/* Parameter gradient into w->grad, from w->dz left by loss_and_grad. */
static pn_status backward(const pn_mlp *net, const pn_dtype_kernels *k, const void *x, int64_t m,
                          workspace *w) {
    const size_t es = elem_size(net->dtype);
    char *grad = (char *)w->grad;
    int64_t off = pn_mlp_param_count(net);
    for (int l = net->n_layers - 1; l >= 0; l--) {
        int64_t din = net->sizes[l], dout = net->sizes[l + 1];
        off -= (din + 1) * dout;
        char *dW = grad + off * (int64_t)es, *db = dW + din * dout * (int64_t)es;
        const void *in = l ? w->a[l - 1] : x;
        pn_status st = k->dense_bwd(in, layer_W(net, l), w->dz, l ? w->da : NULL, dW, db, m, din, dout);
        if (st != PN_OK) return st;
        if (l) k->act_bwd[net->acts[l - 1]](w->z[l - 1], w->da, w->dz, m * din, net->alphas[l - 1]);
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
        for (int64_t j = 0; j < units; j++) {
            int64_t r = 0;
            while (r < m && load(net->dtype, w->z[l], r * units + j) <= 0.0) r++;
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
    const int64_t s = rec->next, P = pn_mlp_param_count(net), out = net->sizes[L];
    pn_status st = forward(net, k, d->x, d->n, w);
    if (st != PN_OK) return st;
    *loss = loss_and_grad(net, k, c, d->y, d->labels, d->n, w, 1);
    for (int l = 0; l < L; l++)
        unit_stats(net, l, d->n, w, &rec->unit_stats[(s * L + l) * 2], &rec->unit_stats[(s * L + l) * 2 + 1]);
    st = backward(net, k, d->x, d->n, w);
    if (st != PN_OK) return st;
    grad_norms(net, w, rec->grad_norms + s * L);
    rec->loss[s] = *loss;
    memcpy((char *)rec->params + s * P * (int64_t)es, net->params, (size_t)P * es);
    st = forward(net, k, d->grid, d->grid_n, w);
    if (st != PN_OK) return st;
    memcpy((char *)rec->predictions + s * d->grid_n * out * (int64_t)es, w->a[L - 1],
           (size_t)(d->grid_n * out) * es);
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

static void gather_rows(const void *src, const int64_t *idx, int64_t m, int64_t width, size_t es, void *dst) {
    for (int64_t r = 0; r < m; r++)
        memcpy((char *)dst + r * width * (int64_t)es, (const char *)src + idx[r] * width * (int64_t)es,
               (size_t)width * es);
}

static void optimizer_step(const pn_mlp *net, const pn_dtype_kernels *k, const pn_train_config *c,
                           pn_train_state *s, const workspace *w) {
    const int64_t P = pn_mlp_param_count(net);
    s->step++;
    if (c->optimizer == PN_OPT_ADAM)
        k->adam(net->params, w->grad, s->opt_a, s->opt_b, P, c, s->step);
    else
        k->sgd(net->params, w->grad, s->opt_a, P, c, s->step == 1);
}

/* One epoch; *loss is the mean of its batch losses (NaN if any was). */
static pn_status run_epoch(const pn_mlp *net, const pn_dtype_kernels *k, const pn_train_config *c,
                           const pn_train_data *d, pn_train_state *s, workspace *w, double *loss) {
    const size_t es = elem_size(net->dtype);
    const int64_t n = d->n, in = net->sizes[0], out = net->sizes[net->n_layers];
    pn_status st;
    if (c->batch_size >= n) { /* full batch: the order of the samples is irrelevant */
        if ((st = forward(net, k, d->x, n, w)) != PN_OK) return st;
        *loss = loss_and_grad(net, k, c, d->y, d->labels, n, w, 1);
        if ((st = backward(net, k, d->x, n, w)) != PN_OK) return st;
        optimizer_step(net, k, c, s, w);
        return PN_OK;
    }
    if (c->shuffle) shuffle(s->order, n, &s->rng);
    double sum = 0.0;
    for (int64_t start = 0; start < n; start += c->batch_size) {
        int64_t m = n - start < c->batch_size ? n - start : c->batch_size;
        const int64_t *idx = s->order + start;
        gather_rows(d->x, idx, m, in, es, w->xb);
        if (d->labels)
            for (int64_t r = 0; r < m; r++) w->lb[r] = d->labels[idx[r]];
        else
            gather_rows(d->y, idx, m, out, es, w->yb);
        if ((st = forward(net, k, w->xb, m, w)) != PN_OK) return st;
        sum += loss_and_grad(net, k, c, w->yb, w->lb, m, w, 1) * (double)m;
        if ((st = backward(net, k, w->xb, m, w)) != PN_OK) return st;
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
    if (!d->x || (d->grid_n && !d->grid)) return PN_ERR_NULL;
    if (c->loss == PN_TRAIN_XENT ? !d->labels : !d->y) return PN_ERR_NULL;
    if (d->labels)
        for (int64_t i = 0; i < d->n; i++)
            if (d->labels[i] < 0 || d->labels[i] >= net->sizes[net->n_layers]) return PN_ERR_LABEL;
    for (int64_t i = 0; i < d->n; i++)
        if (s->order[i] < 0 || s->order[i] >= d->n) return PN_ERR_ARG;
    if (rec->count < 0 || rec->next < 0 || rec->next > rec->count) return PN_ERR_SIZE;
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
    int64_t rows = d->n > d->grid_n ? d->n : d->grid_n;
    workspace w;
    if ((st = workspace_alloc(&w, net, rows, batch)) != PN_OK) return st;
    const int64_t stop = s->epoch + epochs;
    for (;;) {
        double loss = 0.0;
        while (rec->next < rec->count && rec->epochs[rec->next] <= s->epoch) {
            if (rec->epochs[rec->next] < s->epoch) { /* a past epoch: the schedule was not ascending */
                st = PN_ERR_ARG;
                goto done;
            }
            if ((st = record(net, k, c, d, rec, &w, &loss)) != PN_OK) goto done;
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
    workspace w;
    if ((st = workspace_alloc(&w, net, n, 1)) != PN_OK) return st;
    st = forward(net, pn_kernels_for(net->dtype), x, n, &w);
    if (st == PN_OK) {
        const int L = net->n_layers;
        memcpy(y, w.a[L - 1], (size_t)(n * net->sizes[L]) * elem_size(net->dtype));
    }
    free(w.block);
    return st;
}
