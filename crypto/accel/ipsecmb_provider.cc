// The vtps-ipsecmb provider itself: intel-ipsec-mb's manager, the provider's entry points and its
// registration in a library context.
#include "crypto/accel/ipsecmb_provider.h"

#include <fmt/format.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <new>

#include "crypto/accel/builtin_provider.h"
#include "crypto/accel/ipsecmb_gcm.h"
#include "crypto/ossl.h"

namespace vtps::accel {
namespace ipsecmb {

IMB_MGR* manager() {
  // Never freed: contexts in any thread may call through it until the process exits.
  static IMB_MGR* const mgr = [] {
    IMB_MGR* m = alloc_mb_mgr(0);
    if (m == nullptr) return m;
    init_mb_mgr_auto(m, nullptr);
    const bool self_test_failed = (m->features & IMB_FEATURE_SELF_TEST) != 0 &&
                                  (m->features & IMB_FEATURE_SELF_TEST_PASS) == 0;
    if (imb_get_errno(m) != 0 || self_test_failed) {
      free_mb_mgr(m);
      return static_cast<IMB_MGR*>(nullptr);
    }
    return m;
  }();
  return mgr;
}

}  // namespace ipsecmb

namespace {

constexpr const char* kProperties = "provider=vtps-ipsecmb";

std::string archName(uint32_t arch) {
  switch (arch) {
    case IMB_ARCH_NOAESNI:
      return "no-aesni";
    case IMB_ARCH_SSE:
      return "sse";
    case IMB_ARCH_AVX:
      return "avx";
    case IMB_ARCH_AVX2:
      return "avx2";
    case IMB_ARCH_AVX512:
      return "avx512";
    default:
      return fmt::format("unknown ({})", arch);
  }
}

template <typename Fn>
OSSL_DISPATCH fn(int id, Fn* f) {
  return {id, reinterpret_cast<void (*)()>(f)};
}

const OSSL_ALGORITHM* providerQuery(void* /*provctx*/, int operation_id, int* no_cache) {
  static const OSSL_ALGORITHM kCiphers[] = {
      // The same names as OpenSSL's default provider: libssl fetches by the short name
      // (id-aes128-GCM), applications by the long one.
      {"AES-128-GCM:id-aes128-GCM:2.16.840.1.101.3.4.1.6", kProperties,
       ipsecmb::aes128GcmFunctions(), "AES-128-GCM (intel-ipsec-mb)"},
      {"AES-256-GCM:id-aes256-GCM:2.16.840.1.101.3.4.1.46", kProperties,
       ipsecmb::aes256GcmFunctions(), "AES-256-GCM (intel-ipsec-mb)"},
      {nullptr, nullptr, nullptr, nullptr},
  };
  *no_cache = 0;
  return operation_id == OSSL_OP_CIPHER ? kCiphers : nullptr;
}

const OSSL_PARAM* providerGettableParams(void* /*provctx*/) {
  static const OSSL_PARAM kParams[] = {
      OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_NAME, nullptr, 0),
      OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_VERSION, nullptr, 0),
      OSSL_PARAM_int(OSSL_PROV_PARAM_STATUS, nullptr),
      OSSL_PARAM_END,
  };
  return kParams;
}

int providerGetParams(void* /*provctx*/, OSSL_PARAM params[]) {
  OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME);
  if (p != nullptr && !OSSL_PARAM_set_utf8_ptr(p, "vtps intel-ipsec-mb AES-GCM")) return 0;
  p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION);
  if (p != nullptr && !OSSL_PARAM_set_utf8_ptr(p, imb_get_version_str())) return 0;
  p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS);
  if (p != nullptr && !OSSL_PARAM_set_int(p, 1)) return 0;
  return 1;
}

void providerTeardown(void* provctx) {
  delete static_cast<ipsecmb::ProviderContext*>(provctx);
}

const OSSL_DISPATCH kProviderFunctions[] = {
    fn(OSSL_FUNC_PROVIDER_TEARDOWN, providerTeardown),
    fn(OSSL_FUNC_PROVIDER_QUERY_OPERATION, providerQuery),
    fn(OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, providerGettableParams),
    fn(OSSL_FUNC_PROVIDER_GET_PARAMS, providerGetParams),
    {0, nullptr},
};

int providerInit(const OSSL_CORE_HANDLE* handle, const OSSL_DISPATCH* in, const OSSL_DISPATCH** out,
                 void** provctx) {
  if (ipsecmb::manager() == nullptr) return 0;
  OSSL_FUNC_core_get_libctx_fn* get_libctx = nullptr;
  for (; in->function_id != 0; ++in) {
    if (in->function_id == OSSL_FUNC_CORE_GET_LIBCTX) get_libctx = OSSL_FUNC_core_get_libctx(in);
  }
  if (get_libctx == nullptr) return 0;
  auto* ctx = new (std::nothrow) ipsecmb::ProviderContext;
  if (ctx == nullptr) return 0;
  // A built-in provider shares libcrypto with the application, so the core's context is the
  // application's OSSL_LIB_CTX (provider-base(7)); the ciphers draw random IVs from it.
  ctx->libctx = reinterpret_cast<OSSL_LIB_CTX*>(get_libctx(handle));
  *provctx = ctx;
  *out = kProviderFunctions;
  return 1;
}

}  // namespace

Result<IpsecMbInfo> ipsecMbInfo() {
  IMB_MGR* m = ipsecmb::manager();
  if (m == nullptr) {
    return makeError(
        fmt::format("initialise intel-ipsec-mb {}: the manager could not be "
                    "allocated or the library's self-test failed",
                    imb_get_version_str()));
  }
  IpsecMbInfo info;
  info.libraryVersion = imb_get_version_str();
  info.arch = archName(m->used_arch);
  info.vaes = m->used_arch == IMB_ARCH_AVX512 && (m->features & IMB_FEATURE_VAES) != 0 &&
              (m->features & IMB_FEATURE_VPCLMULQDQ) != 0;
  info.preferredByDefault = info.vaes;
  return info;
}

Status loadIpsecMbProvider(OSSL_LIB_CTX* libctx) {
  const std::string op = fmt::format("load provider {}", kIpsecMbProviderName);
  Result<IpsecMbInfo> info = ipsecMbInfo();
  if (!info.ok()) return Error{op + ": " + info.message()};
  return loadBuiltinProvider(libctx, kIpsecMbProviderName, providerInit);
}

void unloadIpsecMbProvider(OSSL_LIB_CTX* libctx) {
  unloadBuiltinProvider(libctx, kIpsecMbProviderName);
}

Status preferIpsecMbProvider(OSSL_LIB_CTX* libctx) {
  const std::string op = fmt::format("prefer provider {}", kIpsecMbProviderName);
  if (OSSL_PROVIDER_available(libctx, kIpsecMbProviderName) != 1) {
    return makeError(op + ": not loaded in this library context; call loadIpsecMbProvider first");
  }
  if (EVP_set_default_properties(libctx, kIpsecMbPreferQuery) != 1) {
    return ossl::error(op, "EVP_set_default_properties");
  }
  return Status::success();
}

IpsecMbCounters ipsecMbCounters() {
  const ipsecmb::SharedCounters& c = ipsecmb::sharedCounters();
  IpsecMbCounters out;
  out.contexts = c.contexts.load(std::memory_order_relaxed);
  out.bytesSealed = c.bytesSealed.load(std::memory_order_relaxed);
  out.bytesOpened = c.bytesOpened.load(std::memory_order_relaxed);
  out.tlsRecords = c.tlsRecords.load(std::memory_order_relaxed);
  out.tagFailures = c.tagFailures.load(std::memory_order_relaxed);
  return out;
}

}  // namespace vtps::accel
