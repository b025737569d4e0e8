// Private to the REST API (rest_api.cc, rest_resources.cc): the per-request state handlers see,
// the route table and shared helpers.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "appliance/config/config.h"
#include "appliance/mgmt/rest_api.h"

namespace vtps::mgmt {

struct RestApi::Call {
  const RestRequest& request;
  Principal principal;
  std::map<std::string, std::string> params;
  RestJson body;  // the parsed request body (an object; empty when there was none)

  std::string actor() const { return "user " + principal.user + " via REST from " + request.peer; }
  std::string query(const std::string& key) const {
    auto it = request.query.find(key);
    return it == request.query.end() ? std::string() : it->second;
  }
};

struct Route {
  const char* method;
  const char* pattern;
  std::optional<Capability> needs;
  RestApi::Handler handler;
};

struct RestRouteTable {
  static const std::vector<Route>& get();
};

RestResponse jsonResponse(int status, const RestJson& body);

// The running config, from vtpsd's config-export.
Result<std::shared_ptr<const config::Config>> runningConfig(const ControlCall& control);
// `yaml` loaded and validated; nullopt when it does not load.
std::optional<std::shared_ptr<const config::Config>> parseConfig(const std::string& yaml,
                                                                 const std::string& label);

}  // namespace vtps::mgmt
