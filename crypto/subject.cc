#include "crypto/subject.h"

#include <fmt/format.h>

#include "crypto/ossl_interop.h"

namespace vtps::crypto {
namespace {

// RFC 5280 appendix A upper bounds (ub-common-name etc.).
constexpr size_t kUbCommonName = 64;
constexpr size_t kUbOrganization = 64;
constexpr size_t kUbOrganizationalUnit = 64;
constexpr size_t kUbLocality = 128;
constexpr size_t kUbState = 128;
constexpr size_t kUbEmail = 255;

bool isAsciiLetter(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}
bool isAsciiDigit(char ch) {
  return ch >= '0' && ch <= '9';
}

bool isLdhLabel(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char ch : label) {
    if (!isAsciiLetter(ch) && !isAsciiDigit(ch) && ch != '-') return false;
  }
  return true;
}

bool hasControlCharacters(std::string_view s) {
  for (char ch : s) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return true;
  }
  return false;
}

Status checkText(std::string_view field, const std::string& value, size_t max_len) {
  if (value.size() > max_len) {
    return Error{fmt::format("{} \"{}\": longer than {} characters (RFC 5280 upper bound)", field,
                             value, max_len)};
  }
  if (hasControlCharacters(value)) {
    return Error{fmt::format("{}: contains control characters", field)};
  }
  return {};
}

}  // namespace

bool isValidDnsName(std::string_view name) {
  if (name.size() > 253) return false;
  if (name.substr(0, 2) == "*.") name.remove_prefix(2);
  if (name.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dot = name.find('.', start);
    std::string_view label = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!isLdhLabel(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool isValidEmail(std::string_view email) {
  auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= email.size()) return false;
  if (email.find('@', at + 1) != std::string_view::npos) return false;
  for (char ch : email) {
    if (static_cast<unsigned char>(ch) <= 0x20 || static_cast<unsigned char>(ch) >= 0x7f) {
      return false;
    }
  }
  return isValidDnsName(email.substr(at + 1));
}

Status SubjectFields::validate() const {
  if (cn.empty()) return Error{"common name: required"};
  VTPS_RETURN_IF_ERROR(checkText("common name", cn, kUbCommonName));
  VTPS_RETURN_IF_ERROR(checkText("organization", o, kUbOrganization));
  for (const auto& ou : ous) {
    if (ou.empty()) return Error{"organizational unit: must not be empty"};
    VTPS_RETURN_IF_ERROR(checkText("organizational unit", ou, kUbOrganizationalUnit));
  }
  VTPS_RETURN_IF_ERROR(checkText("locality", l, kUbLocality));
  VTPS_RETURN_IF_ERROR(checkText("state", st, kUbState));
  if (!c.empty() && (c.size() != 2 || !isAsciiLetter(c[0]) || !isAsciiLetter(c[1]))) {
    return Error{
        fmt::format("country \"{}\": must be two letters (an ISO 3166 code such as US)", c)};
  }
  if (!email.empty() && (email.size() > kUbEmail || !isValidEmail(email))) {
    return Error{fmt::format("email \"{}\": not an email address (local-part@domain)", email)};
  }
  for (const auto& dns : dns_names) {
    if (!isValidDnsName(dns)) {
      return Error{fmt::format(
          "DNS name \"{}\": not a host name (letters, digits and hyphens in dot-separated labels; "
          "a wildcard only as a leftmost \"*.\")",
          dns)};
    }
  }
  for (const auto& user : user_emails) {
    if (!isValidEmail(user)) {
      return Error{fmt::format("user \"{}\": not an email address (local-part@domain)", user)};
    }
  }
  return {};
}

Result<ossl::X509NamePtr> buildX509Name(const SubjectFields& subject) {
  VTPS_RETURN_IF_ERROR(subject.validate());
  ossl::X509NamePtr name(X509_NAME_new());
  if (!name) return ossl::error("build subject name");
  auto add = [&](int nid, const std::string& value) -> Status {
    if (value.empty()) return {};
    const auto* bytes = reinterpret_cast<const unsigned char*>(value.data());
    if (X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8, bytes,
                                   static_cast<int>(value.size()), -1, 0) != 1) {
      return ossl::error(fmt::format("build subject name: {} \"{}\"", OBJ_nid2sn(nid), value));
    }
    return {};
  };
  // Conventional order, most general first (as `openssl req` writes it).
  VTPS_RETURN_IF_ERROR(add(NID_countryName, subject.c));
  VTPS_RETURN_IF_ERROR(add(NID_stateOrProvinceName, subject.st));
  VTPS_RETURN_IF_ERROR(add(NID_localityName, subject.l));
  VTPS_RETURN_IF_ERROR(add(NID_organizationName, subject.o));
  for (const auto& ou : subject.ous)
    VTPS_RETURN_IF_ERROR(add(NID_organizationalUnitName, ou));
  VTPS_RETURN_IF_ERROR(add(NID_commonName, subject.cn));
  VTPS_RETURN_IF_ERROR(add(NID_pkcs9_emailAddress, subject.email));
  return name;
}

Result<ossl::X509ExtensionPtr> subjectAltNameExtension(const SubjectFields& subject) {
  if (subject.dns_names.empty() && subject.user_emails.empty()) return ossl::X509ExtensionPtr();
  ossl::GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) return ossl::error("build subjectAltName");
  // Built as GENERAL_NAMEs rather than config text so that no value can inject another entry.
  auto add = [&](int type, const std::string& value) -> Status {
    std::unique_ptr<ASN1_IA5STRING, ossl::Deleter<ASN1_IA5STRING_free>> text(ASN1_IA5STRING_new());
    std::unique_ptr<GENERAL_NAME, ossl::Deleter<GENERAL_NAME_free>> gen(GENERAL_NAME_new());
    if (!text || !gen ||
        ASN1_STRING_set(text.get(), value.data(), static_cast<int>(value.size())) != 1) {
      return ossl::error("build subjectAltName");
    }
    GENERAL_NAME_set0_value(gen.get(), type, text.release());
    if (sk_GENERAL_NAME_push(names.get(), gen.get()) == 0)
      return ossl::error("build subjectAltName");
    gen.release();  // now owned by `names`
    return {};
  };
  for (const auto& dns : subject.dns_names)
    VTPS_RETURN_IF_ERROR(add(GEN_DNS, dns));
  for (const auto& user : subject.user_emails)
    VTPS_RETURN_IF_ERROR(add(GEN_EMAIL, user));
  ossl::X509ExtensionPtr ext(X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()));
  if (!ext) return ossl::error("build subjectAltName");
  return ext;
}

Result<ossl::X509ExtensionPtr> makeExtension(X509V3_CTX* ctx, int nid, const std::string& value) {
  ossl::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext) return ossl::error(fmt::format("build extension {} \"{}\"", OBJ_nid2sn(nid), value));
  return ext;
}

}  // namespace vtps::crypto
