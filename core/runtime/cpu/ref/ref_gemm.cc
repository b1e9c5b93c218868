// Reference Gemm (transA/transB, alpha, beta, C broadcast) and MatMul (numpy
// semantics: 1-D promotion, batch broadcasting), f32 with double accumulation.
#include <algorithm>
#include <utility>
#include <vector>

#include "core/runtime/cpu/ref/ref_kernels.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::ref {
namespace {

// A strided matrix: element (r, c) is at p[r * rs + c * cs].
struct MatRef {
  const float* p;
  int64_t rs, cs;
  float at(int64_t r, int64_t c) const { return p[r * rs + c * cs]; }
};

struct GemmDims {
  int64_t m, n, k;
};

// Calls store(i, acc) with acc[j] = sum_k a(i, k) * b(k, j) for each row i.
template <typename Store>
void MultiplyRows(const MatRef& a, const MatRef& b, const GemmDims& d, double* acc, Store&& store) {
  for (int64_t i = 0; i < d.m; ++i) {
    if (b.cs == 1) {  // rows of B are contiguous: stream them
      std::fill(acc, acc + d.n, 0.0);
      for (int64_t k = 0; k < d.k; ++k) {
        const double av = a.at(i, k);
        const float* br = b.p + k * b.rs;
        for (int64_t j = 0; j < d.n; ++j) acc[j] += av * br[j];
      }
    } else {  // dot products; four partial sums keep the FP pipeline busy
      for (int64_t j = 0; j < d.n; ++j) {
        double s[4] = {0, 0, 0, 0};
        int64_t k = 0;
        for (; k + 4 <= d.k; k += 4) {
          for (int u = 0; u < 4; ++u) s[u] += static_cast<double>(a.at(i, k + u)) * b.at(k + u, j);
        }
        for (; k < d.k; ++k) s[0] += static_cast<double>(a.at(i, k)) * b.at(k, j);
        acc[j] = (s[0] + s[1]) + (s[2] + s[3]);
      }
    }
    store(i, acc);
  }
}

struct GemmParams {
  GemmDims d;
  bool trans_a = false, trans_b = false, has_c = false;
  double alpha = 1, beta = 1;
  int64_t c_rs = 0, c_cs = 0;  // C broadcast to [M, N]
};

absl::Status RunGemm(const GemmParams& g, const KernelArgs& args) {
  const float* a = args.inputs[0].As<const float>();
  const float* b = args.inputs[1].As<const float>();
  const float* c = g.has_c ? args.inputs[2].As<const float>() : nullptr;
  float* y = args.outputs[0].As<float>();
  const MatRef ma = g.trans_a ? MatRef{a, 1, g.d.m} : MatRef{a, g.d.k, 1};
  const MatRef mb = g.trans_b ? MatRef{b, 1, g.d.k} : MatRef{b, g.d.n, 1};
  MultiplyRows(ma, mb, g.d, static_cast<double*>(args.scratch), [&](int64_t i, const double* acc) {
    float* yr = y + i * g.d.n;
    for (int64_t j = 0; j < g.d.n; ++j) {
      double v = g.alpha * acc[j];
      if (c != nullptr) v += g.beta * c[i * g.c_rs + j * g.c_cs];
      yr[j] = static_cast<float>(v);
    }
  });
  return absl::OkStatus();
}

}  // namespace

KernelOr CreateGemm(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 2, 3));
  for (int i = 0; i < 3; ++i) {
    if (HasInput(ctx, i)) FP_RETURN_IF_ERROR(CheckInputDType(ctx, i, ir::DType::kF32));
  }
  GemmParams g;
  FP_ASSIGN_OR_RETURN(const int64_t ta, ctx.node.GetInt("transA", 0));
  FP_ASSIGN_OR_RETURN(const int64_t tb, ctx.node.GetInt("transB", 0));
  FP_ASSIGN_OR_RETURN(const float alpha, ctx.node.GetFloat("alpha", 1.0f));
  FP_ASSIGN_OR_RETURN(const float beta, ctx.node.GetFloat("beta", 1.0f));
  g.trans_a = ta != 0;
  g.trans_b = tb != 0;
  g.alpha = alpha;
  g.beta = beta;
  const ir::Shape& a = ctx.input_infos[0].shape;
  const ir::Shape& b = ctx.input_infos[1].shape;
  if (a.rank() != 2 || b.rank() != 2) return InvalidArg(ctx, "A and B must be 2-D");
  g.d.m = g.trans_a ? a.dim(1) : a.dim(0);
  g.d.k = g.trans_a ? a.dim(0) : a.dim(1);
  g.d.n = g.trans_b ? b.dim(0) : b.dim(1);
  const int64_t kb = g.trans_b ? b.dim(1) : b.dim(0);
  if (kb != g.d.k || ctx.output_infos[0].shape != ir::Shape{g.d.m, g.d.n}) {
    return InvalidArg(ctx, "A ", a.ToString(), " and B ", b.ToString(), " do not multiply to ",
                      ctx.output_infos[0].shape.ToString());
  }
  g.has_c = HasInput(ctx, 2);
  if (g.has_c) {
    const ir::Shape& c = ctx.input_infos[2].shape;
    const int64_t cm = c.rank() == 2 ? c.dim(0) : 1;
    const int64_t cn = c.rank() >= 1 ? c.dim(c.rank() - 1) : 1;
    if (c.rank() > 2 || (cm != 1 && cm != g.d.m) || (cn != 1 && cn != g.d.n)) {
      return InvalidArg(ctx, "C ", c.ToString(), " does not broadcast to [", g.d.m, ",", g.d.n,
                        "]");
    }
    g.c_cs = cn == 1 ? 0 : 1;
    g.c_rs = cm == 1 ? 0 : cn;
  }
  return MakeKernel([g](const KernelArgs& args) { return RunGemm(g, args); },
                    static_cast<size_t>(g.d.n) * sizeof(double));
}

namespace {

struct MatMulParams {
  GemmDims d;
  // Per output batch: the matrix index into A and into B.
  std::vector<std::pair<int64_t, int64_t>> batches;
};

// Batch dims broadcast numpy-style; output batch index -> (A, B) matrix index.
absl::StatusOr<std::vector<std::pair<int64_t, int64_t>>> BatchPairs(
    const KernelContext& ctx, const std::vector<int64_t>& ab, const std::vector<int64_t>& bb) {
  const size_t r = std::max(ab.size(), bb.size());
  std::vector<int64_t> out(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t x = i + ab.size() >= r ? ab[i + ab.size() - r] : 1;
    const int64_t y = i + bb.size() >= r ? bb[i + bb.size() - r] : 1;
    if (x != y && x != 1 && y != 1) return InvalidArg(ctx, "batch dims do not broadcast");
    out[i] = x == 1 ? y : x;
  }
  FP_ASSIGN_OR_RETURN(BroadcastPlan p,
                      MakeBroadcastPlan(ctx, ir::Shape(out), {ir::Shape(ab), ir::Shape(bb)}));
  std::vector<std::pair<int64_t, int64_t>> pairs;
  ForEachRow<2>(p, [&](const std::array<int64_t, 2>& off, int64_t, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      pairs.emplace_back(off[0] + i * p.strides[0].back(), off[1] + i * p.strides[1].back());
    }
  });
  return pairs;
}

}  // namespace

KernelOr CreateMatMul(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 2, 2));
  FP_RETURN_IF_ERROR(CheckInputDType(ctx, 0, ir::DType::kF32));
  FP_RETURN_IF_ERROR(CheckInputDType(ctx, 1, ir::DType::kF32));
  std::vector<int64_t> a = ctx.input_infos[0].shape.dims();
  std::vector<int64_t> b = ctx.input_infos[1].shape.dims();
  if (a.empty() || b.empty()) return InvalidArg(ctx, "MatMul inputs must have rank >= 1");
  if (a.size() == 1) a.insert(a.begin(), 1);  // [K] -> [1, K]
  if (b.size() == 1) b.push_back(1);          // [K] -> [K, 1]
  MatMulParams p;
  p.d = {a[a.size() - 2], b[b.size() - 1], a[a.size() - 1]};
  if (b[b.size() - 2] != p.d.k) return InvalidArg(ctx, "inner dimensions differ");
  FP_ASSIGN_OR_RETURN(p.batches, BatchPairs(ctx, std::vector<int64_t>(a.begin(), a.end() - 2),
                                            std::vector<int64_t>(b.begin(), b.end() - 2)));
  const int64_t want = static_cast<int64_t>(p.batches.size()) * p.d.m * p.d.n;
  if (ctx.output_infos[0].shape.NumElements() != want) {
    return InvalidArg(ctx, "output shape ", ctx.output_infos[0].shape.ToString(),
                      " does not match the product");
  }
  return MakeKernel(
      [p](const KernelArgs& args) {
        const float* a = args.inputs[0].As<const float>();
        const float* b = args.inputs[1].As<const float>();
        float* y = args.outputs[0].As<float>();
        const GemmDims& d = p.d;
        for (size_t bi = 0; bi < p.batches.size(); ++bi) {
          const MatRef ma{a + p.batches[bi].first * d.m * d.k, d.k, 1};
          const MatRef mb{b + p.batches[bi].second * d.k * d.n, d.n, 1};
          float* yb = y + static_cast<int64_t>(bi) * d.m * d.n;
          MultiplyRows(ma, mb, d, static_cast<double*>(args.scratch),
                       [&](int64_t i, const double* acc) {
                         for (int64_t j = 0; j < d.n; ++j)
                           yb[i * d.n + j] = static_cast<float>(acc[j]);
                       });
        }
        return absl::OkStatus();
      },
      static_cast<size_t>(p.d.n) * sizeof(double));
}

}  // namespace fixpoint::runtime::ref
