// Builders for small TensorFlow GraphDefs (with our generated protos) in tests
// of the TF importer, and a few helpers to inspect and run the result.
#ifndef FIXPOINT_TESTS_UNIT_TF_TF_TEST_UTIL_H_
#define FIXPOINT_TESTS_UNIT_TF_TF_TEST_UTIL_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/io/tf_importer.h"
#include "core/ir/graph.h"
#include "core/runtime/session.h"
#include "proto/tensorflow/graph.pb.h"

namespace fixpoint::io::testing {

using tfproto::AttrValue;
using tfproto::GraphDef;
using tfproto::NodeDef;

inline void SetShape(tfproto::TensorShapeProto* s, const std::vector<int64_t>& dims) {
  for (int64_t d : dims) s->add_dim()->set_size(d);
}

// f32 tensor in tensor_content (the form freeze_graph writes for weights).
inline tfproto::TensorProto FloatTensor(const std::vector<int64_t>& dims,
                                        const std::vector<float>& values) {
  tfproto::TensorProto t;
  t.set_dtype(tfproto::DT_FLOAT);
  SetShape(t.mutable_tensor_shape(), dims);
  t.set_tensor_content(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  return t;
}

// i32 tensor in int_val (the form TF writes for small shape constants).
inline tfproto::TensorProto IntTensor(const std::vector<int64_t>& dims,
                                      const std::vector<int32_t>& values) {
  tfproto::TensorProto t;
  t.set_dtype(tfproto::DT_INT32);
  SetShape(t.mutable_tensor_shape(), dims);
  for (int32_t v : values) t.add_int_val(v);
  return t;
}

class GraphBuilder {
 public:
  GraphDef& def() { return def_; }

  NodeDef* Node(const std::string& op, const std::string& name,
                const std::vector<std::string>& inputs = {}) {
    NodeDef* n = def_.add_node();
    n->set_op(op);
    n->set_name(name);
    for (const std::string& i : inputs) n->add_input(i);
    if (op != "Const" && op != "Placeholder" && op != "NoOp") Type(n, "T", tfproto::DT_FLOAT);
    return n;
  }
  NodeDef* Placeholder(const std::string& name, const std::vector<int64_t>& dims) {
    NodeDef* n = Node("Placeholder", name);
    Type(n, "dtype", tfproto::DT_FLOAT);
    SetShape((*n->mutable_attr())["shape"].mutable_shape(), dims);
    return n;
  }
  NodeDef* Const(const std::string& name, const tfproto::TensorProto& t) {
    NodeDef* n = Node("Const", name);
    Type(n, "dtype", t.dtype());
    *(*n->mutable_attr())["value"].mutable_tensor() = t;
    return n;
  }
  NodeDef* Conv2D(const std::string& name, const std::string& x, const std::string& w,
                  const std::string& padding, std::vector<int64_t> strides = {1, 1, 1, 1}) {
    NodeDef* n = Node("Conv2D", name, {x, w});
    Str(n, "padding", padding);
    Str(n, "data_format", "NHWC");
    Ints(n, "strides", strides);
    Ints(n, "dilations", {1, 1, 1, 1});
    return n;
  }

  static void Type(NodeDef* n, const std::string& key, int type) {
    (*n->mutable_attr())[key].set_type(static_cast<tfproto::DataType>(type));
  }
  static void Str(NodeDef* n, const std::string& key, const std::string& v) {
    (*n->mutable_attr())[key].set_s(v);
  }
  static void Int(NodeDef* n, const std::string& key, int64_t v) {
    (*n->mutable_attr())[key].set_i(v);
  }
  static void Bool(NodeDef* n, const std::string& key, bool v) {
    (*n->mutable_attr())[key].set_b(v);
  }
  static void Ints(NodeDef* n, const std::string& key, const std::vector<int64_t>& v) {
    auto* list = (*n->mutable_attr())[key].mutable_list();
    for (int64_t x : v) list->add_i(x);
  }

  std::string Bytes() const { return def_.SerializeAsString(); }
  absl::StatusOr<ir::Graph> Import(const TfImportOptions& options) const {
    return ImportTfGraphDef(Bytes(), options);
  }

 private:
  GraphDef def_;
};

// x[?,2,2,3] -> Conv2D(1x1 identity) -> the TF1 dynamic flatten
// (Shape -> StridedSlice -> Pack -> Reshape) -> y[?,12].
inline GraphBuilder ConvThenDynamicFlatten() {
  GraphBuilder b;
  b.Placeholder("x", {-1, 2, 2, 3});
  b.Const("w", FloatTensor({1, 1, 3, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1}));
  b.Conv2D("conv", "x", "w", "VALID");
  b.Node("Shape", "flatten/Shape", {"conv"});
  b.Const("flatten/begin", IntTensor({1}, {0}));
  b.Const("flatten/end", IntTensor({1}, {1}));
  b.Const("flatten/strides", IntTensor({1}, {1}));
  NodeDef* ss = b.Node("StridedSlice", "flatten/strided_slice",
                       {"flatten/Shape", "flatten/begin", "flatten/end", "flatten/strides"});
  GraphBuilder::Int(ss, "shrink_axis_mask", 1);
  b.Const("flatten/minus_one", IntTensor({}, {-1}));
  NodeDef* pack = b.Node("Pack", "flatten/shape", {"flatten/strided_slice", "flatten/minus_one"});
  GraphBuilder::Int(pack, "axis", 0);
  b.Node("Reshape", "y", {"conv", "flatten/shape"});
  return b;
}

inline TfImportOptions Options(std::vector<std::string> inputs, std::vector<std::string> shapes,
                               std::vector<std::string> outputs) {
  TfImportOptions o;
  o.input_nodes = std::move(inputs);
  o.input_shapes = std::move(shapes);
  o.output_nodes = std::move(outputs);
  return o;
}

inline int CountOps(const ir::Graph& g, const std::string& op) {
  int n = 0;
  for (const ir::Node& node : g.nodes) n += node.op_type == op ? 1 : 0;
  return n;
}

// Runs `g` with reference kernels on one f32 input.
inline absl::StatusOr<std::vector<ir::Tensor>> RunRef(const ir::Graph& g, ir::Shape shape,
                                                      std::vector<float> values,
                                                      bool use_onednn = false) {
  runtime::SessionOptions options;
  options.use_onednn = use_onednn;
  options.intra_op_threads = 1;
  auto session = runtime::Session::Create(g, options);
  if (!session.ok()) return session.status();
  ir::TensorView view{ir::DType::kF32, std::move(shape), values.data()};
  return (*session)->Run({&view, 1});
}

}  // namespace fixpoint::io::testing

#endif  // FIXPOINT_TESTS_UNIT_TF_TF_TEST_UTIL_H_
