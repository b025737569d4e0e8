// `vtpsctl cert …` and `vtpsctl ca …`: certificate management against the keystore directory
// (crypto/keystore.h; layout and rules in docs/keystore.md). Every command either completes or
// refuses with exit code 1 and leaves the keystore unchanged, and is audited (offline_audit.h).
// With --remote, the changes that have a REST route run on the remote vtpsd (cert_remote.h).
#include <algorithm>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "appliance/cli/cert_remote.h"
#include "appliance/cli/context.h"
#include "appliance/cli/offline_audit.h"
#include "appliance/mgmt/keystore_ops.h"
#include "crypto/file_util.h"
#include "crypto/keystore.h"

namespace vtps::cli {
namespace {

using crypto::CertificateInfo;
using crypto::CertificateRecord;
using crypto::Keystore;

// ---- shared plumbing ----

Result<std::unique_ptr<Keystore>> openKeystore(const Context& ctx) {
  auto dir = ctx.storeDir();
  if (!dir.ok()) return dir.error();
  auto persist = ctx.persistPrivateKeys();
  if (!persist.ok()) return persist.error();
  crypto::KeystoreOptions options;
  options.dir = dir.value();
  options.persistence =
      persist.value() ? crypto::KeyPersistence::kDisk : crypto::KeyPersistence::kMemory;
  return Keystore::open(options);
}

// With persist-private-keys off, keys exist only in the running vtpsd (docs/keystore.md): an
// offline command that would create, import or read a key has nowhere to keep or find it.
Status requireKeyPersistence(const Context& ctx, std::string_view what) {
  auto persist = ctx.persistPrivateKeys();
  if (!persist.ok()) return persist.error();
  if (persist.value()) return {};
  return Error{std::string(what) +
               ": persist-private-keys is off, so private keys live only in the running vtpsd's "
               "memory and this offline command cannot create, import or read one; hand keys to "
               "vtpsd with vtpsctl cert supply-key, or create and import through its REST API "
               "(see docs/keystore.md)"};
}

// Runs a keystore change and writes its audit.log line, as vtpsd does for the same change made
// through the REST API: digests of the keystore's listing before and after, refusals too.
Status audited(const Context& ctx, const std::string& action, const std::string& name,
               const std::function<Status()>& change) {
  auto ks = openKeystore(ctx);
  const std::string before = ks.ok() ? mgmt::keystoreDigest(**ks) : std::string();
  Status st = change();
  const std::string after = ks.ok() ? mgmt::keystoreDigest(**ks) : std::string();
  auditOffline(ctx, action, name, before, after, st.ok() ? std::string() : st.message());
  return st;
}

Status fail(std::string_view operation, const std::string& name, const Error& e) {
  return Error{std::string(operation) + " " + name + ": " + e.message};
}

std::string orDash(const std::string& s) {
  return s.empty() ? "-" : s;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

// A certificate (and key) file an operator hands in: --cert, --key, --password-file, --format.
struct InputOptions {
  std::string cert;
  std::string key;
  std::string password_file;
  std::string format;

  void addTo(CLI::App* cmd, bool with_key) {
    cmd->add_option("--cert", cert, "certificate file (PEM, DER or PKCS#12)")->required();
    if (with_key) cmd->add_option("--key", key, "private key file (PEM or DER, maybe encrypted)");
    cmd->add_option("--password-file", password_file,
                    "file whose first line is the key's or PKCS#12 file's password");
    cmd->add_option("--format", format, "pem|der|pkcs12 (default: detected)");
  }

  // The files' bytes; the format is parsed by the shared operation (keystore_ops.h).
  Result<mgmt::CertificateSource> read() const {
    mgmt::CertificateSource in;
    in.format = format;
    auto bytes = crypto::readFile(cert);
    if (!bytes.ok()) return bytes.error();
    in.cert_bytes = std::move(bytes.value());
    in.cert_source = cert;
    if (!key.empty()) {
      auto key_bytes = crypto::readFile(key);
      if (!key_bytes.ok()) return key_bytes.error();
      in.key_bytes = std::move(key_bytes.value());
      in.key_source = key;
    }
    if (!password_file.empty()) {
      auto password = crypto::readPasswordFile(password_file);
      if (!password.ok()) return password.error();
      in.password = std::move(password.value());
    }
    return in;
  }
};

// Subject options shared by `cert new-signing` and `cert csr new`.
struct SubjectOptions {
  crypto::SubjectFields fields;
  std::string key = "rsa:2048";
  bool exportable = false;

  void addTo(CLI::App* cmd) {
    cmd->add_option("--cn", fields.cn, "common name")->required();
    cmd->add_option(
        "--key", key,
        std::string("key type: ") + std::string(crypto::kKeySpecChoices) + " (default rsa:2048)");
    cmd->add_flag("--exportable", exportable, "allow the private key to be exported later");
    cmd->add_option("--email", fields.email, "email address of the subject");
    cmd->add_option("--ou", fields.ous, "organizational unit (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--o", fields.o, "organization");
    cmd->add_option("--l", fields.l, "locality (city)");
    cmd->add_option("--st", fields.st, "state or province");
    cmd->add_option("--c", fields.c, "two-letter ISO 3166 country code");
    cmd->add_option("--dns", fields.dns_names, "subject alternative DNS name (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--user", fields.user_emails, "subject alternative email (repeatable)")
        ->allow_extra_args(false);
  }

  mgmt::NewCertificateRequest request(int days) const {
    mgmt::NewCertificateRequest r;
    r.subject = fields;
    r.key = key;
    r.days = days;
    r.exportable = exportable;
    return r;
  }
};

// ---- printing ----

void printInfo(const CertificateInfo& info) {
  std::cout << "Subject:       " << info.subject << '\n'
            << "Issuer:        " << info.issuer << '\n'
            << "Serial:        " << info.serial << '\n'
            << "Key:           " << info.key.str() << '\n'
            << "Not before:    " << crypto::formatUtc(info.not_before) << '\n'
            << "Not after:     " << crypto::formatUtc(info.not_after) << '\n'
            << "DNS names:     " << orDash(joined(info.dns_names)) << '\n'
            << "Emails:        " << orDash(joined(info.emails)) << '\n'
            << "IP addresses:  " << orDash(joined(info.ip_addresses)) << '\n'
            << "CA:            " << (info.is_ca ? "yes" : "no") << '\n'
            << "Self-signed:   " << (info.self_signed ? "yes" : "no") << '\n'
            << "SHA-256:       " << info.sha256_fingerprint << '\n';
}

void printRecord(const CertificateRecord& rec) {
  std::cout << "Name:          " << rec.name << '\n'
            << "Kind:          " << crypto::toString(rec.kind) << '\n'
            << "Status:        " << crypto::toString(rec.status) << '\n'
            << "Exportable:    " << (rec.exportable ? "yes" : "no") << '\n'
            << "Created:       " << crypto::formatUtc(rec.created) << '\n';
  printInfo(rec.info);
  std::cout << "Chain:         " << rec.chain.size() << " certificate(s)\n";
  for (size_t i = 0; i < rec.chain.size(); ++i) {
    std::cout << "  [" << i + 1 << "] " << rec.chain[i].subject << " (not after "
              << crypto::formatUtc(rec.chain[i].not_after) << ")\n";
  }
}

void printCertificateTable(const std::vector<CertificateRecord>& records) {
  std::vector<std::vector<std::string>> rows{
      {"NAME", "SUBJECT", "ISSUER", "KEY", "NOT AFTER", "STATUS"}};
  for (const auto& r : records) {
    rows.push_back({r.name, r.info.subject, r.info.issuer, r.info.key.str(),
                    crypto::formatUtc(r.info.not_after), std::string(crypto::toString(r.status))});
  }
  printTable(rows);
}

// ---- cert new-signing, cert csr … ----

void addNewSigning(CLI::App* cert, Context& ctx) {
  struct Options {
    std::string name;
    SubjectOptions subject;
    int days = 3650;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = cert->add_subcommand("new-signing", "create a self-signed signing CA certificate");
  cmd->add_option("name", o->name, "certificate name")->required();
  o->subject.addTo(cmd);
  cmd->add_option("--days", o->days, "validity in days (default 3650)");
  cmd->callback([&ctx, o] {
    runCommand(ctx, [&]() -> Status {
      if (isRemote(ctx)) return remoteNewSigning(ctx, o->name, o->subject.request(o->days));
      return audited(ctx, "cert-new-signing", o->name, [&]() -> Status {
        VTPS_RETURN_IF_ERROR(requireKeyPersistence(ctx, "create signing certificate " + o->name));
        auto ks = openKeystore(ctx);
        if (!ks.ok()) return ks.error();
        auto rec = mgmt::createSigningCertificate(**ks, o->name, o->subject.request(o->days));
        if (!rec.ok()) return rec.error();
        std::cout << "created signing certificate " << rec->name << ": " << rec->info.subject
                  << ", " << rec->info.key.str() << ", valid until "
                  << crypto::formatUtc(rec->info.not_after) << '\n';
        return {};
      });
    });
  });
}

void addCsrNew(CLI::App* csr, Context& ctx) {
  struct NewOptions {
    std::string name;
    SubjectOptions subject;
    bool signing = false;
  };
  auto n = std::make_shared<NewOptions>();
  auto* create = csr->add_subcommand("new", "create a signing request and its private key");
  create->add_option("name", n->name, "request (and later certificate) name")->required();
  n->subject.addTo(create);
  create->add_flag("--signing", n->signing,
                   "request a signing (CA) certificate for SSL client inspection");
  create->callback([&ctx, n] {
    runCommand(ctx, [&]() -> Status {
      if (isRemote(ctx)) {
        mgmt::NewCertificateRequest request = n->subject.request(0);
        request.signing = n->signing;
        return remoteCsrNew(ctx, n->name, request);
      }
      return audited(ctx, "cert-csr-new", n->name, [&]() -> Status {
        VTPS_RETURN_IF_ERROR(requireKeyPersistence(ctx, "create signing request " + n->name));
        auto ks = openKeystore(ctx);
        if (!ks.ok()) return ks.error();
        mgmt::NewCertificateRequest request = n->subject.request(0);
        request.signing = n->signing;
        auto rec = mgmt::createRequest(**ks, n->name, request);
        if (!rec.ok()) return rec.error();
        std::cout << "created signing request " << rec->name << ": " << rec->subject << ", "
                  << rec->key.str() << "\nexport it with: vtpsctl cert csr export " << rec->name
                  << " --out FILE\n";
        return {};
      });
    });
  });
}

void addCsrExportList(CLI::App* csr, Context& ctx) {
  struct ExportOptions {
    std::string name;
    std::string out;
  };
  auto e = std::make_shared<ExportOptions>();
  auto* exp = csr->add_subcommand("export", "write a signing request (PEM, never its key)");
  exp->add_option("name", e->name, "request name")->required();
  exp->add_option("--out", e->out, "output file")->required();
  exp->callback([&ctx, e] {
    runCommand(ctx, [&]() -> Status {
      if (isRemote(ctx)) return remoteCsrExport(ctx, e->name, e->out);
      auto ks = openKeystore(ctx);
      if (!ks.ok()) return ks.error();
      auto pem = ks.value()->requestPem(e->name);
      if (!pem.ok()) return pem.error();
      Status written = crypto::writeFileAtomic(e->out, pem.value(), 0644);
      if (!written.ok()) return fail("export signing request", e->name, written.error());
      std::cout << "wrote signing request " << e->name << " to " << e->out << '\n';
      return {};
    });
  });

  auto* list = csr->add_subcommand("list", "list pending signing requests");
  list->callback([&ctx] {
    runCommand(ctx, [&]() -> Status {
      auto ks = openKeystore(ctx);
      if (!ks.ok()) return ks.error();
      auto reqs = ks.value()->requests();
      if (!reqs.ok()) return reqs.error();
      std::vector<std::vector<std::string>> rows{{"NAME", "SUBJECT", "KEY", "SIGNING", "CREATED"}};
      for (const auto& r : reqs.value()) {
        rows.push_back({r.name, r.subject, r.key.str(), r.signing ? "yes" : "no",
                        crypto::formatUtc(r.created)});
      }
      printTable(rows);
      return {};
    });
  });
}

void addCsrCommands(CLI::App* cert, Context& ctx) {
  auto* csr = cert->add_subcommand("csr", "certificate signing requests");
  csr->require_subcommand(1);
  addCsrNew(csr, ctx);
  addCsrExportList(csr, ctx);
}

// ---- cert import, replace ----

void addImport(CLI::App* cert, Context& ctx) {
  struct Options {
    std::string name;
    InputOptions input;
    bool exportable = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = cert->add_subcommand(
      "import", "import a certificate with its key (PEM/DER plus key file, or PKCS#12)");
  cmd->add_option("name", o->name, "certificate name (PKCS#12: base name, + alias per entry)")
      ->required();
  o->input.addTo(cmd, /*with_key=*/true);
  cmd->add_flag("--exportable", o->exportable, "allow the private key to be exported later");
  cmd->callback([&ctx, o] {
    runCommand(ctx, [&]() -> Status {
      if (isRemote(ctx)) {
        auto in = o->input.read();
        if (!in.ok()) return fail("import certificate", o->name, in.error());
        return remoteImport(ctx, o->name, *in, o->exportable);
      }
      return audited(ctx, "cert-import", o->name, [&]() -> Status {
        VTPS_RETURN_IF_ERROR(requireKeyPersistence(ctx, "import certificate " + o->name));
        auto in = o->input.read();
        if (!in.ok()) return fail("import certificate", o->name, in.error());
        auto ks = openKeystore(ctx);
        if (!ks.ok()) return ks.error();
        auto recs = mgmt::importCertificate(**ks, o->name, *in, o->exportable);
        if (!recs.ok()) return recs.error();
        for (const auto& r : recs.value()) {
          std::cout << "imported certificate " << r.name << ": " << r.info.subject << " ("
                    << crypto::toString(r.status) << ")\n";
        }
        return {};
      });
    });
  });
}

void addReplace(CLI::App* cert, Context& ctx) {
  struct Options {
    std::string name;
    InputOptions input;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = cert->add_subcommand(
      "replace", "replace a certificate, keeping references; the old one becomes NAME_REPLACED");
  cmd->add_option("name", o->name, "certificate name")->required();
  o->input.addTo(cmd, /*with_key=*/true);
  cmd->callback([&ctx, o] {
    runCommand(ctx, [&]() -> Status {
      if (isRemote(ctx)) {
        auto in = o->input.read();
        if (!in.ok()) return fail("replace certificate", o->name, in.error());
        return remoteReplace(ctx, o->name, *in);
      }
      return audited(ctx, "cert-replace", o->name, [&]() -> Status {
        VTPS_RETURN_IF_ERROR(requireKeyPersistence(ctx, "replace certificate " + o->name));
        auto in = o->input.read();
        if (!in.ok()) return fail("replace certificate", o->name, in.error());
        auto ks = openKeystore(ctx);
        if (!ks.ok()) return ks.error();
        auto rec = mgmt::replaceCertificate(**ks, o->name, *in);
        if (!rec.ok()) return rec.error();
        std::cout << "replaced certificate " << rec->name << ": " << rec->info.subject << " ("
                  << crypto::toString(rec->status) << "); the previous one is now " << rec->name
                  << crypto::kReplacedSuffix << '\n';
        return {};
      });
    });
  });
}

// ---- cert list, show, export, delete, refresh-status ----

void addListShow(CLI::App* cert, Context& ctx) {
  auto* list = cert->add_subcommand("list", "list certificates");
  list->callback([&ctx] {
    runCommand(ctx, [&]() -> Status {
      if (isRemote(ctx)) return remoteList(ctx);
      auto ks = openKeystore(ctx);
      if (!ks.ok()) return ks.error();
      auto recs = ks.value()->certificates();
      if (!recs.ok()) return recs.error();
      printCertificateTable(recs.value());
      return {};
    });
  });

  auto name = std::make_shared<std::string>();
  auto* show = cert->add_subcommand("show", "show one certificate or pending signing request");
  show->add_option("name", *name, "certificate name")->required();
  show->callback([&ctx, name] {
    runCommand(ctx, [&]() -> Status {
      if (isRemote(ctx)) return remoteShow(ctx, *name);
      auto ks = openKeystore(ctx);
      if (!ks.ok()) return ks.error();
      auto rec = ks.value()->certificate(*name);
      if (rec.ok()) {
        printRecord(rec.value());
        return {};
      }
      auto reqs = ks.value()->requests();
      if (!reqs.ok()) return reqs.error();
      for (const auto& r : reqs.value()) {
        if (r.name != *name) continue;
        std::cout << "Name:          " << r.name << "\nKind:          pending-csr\n"
                  << "Signing:       " << (r.signing ? "yes" : "no")
                  << "\nSubject:       " << r.subject << "\nKey:           " << r.key.str()
                  << "\nDNS names:     " << orDash(joined(r.dns_names))
                  << "\nCreated:       " << crypto::formatUtc(r.created) << '\n';
        return {};
      }
      return Error{"show certificate " + *name +
                   ": no certificate or pending signing request "
                   "of that name"};
    });
  });
}

void addExport(CLI::App* cert, Context& ctx) {
  struct Options {
    std::string name;
    std::string out;
    bool with_key = false;
    std::string password_file;
    std::string format = "pem";
  };
  auto o = std::make_shared<Options>();
  auto* cmd = cert->add_subcommand("export", "write a certificate with its chain (and key)");
  cmd->add_option("name", o->name, "certificate name")->required();
  cmd->add_option("--out", o->out, "output file")->required();
  cmd->add_flag("--with-key", o->with_key,
                "include the private key (exportable certificates only), encrypted");
  cmd->add_option("--password-file", o->password_file,
                  "file whose first line is the password protecting the exported key/PKCS#12");
  cmd->add_option("--format", o->format, "pem (default; key as encrypted PKCS#8)|der|pkcs12");
  cmd->callback([&ctx, o] {
    runCommand(ctx, [&]() -> Status {
      mgmt::ExportRequest request;
      request.format = o->format;
      request.with_key = o->with_key;
      if (!o->password_file.empty()) {
        auto pw = crypto::readPasswordFile(o->password_file);
        if (!pw.ok()) return fail("export certificate", o->name, pw.error());
        request.password = std::move(pw.value());
      }
      if (isRemote(ctx)) return remoteExport(ctx, o->name, request, o->out);
      if (o->with_key) {
        VTPS_RETURN_IF_ERROR(requireKeyPersistence(ctx, "export certificate " + o->name));
      }
      auto ks = openKeystore(ctx);
      if (!ks.ok()) return ks.error();
      auto bytes = mgmt::exportCertificate(**ks, o->name, std::move(request));
      if (!bytes.ok()) return bytes.error();
      bool secret = o->with_key;
      Status written = crypto::writeFileAtomic(o->out, bytes.value(), secret ? 0600 : 0644);
      if (!written.ok()) return fail("export certificate", o->name, written.error());
      std::cout << "wrote certificate " << o->name << (secret ? " and its encrypted key" : "")
                << " to " << o->out << '\n';
      return {};
    });
  });
}

void addDeleteRefresh(CLI::App* cert, Context& ctx) {
  auto name = std::make_shared<std::string>();
  auto* del = cert->add_subcommand("delete", "delete a certificate or pending signing request");
  del->add_option("name", *name, "certificate name")->required();
  del->callback([&ctx, name] {
    runCommand(ctx, [&]() -> Status {
      if (isRemote(ctx)) return remoteDelete(ctx, *name);
      return audited(ctx, "cert-delete", *name, [&]() -> Status {
        auto cfg = ctx.loadConfig();
        if (!cfg.ok()) return fail("delete certificate", *name, cfg.error());
        auto ks = openKeystore(ctx);
        if (!ks.ok()) return ks.error();
        VTPS_RETURN_IF_ERROR(mgmt::deleteCertificateChecked(**ks, **cfg, ctx.configPath(), *name));
        std::cout << "deleted " << *name << '\n';
        return {};
      });
    });
  });

  auto* refresh = cert->add_subcommand("refresh-status", "recompute every certificate's status");
  refresh->callback([&ctx] {
    runCommand(ctx, [&]() -> Status {
      if (isRemote(ctx)) return remoteRefresh(ctx);  // audited by the remote vtpsd
      return audited(ctx, "cert-refresh", std::string("all"), [&]() -> Status {
        auto ks = openKeystore(ctx);
        if (!ks.ok()) return ks.error();
        auto recs = ks.value()->refreshStatus();
        if (!recs.ok()) return recs.error();
        printCertificateTable(recs.value());
        return {};
      });
    });
  });
}

// ---- ca import, list, delete ----

void addCaImport(CLI::App* ca, Context& ctx) {
  struct ImportOptions {
    std::string name;
    InputOptions input;
  };
  auto o = std::make_shared<ImportOptions>();
  auto* imp = ca->add_subcommand("import", "import CA certificates (keys in PKCS#12 are ignored)");
  imp->add_option("name", o->name, "CA name")->required();
  o->input.addTo(imp, /*with_key=*/false);
  imp->callback([&ctx, o] {
    runCommand(ctx, [&]() -> Status {
      if (isRemote(ctx)) {
        auto in = o->input.read();
        if (!in.ok()) return fail("import CA certificate", o->name, in.error());
        return remoteCaImport(ctx, o->name, *in);
      }
      return audited(ctx, "ca-import", o->name, [&]() -> Status {
        auto in = o->input.read();
        if (!in.ok()) return fail("import CA certificate", o->name, in.error());
        auto ks = openKeystore(ctx);
        if (!ks.ok()) return ks.error();
        auto rec = mgmt::importCa(**ks, o->name, *in);
        if (!rec.ok()) return rec.error();
        std::cout << "imported CA certificate " << rec->name << ": "
                  << rec->certificates.front().subject << " (" << crypto::toString(rec->status)
                  << (rec->certificates.size() > 1
                          ? ", " + std::to_string(rec->certificates.size()) + " certificates"
                          : std::string())
                  << ")\n";
        return {};
      });
    });
  });
}

void addCaList(CLI::App* ca, Context& ctx) {
  auto no_default = std::make_shared<bool>(false);
  auto* list = ca->add_subcommand("list", "list imported CA certificates and the default package");
  list->add_flag("--no-default", *no_default, "do not list the default CA package");
  list->callback([&ctx, no_default] {
    runCommand(ctx, [&]() -> Status {
      if (isRemote(ctx)) return remoteCaList(ctx);
      auto ks = openKeystore(ctx);
      if (!ks.ok()) return ks.error();
      auto cas = ks.value()->cas();
      if (!cas.ok()) return cas.error();
      std::vector<std::vector<std::string>> rows{
          {"NAME", "SUBJECT", "NOT AFTER", "STATUS", "CERTIFICATES"}};
      for (const auto& c : cas.value()) {
        rows.push_back({c.name, c.certificates.front().subject,
                        crypto::formatUtc(c.certificates.front().not_after),
                        std::string(crypto::toString(c.status)),
                        std::to_string(c.certificates.size())});
      }
      printTable(rows);
      if (*no_default) return {};
      const std::string& bundle = ks.value()->options().default_ca_bundle;
      auto defaults = ks.value()->defaultCaCertificates();
      if (!defaults.ok()) return defaults.error();
      std::cout << "\nDefault CA package " << bundle << " (read-only): " << defaults->size()
                << " certificates\n";
      std::vector<std::vector<std::string>> drows{{"SUBJECT", "NOT AFTER"}};
      for (const auto& c : defaults.value()) {
        CertificateInfo info = c.info();
        drows.push_back({info.subject, crypto::formatUtc(info.not_after)});
      }
      printTable(drows);
      return {};
    });
  });
}

void addCaDelete(CLI::App* ca, Context& ctx) {
  auto name = std::make_shared<std::string>();
  auto* del = ca->add_subcommand("delete", "delete an imported CA certificate");
  del->add_option("name", *name, "CA name")->required();
  del->callback([&ctx, name] {
    runCommand(ctx, [&]() -> Status {
      if (isRemote(ctx)) return remoteCaDelete(ctx, *name);
      return audited(ctx, "ca-delete", *name, [&]() -> Status {
        auto cfg = ctx.loadConfig();
        if (!cfg.ok()) return fail("delete CA certificate", *name, cfg.error());
        auto ks = openKeystore(ctx);
        if (!ks.ok()) return ks.error();
        VTPS_RETURN_IF_ERROR(mgmt::deleteCaChecked(**ks, **cfg, ctx.configPath(), *name));
        std::cout << "deleted CA certificate " << *name << '\n';
        return {};
      });
    });
  });
}

}  // namespace

void addCertCommands(CLI::App& app, Context& ctx) {
  auto* cert = app.add_subcommand("cert", "certificates, keys and signing requests");
  cert->require_subcommand(1);
  addNewSigning(cert, ctx);
  addCsrCommands(cert, ctx);
  addImport(cert, ctx);
  addReplace(cert, ctx);
  addListShow(cert, ctx);
  addExport(cert, ctx);
  addDeleteRefresh(cert, ctx);
  addCertSupplyKey(cert, ctx);
  auto* ca = app.add_subcommand("ca", "CA certificates (trust anchors)");
  ca->require_subcommand(1);
  addCaImport(ca, ctx);
  addCaList(ca, ctx);
  addCaDelete(ca, ctx);
}

}  // namespace vtps::cli
