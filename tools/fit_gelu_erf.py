#!/usr/bin/env python3
"""Fit the coefficient tables of csrc/kernels/gelu_erf.inc (reproducible).

Run:  python3 tools/fit_gelu_erf.py > tables.txt     (needs mpmath; ~30 s)
and paste the output between the "generated" markers of gelu_erf.inc.

Functions approximated (a >= 0, Q(a) = Phi(-a) = erfc(a/sqrt2)/2):
  P(s)  = erf(a/sqrt2)/(2a), s = a^2, a < 0.6       (gelu, small |x|)
  G(s)  = (gelu'(a) - 1/2)/a, s = a^2, a < 0.6      (gelu', small |x|)
  F(a)  = a Q(a) e^(a^2/2), piecewise polynomials in t = a - mid, last piece
          in t = 1/a - mid; the centres are floats at which F rounds almost
          exactly, so the dominant constant term carries no rounding error
  H(t)  = gelu'(-r0 + t)/t, -0.85 < t < 0.4, r0 = 0.75179... (zero of gelu')
All fits are minimax in RELATIVE error (Remez exchange on a dense Chebyshev
grid, the linear systems solved in mpmath at 60 digits).
"""
import mpmath as mp

mp.mp.dps = 60


def remez(f, lo, hi, n, m, fixed_p0=None, iters=40, grid=3000):
    """Minimax relative-error rational P_n/Q_m (q0 = 1) for f on [lo, hi].
    Returns (max_rel_err, p ascending, q ascending)."""
    N = n + m + 2 - (1 if fixed_p0 is not None else 0)
    xs = [(lo + hi) / 2 - (hi - lo) / 2 * mp.cos(mp.pi * i / (N - 1)) for i in range(N)]
    G = [lo + (hi - lo) * (1 - mp.cos(mp.pi * k / grid)) / 2 for k in range(grid + 1)]
    FG = [f(g) for g in G]
    qprev = lambda x: mp.mpf(1)
    E = mp.mpf(0)
    best = None
    for _ in range(iters):
        for _inner in range(8):
            A = mp.matrix(N, N)
            b = mp.matrix(N, 1)
            for i, x in enumerate(xs):
                fx = f(x)
                c = 0
                for j in range(0 if fixed_p0 is None else 1, n + 1):
                    A[i, c] = x ** j
                    c += 1
                for j in range(1, m + 1):
                    A[i, c] = -fx * x ** j
                    c += 1
                A[i, c] = -(-1) ** i * fx * qprev(x)
                b[i] = fx - (fixed_p0 if fixed_p0 is not None else 0)
            s = mp.lu_solve(A, b)
            if fixed_p0 is None:
                p = [s[j] for j in range(n + 1)]
            else:
                p = [mp.mpf(fixed_p0)] + [s[j] for j in range(n)]
            off = n + 1 - (0 if fixed_p0 is None else 1)
            q = [mp.mpf(1)] + [s[off + j] for j in range(m)]
            Enew = s[N - 1]
            qprev = lambda x, q=q: mp.polyval(q[::-1], x)
            done = abs(Enew - E) < abs(Enew) * 1e-8
            E = Enew
            if done:
                break
        err = [(mp.polyval(p[::-1], g) / mp.polyval(q[::-1], g) - fg) / fg for g, fg in zip(G, FG)]
        ext = []
        for k in range(len(G)):
            e = err[k]
            if (k == 0 or abs(e) >= abs(err[k - 1])) and (k == len(G) - 1 or abs(e) >= abs(err[k + 1])):
                ext.append((G[k], e))
        alt = []
        for x, e in ext:
            if alt and mp.sign(alt[-1][1]) == mp.sign(e):
                if abs(e) > abs(alt[-1][1]):
                    alt[-1] = (x, e)
            else:
                alt.append((x, e))
        maxerr = max(abs(e) for e in err)
        if best is None or maxerr < best[0]:
            best = (maxerr, p, q)
        while len(alt) > N:
            if abs(alt[0][1]) < abs(alt[-1][1]):
                alt.pop(0)
            else:
                alt.pop()
        if len(alt) < N or maxerr < abs(E) * (1 + 1e-4):
            break
        xs = [x for x, e in alt]
    return best


def Qf(a):
    return mp.erfc(a / mp.sqrt(2)) / 2


def R(a):
    return Qf(a) * mp.exp(a * a / 2)


def F(w):
    if w == 0:
        return 1 / mp.sqrt(2 * mp.pi)
    a = 1 / mp.sqrt(w)
    return a * R(a)


def g(x):
    return mp.ncdf(x) + x * mp.npdf(x)


R0 = -mp.findroot(g, -0.75)          # g(-R0) = 0, R0 = 0.75179...
G1 = mp.diff(g, -R0)


def H(t):
    if abs(t) < mp.mpf(10) ** -40:
        return G1
    return g(-R0 + t) / t



def rnd(x, f32):
    import struct
    x = float(x)
    if f32:
        x = struct.unpack("f", struct.pack("f", x))[0]
    return mp.mpf(x)


def fit_poly(f, lo, hi, f32, deg=None, target=None, grid=800):
    """Relative minimax polynomial of the lowest degree meeting target."""
    degs = [deg] if deg else range(2, 30)
    for d in degs:
        e, p, _ = remez(f, lo, hi, d, 0, grid=grid, iters=25)
        if target is None or e < target:
            return e, p
    raise RuntimeError("no degree reached the target")


def good_mid(f, m, f32, span=400):
    """A float near m at which f rounds to the target precision with the
    smallest error: the constant coefficient f(mid) then carries (almost)
    no rounding error, so every piece is exact at its centre."""
    import struct
    best = None
    m = float(rnd(m, f32))
    for k in range(-span, span + 1):
        if f32:
            b = struct.unpack("i", struct.pack("f", m))[0] + k
            c = mp.mpf(struct.unpack("f", struct.pack("i", b))[0])
        else:
            b = struct.unpack("q", struct.pack("d", m))[0] + k * 2 ** 20
            c = mp.mpf(struct.unpack("d", struct.pack("q", b))[0])
        v = f(c)
        err = abs(rnd(v, f32) - v) / v
        if best is None or err < best[0]:
            best = (err, c)
    return best[1]


def Fa(a):
    return a * R(a)


def Pq(s):  # erf(a/sqrt2)/(2a) as a function of s = a^2
    if s == 0:
        return 1 / mp.sqrt(2 * mp.pi)
    a = mp.sqrt(s)
    return mp.erf(a / mp.sqrt(2)) / (2 * a)


def Gsmall(s):  # (gelu'(a) - 1/2)/a as a function of s = a^2
    a = mp.sqrt(s)
    return Pq(s) + mp.npdf(a)


ROOT_LO, ROOT_HI = mp.mpf("-0.85"), mp.mpf("0.4")   # t range of the root piece
CONF = {
    # a < A1: erf path; F pieces [A1, b1), [b1, b2), ..., last piece in u = 1/a
    True: dict(A1=mp.mpf("0.6"), bounds=["0.6", "2.25", "14.7"], uvar=1, tgt=4e-9),
    False: dict(A1=mp.mpf("0.6"), bounds=["0.6", "1.3", "2.3", "4.5", "38.75"], uvar=1, tgt=2e-18),
}


def fit_all(f32):
    c = CONF[f32]
    out = {}
    tg = c["tgt"]
    # small-|x| polynomials in s = x^2
    out["erf"] = fit_poly(Pq, mp.mpf(0), c["A1"] ** 2, f32, target=tg)
    out["erfg"] = fit_poly(Gsmall, mp.mpf(0), c["A1"] ** 2, f32, target=tg)
    # F = a R(a) pieces, each a polynomial in (a - mid) or (1/a - mid)
    b = [mp.mpf(v) for v in c["bounds"]]
    pieces = []
    for i in range(len(b) - 1):
        lo, hi = b[i], b[i + 1]
        last = i == len(b) - 2
        if last:
            mid = good_mid(lambda v: Fa(1 / v), (1 / lo + 1 / hi) / 2, f32)
            f = lambda v, mid=mid: Fa(1 / (mid + v))
            plo, phi = 1 / hi - mid, 1 / lo - mid
        else:
            mid = good_mid(Fa, (lo + hi) / 2, f32)
            f = lambda t, mid=mid: Fa(mid + t)
            plo, phi = lo - mid, hi - mid
        pieces.append((f, plo, phi, mid))
    # shared degree: the largest any piece needs
    deg = 0
    for f, plo, phi, mid in pieces:
        for d in range(max(deg, 4), 30):
            e, p, _ = remez(f, plo, phi, d, 0, grid=800, iters=25)
            if e < tg:
                break
        deg = max(deg, d)
    res = []
    for f, plo, phi, mid in pieces:
        e, p, _ = remez(f, plo, phi, deg, 0, grid=800, iters=25)
        res.append((e, p, mid))
    out["F"] = (deg, res, b)
    out["root"] = fit_poly(H, ROOT_LO, ROOT_HI, f32, target=tg)
    return out


def cnum(x):
    return mp.nstr(x, 21, min_fixed=-4, max_fixed=4, strip_zeros=False)


def emit_poly(name, p, comment):
    print("/* %s */" % comment)
    print("static const double FN(%s)[] = {" % name)
    for v in p[::-1]:
        print("    %s," % cnum(v))
    print("};")


def main():
    import struct
    for f32 in (True, False):
        o = fit_all(f32)
        T = "f32" if f32 else "f64"
        A1 = CONF[f32]["A1"]
        print("#if PN_F32" if f32 else "#else")
        e, p = o["erf"]
        emit_poly("gelu_erf_P", p, "%s: erf(a/sqrt2)/(2a) in s = a^2, a < %s; rel err %s" % (T, A1, mp.nstr(e, 3)))
        e, p = o["erfg"]
        emit_poly("gelu_erf_G", p, "%s: (gelu'(a) - 1/2)/a in s = a^2, a < %s; rel err %s" % (T, A1, mp.nstr(e, 3)))
        deg, res, b = o["F"]
        print("/* %s: F(a) = a Phi(-a) e^(a^2/2) on %s pieces split at %s, degree %d, in t = a - mid"
              % (T, len(res), ", ".join(mp.nstr(v, 6) for v in b), deg))
        print(" * (last piece: t = 1/a - mid); rel errs %s */" % ", ".join(mp.nstr(e, 3) for e, _, _ in res))
        print("#define GE_NPIECE %d\n#define GE_FDEG %d" % (len(res), deg))
        print("static const double FN(gelu_erf_Fb)[] = {%s};" % ", ".join(cnum(v) for v in b[1:-1]))
        print("static const double FN(gelu_erf_Fm)[] = {%s};" % ", ".join(cnum(m) for _, _, m in res))
        print("static const double FN(gelu_erf_F)[][%d] = {" % (deg + 1))
        for e, p, m in res:
            print("    {" + ", ".join(cnum(v) for v in p[::-1]) + "},")
        print("};")
        e, p = o["root"]
        emit_poly("gelu_erf_root", p, "%s: gelu'(-r0 + t)/t, %s < t < %s; rel err %s" % (T, ROOT_LO, ROOT_HI, mp.nstr(e, 3)))
        if f32:
            h = struct.unpack("f", struct.pack("f", float(R0)))[0]
        else:
            h = float(R0)
        l = float(R0 - mp.mpf(h))
        print("#define GE_R0_HI %s\n#define GE_R0_LO (%s)" % (repr(h) + ("f" if f32 else ""), repr(l) + ("f" if f32 else "")))
        sys.stdout.flush()
    print("#endif")


import sys
if __name__ == "__main__":
    main()
