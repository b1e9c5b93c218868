// Internal to core/io: typed access to a TensorFlow NodeDef's attributes,
// with errors that name the node and attribute. Only core/io/tf_* include
// this header. Thread-safe (pure functions).
#ifndef FIXPOINT_CORE_IO_TF_ATTR_H_
#define FIXPOINT_CORE_IO_TF_ATTR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/tensorflow/node_def.pb.h"

namespace fixpoint::io {

// "Conv2D 'conv2d/Conv2D'" for error messages.
std::string DescribeTf(const tfproto::NodeDef& node);

// The attribute, or nullptr.
const tfproto::AttrValue* FindTfAttr(const tfproto::NodeDef& node, absl::string_view key);

// Typed getters. Absent attribute: `dflt` when given, else INVALID_ARGUMENT
// ("... has no attribute 'strides'"); present with another kind:
// INVALID_ARGUMENT naming the kind found.
absl::StatusOr<int64_t> TfAttrInt(const tfproto::NodeDef& node, absl::string_view key,
                                  std::optional<int64_t> dflt = std::nullopt);
absl::StatusOr<float> TfAttrFloat(const tfproto::NodeDef& node, absl::string_view key,
                                  std::optional<float> dflt = std::nullopt);
absl::StatusOr<bool> TfAttrBool(const tfproto::NodeDef& node, absl::string_view key,
                                std::optional<bool> dflt = std::nullopt);
absl::StatusOr<std::string> TfAttrString(const tfproto::NodeDef& node, absl::string_view key,
                                         std::optional<std::string> dflt = std::nullopt);
// list(int); an empty list attribute yields {}.
absl::StatusOr<std::vector<int64_t>> TfAttrInts(
    const tfproto::NodeDef& node, absl::string_view key,
    std::optional<std::vector<int64_t>> dflt = std::nullopt);
// A `type` attribute as the raw DataType value.
absl::StatusOr<int> TfAttrType(const tfproto::NodeDef& node, absl::string_view key,
                               std::optional<int> dflt = std::nullopt);

}  // namespace fixpoint::io

#endif  // FIXPOINT_CORE_IO_TF_ATTR_H_
