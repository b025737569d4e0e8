#include "appliance/config/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <climits>

namespace vtps::config::detail {
namespace {

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

// What a bad value looked like, for "expected X, got Y" messages.
std::string describe(const YAML::Node& node) {
  return node.IsScalar() ? quoted(node.Scalar()) : std::string(typeName(node));
}

}  // namespace

Mark toMark(const YAML::Mark& m) {
  if (m.is_null() || m.line < 0 || m.column < 0) return {};
  return Mark{m.line + 1, m.column + 1};
}

std::string_view typeName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a string";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "null";
  }
  return "?";
}

void ReadContext::error(Mark mark, std::string field, std::string message) {
  if (errors_ == kMaxErrors) {
    out_.push_back(Diagnostic{
        file_, mark, "", "more than " + std::to_string(kMaxErrors) + " errors; stopping here"});
    budget_ = 0;
  }
  if (errors_++ >= kMaxErrors) return;
  out_.push_back(Diagnostic{file_, mark, std::move(field), std::move(message)});
}

bool ReadContext::charge(const YAML::Node& node) {
  if (budget_ <= 0) return false;
  if (--budget_ == 0) {
    error(toMark(node.Mark()), "",
          "the document expands to more than " + std::to_string(kNodeBudget) +
              " nodes (aliases count once per use); refusing to read further");
    return false;
  }
  return true;
}

MapReader::MapReader(ReadContext& ctx, const YAML::Node& node, std::string path, Marks& marks,
                     std::string marks_prefix)
    : ctx_(ctx), path_(std::move(path)), marks_(marks), prefix_(std::move(marks_prefix)) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (prefix_.empty()) marks_.self = toMark(node.Mark());
  if (!node.IsMap()) {
    ctx_.error(toMark(node.Mark()), path_, "expected a mapping, got " + describe(node));
    valid_ = false;
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!ctx_.charge(it->first)) {
      valid_ = false;
      return;
    }
    if (!it->first.IsScalar()) {
      ctx_.error(toMark(it->first.Mark()), path_,
                 "keys must be strings, got " + std::string(typeName(it->first)));
      continue;
    }
    const std::string& key = it->first.Scalar();
    auto dup = std::find_if(entries_.begin(), entries_.end(),
                            [&](const Entry& e) { return e.key == key; });
    if (dup != entries_.end()) {
      ctx_.error(
          toMark(it->first.Mark()), join(path_, key),
          "duplicate key (first at line " + std::to_string(toMark(dup->key_mark).line) + ")");
      continue;
    }
    entries_.push_back(Entry{key, it->first.Mark(), it->second});
  }
}

const YAML::Node* MapReader::lookup(std::string_view key) {
  known_.emplace_back(key);
  auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
  if (it == entries_.end()) return nullptr;
  YAML::Mark mark = it->value.Mark().is_null() ? it->key_mark : it->value.Mark();
  marks_.fields[prefix_ + std::string(key)] = toMark(mark);
  if (it->value.IsNull() || ctx_.exhausted()) return nullptr;
  return &it->value;
}

std::optional<std::string> MapReader::scalar(const YAML::Node& node, const std::string& field) {
  if (node.IsScalar()) return node.Scalar();
  ctx_.error(toMark(node.Mark()), field, "expected a string, got " + describe(node));
  return std::nullopt;
}

bool MapReader::string(std::string_view key, std::string& out) {
  const YAML::Node* node = lookup(key);
  if (node == nullptr || !ctx_.charge(*node)) return false;
  auto text = scalar(*node, join(path_, key));
  if (!text) return false;
  out = std::move(*text);
  return true;
}

bool MapReader::boolean(std::string_view key, bool& out) {
  const YAML::Node* node = lookup(key);
  if (node == nullptr || !ctx_.charge(*node)) return false;
  // Only the YAML 1.2 spellings: "yes", "on" and "y" are too easy to write by accident.
  static constexpr std::string_view kTrue[] = {"true", "True", "TRUE"};
  static constexpr std::string_view kFalse[] = {"false", "False", "FALSE"};
  if (node->IsScalar()) {
    const std::string& s = node->Scalar();
    if (std::find(std::begin(kTrue), std::end(kTrue), s) != std::end(kTrue)) {
      out = true;
      return true;
    }
    if (std::find(std::begin(kFalse), std::end(kFalse), s) != std::end(kFalse)) {
      out = false;
      return true;
    }
  }
  ctx_.error(toMark(node->Mark()), join(path_, key),
             "expected true or false, got " + describe(*node));
  return false;
}

bool MapReader::parseInt(const YAML::Node& node, const std::string& field, int& out) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    long long value = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (!s.empty() && ec == std::errc{} && ptr == s.data() + s.size() && value >= INT_MIN &&
        value <= INT_MAX) {
      out = static_cast<int>(value);
      return true;
    }
  }
  ctx_.error(toMark(node.Mark()), field, "expected an integer, got " + describe(node));
  return false;
}

bool MapReader::integer(std::string_view key, int& out) {
  const YAML::Node* node = lookup(key);
  if (node == nullptr || !ctx_.charge(*node)) return false;
  return parseInt(*node, join(path_, key), out);
}

bool MapReader::integers(std::string_view key, std::vector<int>& out) {
  std::vector<int> read;
  bool present = sequence(key, [&](const YAML::Node& item, const std::string& item_path) {
    int value = 0;
    if (parseInt(item, item_path, value)) read.push_back(value);
  });
  if (present) out = std::move(read);
  return present;
}

bool MapReader::sequence(std::string_view key,
                         const std::function<void(const YAML::Node&, const std::string&)>& each) {
  const YAML::Node* node = lookup(key);
  if (node == nullptr || !ctx_.charge(*node)) return false;
  std::string field = join(path_, key);
  if (!node->IsSequence()) {
    ctx_.error(toMark(node->Mark()), field, "expected a list, got " + describe(*node));
    return false;
  }
  std::vector<Mark>& item_marks = marks_.items[prefix_ + std::string(key)];
  item_marks.clear();
  std::size_t index = 0;
  for (const YAML::Node& item : *node) {
    if (!ctx_.charge(item)) return false;
    item_marks.push_back(toMark(item.Mark()));
    each(item, field + "[" + std::to_string(index++) + "]");
  }
  return true;
}

bool MapReader::strings(std::string_view key, std::vector<std::string>& out) {
  std::vector<std::string> read;
  bool present = sequence(key, [&](const YAML::Node& item, const std::string& item_path) {
    if (auto text = scalar(item, item_path)) read.push_back(std::move(*text));
  });
  if (present) out = std::move(read);
  return present;
}

bool MapReader::cidrs(std::string_view key, std::vector<Cidr4>& out) {
  std::vector<Cidr4> read;
  bool present = sequence(key, [&](const YAML::Node& item, const std::string& item_path) {
    auto text = scalar(item, item_path);
    if (!text) return;
    if (auto cidr = parseCidr4(*text)) {
      read.push_back(*cidr);
    } else {
      ctx_.error(toMark(item.Mark()), item_path,
                 quoted(*text) + " is not an IPv4 address or CIDR (a.b.c.d or a.b.c.d/0-32)");
    }
  });
  if (present) out = std::move(read);
  return present;
}

bool MapReader::ports(std::string_view key, std::vector<PortRange>& out) {
  std::vector<PortRange> read;
  bool present = sequence(key, [&](const YAML::Node& item, const std::string& item_path) {
    auto text = scalar(item, item_path);
    if (!text) return;
    if (auto range = parsePortRange(*text)) {
      read.push_back(*range);
    } else {
      ctx_.error(
          toMark(item.Mark()), item_path,
          quoted(*text) + " is not a port or port range (1-65535, e.g. \"443\" or \"8443-8444\")");
    }
  });
  if (present) out = std::move(read);
  return present;
}

bool MapReader::stringMap(std::string_view key, std::map<std::string, std::string>& out) {
  const YAML::Node* node = lookup(key);
  if (node == nullptr || !ctx_.charge(*node)) return false;
  std::string field = join(path_, key);
  if (!node->IsMap()) {
    ctx_.error(toMark(node->Mark()), field, "expected a mapping, got " + describe(*node));
    return false;
  }
  std::map<std::string, std::string> read;
  for (auto it = node->begin(); it != node->end(); ++it) {
    if (!ctx_.charge(it->second)) return false;
    if (!it->first.IsScalar()) {
      ctx_.error(toMark(it->first.Mark()), field,
                 "keys must be strings, got " + std::string(typeName(it->first)));
      continue;
    }
    const std::string& name = it->first.Scalar();
    auto text = scalar(it->second, join(field, name));
    if (!text) continue;
    marks_.fields[prefix_ + std::string(key) + "." + name] = toMark(it->second.Mark());
    read[name] = std::move(*text);
  }
  out = std::move(read);
  return true;
}

void MapReader::nested(std::string_view key, const std::function<void(MapReader&)>& body) {
  const YAML::Node* node = lookup(key);
  YAML::Node value = node != nullptr ? *node : YAML::Node();
  MapReader reader(ctx_, value, join(path_, key), marks_, prefix_ + std::string(key) + ".");
  if (!reader.valid()) return;
  body(reader);
  reader.finish();
}

void MapReader::finish() {
  for (const Entry& e : entries_) {
    if (std::find(known_.begin(), known_.end(), e.key) != known_.end()) continue;
    std::string hint = didYouMean(e.key, known_);
    if (hint.empty()) {
      hint = "; expected one of: ";
      for (std::size_t i = 0; i < known_.size(); ++i)
        hint += (i == 0 ? "" : ", ") + known_[i];
    }
    ctx_.error(toMark(e.key_mark), join(path_, e.key), "unknown key" + hint);
  }
}

}  // namespace vtps::config::detail
