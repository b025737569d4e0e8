#include "appliance/mgmt/keystore_ops.h"

#include <algorithm>

namespace vtps::mgmt {
namespace {

using Json = nlohmann::ordered_json;

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

Json infoJson(const crypto::CertificateInfo& i) {
  return Json{{"subject", i.subject},
              {"issuer", i.issuer},
              {"common_name", i.common_name},
              {"serial", i.serial},
              {"key", i.key.str()},
              {"not_before", crypto::formatUtc(i.not_before)},
              {"not_after", crypto::formatUtc(i.not_after)},
              {"dns_names", i.dns_names},
              {"sha256_fingerprint", i.sha256_fingerprint},
              {"is_ca", i.is_ca},
              {"self_signed", i.self_signed}};
}

}  // namespace

Status deleteCertificateChecked(crypto::Keystore& keystore, const config::Config& config,
                                std::string_view config_label, const std::string& name) {
  if (contains(config.referencedCertificates(), name)) {
    return Error{"delete certificate " + name + ": the configuration " + std::string(config_label) +
                 " references it; remove the reference first"};
  }
  return keystore.deleteCertificate(name);
}

Status deleteCaChecked(crypto::Keystore& keystore, const config::Config& config,
                       std::string_view config_label, const std::string& name) {
  if (contains(config.referencedCas(), name)) {
    return Error{"delete CA certificate " + name + ": the configuration " +
                 std::string(config_label) +
                 " references it in a trust store; remove the reference first"};
  }
  return keystore.deleteCa(name);
}

Json certificateJson(const crypto::CertificateRecord& r) {
  Json j{{"name", r.name},
         {"kind", std::string(crypto::toString(r.kind))},
         {"exportable", r.exportable},
         {"created", crypto::formatUtc(r.created)},
         {"status", std::string(crypto::toString(r.status))}};
  j["certificate"] = infoJson(r.info);
  j["chain"] = Json::array();
  for (const auto& c : r.chain)
    j["chain"].push_back(infoJson(c));
  return j;
}

Json caJson(const crypto::CaRecord& r) {
  Json j{{"name", r.name}, {"status", std::string(crypto::toString(r.status))}};
  j["certificates"] = Json::array();
  for (const auto& c : r.certificates)
    j["certificates"].push_back(infoJson(c));
  return j;
}

}  // namespace vtps::mgmt
