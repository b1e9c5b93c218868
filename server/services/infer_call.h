// InferCall: the per-call storage of one ModelInfer — its request and
// response on a protobuf arena whose first block lives in the call itself,
// and the state its completion needs — and InferCallAllocator, gRPC's
// message allocator that hands them out and recycles them. A small request
// then costs no heap allocation for its messages beyond the strings' bytes,
// and the batcher's completion captures one pointer instead of a closure
// that needs its own heap block.
// InferCall: thread-compatible (one call at a time). InferCallAllocator:
// thread-safe.
#ifndef FIXPOINT_SERVER_SERVICES_INFER_CALL_H_
#define FIXPOINT_SERVER_SERVICES_INFER_CALL_H_

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>
#include <grpcpp/support/server_callback.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "inference/grpc_service.pb.h"
#include "server/serving/loaded_version.h"

namespace fixpoint::server {

class InferCallAllocator;

class InferCall final
    : public grpc::MessageHolder<inference::ModelInferRequest, inference::ModelInferResponse> {
 public:
  explicit InferCall(InferCallAllocator* owner);
  ~InferCall() override;

  // Back to the allocator's free list (or deleted when that is full).
  void Release() override;

  // The completion's state, set by ModelInfer; cleared on Release.
  std::shared_ptr<const LoadedVersion> version;
  std::vector<int> selected_outputs;
  absl::Time start;
  grpc::ServerUnaryReactor* reactor = nullptr;

 private:
  friend class InferCallAllocator;
  // Empty messages on the (reset) arena.
  void CreateMessages();

  // Holds a one-image request and its response (the raw bytes of both live
  // in std::string buffers on the heap either way).
  static constexpr size_t kInitialBlockBytes = 4096;

  InferCallAllocator* const owner_;
  alignas(std::max_align_t) std::byte initial_block_[kInitialBlockBytes];
  google::protobuf::Arena arena_;  // after initial_block_, which it uses
};

class InferCallAllocator final
    : public grpc::MessageAllocator<inference::ModelInferRequest, inference::ModelInferResponse> {
 public:
  InferCallAllocator() = default;
  // Deletes the free calls; calls still in use must have been released
  // (the server that uses the allocator has been shut down).
  ~InferCallAllocator() override;

  InferCallAllocator(const InferCallAllocator&) = delete;
  InferCallAllocator& operator=(const InferCallAllocator&) = delete;

  grpc::MessageHolder<inference::ModelInferRequest, inference::ModelInferResponse>*
  AllocateMessages() override;

 private:
  friend class InferCall;
  void Recycle(InferCall* call);

  // Enough for a few hundred calls in flight; beyond that calls are deleted.
  static constexpr size_t kMaxFree = 512;

  absl::Mutex mu_;
  std::vector<InferCall*> free_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_SERVICES_INFER_CALL_H_
