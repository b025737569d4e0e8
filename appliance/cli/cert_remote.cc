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

// The table `cert list` prints, from the REST API's certificate records.
void printCertificateRows(const Json& records) {
  std::vector<std::vector<std::string>> rows{
      {"NAME", "SUBJECT", "ISSUER", "KEY", "NOT AFTER", "STATUS"}};
  for (const Json& r : records) {
    const Json info = r.value("certificate", Json::object());
    rows.push_back({text(r, "name"), text(info, "subject"), text(info, "issuer"), text(info, "key"),
                    text(info, "not_after"), text(r, "status")});
  }
  printTable(rows);
}

std::string joinedText(const Json& j, const char* key) {
  std::string out;
  for (const Json& item : j.value(key, Json::array())) {
    if (item.is_string()) out += (out.empty() ? "" : ", ") + item.get<std::string>();
  }
  return out.empty() ? "-" : out;
}

Result<Json> remoteCertificates(const Context& ctx) {
  auto r = askDaemon(ctx, Json{{"method", "cert-list"}});
  if (!r.ok()) return r.error();
  return r->value("certificates", Json::array());
}

}  // namespace

Status remoteList(const Context& ctx) {
  auto records = remoteCertificates(ctx);
  if (!records.ok()) return records.error();
  printCertificateRows(*records);
  return {};
}

Status remoteShow(const Context& ctx, const std::string& name) {
  auto records = remoteCertificates(ctx);
  if (!records.ok()) return records.error();
  for (const Json& r : *records) {
    if (text(r, "name") != name) continue;
    const Json info = r.value("certificate", Json::object());
    const Json chain = r.value("chain", Json::array());
    std::cout << "Name:          " << name << "\nKind:          " << text(r, "kind")
              << "\nStatus:        " << text(r, "status")
              << "\nExportable:    " << (r.value("exportable", false) ? "yes" : "no")
              << "\nCreated:       " << text(r, "created")
              << "\nSubject:       " << text(info, "subject")
              << "\nIssuer:        " << text(info, "issuer")
              << "\nSerial:        " << text(info, "serial")
              << "\nKey:           " << text(info, "key")
              << "\nNot before:    " << text(info, "not_before")
              << "\nNot after:     " << text(info, "not_after")
              << "\nDNS names:     " << joinedText(info, "dns_names")
              << "\nCA:            " << (info.value("is_ca", false) ? "yes" : "no")
              << "\nSelf-signed:   " << (info.value("self_signed", false) ? "yes" : "no")
              << "\nSHA-256:       " << text(info, "sha256_fingerprint")
              << "\nChain:         " << chain.size() << " certificate(s)\n";
    for (size_t i = 0; i < chain.size(); ++i) {
      std::cout << "  [" << i + 1 << "] " << text(chain[i], "subject") << " (not after "
                << text(chain[i], "not_after") << ")\n";
    }
    return {};
  }
  return Error{"show certificate " + name + ": no certificate of that name on " + ctx.remote_url};
}

Status remoteRefresh(const Context& ctx) {
  auto r = askDaemon(ctx, Json{{"method", "cert-refresh"}});
  if (!r.ok()) return r.error();
  return remoteList(ctx);
}

Status remoteCaList(const Context& ctx) {
  auto r = askDaemon(ctx, Json{{"method", "ca-list"}});
  if (!r.ok()) return r.error();
  std::vector<std::vector<std::string>> rows{
      {"NAME", "SUBJECT", "NOT AFTER", "STATUS", "CERTIFICATES"}};
  for (const Json& c : r->value("ca-certificates", Json::array())) {
    const Json certs = c.value("certificates", Json::array());
    const Json first = certs.empty() ? Json::object() : certs.front();
    rows.push_back({text(c, "name"), text(first, "subject"), text(first, "not_after"),
                    text(c, "status"), std::to_string(certs.size())});
  }
  printTable(rows);
  std::cout << "\n(the default CA package is the appliance's own; list it there)\n";
  return {};
}

Status remoteCaImport(const Context& ctx, const std::string& name,
                      const mgmt::CertificateSource& source) {
  const bool pem =
      source.format == "pem" ||
      (source.format.empty() && source.cert_bytes.find("-----BEGIN") != std::string::npos);
  if (!pem) {
    return Error{"import CA certificate " + name +
                 ": --remote takes PEM files; convert it first (openssl x509 -outform PEM)"};
  }
  auto r =
      askDaemon(ctx, Json{{"method", "ca-import"}, {"name", name}, {"pem", source.cert_bytes}});
  if (!r.ok()) return r.error();
  const Json certs = r->value("certificates", Json::array());
  std::cout << "imported CA certificate " << text(*r, "name") << ": "
            << (certs.empty() ? std::string() : text(certs.front(), "subject")) << " ("
            << text(*r, "status")
            << (certs.size() > 1 ? ", " + std::to_string(certs.size()) + " certificates"
                                 : std::string())
            << ")\n";
  return {};
}

Status remoteCaDelete(const Context& ctx, const std::string& name) {
  auto r = askDaemon(ctx, Json{{"method", "ca-delete"}, {"name", name}});
  if (!r.ok()) return r.error();
  std::cout << "deleted CA certificate " << name << '\n';
  return {};
}

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
