#include "appliance/mgmt/rbac.h"

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "appliance/mgmt/running_config_format.h"

namespace vtps::mgmt {
namespace {

using namespace config;

constexpr std::array<std::pair<Capability, std::string_view>, 5> kNames{{
    {Capability::kView, "view"},
    {Capability::kSslInspectionManagement, "ssl-inspection-management"},
    {Capability::kLockSslFilter, "lock-ssl-filter"},
    {Capability::kAdminX509, "admin-x509-certificate-management"},
    {Capability::kDeviceX509, "device-x509-certification-configuration"},
}};

std::string quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string who(const Principal& p) {
  return "user " + p.user + " (role " + p.role + ")";
}

// Name -> canonical text of every object in `objects`.
template <typename T, typename F>
std::map<std::string, std::string> texts(const std::vector<T>& objects, F format) {
  std::map<std::string, std::string> out;
  for (const T& o : objects)
    out[o.name] = format(o);
  return out;
}

// Names whose text differs between the two maps (added, removed or changed).
std::vector<std::string> changed(const std::map<std::string, std::string>& a,
                                 const std::map<std::string, std::string>& b) {
  std::vector<std::string> out;
  for (const auto& [name, text] : a) {
    auto it = b.find(name);
    if (it == b.end() || it->second != text) out.push_back(name);
  }
  for (const auto& [name, text] : b) {
    if (!a.contains(name)) out.push_back(name);
  }
  return out;
}

std::string profileText(const Profile& p) {
  std::string out = formatProfileHeader(p);
  for (const auto& s : p.ssl_server_policies)
    out += formatServerPolicy(s);
  for (const auto& c : p.ssl_client_policies)
    out += formatClientPolicy(c);
  return out;
}

// "profile/policy" -> (text, locked) for every policy.
std::map<std::string, std::pair<std::string, bool>> policies(const Config& c) {
  std::map<std::string, std::pair<std::string, bool>> out;
  for (const Profile& p : c.profiles) {
    for (const auto& s : p.ssl_server_policies)
      out[p.name + "/" + s.name] = {formatServerPolicy(s), s.locked};
    for (const auto& s : p.ssl_client_policies)
      out[p.name + "/" + s.name] = {formatClientPolicy(s), s.locked};
  }
  return out;
}

Status checkLocks(const Principal& p, const Config& before, const Config& after) {
  if (p.has(Capability::kLockSslFilter)) return {};
  auto a = policies(before);
  auto b = policies(after);
  for (const auto& [name, entry] : a) {
    auto it = b.find(name);
    bool same = it != b.end() && it->second.first == entry.first;
    if (!same && (entry.second || (it != b.end() && it->second.second))) {
      return makeError(who(p) + " may not change locked policy " + quote(name) +
                       ": that needs the lock-ssl-filter capability");
    }
  }
  for (const auto& [name, entry] : b) {
    if (!a.contains(name) && entry.second) {
      return makeError(who(p) + " may not add locked policy " + quote(name) +
                       ": that needs the lock-ssl-filter capability");
    }
  }
  return {};
}

// Device settings outside SSL inspection (dataplane, cores, management, paths) are the
// administrator's.
bool deviceChanged(const Config& a, const Config& b) {
  const Device& x = a.device;
  const Device& y = b.device;
  return x.dataplane != y.dataplane || x.mode != y.mode || x.proxy_cores != y.proxy_cores ||
         x.dataplane_cores != y.dataplane_cores || x.management_listen != y.management_listen ||
         x.management_min_tls != y.management_min_tls ||
         x.management_enabled != y.management_enabled || x.metrics_listen != y.metrics_listen ||
         x.keystore != y.keystore || x.control_socket != y.control_socket ||
         x.log_dir != y.log_dir || x.state_dir != y.state_dir;
}

}  // namespace

std::string_view capabilityName(Capability c) {
  for (const auto& [cap, name] : kNames) {
    if (cap == c) return name;
  }
  return "unknown";
}

std::optional<Capability> parseCapability(std::string_view name) {
  for (const auto& [cap, n] : kNames) {
    if (n == name) return cap;
  }
  return std::nullopt;
}

std::vector<std::string> capabilityNames(uint32_t caps) {
  std::vector<std::string> out;
  for (const auto& [cap, name] : kNames) {
    if ((caps & static_cast<uint32_t>(cap)) != 0) out.emplace_back(name);
  }
  return out;
}

const std::vector<Role>& builtinRoles() {
  static const std::vector<Role> roles{
      {std::string(kAdministratorRole), kAllCapabilities},
      {std::string(kViewerRole), static_cast<uint32_t>(Capability::kView)},
  };
  return roles;
}

Status requireCapability(const Principal& p, Capability c) {
  if (p.has(c)) return {};
  return makeError(who(p) + " lacks the " + std::string(capabilityName(c)) + " capability");
}

bool groupAllows(const Principal& p, std::string_view kind, std::string_view name) {
  if (!p.group) return true;
  const Group& g = *p.group;
  const std::optional<std::vector<std::string>>* list = nullptr;
  if (kind == "server proxy") list = &g.server_proxies;
  if (kind == "client proxy") list = &g.client_proxies;
  if (kind == "decryption policy") list = &g.decryption_policies;
  if (kind == "profile") list = &g.profiles;
  if (list == nullptr || !list->has_value()) return true;
  return std::find((*list)->begin(), (*list)->end(), name) != (*list)->end();
}

Status authorizeConfigChange(const Principal& p, const Config& before, const Config& after) {
  VTPS_RETURN_IF_ERROR(requireCapability(p, Capability::kSslInspectionManagement));
  if (deviceChanged(before, after) && p.role != kAdministratorRole) {
    return makeError(who(p) +
                     " may not change device settings outside ssl-inspection: that needs the "
                     "administrator role");
  }
  const std::pair<std::string_view, std::vector<std::string>> kinds[] = {
      {"server proxy", changed(texts(before.server_proxies, formatServerProxy),
                               texts(after.server_proxies, formatServerProxy))},
      {"client proxy", changed(texts(before.client_proxies, formatClientProxy),
                               texts(after.client_proxies, formatClientProxy))},
      {"decryption policy", changed(texts(before.decryption_policies, formatDecryptionPolicy),
                                    texts(after.decryption_policies, formatDecryptionPolicy))},
      {"profile", changed(texts(before.profiles, profileText), texts(after.profiles, profileText))},
  };
  for (const auto& [kind, names] : kinds) {
    for (const std::string& name : names) {
      if (groupAllows(p, kind, name)) continue;
      return makeError(who(p) + " may not change " + std::string(kind) + " " + quote(name) +
                       ": group " + p.group->name + " does not include it");
    }
  }
  return checkLocks(p, before, after);
}

}  // namespace vtps::mgmt
