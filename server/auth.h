// Bearer-token check for RPCs: when a token is configured, a call must carry
// the metadata `authorization: Bearer <token>`. The comparison takes the same
// time whatever the mismatch. Thread-safe (immutable after construction).
#ifndef FIXPOINT_SERVER_AUTH_H_
#define FIXPOINT_SERVER_AUTH_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/status.h"

namespace fixpoint::server {

class TokenAuth {
 public:
  // An empty token disables the check.
  explicit TokenAuth(std::string token) : token_(std::move(token)) {}
  bool enabled() const { return !token_.empty(); }
  // OK, or UNAUTHENTICATED saying whether the header is missing, malformed
  // or carries the wrong token.
  absl::Status Check(const grpc::ServerContextBase& context) const;

 private:
  const std::string token_;
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_AUTH_H_
