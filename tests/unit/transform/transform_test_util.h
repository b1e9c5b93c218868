// Helpers for transform tests: small graph builders, random tensors, and
// running a graph before and after a pass through the runtime's reference
// kernels to compare outputs.
#ifndef FIXPOINT_TESTS_UNIT_TRANSFORM_TRANSFORM_TEST_UTIL_H_
#define FIXPOINT_TESTS_UNIT_TRANSFORM_TRANSFORM_TEST_UTIL_H_

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/ir/graph.h"
#include "core/runtime/session.h"
#include "gtest/gtest.h"

namespace fixpoint::transform::testing {

inline ir::Node MakeNode(std::string name, std::string op, std::vector<std::string> inputs,
                         std::vector<std::string> outputs,
                         std::map<std::string, ir::Attribute> attrs = {}) {
  ir::Node n;
  n.name = std::move(name);
  n.op_type = std::move(op);
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.attrs = std::move(attrs);
  return n;
}

// f32 tensor of `shape` with values uniform in [lo, hi).
inline ir::Tensor RandomF32(const ir::Shape& shape, std::mt19937& rng, float lo = -1.0f,
                            float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  ir::Tensor t(ir::DType::kF32, shape);
  for (int64_t i = 0; i < t.NumElements(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

// Random inputs for every graph input (batch `batch` for dynamic dims).
inline std::vector<ir::Tensor> RandomInputs(const ir::Graph& g, std::mt19937& rng,
                                            int64_t batch = 2) {
  std::vector<ir::Tensor> out;
  for (const ir::ValueInfo& in : g.inputs) {
    ir::Shape shape = in.shape;
    for (int k = 0; k < shape.rank(); ++k) {
      if (shape[k] == ir::kDynamicDim) shape[k] = batch;
    }
    out.push_back(RandomF32(shape, rng));
  }
  return out;
}

// Runs `g` with the reference kernels and no graph optimization.
inline std::vector<ir::Tensor> RunReference(const ir::Graph& g,
                                            const std::vector<ir::Tensor>& inputs) {
  runtime::SessionOptions options;
  options.use_onednn = false;
  options.optimize = false;
  options.intra_op_threads = 1;
  auto session = runtime::Session::Create(g, options);
  EXPECT_TRUE(session.ok()) << session.status();
  if (!session.ok()) return {};
  std::vector<ir::TensorView> views;
  for (const ir::Tensor& t : inputs) views.push_back(t.view());
  auto out = (*session)->Run(views);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *std::move(out) : std::vector<ir::Tensor>{};
}

// Largest |a - b| / max|b| over the f32 outputs (the error relative to each
// output's magnitude); records a failure if shapes or counts differ.
inline double MaxRelativeError(const std::vector<ir::Tensor>& a, const std::vector<ir::Tensor>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (size_t k = 0; k < std::min(a.size(), b.size()); ++k) {
    EXPECT_EQ(a[k].shape(), b[k].shape()) << "output " << k;
    EXPECT_EQ(a[k].dtype(), b[k].dtype()) << "output " << k;
    if (a[k].shape() != b[k].shape() || a[k].dtype() != b[k].dtype()) return INFINITY;
    double scale = 0, diff = 0;
    for (int64_t i = 0; i < b[k].NumElements(); ++i) {
      scale = std::max(scale, std::fabs(b[k].GetAsDouble(i)));
      diff = std::max(diff, std::fabs(a[k].GetAsDouble(i) - b[k].GetAsDouble(i)));
    }
    if (std::isnan(diff)) return INFINITY;
    worst = std::max(worst, scale > 0 ? diff / scale : diff);
  }
  return worst;
}

// Runs both graphs on `trials` sets of random inputs and returns the largest
// relative error of `after` against `before`.
inline double CompareGraphs(const ir::Graph& before, const ir::Graph& after, uint32_t seed,
                            int trials = 2, int64_t batch = 2) {
  std::mt19937 rng(seed);
  double worst = 0;
  for (int t = 0; t < trials; ++t) {
    std::vector<ir::Tensor> inputs = RandomInputs(before, rng, batch);
    worst = std::max(worst,
                     MaxRelativeError(RunReference(after, inputs), RunReference(before, inputs)));
  }
  return worst;
}

// Node count per op type.
inline std::map<std::string, int> OpCounts(const ir::Graph& g) {
  std::map<std::string, int> counts;
  for (const ir::Node& n : g.nodes) ++counts[n.op_type];
  return counts;
}

}  // namespace fixpoint::transform::testing

#endif  // FIXPOINT_TESTS_UNIT_TRANSFORM_TRANSFORM_TEST_UTIL_H_
