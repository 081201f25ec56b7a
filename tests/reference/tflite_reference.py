#!/usr/bin/python3
"""TensorFlow Lite's reference kernels for uint8, re-implemented in numpy.

A plain re-implementation of tensorflow/lite/kernels/internal/reference/
(conv.h, depthwiseconv_uint8.h, add.h, pooling.h, softmax.h) and of
quantization_util.cc and gemmlowp's fixedpoint.h for the operators the Coral
MobileNets hold, written to check engine/models/vt-tflite-run.c: both must
give the same uint8 outputs. Integer arithmetic is done in Python ints or
int64 numpy arrays, with the C semantics spelt out (truncating division,
arithmetic shifts, int32 saturation).

It reads the flatbuffer with its own small parser (class Table), independent
of engine/io/vt-tflite.c.
"""
import math
import struct

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


# ---- the flatbuffer ------------------------------------------------------

class Table:
    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos
        self.vt = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vlen = struct.unpack_from("<H", buf, self.vt)[0]

    def _off(self, i):
        o = 4 + 2 * i
        return struct.unpack_from("<H", self.buf, self.vt + o)[0] if o < self.vlen else 0

    def scalar(self, i, fmt, default=0):
        o = self._off(i)
        return struct.unpack_from("<" + fmt, self.buf, self.pos + o)[0] if o else default

    def _target(self, i):
        o = self._off(i)
        if not o:
            return None
        p = self.pos + o
        return p + struct.unpack_from("<I", self.buf, p)[0]

    def table(self, i):
        p = self._target(i)
        return Table(self.buf, p) if p is not None else None

    def vector(self, i, fmt):
        p = self._target(i)
        if p is None:
            return []
        n = struct.unpack_from("<I", self.buf, p)[0]
        return list(struct.unpack_from("<%d%s" % (n, fmt), self.buf, p + 4))

    def raw(self, i):
        p = self._target(i)
        if p is None:
            return b""
        n = struct.unpack_from("<I", self.buf, p)[0]
        return self.buf[p + 4:p + 4 + n]

    def tables(self, i):
        p = self._target(i)
        if p is None:
            return []
        n = struct.unpack_from("<I", self.buf, p)[0]
        out = []
        for k in range(n):
            q = p + 4 + 4 * k
            out.append(Table(self.buf, q + struct.unpack_from("<I", self.buf, q)[0]))
        return out

    def string(self, i):
        return self.raw(i).decode("utf-8", "replace")


DTYPES = {0: np.float32, 2: np.int32, 3: np.uint8, 4: np.int64, 9: np.int8}


class Tensor:
    pass


class Op:
    pass


def load(path):
    """The first subgraph: tensors (with constant data as numpy arrays),
    operators with their options, inputs and outputs."""
    buf = open(path, "rb").read()
    model = Table(buf, struct.unpack_from("<I", buf, 0)[0])
    codes = [max(c.scalar(0, "b"), c.scalar(3, "i")) for c in model.tables(1)]
    buffers = model.tables(4)
    sg = model.tables(2)[0]
    tensors = []
    for t in sg.tables(0):
        x = Tensor()
        x.name = t.string(3)
        x.shape = t.vector(0, "i")
        x.type = t.scalar(1, "b")
        raw = buffers[t.scalar(2, "I")].raw(0)
        x.data = np.frombuffer(raw, DTYPES[x.type]).reshape(x.shape) if raw else None
        q = t.table(4)
        x.scale = q.vector(2, "f") if q else []
        x.zero_point = q.vector(3, "q") if q else []
        tensors.append(x)
    ops = []
    for o in sg.tables(3):
        op = Op()
        op.code = codes[o.scalar(0, "I")]
        op.inputs = o.vector(1, "i")
        op.outputs = o.vector(2, "i")
        kind = o.scalar(3, "B")
        opt = o.table(4)
        op.padding = op.stride_w = op.stride_h = op.activation = 0
        op.dilation_w = op.dilation_h = op.depth_multiplier = 1
        op.filter_w = op.filter_h = 0
        op.beta = 1.0
        if kind == 1:
            op.padding, op.stride_w, op.stride_h = opt.scalar(0, "b"), opt.scalar(1, "i"), opt.scalar(2, "i")
            op.activation = opt.scalar(3, "b")
            op.dilation_w, op.dilation_h = opt.scalar(4, "i", 1), opt.scalar(5, "i", 1)
        elif kind == 2:
            op.padding, op.stride_w, op.stride_h = opt.scalar(0, "b"), opt.scalar(1, "i"), opt.scalar(2, "i")
            op.depth_multiplier = opt.scalar(3, "i")
            op.activation = opt.scalar(4, "b")
            op.dilation_w, op.dilation_h = opt.scalar(5, "i", 1), opt.scalar(6, "i", 1)
        elif kind == 5:
            op.padding, op.stride_w, op.stride_h = opt.scalar(0, "b"), opt.scalar(1, "i"), opt.scalar(2, "i")
            op.filter_w, op.filter_h = opt.scalar(3, "i"), opt.scalar(4, "i")
            op.activation = opt.scalar(5, "b")
        elif kind == 9:
            op.beta = opt.scalar(0, "f")
        elif kind == 11:
            op.activation = opt.scalar(0, "b")
        ops.append(op)
    return tensors, ops, sg.vector(1, "i"), sg.vector(2, "i")


# ---- quantization_util.cc and gemmlowp, on Python ints ------------------

def quantize_multiplier(m):
    """QuantizeMultiplier: m = q * 2^shift with q in [0.5, 1) as Q31."""
    if m == 0.0:
        return 0, 0
    q, shift = math.frexp(m)
    # TfLiteRound is std::round: halves away from zero.
    q_fixed = int(math.floor(abs(q) * (1 << 31) + 0.5)) * (1 if q >= 0 else -1)
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return q_fixed, shift


def srdhm(a, b):
    """SaturatingRoundingDoublingHighMul on int64 arrays (or ints)."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    overflow = (a == b) & (a == INT32_MIN)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    # C++ integer division truncates toward zero.
    q = np.where(s >= 0, s // (1 << 31), -((-s) // (1 << 31)))
    return np.where(overflow, INT32_MAX, q).astype(np.int64)


def rdbpot(x, exponent):
    """RoundingDivideByPOT: round to nearest, halves away from zero."""
    x = np.asarray(x, np.int64)
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def mbqm(x, multiplier, shift):
    """MultiplyByQuantizedMultiplier."""
    left = shift if shift > 0 else 0
    right = 0 if shift > 0 else -shift
    return rdbpot(srdhm(np.asarray(x, np.int64) * (1 << left), multiplier), right)


def activation_range(activation, scale, zero_point):
    """CalculateActivationRangeQuantized for uint8, quantizing in float32."""
    def quantize(f):
        return zero_point + int(np.round(np.float32(f) / np.float32(scale)))  # see below
    qmin, qmax = 0, 255
    if activation == 1:
        return max(qmin, quantize_round(0.0, scale, zero_point)), qmax
    if activation == 3:
        return (max(qmin, quantize_round(0.0, scale, zero_point)),
                min(qmax, quantize_round(6.0, scale, zero_point)))
    if activation == 2:
        return (max(qmin, quantize_round(-1.0, scale, zero_point)),
                min(qmax, quantize_round(1.0, scale, zero_point)))
    return qmin, qmax


def quantize_round(f, scale, zero_point):
    # TfLiteRound (roundf: halves away from zero) of a float32 quotient.
    v = float(np.float32(f) / np.float32(scale))
    r = math.floor(abs(v) + 0.5) * (1 if v >= 0 else -1)
    return zero_point + int(r)


# ---- the operators --------------------------------------------------------

def padding(padding_kind, size, filter_size, stride, dilation):
    eff = (filter_size - 1) * dilation + 1
    if padding_kind == 0:   # SAME
        out = (size + stride - 1) // stride
    else:
        out = (size - eff + stride) // stride
    total = max((out - 1) * stride + eff - size, 0) if padding_kind == 0 else 0
    return out, total // 2


def patches(x, kh, kw, op, pad_value):
    """Windows of the NHWC input x as (N, OH, OW, kh, kw, C); positions
    outside the input hold pad_value (the zero point: its offset input is 0)."""
    n, h, w, c = x.shape
    oh, ph = padding(op.padding, h, kh, op.stride_h, op.dilation_h)
    ow, pw = padding(op.padding, w, kw, op.stride_w, op.dilation_w)
    big = np.full((n, h + 2 * ph + kh * op.dilation_h + op.stride_h * oh,
                   w + 2 * pw + kw * op.dilation_w + op.stride_w * ow, c), pad_value, np.int64)
    big[:, ph:ph + h, pw:pw + w, :] = x
    out = np.empty((n, oh, ow, kh, kw, c), np.int64)
    for fy in range(kh):
        for fx in range(kw):
            y0, x0 = fy * op.dilation_h, fx * op.dilation_w
            out[:, :, :, fy, fx, :] = big[:, y0:y0 + op.stride_h * oh:op.stride_h,
                                          x0:x0 + op.stride_w * ow:op.stride_w, :]
    return out


def conv_multiplier(tin, tfilter, tout):
    real = float(np.float32(tin.scale[0])) * float(np.float32(tfilter.scale[0])) / float(np.float32(tout.scale[0]))
    return quantize_multiplier(real)


def conv2d(op, x, tin, tw, tb, tout):
    w = tw.data.astype(np.int64)                        # [OC, KH, KW, IC]
    oc, kh, kw, ic = w.shape
    p = patches(x, kh, kw, op, tin.zero_point[0]) - tin.zero_point[0]
    acc = np.einsum("nhwyxc,oyxc->nhwo", p, w - tw.zero_point[0])
    if tb is not None:
        acc = acc + tb.data.astype(np.int64)
    m, s = conv_multiplier(tin, tw, tout)
    acc = mbqm(acc, m, s) + tout.zero_point[0]
    lo, hi = activation_range(op.activation, tout.scale[0], tout.zero_point[0])
    return np.clip(acc, lo, hi)


def depthwise(op, x, tin, tw, tb, tout):
    w = tw.data.astype(np.int64)[0]                     # [KH, KW, IC * M]
    kh, kw, _ = w.shape
    p = patches(x, kh, kw, op, tin.zero_point[0]) - tin.zero_point[0]
    p = np.repeat(p, op.depth_multiplier, axis=-1)      # output channel ic * M + m reads input ic
    acc = np.einsum("nhwyxc,yxc->nhwc", p, w - tw.zero_point[0])
    if tb is not None:
        acc = acc + tb.data.astype(np.int64)
    m, s = conv_multiplier(tin, tw, tout)
    acc = mbqm(acc, m, s) + tout.zero_point[0]
    lo, hi = activation_range(op.activation, tout.scale[0], tout.zero_point[0])
    return np.clip(acc, lo, hi)


def add(op, a, b, ta, tb, tout):
    left_shift = 20
    s1, s2, so = (float(np.float32(t.scale[0])) for t in (ta, tb, tout))
    twice_max = 2 * max(s1, s2)
    m1, sh1 = quantize_multiplier(s1 / twice_max)
    m2, sh2 = quantize_multiplier(s2 / twice_max)
    mo, sho = quantize_multiplier(twice_max / ((1 << left_shift) * so))
    v1 = (a.astype(np.int64) - ta.zero_point[0]) * (1 << left_shift)
    v2 = (b.astype(np.int64) - tb.zero_point[0]) * (1 << left_shift)
    raw = mbqm(v1, m1, sh1) + mbqm(v2, m2, sh2)
    out = mbqm(raw, mo, sho) + tout.zero_point[0]
    lo, hi = activation_range(op.activation, tout.scale[0], tout.zero_point[0])
    return np.clip(out, lo, hi)


def average_pool(op, x, tout):
    n, h, w, c = x.shape
    oh, ph = padding(op.padding, h, op.filter_h, op.stride_h, 1)
    ow, pw = padding(op.padding, w, op.filter_w, op.stride_w, 1)
    out = np.empty((n, oh, ow, c), np.int64)
    for oy in range(oh):
        for ox in range(ow):
            y0, x0 = oy * op.stride_h - ph, ox * op.stride_w - pw
            ys, ye = max(0, y0), min(h, y0 + op.filter_h)
            xs, xe = max(0, x0), min(w, x0 + op.filter_w)
            acc = x[:, ys:ye, xs:xe, :].astype(np.int64).sum(axis=(1, 2))
            count = (ye - ys) * (xe - xs)
            out[:, oy, ox, :] = (acc + count // 2) // count
    lo, hi = activation_range(op.activation, tout.scale[0], tout.zero_point[0])
    return np.clip(out, lo, hi)


# gemmlowp's fixed point, raw int32 values in Python ints ---------------------

def sat_mul_pot(x, exponent):
    """SaturatingRoundingMultiplyByPOT."""
    if exponent > 0:
        threshold = (1 << (31 - exponent)) - 1
        if x > threshold:
            return INT32_MAX
        if x < -threshold:
            return INT32_MIN
        return x << exponent
    if exponent < 0:
        return int(rdbpot(x, -exponent))
    return x


def mul(a, b):
    return int(srdhm(a, b))


def exp_on_interval_between_negative_one_quarter_and_0_excl(a):
    constant_term = 1895147668
    constant_1_over_3 = 715827883
    x = a + (1 << 28)
    x2 = mul(x, x)
    x3 = mul(x2, x)
    x4 = mul(x2, x2)
    x4_over_4 = sat_mul_pot(x4, -2)
    poly = sat_mul_pot(mul(x4_over_4 + x3, constant_1_over_3) + x2, -1)
    return constant_term + mul(constant_term, x + poly)


def exp_on_negative_values(a, integer_bits=5):
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    mask = one_quarter - 1
    a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        sat_mul_pot(a_mod_quarter_minus_one_quarter, integer_bits))
    remainder = a_mod_quarter_minus_one_quarter - a
    for exponent, multiplier in ((-2, 1672461947), (-1, 1302514674), (0, 790015084),
                                 (1, 290630308), (2, 39332535), (3, 720401), (4, 242)):
        if integer_bits > exponent:
            if remainder & (1 << (fractional_bits + exponent)):
                result = mul(result, multiplier)
    return INT32_MAX if a == 0 else result


def one_over_one_plus_x_for_x_in_0_1(a):
    s = a + INT32_MAX
    half_denominator = int((s + (1 if s >= 0 else -1)) / 2) if False else _rounding_half_sum(a, INT32_MAX)
    x = 1515870810 + mul(half_denominator, -1010580540)
    for _ in range(3):
        half_denominator_times_x = mul(half_denominator, x)
        one_minus = (1 << 29) - half_denominator_times_x
        x = x + sat_mul_pot(mul(x, one_minus), 2)
    return sat_mul_pot(x, 1)


def _rounding_half_sum(a, b):
    s = a + b
    sign = 1 if s >= 0 else -1
    v = s + sign
    return v // 2 if v >= 0 else -((-v) // 2)


def get_reciprocal(x, x_integer_digits):
    headroom_plus_one = 32 - x.bit_length() if x > 0 else 32
    num_bits_over_unit = x_integer_digits - headroom_plus_one
    shifted_sum_minus_one = ((x << headroom_plus_one) & 0xffffffff) - (1 << 31)
    return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one), num_bits_over_unit


def softmax(op, x, tin):
    scaled_diff_integer_bits = 5
    accumulation_integer_bits = 12
    real = min(op.beta * float(np.float32(tin.scale[0])) * (1 << (31 - scaled_diff_integer_bits)),
               (1 << 31) - 1.0)
    multiplier, left_shift = quantize_multiplier(real)
    radius = math.floor(1.0 * ((1 << scaled_diff_integer_bits) - 1) *
                        (1 << (31 - scaled_diff_integer_bits)) / (1 << left_shift))
    diff_min = -radius
    flat = x.reshape(-1, x.shape[-1]).astype(np.int64)
    out = np.zeros(flat.shape, np.int64)
    for i, row in enumerate(flat):
        row_max = int(row.max())
        exps = []
        sum_of_exps = 0
        for v in row:
            diff = int(v) - row_max
            if diff >= diff_min:
                rescaled = mul(diff * (1 << left_shift), multiplier)
                e = exp_on_negative_values(rescaled)
                exps.append(e)
                sum_of_exps += sat_mul_pot(e, -accumulation_integer_bits)
            else:
                exps.append(None)
        shifted_scale, num_bits_over_unit = get_reciprocal(sum_of_exps, accumulation_integer_bits)
        for c, e in enumerate(exps):
            if e is None:
                out[i, c] = 0
            else:
                unsat = int(rdbpot(mul(shifted_scale, e), num_bits_over_unit + 31 - 8))
                out[i, c] = max(min(unsat, 255), 0)
    return out.reshape(x.shape)


def run(path, image):
    """The uint8 outputs of the model's first subgraph for one HxWx3 uint8
    image; every tensor computed, by index."""
    tensors, ops, inputs, outputs = load(path)
    values = {inputs[0]: image.astype(np.int64)[None]}
    for op in ops:
        t = [tensors[i] if i >= 0 else None for i in op.inputs]
        x = values[op.inputs[0]]
        tout = tensors[op.outputs[0]]
        if op.code == 3:
            y = conv2d(op, x, t[0], t[1], t[2] if len(t) > 2 else None, tout)
        elif op.code == 4:
            y = depthwise(op, x, t[0], t[1], t[2] if len(t) > 2 else None, tout)
        elif op.code == 0:
            other = values[op.inputs[1]] if op.inputs[1] in values else t[1].data.astype(np.int64)
            y = add(op, x, other, t[0], t[1], tout)
        elif op.code == 1:
            y = average_pool(op, x, tout)
        elif op.code == 22:
            y = x.reshape(tout.shape)
        elif op.code == 25:
            y = softmax(op, x, t[0])
        else:
            raise ValueError("operator %d is not implemented here" % op.code)
        values[op.outputs[0]] = y
    return [values[o].astype(np.uint8) for o in outputs], values


def preprocess(path, size=224):
    """What Coral's classify_image.py feeds: RGB, resized with
    Image.LANCZOS (ANTIALIAS) to the input size, the uint8 pixels as they
    are (the input's scale 1/128 and zero point 128 are the model's own
    mean 128 and std 128, so no requantization)."""
    from PIL import Image
    img = Image.open(path).convert("RGB").resize((size, size), Image.LANCZOS)
    return np.asarray(img, np.uint8)


# ---- the float path: the same graph on the dequantized weights -------------

def dequantize(t):
    """(q - zero_point) * scale in float32, per tensor or per axis."""
    q = t.data.astype(np.float64)
    scale = np.asarray(t.scale, np.float32).astype(np.float64)
    zp = np.asarray(t.zero_point, np.float64)
    if len(t.scale) > 1:
        shape = [1] * q.ndim
        shape[0] = -1
        return ((q - zp.reshape(shape)) * scale.reshape(shape)).astype(np.float32)
    return ((q - zp[0]) * scale[0]).astype(np.float32)


def float_activation(activation, x):
    if activation == 1:
        return np.maximum(x, 0)
    if activation == 3:
        return np.clip(x, 0, 6)
    if activation == 2:
        return np.clip(x, -1, 1)
    return x


def run_float(path, image):
    """The float32-weight graph in float64 numpy: image is HxWx3 float (the
    dequantized input). Returns the outputs and every tensor by index."""
    tensors, ops, inputs, outputs = load(path)
    values = {inputs[0]: np.asarray(image, np.float64)[None]}

    def get(i):
        return values[i] if i in values else dequantize(tensors[i]).astype(np.float64)

    for op in ops:
        x = values[op.inputs[0]]
        tout = tensors[op.outputs[0]]
        if op.code in (3, 4):
            w = get(op.inputs[1])
            b = get(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] >= 0 else 0.0
            if op.code == 3:
                p = patches_float(x, w.shape[1], w.shape[2], op)
                y = np.einsum("nhwyxc,oyxc->nhwo", p, w) + b
            else:
                p = np.repeat(patches_float(x, w.shape[1], w.shape[2], op), op.depth_multiplier, axis=-1)
                y = np.einsum("nhwyxc,yxc->nhwc", p, w[0]) + b
            y = float_activation(op.activation, y)
        elif op.code == 0:
            y = float_activation(op.activation, x + get(op.inputs[1]))
        elif op.code == 1:
            n, h, w_, c = x.shape
            oh, ph = padding(op.padding, h, op.filter_h, op.stride_h, 1)
            ow, pw = padding(op.padding, w_, op.filter_w, op.stride_w, 1)
            y = np.empty((n, oh, ow, c))
            for oy in range(oh):
                for ox in range(ow):
                    y0, x0 = oy * op.stride_h - ph, ox * op.stride_w - pw
                    win = x[:, max(0, y0):min(h, y0 + op.filter_h), max(0, x0):min(w_, x0 + op.filter_w), :]
                    y[:, oy, ox, :] = win.mean(axis=(1, 2))
            y = float_activation(op.activation, y)
        elif op.code == 22:
            y = x.reshape(tout.shape)
        elif op.code == 25:
            e = np.exp(op.beta * (x - x.max(axis=-1, keepdims=True)))
            y = e / e.sum(axis=-1, keepdims=True)
        else:
            raise ValueError("operator %d is not implemented here" % op.code)
        values[op.outputs[0]] = y
    return [values[o] for o in outputs], values


def patches_float(x, kh, kw, op):
    """As patches(), padding with 0.0 (the float path's zero)."""
    n, h, w, c = x.shape
    oh, ph = padding(op.padding, h, kh, op.stride_h, op.dilation_h)
    ow, pw = padding(op.padding, w, kw, op.stride_w, op.dilation_w)
    big = np.zeros((n, h + 2 * ph + kh * op.dilation_h + op.stride_h * oh,
                    w + 2 * pw + kw * op.dilation_w + op.stride_w * ow, c))
    big[:, ph:ph + h, pw:pw + w, :] = x
    out = np.empty((n, oh, ow, kh, kw, c))
    for fy in range(kh):
        for fx in range(kw):
            y0, x0 = fy * op.dilation_h, fx * op.dilation_w
            out[:, :, :, fy, fx, :] = big[:, y0:y0 + op.stride_h * oh:op.stride_h,
                                          x0:x0 + op.stride_w * ow:op.stride_w, :]
    return out
