#include "core/eval/compare_eval.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace fixpoint::eval {

absl::StatusOr<ClassifierComparison> CompareClassifiers(const runtime::Session& reference,
                                                        const runtime::Session& candidate,
                                                        const io::Dataset& dataset,
                                                        const EvalOptions& options) {
  EvalOptions keep = options;
  keep.keep_outputs = true;
  auto ref = EvaluateClassifier(reference, dataset, keep);
  if (!ref.ok()) return WithContext(ref.status(), "reference");
  auto cand = EvaluateClassifier(candidate, dataset, keep);
  if (!cand.ok()) return WithContext(cand.status(), "candidate");
  if (ref->classes != cand->classes) {
    return absl::InvalidArgumentError(
        absl::StrCat("reference has ", ref->classes, " classes, candidate ", cand->classes));
  }
  ClassifierComparison result;
  const int64_t classes = ref->classes;
  for (int64_t i = 0; i < ref->images; ++i) {
    const float* a = ref->outputs.data() + i * classes;
    const float* b = cand->outputs.data() + i * classes;
    // std::max_element keeps the first maximum, as EvaluateClassifier's top-1.
    if (std::max_element(a, a + classes) - a == std::max_element(b, b + classes) - b) {
      ++result.agreeing;
    }
  }
  ref->outputs.clear();
  cand->outputs.clear();
  result.reference = *std::move(ref);
  result.candidate = *std::move(cand);
  return result;
}

}  // namespace fixpoint::eval
