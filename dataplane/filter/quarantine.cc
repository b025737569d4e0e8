#include "dataplane/filter/quarantine.h"

#include <algorithm>

namespace vtps::filter {
namespace {

bool plausibleUrl(const std::string& url) {
  bool scheme = url.starts_with("http://") || url.starts_with("https://");
  bool clean = std::none_of(url.begin(), url.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
  });
  return scheme && clean && url.size() > 8;
}

}  // namespace

Result<Quarantine> Quarantine::create(const QuarantineSettings& settings,
                                      const RuleVariables& vars) {
  Quarantine q;
  q.action_ = settings.action;
  for (const auto& host : settings.hosts) {
    auto set = parseAddressGroup(host, vars);
    if (!set.ok()) return makeError("quarantine: hosts: " + set.message());
    q.hosts_.unite(*set);
  }
  for (const auto& dst : settings.allowed_destinations) {
    auto set = parseAddressGroup(dst, vars);
    if (!set.ok()) return makeError("quarantine: allowed-destinations: " + set.message());
    q.allowed_.unite(*set);
  }
  if (settings.action == QuarantineAction::kRedirect) {
    if (!plausibleUrl(settings.redirect_url)) {
      return makeError(
          "quarantine: redirect-url: must be an http:// or https:// URL without spaces, got \"" +
          settings.redirect_url + "\"");
    }
    q.redirect_url_ = settings.redirect_url;
    q.redirect_response_ =
        "HTTP/1.1 302 Found\r\nLocation: " + settings.redirect_url +
        "\r\nContent-Length: 0\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
  }
  return q;
}

bool Quarantine::applies(uint32_t client_ip, uint32_t server_ip) const {
  return hosts_.contains(client_ip) && !allowed_.contains(server_ip);
}

}  // namespace vtps::filter
