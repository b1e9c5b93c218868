// Node attributes: a small tagged union of the kinds ONNX and TF graphs use.
// Value type; thread-compatible.
#ifndef FIXPOINT_CORE_IR_ATTRIBUTE_H_
#define FIXPOINT_CORE_IR_ATTRIBUTE_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/ir/tensor.h"

namespace fixpoint::ir {

using Attribute = std::variant<int64_t, float, std::string, std::vector<int64_t>,
                               std::vector<float>, std::vector<std::string>, Tensor>;

// "int", "float", "string", "ints", "floats", "strings", "tensor".
const char* AttributeKindName(const Attribute& a);

}  // namespace fixpoint::ir

#endif  // FIXPOINT_CORE_IR_ATTRIBUTE_H_
