/*
 * The public entry points: every argument is checked here, so that
 * nothing a caller passes reaches a kernel unless the kernel can process
 * it in bounds; then the call goes to the active SIMD level's kernel.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "kernels.h"

#define TRY(expr)                          \
    do {                                   \
        pn_status st_ = (expr);            \
        if (st_ != PN_OK) return st_;      \
    } while (0)


static pn_status check_dtype(int dtype) {
    return dtype == PN_F32 || dtype == PN_F64 ? PN_OK : PN_ERR_DTYPE;
}

static size_t elem_size(int dtype) { return dtype == PN_F32 ? 4 : 8; }

/* n elements of dtype: n >= 0 and n * size addressable. */
static pn_status check_count(int dtype, int64_t n) {
    if (n < 0) return PN_ERR_SIZE;
    if ((uint64_t)n > (uint64_t)PTRDIFF_MAX / elem_size(dtype)) return PN_ERR_OVERFLOW;
    return PN_OK;
}

/* rows x cols elements of dtype, the product checked for overflow. */
static pn_status check_matrix(int dtype, int64_t rows, int64_t cols, int64_t *count) {
    if (rows < 0 || cols < 0) return PN_ERR_SIZE;
    if (rows > 0 && cols > INT64_MAX / rows) return PN_ERR_OVERFLOW;
    *count = rows * cols;
    return check_count(dtype, *count);
}

/* A non-empty array of `count` elements of `size` bytes at p: not NULL and
 * element-aligned (kernels access elements through typed pointers). */
static pn_status need_elems(const void *p, int64_t count, size_t size) {
    if (count == 0) return PN_OK;
    if (!p) return PN_ERR_NULL;
    return (uintptr_t)p % size ? PN_ERR_ALIGN : PN_OK;
}
#define need(p, count) need_elems(p, count, elem_size(dtype))

/* Do `na` elements at a and `nb` at b (of `size` bytes; counts already
 * checked addressable) share a byte?  NULL or empty: no. */
static int overlap(const void *a, int64_t na, const void *b, int64_t nb, size_t size) {
    if (!a || !b || !na || !nb) return 0;
    uintptr_t a0 = (uintptr_t)a, b0 = (uintptr_t)b;
    return a0 < b0 + (uintptr_t)nb * size && b0 < a0 + (uintptr_t)na * size;
}

/* Element-wise outputs may be their input exactly, or apart from it; a
 * shifted overlap would read elements the kernel already overwrote. */
static pn_status alias_ok(const void *out, const void *in, int64_t n, int dtype) {
    return out != in && overlap(out, n, in, n, elem_size(dtype)) ? PN_ERR_ARG : PN_OK;
}

const char *pn_status_message(int status) {
    switch (status) {
    case PN_OK: return "ok";
    case PN_ERR_NULL: return "a required pointer was NULL";
    case PN_ERR_SIZE: return "a size was negative or inconsistent";
    case PN_ERR_OVERFLOW: return "array size overflows the address space";
    case PN_ERR_DTYPE: return "unknown dtype code";
    case PN_ERR_OP: return "unknown activation or loss code";
    case PN_ERR_ARG: return "argument out of its domain";
    case PN_ERR_SIMD: return "SIMD level unknown or not supported by this CPU";
    case PN_ERR_NOMEM: return "out of memory";
    case PN_ERR_LABEL: return "class label out of range";
    case PN_DIVERGED: return "training diverged: the loss is not finite";
    case PN_ERR_ALIGN: return "an array is not aligned to its element size";
    default: return "unknown status";
    }
}

/* ops.def's activation rows follow pn_act's order. */
enum {
#define PN_ROW_INDEX(code, ...) pn_row_##code,
    PN_ACTIVATIONS(PN_ROW_INDEX) pn_act_rows
#undef PN_ROW_INDEX
};
_Static_assert((int)pn_act_rows == (int)PN_ACT_COUNT, "ops.def has one row per pn_act code");
#define PN_ROW_IN_ORDER(code, name, ...) \
    _Static_assert((int)code == (int)pn_row_##code, "ops.def's activation rows are in pn_act order: " #name);
PN_ACTIVATIONS(PN_ROW_IN_ORDER)
#undef PN_ROW_IN_ORDER

static const pn_act_info act_rows[PN_ACT_COUNT] = {
#define PN_ACT_ROW(code, name, family, param, param_default, ulp) [code] = {#name, family, param, param_default, ulp},
    PN_ACTIVATIONS(PN_ACT_ROW)
#undef PN_ACT_ROW
};

pn_status pn_act_describe(int act, pn_act_info *info) {
    if (!info) return PN_ERR_NULL;
    if (act < 0 || act >= PN_ACT_COUNT) return PN_ERR_OP;
    *info = act_rows[act];
    return PN_OK;
}

pn_status pn_act_forward(int act, int dtype, const void *x, void *y, int64_t n, double alpha) {
    TRY(check_dtype(dtype));
    if (act < 0 || act >= PN_ACT_COUNT) return PN_ERR_OP;
    TRY(check_count(dtype, n));
    TRY(need(x, n));
    TRY(need(y, n));
    TRY(alias_ok(y, x, n, dtype));
    if (n) pn_kernels_for(dtype)->act_fwd[act](x, y, n, alpha);
    return PN_OK;
}

pn_status pn_act_backward(int act, int dtype, const void *x, const void *dy, void *dx, int64_t n,
                          double alpha) {
    TRY(check_dtype(dtype));
    if (act < 0 || act >= PN_ACT_COUNT) return PN_ERR_OP;
    TRY(check_count(dtype, n));
    TRY(need(x, n));
    TRY(need(dy, n));
    TRY(need(dx, n));
    TRY(alias_ok(dx, x, n, dtype));
    TRY(alias_ok(dx, dy, n, dtype));
    if (n) pn_kernels_for(dtype)->act_bwd[act](x, dy, dx, n, alpha);
    return PN_OK;
}

pn_status pn_softmax(int dtype, int log, const void *x, void *y, int64_t rows, int64_t cols) {
    int64_t count;
    TRY(check_dtype(dtype));
    TRY(check_matrix(dtype, rows, cols, &count));
    TRY(need(x, count));
    TRY(need(y, count));
    TRY(alias_ok(y, x, count, dtype));
    if (count) pn_kernels_for(dtype)->softmax(log != 0, x, y, rows, cols);
    return PN_OK;
}

pn_status pn_softmax_backward(int dtype, int log, const void *x, const void *dy, void *dx,
                              int64_t rows, int64_t cols) {
    int64_t count;
    TRY(check_dtype(dtype));
    TRY(check_matrix(dtype, rows, cols, &count));
    TRY(need(x, count));
    TRY(need(dy, count));
    TRY(need(dx, count));
    if (overlap(dx, count, x, count, elem_size(dtype))) return PN_ERR_ARG;
    TRY(alias_ok(dx, dy, count, dtype));
    if (count) pn_kernels_for(dtype)->softmax_bwd(log != 0, x, dy, dx, rows, cols);
    return PN_OK;
}

static pn_status check_dense(int dtype, const void *x, const void *W, int64_t n, int64_t in,
                             int64_t out, int64_t *nx, int64_t *nw, int64_t *ny) {
    TRY(check_dtype(dtype));
    TRY(check_matrix(dtype, n, in, nx));
    TRY(check_matrix(dtype, in, out, nw));
    TRY(check_matrix(dtype, n, out, ny));
    TRY(need(x, *nx));
    TRY(need(W, *nw));
    return PN_OK;
}

pn_status pn_dense_forward(int dtype, const void *x, const void *W, const void *b, void *y, int64_t n,
                           int64_t in, int64_t out) {
    int64_t nx, nw, ny;
    TRY(check_dense(dtype, x, W, n, in, out, &nx, &nw, &ny));
    TRY(need(y, ny));
    if (b) {
        TRY(check_count(dtype, out));
        TRY(need(b, out));
    }
    const size_t es = elem_size(dtype);
    if (overlap(y, ny, x, nx, es) || overlap(y, ny, W, nw, es) || overlap(y, ny, b, out, es)) return PN_ERR_ARG;
    if (!ny) return PN_OK;
    if (!in) { /* no products (x and W may be NULL): every row of y is the bias */
        for (int64_t i = 0; i < n; i++) {
            char *row = (char *)y + i * out * (int64_t)es;
            if (b) memcpy(row, b, (size_t)out * es);
            else memset(row, 0, (size_t)out * es);
        }
        return PN_OK;
    }
    return pn_kernels_for(dtype)->dense_fwd(x, W, b, y, n, in, out);
}

pn_status pn_dense_backward(int dtype, const void *x, const void *W, const void *dy, void *dx,
                            void *dW, void *db, int64_t n, int64_t in, int64_t out) {
    int64_t nx, nw, ny;
    TRY(check_dense(dtype, x, W, n, in, out, &nx, &nw, &ny));
    TRY(need(dy, ny));
    /* NULL outputs are skipped; empty ones need nothing written. */
    if (!nx) dx = NULL;
    if (!nw) dW = NULL;
    if (!out) db = NULL;
    if (!dx && !dW && !db) return PN_OK;
    if (dx) TRY(need(dx, nx));
    if (dW) TRY(need(dW, nw));
    if (db) {
        TRY(check_count(dtype, out));
        TRY(need(db, out));
    }
    const size_t es = elem_size(dtype);
    const void *outs[3] = {dx, dW, db}, *ins[3] = {x, W, dy};
    const int64_t out_n[3] = {nx, nw, out}, in_n[3] = {nx, nw, ny};
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            if (overlap(outs[i], out_n[i], ins[j], in_n[j], es)) return PN_ERR_ARG;
        for (int j = i + 1; j < 3; j++)
            if (overlap(outs[i], out_n[i], outs[j], out_n[j], es)) return PN_ERR_ARG;
    }
    return pn_kernels_for(dtype)->dense_bwd(x, W, dy, dx, dW, db, n, in, out);
}

/* ---- input features: a few operations per sample, computed once per call
 * (the training loop gets them ready-made, as they do not change between
 * epochs); scalar code, for libm's sin. */

#define PN_DEFINE_FEATURES(name, TYPE)                                                                  \
    static void name(const pn_feature *f, int64_t count, const TYPE *x, int64_t inputs, TYPE *out,     \
                     int64_t n) {                                                                       \
        for (int64_t r = 0; r < n; r++, x += inputs, out += count)                                      \
            for (int64_t j = 0; j < count; j++) {                                                       \
                const TYPE a = x[f[j].a];                                                               \
                switch (f[j].kind) {                                                                    \
                case PN_FEATURE_INPUT: out[j] = a; break;                                               \
                case PN_FEATURE_SQUARE: out[j] = a * a; break;                                          \
                case PN_FEATURE_PRODUCT: out[j] = a * x[f[j].b]; break;                                 \
                default: out[j] = (TYPE)sin((double)a); break;                                          \
                }                                                                                       \
            }                                                                                           \
    }
PN_DEFINE_FEATURES(features_f32, float)
PN_DEFINE_FEATURES(features_f64, double)
#undef PN_DEFINE_FEATURES

pn_status pn_features(int dtype, const pn_feature *features, int64_t count, const void *x, int64_t inputs,
                      void *out, int64_t n) {
    int64_t nx, nout;
    TRY(check_dtype(dtype));
    TRY(check_matrix(dtype, n, inputs, &nx));
    TRY(check_matrix(dtype, n, count, &nout));
    if ((uint64_t)count > (uint64_t)PTRDIFF_MAX / sizeof(pn_feature)) return PN_ERR_OVERFLOW;
    TRY(need_elems(features, count, _Alignof(pn_feature)));
    for (int64_t j = 0; j < count; j++)
        if (features[j].kind < 0 || features[j].kind >= PN_FEATURE_COUNT) return PN_ERR_OP;
    for (int64_t j = 0; j < count; j++) {
        const pn_feature *f = &features[j];
        if (f->a < 0 || f->a >= inputs || (f->kind == PN_FEATURE_PRODUCT && (f->b < 0 || f->b >= inputs)))
            return PN_ERR_ARG;
    }
    TRY(need(x, nx));
    TRY(need(out, nout));
    if (!nout) return PN_OK;
    if (overlap(out, nout, x, nx, elem_size(dtype))) return PN_ERR_ARG;
    if (dtype == PN_F32) features_f32(features, count, (const float *)x, inputs, (float *)out, n);
    else features_f64(features, count, (const double *)x, inputs, (double *)out, n);
    return PN_OK;
}

pn_status pn_loss(int loss, int dtype, const void *pred, const void *target, int64_t n,
                  double *result) {
    TRY(check_dtype(dtype));
    if (loss < 0 || loss >= PN_LOSS_COUNT) return PN_ERR_OP;
    TRY(check_count(dtype, n));
    TRY(need(pred, n));
    TRY(need(target, n));
    if (!result) return PN_ERR_NULL;
    if ((uintptr_t)result % sizeof(double)) return PN_ERR_ALIGN;
    *result = n ? pn_kernels_for(dtype)->loss[loss](pred, target, n) : NAN;
    return PN_OK;
}

pn_status pn_loss_backward(int loss, int dtype, const void *pred, const void *target, void *grad,
                           int64_t n) {
    TRY(check_dtype(dtype));
    if (loss < 0 || loss >= PN_LOSS_COUNT) return PN_ERR_OP;
    TRY(check_count(dtype, n));
    TRY(need(pred, n));
    TRY(need(target, n));
    TRY(need(grad, n));
    TRY(alias_ok(grad, pred, n, dtype));
    TRY(alias_ok(grad, target, n, dtype));
    if (n) pn_kernels_for(dtype)->loss_grad[loss](pred, target, grad, n);
    return PN_OK;
}

static pn_status check_xent(int dtype, const void *logits, const int64_t *labels, const void *target,
                            int64_t rows, int64_t classes, int64_t *count) {
    TRY(check_dtype(dtype));
    TRY(check_matrix(dtype, rows, classes, count));
    if (rows > 0 && classes == 0) return PN_ERR_SIZE;
    if ((labels == NULL) == (target == NULL) && rows > 0) return PN_ERR_ARG;
    TRY(need(logits, *count));
    if (target) TRY(need(target, *count));
    if (labels) TRY(need_elems(labels, rows, sizeof(int64_t)));
    if (labels)
        for (int64_t r = 0; r < rows; r++)
            if (labels[r] < 0 || labels[r] >= classes) return PN_ERR_LABEL;
    return PN_OK;
}

pn_status pn_cross_entropy(int dtype, const void *logits, const int64_t *labels, const void *target,
                           int64_t rows, int64_t classes, double *result) {
    int64_t count;
    TRY(check_xent(dtype, logits, labels, target, rows, classes, &count));
    if (!result) return PN_ERR_NULL;
    if ((uintptr_t)result % sizeof(double)) return PN_ERR_ALIGN;
    *result = rows ? pn_kernels_for(dtype)->xent(logits, labels, target, rows, classes) : NAN;
    return PN_OK;
}

pn_status pn_cross_entropy_backward(int dtype, const void *logits, const int64_t *labels,
                                    const void *target, void *grad, int64_t rows, int64_t classes) {
    int64_t count;
    TRY(check_xent(dtype, logits, labels, target, rows, classes, &count));
    TRY(need(grad, count));
    if (overlap(grad, count, target, count, elem_size(dtype))) return PN_ERR_ARG;
    TRY(alias_ok(grad, logits, count, dtype));
    if (overlap(grad, count * (int64_t)elem_size(dtype), labels, rows * (int64_t)sizeof(int64_t), 1))
        return PN_ERR_ARG;
    if (rows) pn_kernels_for(dtype)->xent_grad(logits, labels, target, grad, rows, classes);
    return PN_OK;
}
