#include "crypto/ossl.h"

#include <openssl/crypto.h>
#include <openssl/err.h>

namespace vtps::ossl {

std::string drainErrors() {
  std::string out;
  const char* func = nullptr;
  const char* data = nullptr;
  int flags = 0;
  unsigned long code = 0;
  while ((code = ERR_get_error_all(nullptr, nullptr, &func, &data, &flags)) != 0) {
    if (!out.empty()) out += "; ";
    const char* reason = ERR_reason_error_string(code);
    if (func != nullptr && *func != '\0') {
      out += func;
      out += ": ";
    }
    out += reason != nullptr ? reason : "unknown OpenSSL error";
    if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
      out += " (";
      out += data;
      out += ")";
    }
  }
  return out;
}

Error error(std::string_view operation, std::string_view cause_hint) {
  std::string msg(operation);
  std::string queue = drainErrors();
  if (!cause_hint.empty()) {
    msg += ": ";
    msg += cause_hint;
  }
  if (!queue.empty()) {
    msg += cause_hint.empty() ? ": " : " (";
    msg += queue;
    if (!cause_hint.empty()) msg += ")";
  }
  return Error{std::move(msg)};
}

void cleanse(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
  secret.shrink_to_fit();
}

}  // namespace vtps::ossl
