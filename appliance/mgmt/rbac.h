// Authorization for the management API: roles grant capabilities, groups limit which named SSL
// objects a user may change, and a locked policy changes only with Lock SSL Filter. The
// decisions are pure functions of the principal and the configs, so they are tested directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/config/config.h"
#include "crypto/result.h"

namespace vtps::mgmt {

// Bits of a role. kView is read access to everything the API shows.
enum class Capability : uint32_t {
  kView = 1u << 0,
  kSslInspectionManagement = 1u << 1,  // proxies, policies, profiles, SSL settings, apply
  kLockSslFilter = 1u << 2,            // change policies marked locked
  kAdminX509 = 1u << 3,                // keystore certificates and CA certificates
  kDeviceX509 = 1u << 4,               // the management (device) certificate
};
inline constexpr uint32_t kAllCapabilities = 0x1f;

// "view", "ssl-inspection-management", "lock-ssl-filter", "admin-x509-certificate-management",
// "device-x509-certification-configuration".
std::string_view capabilityName(Capability c);
std::optional<Capability> parseCapability(std::string_view name);
// Names of the bits set in `caps`, in declaration order.
std::vector<std::string> capabilityNames(uint32_t caps);

inline constexpr std::string_view kAdministratorRole = "administrator";
inline constexpr std::string_view kViewerRole = "viewer";

struct Role {
  std::string name;
  uint32_t capabilities = 0;
};

// The built-in roles: administrator (every capability) and viewer (kView only). They cannot be
// redefined.
const std::vector<Role>& builtinRoles();

// Which named objects a group's members may change; nullopt = all of them, including objects
// added later (the documents' default for a new group).
struct Group {
  std::string name;
  std::optional<std::vector<std::string>> server_proxies;
  std::optional<std::vector<std::string>> client_proxies;
  std::optional<std::vector<std::string>> decryption_policies;
  std::optional<std::vector<std::string>> profiles;
  std::optional<std::vector<std::string>> devices;
};

// An authenticated caller.
struct Principal {
  std::string user;
  std::string role;
  uint32_t capabilities = 0;
  std::optional<Group> group;  // none: no group limits
  bool has(Capability c) const { return (capabilities & static_cast<uint32_t>(c)) != 0; }
};

// "user NAME (role ROLE) lacks the CAPABILITY capability" when `p` lacks `c`.
Status requireCapability(const Principal& p, Capability c);

// Whether `p` may see or change the named object of `kind` ("server proxy", "client proxy",
// "decryption policy", "profile").
bool groupAllows(const Principal& p, std::string_view kind, std::string_view name);

// May `p` replace `before` with `after`? Needs kSslInspectionManagement for any change; every
// added, removed or changed server proxy, client proxy, decryption policy and profile (its own
// statements or any of its policies) must be in the group's lists; a policy locked before or
// after needs kLockSslFilter; a change of device settings other than SSL inspection needs the
// administrator role. The error names the first object refused and why.
Status authorizeConfigChange(const Principal& p, const config::Config& before,
                             const config::Config& after);

}  // namespace vtps::mgmt
