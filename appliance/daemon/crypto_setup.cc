#include "appliance/daemon/crypto_setup.h"

#include <fmt/format.h>

#include "crypto/accel/ipsecmb_provider.h"
#include "crypto/rng/cpu_seed_provider.h"

namespace vtps::daemon {

namespace {

Status installSeedSource(const config::Device& device, CryptoState& state) {
  if (device.seed_source == config::SeedSource::kOs) return {};
  // Without RDSEED and RDRAND the source still works (getrandom alone), so it is installed
  // anyway: the counters then show every request served by the OS, which is the truth.
  Status st = rng::installCpuSeedSource(nullptr);
  if (!st.ok()) return makeError("crypto: seed-source cpu: " + st.message());
  state.seed_source = config::SeedSource::kCpu;
  return {};
}

Status chooseAead(const config::Device& device, CryptoState& state) {
  state.aead_requested = device.aead_provider;
  if (device.aead_provider == config::AeadProvider::kOpenssl) {
    state.aead_reason = "device.crypto.aead is openssl";
    return {};
  }
  Result<accel::IpsecMbInfo> info = accel::ipsecMbInfo();
  const bool forced = device.aead_provider == config::AeadProvider::kIpsecMb;
  if (!info.ok()) {
    if (forced) return makeError("crypto: aead ipsec-mb: " + info.message());
    state.aead_reason = "intel-ipsec-mb unavailable: " + info.message();
    return {};
  }
  state.ipsecmb_version = info->libraryVersion;
  state.ipsecmb_arch = info->arch;
  state.ipsecmb_vaes = info->vaes;
  if (!forced && !info->preferredByDefault) {
    state.aead_reason = fmt::format(
        "intel-ipsec-mb's {} code path is not the one measured faster than OpenSSL (needs "
        "VAES and AVX-512)",
        info->arch);
    return {};
  }
  Status loaded = accel::loadIpsecMbProvider(nullptr);
  if (loaded.ok()) loaded = accel::preferIpsecMbProvider(nullptr);
  if (!loaded.ok()) {
    if (forced) return makeError("crypto: aead ipsec-mb: " + loaded.message());
    state.aead_reason = "loading intel-ipsec-mb failed: " + loaded.message();
    return {};
  }
  state.aead_in_use = "ipsec-mb";
  state.aead_reason = forced
                          ? "device.crypto.aead is ipsec-mb"
                          : fmt::format("intel-ipsec-mb {} with VAES measured faster", info->arch);
  return {};
}

std::string yesNo(bool b) {
  return b ? "yes" : "no";
}

}  // namespace

Result<CryptoState> setupProcessCrypto(const config::Device& device) {
  CryptoState state;
  state.cpu = accel::detectCpuFeatures();
  if (device.mode == config::DeviceMode::kPerformance)
    state.warnings = accel::performanceModeWarnings(state.cpu);
  VTPS_RETURN_IF_ERROR(installSeedSource(device, state));
  VTPS_RETURN_IF_ERROR(chooseAead(device, state));
  return state;
}

nlohmann::ordered_json describeCrypto(const CryptoState& state) {
  nlohmann::ordered_json cpu;
  cpu["vendor"] = state.cpu.vendor;
  cpu["brand"] = state.cpu.brand;
  cpu["hypervisor"] = state.cpu.hypervisor;
  nlohmann::ordered_json features = nlohmann::ordered_json::object();
  for (const accel::NamedFeature& f : accel::listCpuFeatures(state.cpu))
    features[std::string(f.name)] = f.present;
  cpu["features"] = std::move(features);

  nlohmann::ordered_json seed;
  seed["source"] = std::string(config::toString(state.seed_source));
  if (state.seed_source == config::SeedSource::kCpu) {
    rng::SeedSourceStatus s = rng::cpuSeedSourceStatus();
    seed["hardware"] = s.hardwareSource;
    seed["hardware_in_use"] = s.hardwareInUse;
    seed["requests"] = s.requests;
    seed["bytes"] = s.bytes;
    seed["hardware_bytes"] = s.hardwareBytes;
    seed["os_only_requests"] = s.osOnlyRequests;
    seed["health_failures"] = s.healthFailures;
    seed["last_event"] = s.lastEvent;
  }

  nlohmann::ordered_json aead;
  aead["configured"] = std::string(config::toString(state.aead_requested));
  aead["in_use"] = state.aead_in_use;
  aead["reason"] = state.aead_reason;
  if (!state.ipsecmb_version.empty()) {
    aead["ipsecmb_version"] = state.ipsecmb_version;
    aead["ipsecmb_arch"] = state.ipsecmb_arch;
    aead["ipsecmb_vaes"] = state.ipsecmb_vaes;
  }
  if (state.aead_in_use == "ipsec-mb") {
    accel::IpsecMbCounters c = accel::ipsecMbCounters();
    aead["contexts"] = c.contexts;
    aead["bytes_sealed"] = c.bytesSealed;
    aead["bytes_opened"] = c.bytesOpened;
    aead["tls12_records"] = c.tlsRecords;
    aead["tag_failures"] = c.tagFailures;
  }

  nlohmann::ordered_json out;
  out["cpu"] = std::move(cpu);
  out["seed"] = std::move(seed);
  out["aead"] = std::move(aead);
  out["warnings"] = state.warnings;
  return out;
}

std::string formatCrypto(const nlohmann::ordered_json& d) {
  std::string out;
  const auto& cpu = d.at("cpu");
  out += fmt::format("CPU:            {} {}{}\n", cpu.value("vendor", ""), cpu.value("brand", ""),
                     cpu.value("hypervisor", false) ? " (virtual machine)" : "");
  out += "CPU features:  ";
  for (const auto& [name, present] : cpu.at("features").items())
    out += fmt::format(" {}={}", name, yesNo(present.get<bool>()));
  out += "\n";
  const auto& seed = d.at("seed");
  out += fmt::format("Seed source:    {}", seed.value("source", ""));
  if (seed.contains("hardware")) {
    out += fmt::format(
        " (hardware {}, {}; {} requests, {} bytes mixed with hardware, {} OS only, {} "
        "health-test failures)",
        seed.value("hardware", ""), seed.value("hardware_in_use", false) ? "in use" : "not in use",
        seed.value("requests", 0ULL), seed.value("hardware_bytes", 0ULL),
        seed.value("os_only_requests", 0ULL), seed.value("health_failures", 0ULL));
  }
  out += "\n";
  const auto& aead = d.at("aead");
  out += fmt::format("AES-GCM (TLS):  {} (configured {}: {})\n", aead.value("in_use", ""),
                     aead.value("configured", ""), aead.value("reason", ""));
  if (aead.contains("ipsecmb_version")) {
    out += fmt::format("intel-ipsec-mb: {} {}{}\n", aead.value("ipsecmb_version", ""),
                       aead.value("ipsecmb_arch", ""),
                       aead.value("ipsecmb_vaes", false) ? " VAES" : "");
  }
  if (aead.contains("contexts")) {
    out += fmt::format(
        "Provider use:   {} contexts freed, {} bytes sealed, {} opened, {} tag "
        "failures (counted when a context is freed)\n",
        aead.value("contexts", 0ULL), aead.value("bytes_sealed", 0ULL),
        aead.value("bytes_opened", 0ULL), aead.value("tag_failures", 0ULL));
  }
  for (const auto& w : d.at("warnings"))
    out += "warning: " + w.get<std::string>() + "\n";
  return out;
}

}  // namespace vtps::daemon
