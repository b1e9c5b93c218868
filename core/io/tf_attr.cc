// Typed NodeDef attribute access (see tf_attr.h).
#include "core/io/tf_attr.h"

#include "absl/strings/str_cat.h"

namespace fixpoint::io {
namespace {

using tfproto::AttrValue;

const char* KindName(const AttrValue& a) {
  switch (a.value_case()) {
    case AttrValue::kS:
      return "string";
    case AttrValue::kI:
      return "int";
    case AttrValue::kF:
      return "float";
    case AttrValue::kB:
      return "bool";
    case AttrValue::kType:
      return "type";
    case AttrValue::kShape:
      return "shape";
    case AttrValue::kTensor:
      return "tensor";
    case AttrValue::kList:
      return "list";
    case AttrValue::kFunc:
      return "func";
    case AttrValue::kPlaceholder:
      return "placeholder";
    case AttrValue::VALUE_NOT_SET:
      break;
  }
  return "nothing";
}

absl::Status Missing(const tfproto::NodeDef& node, absl::string_view key) {
  return absl::InvalidArgumentError(
      absl::StrCat(DescribeTf(node), ": has no attribute '", key, "'"));
}

absl::Status WrongKind(const tfproto::NodeDef& node, absl::string_view key, const AttrValue& a,
                       absl::string_view want) {
  return absl::InvalidArgumentError(absl::StrCat(DescribeTf(node), ": attribute '", key,
                                                 "' holds a ", KindName(a), ", expected ", want));
}

// Shared body of the scalar getters: `has` tells whether the attribute holds
// the wanted kind, `get` reads it.
template <typename T, typename Has, typename Get>
absl::StatusOr<T> Scalar(const tfproto::NodeDef& node, absl::string_view key, std::optional<T> dflt,
                         absl::string_view want, Has has, Get get) {
  const AttrValue* a = FindTfAttr(node, key);
  if (a == nullptr) {
    if (dflt.has_value()) return *std::move(dflt);
    return Missing(node, key);
  }
  if (!has(*a)) return WrongKind(node, key, *a, want);
  return static_cast<T>(get(*a));
}

}  // namespace

std::string DescribeTf(const tfproto::NodeDef& node) {
  return absl::StrCat(node.op(), " '", node.name(), "'");
}

const AttrValue* FindTfAttr(const tfproto::NodeDef& node, absl::string_view key) {
  auto it = node.attr().find(std::string(key));
  return it == node.attr().end() ? nullptr : &it->second;
}

absl::StatusOr<int64_t> TfAttrInt(const tfproto::NodeDef& node, absl::string_view key,
                                  std::optional<int64_t> dflt) {
  return Scalar<int64_t>(
      node, key, dflt, "int", [](const AttrValue& a) { return a.has_i(); },
      [](const AttrValue& a) { return a.i(); });
}

absl::StatusOr<float> TfAttrFloat(const tfproto::NodeDef& node, absl::string_view key,
                                  std::optional<float> dflt) {
  return Scalar<float>(
      node, key, dflt, "float", [](const AttrValue& a) { return a.has_f(); },
      [](const AttrValue& a) { return a.f(); });
}

absl::StatusOr<bool> TfAttrBool(const tfproto::NodeDef& node, absl::string_view key,
                                std::optional<bool> dflt) {
  return Scalar<bool>(
      node, key, dflt, "bool", [](const AttrValue& a) { return a.has_b(); },
      [](const AttrValue& a) { return a.b(); });
}

absl::StatusOr<std::string> TfAttrString(const tfproto::NodeDef& node, absl::string_view key,
                                         std::optional<std::string> dflt) {
  return Scalar<std::string>(
      node, key, std::move(dflt), "string", [](const AttrValue& a) { return a.has_s(); },
      [](const AttrValue& a) { return a.s(); });
}

absl::StatusOr<int> TfAttrType(const tfproto::NodeDef& node, absl::string_view key,
                               std::optional<int> dflt) {
  return Scalar<int>(
      node, key, dflt, "type", [](const AttrValue& a) { return a.has_type(); },
      [](const AttrValue& a) { return static_cast<int>(a.type()); });
}

absl::StatusOr<std::vector<int64_t>> TfAttrInts(const tfproto::NodeDef& node, absl::string_view key,
                                                std::optional<std::vector<int64_t>> dflt) {
  const AttrValue* a = FindTfAttr(node, key);
  if (a == nullptr) {
    if (dflt.has_value()) return *std::move(dflt);
    return Missing(node, key);
  }
  if (!a->has_list()) return WrongKind(node, key, *a, "list(int)");
  return std::vector<int64_t>(a->list().i().begin(), a->list().i().end());
}

}  // namespace fixpoint::io
