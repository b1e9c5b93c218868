// Helpers shared by the offline quantization benchmarks (quant_accuracy,
// quant_ablation): fail-fast unwrapping and Fashion-MNIST IDX loading.
// Benchmark-only: exiting on the first error is what a bench run wants.
#ifndef FIXPOINT_BENCH_BENCH_UTIL_H_
#define FIXPOINT_BENCH_BENCH_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/status/statusor.h"
#include "core/io/dataset.h"

namespace fixpoint::bench {

// The value of `v`, or prints "<what>: <status>" and exits with status 1.
template <typename T>
T OrDie(absl::StatusOr<T> v, const std::string& what) {
  if (!v.ok()) {
    std::cerr << what << ": " << v.status() << "\n";
    std::exit(1);
  }
  return *std::move(v);
}

// Images `dir + images` with labels `dir + labels`, the first `max_items`
// (0 = all), default preprocessing (scale to [0, 1]).
inline io::Dataset LoadIdx(const std::string& dir, const std::string& images,
                           const std::string& labels, int64_t max_items) {
  io::LoadOptions load;
  load.labels_path = dir + labels;
  load.max_items = max_items;
  return OrDie(io::LoadDataset(dir + images, io::PreprocessSpec{}, load), images);
}

}  // namespace fixpoint::bench

#endif  // FIXPOINT_BENCH_BENCH_UTIL_H_
