// UploadReactor: the common shape of a client-streamed upload RPC. It checks
// the token, reads chunks (Accept validates and buffers each one, and an
// error finishes the call at once), and when the client half-closes runs
// Complete on the WorkPool, so imports and disk writes never block a gRPC
// callback thread. A client that cancels gets CANCELLED and nothing stored.
// Subclasses call Begin() at the end of their constructor.
#ifndef FIXPOINT_SERVER_SERVICES_UPLOAD_REACTOR_H_
#define FIXPOINT_SERVER_SERVICES_UPLOAD_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "server/auth.h"
#include "server/convert/status_convert.h"
#include "server/work_pool.h"

namespace fixpoint::server {

template <typename Request>
class UploadReactor : public grpc::ServerReadReactor<Request> {
 public:
  void OnReadDone(bool ok) override {
    if (!ok) {
      if (context_->IsCancelled()) {
        this->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "upload cancelled by the client"));
        return;
      }
      pool_->Submit([this] { this->Finish(ToGrpcStatus(Complete())); });
      return;
    }
    if (absl::Status s = Accept(chunk_); !s.ok()) {
      this->Finish(ToGrpcStatus(s));
      return;
    }
    this->StartRead(&chunk_);
  }

  void OnDone() override { delete this; }

 protected:
  UploadReactor(grpc::CallbackServerContext* context, WorkPool* pool)
      : context_(context), pool_(pool) {}

  // Checks the token, then starts reading.
  void Begin(const TokenAuth& auth) {
    if (absl::Status s = auth.Check(*context_); !s.ok()) {
      this->Finish(ToGrpcStatus(s));
      return;
    }
    this->StartRead(&chunk_);
  }

  // One message of the stream; an error ends the call with it.
  virtual absl::Status Accept(const Request& chunk) = 0;
  // After the last message, on the pool: validates, stores, fills the response.
  virtual absl::Status Complete() = 0;

 private:
  grpc::CallbackServerContext* const context_;
  WorkPool* const pool_;
  Request chunk_;
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_SERVICES_UPLOAD_REACTOR_H_
