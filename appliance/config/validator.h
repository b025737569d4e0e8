// The machinery validate.cc and validate_ssl.cc share: collecting diagnostics at a field's mark,
// and the rules that recur across object kinds (names, descriptions, uniqueness, references).
// Private to the config library.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/config/config.h"
#include "appliance/config/loader.h"
#include "appliance/config/suggest.h"
#include "appliance/config/validate.h"

namespace vtps::config::detail {

std::string quote(std::string_view s);
// "ssl.server-proxies" + 2 -> "ssl.server-proxies[2]".
std::string indexed(std::string_view list_path, std::size_t index);

class Validator {
 public:
  explicit Validator(const Config& config) : config_(config) {}

  const Config& config() const { return config_; }
  std::vector<Diagnostic> take() { return std::move(out_); }

  // An error at `object_path.field`, placed at that field's mark (or the object's, when the field
  // was not written in the file).
  void error(const Marks& marks, const std::string& object_path, std::string_view field,
             std::string message);
  // An error at one entry of a list field: `object_path.field[index]`.
  void itemError(const Marks& marks, const std::string& object_path, std::string_view field,
                 std::size_t index, std::string message);

  // Name rules: required, length, characters.
  void name(const Marks& marks, const std::string& object_path, std::string_view name,
            std::string_view what, std::size_t max_length);
  void description(const Marks& marks, const std::string& object_path, std::string_view text);
  // Each name once across the list; the second and later uses are errors.
  template <typename T>
  void uniqueNames(const std::vector<T>& objects, const std::string& list_path,
                   std::string_view what) {
    std::map<std::string, const T*, std::less<>> seen;
    for (std::size_t i = 0; i < objects.size(); ++i) {
      const T& o = objects[i];
      if (o.name.empty()) continue;
      auto [it, inserted] = seen.emplace(o.name, &o);
      if (inserted) continue;
      error(o.marks, indexed(list_path, i), "name",
            "duplicate " + std::string(what) + " name " + quote(o.name) +
                " (first defined at line " + std::to_string(it->second->marks.self.line) + ")");
    }
  }
  // A reference by name to one of `objects`; `required` makes an empty reference an error.
  template <typename T>
  void reference(const Marks& marks, const std::string& object_path, std::string_view field,
                 const std::string& value, const std::vector<T>& objects, std::string_view what,
                 bool required) {
    if (value.empty()) {
      if (required) error(marks, object_path, field, "is required");
      return;
    }
    std::vector<std::string> names;
    for (const T& o : objects) {
      if (o.name == value) return;
      names.push_back(o.name);
    }
    error(marks, object_path, field, unknownReference(value, what, names));
  }
  // Every entry of a string list: non-empty and listed once.
  void distinctEntries(const Marks& marks, const std::string& object_path, std::string_view field,
                       const std::vector<std::string>& entries);

 private:
  static std::string unknownReference(const std::string& value, std::string_view what,
                                      const std::vector<std::string>& names);

  const Config& config_;
  std::vector<Diagnostic> out_;
};

// The SSL objects (validate_ssl.cc).
void validateServerProxies(Validator& v);
void validateClientProxies(Validator& v);
void validateTrustStores(Validator& v);
void validateDecryptionPolicies(Validator& v);
void validateDomainExclusions(Validator& v);
// Profiles and their policies (validate_profiles.cc).
void validateProfiles(Validator& v);

}  // namespace vtps::config::detail
