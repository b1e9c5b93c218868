// Top-1/top-5 accuracy and throughput of a classifier Session over a labelled
// dataset. Thread-compatible (the Session itself is thread-safe).
#ifndef FIXPOINT_CORE_EVAL_CLASSIFIER_EVAL_H_
#define FIXPOINT_CORE_EVAL_CLASSIFIER_EVAL_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "core/io/dataset.h"
#include "core/runtime/session.h"

namespace fixpoint::eval {

struct ClassifierEval {
  int64_t images = 0;
  int64_t top1_correct = 0;
  int64_t top5_correct = 0;
  double seconds = 0;  // wall time of the Run calls only
  double top1() const { return images ? static_cast<double>(top1_correct) / images : 0; }
  double top5() const { return images ? static_cast<double>(top5_correct) / images : 0; }
  double images_per_second() const { return seconds > 0 ? images / seconds : 0; }
  // Output 0 of every image, [images, classes] row-major (when kept).
  std::vector<float> outputs;
  int64_t classes = 0;
};

struct EvalOptions {
  int batch = 64;
  bool keep_outputs = false;
  // Called after each batch with (images done, total).
  std::function<void(int64_t, int64_t)> progress;
};

// Runs `session` (one f32 input, output 0 = scores [N, classes]) over
// `dataset`. FAILED_PRECONDITION if the dataset has no labels; errors of
// Run are returned with the batch index.
absl::StatusOr<ClassifierEval> EvaluateClassifier(const runtime::Session& session,
                                                  const io::Dataset& dataset,
                                                  const EvalOptions& options);

}  // namespace fixpoint::eval

#endif  // FIXPOINT_CORE_EVAL_CLASSIFIER_EVAL_H_
