// Internal to core/io: the pieces of the ONNX exporter (onnx_exporter.cc
// assembles the model, onnx_export_nodes.cc lowers canonical IR nodes to
// opset-13+ nodes, onnx_export_proto.cc converts values to protos).
// Thread-compatible (an ExportContext belongs to one export).
#ifndef FIXPOINT_CORE_IO_ONNX_EXPORT_INTERNAL_H_
#define FIXPOINT_CORE_IO_ONNX_EXPORT_INTERNAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/ir/attribute.h"
#include "core/ir/graph.h"
#include "core/ir/tensor.h"
#include "onnx/onnx_pb.h"

namespace fixpoint::io {

// Fills `proto` (name, dims, data_type, little-endian raw_data) from `t`.
void TensorToProto(const ir::Tensor& t, const std::string& name, onnx::TensorProto* proto);

// Fills `proto` with the attribute under `name`.
void AttributeToProto(const std::string& name, const ir::Attribute& a,
                      onnx::AttributeProto* proto);

// Where nodes of one export go, with fresh names for the values, nodes and
// initializers the lowering adds.
class ExportContext {
 public:
  // `graph` must have inferred value_info and outlive the context.
  ExportContext(const ir::Graph& graph, int64_t opset, onnx::GraphProto* out);

  int64_t opset() const { return opset_; }
  const ir::Graph& graph() const { return graph_; }
  // Inferred info of a value; nullptr if unknown.
  const ir::ValueInfo* Info(const std::string& value) const;

  // Names not used by the graph nor handed out before, derived from `base`.
  std::string NewValueName(const std::string& base);
  std::string NewNodeName(const std::string& base);
  // Adds an initializer named after `base`; returns its name.
  std::string AddInitializer(const std::string& base, const ir::Tensor& t);
  // Appends a default-domain node. `name` must be unique (taken as is).
  onnx::NodeProto* AddNode(const std::string& op_type, const std::string& name,
                           const std::vector<std::string>& inputs,
                           const std::vector<std::string>& outputs);

 private:
  const ir::Graph& graph_;
  int64_t opset_;
  onnx::GraphProto* out_;
  absl::flat_hash_set<std::string> values_;
  absl::flat_hash_set<std::string> nodes_;
};

// Appends the opset-level ONNX form of `node` (one or more nodes, plus
// initializers for attributes that are inputs in ONNX). UNIMPLEMENTED when
// the target opset cannot express it; errors name the node.
absl::Status ExportNode(const ir::Node& node, ExportContext& ctx);

}  // namespace fixpoint::io

#endif  // FIXPOINT_CORE_IO_ONNX_EXPORT_INTERNAL_H_
