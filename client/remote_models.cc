// fixpoint models upload | list | show | label | delete: the ModelService.
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/remote_commands.h"
#include "client/remote_common.h"
#include "client/remote_connection.h"
#include "client/remote_convert.h"
#include "client/remote_format.h"
#include "core/util/sha256.h"

ABSL_FLAG(std::string, name, "", "remote: model or dataset name");
ABSL_FLAG(std::string, model_version, "",
          "remote: model version, a number or a label (also spelled --version V); "
          "empty = latest / default");
ABSL_FLAG(std::string, label, "",
          "remote: version label (models label; quantize: label for the produced version)");
ABSL_FLAG(std::string, format, "",
          "remote upload format: onnx | tf_graphdef (models), csv | idx | npy (datasets); "
          "default by extension");
ABSL_FLAG(std::string, description, "", "models upload: free-text description");
ABSL_DECLARE_FLAG(std::string, model);
ABSL_DECLARE_FLAG(std::string, input_nodes);
ABSL_DECLARE_FLAG(std::string, input_shapes);
ABSL_DECLARE_FLAG(std::string, output_nodes);
ABSL_DECLARE_FLAG(bool, json);

namespace fixpoint::client {
namespace {

constexpr char kModelsUsage[] =
    "fixpoint models upload --name N --model FILE [--format onnx|tf_graphdef]\n"
    "           [--input_nodes A,B --input_shapes '?,28,28,1' --output_nodes C] [--description D]\n"
    "       fixpoint models list\n"
    "       fixpoint models show --name N\n"
    "       fixpoint models label --name N --version V --label L\n"
    "       fixpoint models delete --name N --version V";

std::string ShapeString(const google::protobuf::RepeatedField<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ","), "]");
}

std::string TensorsString(const google::protobuf::RepeatedPtrField<v1::TensorInfo>& tensors) {
  std::vector<std::string> parts;
  for (const v1::TensorInfo& t : tensors) {
    parts.push_back(absl::StrCat(t.name(), " ", t.datatype(), ShapeString(t.shape())));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, ", ");
}

Table VersionTable() {
  using A = Table::Align;
  return Table({"MODEL", "VERSION", "PRECISION", "SOURCE", "PARENT", "METHOD", "SIZE", "CREATED",
                "LABELS"},
               {A::kLeft, A::kRight, A::kLeft, A::kLeft, A::kRight, A::kLeft, A::kRight,
                A::kLeft, A::kLeft});
}

void AddVersionRows(const v1::Model& model, Table* table) {
  for (const v1::ModelVersion& v : model.versions()) {
    table->AddRow({model.name(), absl::StrCat(v.version()), std::string(PrecisionName(v.precision())),
                   v.source_format().empty() ? "-" : v.source_format(),
                   v.parent_version() > 0 ? absl::StrCat(v.parent_version()) : "-",
                   v.method().empty() ? "-" : v.method(), FormatBytes(v.size_bytes()),
                   FormatTimestamp(v.created()),
                   v.labels().empty() ? "" : absl::StrJoin(v.labels(), ",")});
  }
}

void PrintVersion(const v1::ModelVersion& v) {
  std::cout << absl::StrCat("model      ", v.model(), " version ", v.version(), " (",
                            PrecisionName(v.precision()), ", ", v.source_format(), ", ",
                            FormatBytes(v.size_bytes()), ")\n",
                            "sha256     ", v.sha256(), "\n",
                            "inputs     ", TensorsString(v.inputs()), "\n",
                            "outputs    ", TensorsString(v.outputs()), "\n");
  if (!v.description().empty()) std::cout << "about      " << v.description() << "\n";
}

std::vector<std::string> Split(const std::string& text, char sep) {
  return absl::StrSplit(text, sep, absl::SkipEmpty());
}

int Upload(Connection& c) {
  const std::string name = absl::GetFlag(FLAGS_name), path = absl::GetFlag(FLAGS_model);
  if (name.empty() || path.empty()) return UsageError("upload needs --name and --model", kModelsUsage);
  auto format = ModelFormatOf(absl::GetFlag(FLAGS_format), path);
  if (!format.ok()) return UsageError(format.status().message(), kModelsUsage);
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  auto sha = util::Sha256File(path);
  if (error || !sha.ok()) {
    std::cerr << "fixpoint: cannot read --model '" << path << "'\n";
    return kExitUsage;
  }
  v1::UploadModelRequest first;
  v1::UploadModelHeader& h = *first.mutable_header();
  h.set_name(name);
  h.set_format(*format);
  h.set_size_bytes(static_cast<int64_t>(size));
  h.set_sha256(*sha);
  h.set_description(absl::GetFlag(FLAGS_description));
  if (*format == v1::MODEL_FORMAT_TF_GRAPHDEF) {
    for (const std::string& n : Split(absl::GetFlag(FLAGS_input_nodes), ',')) h.add_input_nodes(n);
    for (const std::string& s : Split(absl::GetFlag(FLAGS_input_shapes), ':')) h.add_input_shapes(s);
    for (const std::string& n : Split(absl::GetFlag(FLAGS_output_nodes), ',')) h.add_output_nodes(n);
  }

  grpc::ClientContext context;
  c.Prepare(&context, /*with_deadline=*/false);
  v1::ModelVersion version;
  std::unique_ptr<grpc::ClientWriter<v1::UploadModelRequest>> writer =
      c.models().UploadModel(&context, &version);
  absl::Status read = absl::OkStatus();
  if (writer->Write(first)) {
    read = SendFile(path, static_cast<int64_t>(size), "upload", !absl::GetFlag(FLAGS_json),
                    [&](absl::string_view chunk) {
                      v1::UploadModelRequest request;
                      request.set_data(chunk.data(), chunk.size());
                      return writer->Write(request);
                    });
  }
  return FinishUpload(c, context, *writer, read, absl::StrCat("model '", name, "'"), version,
                      [](const auto& r) { PrintVersion(r); });
}

int List(Connection& c) {
  grpc::ClientContext context;
  c.Prepare(&context);
  v1::ListModelsResponse reply;
  grpc::Status status = c.models().ListModels(&context, v1::ListModelsRequest(), &reply);
  if (!status.ok()) return c.Fail(status, "listing models");
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << ToJson(reply) << "\n";
    return kExitOk;
  }
  Table table = VersionTable();
  for (const v1::Model& m : reply.models()) AddVersionRows(m, &table);
  std::cout << (table.empty() ? "no models\n" : table.Render());
  return kExitOk;
}

int Show(Connection& c) {
  const std::string name = absl::GetFlag(FLAGS_name);
  if (name.empty()) return UsageError("show needs --name", kModelsUsage);
  grpc::ClientContext context;
  c.Prepare(&context);
  v1::GetModelRequest request;
  request.set_name(name);
  v1::Model model;
  grpc::Status status = c.models().GetModel(&context, request, &model);
  if (!status.ok()) return c.Fail(status, absl::StrCat("getting model '", name, "'"));
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << ToJson(model) << "\n";
    return kExitOk;
  }
  Table table = VersionTable();
  AddVersionRows(model, &table);
  std::cout << table.Render() << "\n";
  Table io({"VERSION", "INPUTS", "OUTPUTS", "JOB", "DESCRIPTION"}, {Table::Align::kRight});
  for (const v1::ModelVersion& v : model.versions()) {
    io.AddRow({absl::StrCat(v.version()), TensorsString(v.inputs()), TensorsString(v.outputs()),
               v.job_id().empty() ? "-" : v.job_id(), v.description()});
  }
  std::cout << io.Render();
  return kExitOk;
}

int Label(Connection& c) {
  const std::string name = absl::GetFlag(FLAGS_name), label = absl::GetFlag(FLAGS_label);
  if (name.empty() || label.empty() || absl::GetFlag(FLAGS_model_version).empty()) {
    return UsageError("label needs --name, --version and --label", kModelsUsage);
  }
  v1::SetVersionLabelRequest request;
  int64_t version = 0;
  grpc::Status status = ResolveVersion(c, name, absl::GetFlag(FLAGS_model_version), &version);
  if (!status.ok()) return c.Fail(status, "resolving --version");
  request.set_name(name);
  request.set_version(version);
  request.set_label(label);
  grpc::ClientContext context;
  c.Prepare(&context);
  v1::Model model;
  status = c.models().SetVersionLabel(&context, request, &model);
  if (!status.ok()) return c.Fail(status, absl::StrCat("labelling ", name, " v", version));
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << ToJson(model) << "\n";
  } else {
    std::cout << name << ": label '" << label << "' -> version " << version << "\n";
  }
  return kExitOk;
}

int Delete(Connection& c) {
  const std::string name = absl::GetFlag(FLAGS_name);
  if (name.empty() || absl::GetFlag(FLAGS_model_version).empty()) {
    return UsageError("delete needs --name and --version", kModelsUsage);
  }
  v1::DeleteModelVersionRequest request;
  int64_t version = 0;
  grpc::Status status = ResolveVersion(c, name, absl::GetFlag(FLAGS_model_version), &version);
  if (!status.ok()) return c.Fail(status, "resolving --version");
  request.set_name(name);
  request.set_version(version);
  grpc::ClientContext context;
  c.Prepare(&context);
  v1::DeleteModelVersionResponse reply;
  status = c.models().DeleteModelVersion(&context, request, &reply);
  if (!status.ok()) return c.Fail(status, absl::StrCat("deleting ", name, " v", version));
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << nlohmann::ordered_json{{"model", name}, {"deleted_version", version}}.dump()
              << "\n";
  } else {
    std::cout << "deleted " << name << " version " << version << "\n";
  }
  return kExitOk;
}

}  // namespace

int RunModelsCommand(const std::vector<std::string>& args) {
  const std::string sub = args.empty() ? "" : args[0];
  int (*run)(Connection&) = sub == "upload"   ? Upload
                            : sub == "list"   ? List
                            : sub == "show"   ? Show
                            : sub == "label"  ? Label
                            : sub == "delete" ? Delete
                                              : nullptr;
  if (run == nullptr) {
    return UsageError(sub.empty() ? "models needs a subcommand"
                                  : absl::StrCat("unknown models subcommand '", sub, "'"),
                      kModelsUsage);
  }
  auto connection = Connection::FromFlags();
  if (!connection.ok()) return UsageError(connection.status().message(), kModelsUsage);
  return run(**connection);
}

}  // namespace fixpoint::client
