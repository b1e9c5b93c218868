// oneDNN int8 QLinearConv vs the integer reference kernel (ref_qlinear.cc)
// over shapes, groups, strides, per-tensor/per-channel scales, u8/s8
// sources with zero points, u8/s8/f32 outputs, fused activations and
// saturating outputs. QLinearConv integer outputs must match exactly (0
// LSB), QGemm's within 1 LSB (at most 1% or one value off by one); f32 outputs within
// 1e-5 relative. Also: on a CPU without VNNI (run with
// ONEDNN_MAX_CPU_ISA=AVX2) full-range weights are refused, and adversarial
// 7-bit-weight inputs (all extremes) still match exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/runtime/cpu/onednn/onednn_kernels.h"
#include "core/runtime/kernel_registry.h"
#include "tests/unit/runtime/onednn/kernel_test_util.h"

namespace fixpoint::runtime::onednn_test {
namespace {

using ir::DType;
using ir::Shape;
using ir::Tensor;

Tensor Scalar(DType t, double v) {
  Tensor s(t, Shape{});
  if (t == DType::kF32) s.data<float>()[0] = static_cast<float>(v);
  if (t == DType::kU8) s.data<uint8_t>()[0] = static_cast<uint8_t>(v);
  if (t == DType::kI8) s.data<int8_t>()[0] = static_cast<int8_t>(v);
  return s;
}

template <typename T>
Tensor RandomInts(DType t, Shape shape, std::mt19937& rng, int lo, int hi) {
  Tensor r(t, std::move(shape));
  std::uniform_int_distribution<int> dist(lo, hi);
  for (int64_t i = 0; i < r.NumElements(); ++i) r.data<T>()[i] = static_cast<T>(dist(rng));
  return r;
}

struct QConvCase {
  int64_t n, c, h, w, m, k, stride, pad, group;
  DType x_type, y_type;  // y_type kF32: no y_scale/y_zero_point
  int x_zp, y_zp;
  bool per_channel;
  std::string act;
  float y_scale;
  int w_lo, w_hi;
};

KernelCase MakeQConv(const QConvCase& q, std::mt19937& rng) {
  KernelCase c = MakeCase("QLinearConv");
  c.node.attrs["kernel_shape"] = std::vector<int64_t>{q.k, q.k};
  c.node.attrs["strides"] = std::vector<int64_t>{q.stride, q.stride};
  c.node.attrs["pads"] = std::vector<int64_t>{q.pad, q.pad, q.pad, q.pad};
  c.node.attrs["dilations"] = std::vector<int64_t>{1, 1};
  c.node.attrs["group"] = q.group;
  if (!q.act.empty()) {
    c.node.attrs["fused_activation"] = q.act;
    c.node.attrs["fused_alpha"] = q.act == "Clip" ? -0.5f : 0.1f;
    c.node.attrs["fused_beta"] = 0.8f;
  }
  const Shape xs{q.n, q.c, q.h, q.w};
  if (q.x_type == DType::kU8) {
    c.Input(RandomInts<uint8_t>(DType::kU8, xs, rng, 0, 255));
  } else {
    c.Input(RandomInts<int8_t>(DType::kI8, xs, rng, -128, 127));
  }
  c.Input(Scalar(DType::kF32, 0.02), true).Input(Scalar(q.x_type, q.x_zp), true);
  c.Input(RandomInts<int8_t>(DType::kI8, Shape{q.m, q.c / q.group, q.k, q.k}, rng, q.w_lo, q.w_hi),
          true);
  const int64_t ns = q.per_channel ? q.m : 1;
  Tensor ws(DType::kF32, q.per_channel ? Shape{q.m} : Shape{});
  for (int64_t i = 0; i < ns; ++i) ws.data<float>()[i] = 0.003f + 0.0005f * static_cast<float>(i);
  c.Input(std::move(ws), true);
  c.Input(Tensor(DType::kI8, q.per_channel ? Shape{q.m} : Shape{}), true);  // zeros
  if (q.y_type != DType::kF32) {
    c.Input(Scalar(DType::kF32, q.y_scale), true).Input(Scalar(q.y_type, q.y_zp), true);
  } else {
    c.AbsentInput().AbsentInput();
  }
  c.Input(RandomInts<int32_t>(DType::kI32, Shape{q.m}, rng, -3000, 3000), true);
  const int64_t oh = (q.h + 2 * q.pad - q.k) / q.stride + 1;
  const int64_t ow = (q.w + 2 * q.pad - q.k) / q.stride + 1;
  c.Output(Shape{q.n, q.m, oh, ow}, q.y_type);
  return c;
}

// Runs both; integer outputs compared exactly, f32 within 1e-5 relative.
::testing::AssertionResult MatchesIntegerReference(const KernelCase& c, DType y_type) {
  std::string impl;
  auto fast = RunKernel(&onednn::CreateQLinearConv, c, &impl);
  if (!fast.ok()) return ::testing::AssertionFailure() << "oneDNN: " << fast.status();
  auto ref = RunReference(c);
  if (!ref.ok()) return ::testing::AssertionFailure() << "reference: " << ref.status();
  const Tensor& a = (*fast)[0];
  const Tensor& b = (*ref)[0];
  int64_t bad = 0, first = -1;
  for (int64_t i = 0; i < b.NumElements(); ++i) {
    bool same;
    if (y_type == DType::kU8) {
      same = a.data<uint8_t>()[i] == b.data<uint8_t>()[i];
    } else if (y_type == DType::kI8) {
      same = a.data<int8_t>()[i] == b.data<int8_t>()[i];
    } else {
      const float x = a.data<float>()[i], y = b.data<float>()[i];
      same = std::fabs(x - y) <= 1e-5f * (1.0f + std::fabs(y));
    }
    if (!same && first < 0) first = i;

    bad += !same;
  }
  if (bad == 0) return ::testing::AssertionSuccess();

  return ::testing::AssertionFailure() << bad << " of " << b.NumElements() << " differ, first at "
                                       << first << " (" << impl << ")";
}

int WeightLimitForThisCpu() { return onednn::HasInt8DotProduct() ? 127 : 63; }

TEST(OneDnnQConvTest, MatchesIntegerReferenceOverSweep) {
  std::mt19937 rng(7);
  const int lim = WeightLimitForThisCpu();
  const std::vector<QConvCase> cases = {
      {2, 3, 9, 9, 8, 3, 1, 1, 1, DType::kU8, DType::kU8, 0, 0, true, "Relu", 0.05f, -lim, lim},
      {1, 16, 7, 7, 32, 3, 2, 1, 1, DType::kU8, DType::kU8, 128, 3, true, "", 0.2f, -lim, lim},
      {2, 8, 6, 5, 8, 3, 1, 0, 8, DType::kU8, DType::kU8, 7, 0, false, "", 0.01f, -lim, lim},
      {1, 12, 5, 5, 12, 1, 1, 0, 3, DType::kI8, DType::kI8, -5, 2, true, "LeakyRelu", 0.1f,
       -lim, lim},
      {3, 4, 8, 8, 6, 3, 1, 1, 2, DType::kU8, DType::kF32, 10, 0, true, "Relu", 1.0f, -lim, lim},
      {1, 28, 13, 13, 64, 3, 1, 0, 1, DType::kU8, DType::kU8, 0, 0, true, "Clip", 0.02f, -lim,
       lim},
      // Saturating outputs: a tiny y_scale pushes most values to the rails.
      {1, 8, 5, 5, 16, 3, 1, 1, 1, DType::kU8, DType::kI8, 3, -1, true, "", 0.0005f, -lim, lim},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const KernelCase c = MakeQConv(cases[i], rng);
    if (cases[i].x_type == DType::kI8 && !onednn::HasInt8DotProduct()) {
      // Not exact without VNNI even with 7-bit weights: refused.
      EXPECT_EQ(onednn::CreateQLinearConv(c.Context()).status().code(),
                absl::StatusCode::kUnimplemented);
      continue;
    }
    EXPECT_TRUE(MatchesIntegerReference(c, cases[i].y_type)) << "case " << i;
  }
}

// post_shift (a folded BN after the activation): a per-channel add after
// the fused activation, as a binary post-op; exact against the reference.
TEST(OneDnnQConvTest, PostShiftMatchesIntegerReference) {
  std::mt19937 rng(14);
  const int lim = WeightLimitForThisCpu();
  const std::vector<QConvCase> cases = {
      {2, 1, 12, 12, 28, 3, 1, 0, 1, DType::kU8, DType::kU8, 0, 0, true, "Relu", 0.03f, -lim, lim},
      {1, 8, 6, 6, 16, 3, 1, 1, 1, DType::kU8, DType::kU8, 5, 7, true, "", 0.05f, -lim, lim},
      {1, 8, 6, 6, 16, 3, 1, 1, 1, DType::kU8, DType::kF32, 5, 0, true, "Relu", 1.0f, -lim, lim},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    KernelCase c = MakeQConv(cases[i], rng);
    c.Input(Random(Shape{cases[i].m}, rng, -0.5f, 0.5f), true);  // input 9
    EXPECT_TRUE(MatchesIntegerReference(c, cases[i].y_type)) << "case " << i;
  }
}

TEST(OneDnnQConvTest, AdversarialExtremesDoNotOverflow) {
  // Every source at 255 and every weight at the extreme the CPU allows: the
  // largest possible u8 x s8 pair sums (a 16-bit step would saturate here
  // without VNNI if 8-bit weights were accepted).
  std::mt19937 rng(8);
  const int lim = WeightLimitForThisCpu();
  for (int sign : {1, -1}) {
    QConvCase q{1, 64, 6, 6, 16, 3, 1, 1, 1, DType::kU8, DType::kF32, 0, 0, true, "", 1.0f,
                sign > 0 ? lim : -lim - 1, sign > 0 ? lim : -lim - 1};
    KernelCase c = MakeQConv(q, rng);
    std::fill_n(c.inputs[0].data<uint8_t>(), c.inputs[0].NumElements(), uint8_t{255});
    EXPECT_TRUE(MatchesIntegerReference(c, DType::kF32)) << "sign " << sign;
  }
}

TEST(OneDnnQConvTest, FullRangeWeightsRefusedWithoutVnni) {
  std::mt19937 rng(9);
  QConvCase q{1, 8, 5, 5, 8, 3, 1, 1, 1, DType::kU8, DType::kU8, 0, 0, true, "", 0.1f, -128, 127};
  KernelCase c = MakeQConv(q, rng);
  c.inputs[3].data<int8_t>()[0] = -128;  // certainly outside 7 bits
  auto kernel = onednn::CreateQLinearConv(c.Context());
  if (onednn::HasInt8DotProduct()) {
    EXPECT_TRUE(kernel.ok()) << kernel.status();
    EXPECT_TRUE(MatchesIntegerReference(c, DType::kU8));
  } else {
    EXPECT_EQ(kernel.status().code(), absl::StatusCode::kUnimplemented);
  }
}

TEST(OneDnnQConvTest, AsymmetricWeightsAndRuntimeParamsAreRefused) {
  std::mt19937 rng(10);
  QConvCase q{1, 4, 4, 4, 4, 3, 1, 1, 1, DType::kU8, DType::kU8, 0, 0, false, "", 0.1f, -60, 60};
  KernelCase c = MakeQConv(q, rng);
  c.inputs[5].data<int8_t>()[0] = 1;
  EXPECT_EQ(onednn::CreateQLinearConv(c.Context()).status().code(),
            absl::StatusCode::kUnimplemented);
  KernelCase d = MakeQConv(q, rng);
  d.constant[1] = false;  // x_scale computed at run time
  EXPECT_EQ(onednn::CreateQLinearConv(d.Context()).status().code(),
            absl::StatusCode::kUnimplemented);
}

struct QGemmCase {
  int64_t m, k, n;
  bool trans_b;
  DType a_type, y_type;
  int a_zp, y_zp;
  bool per_channel;
  std::string act;
  float y_scale;
  bool bias;
};

KernelCase MakeQGemm(const QGemmCase& q, std::mt19937& rng) {
  const int lim = WeightLimitForThisCpu();
  KernelCase c = MakeCase("QGemm");
  c.node.attrs["transB"] = int64_t{q.trans_b};
  if (!q.act.empty()) c.node.attrs["fused_activation"] = q.act;
  if (q.a_type == DType::kU8) {
    c.Input(RandomInts<uint8_t>(DType::kU8, Shape{q.m, q.k}, rng, 0, 255));
  } else {
    c.Input(RandomInts<int8_t>(DType::kI8, Shape{q.m, q.k}, rng, -128, 127));
  }
  c.Input(Scalar(DType::kF32, 0.01), true).Input(Scalar(q.a_type, q.a_zp), true);
  const Shape bs = q.trans_b ? Shape{q.n, q.k} : Shape{q.k, q.n};
  c.Input(RandomInts<int8_t>(DType::kI8, bs, rng, -lim, lim), true);
  Tensor s(DType::kF32, q.per_channel ? Shape{q.n} : Shape{});
  for (int64_t i = 0; i < s.NumElements(); ++i) s.data<float>()[i] = 0.002f + 0.0001f * i;
  c.Input(std::move(s), true);
  c.Input(Tensor(DType::kI8, q.per_channel ? Shape{q.n} : Shape{}), true);
  if (q.bias) {
    c.Input(RandomInts<int32_t>(DType::kI32, Shape{q.n}, rng, -5000, 5000), true);
  } else if (q.y_type != DType::kF32) {
    c.AbsentInput();  // no bias, before y_scale
  }
  if (q.y_type != DType::kF32) {
    c.Input(Scalar(DType::kF32, q.y_scale), true).Input(Scalar(q.y_type, q.y_zp), true);
  }
  c.Output(Shape{q.m, q.n}, q.y_type);
  return c;
}

TEST(OneDnnQGemmTest, MatchesIntegerReferenceOverSweep) {
  std::mt19937 rng(11);
  const std::vector<QGemmCase> cases = {
      {64, 1600, 512, true, DType::kU8, DType::kU8, 0, 0, true, "Relu", 0.05f, true},
      {3, 512, 10, true, DType::kU8, DType::kF32, 0, 0, true, "", 1.0f, true},
      {5, 33, 7, false, DType::kU8, DType::kU8, 128, 4, false, "", 0.02f, true},
      {2, 64, 16, true, DType::kI8, DType::kI8, -3, 1, true, "LeakyRelu", 0.03f, true},
      {4, 100, 9, false, DType::kU8, DType::kI8, 9, -2, true, "Clip", 0.0002f, true},  // saturating
      // The source zero point folded into the bias, with and without one.
      {16, 1600, 512, true, DType::kU8, DType::kU8, 117, 3, true, "Relu", 0.05f, true},
      {7, 300, 24, true, DType::kU8, DType::kU8, 201, 0, false, "", 0.04f, false},
      {6, 40, 12, false, DType::kU8, DType::kF32, 55, 0, true, "", 1.0f, true},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const KernelCase c = MakeQGemm(cases[i], rng);
    if (cases[i].a_type == DType::kI8 && !onednn::HasInt8DotProduct()) {
      EXPECT_EQ(onednn::CreateQGemm(c.Context()).status().code(),
                absl::StatusCode::kUnimplemented);
      continue;
    }
    std::string impl;
    auto fast = RunKernel(&onednn::CreateQGemm, c, &impl);
    auto ref = RunReference(c);
    ASSERT_TRUE(fast.ok()) << fast.status();
    ASSERT_TRUE(ref.ok()) << ref.status();
    const Tensor& a = (*fast)[0];
    const Tensor& b = (*ref)[0];
    // Integer outputs: within 1 LSB, and nearly all exact (oneDNN's matmul
    // may fuse the zero-point add into the scaling (one rounding instead of
    // two), which moves a value that lies within an ulp of a .5 tie).
    int64_t off_by_one = 0, bad = 0;
    for (int64_t j = 0; j < b.NumElements(); ++j) {
      if (cases[i].y_type == DType::kF32) {
        bad += std::fabs(a.data<float>()[j] - b.data<float>()[j]) >
               1e-5f * (1.0f + std::fabs(b.data<float>()[j]));
        continue;
      }
      const bool u8 = cases[i].y_type == DType::kU8;
      const int x = u8 ? a.data<uint8_t>()[j] : a.data<int8_t>()[j];
      const int r = u8 ? b.data<uint8_t>()[j] : b.data<int8_t>()[j];
      bad += std::abs(x - r) > 1;
      off_by_one += std::abs(x - r) == 1;
    }
    EXPECT_EQ(bad, 0) << "case " << i << " (" << impl << ")";
    EXPECT_LE(off_by_one, std::max<int64_t>(1, b.NumElements() / 100))
        << "case " << i << " (" << impl << ")";
  }
}

// QuantizeLinear as a oneDNN reorder: within 1 LSB of the reference (which
// divides where oneDNN multiplies by the reciprocal), nearly always exact,
// saturating at both rails, in plain and nhwc layouts.
TEST(OneDnnQuantizeTest, WithinOneLsbOfReference) {
  std::mt19937 rng(12);
  for (DType t : {DType::kU8, DType::kI8}) {
    for (Layout l : {Layout::kPlain, Layout::kNhwc}) {
      KernelCase c = MakeCase("QuantizeLinear");
      c.Input(Random(Shape{2, 5, 6, 7}, rng, -3.0f, 3.0f));
      c.Input(Scalar(DType::kF32, 0.0173), true).Input(Scalar(t, t == DType::kU8 ? 131 : -7), true);
      c.Output(Shape{2, 5, 6, 7}, t);
      // Exact ties and rails: multiples of half a step, and far out of range.
      float* x = c.inputs[0].data<float>();
      for (int i = 0; i < 40; ++i) x[i] = 0.0173f * (static_cast<float>(i) - 20.0f) * 0.5f;
      x[40] = 1e6f;
      x[41] = -1e6f;
      c.input_layouts = {l};
      std::string impl;
      auto fast = RunKernel(FindOneDnnKernel("QuantizeLinear"), c, &impl);
      auto ref = RunReference(c);
      ASSERT_TRUE(fast.ok()) << fast.status();
      ASSERT_TRUE(ref.ok()) << ref.status();
      int64_t off = 0;
      for (int64_t i = 0; i < (*ref)[0].NumElements(); ++i) {
        const int a = t == DType::kU8 ? (*fast)[0].data<uint8_t>()[i] : (*fast)[0].data<int8_t>()[i];
        const int b = t == DType::kU8 ? (*ref)[0].data<uint8_t>()[i] : (*ref)[0].data<int8_t>()[i];
        ASSERT_LE(std::abs(a - b), 1) << "at " << i;
        if (i >= 42) off += a != b;  // near-ties above may differ by design
      }
      EXPECT_LE(off, (*ref)[0].NumElements() / 100) << impl;
      EXPECT_NE(impl.find("onednn"), std::string::npos);
    }
  }
}

// DequantizeLinear as a oneDNN reorder equals the reference exactly.
TEST(OneDnnQuantizeTest, DequantizeMatchesReferenceExactly) {
  std::mt19937 rng(13);
  for (DType t : {DType::kU8, DType::kI8}) {
    KernelCase c = MakeCase("DequantizeLinear");
    if (t == DType::kU8) {
      c.Input(RandomInts<uint8_t>(t, Shape{3, 4, 5, 6}, rng, 0, 255));
    } else {
      c.Input(RandomInts<int8_t>(t, Shape{3, 4, 5, 6}, rng, -128, 127));
    }
    c.Input(Scalar(DType::kF32, 0.0371), true).Input(Scalar(t, t == DType::kU8 ? 120 : -9), true);
    c.Output(Shape{3, 4, 5, 6});
    std::string impl;
    auto fast = RunKernel(FindOneDnnKernel("DequantizeLinear"), c, &impl);
    auto ref = RunReference(c);
    ASSERT_TRUE(fast.ok()) << fast.status();
    ASSERT_TRUE(ref.ok()) << ref.status();
    EXPECT_EQ(std::memcmp((*fast)[0].raw(), (*ref)[0].raw(), (*ref)[0].ByteSize()), 0) << impl;
  }
}

// QLinearAdd (the residual add) as a oneDNN int8 binary: within 1 LSB of the
// reference (scales folded in another float order; ~1.5 % of values are one
// step off) for u8/s8, zero points and activations.
TEST(OneDnnQAddTest, WithinOneLsbOfReference) {
  std::mt19937 rng(15);
  struct AddCase {
    DType t;
    int za, zb, zy;
    std::string act;
  };
  for (const AddCase& k : {AddCase{DType::kU8, 0, 130, 0, "Relu"}, AddCase{DType::kU8, 7, 0, 12, ""},
                           AddCase{DType::kI8, -3, 5, 1, "Clip"}}) {
    KernelCase c = MakeCase("QLinearAdd");
    if (!k.act.empty()) {
      c.node.attrs["fused_activation"] = k.act;
      c.node.attrs["fused_alpha"] = -0.2f;
      c.node.attrs["fused_beta"] = 1.5f;
    }
    const Shape s{2, 16, 5, 5};
    const bool u8 = k.t == DType::kU8;
    auto ints = [&] {
      return u8 ? RandomInts<uint8_t>(k.t, s, rng, 0, 255) : RandomInts<int8_t>(k.t, s, rng, -128, 127);
    };
    c.Input(ints()).Input(Scalar(DType::kF32, 0.011), true).Input(Scalar(k.t, k.za), true);
    c.Input(ints()).Input(Scalar(DType::kF32, 0.023), true).Input(Scalar(k.t, k.zb), true);
    c.Input(Scalar(DType::kF32, 0.03), true).Input(Scalar(k.t, k.zy), true);
    c.Output(s, k.t);
    std::string impl;
    auto fast = RunKernel(FindOneDnnKernel("QLinearAdd"), c, &impl);
    auto ref = RunReference(c);
    ASSERT_TRUE(fast.ok()) << fast.status();
    ASSERT_TRUE(ref.ok()) << ref.status();
    int64_t off = 0;
    for (int64_t i = 0; i < (*ref)[0].NumElements(); ++i) {
      const int a = u8 ? (*fast)[0].data<uint8_t>()[i] : (*fast)[0].data<int8_t>()[i];
      const int b = u8 ? (*ref)[0].data<uint8_t>()[i] : (*ref)[0].data<int8_t>()[i];
      ASSERT_LE(std::abs(a - b), 1) << "at " << i << " " << impl << " zero points " << k.za
                                    << "/" << k.zb << "/" << k.zy << " act " << k.act;
      off += a != b;
    }
    EXPECT_LE(off, (*ref)[0].NumElements() / 33) << impl;  // measured: 12 of 800
  }
}

}  // namespace
}  // namespace fixpoint::runtime::onednn_test
