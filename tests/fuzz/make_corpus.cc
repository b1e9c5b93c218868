// Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/):
// small valid inputs that reach deep into each reader, and broken ones
// (truncated, cyclic, unsupported, misnamed). The committed corpus was made by
//   fp_fuzz_make_corpus tests/fuzz/corpus ../shared/fixtures/tf
// and then grew by the crash inputs the fuzzers found (crash-*), which this
// program does not write. It prints how far each seed gets in its reader.
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/io/onnx_exporter.h"
#include "core/io/onnx_importer.h"
#include "core/io/tf_importer.h"
#include "tests/fuzz/fuzz_targets.h"
#include "tests/unit/tf/tf_test_util.h"

namespace fixpoint::fuzz {
namespace {

namespace fs = std::filesystem;
using io::testing::ConvThenDynamicFlatten;
using io::testing::FloatTensor;
using io::testing::GraphBuilder;
using io::testing::IntTensor;
using io::testing::NodeDef;

void Write(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string ReadAll(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// ---- tf_importer: "<inputs>|<shapes>|<outputs>\n" + GraphDef ----

// The real graph with every large float constant replaced by a one-value
// splat of the same shape: the structure (and the TF1 dynamic flatten) of the
// fixture in a few kilobytes.
std::string Shrink(const std::string& bytes) {
  io::testing::GraphDef def;
  if (!def.ParseFromString(bytes)) return "";
  for (NodeDef& n : *def.mutable_node()) {
    auto it = n.mutable_attr()->find("value");
    if (it == n.mutable_attr()->end() || !it->second.has_tensor()) continue;
    tfproto::TensorProto* t = it->second.mutable_tensor();
    if (t->dtype() == tfproto::DT_FLOAT && t->tensor_content().size() > 64) {
      t->clear_tensor_content();
      t->add_float_val(0.01f);
    }
  }
  return def.SerializeAsString();
}

// Most op mappings in one graph: x[?,4,4,2] -> FixNeuron -> depthwise conv ->
// batch norm -> Relu6 -> Pad -> MaxPool -> AvgPool -> Mean, a Concat with a
// Sigmoid branch, Squeeze, MatMul, BiasAdd, Softmax.
GraphBuilder ManyOps() {
  GraphBuilder b;
  b.Placeholder("x", {-1, 4, 4, 2});
  NodeDef* fix = b.Node("FixNeuron", "x/aquant", {"x"});
  GraphBuilder::Int(fix, "bit_width", 8);
  GraphBuilder::Int(fix, "quantize_pos", 4);
  b.Const("dw/w", FloatTensor({3, 3, 2, 1}, std::vector<float>(18, 0.25f)));
  NodeDef* dw = b.Node("DepthwiseConv2dNative", "dw", {"x/aquant", "dw/w"});
  GraphBuilder::Str(dw, "padding", "SAME");
  GraphBuilder::Str(dw, "data_format", "NHWC");
  GraphBuilder::Ints(dw, "strides", {1, 1, 1, 1});
  GraphBuilder::Ints(dw, "dilations", {1, 1, 1, 1});
  for (const char* c : {"bn/scale", "bn/offset", "bn/mean", "bn/var"}) {
    b.Const(c, FloatTensor({2}, {0.5f, 1.5f}));
  }
  NodeDef* bn =
      b.Node("FusedBatchNormV3", "bn", {"dw", "bn/scale", "bn/offset", "bn/mean", "bn/var"});
  GraphBuilder::Bool(bn, "is_training", false);
  GraphBuilder::Str(bn, "data_format", "NHWC");
  b.Node("Relu6", "act", {"bn"});
  b.Const("pad/p", IntTensor({4, 2}, {0, 0, 1, 1, 1, 1, 0, 0}));
  NodeDef* pad = b.Node("Pad", "pad", {"act", "pad/p"});
  GraphBuilder::Type(pad, "Tpaddings", tfproto::DT_INT32);
  for (const char* op : {"MaxPool", "AvgPool"}) {
    NodeDef* p = b.Node(op, op == std::string("MaxPool") ? "maxpool" : "avgpool",
                        {op == std::string("MaxPool") ? "pad" : "maxpool"});
    GraphBuilder::Ints(p, "ksize", {1, 2, 2, 1});
    GraphBuilder::Ints(p, "strides", {1, 2, 2, 1});
    GraphBuilder::Str(p, "padding", op == std::string("MaxPool") ? "VALID" : "SAME");
    GraphBuilder::Str(p, "data_format", "NHWC");
  }
  b.Const("mean/axes", IntTensor({2}, {1, 2}));
  NodeDef* mean = b.Node("Mean", "mean", {"avgpool", "mean/axes"});
  GraphBuilder::Bool(mean, "keep_dims", true);
  GraphBuilder::Type(mean, "Tidx", tfproto::DT_INT32);
  b.Node("Sigmoid", "sig", {"mean"});
  b.Const("concat/axis", IntTensor({}, {3}));
  NodeDef* concat = b.Node("ConcatV2", "concat", {"mean", "sig", "concat/axis"});
  GraphBuilder::Int(concat, "N", 2);
  NodeDef* squeeze = b.Node("Squeeze", "squeeze", {"concat"});
  GraphBuilder::Ints(squeeze, "squeeze_dims", {1, 2});
  b.Const("fc/w", FloatTensor({4, 3}, std::vector<float>(12, 0.1f)));
  NodeDef* mm = b.Node("MatMul", "fc/MatMul", {"squeeze", "fc/w"});
  GraphBuilder::Bool(mm, "transpose_a", false);
  GraphBuilder::Bool(mm, "transpose_b", false);
  b.Const("fc/b", FloatTensor({3}, {0.1f, 0.2f, 0.3f}));
  b.Node("BiasAdd", "fc/BiasAdd", {"fc/MatMul", "fc/b"});
  b.Node("Softmax", "y", {"fc/BiasAdd"});
  return b;
}

void TfSeed(const fs::path& dir, const std::string& name, const std::string& header,
            const std::string& graph) {
  Write(dir / name, header + "\n" + graph);
}

void TfSeeds(const fs::path& dir, const fs::path& fixtures, std::vector<std::string>* onnx) {
  const std::string mnist = ReadAll(fixtures / "dnndk_mnist_frozen_graph.pb");
  const std::string keras = ReadAll(fixtures / "keras_cnn3_softmax_frozen_graph.pb");
  const std::string mnist_mini = Shrink(mnist), keras_mini = Shrink(keras);
  TfSeed(dir, "mnist_mini", "images_in|?,28,28,1|dense_1/BiasAdd", mnist_mini);
  TfSeed(dir, "keras_cnn3_mini", "conv2d_input|?,32,32,3|dense_1/Softmax", keras_mini);
  TfSeed(dir, "mnist_mini_two_outputs", "images_in||max_pooling2d/MaxPool,dense_1/BiasAdd",
         mnist_mini);
  TfSeed(dir, "mnist_truncated_4k", "images_in|?,28,28,1|dense_1/BiasAdd", mnist.substr(0, 4096));
  TfSeed(dir, "mnist_mini_truncated_half", "images_in|?,28,28,1|dense_1/BiasAdd",
         mnist_mini.substr(0, mnist_mini.size() / 2));
  TfSeed(dir, "mnist_mini_missing_input", "image_in|?,28,28,1|dense_1/BiasAdd", mnist_mini);
  TfSeed(dir, "conv_flatten", "x|?,2,2,3|y", ConvThenDynamicFlatten().Bytes());
  TfSeed(dir, "many_ops", "x||y", ManyOps().Bytes());

  GraphBuilder cycle;
  cycle.Placeholder("x", {-1, 2});
  cycle.Node("Add", "a", {"x", "r"});
  cycle.Node("Relu", "r", {"a"});
  TfSeed(dir, "cycle", "x||r", cycle.Bytes());
  GraphBuilder unsupported;
  unsupported.Placeholder("x", {-1, 2});
  unsupported.Node("Foo", "f", {"x"});
  unsupported.Node("Relu", "y", {"f", "^init"});
  unsupported.Node("NoOp", "init");
  TfSeed(dir, "unsupported_op", "x||y", unsupported.Bytes());

  // Float ONNX exports for the ONNX target: only of the small graphs, since an
  // export holds every weight expanded (the shrunk fixtures export to MBs).
  for (GraphBuilder b : {ConvThenDynamicFlatten(), ManyOps()}) {
    auto g = b.Import(io::testing::Options({"x"}, {}, {"y"}));
    if (!g.ok()) continue;
    auto exported = io::ExportOnnx(*g);
    if (exported.ok()) onnx->push_back(*exported);
  }
}

// ---- onnx_importer: serialized ModelProto ----

void OnnxSeeds(const fs::path& dir, const std::vector<std::string>& exported) {
  const char* names[] = {"conv_flatten", "many_ops"};
  for (size_t i = 0; i < exported.size() && i < 2; ++i) {
    Write(dir / absl::StrCat("export_", names[i]), exported[i]);
  }
  if (exported.size() == 2) {
    Write(dir / "export_many_ops_truncated", exported[1].substr(0, exported[1].size() / 2));
  }
  // ONNX's backend node tests (Debian's libonnx-testdata), a few bytes each.
  const fs::path node_tests = "/usr/share/libonnx-testdata/data/node";
  for (const char* t :
       {"test_conv_with_strides_padding", "test_gemm_all_attributes", "test_maxpool_2d_pads",
        "test_averagepool_2d_pads", "test_softmax_axis_1", "test_batchnorm_example",
        "test_reshape_reordered_all_dims", "test_concat_2d_axis_0", "test_transpose_default",
        "test_add_bcast", "test_flatten_axis1", "test_resize_upsample_scales_nearest", "test_clip",
        "test_qlinearconv", "test_quantizelinear", "test_dequantizelinear"}) {
    const fs::path model = node_tests / t / "model.onnx";
    if (fs::exists(model)) Write(dir / std::string(t).substr(5), ReadAll(model));
  }
}

// ---- dataset_reader: mode byte, labels length, labels, images ----

std::string Gzip(const std::string& raw) {
  z_stream z{};
  deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, raw.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string BigEndian32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string Idx(uint8_t type, const std::vector<uint32_t>& dims, const std::string& data) {
  std::string s = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) s += BigEndian32(d);
  return s + data;
}

std::string Npy(const std::string& descr, const std::string& shape, const std::string& data,
                bool fortran = false, int major = 1) {
  std::string header =
      absl::StrCat("{'descr': '", descr, "', 'fortran_order': ", fortran ? "True" : "False",
                   ", 'shape': ", shape, ", }");
  const size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string s = "\x93NUMPY";
  s += static_cast<char>(major);
  s += '\0';
  const uint32_t n = static_cast<uint32_t>(header.size());
  s += static_cast<char>(n & 0xff);
  s += static_cast<char>(n >> 8);
  if (major > 1) s += std::string(2, '\0');
  return s + header + data;
}

// Mode byte: format (0 idx, 1 csv, 2 npy, 3 sniff) | 4 if NHWC | 8 if
// max_items = 2 | shape index << 4 (1: 1x2x2, 2: 3x2x2, 3: 1x1x4).
std::string DatasetSeed(uint8_t mode, const std::string& labels, const std::string& images) {
  std::string s = {static_cast<char>(mode), static_cast<char>(labels.size())};
  return s + labels + images;
}

void DatasetSeeds(const fs::path& dir, const fs::path& fixtures) {
  const std::string pixels = "\x00\x40\x80\xff\x10\x20\x30\x40";  // 2 items of 1x2x2
  const std::string images(pixels.data(), 8);
  const std::string labels_idx = Idx(0x08, {2}, std::string("\x03\x07", 2));
  const std::string images_idx = Idx(0x08, {2, 2, 2}, images);
  Write(dir / "idx_u8", DatasetSeed(0x10, labels_idx, images_idx));
  Write(dir / "idx_u8_gzip", DatasetSeed(0x10, Gzip(labels_idx), Gzip(images_idx)));
  Write(dir / "idx_sniffed_truncated", DatasetSeed(0x13, "", images_idx.substr(0, 13)));
  Write(dir / "idx_f32_label_mismatch",
        DatasetSeed(0x30, Idx(0x08, {1}, "\x01"), Idx(0x0d, {2, 4}, std::string(32, '\x3f'))));
  Write(dir / "csv_rows", DatasetSeed(0x11, "", "1,0,64,128,255\n2,16,32,48,64\n"));
  Write(dir / "csv_header_nhwc",
        DatasetSeed(0x2d, "",
                    "label,p1,p2,p3,p4,p5,p6,p7,p8,p9,p10,p11,p12\n"
                    "0,1,2,3,4,5,6,7,8,9,10,11,12\n3,1,1,1,1,1,1,1,1,1,1,1,1\n"));
  Write(dir / "csv_bad_cell", DatasetSeed(0x11, "", "1,0,64,x,255\n"));
  std::string sign = ReadAll(fixtures / ".." / "csv" / "sign_mnist_sample_test.csv");
  sign = sign.substr(0, sign.find('\n', sign.find('\n') + 1) + 1);  // two rows of 784 pixels
  Write(dir / "csv_sign_mnist_two_rows", DatasetSeed(0x01, "", sign));
  Write(dir / "npy_u8", DatasetSeed(0x12, "", Npy("|u1", "(2, 2, 2)", images)));
  std::string f32(32, '\0');
  for (int i = 0; i < 8; ++i) f32[i * 4 + 3] = 0x3f;  // 0.5f little-endian
  Write(
      dir / "npy_f32_nchw_with_labels",
      DatasetSeed(0x12, Npy("<i8", "(2,)", std::string("\x01\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0", 16)),
                  Npy("<f4", "(2, 1, 2, 2)", f32)));
  Write(dir / "npy_f4_big_endian_v2",
        DatasetSeed(0x16, "", Npy(">f4", "(2, 2, 2, 1)", f32, false, 2)));
  Write(dir / "npy_fortran_order", DatasetSeed(0x12, "", Npy("<f4", "(2, 4)", f32, true)));
  Write(dir / "npy_sniffed_gzip_flat", DatasetSeed(0x33, "", Gzip(Npy("|u1", "(2, 4)", images))));
  Write(dir / "npy_truncated_header",
        DatasetSeed(0x12, "", Npy("|u1", "(2, 2, 2)", images).substr(0, 30)));
}

}  // namespace
}  // namespace fixpoint::fuzz

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <corpus dir> <fixtures/tf dir>\n", argv[0]);
    return 2;
  }
  const fs::path out = argv[1], fixtures = argv[2];
  for (const auto& t : fixpoint::fuzz::kFuzzTargets) fs::create_directories(out / t.name);
  std::vector<std::string> exported;
  fixpoint::fuzz::TfSeeds(out / "tf_importer", fixtures, &exported);
  fixpoint::fuzz::OnnxSeeds(out / "onnx_importer", exported);
  fixpoint::fuzz::DatasetSeeds(out / "dataset_reader", fixtures);
  // How far each seed gets: an error here is by design for the broken seeds.
  for (const auto& t : fixpoint::fuzz::kFuzzTargets) {
    for (const auto& entry : fs::directory_iterator(out / t.name)) {
      const std::string bytes = fixpoint::fuzz::ReadAll(entry.path());
      const absl::Status s = t.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      std::printf("%s/%s (%zu bytes): %s\n", t.name, entry.path().filename().c_str(), bytes.size(),
                  s.ok() ? "OK" : s.ToString().c_str());
    }
  }
  return 0;
}
