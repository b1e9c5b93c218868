// The fuzz entry points for fixpoint's readers of untrusted bytes. Each runs
// its reader on one input and returns the reader's status; it aborts (a crash
// to libFuzzer and to the regression driver alike) only when the reader
// breaks its contract: a status code its header does not document, an empty
// message, or a success that violates the result's invariants. Memory errors
// and undefined behaviour are for the sanitizers to find.
// Thread-compatible (each call is independent).
#ifndef FIXPOINT_TESTS_FUZZ_FUZZ_TARGETS_H_
#define FIXPOINT_TESTS_FUZZ_FUZZ_TARGETS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"

namespace fixpoint::fuzz {

// io::ImportTfGraphDef. Input: "<inputs>|<shapes>|<outputs>\n<GraphDef>":
// comma-separated input node names, ';'-separated input shapes, comma-
// separated output tensor names, then the serialized GraphDef (an input
// without a newline is all header, and the GraphDef is empty).
absl::Status RunTfImporter(const uint8_t* data, size_t size);

// io::ImportOnnx on a serialized ModelProto.
absl::Status RunOnnxImporter(const uint8_t* data, size_t size);

// io::LoadDatasetFromBytes. Input: byte 0 chooses the format (bits 0-1:
// 0 idx, 1 csv, 2 npy, 3 sniffed with SniffDatasetFormat), the layout (bit 2:
// NHWC), max_items (bit 3: 2, else all) and the item shape (bits 4-7, an
// index into a small table in dataset_fuzz.cc); byte 1 is the length L of the
// labels bytes that follow; the rest are the images (or CSV text).
absl::Status RunDatasetReader(const uint8_t* data, size_t size);

// Every entry point, for the regression driver and the corpus generator.
struct FuzzTarget {
  const char* name;  // the corpus folder, tests/fuzz/corpus/<name>/
  absl::Status (*run)(const uint8_t*, size_t);
};
inline constexpr FuzzTarget kFuzzTargets[] = {
    {"tf_importer", RunTfImporter},
    {"onnx_importer", RunOnnxImporter},
    {"dataset_reader", RunDatasetReader},
};

// Size limit the targets pass to the readers: big enough for every seed,
// small enough that a header claiming gigabytes fails fast instead of making
// the fuzzer run out of memory.
inline constexpr size_t kFuzzMaxBytes = size_t{64} << 20;

}  // namespace fixpoint::fuzz

#endif  // FIXPOINT_TESTS_FUZZ_FUZZ_TARGETS_H_
