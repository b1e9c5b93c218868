#include "server/serving/dynamic_batcher.h"

#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace fixpoint::server {
namespace {

// Whether two requests' inputs can be concatenated along dimension 0: the
// same dtypes and the same dimensions after the first.
bool SameItems(const std::vector<ir::TensorView>& a, const std::vector<ir::TensorView>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const ir::Shape& x = a[i].shape;
    const ir::Shape& y = b[i].shape;
    if (a[i].dtype != b[i].dtype || x.rank() != y.rank()) return false;
    for (int d = 1; d < x.rank(); ++d) {
      if (x[d] != y[d]) return false;
    }
  }
  return true;
}

// ir::Tensor's alignment: what kernels may assume of their inputs.
bool Aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % 64 == 0; }

// `t` with dimension 0 set to `rows`, starting `offset` rows in.
ir::TensorView Rows(const ir::TensorView& t, int64_t offset, int64_t rows) {
  const size_t row_bytes = t.ByteSize() / static_cast<size_t>(t.shape[0]);
  std::vector<int64_t> dims = t.shape.dims();
  dims[0] = rows;
  return ir::TensorView{t.dtype, ir::Shape(std::move(dims)),
                        static_cast<std::byte*>(t.data) + offset * row_bytes};
}

bool LeadingDimIsDynamic(const std::vector<ir::ValueInfo>& values) {
  for (const ir::ValueInfo& v : values) {
    if (v.shape.rank() == 0 || v.shape[0] != ir::kDynamicDim) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<DynamicBatcher>> DynamicBatcher::Create(
    std::shared_ptr<const runtime::Session> session, const BatcherOptions& options,
    const VersionLabels& labels, Metrics& metrics) {
  if (session == nullptr) return absl::InvalidArgumentError("batcher: no session");
  if (options.max_batch_size < 1 || options.max_queue_delay_us < 0 || options.max_queue_size < 1 ||
      options.workers < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batcher options out of range: max_batch_size ", options.max_batch_size,
        ", max_queue_delay_us ", options.max_queue_delay_us, ", max_queue_size ",
        options.max_queue_size, ", workers ", options.workers, " (all >= 1, the delay >= 0)"));
  }
  const ir::Graph& g = session->graph();
  const bool batching =
      options.max_batch_size > 1 && LeadingDimIsDynamic(g.inputs) && LeadingDimIsDynamic(g.outputs);
  std::unique_ptr<DynamicBatcher> b(
      new DynamicBatcher(std::move(session), options, labels, metrics, batching));
  {
    absl::MutexLock lock(&b->join_mu_);
    for (int i = 0; i < options.workers; ++i) {
      b->workers_.emplace_back([p = b.get()] { p->WorkerLoop(); });
    }
  }
  return b;
}

DynamicBatcher::DynamicBatcher(std::shared_ptr<const runtime::Session> session,
                               const BatcherOptions& options, const VersionLabels& labels,
                               Metrics& metrics, bool batching)
    : session_(std::move(session)),
      options_(options),
      labels_(labels),
      metrics_(metrics.ForVersion(labels)),
      batching_(batching) {}

DynamicBatcher::~DynamicBatcher() { Stop(); }

std::string DynamicBatcher::Describe() const {
  return absl::StrCat("model '", labels_.model, "' version ", labels_.version);
}

absl::Status DynamicBatcher::Submit(std::vector<ir::TensorView> inputs, InferDone done,
                                   std::vector<ir::Tensor> keep_alive) {
  Pending p;
  if (!batching_ && !inputs.empty() && inputs[0].shape.rank() > 0) {
    p.items = inputs[0].shape[0];  // for the batch-size metric only
  }
  if (batching_) {
    p.items = inputs.empty() ? 1 : inputs[0].shape[0];
    for (const ir::TensorView& t : inputs) {
      if (t.shape.rank() == 0 || t.shape[0] != p.items) {
        return absl::InvalidArgumentError(
            absl::StrCat("every input needs the same dimension 0 (the batch); got ", p.items,
                         " and ", t.shape.ToString()));
      }
    }
    if (p.items > options_.max_batch_size) {
      return absl::InvalidArgumentError(absl::StrCat("a batch of ", p.items, " exceeds ",
                                                     Describe(), "'s maximum batch size ",
                                                     options_.max_batch_size));
    }
  }
  p.inputs = std::move(inputs);
  p.keep_alive = std::move(keep_alive);
  p.done = std::move(done);
  p.enqueued = absl::Now();
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError(absl::StrCat(Describe(), " is being unloaded"));
  if (static_cast<int>(queue_.size()) >= options_.max_queue_size) {
    return absl::ResourceExhaustedError(
        absl::StrCat("queue of ", Describe(), " is full (", queue_.size(), " requests)"));
  }
  queued_items_ += p.items;
  queue_.push_back(std::move(p));
  return absl::OkStatus();
}

absl::Status DynamicBatcher::Submit(std::vector<ir::Tensor> inputs, InferTensorsDone done) {
  std::vector<ir::TensorView> views;
  views.reserve(inputs.size());
  for (const ir::Tensor& t : inputs) views.push_back(t.view());
  return Submit(
      std::move(views),
      [done = std::move(done)](absl::StatusOr<std::span<const ir::TensorView>> out) mutable {
        if (!out.ok()) return done(out.status());
        std::vector<ir::Tensor> copies;
        copies.reserve(out->size());
        for (const ir::TensorView& v : *out) copies.push_back(ir::Tensor::CopyOf(v));
        done(std::move(copies));
      },
      std::move(inputs));  // the views point into these tensors' buffers
}

void DynamicBatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  absl::MutexLock lock(&join_mu_);
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

bool DynamicBatcher::CanForm() const {
  return (!forming_ && !queue_.empty()) || (stopping_ && queue_.empty());
}

bool DynamicBatcher::BatchFullOrStopping() const {
  return stopping_ || queued_items_ >= options_.max_batch_size;
}

void DynamicBatcher::WorkerLoop() {
  Scratch scratch;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &DynamicBatcher::CanForm));
      if (queue_.empty()) return;  // stopping, and everything ran
      if (batching_) {
        // Only this worker takes from the queue while it waits, so the
        // oldest request stays at the front.
        forming_ = true;
        const absl::Time deadline =
            queue_.front().enqueued + absl::Microseconds(options_.max_queue_delay_us);
        mu_.AwaitWithDeadline(absl::Condition(this, &DynamicBatcher::BatchFullOrStopping),
                              deadline);
        forming_ = false;
      }
      TakeBatch(scratch.batch);
    }
    RunBatch(scratch);
  }
}

void DynamicBatcher::TakeBatch(std::vector<Pending>& batch) {
  batch.push_back(std::move(queue_.front()));
  queue_.pop_front();
  int64_t items = batch[0].items;
  auto fits = [&](const Pending& p) {
    return items + p.items <= options_.max_batch_size && SameItems(p.inputs, batch[0].inputs);
  };
  if (batching_) {
    // Compatible requests join in order; the others keep theirs.
    std::deque<Pending> kept;
    while (!queue_.empty()) {
      Pending& p = queue_.front();
      if (fits(p)) {
        items += p.items;
        batch.push_back(std::move(p));
      } else {
        kept.push_back(std::move(p));
      }
      queue_.pop_front();
    }
    queue_.swap(kept);
  }
  queued_items_ -= items;
}

void DynamicBatcher::RunBatch(Scratch& scratch) {
  std::vector<Pending>& batch = scratch.batch;
  RunAndComplete(batch, scratch);
  batch.clear();  // drops the callbacks and what they hold
}

void DynamicBatcher::RunAndComplete(std::vector<Pending>& batch, Scratch& scratch) {
  const absl::Time start = absl::Now();
  int64_t total = 0;
  scratch.queue_seconds.clear();
  for (const Pending& p : batch) {
    scratch.queue_seconds.push_back(absl::ToDoubleSeconds(start - p.enqueued));
    total += p.items;
  }
  metrics_.RecordBatch(total, scratch.queue_seconds);

  // Inputs: a lone request's own bytes when they are aligned like a tensor's;
  // otherwise the requests' bytes copied, one after the other, into this
  // worker's buffer for that input.
  const size_t n_inputs = batch[0].inputs.size();
  if (scratch.inputs.size() < n_inputs) scratch.inputs.resize(n_inputs);
  scratch.views.clear();
  for (size_t i = 0; i < n_inputs; ++i) {
    const ir::TensorView& first = batch[0].inputs[i];
    if (batch.size() == 1 && Aligned(first.data)) {
      scratch.views.push_back(first);
      continue;
    }
    size_t bytes = 0;
    for (const Pending& p : batch) bytes += p.inputs[i].ByteSize();
    ir::Tensor& buffer = scratch.inputs[i];
    if (buffer.ByteSize() < bytes) {
      buffer = ir::Tensor(ir::DType::kU8, ir::Shape({static_cast<int64_t>(bytes)}));
    }
    size_t offset = 0;
    for (const Pending& p : batch) {
      const ir::TensorView& part = p.inputs[i];
      if (part.ByteSize() > 0) {
        std::memcpy(static_cast<std::byte*>(buffer.raw()) + offset, part.data, part.ByteSize());
      }
      offset += part.ByteSize();
    }
    ir::Shape shape = first.shape;
    if (batch.size() > 1) {
      std::vector<int64_t> dims = shape.dims();
      dims[0] = total;
      shape = ir::Shape(std::move(dims));
    }
    scratch.views.push_back(ir::TensorView{first.dtype, std::move(shape), buffer.raw()});
  }
  absl::StatusOr<std::vector<ir::Tensor>> out = session_->Run(scratch.views);
  if (batch.size() == 1) {  // a lone request gets the outputs as they are
    if (!out.ok()) return batch[0].done(WithContext(out.status(), Describe()));
    scratch.rows.clear();
    for (const ir::Tensor& t : *out) scratch.rows.push_back(t.view());
    return batch[0].done(std::span<const ir::TensorView>(scratch.rows));
  }
  for (size_t o = 0; out.ok() && o < out->size(); ++o) {
    const ir::Shape& s = (*out)[o].shape();
    if (s.rank() == 0 || s[0] != total) {
      out =
          absl::InternalError(absl::StrCat("output ", o, " has shape ", s.ToString(),
                                           "; a batch of ", total, " needs dimension 0 = ", total));
    }
  }
  if (!out.ok()) {
    const absl::Status error = WithContext(out.status(), Describe());
    for (Pending& p : batch) p.done(error);
    return;
  }
  int64_t offset = 0;
  for (Pending& p : batch) {
    scratch.rows.clear();
    for (const ir::Tensor& t : *out) scratch.rows.push_back(Rows(t.view(), offset, p.items));
    offset += p.items;
    p.done(std::span<const ir::TensorView>(scratch.rows));
  }
}

}  // namespace fixpoint::server
