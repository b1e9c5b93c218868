// IR values -> ONNX protos, and the naming/appending context of one export.
#include <bit>
#include <string>
#include <type_traits>
#include <variant>

#include "absl/strings/str_cat.h"
#include "core/io/onnx_export_internal.h"
#include "core/io/onnx_proto_convert.h"

namespace fixpoint::io {

// raw_data is little-endian; IR tensors are host order.
static_assert(std::endian::native == std::endian::little,
              "the ONNX raw_data writer assumes a little-endian host");

void TensorToProto(const ir::Tensor& t, const std::string& name, onnx::TensorProto* proto) {
  proto->set_name(name);
  proto->set_data_type(OnnxFromDType(t.dtype()));
  for (int64_t d : t.shape().dims()) proto->add_dims(d);
  if (t.ByteSize() > 0) {
    proto->set_raw_data(static_cast<const char*>(t.raw()), t.ByteSize());
  }
}

void AttributeToProto(const std::string& name, const ir::Attribute& a,
                      onnx::AttributeProto* proto) {
  using onnx::AttributeProto;
  proto->set_name(name);
  std::visit(
      [proto](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          proto->set_type(AttributeProto::INT);
          proto->set_i(v);
        } else if constexpr (std::is_same_v<T, float>) {
          proto->set_type(AttributeProto::FLOAT);
          proto->set_f(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          proto->set_type(AttributeProto::STRING);
          proto->set_s(v);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          proto->set_type(AttributeProto::INTS);
          for (int64_t x : v) proto->add_ints(x);
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
          proto->set_type(AttributeProto::FLOATS);
          for (float x : v) proto->add_floats(x);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          proto->set_type(AttributeProto::STRINGS);
          for (const std::string& x : v) proto->add_strings(x);
        } else {
          proto->set_type(AttributeProto::TENSOR);
          TensorToProto(v, "", proto->mutable_t());
        }
      },
      a);
}

ExportContext::ExportContext(const ir::Graph& graph, int64_t opset, onnx::GraphProto* out)
    : graph_(graph), opset_(opset), out_(out) {
  for (const ir::ValueInfo& v : graph.inputs) values_.insert(v.name);
  for (const ir::ValueInfo& v : graph.outputs) values_.insert(v.name);
  for (const auto& [name, t] : graph.initializers) values_.insert(name);
  for (const ir::Node& n : graph.nodes) {
    nodes_.insert(n.name);
    values_.insert(n.inputs.begin(), n.inputs.end());
    values_.insert(n.outputs.begin(), n.outputs.end());
  }
}

const ir::ValueInfo* ExportContext::Info(const std::string& value) const {
  return graph_.FindValueInfo(value);
}

namespace {
std::string Fresh(absl::flat_hash_set<std::string>& taken, const std::string& base) {
  std::string name = base;
  for (int k = 1; taken.count(name); ++k) name = absl::StrCat(base, "_", k);
  taken.insert(name);
  return name;
}
}  // namespace

std::string ExportContext::NewValueName(const std::string& base) { return Fresh(values_, base); }
std::string ExportContext::NewNodeName(const std::string& base) { return Fresh(nodes_, base); }

std::string ExportContext::AddInitializer(const std::string& base, const ir::Tensor& t) {
  const std::string name = NewValueName(base);
  TensorToProto(t, name, out_->add_initializer());
  return name;
}

onnx::NodeProto* ExportContext::AddNode(const std::string& op_type, const std::string& name,
                                        const std::vector<std::string>& inputs,
                                        const std::vector<std::string>& outputs) {
  onnx::NodeProto* n = out_->add_node();
  n->set_op_type(op_type);
  n->set_name(name);
  size_t present = inputs.size();  // trailing absent inputs are omitted
  while (present > 0 && inputs[present - 1].empty()) --present;
  for (size_t i = 0; i < present; ++i) n->add_input(inputs[i]);
  size_t used = outputs.size();
  while (used > 0 && outputs[used - 1].empty()) --used;
  for (size_t i = 0; i < used; ++i) n->add_output(outputs[i]);
  return n;
}

}  // namespace fixpoint::io
