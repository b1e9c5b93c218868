#include "client/remote_common.h"

#include <unistd.h>

#include <cstdio>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/remote_convert.h"
#include "client/remote_format.h"
#include "client/remote_input.h"

ABSL_DECLARE_FLAG(bool, json);

namespace fixpoint::client {

grpc::Status ResolveVersion(Connection& connection, const std::string& model,
                            const std::string& text, int64_t* version) {
  *version = 0;
  if (text.empty()) return grpc::Status::OK;
  if (absl::SimpleAtoi(text, version)) {
    if (*version > 0) return grpc::Status::OK;
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("version ", text, " is not a positive number"));
  }
  grpc::ClientContext context;
  connection.Prepare(&context);
  v1::GetModelRequest request;
  request.set_name(model);
  v1::Model reply;
  grpc::Status status = connection.models().GetModel(&context, request, &reply);
  if (!status.ok()) return status;
  auto it = reply.labels().find(text);
  if (it == reply.labels().end()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("model '", model, "' has no version labelled '", text, "'"));
  }
  *version = it->second;
  return grpc::Status::OK;
}

grpc::Status ResolveDataset(Connection& connection, const std::string& text,
                            v1::Dataset* dataset) {
  grpc::ClientContext context;
  connection.Prepare(&context);
  v1::ListDatasetsResponse reply;
  grpc::Status status =
      connection.datasets().ListDatasets(&context, v1::ListDatasetsRequest(), &reply);
  if (!status.ok()) return status;
  const bool is_id = IsDatasetId(text);
  const v1::Dataset* match = nullptr;
  int id_matches = 0;
  for (const v1::Dataset& d : reply.datasets()) {
    if (is_id && absl::StartsWith(d.sha256(), text)) {
      match = &d;
      ++id_matches;
    } else if (!is_id && d.name() == text) {
      const bool newer = match == nullptr || d.created().seconds() > match->created().seconds() ||
                         (d.created().seconds() == match->created().seconds() &&
                          d.created().nanos() > match->created().nanos());
      if (newer) match = &d;
    }
  }
  if (is_id && id_matches != 1) match = nullptr;  // ambiguous prefix: the server says so
  if (match != nullptr) {
    *dataset = *match;
  } else if (is_id) {
    dataset->Clear();
    dataset->set_sha256(text);
  } else {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("no dataset named '", text,
                                     "' (give a name from `fixpoint datasets list` or an id of "
                                     ">= 12 hex digits)"));
  }
  return grpc::Status::OK;
}

absl::Status SendFile(const std::string& path, int64_t total_bytes, absl::string_view what,
                      bool show_progress, const std::function<bool(absl::string_view)>& send) {
  const bool tty = show_progress && isatty(STDERR_FILENO);
  int64_t done = 0;
  absl::Status read = ForEachFileChunk(path, kUploadChunkBytes, [&](absl::string_view chunk) {
    if (!send(chunk)) return false;
    done += static_cast<int64_t>(chunk.size());
    if (tty) {
      const double fraction = total_bytes > 0 ? static_cast<double>(done) / total_bytes : 1.0;
      std::fprintf(stderr, "\r\033[K%s  %s", ProgressLine(what, fraction, 0).c_str(),
                   FormatBytes(done).c_str());
    }
    return true;
  });
  if (tty) std::fprintf(stderr, "\r\033[K");
  return read;
}

bool UseJson() { return absl::GetFlag(FLAGS_json); }

}  // namespace fixpoint::client
