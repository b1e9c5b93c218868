#include "core/ir/graph.h"

#include "absl/strings/str_cat.h"

namespace fixpoint::ir {

const char* AttributeKindName(const Attribute& a) {
  static constexpr const char* kNames[] = {"int",  "float",   "string", "ints",
                                           "floats", "strings", "tensor"};
  return kNames[a.index()];
}

namespace {

template <typename T>
absl::StatusOr<T> GetAttr(const Node& node, const std::string& key, T dflt) {
  auto it = node.attrs.find(key);
  if (it == node.attrs.end()) return dflt;
  if (const T* v = std::get_if<T>(&it->second)) return *v;
  return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": attribute '", key,
                                                 "' has kind ",
                                                 AttributeKindName(it->second)));
}

}  // namespace

absl::StatusOr<int64_t> Node::GetInt(const std::string& key, int64_t dflt) const {
  return GetAttr<int64_t>(*this, key, dflt);
}
absl::StatusOr<float> Node::GetFloat(const std::string& key, float dflt) const {
  return GetAttr<float>(*this, key, dflt);
}
absl::StatusOr<std::string> Node::GetString(const std::string& key, std::string dflt) const {
  return GetAttr<std::string>(*this, key, std::move(dflt));
}
absl::StatusOr<std::vector<int64_t>> Node::GetInts(const std::string& key,
                                                   std::vector<int64_t> dflt) const {
  return GetAttr<std::vector<int64_t>>(*this, key, std::move(dflt));
}
absl::StatusOr<std::vector<float>> Node::GetFloats(const std::string& key,
                                                   std::vector<float> dflt) const {
  return GetAttr<std::vector<float>>(*this, key, std::move(dflt));
}

absl::StatusOr<const Tensor*> Node::GetTensor(const std::string& key) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) {
    return absl::NotFoundError(absl::StrCat(Describe(), ": no attribute '", key, "'"));
  }
  if (const Tensor* t = std::get_if<Tensor>(&it->second)) return t;
  return absl::InvalidArgumentError(absl::StrCat(Describe(), ": attribute '", key,
                                                 "' has kind ", AttributeKindName(it->second)));
}

std::string Node::Describe() const { return absl::StrCat(op_type, " '", name, "'"); }

const Tensor* Graph::FindInitializer(const std::string& value) const {
  auto it = initializers.find(value);
  return it == initializers.end() ? nullptr : &it->second;
}

int Graph::ProducerOf(const std::string& value) const {
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const auto& out : nodes[i].outputs) {
      if (out == value) return static_cast<int>(i);
    }
  }
  return -1;
}

std::vector<int> Graph::ConsumersOf(const std::string& value) const {
  std::vector<int> result;
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const auto& in : nodes[i].inputs) {
      if (in == value) {
        result.push_back(static_cast<int>(i));
        break;
      }
    }
  }
  return result;
}

const ValueInfo* Graph::FindValueInfo(const std::string& value) const {
  auto it = value_info.find(value);
  return it == value_info.end() ? nullptr : &it->second;
}

std::string Graph::UniqueValueName(const std::string& base) const {
  auto used = [&](const std::string& n) {
    if (initializers.count(n) || value_info.count(n)) return true;
    for (const auto& v : inputs) if (v.name == n) return true;
    return ProducerOf(n) >= 0;
  };
  if (!used(base)) return base;
  for (int i = 1;; ++i) {
    std::string candidate = absl::StrCat(base, "_", i);
    if (!used(candidate)) return candidate;
  }
}

}  // namespace fixpoint::ir
