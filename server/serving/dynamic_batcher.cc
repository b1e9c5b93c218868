#include "server/serving/dynamic_batcher.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace fixpoint::server {
namespace {

// Dtypes and dimensions after the first: requests with equal signatures can
// be concatenated along dimension 0.
std::string ItemSignature(const std::vector<ir::Tensor>& inputs) {
  std::string s;
  for (const ir::Tensor& t : inputs) {
    absl::StrAppend(&s, ir::DTypeName(t.dtype()), "[");
    for (int d = 1; d < t.shape().rank(); ++d) absl::StrAppend(&s, t.shape()[d], ",");
    absl::StrAppend(&s, "];");
  }
  return s;
}

bool LeadingDimIsDynamic(const std::vector<ir::ValueInfo>& values) {
  for (const ir::ValueInfo& v : values) {
    if (v.shape.rank() == 0 || v.shape[0] != ir::kDynamicDim) return false;
  }
  return true;
}

// Row `offset` .. offset + rows of `t` (a tensor with dimension 0 >= that).
ir::Tensor Rows(const ir::Tensor& t, int64_t offset, int64_t rows) {
  std::vector<int64_t> dims = t.shape().dims();
  const size_t row_bytes = t.ByteSize() / static_cast<size_t>(dims[0]);
  dims[0] = rows;
  ir::Tensor part(t.dtype(), ir::Shape(std::move(dims)));
  if (part.ByteSize() > 0) {
    std::memcpy(part.raw(), static_cast<const std::byte*>(t.raw()) + offset * row_bytes,
                part.ByteSize());
  }
  return part;
}

// `parts` (same dtype and item shape) stacked along dimension 0 into one
// tensor of `total` items.
ir::Tensor Concatenate(const std::vector<const ir::Tensor*>& parts, int64_t total) {
  std::vector<int64_t> dims = parts[0]->shape().dims();
  dims[0] = total;
  ir::Tensor merged(parts[0]->dtype(), ir::Shape(std::move(dims)));
  size_t offset = 0;
  for (const ir::Tensor* t : parts) {
    if (t->ByteSize() > 0) {
      std::memcpy(static_cast<std::byte*>(merged.raw()) + offset, t->raw(), t->ByteSize());
    }
    offset += t->ByteSize();
  }
  return merged;
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
      metrics_(metrics),
      batching_(batching) {}

DynamicBatcher::~DynamicBatcher() { Stop(); }

std::string DynamicBatcher::Describe() const {
  return absl::StrCat("model '", labels_.model, "' version ", labels_.version);
}

absl::Status DynamicBatcher::Submit(std::vector<ir::Tensor> inputs, InferDone done) {
  Pending p;
  if (!batching_ && !inputs.empty() && inputs[0].shape().rank() > 0) {
    p.items = inputs[0].shape()[0];  // for the batch-size metric only
  }
  if (batching_) {
    p.items = inputs.empty() ? 1 : inputs[0].shape()[0];
    for (const ir::Tensor& t : inputs) {
      if (t.shape().rank() == 0 || t.shape()[0] != p.items) {
        return absl::InvalidArgumentError(
            absl::StrCat("every input needs the same dimension 0 (the batch); got ", p.items,
                         " and ", t.shape().ToString()));
      }
    }
    if (p.items > options_.max_batch_size) {
      return absl::InvalidArgumentError(absl::StrCat("a batch of ", p.items, " exceeds ",
                                                     Describe(), "'s maximum batch size ",
                                                     options_.max_batch_size));
    }
    p.signature = ItemSignature(inputs);
  }
  p.inputs = std::move(inputs);
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
  while (true) {
    std::vector<Pending> batch;
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
      batch = TakeBatch();
    }
    RunBatch(std::move(batch));
  }
}

std::vector<DynamicBatcher::Pending> DynamicBatcher::TakeBatch() {
  std::vector<Pending> batch;
  batch.push_back(std::move(queue_.front()));
  queue_.pop_front();
  int64_t items = batch[0].items;
  if (batching_) {
    std::deque<Pending> kept;
    while (!queue_.empty()) {
      Pending& p = queue_.front();
      if (p.signature == batch[0].signature && items + p.items <= options_.max_batch_size) {
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
  return batch;
}

void DynamicBatcher::RunBatch(std::vector<Pending> batch) {
  const absl::Time start = absl::Now();
  int64_t total = 0;
  for (const Pending& p : batch) {
    metrics_.RecordQueueTime(labels_, absl::ToDoubleSeconds(start - p.enqueued));
    total += p.items;
  }
  metrics_.RecordBatch(labels_, total);

  if (batch.size() == 1) {  // a lone request runs on its own tensors
    std::vector<ir::TensorView> views;
    for (const ir::Tensor& t : batch[0].inputs) views.push_back(t.view());
    absl::StatusOr<std::vector<ir::Tensor>> out = session_->Run(views);
    if (!out.ok()) out = WithContext(out.status(), Describe());
    batch[0].done(std::move(out));
    return;
  }
  std::vector<std::vector<const ir::Tensor*>> parts(batch[0].inputs.size());
  for (const Pending& p : batch) {
    for (size_t i = 0; i < p.inputs.size(); ++i) parts[i].push_back(&p.inputs[i]);
  }
  std::vector<ir::Tensor> merged;
  std::vector<ir::TensorView> views;
  for (const auto& input_parts : parts) merged.push_back(Concatenate(input_parts, total));
  for (const ir::Tensor& t : merged) views.push_back(t.view());
  absl::StatusOr<std::vector<ir::Tensor>> out = session_->Run(views);
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
    std::vector<ir::Tensor> mine;
    mine.reserve(out->size());
    for (const ir::Tensor& t : *out) mine.push_back(Rows(t, offset, p.items));
    offset += p.items;
    p.done(std::move(mine));
  }
}

}  // namespace fixpoint::server
