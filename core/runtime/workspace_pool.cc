#include "core/runtime/workspace_pool.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace fixpoint::runtime {
namespace {

constexpr size_t kAlignment = 64;

size_t RoundUp(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

}  // namespace

WorkspacePool::Buffer::~Buffer() { std::free(data); }

WorkspacePool::Lease::Lease(WorkspacePool* pool, std::unique_ptr<Buffer> buffer,
                            size_t arena_bytes, size_t scratch_bytes)
    : pool_(pool),
      buffer_(std::move(buffer)),
      arena_(arena_bytes > 0 ? buffer_->data : nullptr),
      scratch_(scratch_bytes > 0 ? buffer_->data + RoundUp(arena_bytes) : nullptr) {}

WorkspacePool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_),
      buffer_(std::move(other.buffer_)),
      arena_(other.arena_),
      scratch_(other.scratch_) {}

WorkspacePool::Lease::~Lease() {
  if (buffer_ != nullptr) pool_->Return(std::move(buffer_));
}

absl::StatusOr<WorkspacePool::Lease> WorkspacePool::Acquire(size_t arena_bytes,
                                                            size_t scratch_bytes) {
  const size_t bytes = RoundUp(arena_bytes) + RoundUp(scratch_bytes);
  std::unique_ptr<Buffer> buffer;
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      auto largest = std::max_element(
          idle_.begin(), idle_.end(),
          [](const auto& a, const auto& b) { return a->capacity < b->capacity; });
      buffer = std::move(*largest);
      idle_.erase(largest);
    }
  }
  if (buffer == nullptr) buffer = std::make_unique<Buffer>();
  if (buffer->capacity < bytes) {
    std::free(buffer->data);
    buffer->data = static_cast<std::byte*>(std::aligned_alloc(kAlignment, bytes));
    buffer->capacity = buffer->data != nullptr ? bytes : 0;
    if (buffer->data == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot allocate ", bytes, " bytes of working memory"));
    }
  }
  return Lease(this, std::move(buffer), arena_bytes, scratch_bytes);
}

absl::Status WorkspacePool::Reserve(size_t arena_bytes, size_t scratch_bytes, int runs) {
  std::vector<Lease> leases;  // held together, so that each is a buffer of its own
  leases.reserve(static_cast<size_t>(std::max(runs, 0)));
  for (int r = 0; r < runs; ++r) {
    absl::StatusOr<Lease> lease = Acquire(arena_bytes, scratch_bytes);
    if (!lease.ok()) return lease.status();
    leases.push_back(*std::move(lease));
  }
  return absl::OkStatus();
}

size_t WorkspacePool::idle() const {
  absl::MutexLock lock(&mu_);
  return idle_.size();
}

void WorkspacePool::Return(std::unique_ptr<Buffer> buffer) {
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(buffer));
}

}  // namespace fixpoint::runtime
