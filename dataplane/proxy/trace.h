// Debug tracing in the manner of SRX trace options: a level (brief, detail, extensive, verbose)
// and flags (configuration, termination, initiation, proxy), optionally narrowed to the sessions
// of one profile, set at run time (`vtpsctl debug trace ...`) and off by default. Off costs one
// relaxed atomic load per trace point; the message is only built when the point is on.
//
// Levels: brief — one line per session milestone (accept, decision, close); detail — adds the
// ClientHello, upstream connect and close reasons; extensive — handshake results on both legs;
// verbose — every relay step with byte counts.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtps::proxy {

enum class TraceLevel : uint8_t { kOff = 0, kBrief = 1, kDetail = 2, kExtensive = 3, kVerbose = 4 };
enum class TraceFlag : uint8_t {
  kConfiguration = 1,
  kTermination = 2,
  kInitiation = 4,
  kProxy = 8,
};

struct TraceOptions {
  TraceLevel level = TraceLevel::kOff;
  uint8_t flags = 0;    // TraceFlag bits
  std::string profile;  // empty: every profile
};

struct TraceEvent {
  TraceFlag flag = TraceFlag::kProxy;
  TraceLevel level = TraceLevel::kBrief;
  std::string session;  // "CLIENT:PORT -> SERVER:PORT", empty for configuration events
  std::string profile;
  std::string message;
};

std::string_view toString(TraceLevel level);
std::string_view toString(TraceFlag flag);
std::optional<TraceLevel> parseTraceLevel(std::string_view s);
std::optional<TraceFlag> parseTraceFlag(std::string_view s);
// "configuration,proxy" for the set bits, "none" for 0.
std::string flagNames(uint8_t flags);

class Tracer {
 public:
  using Sink = std::function<void(const TraceEvent&)>;

  // The process's tracer (the proxy workers and the control thread share it).
  static Tracer& instance();

  // Whether a point of this flag and level may emit. A session point also checks the profile
  // (wants()); configuration points have none.
  bool on(TraceFlag flag, TraceLevel level) const {
    uint32_t s = state_.load(std::memory_order_relaxed);
    return (s & static_cast<uint32_t>(flag)) != 0 && (s >> 8) >= static_cast<uint32_t>(level);
  }
  bool wants(TraceFlag flag, TraceLevel level, std::string_view profile) const;

  void emit(TraceEvent event) const;

  // Control thread only. The sink receives events on any thread and must not block.
  void configure(const TraceOptions& options);
  TraceOptions options() const;
  void setSink(Sink sink);
  uint64_t emitted() const { return emitted_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint32_t> state_{0};  // flags in bits 0-7, level in bits 8-15
  std::atomic<std::shared_ptr<const std::string>> profile_{std::make_shared<const std::string>()};
  std::atomic<std::shared_ptr<const Sink>> sink_;
  mutable std::atomic<uint64_t> emitted_{0};
};

// One trace point outside any session (configuration events).
template <typename MessageFn>
inline void traceEvent(TraceFlag flag, TraceLevel level, MessageFn&& message) {
  const Tracer& t = Tracer::instance();
  if (!t.on(flag, level)) return;
  t.emit(TraceEvent{flag, level, std::string(), std::string(), message()});
}

// One session trace point: `message` (a callable returning std::string) runs only when the point
// is on for the session's profile. Before the policy decision a session has no profile yet, so a
// profile-narrowed trace starts at the decision.
template <typename Context, typename MessageFn>
inline void traceSession(TraceFlag flag, TraceLevel level, const Context& ctx,
                         MessageFn&& message) {
  const Tracer& t = Tracer::instance();
  if (!t.on(flag, level) || !t.wants(flag, level, ctx.profile)) return;
  t.emit(TraceEvent{flag, level,
                    ctx.client_address + ":" + std::to_string(ctx.client_port) + " -> " +
                        ctx.server_address + ":" + std::to_string(ctx.server_port),
                    ctx.profile, message()});
}

}  // namespace vtps::proxy
