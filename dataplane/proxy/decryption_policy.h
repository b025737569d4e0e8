// DecryptionPolicyRuntime: one SSL client decryption policy, ready for lookups on the session
// path. It answers, for a host name (the SNI, or a name of the upstream certificate when the
// client sent none), whether the policy keeps the session from being decrypted:
//   1. its domains (config `domains` plus every `domain-files` entry, 4096 at most): not
//      decrypted;
//   2. its category overrides: decrypted, whatever the categories and the global domain
//      exclusions say (the profile's policy takes precedence over the exclusions);
//   3. its categories (looked up in the CategoryList): not decrypted;
//   4. otherwise no opinion: the global domain exclusions decide.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/config/config.h"
#include "crypto/result.h"
#include "dataplane/proxy/category_list.h"
#include "dataplane/proxy/domain_matcher.h"

namespace vtps::proxy {

inline constexpr size_t kMaxPolicyDomains = 4096;

class DecryptionPolicyRuntime {
 public:
  enum class Verdict {
    kNoOpinion,
    kDomain,    // a domain of the policy: not decrypted
    kOverride,  // a category override: decrypted
    kCategory,  // a category of the policy: not decrypted
  };
  struct Outcome {
    Verdict verdict = Verdict::kNoOpinion;
    std::string pattern;   // the domain or override pattern that matched
    std::string category;  // kCategory: the category
  };

  // Reads the domain files and resolves the categories against `categories` (may be null when
  // no ssl.category-files are configured). Errors name the policy and the cause, e.g.
  // "decryption policy privacy: category \"financial\" is in no category list
  // (ssl.category-files)", "decryption policy default: /etc/vtps/x.txt:7: \"a b\" is not a host
  // name or \"*.\" wildcard", "decryption policy big: 5000 domains (domains and domain-files);
  // the limit is 4096".
  static Result<std::unique_ptr<DecryptionPolicyRuntime>> build(
      const config::DecryptionPolicy& policy, std::shared_ptr<const CategoryList> categories);

  // `host` lowercase, as normalizeDomain() gives it.
  Outcome evaluate(std::string_view host) const;
  const std::string& name() const { return name_; }
  size_t domainCount() const { return domains_.size(); }

 private:
  DecryptionPolicyRuntime() = default;

  std::string name_;
  DomainMatcher domains_;
  DomainMatcher overrides_;
  std::shared_ptr<const CategoryList> categories_;
  std::vector<bool> excluded_categories_;  // indexed by CategoryList::CategoryId
};

}  // namespace vtps::proxy
