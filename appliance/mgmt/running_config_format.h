// `display conf running [ssl-inspection]`: the running config as TOS statements, in the layout
// the TippingPoint device CLI prints (a "# SECTION" comment, then one block per object opened by
// `KIND "NAME"`, two-space indented statements, closed by `exit`). Pure functions of the config,
// so vtpsctl formats offline files and the daemon's running config the same way.
//
// The per-object functions also serve as a canonical text of one object: two objects with the
// same text are configured the same (management uses this to see what a new config changes).
#pragma once

#include <string>

#include "appliance/config/config.h"

namespace vtps::mgmt {

enum class DisplaySection { kAll, kSslInspection };

std::string formatRunningConfig(const config::Config& config, DisplaySection section);

std::string formatServerProxy(const config::ServerProxy& proxy);
std::string formatClientProxy(const config::ClientProxy& proxy);
std::string formatTrustStore(const config::TrustStore& store);
std::string formatDecryptionPolicy(const config::DecryptionPolicy& policy);
std::string formatServerPolicy(const config::SslServerPolicy& policy);
std::string formatClientPolicy(const config::SslClientPolicy& policy);
// The profile's own statements without its policies.
std::string formatProfileHeader(const config::Profile& profile);

}  // namespace vtps::mgmt
