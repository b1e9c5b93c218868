// Builders for small ONNX models in tests of the ONNX importer.
#ifndef FIXPOINT_TESTS_UNIT_IO_ONNX_TEST_UTIL_H_
#define FIXPOINT_TESTS_UNIT_IO_ONNX_TEST_UTIL_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/io/onnx_importer.h"
#include "core/ir/graph.h"
#include "onnx/onnx_pb.h"

namespace fixpoint::io::testing {

// Dims < 0 become dim_param "N".
inline void SetType(onnx::ValueInfoProto* v, const std::string& name, int32_t elem_type,
                    const std::vector<int64_t>& dims) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem_type);
  auto* shape = tt->mutable_shape();
  for (int64_t d : dims) {
    auto* dim = shape->add_dim();
    if (d < 0)
      dim->set_dim_param("N");
    else
      dim->set_dim_value(d);
  }
}

class ModelBuilder {
 public:
  explicit ModelBuilder(int64_t opset, const std::string& name = "test_model") {
    model_.set_ir_version(8);
    auto* op = model_.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    model_.mutable_graph()->set_name(name);
  }
  onnx::ModelProto& model() { return model_; }
  onnx::GraphProto* graph() { return model_.mutable_graph(); }

  ModelBuilder& Input(const std::string& name, const std::vector<int64_t>& dims,
                      int32_t elem_type = onnx::TensorProto::FLOAT) {
    SetType(graph()->add_input(), name, elem_type, dims);
    return *this;
  }
  ModelBuilder& Output(const std::string& name, const std::vector<int64_t>& dims = {},
                       int32_t elem_type = onnx::TensorProto::FLOAT) {
    auto* v = graph()->add_output();
    SetType(v, name, elem_type, dims);
    if (dims.empty()) v->mutable_type()->mutable_tensor_type()->clear_shape();
    return *this;
  }
  onnx::NodeProto* Node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name = "") {
    auto* n = graph()->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return n;
  }
  ModelBuilder& Initializer(const onnx::TensorProto& t) {
    *graph()->add_initializer() = t;
    return *this;
  }
  // A Constant node with attribute "value".
  ModelBuilder& Constant(const std::string& output, const onnx::TensorProto& t) {
    auto* n = Node("Constant", {}, {output});
    auto* a = n->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    *a->mutable_t() = t;
    return *this;
  }
  std::string Bytes() const { return model_.SerializeAsString(); }
  absl::StatusOr<ir::Graph> Import(const OnnxImportOptions& options = {}) const {
    return ImportOnnx(Bytes(), options);
  }

 private:
  onnx::ModelProto model_;
};

inline void SetInt(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
inline void SetFloat(onnx::NodeProto* n, const std::string& name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
inline void SetString(onnx::NodeProto* n, const std::string& name, const std::string& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}
inline void SetInts(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
inline void SetFloats(onnx::NodeProto* n, const std::string& name, const std::vector<float>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOATS);
  for (float x : v) a->add_floats(x);
}

inline onnx::TensorProto I64Tensor(const std::string& name, const std::vector<int64_t>& dims,
                                   const std::vector<int64_t>& values, bool raw = false) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : dims) t.add_dims(d);
  if (raw) {
    t.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * 8));
  } else {
    for (int64_t v : values) t.add_int64_data(v);
  }
  return t;
}
inline onnx::TensorProto F32Tensor(const std::string& name, const std::vector<int64_t>& dims,
                                   const std::vector<float>& values, bool raw = false) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t.add_dims(d);
  if (raw) {
    t.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4));
  } else {
    for (float v : values) t.add_float_data(v);
  }
  return t;
}

// The first node of `op_type`, or nullptr.
inline const ir::Node* FindNode(const ir::Graph& g, const std::string& op_type) {
  for (const ir::Node& n : g.nodes) {
    if (n.op_type == op_type) return &n;
  }
  return nullptr;
}

}  // namespace fixpoint::io::testing

#endif  // FIXPOINT_TESTS_UNIT_IO_ONNX_TEST_UTIL_H_
