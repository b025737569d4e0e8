#include "dataplane/proxy/trace.h"

#include <array>
#include <utility>

namespace vtps::proxy {
namespace {

constexpr std::array<std::pair<TraceLevel, std::string_view>, 5> kLevels{{
    {TraceLevel::kOff, "off"},
    {TraceLevel::kBrief, "brief"},
    {TraceLevel::kDetail, "detail"},
    {TraceLevel::kExtensive, "extensive"},
    {TraceLevel::kVerbose, "verbose"},
}};
constexpr std::array<std::pair<TraceFlag, std::string_view>, 4> kFlags{{
    {TraceFlag::kConfiguration, "configuration"},
    {TraceFlag::kTermination, "termination"},
    {TraceFlag::kInitiation, "initiation"},
    {TraceFlag::kProxy, "proxy"},
}};

}  // namespace

std::string_view toString(TraceLevel level) {
  for (const auto& [l, name] : kLevels) {
    if (l == level) return name;
  }
  return "?";
}

std::string_view toString(TraceFlag flag) {
  for (const auto& [f, name] : kFlags) {
    if (f == flag) return name;
  }
  return "?";
}

std::optional<TraceLevel> parseTraceLevel(std::string_view s) {
  for (const auto& [l, name] : kLevels) {
    if (name == s) return l;
  }
  return std::nullopt;
}

std::optional<TraceFlag> parseTraceFlag(std::string_view s) {
  for (const auto& [f, name] : kFlags) {
    if (name == s) return f;
  }
  return std::nullopt;
}

std::string flagNames(uint8_t flags) {
  std::string out;
  for (const auto& [f, name] : kFlags) {
    if ((flags & static_cast<uint8_t>(f)) == 0) continue;
    if (!out.empty()) out += ",";
    out += name;
  }
  return out.empty() ? "none" : out;
}

Tracer& Tracer::instance() {
  static Tracer tracer;
  return tracer;
}

bool Tracer::wants(TraceFlag flag, TraceLevel level, std::string_view profile) const {
  if (!on(flag, level)) return false;
  std::shared_ptr<const std::string> only = profile_.load(std::memory_order_acquire);
  return only->empty() || *only == profile;
}

void Tracer::emit(TraceEvent event) const {
  std::shared_ptr<const Sink> sink = sink_.load(std::memory_order_acquire);
  if (!sink || !*sink) return;
  emitted_.fetch_add(1, std::memory_order_relaxed);
  (*sink)(event);
}

void Tracer::configure(const TraceOptions& options) {
  profile_.store(std::make_shared<const std::string>(options.profile), std::memory_order_release);
  uint32_t state = options.level == TraceLevel::kOff
                       ? 0
                       : (static_cast<uint32_t>(options.level) << 8) | options.flags;
  state_.store(state, std::memory_order_release);
}

TraceOptions Tracer::options() const {
  uint32_t s = state_.load(std::memory_order_acquire);
  TraceOptions o;
  o.level = static_cast<TraceLevel>(s >> 8);
  o.flags = static_cast<uint8_t>(s & 0xff);
  o.profile = *profile_.load(std::memory_order_acquire);
  return o;
}

void Tracer::setSink(Sink sink) {
  sink_.store(sink ? std::make_shared<const Sink>(std::move(sink)) : nullptr,
              std::memory_order_release);
}

}  // namespace vtps::proxy
