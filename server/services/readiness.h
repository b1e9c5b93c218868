// Readiness: whether the server should receive traffic — false until startup
// finished (models loaded) and again once draining for shutdown began.
// main.cc owns it and flips it; ServerReady (and a health service) read it.
// Thread-safe.
#ifndef FIXPOINT_SERVER_SERVICES_READINESS_H_
#define FIXPOINT_SERVER_SERVICES_READINESS_H_

#include <atomic>

namespace fixpoint::server {

class Readiness {
 public:
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  void set_ready(bool ready) { ready_.store(ready, std::memory_order_release); }

 private:
  std::atomic<bool> ready_{false};
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_SERVICES_READINESS_H_
