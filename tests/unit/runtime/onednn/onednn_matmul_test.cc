// oneDNN Gemm and MatMul kernels vs the reference: transposes, alpha/beta,
// C broadcast forms (constant and runtime), numpy batch broadcasting, 1-D
// promotion and fused activations.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/runtime/kernel_registry.h"
#include "tests/unit/runtime/onednn/kernel_test_util.h"

namespace fixpoint::runtime::onednn_test {
namespace {

using ir::Shape;

KernelCase GemmCase(int64_t m, int64_t k, int64_t n, bool ta, bool tb, float alpha, float beta,
                    const std::vector<int64_t>* c_dims, bool c_constant, std::mt19937& rng) {
  KernelCase c = MakeCase("Gemm");
  c.node.attrs["transA"] = int64_t{ta};
  c.node.attrs["transB"] = int64_t{tb};
  c.node.attrs["alpha"] = alpha;
  c.node.attrs["beta"] = beta;
  c.Input(Random(ta ? Shape{k, m} : Shape{m, k}, rng));
  c.Input(Random(tb ? Shape{n, k} : Shape{k, n}, rng), /*is_constant=*/true);
  if (c_dims != nullptr) c.Input(Random(Shape(*c_dims), rng), c_constant);
  c.Output(Shape{m, n});
  return c;
}

TEST(OneDnnGemmTest, MatchesReferenceOverSweep) {
  std::mt19937 rng(11);
  const int64_t m = 5, k = 7, n = 6;
  const std::vector<std::vector<int64_t>> c_shapes = {{}, {n}, {1}, {1, n}, {m, 1}, {m, n}, {1, 1}};
  for (int64_t batch : {1, 3, 8}) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        for (auto [alpha, beta] : {std::pair{1.0f, 1.0f}, {0.5f, 1.0f}, {2.0f, 0.25f},
                                   {1.0f, 0.0f}}) {
          for (size_t ci = 0; ci <= c_shapes.size(); ++ci) {
            const std::vector<int64_t>* c_dims = ci < c_shapes.size() ? &c_shapes[ci] : nullptr;
            SCOPED_TRACE(absl::StrCat("M", batch * m, " tA", ta, " tB", tb, " alpha ", alpha,
                                      " beta ", beta, " C ",
                                      c_dims ? Shape(*c_dims).ToString() : "none"));
            std::vector<int64_t> dims;
            if (c_dims != nullptr) {
              dims = *c_dims;
              for (int64_t& d : dims) d = d == m ? batch * m : d;  // C's M follows the batch
            }
            const KernelCase c = GemmCase(batch * m, k, n, ta, tb, alpha, beta,
                                          c_dims ? &dims : nullptr, true, rng);
            EXPECT_TRUE(MatchesReference(c));
          }
        }
      }
    }
  }
}

TEST(OneDnnGemmTest, RuntimeC) {
  std::mt19937 rng(12);
  const std::vector<int64_t> row{1, 6}, col{4, 1}, full{4, 6}, scalar{};
  // {1,N} with beta == alpha: C goes straight in as the matmul bias.
  EXPECT_TRUE(MatchesReference(GemmCase(4, 3, 6, false, true, 0.5f, 0.5f, &row, false, rng)));
  // Other broadcasts with beta == 1: C is a binary-add post-op.
  for (const auto* dims : {&col, &full, &scalar}) {
    EXPECT_TRUE(MatchesReference(GemmCase(4, 3, 6, true, false, 0.5f, 1.0f, dims, false, rng)));
  }
  // Otherwise a runtime C would need rescaling per call: reference kernel.
  for (const auto* dims : {&row, &full}) {
    auto s = RunKernel(FindOneDnnKernel("Gemm"),
                       GemmCase(4, 3, 6, false, false, 1.0f, 0.5f, dims, false, rng));
    EXPECT_EQ(s.status().code(), absl::StatusCode::kUnimplemented) << s.status();
  }
}

TEST(OneDnnGemmTest, FusedActivations) {
  std::mt19937 rng(13);
  const std::vector<int64_t> bias{10};
  for (const std::string act : {"Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid",
                                "HardSwish"}) {
    SCOPED_TRACE(act);
    KernelCase c = GemmCase(8, 16, 10, false, true, 1.5f, 0.5f, &bias, true, rng);
    c.node.attrs["fused_activation"] = act;
    c.node.attrs["fused_alpha"] = act == "Clip" ? -0.3f : 0.2f;
    c.node.attrs["fused_beta"] = act == "Clip" ? 0.4f : 0.5f;
    EXPECT_TRUE(MatchesReference(c));
  }
}

std::vector<int64_t> BroadcastBatch(std::vector<int64_t> a, std::vector<int64_t> b) {
  const size_t r = std::max(a.size(), b.size());
  a.insert(a.begin(), r - a.size(), 1);
  b.insert(b.begin(), r - b.size(), 1);
  std::vector<int64_t> out(r);
  for (size_t i = 0; i < r; ++i) out[i] = std::max(a[i], b[i]);
  return out;
}

// Output shape of numpy matmul.
Shape MatMulOut(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  std::vector<int64_t> out = BroadcastBatch(
      a.size() > 2 ? std::vector<int64_t>(a.begin(), a.end() - 2) : std::vector<int64_t>{},
      b.size() > 2 ? std::vector<int64_t>(b.begin(), b.end() - 2) : std::vector<int64_t>{});
  if (a.size() >= 2) out.push_back(a[a.size() - 2]);
  if (b.size() >= 2) out.push_back(b.back());
  return Shape(out);
}

TEST(OneDnnMatMulTest, MatchesReferenceOverShapes) {
  std::mt19937 rng(14);
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> cases = {
      {{4, 5}, {5, 3}},           {{1, 5}, {5, 3}},          {{8, 16}, {16, 32}},
      {{3, 4, 5}, {3, 5, 6}},     {{3, 4, 5}, {5, 6}},       {{4, 5}, {3, 5, 6}},
      {{2, 1, 4, 5}, {3, 5, 6}},  {{2, 3, 4, 5}, {1, 3, 5, 2}}, {{8, 2, 4, 5}, {8, 2, 5, 7}},
      {{5}, {5, 3}},              {{2, 4, 5}, {5}},          {{5}, {3, 5, 2}},
  };
  for (const auto& [a, b] : cases) {
    SCOPED_TRACE(absl::StrCat(Shape(a).ToString(), " x ", Shape(b).ToString()));
    KernelCase c = MakeCase("MatMul");
    c.Input(Random(Shape(a), rng)).Input(Random(Shape(b), rng)).Output(MatMulOut(a, b));
    EXPECT_TRUE(MatchesReference(c));
  }
}

TEST(OneDnnMatMulTest, FusedActivationAndConstantWeights) {
  std::mt19937 rng(15);
  for (const std::string act : {"Relu", "Tanh", "HardSwish"}) {
    SCOPED_TRACE(act);
    KernelCase c = MakeCase("MatMul");
    c.node.attrs["fused_activation"] = act;
    c.Input(Random(Shape{3, 6, 8}, rng)).Input(Random(Shape{8, 4}, rng), true);
    c.Output(Shape{3, 6, 4});
    EXPECT_TRUE(MatchesReference(c));
  }
}

}  // namespace
}  // namespace fixpoint::runtime::onednn_test
