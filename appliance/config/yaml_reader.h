// Typed reads from a yaml-cpp node tree with diagnostics instead of exceptions. Private to the
// config library (loader.cc); the schema itself lives in loader.cc.
//
// A MapReader wraps one YAML mapping. Every field read through it registers its key as known, so
// finish() can reject the keys nobody asked for (with "did you mean") without a second list of
// keys to keep in step. Type errors are reported and the field keeps its default, so one pass
// reports every error in the file.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/config/config.h"
#include "appliance/config/loader.h"
#include "appliance/config/suggest.h"

namespace vtps::config::detail {

// yaml-cpp marks are 0-based; ours are 1-based with 0 meaning "no position".
Mark toMark(const YAML::Mark& m);
// "a mapping", "a sequence", "a string", "null".
std::string_view typeName(const YAML::Node& node);

// What every reader of one document shares: the diagnostics and the node budget. The budget
// bounds the work a document can cause: aliases let a small file name the same large node many
// times, and the reader would otherwise walk each copy.
class ReadContext {
 public:
  static constexpr long kNodeBudget = 1'000'000;
  static constexpr int kMaxErrors = 1000;

  ReadContext(std::string file, std::vector<Diagnostic>& out) : file_(std::move(file)), out_(out) {}
  void error(Mark mark, std::string field, std::string message);
  // Charges one node; false once the budget is spent (reported once).
  bool charge(const YAML::Node& node);
  bool exhausted() const { return budget_ <= 0; }

 private:
  std::string file_;
  std::vector<Diagnostic>& out_;
  long budget_ = kNodeBudget;
  int errors_ = 0;
};

class MapReader {
 public:
  // `node` may be absent or null: the section then reads as all defaults. `marks_prefix` folds a
  // nested mapping's fields into the parent's Marks ("cores." + "proxy").
  MapReader(ReadContext& ctx, const YAML::Node& node, std::string path, Marks& marks,
            std::string marks_prefix = {});
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;

  // Each returns whether the key was present with a non-null value and read without error.
  bool string(std::string_view key, std::string& out);
  bool boolean(std::string_view key, bool& out);
  bool integer(std::string_view key, int& out);
  bool strings(std::string_view key, std::vector<std::string>& out);
  bool integers(std::string_view key, std::vector<int>& out);
  bool cidrs(std::string_view key, std::vector<Cidr4>& out);
  bool ports(std::string_view key, std::vector<PortRange>& out);
  // A mapping of names to strings (filters.address-vars); each value's mark is recorded under
  // "key.NAME".
  bool stringMap(std::string_view key, std::map<std::string, std::string>& out);

  // One value of an enum whose names toString(E) gives; `noun` names it in messages.
  template <typename E>
  bool enumeration(std::string_view key, std::string_view noun, std::initializer_list<E> values,
                   E& out) {
    const YAML::Node* node = lookup(key);
    if (node == nullptr) return false;
    return parseEnum(*node, fieldPath(key), noun, values, out);
  }
  template <typename E>
  bool enumerations(std::string_view key, std::string_view noun, std::initializer_list<E> values,
                    std::vector<E>& out) {
    std::vector<E> read;
    bool present = sequence(key, [&](const YAML::Node& item, const std::string& item_path) {
      E value{};
      if (parseEnum(item, item_path, noun, values, value)) read.push_back(value);
    });
    if (present) out = std::move(read);
    return present;
  }

  // A nested mapping whose fields go into this reader's Marks under "key.".
  void nested(std::string_view key, const std::function<void(MapReader&)>& body);

  // A nested mapping read into its own struct (which has `Marks marks`).
  template <typename T>
  void object(std::string_view key, T& out, const std::function<void(MapReader&, T&)>& read) {
    const YAML::Node* node = lookup(key);
    MapReader reader(ctx_, node != nullptr ? *node : YAML::Node(), fieldPath(key), out.marks);
    if (!reader.valid()) return;
    read(reader, out);
    reader.finish();
  }

  // A sequence of mappings, each read into a T (which has `Marks marks`) by `read_one`.
  template <typename T>
  bool objects(std::string_view key, std::vector<T>& out,
               const std::function<void(MapReader&, T&)>& read_one) {
    std::vector<T> read;
    bool present = sequence(key, [&](const YAML::Node& item, const std::string& item_path) {
      T& object = read.emplace_back();
      MapReader reader(ctx_, item, item_path, object.marks);
      if (!reader.valid()) return;
      read_one(reader, object);
      reader.finish();
    });
    if (present) out = std::move(read);
    return present;
  }

  // Reports every key that no read asked for.
  void finish();
  bool valid() const { return valid_; }
  const std::string& path() const { return path_; }

 private:
  struct Entry {
    std::string key;
    YAML::Mark key_mark;
    YAML::Node value;
  };

  std::string fieldPath(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  // Registers `key` as known; the value when present and not null, else null.
  const YAML::Node* lookup(std::string_view key);
  std::optional<std::string> scalar(const YAML::Node& node, const std::string& field);
  bool parseInt(const YAML::Node& node, const std::string& field, int& out);
  bool sequence(std::string_view key,
                const std::function<void(const YAML::Node&, const std::string&)>& each);

  template <typename E>
  bool parseEnum(const YAML::Node& node, const std::string& field, std::string_view noun,
                 std::initializer_list<E> values, E& out) {
    auto text = scalar(node, field);
    if (!text) return false;
    std::vector<std::string_view> names;
    for (E v : values) {
      if (toString(v) == *text) {
        out = v;
        return true;
      }
      names.push_back(toString(v));
    }
    std::string message = "unknown " + std::string(noun) + " \"" + *text + "\"";
    std::string hint = didYouMean(*text, names);
    if (hint.empty()) {
      hint = "; expected one of: ";
      for (std::size_t i = 0; i < names.size(); ++i) {
        hint += (i == 0 ? "" : ", ") + std::string(names[i]);
      }
    }
    ctx_.error(toMark(node.Mark()), field, message + hint);
    return false;
  }

  ReadContext& ctx_;
  std::string path_;
  Marks& marks_;
  std::string prefix_;
  bool valid_ = true;
  std::vector<Entry> entries_;
  std::vector<std::string> known_;
};

}  // namespace vtps::config::detail
