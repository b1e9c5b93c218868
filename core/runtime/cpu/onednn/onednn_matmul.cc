// Gemm and MatMul via the oneDNN matmul primitive (transposes as strides,
// Gemm's alpha as an output scale, C as a broadcast bias).
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/runtime/cpu/onednn/onednn_kernels.h"
#include "core/runtime/cpu/onednn/onednn_util.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::onednn {
namespace {

// oneDNN's matmul supports at most this many dimensions.
constexpr size_t kMaxMatMulRank = 12;

// C's dims in 2-D form ({1,1}, {1,N}, {M,1} or {M,N}), or an error.
absl::StatusOr<Dims> GemmCDims(const KernelContext& ctx, int64_t m, int64_t n) {
  const ir::Shape& c = ctx.input_infos[2].shape;
  Dims dims;
  if (c.rank() == 0) {
    dims = {1, 1};
  } else if (c.rank() == 1) {
    dims = {1, c[0]};
  } else if (c.rank() == 2) {
    dims = {c[0], c[1]};
  } else {
    return Unsupported(ctx.node, "C of rank > 2");
  }
  if ((dims[0] != 1 && dims[0] != m) || (dims[1] != 1 && dims[1] != n)) {
    return absl::InvalidArgumentError(
        absl::StrCat(ctx.node.Describe(), ": C ", c.ToString(), " does not broadcast"));
  }
  return dims;
}

// scale * c as a kernel-owned {dims} tensor; c has dims' element count or is
// a single value (then repeated).
dnnl::memory ScaledConstant(const ir::Tensor& c, const Dims& dims, float scale) {
  dnnl::memory mem(PlainDesc(dims), CpuEngine());
  float* out = static_cast<float*>(mem.get_data_handle());
  const float* in = c.data<float>();
  const int64_t count = dims[0] * dims[1];
  for (int64_t i = 0; i < count; ++i) out[i] = scale * in[c.NumElements() == 1 ? 0 : i];
  return mem;
}

// What the matmul primitive is built from.
struct GemmPlan {
  Desc src, weights, dst, bias;  // bias empty (zero) when absent
  dnnl::post_ops post_ops;
  std::vector<Binding> args;
};

// Adds C to the plan. A {1,N} (or constant scalar) C becomes the matmul bias,
// which every fast implementation handles; oneDNN adds it before the output
// scale (dst = alpha * (A·B + bias)), so bias = C * beta / alpha. Any other
// broadcast ({M,1}, {M,N}, runtime scalar) is a binary-add post-op of
// C * beta, which also stays on the fast path. A runtime C that would need
// rescaling goes to the reference kernel.
absl::Status AddGemmC(const KernelContext& ctx, int64_t m, int64_t n, float alpha, float beta,
                      GemmPlan& plan) {
  FP_ASSIGN_OR_RETURN(Dims c_dims, GemmCDims(ctx, m, n));
  const ir::Tensor* constant = ctx.constants.size() > 2 ? ctx.constants[2] : nullptr;
  const bool as_bias = c_dims == Dims{1, n} || (c_dims == Dims{1, 1} && constant != nullptr);
  const Dims dims = as_bias ? Dims{1, n} : c_dims;
  const float scale = as_bias ? beta / alpha : beta;
  const int arg = as_bias ? DNNL_ARG_BIAS : (DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1);
  if (scale == 1.0f && dims == c_dims) {
    plan.args.push_back(Binding::Input(arg, 2, PlainDesc(dims)));
  } else if (constant != nullptr) {
    plan.args.push_back(Binding::Owned(arg, ScaledConstant(*constant, dims, scale)));
  } else {
    return Unsupported(ctx.node, "a non-constant C that needs rescaling");
  }
  if (as_bias) {
    plan.bias = PlainDesc(dims);
  } else {
    plan.post_ops.append_binary(dnnl::algorithm::binary_add, PlainDesc(dims));
  }
  return absl::OkStatus();
}

KernelOr BuildGemm(const KernelContext& ctx, float alpha, float beta, bool trans_a,
                   bool trans_b) {
  const ir::Shape& a = ctx.input_infos[0].shape;
  const ir::Shape& b = ctx.input_infos[1].shape;
  const int64_t m = trans_a ? a[1] : a[0];
  const int64_t k = trans_a ? a[0] : a[1];
  const int64_t n = trans_b ? b[0] : b[1];
  GemmPlan plan;
  plan.src = StridedDesc({m, k}, trans_a ? Dims{1, m} : Dims{k, 1});
  plan.weights = StridedDesc({k, n}, trans_b ? Dims{1, k} : Dims{n, 1});
  plan.dst = PlainDesc({m, n});
  plan.args = {Binding::Input(DNNL_ARG_SRC, 0, plan.src),
               Binding::Input(DNNL_ARG_WEIGHTS, 1, plan.weights),
               Binding::Output(DNNL_ARG_DST, 0, plan.dst)};
  if (ctx.input_infos.size() > 2 && !ctx.input_infos[2].name.empty() && beta != 0.0f) {
    FP_RETURN_IF_ERROR(AddGemmC(ctx, m, n, alpha, beta, plan));
  }
  FP_RETURN_IF_ERROR(AppendFusedActivation(ctx.node, plan.post_ops));
  dnnl::primitive_attr attr = UserScratchpadAttr();
  if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
  attr.set_post_ops(plan.post_ops);
  const dnnl::matmul::desc desc(plan.src, plan.weights, plan.bias, plan.dst);
  const dnnl::matmul::primitive_desc pd(desc, attr, CpuEngine());
  SequenceBuilder builder(ctx.node);
  builder.AddStep(dnnl::matmul(pd), pd, std::move(plan.args));
  return std::move(builder).Build(ImplName(pd));
}

// numpy matmul shapes in oneDNN form: both operands promoted to 2-D and
// padded with leading 1s to the same rank; dst is their broadcast.
struct MatMulDims {
  Dims a, b, dst;
};

absl::StatusOr<MatMulDims> BroadcastMatMul(const KernelContext& ctx) {
  MatMulDims d;
  d.a = ToDims(ctx.input_infos[0].shape);
  d.b = ToDims(ctx.input_infos[1].shape);
  if (ctx.input_infos[0].shape.rank() == 1) d.a.insert(d.a.begin(), 1);
  if (ctx.input_infos[1].shape.rank() == 1) d.b.push_back(1);
  const size_t rank = std::max(d.a.size(), d.b.size());
  if (rank > kMaxMatMulRank) return Unsupported(ctx.node, "rank > 12");
  d.a.insert(d.a.begin(), rank - d.a.size(), 1);
  d.b.insert(d.b.begin(), rank - d.b.size(), 1);
  if (d.a[rank - 1] != d.b[rank - 2]) {
    return absl::InvalidArgumentError(absl::StrCat(ctx.node.Describe(), ": K mismatch"));
  }
  d.dst.resize(rank);
  for (size_t i = 0; i + 2 < rank; ++i) {
    if (d.a[i] != d.b[i] && d.a[i] != 1 && d.b[i] != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(ctx.node.Describe(), ": batch dims do not broadcast"));
    }
    d.dst[i] = std::max(d.a[i], d.b[i]);
  }
  d.dst[rank - 2] = d.a[rank - 2];
  d.dst[rank - 1] = d.b[rank - 1];
  int64_t elements = 1;
  for (int64_t v : d.dst) elements *= v;
  if (elements != ctx.output_infos[0].shape.NumElements()) {
    return absl::InvalidArgumentError(
        absl::StrCat(ctx.node.Describe(), ": output shape disagrees with inputs"));
  }
  return d;
}

KernelOr BuildMatMul(const KernelContext& ctx, const MatMulDims& d) {
  dnnl::post_ops post_ops;
  FP_RETURN_IF_ERROR(AppendFusedActivation(ctx.node, post_ops));
  dnnl::primitive_attr attr = UserScratchpadAttr();
  attr.set_post_ops(post_ops);
  const Desc a = PlainDesc(d.a), b = PlainDesc(d.b), dst = PlainDesc(d.dst);
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, dst), attr, CpuEngine());
  SequenceBuilder builder(ctx.node);
  builder.AddStep(dnnl::matmul(pd), pd,
                  {Binding::Input(DNNL_ARG_SRC, 0, a), Binding::Input(DNNL_ARG_WEIGHTS, 1, b),
                   Binding::Output(DNNL_ARG_DST, 0, dst)});
  return std::move(builder).Build(ImplName(pd));
}

absl::Status RequireTwoInputs(const KernelContext& ctx) {
  if (ctx.input_infos.size() < 2 || ctx.input_infos[0].name.empty() ||
      ctx.input_infos[1].name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(ctx.node.Describe(), ": needs A and B"));
  }
  return absl::OkStatus();
}

KernelOr CreateGemmUnguarded(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(RequireF32(ctx));
  FP_RETURN_IF_ERROR(RequireTwoInputs(ctx));
  const ir::Node& node = ctx.node;
  FP_ASSIGN_OR_RETURN(float alpha, node.GetFloat("alpha", 1.0f));
  FP_ASSIGN_OR_RETURN(float beta, node.GetFloat("beta", 1.0f));
  FP_ASSIGN_OR_RETURN(int64_t trans_a, node.GetInt("transA", 0));
  FP_ASSIGN_OR_RETURN(int64_t trans_b, node.GetInt("transB", 0));
  if (ctx.input_infos[0].shape.rank() != 2 || ctx.input_infos[1].shape.rank() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": A and B must be 2-D"));
  }
  if (alpha == 0.0f) return Unsupported(node, "alpha == 0");
  return BuildGemm(ctx, alpha, beta, trans_a != 0, trans_b != 0);
}

KernelOr CreateMatMulUnguarded(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(RequireF32(ctx));
  FP_RETURN_IF_ERROR(RequireTwoInputs(ctx));
  FP_ASSIGN_OR_RETURN(MatMulDims dims, BroadcastMatMul(ctx));
  return BuildMatMul(ctx, dims);
}

}  // namespace

KernelOr CreateGemm(const KernelContext& ctx) {
  return CatchDnnl(ctx.node.Describe(), Stage::kCreate, [&] { return CreateGemmUnguarded(ctx); });
}

KernelOr CreateMatMul(const KernelContext& ctx) {
  return CatchDnnl(ctx.node.Describe(), Stage::kCreate,
                   [&] { return CreateMatMulUnguarded(ctx); });
}

}  // namespace fixpoint::runtime::onednn
