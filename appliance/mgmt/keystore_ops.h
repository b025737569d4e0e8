// Keystore operations shared by vtpsctl (offline) and vtpsd (control methods behind the REST
// API), so that both refuse the same input with the same words.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "appliance/config/config.h"
#include "crypto/keystore.h"
#include "crypto/result.h"

namespace vtps::mgmt {

// Refuse to delete what `config` (read from `config_label`) still references, then delete.
Status deleteCertificateChecked(crypto::Keystore& keystore, const config::Config& config,
                                std::string_view config_label, const std::string& name);
Status deleteCaChecked(crypto::Keystore& keystore, const config::Config& config,
                       std::string_view config_label, const std::string& name);

nlohmann::ordered_json certificateJson(const crypto::CertificateRecord& record);
nlohmann::ordered_json caJson(const crypto::CaRecord& record);

}  // namespace vtps::mgmt
