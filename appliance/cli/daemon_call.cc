#include "appliance/cli/daemon_call.h"

#include <iostream>

#include "appliance/mgmt/rest_client.h"
#include "crypto/file_util.h"

namespace vtps::cli {
namespace {

Result<std::string> socketPath(const Context& ctx) {
  if (!ctx.socket_path.empty()) return ctx.socket_path;
  auto cfg = ctx.loadConfig();
  if (!cfg.ok()) return cfg.error();
  return cfg.value()->device.control_socket;
}

Result<mgmt::Json> callRemoteDaemon(const Context& ctx, const mgmt::Json& request) {
  if (ctx.token_file.empty())
    return makeError("--remote needs --token-file FILE (vtpsctl token create)");
  auto token = crypto::readPasswordFile(ctx.token_file);
  if (!token.ok()) return token.error();
  mgmt::RemoteOptions remote{ctx.remote_url, *token, ctx.remote_ca};
  return mgmt::callRemote(remote, request);
}

}  // namespace

Result<mgmt::Json> callDaemon(const Context& ctx, const mgmt::Json& request) {
  if (!ctx.remote_url.empty()) return callRemoteDaemon(ctx, request);
  auto path = socketPath(ctx);
  if (!path.ok()) return path.error();
  auto client = mgmt::ControlClient::connect(*path);
  if (!client.ok()) return client.error();
  return client->call(request);
}

Result<mgmt::Json> askDaemon(const Context& ctx, const mgmt::Json& request) {
  auto response = callDaemon(ctx, request);
  if (!response.ok()) return response.error();
  if (response->contains("error")) {
    for (const auto& d : response->value("diagnostics", mgmt::Json::array())) {
      std::cerr << (d.is_string() ? d.get<std::string>() : d.dump()) << '\n';
    }
    const mgmt::Json& error = response->at("error");
    return makeError(error.is_string() ? error.get<std::string>() : error.dump());
  }
  return response;
}

}  // namespace vtps::cli
