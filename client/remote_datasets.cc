// fixpoint datasets upload | list: the DatasetService.
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/remote_commands.h"
#include "client/remote_common.h"
#include "client/remote_connection.h"
#include "client/remote_convert.h"
#include "client/remote_format.h"
#include "core/util/sha256.h"

ABSL_DECLARE_FLAG(std::string, name);
ABSL_DECLARE_FLAG(std::string, format);
ABSL_DECLARE_FLAG(std::string, dataset);
ABSL_DECLARE_FLAG(std::string, labels);
ABSL_DECLARE_FLAG(std::string, preprocess);
ABSL_DECLARE_FLAG(bool, json);

namespace fixpoint::client {
namespace {

constexpr char kDatasetsUsage[] =
    "fixpoint datasets upload --dataset FILE [--labels FILE] [--name N] [--format csv|idx|npy]\n"
    "           [--preprocess layout=nchw,scale=1/255,mean=0,std=1,shape=1x28x28]\n"
    "       fixpoint datasets list";

std::string ItemShape(const v1::Dataset& d) {
  return d.item_shape().empty() ? "-" : absl::StrJoin(d.item_shape(), "x");
}

void PrintDataset(const v1::Dataset& d) {
  std::cout << absl::StrCat("dataset    ", d.name(), "\nid         ", d.sha256(), "\nformat     ",
                            DatasetFormatName(d.format()), ", ", FormatBytes(d.size_bytes()),
                            "\nitems      ", d.items(), " of ", ItemShape(d),
                            d.has_labels() ? ", labelled" : ", no labels",
                            "\npreprocess ", PreprocessingText(d.preprocessing()), "\n");
}

// Name, size and sha256 of a local file; false (after a message) if unreadable.
bool Describe(const std::string& path, const char* flag, int64_t* size, std::string* sha) {
  std::error_code error;
  *size = static_cast<int64_t>(std::filesystem::file_size(path, error));
  auto digest = util::Sha256File(path);
  if (error || !digest.ok()) {
    std::cerr << "fixpoint: cannot read --" << flag << " '" << path << "'\n";
    return false;
  }
  *sha = *digest;
  return true;
}

// The upload header from the flags and the files; an exit code (after a
// message) on error, else -1.
int BuildHeader(const std::string& path, const std::string& labels, v1::UploadDatasetHeader* h,
                int64_t* size, int64_t* labels_size) {
  std::string name = absl::GetFlag(FLAGS_name);
  if (name.empty()) name = std::filesystem::path(path).filename().string();
  auto format = DatasetFormatOf(absl::GetFlag(FLAGS_format), path);
  if (!format.ok()) return UsageError(format.status().message(), kDatasetsUsage);
  if (*format == v1::DATASET_FORMAT_CSV && !labels.empty()) {
    return UsageError("a CSV dataset carries its labels; drop --labels", kDatasetsUsage);
  }
  h->set_name(name);
  h->set_format(*format);
  std::string sha;
  if (!Describe(path, "dataset", size, &sha)) return kExitUsage;
  h->set_size_bytes(*size);
  h->set_sha256(sha);
  if (!labels.empty()) {
    if (!Describe(labels, "labels", labels_size, &sha)) return kExitUsage;
    h->set_labels_size_bytes(*labels_size);
    h->set_labels_sha256(sha);
  }
  if (!absl::GetFlag(FLAGS_preprocess).empty()) {
    auto preprocessing = ParsePreprocessing(absl::GetFlag(FLAGS_preprocess));
    if (!preprocessing.ok()) return UsageError(preprocessing.status().message(), kDatasetsUsage);
    *h->mutable_preprocessing() = *preprocessing;
  }
  return -1;
}

int Upload(Connection& c) {
  const std::string path = absl::GetFlag(FLAGS_dataset), labels = absl::GetFlag(FLAGS_labels);
  if (path.empty()) return UsageError("upload needs --dataset", kDatasetsUsage);
  v1::UploadDatasetRequest first;
  int64_t size = 0, labels_size = 0;
  if (int code = BuildHeader(path, labels, first.mutable_header(), &size, &labels_size);
      code >= 0) {
    return code;
  }
  const std::string& name = first.header().name();

  grpc::ClientContext context;
  c.Prepare(&context, /*with_deadline=*/false);
  v1::Dataset dataset;
  std::unique_ptr<grpc::ClientWriter<v1::UploadDatasetRequest>> writer =
      c.datasets().UploadDataset(&context, &dataset);
  const bool progress = !absl::GetFlag(FLAGS_json);
  absl::Status read = absl::OkStatus();
  if (writer->Write(first)) {
    read = SendFile(path, size, "upload", progress, [&](absl::string_view chunk) {
      v1::UploadDatasetRequest request;
      request.set_data(chunk.data(), chunk.size());
      return writer->Write(request);
    });
    if (read.ok() && !labels.empty()) {
      read = SendFile(labels, labels_size, "labels", progress, [&](absl::string_view chunk) {
        v1::UploadDatasetRequest request;
        request.set_labels_data(chunk.data(), chunk.size());
        return writer->Write(request);
      });
    }
  }
  return FinishUpload(c, context, *writer, read, absl::StrCat("dataset '", name, "'"), dataset,
                      [](const auto& r) { PrintDataset(r); });
}

int List(Connection& c) {
  grpc::ClientContext context;
  c.Prepare(&context);
  v1::ListDatasetsResponse reply;
  grpc::Status status = c.datasets().ListDatasets(&context, v1::ListDatasetsRequest(), &reply);
  if (!status.ok()) return c.Fail(status, "listing datasets");
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << ToJson(reply) << "\n";
    return kExitOk;
  }
  using A = Table::Align;
  Table table({"ID", "NAME", "FORMAT", "ITEMS", "LABELS", "SHAPE", "SIZE", "CREATED", "PREPROCESS"},
              {A::kLeft, A::kLeft, A::kLeft, A::kRight, A::kLeft, A::kLeft, A::kRight, A::kLeft,
               A::kLeft});
  for (const v1::Dataset& d : reply.datasets()) {
    table.AddRow({d.sha256().substr(0, 12), d.name(), std::string(DatasetFormatName(d.format())),
                  absl::StrCat(d.items()), d.has_labels() ? "yes" : "no", ItemShape(d),
                  FormatBytes(d.size_bytes()), FormatTimestamp(d.created()),
                  PreprocessingText(d.preprocessing())});
  }
  std::cout << (table.empty() ? "no datasets\n" : table.Render());
  return kExitOk;
}

}  // namespace

int RunDatasetsCommand(const std::vector<std::string>& args) {
  const std::string sub = args.empty() ? "" : args[0];
  int (*run)(Connection&) = sub == "upload" ? Upload : sub == "list" ? List : nullptr;
  if (run == nullptr) {
    return UsageError(sub.empty() ? "datasets needs a subcommand"
                                  : absl::StrCat("unknown datasets subcommand '", sub, "'"),
                      kDatasetsUsage);
  }
  auto connection = Connection::FromFlags();
  if (!connection.ok()) return UsageError(connection.status().message(), kDatasetsUsage);
  return run(**connection);
}

}  // namespace fixpoint::client
