// Helpers for single-node shape-inference tests.
#ifndef FIXPOINT_TESTS_UNIT_IR_INFER_TEST_UTIL_H_
#define FIXPOINT_TESTS_UNIT_IR_INFER_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/ir/shape_inference.h"

namespace fixpoint::ir::testing {

inline constexpr int64_t kDyn = kDynamicDim;

// StatusOr<Shape> whose operator* records a test failure (instead of
// aborting the binary) and yields an impossible shape when not ok.
class ShapeResult : public absl::StatusOr<Shape> {
 public:
  ShapeResult(absl::StatusOr<Shape> s) : absl::StatusOr<Shape>(std::move(s)) {}  // NOLINT
  Shape operator*() const {
    if (ok()) return value();
    ADD_FAILURE() << "inference failed: " << status();
    return Shape({-99});
  }
};

inline ValueInfo V(Shape shape, DType dtype = DType::kF32) {
  return ValueInfo{"", dtype, std::move(shape)};
}

// A node named "n" with inputs "in0".. and outputs "out0"..
inline Node MakeNode(std::string op, int num_inputs, std::map<std::string, Attribute> attrs = {},
                     int num_outputs = 1) {
  Node node;
  node.name = "n";
  node.op_type = std::move(op);
  for (int i = 0; i < num_inputs; ++i) node.inputs.push_back(absl::StrCat("in", i));
  for (int i = 0; i < num_outputs; ++i) node.outputs.push_back(absl::StrCat("out", i));
  node.attrs = std::move(attrs);
  return node;
}

// InferNodeOutputs with input i described by ins[i] (nullptr where
// node.inputs[i] is empty) and optional constants.
inline absl::StatusOr<std::vector<ValueInfo>> Infer(Node& node, const std::vector<ValueInfo>& ins,
                                                    std::vector<const Tensor*> constants = {}) {
  InferContext ctx;
  for (size_t i = 0; i < ins.size(); ++i) {
    const bool present = i < node.inputs.size() && !node.inputs[i].empty();
    ctx.inputs.push_back(present ? &ins[i] : nullptr);
  }
  constants.resize(ins.size(), nullptr);
  ctx.constants = std::move(constants);
  return InferNodeOutputs(node, ctx);
}

// Output 0's shape, or the error.
inline ShapeResult InferShape(Node& node, const std::vector<ValueInfo>& ins) {
  absl::StatusOr<std::vector<ValueInfo>> out = Infer(node, ins);
  if (!out.ok()) return absl::StatusOr<Shape>(out.status());
  return absl::StatusOr<Shape>((*out)[0].shape);
}

// Shape of output 0 of a fresh `op` node on `ins`.
inline ShapeResult InferOp(std::string op, const std::vector<ValueInfo>& ins,
                           std::map<std::string, Attribute> attrs = {}) {
  Node node = MakeNode(std::move(op), static_cast<int>(ins.size()), std::move(attrs));
  return InferShape(node, ins);
}

}  // namespace fixpoint::ir::testing

#endif  // FIXPOINT_TESTS_UNIT_IR_INFER_TEST_UTIL_H_
