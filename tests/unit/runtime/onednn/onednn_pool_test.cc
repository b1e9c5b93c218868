// oneDNN pooling kernels vs the reference: kernel/stride/pad/dilation sweeps,
// ceil_mode, count_include_pad, global pools, and the refused corner.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/runtime/kernel_registry.h"
#include "tests/unit/runtime/onednn/kernel_test_util.h"

namespace fixpoint::runtime::onednn_test {
namespace {

using ir::Shape;

struct PoolGeom {
  std::string op;
  int64_t batch, c, h, w, k, stride, dilation;
  std::vector<int64_t> pads;  // top, left, bottom, right
  bool ceil_mode, include_pad;
};

int64_t OutDim(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe, bool ceil) {
  const int64_t span = in + pb + pe - ((k - 1) * d + 1);
  int64_t out = (ceil ? (span + s - 1) / s : span / s) + 1;
  // ONNX/PyTorch: the last window must start inside the input or begin padding.
  if (ceil && (out - 1) * s >= in + pb) --out;
  return out;
}

KernelCase PoolCase(const PoolGeom& g, std::mt19937& rng) {
  KernelCase c = MakeCase(g.op);
  c.node.attrs["kernel_shape"] = std::vector<int64_t>{g.k, g.k};
  c.node.attrs["strides"] = std::vector<int64_t>{g.stride, g.stride};
  c.node.attrs["pads"] = g.pads;
  c.node.attrs["ceil_mode"] = int64_t{g.ceil_mode};
  if (g.op == "MaxPool") {
    c.node.attrs["dilations"] = std::vector<int64_t>{g.dilation, g.dilation};
  } else {
    c.node.attrs["count_include_pad"] = int64_t{g.include_pad};
  }
  c.Input(Random(Shape{g.batch, g.c, g.h, g.w}, rng));
  c.Output(Shape{g.batch, g.c,
                 OutDim(g.h, g.k, g.stride, g.dilation, g.pads[0], g.pads[2], g.ceil_mode),
                 OutDim(g.w, g.k, g.stride, g.dilation, g.pads[1], g.pads[3], g.ceil_mode)});
  return c;
}

TEST(OneDnnPoolTest, MatchesReferenceOverSweep) {
  std::mt19937 rng(21);
  const std::vector<std::vector<int64_t>> pads = {{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 1, 1, 0}};
  int i = 0;
  for (const std::string op : {"MaxPool", "AveragePool"}) {
    for (int64_t k : {2, 3}) {
      for (int64_t stride : {1, 2, 3}) {
        for (int64_t dil : {1, 2}) {
          if (op == "AveragePool" && dil == 2) continue;
          for (const auto& p : pads) {
            for (bool ceil : {false, true}) {
              for (bool include_pad : {false, true}) {
                if (op == "MaxPool" && include_pad) continue;
                if (p[0] >= k || p[1] >= k) continue;  // ONNX: pads smaller than the kernel
                const int64_t batch = std::vector<int64_t>{1, 3, 8}[i++ % 3];
                const PoolGeom g{op, batch, 4, 9, 10, k, stride, dil, p, ceil, include_pad};
                SCOPED_TRACE(absl::StrCat(op, " N", batch, " k", k, " s", stride, " d", dil,
                                          " pads ", p[0], p[1], p[2], p[3], " ceil ", ceil,
                                          " include_pad ", include_pad));
                const KernelCase c = PoolCase(g, rng);
                auto fast = RunKernel(FindOneDnnKernel(op), c);
                if (!fast.ok() && fast.status().code() == absl::StatusCode::kUnimplemented &&
                    ceil && include_pad) {
                  continue;  // documented refusal: ceil overhang with count_include_pad
                }
                EXPECT_TRUE(MatchesReference(c));
              }
            }
          }
        }
      }
    }
  }
}

TEST(OneDnnPoolTest, CeilOverhangWithIncludePadIsRefused) {
  std::mt19937 rng(22);
  // 10 wide, k 3, stride 2, no pads: ceil mode adds a window overhanging by 1.
  const KernelCase c = PoolCase({"AveragePool", 1, 2, 10, 10, 3, 2, 1, {0, 0, 0, 0}, true, true},
                                rng);
  auto s = RunKernel(FindOneDnnKernel("AveragePool"), c);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnimplemented) << s.status();
  // Without count_include_pad the same geometry runs.
  EXPECT_TRUE(MatchesReference(
      PoolCase({"AveragePool", 1, 2, 10, 10, 3, 2, 1, {0, 0, 0, 0}, true, false}, rng)));
}

TEST(OneDnnPoolTest, GlobalPools) {
  std::mt19937 rng(23);
  for (const std::string op : {"GlobalAveragePool", "GlobalMaxPool"}) {
    for (const auto& dims : std::vector<std::vector<int64_t>>{
             {1, 3, 7, 7}, {3, 16, 5, 4}, {8, 64, 1, 1}, {2, 5, 9}, {2, 3, 2, 3, 4}}) {
      SCOPED_TRACE(absl::StrCat(op, " ", Shape(dims).ToString()));
      std::vector<int64_t> out = dims;
      for (size_t i = 2; i < out.size(); ++i) out[i] = 1;
      KernelCase c = MakeCase(op);
      c.Input(Random(Shape(dims), rng)).Output(Shape(out));
      EXPECT_TRUE(MatchesReference(c));
    }
  }
}

// MaxPool on quantized values (what the QDQ lowering produces): u8 and s8,
// padded and strided, equal to the reference exactly.
TEST(OneDnnPoolTest, Int8MaxPoolMatchesReference) {
  std::mt19937 rng(31);
  std::uniform_int_distribution<int> dist(0, 255);
  for (ir::DType t : {ir::DType::kU8, ir::DType::kI8}) {
    {
      KernelCase c = MakeCase("MaxPool");
      c.node.attrs["kernel_shape"] = std::vector<int64_t>{3, 3};
      c.node.attrs["strides"] = std::vector<int64_t>{2, 2};
      c.node.attrs["pads"] = std::vector<int64_t>{1, 1, 1, 1};
      ir::Tensor x(t, Shape{2, 5, 7, 6});
      for (int64_t i = 0; i < x.NumElements(); ++i) {
        static_cast<uint8_t*>(x.raw())[i] = static_cast<uint8_t>(dist(rng));
      }
      c.Input(std::move(x)).Output(Shape{2, 5, 4, 3}, t);
      std::string impl;
      auto fast = RunKernel(FindOneDnnKernel("MaxPool"), c, &impl);
      auto ref = RunReference(c);
      ASSERT_TRUE(fast.ok()) << fast.status();
      ASSERT_TRUE(ref.ok()) << ref.status();
      EXPECT_EQ(std::memcmp((*fast)[0].raw(), (*ref)[0].raw(), (*ref)[0].ByteSize()), 0)
          << ir::DTypeName(t) << " " << impl;
      EXPECT_NE(impl.find("onednn"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace fixpoint::runtime::onednn_test
