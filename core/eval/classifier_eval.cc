#include "core/eval/classifier_eval.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace fixpoint::eval {
namespace {

// Whether `label` is the best score (top-1; ties go to the lower index, as
// argmax) and whether it is among the best five.
void Score(const float* scores, int64_t classes, int32_t label, ClassifierEval& r) {
  int64_t better = 0;
  for (int64_t c = 0; c < classes; ++c) {
    if (scores[c] > scores[label] || (scores[c] == scores[label] && c < label)) ++better;
  }
  if (better == 0) ++r.top1_correct;
  if (better < 5) ++r.top5_correct;
}

}  // namespace

absl::StatusOr<ClassifierEval> EvaluateClassifier(const runtime::Session& session,
                                                  const io::Dataset& dataset,
                                                  const EvalOptions& options) {
  if (!dataset.has_labels()) {
    return absl::FailedPreconditionError(
        absl::StrCat("dataset '", dataset.source_path, "' has no labels to evaluate against"));
  }
  ClassifierEval result;
  const int64_t batches = dataset.NumBatches(options.batch);
  for (int64_t b = 0; b < batches; ++b) {
    FP_ASSIGN_OR_RETURN(io::DatasetBatch batch, dataset.Batch(b, options.batch));
    const auto start = std::chrono::steady_clock::now();
    auto outputs = session.Run(std::vector<ir::TensorView>{batch.images});
    result.seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!outputs.ok()) return WithContext(outputs.status(), absl::StrCat("batch ", b));
    const ir::Tensor& scores = (*outputs)[0];
    if (scores.dtype() != ir::DType::kF32 || scores.shape().rank() != 2 ||
        scores.shape()[0] != batch.images.shape[0]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "model output 0 is ", ir::DTypeName(scores.dtype()), scores.shape().ToString(),
          ", expected f32 [batch, classes]"));
    }
    const int64_t classes = scores.shape()[1];
    result.classes = classes;
    for (int64_t i = 0; i < scores.shape()[0]; ++i) {
      const int32_t label = batch.labels[i];
      if (label >= classes) {
        return absl::InvalidArgumentError(absl::StrCat("label ", label, " of item ",
                                                       batch.first + i, " >= ", classes,
                                                       " model classes"));
      }
      Score(scores.data<float>() + i * classes, classes, label, result);
    }
    if (options.keep_outputs) {
      result.outputs.insert(result.outputs.end(), scores.data<float>(),
                            scores.data<float>() + scores.NumElements());
    }
    result.images += scores.shape()[0];
    if (options.progress) options.progress(result.images, dataset.size());
  }
  return result;
}

}  // namespace fixpoint::eval
