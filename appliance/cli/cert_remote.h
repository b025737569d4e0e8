// `vtpsctl --remote URL --token-file F cert …` and `ca …`: the keystore commands run on the remote
// appliance's vtpsd through its REST API (the same shared code, keystore_ops.h, so the same
// words) instead of on a local keystore directory. Output reads as the offline commands' does.
#pragma once

#include <string>

#include "appliance/cli/context.h"
#include "appliance/mgmt/keystore_ops.h"

namespace vtps::cli {

inline bool isRemote(const Context& ctx) {
  return !ctx.remote_url.empty();
}

Status remoteNewSigning(const Context& ctx, const std::string& name,
                        const mgmt::NewCertificateRequest& request);
Status remoteCsrNew(const Context& ctx, const std::string& name,
                    const mgmt::NewCertificateRequest& request);
Status remoteCsrExport(const Context& ctx, const std::string& name, const std::string& out);
Status remoteImport(const Context& ctx, const std::string& name,
                    const mgmt::CertificateSource& source, bool exportable);
Status remoteReplace(const Context& ctx, const std::string& name,
                     const mgmt::CertificateSource& source);
// Writes the exported bytes to `out` (mode 0600 when they hold a key).
Status remoteExport(const Context& ctx, const std::string& name, const mgmt::ExportRequest& request,
                    const std::string& out);
Status remoteDelete(const Context& ctx, const std::string& name);
// cert list / show / refresh-status and ca list / import / delete on the remote appliance. The
// remote `ca list` shows the imported CA certificates only (the default package is the
// appliance's own file); the remote `ca import` takes PEM files.
Status remoteList(const Context& ctx);
Status remoteShow(const Context& ctx, const std::string& name);
Status remoteRefresh(const Context& ctx);
Status remoteCaList(const Context& ctx);
Status remoteCaImport(const Context& ctx, const std::string& name,
                      const mgmt::CertificateSource& source);
Status remoteCaDelete(const Context& ctx, const std::string& name);

}  // namespace vtps::cli
