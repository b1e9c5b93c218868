// Reference (integer) QLinearConv and QGemm: the oracle for the oneDNN int8
// kernels. Exact integer accumulation in int64:
//   acc[m] = sum (x - x_zp) * (w - w_zp[m]) + bias[m]
// then, in f32 exactly as oneDNN's int8 path orders it,
//   v = f32(acc) * f32(x_scale * w_scale[m] / y_scale)
//   v = fused activation (Relu, LeakyRelu, Clip with bounds / y_scale)
//   v += post_shift[m] / y_scale   (QLinearConv's optional input 9)
//   y = saturate(round_half_even(v) + y_zp)
// With y_scale absent the output is f32: v = f32(acc) * (x_scale * w_scale[m])
// and then the activation. These kernels apply `fused_activation` themselves
// (the engine must not wrap them). 2-D convolution only.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/runtime/cpu/ref/ref_kernels.h"
#include "core/runtime/cpu/ref/ref_util.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::ref {
namespace {

// What the kernel knows at creation (the node itself does not outlive it).
struct QConfig {
  std::string where;  // node description for errors
  int shift_input = -1;  // QLinearConv's post_shift input, when present
  bool has_bias = false;
  bool to_int = false;  // y_scale present
  std::string activation;  // "", Relu, LeakyRelu, Clip
  float alpha = 0.0f, beta = 0.0f;
};

absl::StatusOr<QConfig> ReadConfig(const KernelContext& ctx, int bias, int y_scale) {
  QConfig c;
  c.where = ctx.node.Describe();
  c.has_bias = bias >= 0 && HasInput(ctx, bias);
  c.to_int = HasInput(ctx, y_scale);
  FP_ASSIGN_OR_RETURN(c.activation, ctx.node.GetString("fused_activation", ""));
  if (!c.activation.empty() && c.activation != "Relu" && c.activation != "LeakyRelu" &&
      c.activation != "Clip") {
    return Unimplemented(ctx, "fused activation ", c.activation, " on an integer op");
  }
  FP_ASSIGN_OR_RETURN(c.alpha, ctx.node.GetFloat("fused_alpha", 0.0f));
  FP_ASSIGN_OR_RETURN(c.beta, ctx.node.GetFloat("fused_beta", 0.0f));
  return c;
}

// Requantization of one output channel.
struct Requant {
  std::vector<float> multiplier;  // per output channel
  bool to_int = false;            // false: f32 output
  int32_t zp = 0;
  int32_t qmin = 0, qmax = 0;
  std::string activation;  // "", Relu, LeakyRelu, Clip
  float alpha = 0.0f, beta = 0.0f;  // LeakyRelu alpha; Clip bounds (output units)
  std::vector<float> shift;  // per channel, output units, after the activation (or empty)
};

float ReadScalarF32(const ir::TensorView& t) { return static_cast<const float*>(t.data)[0]; }

int32_t ReadInt(const ir::TensorView& t, int64_t i) {
  if (t.dtype == ir::DType::kU8) return static_cast<const uint8_t*>(t.data)[i];
  if (t.dtype == ir::DType::kI8) return static_cast<const int8_t*>(t.data)[i];
  return static_cast<const int32_t*>(t.data)[i];
}

// The fused activation of `r` on one value (in output units).
float Activate(const Requant& r, float v) {
  if (r.activation == "Relu") return std::max(v, 0.0f);
  if (r.activation == "LeakyRelu") return v < 0.0f ? v * r.alpha : v;
  if (r.activation == "Clip") return std::min(std::max(v, r.alpha), r.beta);
  return v;
}

// saturate(round_half_even(v) + zp) written as out[i] (u8 or i8).
void StoreQuantized(const Requant& r, float v, const ir::TensorView& out, int64_t i) {
  float q = static_cast<float>(RoundHalfEven(v)) + static_cast<float>(r.zp);
  q = std::min(std::max(q, static_cast<float>(r.qmin)), static_cast<float>(r.qmax));
  if (out.dtype == ir::DType::kU8) {
    static_cast<uint8_t*>(out.data)[i] = static_cast<uint8_t>(q);
  } else {
    static_cast<int8_t*>(out.data)[i] = static_cast<int8_t>(q);
  }
}

absl::StatusOr<Requant> PlanRequant(const QConfig& c, const KernelArgs& args, int x_scale,
                                    int w_scale, int y_scale, int y_zp, int64_t channels) {
  Requant r;
  const float xs = ReadScalarF32(args.inputs[x_scale]);
  const ir::TensorView& ws = args.inputs[w_scale];
  const int64_t n_ws = ws.shape.NumElements();
  if (n_ws != 1 && n_ws != channels) {
    return absl::InvalidArgumentError(absl::StrCat(c.where, ": weight scale has ", n_ws,
                                                   " elements for ", channels, " channels"));
  }
  r.to_int = c.to_int;
  const float ys = r.to_int ? ReadScalarF32(args.inputs[y_scale]) : 1.0f;
  for (int64_t m = 0; m < channels; ++m) {
    const float w = static_cast<const float*>(ws.data)[n_ws == 1 ? 0 : m];
    r.multiplier.push_back(r.to_int ? xs * w / ys : xs * w);
  }
  if (r.to_int) {
    r.zp = ReadInt(args.inputs[y_zp], 0);
    const bool u8 = args.inputs[y_zp].dtype == ir::DType::kU8;
    r.qmin = u8 ? 0 : -128;
    r.qmax = u8 ? 255 : 127;
  }
  r.activation = c.activation;
  r.alpha = c.alpha;
  r.beta = c.beta;
  if (r.activation == "Clip") {
    r.alpha /= ys;
    r.beta /= ys;
  }
  if (c.shift_input >= 0) {
    const ir::TensorView& sh = args.inputs[c.shift_input];
    if (sh.shape.NumElements() != channels) {
      return absl::InvalidArgumentError(absl::StrCat(c.where, ": post_shift size"));
    }
    for (int64_t m = 0; m < channels; ++m) r.shift.push_back(static_cast<const float*>(sh.data)[m] / ys);
  }
  return r;
}

// Writes output element i of channel m from the exact accumulator.
void Store(const Requant& r, int64_t m, int64_t acc, const ir::TensorView& out, int64_t i) {
  float v = Activate(r, static_cast<float>(acc) * r.multiplier[m]);
  if (!r.shift.empty()) v += r.shift[m];
  if (r.to_int) {
    StoreQuantized(r, v, out, i);
  } else {
    static_cast<float*>(out.data)[i] = v;
  }
}

// Per-channel weight zero point (one value or one per output channel).
int32_t WeightZp(const ir::TensorView& zp, int64_t m) {
  return ReadInt(zp, zp.shape.NumElements() == 1 ? 0 : m);
}

absl::Status RunQLinearConv(const QConfig& cfg, const KernelArgs& args,
                            const std::vector<int64_t>& strides,
                            const std::vector<int64_t>& dilations,
                            const std::vector<int64_t>& pads, int64_t group) {
  const ir::TensorView& x = args.inputs[0];
  const ir::TensorView& w = args.inputs[3];
  const ir::TensorView& out = args.outputs[0];
  const int64_t N = x.shape.dim(0), C = x.shape.dim(1), H = x.shape.dim(2), W = x.shape.dim(3);
  const int64_t M = w.shape.dim(0), KH = w.shape.dim(2), KW = w.shape.dim(3);
  const int64_t OH = out.shape.dim(2), OW = out.shape.dim(3);
  const int64_t cg = C / group, mg = M / group;
  FP_ASSIGN_OR_RETURN(Requant r, PlanRequant(cfg, args, 1, 4, 6, 7, M));
  const int32_t x_zp = ReadInt(args.inputs[2], 0);
  const bool has_bias = cfg.has_bias;
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t m = 0; m < M; ++m) {
      const int64_t g = m / mg;
      const int32_t w_zp = WeightZp(args.inputs[5], m);
      const int64_t bias = has_bias ? ReadInt(args.inputs[8], m) : 0;
      for (int64_t oh = 0; oh < OH; ++oh) {
        for (int64_t ow = 0; ow < OW; ++ow) {
          int64_t acc = bias;
          for (int64_t c = 0; c < cg; ++c) {
            for (int64_t kh = 0; kh < KH; ++kh) {
              const int64_t ih = oh * strides[0] - pads[0] + kh * dilations[0];
              if (ih < 0 || ih >= H) continue;
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t iw = ow * strides[1] - pads[1] + kw * dilations[1];
                if (iw < 0 || iw >= W) continue;
                const int64_t xi = ((n * C + g * cg + c) * H + ih) * W + iw;
                const int64_t wi = ((m * cg + c) * KH + kh) * KW + kw;
                acc += static_cast<int64_t>(ReadInt(x, xi) - x_zp) * (ReadInt(w, wi) - w_zp);
              }
            }
          }
          Store(r, m, acc, out, ((n * M + m) * OH + oh) * OW + ow);
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status RunQGemm(const QConfig& cfg, const KernelArgs& args, bool trans_b) {
  const ir::TensorView& a = args.inputs[0];
  const ir::TensorView& b = args.inputs[3];
  const ir::TensorView& out = args.outputs[0];
  const int64_t M = a.shape.dim(0), K = a.shape.dim(1);
  const int64_t N = trans_b ? b.shape.dim(0) : b.shape.dim(1);
  FP_ASSIGN_OR_RETURN(Requant r, PlanRequant(cfg, args, 1, 4, 7, 8, N));
  const int32_t a_zp = ReadInt(args.inputs[2], 0);
  const bool has_bias = cfg.has_bias;
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      const int32_t b_zp = WeightZp(args.inputs[5], j);
      int64_t acc = has_bias ? ReadInt(args.inputs[6], j) : 0;
      for (int64_t k = 0; k < K; ++k) {
        const int64_t bi = trans_b ? j * K + k : k * N + j;
        acc += static_cast<int64_t>(ReadInt(a, i * K + k) - a_zp) * (ReadInt(b, bi) - b_zp);
      }
      Store(r, j, acc, out, i * N + j);
    }
  }
  return absl::OkStatus();
}

absl::Status RunQLinearAdd(const QConfig& cfg, const KernelArgs& args) {
  const float sa = ReadScalarF32(args.inputs[1]), sb = ReadScalarF32(args.inputs[4]);
  const float sy = ReadScalarF32(args.inputs[6]);
  const int32_t za = ReadInt(args.inputs[2], 0), zb = ReadInt(args.inputs[5], 0);
  const ir::TensorView& out = args.outputs[0];
  Requant r;
  r.to_int = true;
  r.multiplier = {1.0f};
  r.zp = ReadInt(args.inputs[7], 0);
  const bool u8 = out.dtype == ir::DType::kU8;
  r.qmin = u8 ? 0 : -128;
  r.qmax = u8 ? 255 : 127;
  r.activation = cfg.activation;
  r.alpha = cfg.alpha;
  r.beta = cfg.beta;
  const int64_t n = out.shape.NumElements();
  for (int64_t i = 0; i < n; ++i) {
    const float v = sa * static_cast<float>(ReadInt(args.inputs[0], i) - za) +
                    sb * static_cast<float>(ReadInt(args.inputs[3], i) - zb);
    StoreQuantized(r, Activate(r, v) / sy, out, i);
  }
  return absl::OkStatus();
}

}  // namespace

KernelOr CreateQLinearAdd(const KernelContext& ctx) {
  if (ctx.input_infos[0].shape != ctx.input_infos[3].shape) {
    return Unimplemented(ctx, "QLinearAdd with broadcasting");
  }
  FP_ASSIGN_OR_RETURN(QConfig cfg, ReadConfig(ctx, -1, 6));
  return MakeKernel([cfg](const KernelArgs& args) { return RunQLinearAdd(cfg, args); });
}

KernelOr CreateQLinearConv(const KernelContext& ctx) {
  if (ctx.input_infos[0].shape.rank() != 4) return Unimplemented(ctx, "only 2-D QLinearConv");
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> strides, ctx.node.GetInts("strides", {1, 1}));
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> dilations, ctx.node.GetInts("dilations", {1, 1}));
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> pads, ctx.node.GetInts("pads", {0, 0, 0, 0}));
  FP_ASSIGN_OR_RETURN(int64_t group, ctx.node.GetInt("group", 1));
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4 || group < 1) {
    return InvalidArg(ctx, "bad 2-D geometry");
  }
  FP_ASSIGN_OR_RETURN(QConfig cfg, ReadConfig(ctx, 8, 6));
  if (HasInput(ctx, 9)) cfg.shift_input = 9;
  return MakeKernel([cfg, strides, dilations, pads, group](const KernelArgs& args) {
    return RunQLinearConv(cfg, args, strides, dilations, pads, group);
  });
}

KernelOr CreateQGemm(const KernelContext& ctx) {
  FP_ASSIGN_OR_RETURN(int64_t trans_b, ctx.node.GetInt("transB", 0));
  FP_ASSIGN_OR_RETURN(float alpha, ctx.node.GetFloat("alpha", 1.0f));
  if (alpha != 1.0f) return Unimplemented(ctx, "alpha != 1");
  if (HasInput(ctx, 6)) {
    const ir::Shape& c = ctx.input_infos[6].shape;
    const int64_t n = ctx.output_infos[0].shape.dim(1);
    if (c.NumElements() != n || (c.rank() == 2 && c.dim(0) != 1)) {
      return Unimplemented(ctx, "bias must be [N] or [1, N]");
    }
  }
  FP_ASSIGN_OR_RETURN(QConfig cfg, ReadConfig(ctx, 6, 7));
  return MakeKernel([cfg, trans_b](const KernelArgs& args) {
    return RunQGemm(cfg, args, trans_b != 0);
  });
}

}  // namespace fixpoint::runtime::ref
