#include "appliance/cli/cert_remote.h"

#include <iostream>

#include "appliance/cli/daemon_call.h"
#include "crypto/file_util.h"
#include "crypto/ossl.h"

namespace vtps::cli {
namespace {

using mgmt::Json;

Json subjectJson(const std::string& method, const std::string& name,
                 const mgmt::NewCertificateRequest& r) {
  return Json{{"method", method},
              {"name", name},
              {"cn", r.subject.cn},
              {"email", r.subject.email},
              {"ou", r.subject.ous},
              {"o", r.subject.o},
              {"l", r.subject.l},
              {"st", r.subject.st},
              {"c", r.subject.c},
              {"dns", r.subject.dns_names},
              {"user", r.subject.user_emails},
              {"key", r.key},
              {"days", r.days},
              {"signing", r.signing},
              {"exportable", r.exportable}};
}

// Binary-safe: every file travels as base64.
Json sourceJson(const std::string& method, const std::string& name,
                const mgmt::CertificateSource& s) {
  Json j{{"method", method},
         {"name", name},
         {"cert_base64", mgmt::encodeBase64(s.cert_bytes)},
         {"format", s.format}};
  if (s.key_bytes) j["key_base64"] = mgmt::encodeBase64(*s.key_bytes);
  if (s.password) j["password"] = *s.password;
  return j;
}

std::string text(const Json& j, const char* key) {
  return j.contains(key) && j.at(key).is_string() ? j.at(key).get<std::string>() : std::string();
}

void printImported(const Json& record, const char* verb) {
  std::cout << verb << " certificate " << text(record, "name") << ": "
            << (record.contains("certificate") ? text(record.at("certificate"), "subject")
                                               : std::string())
            << " (" << text(record, "status") << ")";
}

}  // namespace

Status remoteNewSigning(const Context& ctx, const std::string& name,
                        const mgmt::NewCertificateRequest& request) {
  auto r = askDaemon(ctx, subjectJson("cert-new-signing", name, request));
  if (!r.ok()) return r.error();
  const Json cert = r->value("certificate", Json::object());
  std::cout << "created signing certificate " << text(*r, "name") << ": " << text(cert, "subject")
            << ", " << text(cert, "key") << ", valid until " << text(cert, "not_after") << '\n';
  return {};
}

Status remoteCsrNew(const Context& ctx, const std::string& name,
                    const mgmt::NewCertificateRequest& request) {
  auto r = askDaemon(ctx, subjectJson("cert-csr-new", name, request));
  if (!r.ok()) return r.error();
  std::cout << "created signing request " << text(*r, "name") << ": " << text(*r, "subject") << ", "
            << text(*r, "key") << "\nexport it with: vtpsctl cert csr export " << text(*r, "name")
            << " --out FILE\n";
  return {};
}

Status remoteCsrExport(const Context& ctx, const std::string& name, const std::string& out) {
  auto r = askDaemon(ctx, Json{{"method", "cert-csr-export"}, {"name", name}});
  if (!r.ok()) return r.error();
  Status written = crypto::writeFileAtomic(out, text(*r, "pem"), 0644);
  if (!written.ok()) return Error{"export signing request " + name + ": " + written.message()};
  std::cout << "wrote signing request " << name << " to " << out << '\n';
  return {};
}

Status remoteImport(const Context& ctx, const std::string& name,
                    const mgmt::CertificateSource& source, bool exportable) {
  Json request = sourceJson("cert-import", name, source);
  request["exportable"] = exportable;
  auto r = askDaemon(ctx, request);
  if (request.contains("password")) ossl::cleanse(request["password"].get_ref<std::string&>());
  if (!r.ok()) return r.error();
  for (const Json& record : r->value("imported", Json::array())) {
    printImported(record, "imported");
    std::cout << '\n';
  }
  return {};
}

Status remoteReplace(const Context& ctx, const std::string& name,
                     const mgmt::CertificateSource& source) {
  Json request = sourceJson("cert-replace", name, source);
  auto r = askDaemon(ctx, request);
  if (request.contains("password")) ossl::cleanse(request["password"].get_ref<std::string&>());
  if (!r.ok()) return r.error();
  printImported(*r, "replaced");
  std::cout << "; the previous one is now " << text(*r, "previous") << '\n';
  return {};
}

Status remoteExport(const Context& ctx, const std::string& name, const mgmt::ExportRequest& request,
                    const std::string& out) {
  Json j{{"method", "cert-export"},
         {"name", name},
         {"format", request.format},
         {"with_key", request.with_key}};
  if (request.password) j["password"] = *request.password;
  auto r = askDaemon(ctx, j);
  if (j.contains("password")) ossl::cleanse(j["password"].get_ref<std::string&>());
  if (!r.ok()) return r.error();
  std::string bytes = text(*r, "pem");
  if (r->contains("data_base64")) {
    auto decoded = mgmt::decodeBase64(text(*r, "data_base64"));
    if (!decoded) return Error{"export certificate " + name + ": the answer is not base64"};
    bytes = std::move(*decoded);
  }
  Status written = crypto::writeFileAtomic(out, bytes, request.with_key ? 0600 : 0644);
  ossl::cleanse(bytes);
  if (!written.ok()) return Error{"export certificate " + name + ": " + written.message()};
  std::cout << "wrote certificate " << name << (request.with_key ? " and its encrypted key" : "")
            << " to " << out << '\n';
  return {};
}

Status remoteDelete(const Context& ctx, const std::string& name) {
  auto r = askDaemon(ctx, Json{{"method", "cert-delete"}, {"name", name}});
  if (!r.ok()) return r.error();
  std::cout << "deleted " << name << '\n';
  return {};
}

}  // namespace vtps::cli
