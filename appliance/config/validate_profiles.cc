// Rules for profiles and their SSL policies. A profile with a `parent` inherits the parent chain's
// policies, so policy names must be unique along the chain, and detection-port overlaps are
// checked over the policies a profile has in effect (its own and inherited ones).
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "appliance/config/validator.h"

namespace vtps::config::detail {
namespace {

struct PolicyRef {
  std::size_t profile;
  bool client;  // else server
  std::size_t index;
};

class ProfileRules {
 public:
  explicit ProfileRules(Validator& v) : v_(v), c_(v.config()) {}

  void run() {
    for (std::size_t i = 0; i < c_.profiles.size(); ++i)
      checkOwnFields(i);
    v_.uniqueNames(c_.profiles, "profiles", "profile");
    resolveParents();
    for (std::size_t i = 0; i < c_.profiles.size(); ++i) {
      checkPolicyNames(i);
      checkPortOverlaps(i);
    }
  }

 private:
  const Profile& profile(std::size_t i) const { return c_.profiles[i]; }
  static std::string path(std::size_t i) { return indexed("profiles", i); }
  std::string path(const PolicyRef& r) const {
    return indexed(path(r.profile) + (r.client ? ".ssl-client-policies" : ".ssl-server-policies"),
                   r.index);
  }
  const std::string& nameOf(const PolicyRef& r) const {
    const Profile& p = profile(r.profile);
    return r.client ? p.ssl_client_policies[r.index].name : p.ssl_server_policies[r.index].name;
  }
  const Marks& marksOf(const PolicyRef& r) const {
    const Profile& p = profile(r.profile);
    return r.client ? p.ssl_client_policies[r.index].marks : p.ssl_server_policies[r.index].marks;
  }

  void checkOwnFields(std::size_t i) {
    const Profile& p = profile(i);
    v_.name(p.marks, path(i), p.name, "profile", kMaxObjectNameLength);
    v_.description(p.marks, path(i), p.description);
    for (std::size_t j = 0; j < p.ssl_server_policies.size(); ++j) {
      const SslServerPolicy& s = p.ssl_server_policies[j];
      std::string at = path(PolicyRef{i, false, j});
      v_.name(s.marks, at, s.name, "policy", kMaxObjectNameLength);
      v_.reference(s.marks, at, "server-proxy", s.server_proxy, c_.server_proxies, "server proxy",
                   true);
    }
    for (std::size_t j = 0; j < p.ssl_client_policies.size(); ++j) {
      const SslClientPolicy& s = p.ssl_client_policies[j];
      std::string at = path(PolicyRef{i, true, j});
      v_.name(s.marks, at, s.name, "policy", kMaxObjectNameLength);
      v_.reference(s.marks, at, "client-proxy", s.client_proxy, c_.client_proxies, "client proxy",
                   true);
      v_.reference(s.marks, at, "decryption-policy", s.decryption_policy, c_.decryption_policies,
                   "decryption policy", false);
      v_.reference(s.marks, at, "trust-store", s.trust_store, c_.trust_stores, "trust store", true);
    }
  }

  // parent_[i]: the parent's index, or none when the profile is a root or its chain is broken
  // (unknown parent, loop, too deep; each reported once).
  void resolveParents() {
    std::map<std::string_view, std::size_t> index;
    for (std::size_t i = 0; i < c_.profiles.size(); ++i)
      index.emplace(profile(i).name, i);
    parent_.assign(c_.profiles.size(), std::nullopt);
    for (std::size_t i = 0; i < c_.profiles.size(); ++i) {
      const Profile& p = profile(i);
      if (p.parent.empty()) continue;
      if (p.parent == p.name) {
        v_.error(p.marks, path(i), "parent", "a profile cannot be its own parent");
        continue;
      }
      auto it = index.find(p.parent);
      if (it == index.end()) {
        v_.reference(p.marks, path(i), "parent", p.parent, c_.profiles, "profile", false);
        continue;
      }
      parent_[i] = it->second;
    }
    for (std::size_t i = 0; i < c_.profiles.size(); ++i)
      checkChain(i);
  }

  void checkChain(std::size_t i) {
    std::vector<std::size_t> chain{i};
    for (auto p = parent_[i]; p; p = parent_[*p]) {
      auto seen = std::find(chain.begin(), chain.end(), *p);
      if (seen != chain.end()) {
        // Reported once, at the profile where the walk re-entered the loop; its members then
        // become roots so that nothing walks the loop again.
        std::string loop;
        for (auto k = seen; k != chain.end(); ++k)
          loop += profile(*k).name + " -> ";
        v_.error(profile(*p).marks, path(*p), "parent",
                 "parent chain loops: " + loop + profile(*p).name);
        for (auto k = seen; k != chain.end(); ++k)
          parent_[*k].reset();
        return;
      }
      chain.push_back(*p);
      if (chain.size() > static_cast<std::size_t>(kMaxProfileDepth)) {
        v_.error(profile(i).marks, path(i), "parent",
                 "profile " + quote(profile(i).name) + " is nested more than " +
                     std::to_string(kMaxProfileDepth) + " levels deep");
        parent_[i].reset();
        return;
      }
    }
  }

  std::vector<std::size_t> ancestors(std::size_t i) const {
    std::vector<std::size_t> out;
    for (auto p = parent_[i]; p && out.size() < static_cast<std::size_t>(kMaxProfileDepth);
         p = parent_[*p]) {
      out.push_back(*p);
    }
    return out;
  }

  std::vector<PolicyRef> policiesOf(std::size_t i) const {
    std::vector<PolicyRef> out;
    const Profile& p = profile(i);
    for (std::size_t j = 0; j < p.ssl_server_policies.size(); ++j)
      out.push_back({i, false, j});
    for (std::size_t j = 0; j < p.ssl_client_policies.size(); ++j)
      out.push_back({i, true, j});
    // In file order, so "already used" always points back up the file within a profile.
    std::stable_sort(out.begin(), out.end(), [&](const PolicyRef& a, const PolicyRef& b) {
      return marksOf(a).self.line < marksOf(b).self.line;
    });
    return out;
  }

  void checkPolicyNames(std::size_t i) {
    std::map<std::string_view, PolicyRef> taken;
    for (std::size_t a : ancestors(i)) {
      for (const PolicyRef& r : policiesOf(a))
        taken.emplace(nameOf(r), r);
    }
    for (const PolicyRef& r : policiesOf(i)) {
      const std::string& name = nameOf(r);
      if (name.empty()) continue;
      auto [it, inserted] = taken.emplace(name, r);
      if (inserted) continue;
      v_.error(marksOf(r), path(r), "name",
               "policy name " + quote(name) + " is already used by " + path(it->second) +
                   " (line " + std::to_string(marksOf(it->second).self.line) +
                   "); policy names must be unique across the server and client policies of a "
                   "profile and its parent and child profiles");
    }
  }

  struct PortUse {
    PortRange range;
    PolicyRef policy;
    const ClientProxy* proxy;
  };

  // Overlapping detection ports between two client policies in effect in profile i, reported at
  // the later policy of each pair when at least one of them is the profile's own (pairs of two
  // inherited policies are reported at the ancestor that owns them).
  void checkPortOverlaps(std::size_t i) {
    std::vector<std::size_t> owners{i};
    for (std::size_t a : ancestors(i))
      owners.push_back(a);
    std::vector<PortUse> uses;
    for (std::size_t owner : owners) {
      const Profile& p = profile(owner);
      for (std::size_t j = 0; j < p.ssl_client_policies.size(); ++j) {
        const ClientProxy* proxy = findClientProxy(p.ssl_client_policies[j].client_proxy);
        if (proxy == nullptr) continue;
        for (const PortRange& r : proxy->detection_ports)
          uses.push_back({r, {owner, true, j}, proxy});
      }
    }
    std::sort(uses.begin(), uses.end(),
              [](const PortUse& a, const PortUse& b) { return a.range.first < b.range.first; });
    // Sweep: the earlier range reaching furthest, and the furthest one from a different policy.
    const PortUse* best = nullptr;
    const PortUse* other = nullptr;
    std::set<std::pair<std::string, std::string>> reported;
    for (const PortUse& u : uses) {
      const PortUse* rival = best != nullptr && !samePolicy(*best, u) ? best : other;
      if (rival != nullptr && u.range.first <= rival->range.last)
        reportOverlap(i, *rival, u, reported);
      if (best == nullptr || u.range.last > best->range.last) {
        if (best != nullptr && !samePolicy(*best, u)) other = best;
        best = &u;
      } else if (!samePolicy(*best, u) && (other == nullptr || u.range.last > other->range.last)) {
        other = &u;
      }
    }
  }

  static bool samePolicy(const PortUse& a, const PortUse& b) {
    return a.policy.profile == b.policy.profile && a.policy.index == b.policy.index;
  }

  const ClientProxy* findClientProxy(const std::string& name) const {
    for (const ClientProxy& p : c_.client_proxies) {
      if (p.name == name) return &p;
    }
    return nullptr;
  }

  void reportOverlap(std::size_t i, const PortUse& a, const PortUse& b,
                     std::set<std::pair<std::string, std::string>>& reported) {
    bool a_own = a.policy.profile == i;
    bool b_own = b.policy.profile == i;
    if (!a_own && !b_own) return;
    // The profile's own policy carries the error; of two own policies, the later in the file.
    bool a_later = a_own && (!b_own || marksOf(a.policy).self.line > marksOf(b.policy).self.line);
    const PortUse& first = a_later ? b : a;
    const PortUse& second = a_later ? a : b;
    if (!reported.emplace(path(first.policy), path(second.policy)).second) return;
    std::string message =
        "client policies " + quote(nameOf(first.policy)) + " and " + quote(nameOf(second.policy)) +
        " use client proxies with overlapping detection ports (" + quote(first.proxy->name) + " " +
        first.range.str() + ", " + quote(second.proxy->name) + " " + second.range.str() +
        "); within one profile the device could not tell which policy applies";
    if (first.policy.profile != i) {
      message += " (" + quote(nameOf(first.policy)) + " is inherited from profile " +
                 quote(profile(first.policy.profile).name) + ")";
    }
    v_.error(marksOf(second.policy), path(second.policy), "client-proxy", std::move(message));
  }

  Validator& v_;
  const Config& c_;
  std::vector<std::optional<std::size_t>> parent_;
};

}  // namespace

void validateProfiles(Validator& v) {
  ProfileRules(v).run();
}

}  // namespace vtps::config::detail
