#include "server/services/upload_buffer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/util/sha256.h"

namespace fixpoint::server {

absl::Status UploadBuffer::Declare(int64_t size, const std::string& sha256,
                                   absl::string_view field) {
  if (size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what_, ": ", field, ".size_bytes must be > 0, got ", size));
  }
  if (size > max_) {
    return absl::ResourceExhaustedError(absl::StrCat(what_, ": ", field, ".size_bytes ", size,
                                                     " exceeds the server's upload limit of ",
                                                     max_, " bytes (--max_upload_bytes)"));
  }
  bool hex = sha256.size() == 64;
  for (char c : sha256) hex = hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
  if (!hex) {
    return absl::InvalidArgumentError(absl::StrCat(
        what_, ": ", field, ".sha256 must be 64 hex digits, got '", sha256.substr(0, 80), "'"));
  }
  declared_ = true;
  size_ = size;
  sha256_ = absl::AsciiStrToLower(sha256);
  bytes_.reserve(static_cast<size_t>(size));
  return absl::OkStatus();
}

absl::Status UploadBuffer::Append(absl::string_view chunk) {
  if (static_cast<int64_t>(bytes_.size() + chunk.size()) > size_) {
    return absl::InvalidArgumentError(
        absl::StrCat(what_, ": received more than the declared ", size_, " bytes (",
                     bytes_.size() + chunk.size(), " so far)"));
  }
  bytes_.append(chunk.data(), chunk.size());
  return absl::OkStatus();
}

absl::Status UploadBuffer::Finish() const {
  if (static_cast<int64_t>(bytes_.size()) != size_) {
    return absl::InvalidArgumentError(absl::StrCat("truncated upload of ", what_, ": received ",
                                                   bytes_.size(), " of the declared ", size_,
                                                   " bytes"));
  }
  const std::string actual = util::Sha256Hex(bytes_);
  if (actual != sha256_) {
    return absl::InvalidArgumentError(absl::StrCat(what_, ": sha256 mismatch: declared ", sha256_,
                                                   ", received bytes hash to ", actual));
  }
  return absl::OkStatus();
}

}  // namespace fixpoint::server
