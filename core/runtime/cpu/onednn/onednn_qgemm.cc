// QGemm via oneDNN's int8 matmul: A [M, K] u8/s8, B constant s8 ([N, K] with
// transB, else [K, N]) reordered once into the implementation's layout, s32
// bias [N], output u8/s8 (y_scale given) or f32; parameters and post-ops as
// in onednn_qparams.h with output channels along dim 1.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/runtime/cpu/onednn/onednn_kernels.h"
#include "core/runtime/cpu/onednn/onednn_qparams.h"
#include "core/runtime/cpu/onednn/onednn_util.h"
#include "core/runtime/cpu/onednn/onednn_weights.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::onednn {
namespace {

enum Input { kA, kAScale, kAZp, kB, kBScale, kBZp, kBias, kYScale, kYZp };
constexpr QInputs kGemmInputs{kA, kAScale, kAZp, kB, kBScale, kBZp, kYScale, kYZp, kBias};

KernelOr Build(const KernelContext& ctx) {
  const ir::ValueInfo& a = ctx.input_infos[kA];
  const ir::ValueInfo& y = ctx.output_infos[0];
  const auto a_dt = DnnlType(a.dtype), y_dt = DnnlType(y.dtype);
  if (!a_dt || !y_dt || a.shape.rank() != 2 || !a.shape.IsStatic() ||
      ctx.input_infos[kB].dtype != ir::DType::kI8) {
    return Unsupported(ctx.node, "dtypes or ranks");
  }
  FP_ASSIGN_OR_RETURN(int64_t trans_b, ctx.node.GetInt("transB", 0));
  FP_ASSIGN_OR_RETURN(float alpha, ctx.node.GetFloat("alpha", 1.0f));
  if (alpha != 1.0f) return Unsupported(ctx.node, "alpha != 1");
  const int64_t m = a.shape[0], k = a.shape[1], n = y.shape[1];
  const bool has_bias = ctx.node.HasInput(kBias);
  if (has_bias && ctx.input_infos[kBias].shape.NumElements() != n) {
    return Unsupported(ctx.node, "bias must have N elements");
  }
  FP_ASSIGN_OR_RETURN(QParams q, ReadQParams(ctx, kGemmInputs, n));
  FP_RETURN_IF_ERROR(CheckNoSaturation(ctx, kGemmInputs));
  // The source zero point goes into the bias, sum_k (a - za) w = sum_k a w -
  // za sum_k w (exact in s32): with it in the attributes, the weights'
  // reorder also computes that compensation, in oneDNN's slow generic
  // reorder (3-5 ms for seed_cnn's 1600 x 512 weight).
  const int8_t* b = Constant(ctx, kB)->data<int8_t>();
  std::vector<int32_t> bias_values(static_cast<size_t>(n), 0);
  if (has_bias) std::copy_n(Constant(ctx, kBias)->data<int32_t>(), n, bias_values.begin());
  const bool with_bias = has_bias || q.x_zp != 0;
  if (q.x_zp != 0) {
    // sum_k w per output column, reading B in its memory order ([N, K]
    // rows with transB, else [K, N] rows).
    std::vector<int64_t> column(static_cast<size_t>(n), 0);
    if (trans_b) {
      for (int64_t j = 0; j < n; ++j) {
        for (int64_t i = 0; i < k; ++i) column[j] += b[j * k + i];
      }
    } else {
      for (int64_t i = 0; i < k; ++i) {
        for (int64_t j = 0; j < n; ++j) column[j] += b[i * n + j];
      }
    }
    for (int64_t j = 0; j < n; ++j) bias_values[j] -= static_cast<int32_t>(q.x_zp * column[j]);
    q.x_zp = 0;
  }
  FP_ASSIGN_OR_RETURN(dnnl::primitive_attr attr, QuantAttr(ctx.node, q, /*channel_dim=*/1));

  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  const Desc src = LayoutDesc({m, k}, Layout::kPlain, *a_dt);
  const Desc dst = LayoutDesc({m, n}, Layout::kPlain, *y_dt);
  const Desc w_any({k, n}, dt::s8, tag::any);
  const Desc bias = with_bias ? Desc({1, n}, dt::s32, tag::ab) : Desc();
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, w_any, bias, dst), attr,
                                        CpuEngine());
  // B as a [K, N] view of the user's layout, reordered once.
  const Desc w_user = trans_b ? Desc({k, n}, dt::s8, Dims{1, k}) : Desc({k, n}, dt::s8, tag::ab);
  const dnnl::memory packed = PackS8Weights(w_user, b, pd.weights_desc());
  std::vector<Binding> args = {Binding::Input(DNNL_ARG_SRC, kA, src),
                               Binding::Output(DNNL_ARG_DST, 0, dst),
                               Binding::Owned(DNNL_ARG_WEIGHTS, packed)};
  if (with_bias) {
    dnnl::memory bias_memory(bias, CpuEngine());
    std::copy_n(bias_values.data(), n, static_cast<int32_t*>(bias_memory.get_data_handle()));
    args.push_back(Binding::Owned(DNNL_ARG_BIAS, bias_memory));
  }
  SequenceBuilder builder(ctx.node);
  builder.AddStep(dnnl::matmul(pd), pd, std::move(args));
  return std::move(builder).Build(ImplName(pd));
}

}  // namespace

KernelOr CreateQGemm(const KernelContext& ctx) {
  return CatchDnnl(ctx.node.Describe(), Stage::kCreate, [&] { return Build(ctx); });
}

}  // namespace fixpoint::runtime::onednn
