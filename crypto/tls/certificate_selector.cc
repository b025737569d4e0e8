#include "crypto/tls/certificate_selector.h"

#include <openssl/x509v3.h>

#include <algorithm>

#include "crypto/ossl.h"

namespace vtps::tls {
namespace {

std::string normalized(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

std::string asn1String(const ASN1_STRING* s) {
  const unsigned char* data = ASN1_STRING_get0_data(s);
  const int len = ASN1_STRING_length(s);
  if (data == nullptr || len <= 0) return {};
  return {reinterpret_cast<const char*>(data), static_cast<std::size_t>(len)};
}

std::string commonNameOf(const X509* cert) {
  const X509_NAME* subject = X509_get_subject_name(cert);
  const int pos = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (pos < 0) return {};
  return asn1String(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, pos)));
}

}  // namespace

std::vector<std::string> dnsNamesOf(const X509* cert) {
  std::vector<std::string> names;
  ossl::GeneralNamesPtr sans(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans.get(), i);
    if (gn->type == GEN_DNS) names.push_back(normalized(asn1String(gn->d.dNSName)));
  }
  if (names.empty()) {
    std::string cn = commonNameOf(cert);
    if (!cn.empty()) names.push_back(normalized(cn));
  }
  return names;
}

void CertificateSelector::add(std::size_t index, const X509* cert) {
  for (const auto& name : dnsNamesOf(cert))
    addName(index, name);
}

void CertificateSelector::addName(std::size_t index, std::string_view name) {
  std::string n = normalized(name);
  if (n.starts_with("*.") && n.size() > 2) {
    wildcard_.emplace(n.substr(2), index);  // emplace keeps an earlier certificate's claim
  } else if (!n.empty() && n.find('*') == std::string::npos) {
    exact_.emplace(std::move(n), index);
  }
  // Partial wildcards ("w*.example.com") are not matched, as browsers no longer match them.
}

std::optional<std::size_t> CertificateSelector::select(std::string_view server_name) const {
  const std::string n = normalized(server_name);
  if (n.empty()) return std::nullopt;
  if (auto it = exact_.find(n); it != exact_.end()) return it->second;
  const auto dot = n.find('.');
  if (dot == std::string::npos || dot == 0) return std::nullopt;
  if (auto it = wildcard_.find(n.substr(dot + 1)); it != wildcard_.end()) return it->second;
  return std::nullopt;
}

}  // namespace vtps::tls
