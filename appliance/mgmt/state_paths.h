// Where management keeps its state: users and tokens, the config history and the management
// certificate live in device.state-dir, or, when that is not set, in the keystore's parent
// directory (/var/lib/vtps for the default keystore /var/lib/vtps/keystore).
#pragma once

#include <string>

#include "appliance/config/config.h"

namespace vtps::mgmt {

inline std::string stateDir(const config::Device& device) {
  if (!device.state_dir.empty()) return device.state_dir;
  std::string keystore = device.keystore;
  while (keystore.size() > 1 && keystore.back() == '/')
    keystore.pop_back();
  std::size_t slash = keystore.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : keystore.substr(0, slash);
}

inline std::string usersFile(const std::string& state_dir) {
  return state_dir + "/users.json";
}
inline std::string historyDir(const std::string& state_dir) {
  return state_dir + "/config-history";
}
inline std::string managementCertFile(const std::string& state_dir) {
  return state_dir + "/management-cert.pem";
}
inline std::string managementKeyFile(const std::string& state_dir) {
  return state_dir + "/management-key.pem";
}

}  // namespace vtps::mgmt
