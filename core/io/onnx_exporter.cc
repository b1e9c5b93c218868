// ir::Graph -> onnx.ModelProto: model header, graph inputs/outputs with their
// value infos, initializers (constants that are graph outputs become Constant
// nodes, which every runtime accepts as outputs), then the nodes lowered one by
// one (onnx_export_nodes.cc). Unsupported nodes are collected into one error.
#include "core/io/onnx_exporter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/io/onnx_export_internal.h"
#include "core/io/onnx_proto_convert.h"
#include "core/ir/shape_inference.h"
#include "core/util/status_macros.h"

namespace fixpoint::io {
namespace {

constexpr int64_t kMinOpset = 13;
constexpr int64_t kMaxOpset = 17;
constexpr int64_t kIrVersion = 8;  // ONNX 1.10+; what opsets 13..17 need at most

void WriteValueInfo(const ir::ValueInfo& v, const OnnxExportOptions& options,
                    onnx::ValueInfoProto* proto) {
  proto->set_name(v.name);
  auto* tt = proto->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(OnnxFromDType(v.dtype));
  auto* shape = tt->mutable_shape();
  for (int i = 0; i < v.shape.rank(); ++i) {
    auto* dim = shape->add_dim();
    if (v.shape[i] != ir::kDynamicDim) {
      dim->set_dim_value(v.shape[i]);
    } else if (i == 0) {
      dim->set_dim_param(options.batch_dim_param);
    } else {
      dim->set_dim_param(absl::StrCat(v.name, "_d", i));
    }
  }
}

absl::Status WriteNodes(const ir::Graph& g, ExportContext& ctx) {
  std::vector<std::string> refused;
  for (const ir::Node& node : g.nodes) {
    absl::Status s = ExportNode(node, ctx);
    if (s.code() == absl::StatusCode::kUnimplemented) {
      refused.push_back(std::string(s.message()));
    } else if (!s.ok()) {
      return s;
    }
  }
  if (refused.empty()) return absl::OkStatus();
  return absl::UnimplementedError(
      absl::StrCat("cannot express in ONNX opset ", ctx.opset(), ": ",
                   absl::StrJoin(refused, "; ")));
}

absl::StatusOr<onnx::ModelProto> BuildModel(const ir::Graph& g,
                                            const OnnxExportOptions& options) {
  onnx::ModelProto model;
  model.set_ir_version(kIrVersion);
  model.set_producer_name(options.producer_name);
  model.set_producer_version(options.producer_version);
  if (!options.doc_string.empty()) model.set_doc_string(options.doc_string);
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(options.opset);
  for (const auto& [key, value] : options.metadata_props) {
    auto* p = model.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
  }
  onnx::GraphProto* gp = model.mutable_graph();
  gp->set_name(g.name.empty() ? "fixpoint" : g.name);

  absl::flat_hash_set<std::string> outputs;
  for (const ir::ValueInfo& out : g.outputs) outputs.insert(out.name);
  ExportContext ctx(g, options.opset, gp);
  for (const auto& [name, t] : g.initializers) {
    if (!outputs.count(name)) {
      TensorToProto(t, name, gp->add_initializer());
      continue;
    }
    onnx::NodeProto* c = ctx.AddNode("Constant", ctx.NewNodeName(name + "_constant"), {}, {name});
    AttributeToProto("value", t, c->add_attribute());
  }
  for (const ir::ValueInfo& in : g.inputs) WriteValueInfo(in, options, gp->add_input());
  FP_RETURN_IF_ERROR(WriteNodes(g, ctx));
  for (const ir::ValueInfo& out : g.outputs) {
    const ir::ValueInfo* inferred = g.FindValueInfo(out.name);
    WriteValueInfo(inferred != nullptr ? *inferred : out, options, gp->add_output());
    gp->mutable_output()->rbegin()->set_name(out.name);
  }
  return model;
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " '", path, "': ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, const std::string& bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot write", path);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return Errno("cannot fsync", path);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ExportOnnx(const ir::Graph& graph, const OnnxExportOptions& options) {
  const std::string what = absl::StrCat("exporting '", graph.name, "' to ONNX");
  if (options.opset < kMinOpset || options.opset > kMaxOpset) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": opset ", options.opset,
                                                   " is not supported (", kMinOpset, "..",
                                                   kMaxOpset, ")"));
  }
  // Inference on a copy: fills value_info of every value and resolves
  // geometry attributes (auto_pad) without touching the caller's graph.
  ir::Graph g = graph;
  absl::Status inferred = ir::InferShapes(g);
  if (!inferred.ok()) return WithContext(inferred, what);
  auto model = BuildModel(g, options);
  if (!model.ok()) return WithContext(model.status(), what);
  if (model->ByteSizeLong() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return absl::UnimplementedError(absl::StrCat(
        what, ": the model is over 2 GiB (external data is not supported)"));
  }
  std::string bytes;
  if (!model->SerializeToString(&bytes)) {
    return absl::InternalError(absl::StrCat(what, ": protobuf serialization failed"));
  }
  return bytes;
}

absl::Status ExportOnnxFile(const ir::Graph& graph, const std::string& path,
                            const OnnxExportOptions& options) {
  FP_ASSIGN_OR_RETURN(std::string bytes, ExportOnnx(graph, options));
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return Errno("cannot create a temporary file beside", path);
  // mkstemp makes the file 0600; a model file is as readable as any other.
  absl::Status s = ::fchmod(fd, 0644) == 0 ? WriteAll(fd, bytes, tmp) : Errno("cannot chmod", tmp);
  if (::close(fd) != 0 && s.ok()) s = Errno("cannot close", tmp);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = Errno("cannot rename onto", path);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  // The rename is durable only once the directory entry is.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd < 0) return Errno("cannot open directory", dir);
  const int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return Errno("cannot fsync directory", dir);
  return absl::OkStatus();
}

}  // namespace fixpoint::io
