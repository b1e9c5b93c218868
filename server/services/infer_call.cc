#include "server/services/infer_call.h"

#include <utility>

namespace fixpoint::server {
namespace {

google::protobuf::ArenaOptions InitialBlock(std::byte* block, size_t bytes) {
  google::protobuf::ArenaOptions options;
  options.initial_block = reinterpret_cast<char*>(block);
  options.initial_block_size = bytes;
  return options;
}

}  // namespace

InferCall::InferCall(InferCallAllocator* owner)
    : owner_(owner), arena_(InitialBlock(initial_block_, kInitialBlockBytes)) {
  CreateMessages();
}

InferCall::~InferCall() = default;

void InferCall::CreateMessages() {
  set_request(google::protobuf::Arena::CreateMessage<inference::ModelInferRequest>(&arena_));
  set_response(google::protobuf::Arena::CreateMessage<inference::ModelInferResponse>(&arena_));
}

void InferCall::Release() {
  version.reset();
  selected_outputs.clear();
  reactor = nullptr;
  // Destroys the messages and frees every block but the initial one.
  arena_.Reset();
  CreateMessages();
  owner_->Recycle(this);
}

InferCallAllocator::~InferCallAllocator() {
  absl::MutexLock lock(&mu_);
  for (InferCall* call : free_) delete call;
  free_.clear();
}

grpc::MessageHolder<inference::ModelInferRequest, inference::ModelInferResponse>*
InferCallAllocator::AllocateMessages() {
  {
    absl::MutexLock lock(&mu_);
    if (!free_.empty()) {
      InferCall* call = free_.back();
      free_.pop_back();
      return call;
    }
  }
  return new InferCall(this);
}

void InferCallAllocator::Recycle(InferCall* call) {
  {
    absl::MutexLock lock(&mu_);
    if (free_.size() < kMaxFree) {
      free_.push_back(call);
      return;
    }
  }
  delete call;
}

}  // namespace fixpoint::server
