/*
 * libFuzzer target for every entry point of csrc/pyneuron.h.
 *
 * The input is read as a sequence of calls (fuzz/README.md spells out the
 * encoding).  Each call's arrays get buffers of exactly the bytes the call
 * claims, so AddressSanitizer sees any access past an end; the input also
 * picks NULL, misaligned, aliased and overlapping pointers and sizes that
 * are negative or whose byte count overflows (those get a few bytes or
 * none: they must be refused before any memory is touched).
 *
 * After every call the harness checks the contract (abort() on a breach, so
 * that libFuzzer reports it):
 *  - the status is a pn_status, and it is a refusal exactly when the
 *    arguments break the header's rules, with a code naming a broken rule;
 *  - a refused call wrote nothing, anywhere in the memory it was given;
 *  - inputs declared const are unchanged;
 *  - a successful call computed the right thing: range and exact checks,
 *    long-double references within rounding-error bounds, in-place results
 *    equal to out-of-place ones, and agreement with another SIMD level.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyneuron.h"

/* ---- failure reports ---------------------------------------------------- */

static char current_call[256]; /* the call being checked, for the report */
static void describe_arrays(void);  /* ... and its arrays */

#define REQUIRE(cond, ...)                                                                  \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "\nfuzz_api.c:%d: contract broken by %s\n  failed: %s\n  ",     \
                    __LINE__, current_call, #cond);                                         \
            fprintf(stderr, __VA_ARGS__);                                                   \
            fputc('\n', stderr);                                                            \
            describe_arrays();                                                              \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

/* ---- reading the input -------------------------------------------------- */

typedef struct {
    const uint8_t *data;
    size_t size, pos;
} reader;

/* n bytes, little-endian; zeros once the input is used up. */
static uint64_t take_le(reader *r, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)(r->pos < r->size ? r->data[r->pos++] : 0) << (8 * i);
    return v;
}

static unsigned take_u8(reader *r) { return (unsigned)take_le(r, 1); }

static int exhausted(const reader *r) { return r->pos >= r->size; }

/* Bytes 0xF0..0xFF pick from these: out-of-range codes, which must be refused. */
static int take_code(reader *r, int count) {
    const int invalid[] = {count, count + 1, -1, INT_MIN, INT_MAX, 1000};
    unsigned b = take_u8(r);
    return b < 0xF0 ? (int)(b % (unsigned)count) : invalid[b % (sizeof invalid / sizeof *invalid)];
}

static double take_real(reader *r) {
    static const double values[] = {
        0.01, 0.1, 1.0, 0.5, 1e-3, 0.9, 0.999, 1e-8, 0.0, -0.0, -1.0, 2.0, 10.0, -0.5, 1e30, -1e30,
        INFINITY, -INFINITY, NAN, 0x1p-1074, 0x1.fffffffffffffp-1, 100.0,
    };
    unsigned b = take_u8(r);
    if (b < 0xF0) return values[b % (sizeof values / sizeof *values)];
    uint64_t bits = take_le(r, 8);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* Negative counts, and counts past PTRDIFF_MAX / 4: their byte count
 * overflows for every element type, so they must be refused. */
static const int64_t unbacked_counts[] = {
    -1, -3, INT64_MIN, -((int64_t)1 << 40), (int64_t)1 << 61, ((int64_t)1 << 61) + 1,
    (int64_t)1 << 62, INT64_MAX, (int64_t)3 << 61, INT64_MAX - 1, ((int64_t)1 << 62) + 5, -2,
};

/* An element count, at most cap: mostly 0..127 and 13..515 around the
 * multiples of 16 (SIMD tails, GEMM tiles and panels), sometimes anything
 * up to cap; bytes 0xF4..0xFF give an unbacked count. */
static int64_t take_count(reader *r, int64_t cap) {
    unsigned b = take_u8(r);
    int64_t n;
    if (b < 0x80) n = b;
    else if (b < 0xE0) n = 16 * (int64_t)((b & 0x1f) + 1) + (int64_t)(take_u8(r) % 7) - 3;
    else if (b < 0xF4) n = (int64_t)(take_le(r, 2) % (uint64_t)(cap + 1));
    else return unbacked_counts[b - 0xF4];
    return n < cap ? n : cap;
}

/* ---- sizes ------------------------------------------------------------------ */

#define MAX_ELEMS 4096       /* element-wise arrays and softmax matrices */
#define MAX_MATRIX (1 << 15) /* each dense matrix: big enough for GEMM's packed path */
#define BACKED_LIMIT (1 << 20)

/* a * b for counts: negative if either is, INT64_MAX when it overflows. */
static int64_t product(int64_t a, int64_t b) {
    if (a < 0 || b < 0) return -1;
    if (a == 0 || b == 0) return 0;
    return a > INT64_MAX / b ? INT64_MAX : a * b;
}

static int backed(int64_t count) { return count >= 0 && count <= BACKED_LIMIT; }

/* Shrinks *a so that *a * b stays within cap (unbacked sizes left alone). */
static void limit_product(int64_t *a, int64_t b, int64_t cap) {
    if (backed(*a) && backed(b) && b > 0 && *a * b > cap) *a = cap / b;
}

static int valid_dtype(int dtype) { return dtype == PN_F32 || dtype == PN_F64; }

/* Invalid dtypes get 8-byte elements: the call must be refused anyway. */
static size_t elem_of(int dtype) { return dtype == PN_F32 ? 4 : 8; }

static int take_dtype(reader *r) { return take_code(r, 2); }

/* ---- values ------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Where the kernels branch or change regime (exp under/overflow, GELU's
 * pieces and root, clamps), and IEEE's edges. */
static const double special_values[] = {
    0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, INFINITY, -INFINITY, NAN, -NAN,
    FLT_MIN, -FLT_MIN, 0x1p-149, -0x1p-149, FLT_MAX, -FLT_MAX, DBL_MIN, 0x1p-1074, -0x1p-1074,
    DBL_MAX, -DBL_MAX, 88.72, -87.3, -103.97, 709.78, -708.4, -745.13, 0.6, -0.6, -0.7517915246,
    14.7, -14.7, 38.75, -38.75, 40.0, -40.0, -130.0, -790.0, 1e-8, -1e-8, 20.0, -20.0, 1e30, -1e30,
};
#define N_SPECIAL (sizeof special_values / sizeof *special_values)

/* Element access through memcpy: the harness itself fills misaligned arrays. */
static double load_real(size_t elem, const void *p, int64_t i) {
    const unsigned char *at = (const unsigned char *)p + i * (int64_t)elem;
    if (elem == 4) {
        float f;
        memcpy(&f, at, 4);
        return f;
    }
    double d;
    memcpy(&d, at, 8);
    return d;
}

static void store_real(size_t elem, void *p, int64_t i, double v) {
    unsigned char *at = (unsigned char *)p + i * (int64_t)elem;
    const float f = (float)v;
    if (elem == 4) memcpy(at, &f, 4);
    else memcpy(at, &v, 8);
}

static int64_t load_i64(const void *p, int64_t i) {
    int64_t v;
    memcpy(&v, (const unsigned char *)p + 8 * i, 8);
    return v;
}

static int64_t add_saturating(int64_t a, int64_t b) {
    if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b) return INT64_MIN;
    return a + b;
}

/* Unit roundoff doubled, smallest denormal and largest finite value of a dtype. */
static double eps_of(size_t elem) { return elem == 4 ? FLT_EPSILON : DBL_EPSILON; }
static double tiny_of(size_t elem) { return elem == 4 ? 0x1p-149 : 0x1p-1074; }
static double huge_of(size_t elem) { return elem == 4 ? FLT_MAX : DBL_MAX; }

/* ---- arrays and where they live ------------------------------------------ */

#define MAX_ARRAYS 17

enum placement { PLACE_OWN, PLACE_NULL, PLACE_MISALIGNED, PLACE_SAME, PLACE_SHIFTED };
enum { ROLE_OUTPUT = 1, ROLE_ATTACHABLE = 2 };

typedef struct {
    const char *name;
    int64_t count;         /* elements the call claims */
    size_t elem;           /* bytes per element */
    int output, attachable;
    enum placement place;
    int partner;           /* PLACE_SAME, PLACE_SHIFTED: an earlier array */
    int64_t offset;        /* bytes: the misalignment, or the shift from the partner */
    size_t bytes;          /* bytes backing it */
    unsigned char *ptr;    /* what the call is given */
    unsigned char *at_call; /* its bytes when the call started */
} array;

/* The shape of a network, as decoded (the arrays hold what the call sees). */
#define MAX_FUZZ_LAYERS 4
#define MAX_DECLARED_LAYERS 65 /* one past the implementation's limit */
typedef struct {
    int n_layers;
    int64_t widths[MAX_DECLARED_LAYERS + 1];
    int acts[MAX_DECLARED_LAYERS];
    double alphas[MAX_DECLARED_LAYERS];
    int softmax_output;
    int64_t params; /* parameter count; -1 if the shape is invalid */
} net_shape;

typedef struct call_spec call_spec;

typedef struct {
    const call_spec *spec;
    int level;
    int dtype, code, log_out;
    double alpha;
    int64_t n, rows, cols, in, out;
    int n_arrays;
    array a[MAX_ARRAYS];
    int n_blocks;
    unsigned char *block[MAX_ARRAYS], *block_at_call[MAX_ARRAYS];
    size_t block_bytes[MAX_ARRAYS];
    /* networks and training */
    net_shape shape;
    int null_struct; /* pn_train / pn_mlp_forward: which struct pointer is NULL (0: none) */
    pn_mlp net;
    pn_train_config config;
    pn_train_data data;
    pn_train_state state, state_at_call;
    pn_recording rec, rec_at_call;
    int64_t epochs;
} call;

/* Declares the next array; its placement comes from the input: own buffer
 * for bytes below own_below, else NULL, misaligned, or (if attachable) the
 * same memory as an earlier array or shifted from it by whole elements. */
static void declare(reader *r, call *c, const char *name, int64_t count, size_t elem, int role, unsigned own_below) {
    const int i = c->n_arrays++;
    array *a = &c->a[i];
    memset(a, 0, sizeof *a);
    a->name = name;
    a->count = count;
    a->elem = elem;
    a->output = (role & ROLE_OUTPUT) != 0;
    a->attachable = (role & ROLE_ATTACHABLE) != 0;
    a->bytes = backed(count) ? (size_t)count * elem : (take_u8(r) % 4) * elem;
    unsigned b = take_u8(r), span = 256 - own_below;
    unsigned kind = b < own_below ? 0 : 1 + (b - own_below) * 4 / span;
    a->place = PLACE_OWN;
    if (kind == 1) a->place = PLACE_NULL;
    else if (kind == 2) {
        a->place = PLACE_MISALIGNED;
        a->offset = 1 + (int64_t)(take_u8(r) % (elem - 1));
    } else if (kind >= 3 && a->attachable && i > 0) {
        a->partner = (int)(take_u8(r) % (unsigned)i);
        a->place = kind == 3 ? PLACE_SAME : PLACE_SHIFTED;
        if (a->place == PLACE_SHIFTED) {
            int k = (int8_t)take_u8(r);
            a->offset = (int64_t)(k ? k : 1) * (int64_t)elem;
        }
    }
}

/* The root of the memory group an array belongs to, and its offset there. */
static int group_of(const call *c, int i, int64_t *offset) {
    const array *a = &c->a[i];
    if ((a->place == PLACE_SAME || a->place == PLACE_SHIFTED) && c->a[a->partner].place != PLACE_NULL) {
        int root = group_of(c, a->partner, offset);
        if (a->place == PLACE_SHIFTED) *offset += a->offset;
        return root;
    }
    *offset = a->place == PLACE_MISALIGNED ? a->offset : 0;
    return i;
}

/* One malloc per group, exactly as large as its members reach; filled with
 * 0xFF bytes (NaN in both dtypes) so that an output left unwritten shows. */
static void place_arrays(call *c) {
    int64_t offset[MAX_ARRAYS];
    int root[MAX_ARRAYS];
    for (int i = 0; i < c->n_arrays; i++) root[i] = c->a[i].place == PLACE_NULL ? -1 : group_of(c, i, &offset[i]);
    for (int g = 0; g < c->n_arrays; g++) {
        int64_t lo = 0, hi = 0;
        int members = 0;
        for (int i = 0; i < c->n_arrays; i++) {
            if (root[i] != g) continue;
            members++;
            lo = offset[i] < lo ? offset[i] : lo;
            hi = offset[i] + (int64_t)c->a[i].bytes > hi ? offset[i] + (int64_t)c->a[i].bytes : hi;
        }
        if (!members) continue;
        unsigned char *block = malloc((size_t)(hi - lo));
        REQUIRE(block || hi == lo, "harness out of memory");
        memset(block, 0xFF, (size_t)(hi - lo));
        c->block[c->n_blocks] = block;
        c->block_bytes[c->n_blocks++] = (size_t)(hi - lo);
        for (int i = 0; i < c->n_arrays; i++)
            if (root[i] == g) c->a[i].ptr = block + (offset[i] - lo);
    }
}

/* Whether the call writes through a's memory (so a const input there may change). */
static int shares_output_memory(const call *c, const array *a) {
    if (!a->ptr || !a->bytes) return 0;
    for (int i = 0; i < c->n_arrays; i++) {
        const array *o = &c->a[i];
        if (o->output && o->ptr && o->bytes && o->ptr < a->ptr + a->bytes && a->ptr < o->ptr + o->bytes) return 1;
    }
    return 0;
}

static int any_attached(const call *c) {
    for (int i = 0; i < c->n_arrays; i++)
        if (c->a[i].place == PLACE_SAME || c->a[i].place == PLACE_SHIFTED) return 1;
    return 0;
}

static unsigned char *copy_of(const void *p, size_t bytes) {
    unsigned char *q = malloc(bytes);
    REQUIRE(q || !bytes, "harness out of memory");
    if (bytes) memcpy(q, p, bytes);
    return q;
}

static void snapshot(call *c) {
    for (int i = 0; i < c->n_arrays; i++)
        if (c->a[i].ptr) c->a[i].at_call = copy_of(c->a[i].ptr, c->a[i].bytes);
    for (int b = 0; b < c->n_blocks; b++) c->block_at_call[b] = copy_of(c->block[b], c->block_bytes[b]);
    c->state_at_call = c->state;
    c->rec_at_call = c->rec;
}

static void release(call *c) {
    for (int i = 0; i < c->n_arrays; i++) free(c->a[i].at_call);
    for (int b = 0; b < c->n_blocks; b++) {
        free(c->block[b]);
        free(c->block_at_call[b]);
    }
}

/* The same call on fresh buffers of its own per array, holding what the
 * original's arrays held when it started (NULL stays NULL). */
static void separate_copy(const call *c, call *copy) {
    *copy = *c;
    copy->n_blocks = 0;
    for (int i = 0; i < c->n_arrays; i++) {
        array *a = &copy->a[i];
        a->place = a->ptr ? PLACE_OWN : PLACE_NULL;
        a->at_call = NULL;
        if (!a->ptr) continue;
        a->ptr = copy_of(c->a[i].at_call, a->bytes);
        copy->block[copy->n_blocks] = a->ptr;
        copy->block_at_call[copy->n_blocks] = NULL;
        copy->block_bytes[copy->n_blocks++] = a->bytes;
    }
}

/* ---- filling inputs --------------------------------------------------------- */

/* Real values by a recipe byte: bits 0-1 choose raw input bytes, uniform
 * values at a scale from the input, random bit patterns (NaN, inf and
 * denormals included) or one special value throughout; bits 2-4 say how
 * many elements are then overwritten by special values. */
static void fill_reals(reader *r, const array *a) {
    if (!a->ptr || !a->bytes) return;
    const int64_t count = (int64_t)(a->bytes / a->elem);
    const unsigned recipe = take_u8(r);
    uint64_t rng = take_le(r, 4);
    switch (recipe & 3) {
    case 0: {
        size_t avail = r->size - (r->pos < r->size ? r->pos : r->size);
        size_t used = avail < a->bytes ? avail : a->bytes;
        for (size_t i = 0; i < a->bytes; i++) a->ptr[i] = used ? r->data[r->pos + i % used] : 0;
        r->pos += used;
        break;
    }
    case 1: {
        double scale = ldexp(1.0, (int)(take_u8(r) % 48) - 24);
        for (int64_t i = 0; i < count; i++)
            store_real(a->elem, a->ptr, i, ((double)(splitmix64(&rng) >> 11) * 0x1p-52 - 1.0) * scale);
        break;
    }
    case 2:
        for (int64_t i = 0; i < count; i++) {
            uint64_t bits = splitmix64(&rng);
            memcpy(a->ptr + i * (int64_t)a->elem, &bits, a->elem);
        }
        break;
    default: {
        double v = special_values[take_u8(r) % N_SPECIAL];
        for (int64_t i = 0; i < count; i++) store_real(a->elem, a->ptr, i, v);
    }
    }
    for (unsigned k = (recipe >> 2) & 7; k > 0; k--) {
        int64_t i = (int64_t)(take_le(r, 2) % (uint64_t)count);
        store_real(a->elem, a->ptr, i, special_values[take_u8(r) % N_SPECIAL]);
    }
}

/* Class labels: in [0, classes) but for bytes 0xF0..0xFF, which give ones outside. */
static void fill_labels(reader *r, const array *a, int64_t classes) {
    if (!a->ptr) return;
    const int64_t outside[] = {-1, classes, add_saturating(classes, 1), INT64_MIN, INT64_MAX};
    for (int64_t i = 0; i < (int64_t)(a->bytes / 8); i++) {
        unsigned b = take_u8(r);
        int64_t label = b < 0xF0 ? (classes > 0 ? (int64_t)b % classes : 0) : outside[b % 5];
        memcpy(a->ptr + 8 * i, &label, 8);
    }
}

/* Every input of a call whose inputs are all real arrays; an output that
 * shares an input's memory keeps the input's values. */
static void fill_real_inputs(reader *r, call *c) {
    for (int i = 0; i < c->n_arrays; i++)
        if (!c->a[i].output) fill_reals(r, &c->a[i]);
}

/* ---- what the header requires of a call's status ------------------------ */

#define STATUS_BIT(s) (1u << (s))

/* must: rules the arguments break (any of them may be named); may: codes
 * the header leaves open (an exact alias it does not mention, a limit of
 * the implementation); midway: codes that end a call after it has changed
 * state (training's divergence or a schedule that goes back in time). */
typedef struct {
    uint32_t must, may, midway;
} verdict;

/* The codes of a mask, by name, for reports. */
typedef struct {
    char text[128];
} status_list;
static status_list status_names(uint32_t mask) {
    static const char *const names[] = {"OK", "NULL", "SIZE", "OVERFLOW", "DTYPE", "OP", "ARG",
                                        "SIMD", "NOMEM", "LABEL", "DIVERGED", "ALIGN"};
    status_list l = {" (none)"};
    for (unsigned s = 0, used = 0; s < sizeof names / sizeof *names; s++)
        if (mask >> s & 1) used += (unsigned)snprintf(l.text + used, sizeof l.text - used, " %s", names[s]);
    return l;
}

static void refuse(verdict *v, pn_status s) { v->must |= STATUS_BIT(s); }
static void allow(verdict *v, pn_status s) { v->may |= STATUS_BIT(s); }

static void expect_count(verdict *v, int64_t count, size_t elem) {
    if (count < 0) refuse(v, PN_ERR_SIZE);
    else if ((uint64_t)count > (uint64_t)PTRDIFF_MAX / elem) refuse(v, PN_ERR_OVERFLOW);
}

static void expect_matrix(verdict *v, int64_t rows, int64_t cols, size_t elem) {
    if (rows < 0 || cols < 0) refuse(v, PN_ERR_SIZE);
    else expect_count(v, product(rows, cols), elem);
}

static int misaligned(const array *a) { return a->ptr && (uintptr_t)a->ptr % a->elem; }

/* A non-empty array must be given, aligned to its element size. */
static void expect_present(verdict *v, const array *a) {
    if (a->count <= 0) return;
    if (!a->ptr) refuse(v, PN_ERR_NULL);
    else if (misaligned(a)) refuse(v, PN_ERR_ALIGN);
}

enum alias_rule { ALIAS_ALLOWED, ALIAS_UNSPECIFIED, ALIAS_FORBIDDEN };

/* An output may share no byte with an input, except by being exactly it
 * where the rule allows (or the header does not say). */
static void expect_apart(verdict *v, const array *out, const array *in, enum alias_rule rule) {
    if (!out->ptr || !in->ptr || !backed(out->count) || !backed(in->count) || !out->count || !in->count) return;
    const uintptr_t o = (uintptr_t)out->ptr, i = (uintptr_t)in->ptr;
    const size_t nb_out = (size_t)out->count * out->elem, nb_in = (size_t)in->count * in->elem;
    if (o == i && nb_out == nb_in) {
        if (rule == ALIAS_FORBIDDEN) refuse(v, PN_ERR_ARG);
        else if (rule == ALIAS_UNSPECIFIED) allow(v, PN_ERR_ARG);
    } else if (o < i + nb_in && i < o + nb_out) {
        refuse(v, PN_ERR_ARG);
    }
}

static int known_status(pn_status st) { return st >= PN_OK && st <= PN_ERR_ALIGN; }

static void expect_status(pn_status st, verdict v) {
    REQUIRE(known_status(st), "status %d", (int)st);
    if (v.must)
        REQUIRE(st != PN_OK && ((v.must | v.may) & STATUS_BIT(st)), "status%s; a refusal expected:%s; also allowed:%s",
                status_names(STATUS_BIT(st)).text, status_names(v.must).text, status_names(v.may).text);
    else
        REQUIRE(st == PN_OK || ((v.may | v.midway) & STATUS_BIT(st)), "status%s for a valid call; allowed:%s",
                status_names(STATUS_BIT(st)).text, status_names(v.may | v.midway).text);
}

/* ---- comparing results ------------------------------------------------------ */

/* Distance in representable values (so FLT_MAX and inf are 1 apart). */
static uint64_t ulp_distance(size_t elem, const void *a, const void *b, int64_t i) {
    if (elem == 4) {
        int32_t x, y;
        memcpy(&x, (const float *)a + i, 4);
        memcpy(&y, (const float *)b + i, 4);
        int64_t ox = x < 0 ? (int64_t)INT32_MIN - x : x, oy = y < 0 ? (int64_t)INT32_MIN - y : y;
        return (uint64_t)(ox > oy ? ox - oy : oy - ox);
    }
    int64_t x, y;
    memcpy(&x, (const double *)a + i, 8);
    memcpy(&y, (const double *)b + i, 8);
    __int128 ox = x < 0 ? (__int128)INT64_MIN - x : x, oy = y < 0 ? (__int128)INT64_MIN - y : y;
    return (uint64_t)(ox > oy ? ox - oy : oy - ox);
}

/* Two results agree: both NaN, within `ulps`, or |a - b| <= atol (times
 * |scale_by[i]|, the input array of that index, when scale_by >= 0). */
typedef struct {
    uint64_t ulps;
    double atol;
    int scale_by;
} tolerance;

static void require_agreement(const call *c, const call *other, tolerance tol) {
    for (int k = 0; k < c->n_arrays; k++) {
        const array *a = &c->a[k], *b = &other->a[k];
        if (!a->output || !a->ptr || !backed(a->count)) continue;
        for (int64_t i = 0; i < a->count; i++) {
            double x = load_real(a->elem, a->ptr, i), y = load_real(b->elem, b->ptr, i);
            const array *s = tol.scale_by >= 0 ? &c->a[tol.scale_by] : NULL;
            const double atol = s ? tol.atol * fabs(load_real(s->elem, s->at_call, i)) : tol.atol;
            if (isnan(x) || isnan(y)) {
                REQUIRE(isnan(x) && isnan(y), "%s[%lld]: %a at level %d, %a at level %d", a->name,
                        (long long)i, x, c->level, y, other->level);
                continue;
            }
            REQUIRE(ulp_distance(a->elem, a->ptr, b->ptr, i) <= tol.ulps || fabs(x - y) <= atol,
                    "%s[%lld]: %a at level %d, %a at level %d (%llu ulp; allowed %llu or %g)", a->name,
                    (long long)i, x, c->level, y, other->level,
                    (unsigned long long)ulp_distance(a->elem, a->ptr, b->ptr, i), (unsigned long long)tol.ulps, atol);
        }
    }
}

static void require_identical_outputs(const call *c, const call *other, const char *why) {
    for (int k = 0; k < c->n_arrays; k++) {
        const array *a = &c->a[k];
        if (!a->output || !a->ptr) continue;
        for (size_t i = 0; i < a->bytes; i += a->elem)
            REQUIRE(!memcmp(a->ptr + i, other->a[k].ptr + i, a->elem), "%s[%zu] differs %s: %a vs %a", a->name,
                    i / a->elem, why, load_real(a->elem, a->ptr, (int64_t)(i / a->elem)),
                    load_real(a->elem, other->a[k].ptr, (int64_t)(i / a->elem)));
    }
}

/* |got - ref| within rtol * scale + atol, where scale bounds the magnitude
 * of every term that went into ref (the error bound of a sum; 0 when all
 * were exactly 0, whatever rtol), plus the rounding of the result to the
 * dtype's grid of denormals.  Skipped where the terms overflow, or the
 * bound does. */
static void require_near(const array *a, int64_t i, double got, long double ref, long double scale,
                         double rtol, double atol) {
    if (!isfinite((double)scale) || scale > huge_of(a->elem) / 4) return;
    const long double bound = (scale != 0 ? rtol * scale : 0) + atol + tiny_of(a->elem);
    if (!isfinite((double)bound)) return;
    REQUIRE(fabsl((long double)got - ref) <= bound, "%s[%lld] = %a, expected %La (error bound %Lg)", a->name,
            (long long)i, got, ref, bound);
}

/* ---- the calls ----------------------------------------------------------------- */

struct call_spec {
    const char *name;
    void (*decode)(reader *r, call *c);   /* scalars, then the arrays and their placement */
    void (*fill)(reader *r, call *c);     /* the inputs' contents, once placed */
    pn_status (*invoke)(call *c);
    verdict (*expect)(const call *c);
    void (*check)(const call *c, pn_status st); /* after a call that was not refused */
    int (*agreement)(const call *c, tolerance *tol); /* between SIMD levels; 0: not compared */
};

static int best_level(void) {
    int mask = pn_simd_supported(), best = PN_SIMD_BASELINE;
    for (int l = 0; l < PN_SIMD_COUNT; l++)
        if (mask & (1 << l)) best = l;
    return best;
}

/* Baseline against the vector code, the vector code against baseline. */
static int other_level(int level) { return level == PN_SIMD_BASELINE ? best_level() : PN_SIMD_BASELINE; }

static pn_status invoke_at(call *c, int level) {
    REQUIRE(pn_simd_set(level) == PN_OK, "level %d", level);
    pn_status st = c->spec->invoke(c);
    REQUIRE(pn_simd_set(c->level) == PN_OK, "level %d", c->level);
    return st;
}

static const call *current; /* for describe_arrays */

static void describe_arrays(void) {
    static const char *const places[] = {"own", "NULL", "misaligned", "same as", "shifted from"};
    for (int i = 0; current && i < current->n_arrays; i++) {
        const array *a = &current->a[i];
        fprintf(stderr, "  %-12s %lld x %zu bytes, %s", a->name, (long long)a->count, a->elem, places[a->place]);
        if (a->place == PLACE_SAME || a->place == PLACE_SHIFTED) fprintf(stderr, " %s", current->a[a->partner].name);
        if (a->place == PLACE_MISALIGNED || a->place == PLACE_SHIFTED) fprintf(stderr, " by %lld bytes", (long long)a->offset);
        fprintf(stderr, " at %p (%zu bytes backed)\n", (void *)a->ptr, a->bytes);
    }
}

static void run_call(reader *r, const call_spec *spec) {
    call *c = calloc(1, sizeof *c);
    REQUIRE(c, "harness out of memory");
    current = c;
    c->spec = spec;
    c->level = pn_simd_get();
    spec->decode(r, c);
    place_arrays(c);
    spec->fill(r, c);
    snapshot(c);
    snprintf(current_call, sizeof current_call,
             "%s(dtype %d, code %d, n %lld, rows %lld, cols %lld, in %lld, out %lld) at SIMD level %d", spec->name,
             c->dtype, c->code, (long long)c->n, (long long)c->rows, (long long)c->cols, (long long)c->in,
             (long long)c->out, c->level);
    const verdict v = spec->expect(c);
    const pn_status st = spec->invoke(c);
    expect_status(st, v);
    if (st != PN_OK && !(v.must == 0 && (v.midway & STATUS_BIT(st)))) {
        for (int b = 0; b < c->n_blocks; b++)
            REQUIRE(!memcmp(c->block[b], c->block_at_call[b], c->block_bytes[b]), "refused (%d) but wrote memory",
                    (int)st);
        REQUIRE(!memcmp(&c->state, &c->state_at_call, sizeof c->state) &&
                    !memcmp(&c->rec, &c->rec_at_call, sizeof c->rec),
                "refused (%d) but changed the training state or recording", (int)st);
    } else {
        for (int i = 0; i < c->n_arrays; i++) {
            const array *a = &c->a[i];
            if (!a->output && a->ptr && !shares_output_memory(c, a))
                REQUIRE(!memcmp(a->ptr, a->at_call, a->bytes), "const input %s changed", a->name);
        }
        if (spec->check) spec->check(c, st);
        tolerance tol;
        call other;
        if (st == PN_OK && any_attached(c)) {
            separate_copy(c, &other);
            REQUIRE(invoke_at(&other, c->level) == PN_OK, "fails on separate buffers");
            require_identical_outputs(c, &other, "between shared and separate buffers");
            release(&other);
        }
        const int level = other_level(c->level);
        if (st == PN_OK && spec->agreement && level != c->level && spec->agreement(c, &tol)) {
            separate_copy(c, &other);
            other.level = level;
            REQUIRE(invoke_at(&other, level) == PN_OK, "fails at level %d", level);
            require_agreement(c, &other, tol);
            release(&other);
        }
    }
    release(c);
    free(c);
    current = NULL;
}

/* ---- activations ------------------------------------------------------------- */

enum { ACT_X, ACT_Y };            /* pn_act_forward */
enum { ACTB_X, ACTB_DY, ACTB_DX }; /* pn_act_backward */

static void decode_act(reader *r, call *c, int backward) {
    c->code = take_code(r, PN_ACT_COUNT);
    c->dtype = take_dtype(r);
    c->alpha = take_real(r);
    c->n = take_count(r, MAX_ELEMS);
    const size_t es = elem_of(c->dtype);
    declare(r, c, "x", c->n, es, 0, 0xD0);
    if (backward) declare(r, c, "dy", c->n, es, ROLE_ATTACHABLE, 0xD0);
    declare(r, c, backward ? "dx" : "y", c->n, es, ROLE_OUTPUT | ROLE_ATTACHABLE, 0xD0);
}
static void decode_act_forward(reader *r, call *c) { decode_act(r, c, 0); }
static void decode_act_backward(reader *r, call *c) { decode_act(r, c, 1); }

static pn_status invoke_act_forward(call *c) {
    return pn_act_forward(c->code, c->dtype, c->a[ACT_X].ptr, c->a[ACT_Y].ptr, c->n, c->alpha);
}
static pn_status invoke_act_backward(call *c) {
    return pn_act_backward(c->code, c->dtype, c->a[ACTB_X].ptr, c->a[ACTB_DY].ptr, c->a[ACTB_DX].ptr, c->n,
                           c->alpha);
}

/* Shared by every call over n elements of one dtype with the outputs last. */
static verdict expect_elementwise(const call *c, int code_count) {
    verdict v = {0};
    if (!valid_dtype(c->dtype)) refuse(&v, PN_ERR_DTYPE);
    if (c->code < 0 || c->code >= code_count) refuse(&v, PN_ERR_OP);
    expect_count(&v, c->n, elem_of(c->dtype));
    for (int i = 0; i < c->n_arrays; i++) expect_present(&v, &c->a[i]);
    return v;
}

static verdict expect_act_forward(const call *c) {
    verdict v = expect_elementwise(c, PN_ACT_COUNT);
    expect_apart(&v, &c->a[ACT_Y], &c->a[ACT_X], ALIAS_ALLOWED);
    return v;
}
static verdict expect_act_backward(const call *c) {
    verdict v = expect_elementwise(c, PN_ACT_COUNT);
    expect_apart(&v, &c->a[ACTB_DX], &c->a[ACTB_X], ALIAS_ALLOWED);
    expect_apart(&v, &c->a[ACTB_DX], &c->a[ACTB_DY], ALIAS_ALLOWED);
    return v;
}

static int same_value(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

/* alpha * v as the kernel's dtype computes it: both rounded to the dtype first. */
static double scaled_in_dtype(size_t elem, double alpha, double v) {
    return elem == 4 ? (double)((float)alpha * (float)v) : alpha * v;
}

/* ReLU and leaky ReLU pass or scale their input: exact results.  A
 * derivative picks dy, scaled likewise. */
static double relu_like(const call *c, double x, double pass) {
    if (x > 0) return pass;
    return c->code == PN_ACT_RELU ? 0.0 : scaled_in_dtype(c->a[0].elem, c->alpha, pass);
}

static void check_act_forward(const call *c, pn_status st) {
    const array *x = &c->a[ACT_X], *y = &c->a[ACT_Y];
    for (int64_t i = 0; i < c->n; i++) {
        const double xi = load_real(x->elem, x->at_call, i), yi = load_real(y->elem, y->ptr, i);
        switch (c->code) {
        case PN_ACT_IDENTITY:
            REQUIRE(!memcmp(y->ptr + i * (int64_t)y->elem, x->at_call + i * (int64_t)x->elem, x->elem),
                    "identity changed x[%lld] = %a into %a", (long long)i, xi, yi);
            break;
        case PN_ACT_RELU:
        case PN_ACT_LEAKY_RELU:
            REQUIRE(isnan(xi) || same_value(yi, relu_like(c, xi, xi)), "y[%lld] = %a for x = %a, alpha %a",
                    (long long)i, yi, xi, c->alpha);
            break;
        case PN_ACT_SIGMOID:
            REQUIRE(isnan(yi) || (yi >= 0 && yi <= 1), "sigmoid(%a) = %a", xi, yi);
            break;
        case PN_ACT_TANH:
            REQUIRE(isnan(yi) || (yi >= -1 && yi <= 1), "tanh(%a) = %a", xi, yi);
            break;
        case PN_ACT_SOFTPLUS:
            REQUIRE(isnan(yi) || yi >= 0, "softplus(%a) = %a", xi, yi);
            break;
        }
        /* Without alpha every activation is defined on all of [-inf, inf]
         * (the header's NaN propagation, and nothing else gives NaN). */
        if (c->code != PN_ACT_LEAKY_RELU && c->code != PN_ACT_ELU)
            REQUIRE(!isnan(yi) == !isnan(xi), "act %d: x[%lld] = %a gives %a", c->code, (long long)i, xi, yi);
    }
}

static void check_act_backward(const call *c, pn_status st) {
    const array *x = &c->a[ACTB_X], *dy = &c->a[ACTB_DY], *dx = &c->a[ACTB_DX];
    if (c->code != PN_ACT_IDENTITY && c->code != PN_ACT_RELU && c->code != PN_ACT_LEAKY_RELU) return;
    for (int64_t i = 0; i < c->n; i++) {
        const double xi = load_real(x->elem, x->at_call, i), gi = load_real(dy->elem, dy->at_call, i);
        const double got = load_real(dx->elem, dx->ptr, i);
        const double want = c->code == PN_ACT_IDENTITY ? gi : relu_like(c, xi, gi);
        REQUIRE(same_value(got, want), "dx[%lld] = %a for x = %a, dy = %a, alpha %a", (long long)i, got, xi, gi,
                c->alpha);
    }
}

/* Every level is within 4 ulp of the exact activation (tests/test_accuracy.py).
 * Derivatives are sums of terms of magnitude <= 1.2 (alpha for ELU), which
 * cancel near a root (tanh-GELU's and SiLU's), so there only an absolute
 * bound holds: a few ulp of those terms, times dy. */
static int act_forward_agreement(const call *c, tolerance *tol) {
    *tol = (tolerance){.ulps = 16, .atol = 0, .scale_by = -1};
    return 1;
}
static int act_backward_agreement(const call *c, tolerance *tol) {
    *tol = (tolerance){.ulps = 16, .atol = 16 * eps_of(elem_of(c->dtype)) * fmax(2, fabs(c->alpha)), .scale_by = ACTB_DY};
    return 1;
}

/* ---- softmax ----------------------------------------------------------------- */

enum { SM_X, SM_Y };              /* pn_softmax */
enum { SMB_X, SMB_DY, SMB_DX };   /* pn_softmax_backward */

static void decode_softmax(reader *r, call *c, int backward) {
    const int log_flags[] = {0, 1, 0, -1, 2, INT_MIN};
    c->dtype = take_dtype(r);
    c->log_out = log_flags[take_u8(r) % 6];
    c->rows = take_count(r, MAX_ELEMS);
    c->cols = take_count(r, MAX_ELEMS);
    limit_product(&c->rows, c->cols, MAX_ELEMS);
    const int64_t count = product(c->rows, c->cols);
    const size_t es = elem_of(c->dtype);
    declare(r, c, "x", count, es, 0, 0xD0);
    if (backward) declare(r, c, "dy", count, es, ROLE_ATTACHABLE, 0xD0);
    declare(r, c, backward ? "dx" : "y", count, es, ROLE_OUTPUT | ROLE_ATTACHABLE, 0xD0);
}
static void decode_softmax_forward(reader *r, call *c) { decode_softmax(r, c, 0); }
static void decode_softmax_backward(reader *r, call *c) { decode_softmax(r, c, 1); }

static pn_status invoke_softmax(call *c) {
    return pn_softmax(c->dtype, c->log_out, c->a[SM_X].ptr, c->a[SM_Y].ptr, c->rows, c->cols);
}
static pn_status invoke_softmax_backward(call *c) {
    return pn_softmax_backward(c->dtype, c->log_out, c->a[SMB_X].ptr, c->a[SMB_DY].ptr, c->a[SMB_DX].ptr, c->rows,
                               c->cols);
}

static verdict expect_rows(const call *c) {
    verdict v = {0};
    if (!valid_dtype(c->dtype)) refuse(&v, PN_ERR_DTYPE);
    expect_matrix(&v, c->rows, c->cols, elem_of(c->dtype));
    for (int i = 0; i < c->n_arrays; i++) expect_present(&v, &c->a[i]);
    return v;
}
static verdict expect_softmax(const call *c) {
    verdict v = expect_rows(c);
    expect_apart(&v, &c->a[SM_Y], &c->a[SM_X], ALIAS_ALLOWED);
    return v;
}
static verdict expect_softmax_backward(const call *c) {
    verdict v = expect_rows(c);
    expect_apart(&v, &c->a[SMB_DX], &c->a[SMB_X], ALIAS_FORBIDDEN);
    expect_apart(&v, &c->a[SMB_DX], &c->a[SMB_DY], ALIAS_ALLOWED);
    return v;
}

/* A row's max m and sum of e^(x - m), in long double.  Returns 0 unless the
 * row is one the softmax is defined on: no NaN or +inf, a finite max. */
static int row_softmax_parts(const array *x, int64_t row, int64_t cols, long double *m, long double *s) {
    *m = -INFINITY;
    for (int64_t j = 0; j < cols; j++) {
        double v = load_real(x->elem, x->at_call, row * cols + j);
        if (isnan(v) || v == INFINITY) return 0;
        if (v > *m) *m = v;
    }
    if (!isfinite((double)*m)) return 0;
    *s = 0;
    for (int64_t j = 0; j < cols; j++) *s += expl(load_real(x->elem, x->at_call, row * cols + j) - *m);
    return 1;
}

static int row_has_nan(const array *x, int64_t row, int64_t cols) {
    for (int64_t j = 0; j < cols; j++)
        if (isnan(load_real(x->elem, x->at_call, row * cols + j))) return 1;
    return 0;
}

/* The error bound's scale for element j: the row's sums (cols terms) and
 * e^(x - m), whose condition number is |x - m|. */
static double softmax_rtol(const array *x, int64_t cols, long double x_minus_m) {
    return (double)((cols + 16 + fabsl(x_minus_m)) * eps_of(x->elem));
}

static void check_softmax(const call *c, pn_status st) {
    const array *x = &c->a[SM_X], *y = &c->a[SM_Y];
    for (int64_t r = 0; c->cols && r < c->rows; r++) { /* rows may be huge when cols is 0 */
        long double m, s;
        if (!row_softmax_parts(x, r, c->cols, &m, &s)) {
            const int nan_row = row_has_nan(x, r, c->cols);
            for (int64_t j = 0; j < c->cols && nan_row; j++)
                REQUIRE(isnan(load_real(y->elem, y->ptr, r * c->cols + j)), "row %lld has a NaN, y[%lld] does not",
                        (long long)r, (long long)j);
            continue;
        }
        for (int64_t j = 0; j < c->cols; j++) {
            const int64_t i = r * c->cols + j;
            const long double d = load_real(x->elem, x->at_call, i) - m;
            const double got = load_real(y->elem, y->ptr, i), rtol = softmax_rtol(x, c->cols, d);
            if (c->log_out) {
                REQUIRE(got <= 0, "log-softmax y[%lld] = %a > 0", (long long)i, got);
                require_near(y, i, got, d - logl(s), fabsl(d) + logl(s) + 1, rtol, 0);
            } else {
                REQUIRE(got >= 0 && got <= 1, "softmax y[%lld] = %a", (long long)i, got);
                require_near(y, i, got, expl(d) / s, expl(d) / s, rtol, 2 * tiny_of(y->elem));
            }
        }
    }
}

/* softmax: dx = y (dy - sum(dy y));  log-softmax: dx = dy - y sum(dy). */
static void check_softmax_backward(const call *c, pn_status st) {
    const array *x = &c->a[SMB_X], *dy = &c->a[SMB_DY], *dx = &c->a[SMB_DX];
    for (int64_t r = 0; c->cols && r < c->rows; r++) {
        long double m, s, weighted = 0, weighted_abs = 0, total = 0, total_abs = 0;
        if (!row_softmax_parts(x, r, c->cols, &m, &s)) continue;
        int finite = 1;
        for (int64_t j = 0; j < c->cols; j++) {
            const int64_t i = r * c->cols + j;
            const long double yj = expl(load_real(x->elem, x->at_call, i) - m) / s;
            const double g = load_real(dy->elem, dy->at_call, i);
            finite &= isfinite(g);
            weighted += g * yj;
            weighted_abs += fabsl(g * yj);
            total += g;
            total_abs += fabs(g);
        }
        if (!finite) continue;
        for (int64_t j = 0; j < c->cols; j++) {
            const int64_t i = r * c->cols + j;
            const long double d = load_real(x->elem, x->at_call, i) - m, yj = expl(d) / s;
            const double g = load_real(dy->elem, dy->at_call, i), got = load_real(dx->elem, dx->ptr, i);
            const long double ref = c->log_out ? g - yj * total : yj * (g - weighted);
            if (fabsl(ref) > huge_of(dx->elem) / 4) continue; /* may round to inf */
            const long double scale = c->log_out ? fabs(g) + yj * total_abs : yj * (fabs(g) + weighted_abs);
            require_near(dx, i, got, ref, scale, softmax_rtol(x, c->cols, d),
                         4 * tiny_of(dx->elem) * (double)(fabs(g) + total_abs));
        }
    }
}

/* ---- dense layer ------------------------------------------------------------- */

enum { DF_X, DF_W, DF_B, DF_Y };                   /* pn_dense_forward */
enum { DB_X, DB_W, DB_DY, DB_DX, DB_DW, DB_DB };   /* pn_dense_backward */

static void decode_dense_sizes(reader *r, call *c) {
    c->dtype = take_dtype(r);
    c->n = take_count(r, 300);
    c->in = take_count(r, 1100);
    c->out = take_count(r, 1100);
    limit_product(&c->in, c->n, MAX_MATRIX);
    limit_product(&c->out, c->in, MAX_MATRIX);
    limit_product(&c->out, c->n, MAX_MATRIX);
}

static void decode_dense_forward(reader *r, call *c) {
    decode_dense_sizes(r, c);
    const size_t es = elem_of(c->dtype);
    declare(r, c, "x", product(c->n, c->in), es, 0, 0xD0);
    declare(r, c, "W", product(c->in, c->out), es, ROLE_ATTACHABLE, 0xD0);
    declare(r, c, "b", c->out, es, ROLE_ATTACHABLE, 0xD0);
    declare(r, c, "y", product(c->n, c->out), es, ROLE_OUTPUT | ROLE_ATTACHABLE, 0xD0);
}

static void decode_dense_backward(reader *r, call *c) {
    decode_dense_sizes(r, c);
    const size_t es = elem_of(c->dtype);
    declare(r, c, "x", product(c->n, c->in), es, 0, 0xD0);
    declare(r, c, "W", product(c->in, c->out), es, ROLE_ATTACHABLE, 0xD0);
    declare(r, c, "dy", product(c->n, c->out), es, ROLE_ATTACHABLE, 0xD0);
    declare(r, c, "dx", product(c->n, c->in), es, ROLE_OUTPUT | ROLE_ATTACHABLE, 0xD0);
    declare(r, c, "dW", product(c->in, c->out), es, ROLE_OUTPUT | ROLE_ATTACHABLE, 0xD0);
    declare(r, c, "db", c->out, es, ROLE_OUTPUT | ROLE_ATTACHABLE, 0xD0);
}

static pn_status invoke_dense_forward(call *c) {
    return pn_dense_forward(c->dtype, c->a[DF_X].ptr, c->a[DF_W].ptr, c->a[DF_B].ptr, c->a[DF_Y].ptr, c->n, c->in,
                            c->out);
}
static pn_status invoke_dense_backward(call *c) {
    return pn_dense_backward(c->dtype, c->a[DB_X].ptr, c->a[DB_W].ptr, c->a[DB_DY].ptr, c->a[DB_DX].ptr,
                             c->a[DB_DW].ptr, c->a[DB_DB].ptr, c->n, c->in, c->out);
}

static verdict expect_dense_sizes(const call *c) {
    verdict v = {0};
    const size_t es = elem_of(c->dtype);
    if (!valid_dtype(c->dtype)) refuse(&v, PN_ERR_DTYPE);
    expect_matrix(&v, c->n, c->in, es);
    expect_matrix(&v, c->in, c->out, es);
    expect_matrix(&v, c->n, c->out, es);
    return v;
}

/* b and the backward outputs are optional: NULL means none; one given has
 * the bytes of its count (b and db: out elements, even when n and in are 0). */
static void expect_optional(verdict *v, const array *a) {
    if (!a->ptr) return;
    expect_count(v, a->count, a->elem);
    expect_present(v, a);
}

static verdict expect_dense_forward(const call *c) {
    verdict v = expect_dense_sizes(c);
    expect_present(&v, &c->a[DF_X]);
    expect_present(&v, &c->a[DF_W]);
    expect_optional(&v, &c->a[DF_B]);
    expect_present(&v, &c->a[DF_Y]);
    for (int i = DF_X; i <= DF_B; i++) expect_apart(&v, &c->a[DF_Y], &c->a[i], ALIAS_FORBIDDEN);
    return v;
}

static verdict expect_dense_backward(const call *c) {
    verdict v = expect_dense_sizes(c);
    for (int i = DB_X; i <= DB_DY; i++) expect_present(&v, &c->a[i]);
    for (int o = DB_DX; o <= DB_DB; o++) {
        expect_optional(&v, &c->a[o]);
        for (int i = DB_X; i < o; i++) expect_apart(&v, &c->a[o], &c->a[i], ALIAS_FORBIDDEN);
    }
    return v;
}

/* out (M x N) = A B (+ bias), A(i, k) = A[i*rsa + k*csa] (A NULL: all ones),
 * B(k, j) = B[k*rsb + j*csb]: each element within the error bound of a
 * K-term sum of its terms' magnitudes.  Elements fed by inf or NaN are
 * skipped (as are outputs the call did not ask for). */
static void check_product(const array *out, const array *A, int64_t rsa, int64_t csa, const array *B, int64_t rsb,
                          int64_t csb, const array *bias, int64_t M, int64_t N, int64_t K) {
    if (!out->ptr || !product(M, N)) return; /* one of M, N may be huge when the other is 0 */
    const size_t es = out->elem;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            const double b = bias && bias->ptr ? load_real(es, bias->at_call, j) : 0.0;
            long double sum = b, scale = fabs(b);
            int finite = isfinite(b);
            for (int64_t k = 0; k < K; k++) {
                const double a = A ? load_real(es, A->at_call, i * rsa + k * csa) : 1.0;
                const double w = load_real(es, B->at_call, k * rsb + j * csb);
                finite &= isfinite(a) && isfinite(w);
                sum += (long double)a * w;
                scale += fabsl((long double)a * w);
            }
            if (!finite) continue;
            require_near(out, i * N + j, load_real(es, out->ptr, i * N + j), sum, scale, (double)(K + 8) * eps_of(es),
                         (double)(K + 1) * tiny_of(es));
        }
}

static void check_dense_forward(const call *c, pn_status st) {
    check_product(&c->a[DF_Y], &c->a[DF_X], c->in, 1, &c->a[DF_W], c->out, 1, &c->a[DF_B], c->n, c->out, c->in);
    /* no inputs: every row is exactly the bias (x W is all zeros), or zeros without one */
    const array *y = &c->a[DF_Y], *b = &c->a[DF_B];
    for (int64_t i = 0; c->in == 0 && c->out && i < c->n; i++)
        for (int64_t j = 0; j < c->out; j++) {
            const double got = load_real(y->elem, y->ptr, i * c->out + j);
            const double want = b->ptr ? load_real(b->elem, b->at_call, j) : 0.0;
            REQUIRE(same_value(got, want), "y[%lld][%lld] = %a with no inputs, bias %a", (long long)i, (long long)j,
                    got, want);
        }
}

/* dx = dy W^T, dW = x^T dy, db = column sums of dy. */
static void check_dense_backward(const call *c, pn_status st) {
    const array *x = &c->a[DB_X], *W = &c->a[DB_W], *dy = &c->a[DB_DY];
    check_product(&c->a[DB_DX], dy, c->out, 1, W, 1, c->out, NULL, c->n, c->in, c->out);
    check_product(&c->a[DB_DW], x, 1, c->in, dy, c->out, 1, NULL, c->in, c->out, c->n);
    check_product(&c->a[DB_DB], NULL, 0, 0, dy, c->out, 1, NULL, 1, c->out, c->n);
}

/* ---- losses ------------------------------------------------------------------ */

enum { LOSS_PRED, LOSS_TARGET, LOSS_RESULT };  /* pn_loss */
enum { LOSSB_PRED, LOSSB_TARGET, LOSSB_GRAD }; /* pn_loss_backward */

static void decode_loss(reader *r, call *c, int backward) {
    c->code = take_code(r, PN_LOSS_COUNT);
    c->dtype = take_dtype(r);
    c->n = take_count(r, MAX_ELEMS);
    const size_t es = elem_of(c->dtype);
    declare(r, c, "pred", c->n, es, 0, 0xD0);
    declare(r, c, "target", c->n, es, ROLE_ATTACHABLE, 0xD0);
    if (backward) declare(r, c, "grad", c->n, es, ROLE_OUTPUT | ROLE_ATTACHABLE, 0xD0);
    else declare(r, c, "result", 1, sizeof(double), ROLE_OUTPUT, 0xD0);
}
static void decode_loss_forward(reader *r, call *c) { decode_loss(r, c, 0); }
static void decode_loss_backward(reader *r, call *c) { decode_loss(r, c, 1); }

static pn_status invoke_loss(call *c) {
    return pn_loss(c->code, c->dtype, c->a[LOSS_PRED].ptr, c->a[LOSS_TARGET].ptr, c->n,
                   (double *)c->a[LOSS_RESULT].ptr);
}
static pn_status invoke_loss_backward(call *c) {
    return pn_loss_backward(c->code, c->dtype, c->a[LOSSB_PRED].ptr, c->a[LOSSB_TARGET].ptr, c->a[LOSSB_GRAD].ptr,
                            c->n);
}

/* A result written through a double *: given and aligned. */
static void expect_result(verdict *v, const array *result) {
    if (!result->ptr) refuse(v, PN_ERR_NULL);
    else if (misaligned(result)) refuse(v, PN_ERR_ALIGN);
}

static verdict expect_loss(const call *c) {
    verdict v = {0};
    if (!valid_dtype(c->dtype)) refuse(&v, PN_ERR_DTYPE);
    if (c->code < 0 || c->code >= PN_LOSS_COUNT) refuse(&v, PN_ERR_OP);
    expect_count(&v, c->n, elem_of(c->dtype));
    expect_present(&v, &c->a[LOSS_PRED]);
    expect_present(&v, &c->a[LOSS_TARGET]);
    expect_result(&v, &c->a[LOSS_RESULT]);
    return v;
}
static verdict expect_loss_backward(const call *c) {
    verdict v = expect_elementwise(c, PN_LOSS_COUNT);
    expect_apart(&v, &c->a[LOSSB_GRAD], &c->a[LOSSB_PRED], ALIAS_ALLOWED);
    expect_apart(&v, &c->a[LOSSB_GRAD], &c->a[LOSSB_TARGET], ALIAS_UNSPECIFIED);
    return v;
}

/* One element's loss term in long double, and the magnitude of its parts
 * (the scale of its rounding error).  BCE as PyTorch: logs clamped at -100. */
static long double loss_term(int kind, size_t es, double p, double t, long double *scale) {
    switch (kind) {
    case PN_LOSS_MSE: {
        long double d = (long double)p - t;
        *scale = d * d;
        return d * d;
    }
    case PN_LOSS_BCE_LOGITS: {
        long double soft = log1pl(expl(-fabsl(p)));
        *scale = fmaxl(p, 0) + fabsl((long double)p * t) + soft;
        return fmaxl(p, 0) - (long double)p * t + soft;
    }
    default: {
        /* 1 - p in the dtype; its rounding moves log(1 - p) by <= 2 ulp(1) */
        const long double q = es == 4 ? (long double)(float)(1.0 - p) : 1.0L - p;
        const long double lp = p > 0 ? fmaxl(-100, logl(p)) : -100, lq = q > 0 ? fmaxl(-100, logl(q)) : -100;
        *scale = fabs(t) * (fabsl(lp) + 2) + fabsl(1.0L - t) * (fabsl(lq) + 2);
        return -(t * lp + (1.0L - t) * lq);
    }
    }
}

static void check_loss(const call *c, pn_status st) {
    const array *p = &c->a[LOSS_PRED], *t = &c->a[LOSS_TARGET], *res = &c->a[LOSS_RESULT];
    const double got = *(const double *)res->ptr;
    if (c->n == 0) {
        REQUIRE(isnan(got), "the mean of no elements is %a", got);
        return;
    }
    long double sum = 0, scale = 0;
    for (int64_t i = 0; i < c->n; i++) {
        const double pi = load_real(p->elem, p->at_call, i), ti = load_real(t->elem, t->at_call, i);
        long double term_scale;
        if (!isfinite(pi) || !isfinite(ti)) return;
        sum += loss_term(c->code, p->elem, pi, ti, &term_scale);
        scale += term_scale;
    }
    if (scale > huge_of(p->elem) / 4) return; /* the sum overflows in the dtype, before the division by n */
    /* the kernels sum in vector lanes over chunks of 64, then the chunks in double */
    const array in_dtype = {.name = "loss", .elem = p->elem};
    require_near(&in_dtype, 0, got, sum / c->n, scale / c->n, (double)(80 + c->n / 64) * eps_of(p->elem),
                 tiny_of(p->elem));
}

/* MSE's and BCE's gradients are plain IEEE arithmetic, the same on every
 * level; BCE on logits adds sigmoid's few ulp (of a value <= 1, over n). */
static int loss_agreement(const call *c, tolerance *tol) {
    if (!c->n) return 0;
    *tol = (tolerance){.ulps = 0, .scale_by = -1,
                       .atol = c->code == PN_LOSS_BCE_LOGITS ? 16 * eps_of(elem_of(c->dtype)) / (double)c->n : 0};
    return 1;
}

/* ---- softmax cross-entropy ----------------------------------------------------- */

enum { XE_LOGITS, XE_LABELS, XE_TARGET, XE_OUT }; /* XE_OUT: result or grad */

static void decode_xent(reader *r, call *c, int backward) {
    c->dtype = take_dtype(r);
    c->rows = take_count(r, MAX_ELEMS);
    c->cols = take_count(r, MAX_ELEMS); /* classes */
    limit_product(&c->rows, c->cols, MAX_ELEMS);
    const unsigned given = take_u8(r) % 8; /* 0-3 labels, 4-5 target, 6 both, 7 neither */
    const int64_t count = product(c->rows, c->cols);
    const size_t es = elem_of(c->dtype);
    declare(r, c, "logits", count, es, 0, 0xD0);
    declare(r, c, "labels", c->rows, sizeof(int64_t), ROLE_ATTACHABLE, 0xD0);
    declare(r, c, "target", count, es, ROLE_ATTACHABLE, 0xD0);
    if (given >= 4 && given != 6) c->a[XE_LABELS].place = PLACE_NULL;
    if (given < 4 || given == 7) c->a[XE_TARGET].place = PLACE_NULL;
    if (backward) declare(r, c, "grad", count, es, ROLE_OUTPUT | ROLE_ATTACHABLE, 0xD0);
    else declare(r, c, "result", 1, sizeof(double), ROLE_OUTPUT, 0xD0);
}
static void decode_xent_forward(reader *r, call *c) { decode_xent(r, c, 0); }
static void decode_xent_backward(reader *r, call *c) { decode_xent(r, c, 1); }

static void fill_xent(reader *r, call *c) {
    fill_reals(r, &c->a[XE_LOGITS]);
    fill_labels(r, &c->a[XE_LABELS], c->cols);
    fill_reals(r, &c->a[XE_TARGET]);
}

static pn_status invoke_xent(call *c) {
    return pn_cross_entropy(c->dtype, c->a[XE_LOGITS].ptr, (const int64_t *)c->a[XE_LABELS].ptr,
                            c->a[XE_TARGET].ptr, c->rows, c->cols, (double *)c->a[XE_OUT].ptr);
}
static pn_status invoke_xent_backward(call *c) {
    return pn_cross_entropy_backward(c->dtype, c->a[XE_LOGITS].ptr, (const int64_t *)c->a[XE_LABELS].ptr,
                                     c->a[XE_TARGET].ptr, c->a[XE_OUT].ptr, c->rows, c->cols);
}

static int labels_in_range(const call *c) {
    const array *l = &c->a[XE_LABELS];
    for (int64_t i = 0; i < c->rows; i++) {
        int64_t label = load_i64(l->ptr, i);
        if (label < 0 || label >= c->cols) return 0;
    }
    return 1;
}

static verdict expect_xent_inputs(const call *c) {
    verdict v = {0};
    const array *labels = &c->a[XE_LABELS], *target = &c->a[XE_TARGET];
    if (!valid_dtype(c->dtype)) refuse(&v, PN_ERR_DTYPE);
    expect_matrix(&v, c->rows, c->cols, elem_of(c->dtype));
    if (c->rows > 0 && c->cols == 0) refuse(&v, PN_ERR_SIZE);
    if (c->rows > 0 && !labels->ptr == !target->ptr) refuse(&v, PN_ERR_ARG);
    expect_present(&v, &c->a[XE_LOGITS]);
    expect_optional(&v, target);
    expect_optional(&v, labels);
    if (labels->ptr && !misaligned(labels) && backed(c->rows) && !labels_in_range(c)) refuse(&v, PN_ERR_LABEL);
    return v;
}
static verdict expect_xent(const call *c) {
    verdict v = expect_xent_inputs(c);
    expect_result(&v, &c->a[XE_OUT]);
    return v;
}
static verdict expect_xent_backward(const call *c) {
    verdict v = expect_xent_inputs(c);
    expect_present(&v, &c->a[XE_OUT]);
    expect_apart(&v, &c->a[XE_OUT], &c->a[XE_LOGITS], ALIAS_UNSPECIFIED);
    expect_apart(&v, &c->a[XE_OUT], &c->a[XE_TARGET], ALIAS_UNSPECIFIED);
    expect_apart(&v, &c->a[XE_OUT], &c->a[XE_LABELS], ALIAS_FORBIDDEN);
    return v;
}

/* Row r's target weight for class j: one-hot from the label, or the target. */
static double target_weight(const call *c, int64_t r, int64_t j) {
    const array *labels = &c->a[XE_LABELS], *target = &c->a[XE_TARGET];
    if (labels->ptr) return load_i64(labels->at_call, r) == j ? 1.0 : 0.0;
    return load_real(target->elem, target->at_call, r * c->cols + j);
}

/* The row's target weights: all finite, and their sum too in the double
 * that the kernels keep it in. */
static int row_targets_finite(const call *c, int64_t r, long double *sum, long double *sum_abs) {
    *sum = *sum_abs = 0;
    for (int64_t j = 0; j < c->cols; j++) {
        const double t = target_weight(c, r, j);
        if (!isfinite(t)) return 0;
        *sum += t;
        *sum_abs += fabs(t);
    }
    return *sum_abs <= DBL_MAX / 4;
}

/* mean over rows of sum_j t_j (lse(x) - x_j) */
static void check_xent(const call *c, pn_status st) {
    const array *x = &c->a[XE_LOGITS];
    const double got = *(const double *)c->a[XE_OUT].ptr, eps = eps_of(x->elem);
    if (c->rows == 0) {
        REQUIRE(isnan(got), "the mean of no rows is %a", got);
        return;
    }
    long double total = 0, scale = 0;
    for (int64_t r = 0; r < c->rows; r++) {
        long double m, s, tsum, tabs;
        if (!row_softmax_parts(x, r, c->cols, &m, &s) || !row_targets_finite(c, r, &tsum, &tabs)) return;
        const long double lse = m + logl(s);
        for (int64_t j = 0; j < c->cols; j++) {
            const double t = target_weight(c, r, j), xj = load_real(x->elem, x->at_call, r * c->cols + j);
            /* target weights multiply lse - x_j, also where it is inf (x_j = -inf, or
             * the kernel's double overflows): 0 * inf is NaN, as in PyTorch */
            const int labels = c->a[XE_LABELS].ptr != NULL;
            if (!labels && (xj == -INFINITY || fabsl(lse) + fabs(xj) > DBL_MAX / 4)) return;
            if (t == 0) continue;
            if (fabsl(lse) + fabs(xj) > DBL_MAX / 4) return;
            total += t * (lse - xj);
            scale += fabs(t) * (c->cols + 16 + fabsl(lse) + fabs(xj));
        }
    }
    /* each row's lse rounds in the dtype; the rows' terms are summed in
     * double, where each product t_j (lse - x_j) that underflows rounds to
     * the subnormal grid: up to half its step apiece, a row's cols of them */
    if (scale > DBL_MAX / 4) return;
    const array result = {.name = "result", .elem = x->elem};
    require_near(&result, 0, got, total / c->rows, scale / c->rows, (double)(c->rows + 4) * eps,
                 (double)c->cols * DBL_TRUE_MIN);
}

/* grad = (softmax(x) sum(t) - t) / rows */
static void check_xent_backward(const call *c, pn_status st) {
    const array *x = &c->a[XE_LOGITS], *g = &c->a[XE_OUT];
    const double tiny = tiny_of(x->elem);
    for (int64_t r = 0; r < c->rows; r++) {
        long double m, s, tsum, tabs;
        if (!row_softmax_parts(x, r, c->cols, &m, &s) || !row_targets_finite(c, r, &tsum, &tabs)) continue;
        for (int64_t j = 0; j < c->cols; j++) {
            const int64_t i = r * c->cols + j;
            const long double d = load_real(x->elem, x->at_call, i) - m, y = expl(d) / s;
            const double t = target_weight(c, r, j);
            require_near(g, i, load_real(g->elem, g->ptr, i), (y * tsum - t) / c->rows, (y * tabs + fabs(t)) / c->rows,
                         softmax_rtol(x, c->cols, d), 4 * tiny * (double)(1 + tabs));
        }
    }
}

/* ---- networks ------------------------------------------------------------------ */

/* The arrays of a network, declared first by pn_mlp_forward and pn_train. */
enum { NET_SIZES, NET_ACTS, NET_ALPHAS, NET_PARAMS };

/* Layer widths: bytes 0xF0..0xFF give ones the implementation refuses
 * (below 1, or past its 2^24 limit: such layers cannot be backed here),
 * some so large that their products with any other width overflow. */
static int64_t take_width(reader *r, int64_t max) {
    const int64_t invalid[] = {0, -1, ((int64_t)1 << 24) + 1, (int64_t)1 << 38,
                               (int64_t)1 << 62, INT64_MAX, INT64_MIN, ((int64_t)1 << 32) + 1};
    unsigned b = take_u8(r);
    return b < 0xF0 ? 1 + (int64_t)(b % (unsigned)max) : invalid[b % 8];
}

static int width_ok(int64_t w) { return w >= 1 && w <= ((int64_t)1 << 24); }

static void decode_net(reader *r, call *c, int64_t max_width) {
    net_shape *s = &c->shape;
    const int invalid_layers[] = {0, -1, MAX_DECLARED_LAYERS};
    unsigned b = take_u8(r);
    c->dtype = take_dtype(r);
    s->n_layers = b < 0xF0 ? 1 + (int)(b % MAX_FUZZ_LAYERS) : invalid_layers[b % 3];
    s->softmax_output = take_u8(r) % 4 == 0;
    const int layers = s->n_layers > 0 ? s->n_layers : 0;
    s->params = s->n_layers >= 1 ? 0 : -1;
    for (int l = 0; l <= layers; l++) {
        s->widths[l] = l <= MAX_FUZZ_LAYERS ? take_width(r, max_width) : 1;
        if (l < layers) {
            s->acts[l] = l < MAX_FUZZ_LAYERS ? take_code(r, PN_ACT_COUNT) : PN_ACT_IDENTITY;
            s->alphas[l] = l < MAX_FUZZ_LAYERS ? take_real(r) : 0.0;
        }
    }
    for (int l = 0; l < layers; l++) {
        if (!width_ok(s->widths[l]) || !width_ok(s->widths[l + 1])) s->params = -1;
        if (s->params >= 0) s->params += (s->widths[l] + 1) * s->widths[l + 1];
    }
    c->null_struct = take_u8(r) < 8 ? 1 + (int)take_u8(r) % 5 : 0;
    const size_t es = elem_of(c->dtype);
    declare(r, c, "sizes", layers + 1, sizeof(int64_t), 0, 0xF0);
    declare(r, c, "acts", layers, sizeof(int), 0, 0xF0);
    declare(r, c, "alphas", layers, sizeof(double), 0, 0xF0);
    declare(r, c, "params", s->params, es, ROLE_OUTPUT, 0xF0);
}

static int64_t net_inputs(const call *c) { return c->shape.n_layers >= 0 ? c->shape.widths[0] : -1; }
static int64_t net_outputs(const call *c) {
    return c->shape.n_layers >= 0 ? c->shape.widths[c->shape.n_layers] : -1;
}

static void fill_net(reader *r, call *c) {
    const array *sizes = &c->a[NET_SIZES], *acts = &c->a[NET_ACTS], *alphas = &c->a[NET_ALPHAS];
    if (sizes->ptr) memcpy(sizes->ptr, c->shape.widths, sizes->bytes);
    if (acts->ptr) memcpy(acts->ptr, c->shape.acts, acts->bytes);
    if (alphas->ptr) memcpy(alphas->ptr, c->shape.alphas, alphas->bytes);
    fill_reals(r, &c->a[NET_PARAMS]);
}

static void bind_net(call *c, pn_mlp *net, const void *params) {
    net->dtype = c->dtype;
    net->n_layers = c->shape.n_layers;
    net->sizes = (const int64_t *)c->a[NET_SIZES].ptr;
    net->acts = (const int *)c->a[NET_ACTS].ptr;
    net->alphas = (const double *)c->a[NET_ALPHAS].ptr;
    net->softmax_output = c->shape.softmax_output;
    net->params = (void *)params;
}

/* The network's rules, shared by pn_mlp_forward and pn_train. */
static void expect_net(verdict *v, const call *c) {
    const net_shape *s = &c->shape;
    if (!valid_dtype(c->dtype)) refuse(v, PN_ERR_DTYPE);
    if (s->n_layers < 1) refuse(v, PN_ERR_SIZE);
    if (s->n_layers > 64) allow(v, PN_ERR_SIZE); /* the implementation's limit */
    for (int l = 0; l <= s->n_layers && l <= MAX_DECLARED_LAYERS; l++) {
        if (!width_ok(s->widths[l])) refuse(v, PN_ERR_SIZE);
        if (l < s->n_layers && (s->acts[l] < 0 || s->acts[l] >= PN_ACT_COUNT)) refuse(v, PN_ERR_OP);
    }
    for (int i = NET_SIZES; i <= NET_PARAMS; i++) {
        const array *a = &c->a[i];
        if (!a->ptr) refuse(v, PN_ERR_NULL);
        else if (a->count > 0 && misaligned(a)) refuse(v, PN_ERR_ALIGN);
        /* sizes, acts and alphas are read through their pointers, which are
         * checked even when empty (acts and alphas, for no layers: refused anyway) */
        else if (i != NET_PARAMS && misaligned(a)) allow(v, PN_ERR_ALIGN);
    }
}

/* What pn_mlp_param_count must return for the decoded network: its
 * parameter count, or -1 for a network pn_mlp_forward refuses whatever its
 * other arguments (a missing array, misaligned sizes, acts or alphas, an
 * unknown dtype or activation, a layer count or width out of range).
 * Sets *either for more than 64 layers, the implementation's limit, which
 * the header does not state: -1 and the count are both accepted. */
static int64_t expected_param_count(const call *c, int *either) {
    const net_shape *s = &c->shape;
    *either = 0;
    for (int i = NET_SIZES; i <= NET_PARAMS; i++)
        if (!c->a[i].ptr || (i != NET_PARAMS && misaligned(&c->a[i]))) return -1;
    if (!valid_dtype(c->dtype) || s->params < 0) return -1;
    for (int l = 0; l < s->n_layers && l < MAX_DECLARED_LAYERS; l++)
        if (s->acts[l] < 0 || s->acts[l] >= PN_ACT_COUNT) return -1;
    *either = s->n_layers > 64;
    return s->params;
}

/* pn_mlp_param_count on the network as decoded, valid or not, and on NULL;
 * it reads the network only (any write shows in the checks of the call). */
static void require_param_count(const call *c) {
    pn_mlp net;
    int either;
    bind_net((call *)c, &net, c->a[NET_PARAMS].ptr);
    const int64_t got = pn_mlp_param_count(&net), want = expected_param_count(c, &either);
    REQUIRE(got == want || (either && got == -1), "pn_mlp_param_count %lld, expected %lld%s", (long long)got,
            (long long)want, either ? " or -1" : "");
    REQUIRE(pn_mlp_param_count(NULL) == -1, "pn_mlp_param_count(NULL) %lld", (long long)pn_mlp_param_count(NULL));
}

/* ---- pn_mlp_forward ---------------------------------------------------------- */

enum { MLP_X = NET_PARAMS + 1, MLP_Y };

static void decode_mlp_forward(reader *r, call *c) {
    decode_net(r, c, 40);
    c->n = take_count(r, 64);
    const size_t es = elem_of(c->dtype);
    declare(r, c, "x", product(c->n, net_inputs(c)), es, 0, 0xF0);
    declare(r, c, "y", product(c->n, net_outputs(c)), es, ROLE_OUTPUT, 0xF0);
}

static void fill_mlp_forward(reader *r, call *c) {
    fill_net(r, c);
    fill_reals(r, &c->a[MLP_X]);
}

static pn_status invoke_mlp_forward(call *c) {
    bind_net(c, &c->net, c->a[NET_PARAMS].ptr);
    return pn_mlp_forward(c->null_struct ? NULL : &c->net, c->a[MLP_X].ptr, c->a[MLP_Y].ptr, c->n);
}

static verdict expect_mlp_forward(const call *c) {
    verdict v = {0};
    require_param_count(c);
    if (c->null_struct) refuse(&v, PN_ERR_NULL);
    expect_net(&v, c);
    if (c->n < 0) refuse(&v, PN_ERR_SIZE);
    if (c->n == 0 && misaligned(&c->a[NET_PARAMS])) { /* nothing is read: either answer will do */
        v.must &= ~STATUS_BIT(PN_ERR_ALIGN);
        allow(&v, PN_ERR_ALIGN);
    }
    expect_count(&v, c->a[MLP_X].count, c->a[MLP_X].elem);
    expect_present(&v, &c->a[MLP_X]);
    expect_present(&v, &c->a[MLP_Y]);
    return v;
}

/* Softmax outputs: rows of probabilities summing to 1. */
static void check_mlp_forward(const call *c, pn_status st) {
    const array *y = &c->a[MLP_Y];
    const int64_t out = net_outputs(c);
    if (!c->shape.softmax_output) return;
    for (int64_t r = 0; r < c->n; r++) {
        long double sum = 0;
        int nan = 0;
        for (int64_t j = 0; j < out; j++) {
            double p = load_real(y->elem, y->ptr, r * out + j);
            nan |= isnan(p);
            REQUIRE(isnan(p) || (p >= 0 && p <= 1), "probability y[%lld][%lld] = %a", (long long)r, (long long)j, p);
            sum += p;
        }
        REQUIRE(nan || fabsl(sum - 1) <= (out + 16) * 4 * eps_of(y->elem), "row %lld sums to %La", (long long)r, sum);
    }
}

/* ---- pn_train -------------------------------------------------------------------- */

enum {
    TR_X = NET_PARAMS + 1, TR_Y, TR_LABELS, TR_GRID, TR_EPOCHS,     /* read */
    TR_OPT_A, TR_OPT_B, TR_ORDER,                                   /* state */
    TR_LOSS, TR_REC_PARAMS, TR_PREDICTIONS, TR_GRAD_NORMS, TR_UNIT_STATS /* recording */
};

/* Mostly small and valid; now and then far out: negative (refused), or
 * near INT64_MAX, where a few more epochs or steps overflow (refused) or
 * just fit. */
static int64_t take_counter(reader *r) {
    const int64_t far[] = {-5, INT64_MIN + 1, -((int64_t)1 << 62), INT64_MIN,
                           INT64_MAX, INT64_MAX - 2, INT64_MAX - 40, (int64_t)1 << 62};
    unsigned b = take_u8(r);
    return b < 0xF8 ? (int64_t)(b % 12) : far[b - 0xF8];
}

/* A count for pn_train: take_count's, and (bytes 0xF0..0xF3, the ones
 * below take_count's unbacked range) counts just past PTRDIFF_MAX / 8,
 * whose 8-byte arrays (labels, order, the schedule and the losses)
 * overflow while 4-byte ones of the same count would not. */
static int64_t take_training_count(reader *r, int64_t cap) {
    const int64_t past_words[] = {((int64_t)1 << 60) + 1, ((int64_t)1 << 60) + 5, ((int64_t)3 << 59),
                                  ((int64_t)1 << 61) - 1};
    if (r->pos < r->size && r->data[r->pos] >= 0xF0 && r->data[r->pos] < 0xF4) return past_words[take_u8(r) - 0xF0];
    return take_count(r, cap);
}

static void decode_train(reader *r, call *c) {
    decode_net(r, c, 12);
    pn_train_config *k = &c->config;
    k->loss = take_code(r, 3);
    k->optimizer = take_code(r, 2);
    k->lr = take_real(r);
    k->momentum = take_real(r);
    k->nesterov = take_u8(r) & 1;
    k->beta1 = take_real(r);
    k->beta2 = take_real(r);
    k->eps = take_real(r);
    k->weight_decay = take_real(r);
    k->batch_size = take_count(r, 80);
    k->shuffle = take_u8(r) & 1;
    k->regularization = take_code(r, 3);
    k->regularization_rate = take_real(r);
    c->data.n = take_training_count(r, 48);
    c->data.grid_n = take_count(r, 32);
    c->state.epoch = take_counter(r);
    c->state.step = take_counter(r);
    c->state.rng = take_le(r, 8);
    c->rec.count = take_training_count(r, 6);
    unsigned b = take_u8(r);
    c->rec.next = b < 0xF0 ? (backed(c->rec.count) ? (int64_t)b % (c->rec.count + 1) : 0)
                           : (b & 1 ? -1 : add_saturating(c->rec.count, 1));
    b = take_u8(r);
    c->epochs = b < 0xF8 ? (int64_t)(b % 7) : -(int64_t)(b & 3) - 1;
    c->n = c->data.n;
    const int64_t n = c->data.n, in = net_inputs(c), out = net_outputs(c), P = c->shape.params;
    const int64_t count = c->rec.count, layers = c->shape.n_layers;
    const size_t es = elem_of(c->dtype);
    declare(r, c, "x", product(n, in), es, 0, 0xF0);
    declare(r, c, "y", product(n, out), es, 0, 0xF0);
    declare(r, c, "labels", n, sizeof(int64_t), 0, 0xF0);
    declare(r, c, "grid", product(c->data.grid_n, in), es, 0, 0xF0);
    declare(r, c, "epochs", count, sizeof(int64_t), 0, 0xF0);
    declare(r, c, "opt_a", P, es, ROLE_OUTPUT, 0xF0);
    declare(r, c, "opt_b", P, es, ROLE_OUTPUT, 0xF0);
    declare(r, c, "order", n, sizeof(int64_t), ROLE_OUTPUT, 0xF0);
    declare(r, c, "loss", count, sizeof(double), ROLE_OUTPUT, 0xF0);
    declare(r, c, "rec_params", product(count, P), es, ROLE_OUTPUT, 0xF0);
    declare(r, c, "predictions", product(count, product(c->data.grid_n, out)), es, ROLE_OUTPUT, 0xF0);
    declare(r, c, "grad_norms", product(count, layers), sizeof(double), ROLE_OUTPUT, 0xF0);
    declare(r, c, "unit_stats", product(count, product(layers, 2)), sizeof(double), ROLE_OUTPUT, 0xF0);
}

/* Ascending from the current epoch with steps of 0-2 (repeats included),
 * or (recipe & 3 == 3) any epochs in -2..12. */
static void fill_schedule(reader *r, const array *a, int64_t epoch) {
    if (!a->ptr) return;
    const int any = (take_u8(r) & 3) == 3;
    for (int64_t i = 0; i < (int64_t)(a->bytes / 8); i++) {
        unsigned b = take_u8(r);
        int64_t e = any ? (int64_t)(b % 15) - 2 : (epoch = add_saturating(epoch, b % 3));
        memcpy(a->ptr + 8 * i, &e, 8);
    }
}

/* A permutation of 0..n-1, or (recipe 0xF0..0xFF) any indices in -1..n. */
static void fill_order(reader *r, const array *a) {
    if (!a->ptr) return;
    const int64_t n = (int64_t)(a->bytes / 8);
    const unsigned recipe = take_u8(r);
    uint64_t rng = take_le(r, 4);
    int64_t v[64];
    for (int64_t i = 0; i < n; i++) v[i] = recipe < 0xF0 ? i : (int64_t)(splitmix64(&rng) % (uint64_t)(n + 2)) - 1;
    for (int64_t i = n - 1; recipe < 0xF0 && i > 0; i--) {
        int64_t j = (int64_t)(splitmix64(&rng) % (uint64_t)(i + 1)), t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
    memcpy(a->ptr, v, (size_t)n * 8);
}

static void bind_training(call *c);

static void fill_train(reader *r, call *c) {
    fill_net(r, c);
    fill_reals(r, &c->a[TR_X]);
    fill_reals(r, &c->a[TR_Y]);
    fill_labels(r, &c->a[TR_LABELS], net_outputs(c));
    fill_reals(r, &c->a[TR_GRID]);
    fill_schedule(r, &c->a[TR_EPOCHS], c->state.epoch);
    fill_reals(r, &c->a[TR_OPT_A]);
    fill_reals(r, &c->a[TR_OPT_B]);
    fill_order(r, &c->a[TR_ORDER]);
    bind_training(c); /* before the snapshot, which the state is compared with */
}

static void bind_training(call *c) {
    bind_net(c, &c->net, c->a[NET_PARAMS].ptr);
    c->data.x = c->a[TR_X].ptr;
    c->data.y = c->a[TR_Y].ptr;
    c->data.labels = (const int64_t *)c->a[TR_LABELS].ptr;
    c->data.grid = c->a[TR_GRID].ptr;
    c->state.opt_a = c->a[TR_OPT_A].ptr;
    c->state.opt_b = c->a[TR_OPT_B].ptr;
    c->state.order = (int64_t *)c->a[TR_ORDER].ptr;
    c->rec.epochs = (const int64_t *)c->a[TR_EPOCHS].ptr;
    c->rec.loss = (double *)c->a[TR_LOSS].ptr;
    c->rec.params = c->a[TR_REC_PARAMS].ptr;
    c->rec.predictions = c->a[TR_PREDICTIONS].ptr;
    c->rec.grad_norms = (double *)c->a[TR_GRAD_NORMS].ptr;
    c->rec.unit_stats = (double *)c->a[TR_UNIT_STATS].ptr;
}

static pn_status invoke_train(call *c) {
    const int which = c->null_struct;
    return pn_train(which == 1 ? NULL : &c->net, which == 2 ? NULL : &c->config, which == 3 ? NULL : &c->data,
                    which == 4 ? NULL : &c->state, which == 5 ? NULL : &c->rec, c->epochs);
}

/* pn_train as the one job of a pn_train_jobs call, on 1 to 3 threads: a job
 * runs exactly as pn_train would, so pn_train's expectations and checks
 * apply unchanged. */
static pn_status invoke_train_jobs(call *c) {
    const int which = c->null_struct;
    pn_train_job job = {.net = which == 1 ? NULL : &c->net, .config = which == 2 ? NULL : &c->config,
                        .data = which == 3 ? NULL : &c->data, .state = which == 4 ? NULL : &c->state,
                        .rec = which == 5 ? NULL : &c->rec, .epochs = c->epochs, .status = PN_ERR_ARG};
    const pn_status st = pn_train_jobs(&job, 1, 1 + (int)(c->state.rng % 3));
    return st != PN_OK ? st : job.status;
}

/* An array the configuration uses must be given (and aligned) when not
 * empty; one it does not use may be anything, and an empty one may be NULL. */
static void expect_given(verdict *v, const array *a, int used) {
    if (used) expect_count(v, a->count, a->elem);
    if (used && a->count > 0) {
        expect_present(v, a);
    } else if (!a->ptr) {
        allow(v, PN_ERR_NULL);
    } else if (misaligned(a)) {
        allow(v, PN_ERR_ALIGN);
    }
}

/* ceil(n / batch), for n, batch >= 1 (n may be near INT64_MAX) */
static int64_t batches_per_epoch(const call *c) {
    const int64_t n = c->data.n, b = c->config.batch_size;
    return n / b + (n % b != 0);
}

/* Whether the recording schedule, from rec->next on, goes back to an epoch
 * already passed before training reaches its stop. */
static int schedule_goes_back(const call *c) {
    /* from the state at the call: check_train asks too, after the call has moved it */
    const array *e = &c->a[TR_EPOCHS];
    if (!e->ptr || !backed(c->rec_at_call.count) || c->rec_at_call.next < 0) return 0;
    int64_t now = c->state_at_call.epoch;
    const int64_t stop = add_saturating(now, c->epochs);
    for (int64_t i = c->rec_at_call.next; i < c->rec_at_call.count; i++) {
        const int64_t at = load_i64(e->at_call, i);
        if (at < now) return 1;
        if (at > stop) return 0;
        now = at;
    }
    return 0;
}

/* a * b * c elements of `size` bytes overflow PTRDIFF_MAX (negative
 * factors, refused as sizes, do not count here). */
static int bytes_overflow(int64_t a, int64_t b, int64_t c, size_t size) {
    int64_t ab, abc;
    if (a < 0 || b < 0 || c < 0) return 0;
    if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, &abc)) return 1;
    return (uint64_t)abc > (uint64_t)PTRDIFF_MAX / size;
}

static verdict expect_train(const call *c) {
    verdict v = {0};
    const pn_train_config *k = &c->config;
    require_param_count(c);
    if (c->null_struct) refuse(&v, PN_ERR_NULL); /* the other rules' codes may come first */
    expect_net(&v, c);
    if (k->loss < PN_TRAIN_MSE || k->loss > PN_TRAIN_XENT || (k->optimizer != PN_OPT_SGD && k->optimizer != PN_OPT_ADAM))
        refuse(&v, PN_ERR_OP);
    if (k->regularization < PN_REG_NONE || k->regularization > PN_REG_L2) refuse(&v, PN_ERR_OP);
    if (!(k->regularization_rate >= 0) || !isfinite(k->regularization_rate)) refuse(&v, PN_ERR_ARG);
    const int adam = k->optimizer == PN_OPT_ADAM, xent = k->loss == PN_TRAIN_XENT;
    if (!(k->lr > 0) || !isfinite(k->lr)) refuse(&v, PN_ERR_ARG);
    /* an optimizer's own hyperparameters must be in range; the other's may be checked too */
    const int sgd_bad = !(k->momentum >= 0);
    const int adam_bad = !(k->beta1 >= 0 && k->beta1 < 1) || !(k->beta2 >= 0 && k->beta2 < 1) || !(k->eps > 0) ||
                         !(k->weight_decay >= 0);
    if (adam ? adam_bad : sgd_bad) refuse(&v, PN_ERR_ARG);
    if (adam ? sgd_bad : adam_bad) allow(&v, PN_ERR_ARG);
    if (xent && !c->shape.softmax_output) refuse(&v, PN_ERR_ARG);
    if (!xent && c->shape.softmax_output) allow(&v, PN_ERR_ARG);
    if (c->data.n < 0 || c->data.grid_n < 0 || k->batch_size < 1 || c->epochs < 0) refuse(&v, PN_ERR_SIZE);
    if (c->data.n == 0) allow(&v, PN_ERR_SIZE);
    /* every array's bytes must fit, whether the loss reads it or not (y, labels) */
    const int64_t n = c->data.n, grid_n = c->data.grid_n, count = c->rec.count;
    const int64_t in = net_inputs(c), out = net_outputs(c), P = c->shape.params, layers = c->shape.n_layers;
    const size_t es = elem_of(c->dtype);
    if (bytes_overflow(n, in, 1, es) || bytes_overflow(n, out, 1, es) || bytes_overflow(n, 1, 1, sizeof(int64_t)) ||
        bytes_overflow(grid_n, in, 1, es) || bytes_overflow(count, P, 1, es) ||
        bytes_overflow(count, grid_n, out, es) || bytes_overflow(count, layers, 2, sizeof(double)))
        refuse(&v, PN_ERR_OVERFLOW);
    /* the epoch and step counters: never negative, and never past INT64_MAX */
    const int64_t epoch = c->state.epoch, step = c->state.step;
    int64_t steps;
    if (epoch < 0 || step < 0) refuse(&v, PN_ERR_OVERFLOW);
    else if (c->epochs >= 0 && n >= 1 && k->batch_size >= 1 &&
             (c->epochs > INT64_MAX - epoch || __builtin_mul_overflow(c->epochs, batches_per_epoch(c), &steps) ||
              steps > INT64_MAX - step))
        refuse(&v, PN_ERR_OVERFLOW);
    expect_given(&v, &c->a[TR_X], 1);
    expect_given(&v, &c->a[TR_Y], !xent);
    expect_given(&v, &c->a[TR_LABELS], xent);
    expect_given(&v, &c->a[TR_GRID], 1);
    expect_given(&v, &c->a[TR_OPT_A], 1);
    expect_given(&v, &c->a[TR_OPT_B], adam);
    expect_given(&v, &c->a[TR_ORDER], 1);
    for (int i = TR_EPOCHS; i <= TR_UNIT_STATS; i++)
        if (i == TR_EPOCHS || i >= TR_LOSS) expect_given(&v, &c->a[i], 1);
    /* labels, when given, are checked whatever the loss */
    const array *labels = &c->a[TR_LABELS], *order = &c->a[TR_ORDER];
    if (labels->ptr && !misaligned(labels) && backed(labels->count))
        for (int64_t i = 0; i < labels->count; i++) {
            const int64_t l = load_i64(labels->at_call, i);
            if (l < 0 || l >= net_outputs(c)) refuse(&v, PN_ERR_LABEL);
        }
    if (order->ptr && !misaligned(order) && backed(order->count))
        for (int64_t i = 0; i < order->count; i++) {
            const int64_t j = load_i64(order->at_call, i);
            if (j < 0 || j >= c->data.n) refuse(&v, PN_ERR_ARG);
        }
    if (c->rec.count < 0 || c->rec.next < 0 || c->rec.next > c->rec.count) refuse(&v, PN_ERR_SIZE);
    v.midway = STATUS_BIT(PN_DIVERGED);
    if (schedule_goes_back(c)) v.midway |= STATUS_BIT(PN_ERR_ARG);
    return v;
}

static int compare_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The bytes of slots [from, count) of a recording array, untouched. */
static void require_slots_untouched(const call *c, int index, int64_t from) {
    const array *a = &c->a[index];
    if (!a->ptr || !c->rec.count) return;
    const size_t slot = a->bytes / (size_t)c->rec.count, start = (size_t)from * slot;
    REQUIRE(!memcmp(a->ptr + start, a->at_call + start, a->bytes - start), "%s written past snapshot %lld", a->name,
            (long long)from);
}

/* A snapshot taken before the first update holds the starting parameters
 * and pn_mlp_forward's predictions from them on the grid. */
static void require_first_snapshot(call *c, int64_t slot) {
    const array *params = &c->a[NET_PARAMS], *grid = &c->a[TR_GRID];
    const array *rec_params = &c->a[TR_REC_PARAMS], *pred = &c->a[TR_PREDICTIONS];
    REQUIRE(!memcmp(rec_params->ptr + (size_t)slot * params->bytes, params->at_call, params->bytes),
            "snapshot %lld of the current epoch does not hold the starting parameters", (long long)slot);
    const int64_t grid_count = product(c->data.grid_n, net_outputs(c));
    if (!grid_count) return;
    unsigned char *start = copy_of(params->at_call, params->bytes);
    unsigned char *y = malloc((size_t)grid_count * params->elem);
    pn_mlp net;
    bind_net(c, &net, start);
    REQUIRE(pn_mlp_forward(&net, grid->at_call, y, c->data.grid_n) == PN_OK, "forward on the grid fails");
    REQUIRE(!memcmp(y, pred->ptr + (size_t)slot * (size_t)grid_count * params->elem,
                    (size_t)grid_count * params->elem),
            "snapshot %lld's predictions differ from pn_mlp_forward", (long long)slot);
    free(start);
    free(y);
}

/* Training again from the same start without the targets the loss does not
 * read must give the same bits: cross-entropy's y, MSE's and BCE's labels. */
static void require_unused_targets_ignored(const call *c, pn_status st) {
    const int unused = c->config.loss == PN_TRAIN_XENT ? TR_Y : TR_LABELS;
    if (!c->a[unused].ptr) return;
    call other;
    separate_copy(c, &other);
    other.a[unused].ptr = NULL;
    other.state = c->state_at_call;
    other.rec = c->rec_at_call;
    bind_training(&other);
    const pn_status again = invoke_at(&other, c->level);
    const char *why = unused == TR_Y ? "without the unused y" : "without the unused labels";
    REQUIRE(again == st, "status %d %s, %d with them", (int)again, why, (int)st);
    REQUIRE(other.state.epoch == c->state.epoch && other.state.step == c->state.step &&
                other.state.rng == c->state.rng && other.rec.next == c->rec.next,
            "a different training state %s", why);
    require_identical_outputs(c, &other, why);
    release(&other);
}

/* pn_mlp_losses at the snapshots' parameters gives their recorded losses,
 * bit for bit (NaN for NaN). */
static void require_losses_recomputed(const call *c, int64_t from, int64_t to) {
    const int64_t count = to - from, P = c->shape.params;
    double *losses = malloc((size_t)count * sizeof(double));
    REQUIRE(losses, "out of memory");
    const char *params = (const char *)c->a[TR_REC_PARAMS].ptr + from * P * (int64_t)elem_of(c->dtype);
    const pn_status st = pn_mlp_losses(&c->net, c->config.loss, params, count, &c->data, losses);
    REQUIRE(st == PN_OK, "pn_mlp_losses refused (%d) what pn_train recorded", (int)st);
    for (int64_t i = 0; i < count; i++) {
        const double recorded = load_real(8, c->a[TR_LOSS].ptr, from + i);
        REQUIRE(recorded == losses[i] || (isnan(recorded) && isnan(losses[i])),
                "snapshot %lld: pn_mlp_losses gives %a, pn_train recorded %a", (long long)(from + i), losses[i],
                recorded);
    }
    free(losses);
}

static void check_train(const call *c, pn_status st) {
    const pn_train_state *s0 = &c->state_at_call, *s = &c->state;
    const int64_t next0 = c->rec_at_call.next, next = c->rec.next, stop = add_saturating(s0->epoch, c->epochs);
    REQUIRE(next >= next0 && next <= c->rec.count, "recording next %lld (was %lld, capacity %lld)", (long long)next,
            (long long)next0, (long long)c->rec.count);
    if (st == PN_OK) REQUIRE(!schedule_goes_back(c), "a schedule going back in time is accepted");
    if (st == PN_OK) REQUIRE(s->epoch == stop, "epoch %lld after training to %lld", (long long)s->epoch, (long long)stop);
    else
        REQUIRE(s->epoch >= s0->epoch && s->epoch <= stop, "stopped (%d) at epoch %lld, training from %lld to %lld",
                (int)st, (long long)s->epoch, (long long)s0->epoch, (long long)stop);
    /* a snapshot whose loss is not finite ends training: it can only be the last */
    const array *loss = &c->a[TR_LOSS];
    for (int64_t i = next0; i < next - (st == PN_DIVERGED); i++)
        REQUIRE(isfinite(load_real(8, loss->ptr, i)), "snapshot %lld of %lld..%lld has loss %a, training went on",
                (long long)i, (long long)next0, (long long)next - 1, load_real(8, loss->ptr, i));
    REQUIRE(s->step - s0->step == (s->epoch - s0->epoch) * batches_per_epoch(c), "%lld steps in %lld epochs",
            (long long)(s->step - s0->step), (long long)(s->epoch - s0->epoch));
    const array *order = &c->a[TR_ORDER];
    int64_t before[64], after[64], n = c->data.n;
    memcpy(before, order->at_call, (size_t)n * 8);
    memcpy(after, order->ptr, (size_t)n * 8);
    qsort(before, (size_t)n, 8, compare_i64);
    qsort(after, (size_t)n, 8, compare_i64);
    REQUIRE(!memcmp(before, after, (size_t)n * 8), "shuffling changed the set of sample indices");
    for (int i = TR_LOSS; i <= TR_UNIT_STATS; i++) require_slots_untouched(c, i, next);
    const array *norms = &c->a[TR_GRAD_NORMS], *stats = &c->a[TR_UNIT_STATS];
    const int64_t layers = c->shape.n_layers;
    for (int64_t i = next0 * layers; i < next * layers; i++) {
        const double g = load_real(8, norms->ptr, i), dead = load_real(8, stats->ptr, 2 * i),
                     saturated = load_real(8, stats->ptr, 2 * i + 1);
        REQUIRE(isnan(g) || g >= 0, "gradient norm %a", g);
        REQUIRE(dead >= 0 && dead <= 1 && saturated >= 0 && saturated <= 1, "unit stats %a, %a", dead, saturated);
    }
    if (next > next0 && load_i64(c->a[TR_EPOCHS].at_call, next0) == s0->epoch) require_first_snapshot((call *)c, next0);
    require_unused_targets_ignored(c, st);
    if (next > next0) require_losses_recomputed(c, next0, next);
}

/* ---- the table ------------------------------------------------------------------ */

/* ---- input features -------------------------------------------------------- */

enum { FEAT_X, FEAT_OUT, FEAT_SPECS }; /* the specs last and apart: out may share only x's memory */

/* count: 0..12, always backed (the call reads every spec, whatever n), or
 * -1 or INT64_MAX, refused before any spec is read. */
static void decode_features(reader *r, call *c) {
    c->dtype = take_dtype(r);
    c->n = take_count(r, 300);
    c->in = take_count(r, 8); /* raw inputs */
    const unsigned b = take_u8(r) % 16;
    c->out = b < 13 ? (int64_t)b : b == 13 ? -1 : INT64_MAX; /* features */
    const size_t es = elem_of(c->dtype);
    declare(r, c, "x", product(c->n, c->in), es, 0, 0xD0);
    declare(r, c, "out", product(c->n, c->out), es, ROLE_OUTPUT | ROLE_ATTACHABLE, 0xD0);
    declare(r, c, "features", c->out, sizeof(pn_feature), 0, 0xE0);
}

/* Kinds and columns mostly valid; bytes 0xF0.. give ones out of range. */
static void fill_features(reader *r, call *c) {
    fill_reals(r, &c->a[FEAT_X]);
    const array *f = &c->a[FEAT_SPECS];
    const int outside[] = {-1, (int)c->in, INT_MAX, INT_MIN};
    for (int64_t j = 0; f->ptr && j < (int64_t)(f->bytes / sizeof(pn_feature)); j++) {
        pn_feature spec = {take_code(r, PN_FEATURE_COUNT), 0, 0};
        int *column[2] = {&spec.a, &spec.b};
        for (int k = 0; k < 2; k++) {
            const unsigned byte = take_u8(r);
            *column[k] = byte < 0xF0 ? (int)(byte % (unsigned)(c->in > 0 && c->in < 9 ? c->in : 1)) : outside[byte % 4];
        }
        memcpy(f->ptr + j * (int64_t)sizeof spec, &spec, sizeof spec);
    }
}

static pn_status invoke_features(call *c) {
    return pn_features(c->dtype, (const pn_feature *)c->a[FEAT_SPECS].ptr, c->out, c->a[FEAT_X].ptr, c->in,
                       c->a[FEAT_OUT].ptr, c->n);
}

static pn_feature feature_at(const call *c, int64_t j) {
    pn_feature spec;
    memcpy(&spec, c->a[FEAT_SPECS].at_call + j * (int64_t)sizeof spec, sizeof spec);
    return spec;
}

static verdict expect_features(const call *c) {
    verdict v = {0};
    const array *specs = &c->a[FEAT_SPECS];
    if (!valid_dtype(c->dtype)) refuse(&v, PN_ERR_DTYPE);
    expect_matrix(&v, c->n, c->in, elem_of(c->dtype));
    expect_matrix(&v, c->n, c->out, elem_of(c->dtype));
    if (c->out > (int64_t)(PTRDIFF_MAX / sizeof(pn_feature))) refuse(&v, PN_ERR_OVERFLOW);
    if (c->out > 0 && !specs->ptr) refuse(&v, PN_ERR_NULL);
    else if (c->out > 0 && (uintptr_t)specs->ptr % _Alignof(pn_feature)) refuse(&v, PN_ERR_ALIGN);
    else if (c->out > 0 && backed(c->out)) {
        for (int64_t j = 0; j < c->out; j++) {
            const pn_feature f = feature_at(c, j);
            if (f.kind < 0 || f.kind >= PN_FEATURE_COUNT) refuse(&v, PN_ERR_OP);
            else if (f.a < 0 || f.a >= c->in || (f.kind == PN_FEATURE_PRODUCT && (f.b < 0 || f.b >= c->in)))
                refuse(&v, PN_ERR_ARG);
        }
    }
    expect_present(&v, &c->a[FEAT_X]);
    expect_present(&v, &c->a[FEAT_OUT]);
    expect_apart(&v, &c->a[FEAT_OUT], &c->a[FEAT_X], ALIAS_FORBIDDEN);
    return v;
}

/* Each feature exactly as the header defines it: one rounding (sin in double). */
static void check_features(const call *c, pn_status st) {
    const array *x = &c->a[FEAT_X], *out = &c->a[FEAT_OUT];
    const size_t es = x->elem;
    /* no features: any n is valid, and nothing to check (a loop over n
     * alone would run for as long as n is, up to 2^63) */
    for (int64_t r = 0; c->out && r < c->n; r++)
        for (int64_t j = 0; j < c->out; j++) {
            const pn_feature f = feature_at(c, j);
            const double a = load_real(es, x->at_call, r * c->in + f.a);
            double want;
            switch (f.kind) {
            case PN_FEATURE_INPUT: want = a; break;
            case PN_FEATURE_SQUARE: want = a * a; break;
            case PN_FEATURE_PRODUCT: want = a * load_real(es, x->at_call, r * c->in + f.b); break;
            default: want = sin(a); break;
            }
            if (es == 4) want = (float)want; /* a float product rounds once to float, as this does */
            const double got = load_real(es, out->ptr, r * c->out + j);
            REQUIRE(same_value(got, want), "out[%lld][%lld] = %a, feature %d of %a: %a", (long long)r, (long long)j,
                    got, f.kind, a, want);
        }
}

static const call_spec calls[] = {
    {"pn_act_forward", decode_act_forward, fill_real_inputs, invoke_act_forward, expect_act_forward,
     check_act_forward, act_forward_agreement},
    {"pn_act_backward", decode_act_backward, fill_real_inputs, invoke_act_backward, expect_act_backward,
     check_act_backward, act_backward_agreement},
    {"pn_softmax", decode_softmax_forward, fill_real_inputs, invoke_softmax, expect_softmax, check_softmax, NULL},
    {"pn_softmax_backward", decode_softmax_backward, fill_real_inputs, invoke_softmax_backward,
     expect_softmax_backward, check_softmax_backward, NULL},
    {"pn_dense_forward", decode_dense_forward, fill_real_inputs, invoke_dense_forward, expect_dense_forward,
     check_dense_forward, NULL},
    {"pn_dense_backward", decode_dense_backward, fill_real_inputs, invoke_dense_backward, expect_dense_backward,
     check_dense_backward, NULL},
    {"pn_loss", decode_loss_forward, fill_real_inputs, invoke_loss, expect_loss, check_loss, NULL},
    {"pn_loss_backward", decode_loss_backward, fill_real_inputs, invoke_loss_backward, expect_loss_backward, NULL,
     loss_agreement},
    {"pn_cross_entropy", decode_xent_forward, fill_xent, invoke_xent, expect_xent, check_xent, NULL},
    {"pn_cross_entropy_backward", decode_xent_backward, fill_xent, invoke_xent_backward, expect_xent_backward,
     check_xent_backward, NULL},
    {"pn_mlp_forward", decode_mlp_forward, fill_mlp_forward, invoke_mlp_forward, expect_mlp_forward,
     check_mlp_forward, NULL},
    {"pn_train", decode_train, fill_train, invoke_train, expect_train, check_train, NULL},
    {"pn_features", decode_features, fill_features, invoke_features, expect_features, check_features, NULL},
    {"pn_train_jobs", decode_train, fill_train, invoke_train_jobs, expect_train, check_train, NULL},
};
#define N_CALLS (sizeof calls / sizeof *calls)

/* ---- the entry points without arrays ----------------------------------------- */

static void fuzz_simd_set(reader *r) {
    const int level = take_code(r, PN_SIMD_COUNT), before = pn_simd_get();
    const int supported = level >= 0 && level < PN_SIMD_COUNT && (pn_simd_supported() >> level & 1);
    snprintf(current_call, sizeof current_call, "pn_simd_set(%d)", level);
    const pn_status st = pn_simd_set(level);
    REQUIRE(st == (supported ? PN_OK : PN_ERR_SIMD), "status %d", (int)st);
    REQUIRE(pn_simd_get() == (supported ? level : before), "level %d after", pn_simd_get());

    snprintf(current_call, sizeof current_call, "pn_simd_describe(%d)", level);
    pn_simd_info info;
    const int known = level >= 0 && level < PN_SIMD_COUNT;
    REQUIRE(pn_simd_describe(level, NULL) == PN_ERR_NULL, "NULL info accepted");
    REQUIRE(pn_simd_describe(level, &info) == (known ? PN_OK : PN_ERR_SIMD), "status for level %d", level);
    if (!known) return;
    REQUIRE(info.name && *info.name && info.arch && info.flags, "level %d has no name", level);
    REQUIRE(!supported || info.compiled, "level %d runs but is not compiled", level);
    REQUIRE(info.compiled == (info.f32_lanes > 0 && info.f64_lanes > 0 && info.gemm_mr > 0 && info.gemm_nv > 0 &&
                              info.lanes_units > 0 && info.lanes_inputs > 0),
            "level %d: compiled %d with sizes %d %d", level, info.compiled, info.f32_lanes, info.gemm_mr);
}

static int built_with_asan(void) {
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
    return 1;
#endif
#endif
    return 0;
}

/* Every known code has its own message, any other code a generic one. */
static void require_message(int code) {
    snprintf(current_call, sizeof current_call, "pn_status_message(%d)", code);
    const char *msg = pn_status_message(code), *unknown = pn_status_message(-1);
    REQUIRE(msg && *msg, "no message");
    REQUIRE(!known_status((pn_status)code) == !strcmp(msg, unknown), "code %d reads as \"%s\"", code, msg);
    for (int other = PN_OK; known_status((pn_status)code) && other < code; other++)
        REQUIRE(strcmp(msg, pn_status_message(other)), "codes %d and %d read alike", other, code);
}

static void fuzz_messages(reader *r) {
    require_message(take_u8(r) < 0x80 ? (int)take_u8(r) - 8 : (int)(int32_t)take_le(r, 4));
    for (int code = PN_OK; known_status((pn_status)code); code++) require_message(code);
    snprintf(current_call, sizeof current_call, "pn_build_info()");
    const char *info = pn_build_info();
    REQUIRE(info && strstr(info, "kernels compiled"), "build info \"%s\"", info ? info : "(null)");
    REQUIRE(pn_build_sanitized() == built_with_asan(), "pn_build_sanitized() %d", pn_build_sanitized());
}

#define MAX_CALLS_PER_INPUT 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    reader r = {data, size, 0};
    static int first_input = 1;
    snprintf(current_call, sizeof current_call, "the harness's set-up");
    if (first_input) /* README: the best level is chosen unless overridden */
        REQUIRE(pn_simd_get() == best_level(), "default level %d, best supported %d", pn_simd_get(), best_level());
    first_input = 0;
    REQUIRE(pn_simd_set(best_level()) == PN_OK, "every input starts at the best level"); /* inputs independent */
    for (int i = 0; i < MAX_CALLS_PER_INPUT && !exhausted(&r); i++) {
        const unsigned op = take_u8(&r) % (N_CALLS + 2);
        if (op == N_CALLS) fuzz_simd_set(&r);
        else if (op == N_CALLS + 1) fuzz_messages(&r);
        else run_call(&r, &calls[op]);
    }
    return 0;
}
