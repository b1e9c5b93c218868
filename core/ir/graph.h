// The single in-memory form of a model: importers produce it, transforms
// rewrite it, the runtime compiles it. Value type; thread-compatible.
//
// Values are named by strings (as in ONNX). A node input named "" is an
// absent optional input. Nodes are kept in topological order (the verifier
// checks it).
#ifndef FIXPOINT_CORE_IR_GRAPH_H_
#define FIXPOINT_CORE_IR_GRAPH_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/ir/attribute.h"
#include "core/ir/tensor.h"

namespace fixpoint::ir {

struct ValueInfo {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
};

class Node {
 public:
  std::string name;
  std::string op_type;
  std::vector<std::string> inputs;   // "" = absent optional input
  std::vector<std::string> outputs;  // "" = unused optional output
  std::map<std::string, Attribute> attrs;

  bool HasAttr(const std::string& key) const { return attrs.count(key) > 0; }
  // Typed getters: the default when absent; INVALID_ARGUMENT naming the node
  // and attribute when present with another kind.
  absl::StatusOr<int64_t> GetInt(const std::string& key, int64_t dflt) const;
  absl::StatusOr<float> GetFloat(const std::string& key, float dflt) const;
  absl::StatusOr<std::string> GetString(const std::string& key, std::string dflt) const;
  absl::StatusOr<std::vector<int64_t>> GetInts(const std::string& key,
                                               std::vector<int64_t> dflt) const;
  absl::StatusOr<std::vector<float>> GetFloats(const std::string& key,
                                               std::vector<float> dflt) const;
  // NOT_FOUND when absent.
  absl::StatusOr<const Tensor*> GetTensor(const std::string& key) const;

  // Number of present (non-empty) inputs, and whether input i is present.
  bool HasInput(int i) const { return i < static_cast<int>(inputs.size()) && !inputs[i].empty(); }
  // "Conv 'conv1'" for error messages.
  std::string Describe() const;
};

class Graph {
 public:
  std::string name;
  int64_t opset = 13;
  std::vector<ValueInfo> inputs;   // runtime inputs (initializers excluded)
  std::vector<ValueInfo> outputs;
  std::vector<Node> nodes;
  // Constant tensors (weights) by value name.
  std::map<std::string, Tensor> initializers;
  // Inferred dtype/shape of every value, filled by InferShapes (core/ir/shape_inference.h).
  absl::flat_hash_map<std::string, ValueInfo> value_info;

  bool IsInitializer(const std::string& value) const { return initializers.count(value) > 0; }
  const Tensor* FindInitializer(const std::string& value) const;
  // Index of the node producing `value`, or -1 (graph input, initializer, unknown).
  int ProducerOf(const std::string& value) const;
  // Indices of nodes that read `value`.
  std::vector<int> ConsumersOf(const std::string& value) const;
  // Inferred info of a value, or nullptr.
  const ValueInfo* FindValueInfo(const std::string& value) const;
  // A value name not yet used in the graph, derived from `base`.
  std::string UniqueValueName(const std::string& base) const;
};

}  // namespace fixpoint::ir

#endif  // FIXPOINT_CORE_IR_GRAPH_H_
