// Scheduler: subscriptions and event delivery. Changes queue their events
// under mu_; Deliver() hands them to listeners under listener_mu_ only, one
// thread at a time, in the order they were queued. A listener may call back
// into the scheduler (Get, Cancel, Subscribe, Unsubscribe of itself...): the
// delivering thread is recognised and does not lock listener_mu_ again.
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/jobs/scheduler.h"
#include "core/jobs/scheduler_internal.h"

namespace fixpoint::jobs {

bool Scheduler::InsideListener() const {
  return delivering_thread_.load(std::memory_order_relaxed) == std::this_thread::get_id();
}

void Scheduler::Deliver() {
  if (InsideListener()) return;  // the delivery loop below picks the new events up
  absl::MutexLock listeners(&listener_mu_);
  delivering_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  std::vector<PendingEvent> batch;
  std::vector<std::shared_ptr<Subscription>> targets;
  while (true) {
    batch.clear();
    {
      absl::MutexLock lock(&mu_);
      batch.swap(pending_events_);
    }
    if (batch.empty()) break;
    for (const PendingEvent& e : batch) {
      if (e.old_state.has_value() && observer_ != nullptr) {
        const std::shared_ptr<const StateObserver> observer = observer_;  // may be replaced
        (*observer)(e.event.job, *e.old_state);
      }
      // Snapshot: a listener may subscribe or unsubscribe while we iterate.
      targets.clear();
      for (const auto& [token, sub] : subscriptions_) {
        if (sub->job_id == e.event.job.id && e.number > sub->after_event) targets.push_back(sub);
      }
      for (const std::shared_ptr<Subscription>& sub : targets) {
        if (sub->active) sub->listener(e.event);
      }
    }
  }
  delivering_thread_.store(std::thread::id(), std::memory_order_relaxed);
}

absl::StatusOr<int64_t> Scheduler::Subscribe(const std::string& id, JobListener listener) {
  if (!listener) return absl::InvalidArgumentError("Subscribe: empty listener");
  std::optional<absl::MutexLock> guard;
  if (!InsideListener()) guard.emplace(&listener_mu_);
  listener_mu_.AssertHeld();
  auto sub = std::make_shared<Subscription>();
  sub->job_id = id;
  sub->listener = std::move(listener);
  {
    absl::MutexLock lock(&mu_);
    if (FindLocked(id) == nullptr) {
      return absl::NotFoundError(absl::StrCat("job '", id, "' not found"));
    }
    sub->after_event = next_event_ - 1;
  }
  const int64_t token = next_token_++;
  subscriptions_.emplace(token, std::move(sub));
  return token;
}

void Scheduler::Unsubscribe(int64_t token) {
  // Holding listener_mu_ means no listener runs (unless this thread is the
  // one delivering, i.e. a listener unsubscribes itself or another).
  std::optional<absl::MutexLock> guard;
  if (!InsideListener()) guard.emplace(&listener_mu_);
  listener_mu_.AssertHeld();
  auto it = subscriptions_.find(token);
  if (it == subscriptions_.end()) return;
  it->second->active = false;
  subscriptions_.erase(it);
}

void Scheduler::SetStateObserver(StateObserver observer) {
  std::optional<absl::MutexLock> guard;
  if (!InsideListener()) guard.emplace(&listener_mu_);
  listener_mu_.AssertHeld();
  if (observer) {
    observer_ = std::make_shared<const StateObserver>(std::move(observer));
  } else {
    observer_ = nullptr;
  }
}

}  // namespace fixpoint::jobs
