// Helpers shared by the remote commands: turning what users type into what
// the API takes (a model version given as a number or a label, a dataset
// given as an id or a name) and streaming a file into an upload with a
// progress bar. Thread-compatible (uses the Connection and stderr).
#ifndef FIXPOINT_CLIENT_REMOTE_COMMON_H_
#define FIXPOINT_CLIENT_REMOTE_COMMON_H_

#include <cstdint>
#include <functional>
#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "client/remote_connection.h"
#include "client/remote_convert.h"

namespace fixpoint::client {

// `text` empty: 0 (the API's "latest" / "default"); a positive integer: that
// version; otherwise a label of model `model` (GetModel), NOT_FOUND if the
// model has no such label. The RPC's status on failure.
grpc::Status ResolveVersion(Connection& connection, const std::string& model,
                            const std::string& text, int64_t* version);

// A dataset given as a name (the newest dataset with that name) or an id
// (a sha256 or a prefix of >= 12 hex digits). Sets *dataset to the match
// from ListDatasets; an id that matches none is passed through as
// dataset->sha256 (the server has the last word), a name that matches none
// is NOT_FOUND. The RPC's status on failure.
grpc::Status ResolveDataset(Connection& connection, const std::string& text,
                            v1::Dataset* dataset);

// --json was given.
bool UseJson();

// Upload chunk size.
inline constexpr size_t kUploadChunkBytes = size_t{1} << 20;

// Streams the file at `path` (`total_bytes` long) through `send` in
// kUploadChunkBytes chunks, drawing "<what> [####....] 42%" on stderr when
// it is a terminal and `show_progress`. `send` returns false when the stream
// broke (the caller's Finish() says why). NOT_FOUND / DATA_LOSS for the file.
absl::Status SendFile(const std::string& path, int64_t total_bytes, absl::string_view what,
                      bool show_progress, const std::function<bool(absl::string_view)>& send);

// Ends a client-streamed upload. A local read error (`read`) cancels the
// call and returns kExitUsage; otherwise the stream is half-closed and the
// server's verdict returned: c.Fail(...) on an error, else `response` is
// printed (JSON with --json, `print` otherwise) and kExitOk returned.
template <typename Writer, typename Response, typename Print>
int FinishUpload(Connection& c, grpc::ClientContext& context, Writer& writer,
                 const absl::Status& read, const std::string& what, const Response& response,
                 Print print) {
  if (!read.ok()) {
    context.TryCancel();
    writer.Finish().IgnoreError();
    std::cerr << "fixpoint: " << read << "\n";
    return kExitUsage;
  }
  writer.WritesDone();
  grpc::Status status = writer.Finish();
  if (!status.ok()) return c.Fail(status, "uploading " + what);
  if (UseJson()) {
    std::cout << ToJson(response) << "\n";
  } else {
    print(response);
  }
  return kExitOk;
}

}  // namespace fixpoint::client

#endif  // FIXPOINT_CLIENT_REMOTE_COMMON_H_
