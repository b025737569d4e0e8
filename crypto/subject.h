// The subject of certificates and requests the appliance creates: distinguished name fields and
// subject alternative names, validated before any of them reaches OpenSSL.
#pragma once

#include <string>
#include <vector>

#include "crypto/result.h"

namespace vtps::crypto {

struct SubjectFields {
  std::string cn;                        // commonName (required)
  std::string email;                     // emailAddress attribute of the DN
  std::vector<std::string> ous;          // organizationalUnitName, one or more
  std::string o;                         // organizationName
  std::string l;                         // localityName
  std::string st;                        // stateOrProvinceName
  std::string c;                         // countryName: two letters (ISO 3166-1 alpha-2)
  std::vector<std::string> dns_names;    // subjectAltName DNS entries (leftmost "*." allowed)
  std::vector<std::string> user_emails;  // subjectAltName rfc822Name entries

  // Checks every field; the message names the field, the value and the rule, e.g.
  // `country "USA": must be two letters (an ISO 3166 code such as US)`.
  Status validate() const;
};

// Rules shared with other callers (the CLI checks option values with them too).
bool isValidDnsName(std::string_view name);
bool isValidEmail(std::string_view email);

}  // namespace vtps::crypto
