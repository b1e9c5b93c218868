// Compares two classifiers on one labelled dataset (typically a float model
// and its quantized form): each one's top-1, and how often their top-1
// predictions agree. Thread-compatible (the Sessions themselves are
// thread-safe).
#ifndef FIXPOINT_CORE_EVAL_COMPARE_EVAL_H_
#define FIXPOINT_CORE_EVAL_COMPARE_EVAL_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "core/eval/classifier_eval.h"
#include "core/io/dataset.h"
#include "core/runtime/session.h"

namespace fixpoint::eval {

struct ClassifierComparison {
  ClassifierEval reference;  // without outputs
  ClassifierEval candidate;  // without outputs
  int64_t agreeing = 0;      // images where both predict the same class
  double agreement() const {
    return reference.images ? static_cast<double>(agreeing) / reference.images : 0;
  }
  // Top-1 of the candidate minus that of the reference, in percentage points.
  double top1_delta_points() const { return 100 * (candidate.top1() - reference.top1()); }
};

// Evaluates both sessions over `dataset` (see EvaluateClassifier; their
// output 0 must have the same number of classes). options.progress is called
// for each of the two passes. Holds both models' outputs for the whole
// dataset while comparing (images x classes floats each). Errors of
// EvaluateClassifier with "reference: " / "candidate: " context;
// INVALID_ARGUMENT if the class counts differ.
absl::StatusOr<ClassifierComparison> CompareClassifiers(const runtime::Session& reference,
                                                        const runtime::Session& candidate,
                                                        const io::Dataset& dataset,
                                                        const EvalOptions& options);

}  // namespace fixpoint::eval

#endif  // FIXPOINT_CORE_EVAL_COMPARE_EVAL_H_
