// Quarantine: the fourth stage. Sessions from a quarantined host are blocked, or, when the action
// is redirect, the host's cleartext HTTP requests are answered with a redirect to a remediation
// page. HTTPS is never redirected (the TPS does not redirect decrypted traffic either); those
// sessions are blocked. Destinations on the allowed list stay reachable, so that the host can
// reach the remediation page itself.
#pragma once

#include <cstdint>
#include <string>

#include "crypto/result.h"
#include "dataplane/filter/address_group.h"
#include "dataplane/filter/filter_settings.h"

namespace vtps::filter {

class Quarantine {
 public:
  // Errors name the field: `quarantine: hosts: bad address "10.1.1"`,
  // `quarantine: redirect-url: must be an http:// or https:// URL without spaces, got "x"`.
  static Result<Quarantine> create(const QuarantineSettings& settings, const RuleVariables& vars);

  // True when the session's client is quarantined and the server is not an allowed destination.
  bool applies(uint32_t client_ip, uint32_t server_ip) const;
  QuarantineAction action() const { return action_; }
  const std::string& redirectUrl() const { return redirect_url_; }
  // The complete HTTP/1.1 response sent to a quarantined host's cleartext request.
  const std::string& redirectResponse() const { return redirect_response_; }

 private:
  AddressSet hosts_;
  AddressSet allowed_;
  QuarantineAction action_ = QuarantineAction::kBlock;
  std::string redirect_url_;
  std::string redirect_response_;
};

}  // namespace vtps::filter
