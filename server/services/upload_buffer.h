// UploadBuffer: the bytes of one client-streamed upload, checked against
// the size and sha256 its header declared and against the server's upload
// limit. Thread-compatible (one per stream).
#ifndef FIXPOINT_SERVER_SERVICES_UPLOAD_BUFFER_H_
#define FIXPOINT_SERVER_SERVICES_UPLOAD_BUFFER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace fixpoint::server {

class UploadBuffer {
 public:
  // `what` names the upload in messages ("model 'seed_cnn'").
  UploadBuffer(std::string what, int64_t max_bytes) : what_(std::move(what)), max_(max_bytes) {}

  // Checks the declared size against the limit (RESOURCE_EXHAUSTED) and
  // that it is positive, and the sha256 is 64 hex digits (INVALID_ARGUMENT).
  // `field` is the header's field prefix in messages ("header").
  absl::Status Declare(int64_t size, const std::string& sha256, absl::string_view field);
  // Appends a chunk. INVALID_ARGUMENT once more bytes arrive than declared.
  absl::Status Append(absl::string_view chunk);
  // At the end of the stream: INVALID_ARGUMENT for a truncated upload or a
  // sha256 mismatch.
  absl::Status Finish() const;
  const std::string& bytes() const { return bytes_; }
  bool declared() const { return declared_; }

 private:
  std::string what_;
  int64_t max_;
  bool declared_ = false;
  int64_t size_ = 0;
  std::string sha256_;
  std::string bytes_;
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_SERVICES_UPLOAD_BUFFER_H_
