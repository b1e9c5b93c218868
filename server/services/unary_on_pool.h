// Runs a unary RPC's work on a WorkPool and finishes the reactor from there,
// after the optional token check, so callback threads never block.
#ifndef FIXPOINT_SERVER_SERVICES_UNARY_ON_POOL_H_
#define FIXPOINT_SERVER_SERVICES_UNARY_ON_POOL_H_

#include <grpcpp/grpcpp.h>

#include <utility>

#include "absl/status/status.h"
#include "server/auth.h"
#include "server/convert/status_convert.h"
#include "server/work_pool.h"

namespace fixpoint::server {

// `work` is absl::Status(); it fills the response itself.
template <typename Work>
grpc::ServerUnaryReactor* UnaryOnPool(grpc::CallbackServerContext* context, const TokenAuth* auth,
                                      WorkPool* pool, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (auth != nullptr) {
    if (absl::Status s = auth->Check(*context); !s.ok()) {
      reactor->Finish(ToGrpcStatus(s));
      return reactor;
    }
  }
  pool->Submit([reactor, work = std::move(work)]() mutable {
    reactor->Finish(ToGrpcStatus(work()));
  });
  return reactor;
}

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_SERVICES_UNARY_ON_POOL_H_
