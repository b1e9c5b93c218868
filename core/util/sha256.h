// SHA-256 content hashes (OpenSSL's libcrypto) for datasets, uploads and
// artifacts: one-shot over bytes or a file, or streaming. Lowercase hex.
// Sha256 objects are thread-compatible; the free functions are thread-safe.
#ifndef FIXPOINT_CORE_UTIL_SHA256_H_
#define FIXPOINT_CORE_UTIL_SHA256_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fixpoint::util {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(absl::string_view bytes);
  // The digest of everything fed so far, as 64 hex digits. Ends the stream.
  std::string HexDigest();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::string Sha256Hex(absl::string_view bytes);
// NOT_FOUND / PERMISSION_DENIED / INTERNAL naming the path on read errors.
absl::StatusOr<std::string> Sha256File(const std::string& path);

}  // namespace fixpoint::util

#endif  // FIXPOINT_CORE_UTIL_SHA256_H_
