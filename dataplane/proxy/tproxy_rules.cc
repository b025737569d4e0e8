#include "dataplane/proxy/tproxy_rules.h"

#include <fmt/format.h>
#include <net/if.h>
#include <nftables/libnftables.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "dataplane/proxy/rtnetlink.h"

namespace vtps::proxy {
namespace {

struct NftCtxDeleter {
  void operator()(nft_ctx* ctx) const { nft_ctx_free(ctx); }
};
using NftCtxPtr = std::unique_ptr<nft_ctx, NftCtxDeleter>;

constexpr size_t kMaxTableName = 32;

std::string tableRef(const TproxySettings& settings) {
  return "inet " + settings.table;
}

// libnftables' error buffer without the caret lines that point into the script: one line per
// message, joined so that it fits a log entry.
std::string nftErrorText(const char* buffer) {
  std::string out;
  std::string_view rest = buffer != nullptr ? buffer : "";
  while (!rest.empty()) {
    size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
    if (line.find_first_not_of(" \t^~") == std::string_view::npos) continue;
    if (!out.empty()) out += "; ";
    out += line;
  }
  return out.empty() ? "unknown error" : out;
}

// Runs one nft script (one transaction). On success returns nft's output (listings). A
// transaction the kernel refused as interrupted is run again (TproxyRules::interrupted).
Result<std::string> runNft(const std::string& script, std::string_view what) {
  constexpr int kAttempts = 3;
  std::string error;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    NftCtxPtr ctx(nft_ctx_new(NFT_CTX_DEFAULT));
    if (!ctx) return makeError(fmt::format("{}: nft_ctx_new failed", what));
    if (nft_ctx_buffer_output(ctx.get()) != 0 || nft_ctx_buffer_error(ctx.get()) != 0) {
      return makeError(fmt::format("{}: cannot buffer libnftables output", what));
    }
    if (nft_run_cmd_from_buffer(ctx.get(), script.c_str()) == 0) {
      const char* out = nft_ctx_get_output_buffer(ctx.get());
      return std::string(out != nullptr ? out : "");
    }
    error = nftErrorText(nft_ctx_get_error_buffer(ctx.get()));
    if (!TproxyRules::interrupted(error)) break;
  }
  return makeError(fmt::format("{}: libnftables: {}", what, error));
}

std::string cidrText(uint32_t address, int prefix) {
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  uint32_t net = address & mask;
  return fmt::format("{}.{}.{}.{}/{}", net >> 24, (net >> 16) & 0xff, (net >> 8) & 0xff, net & 0xff,
                     prefix);
}

std::string portsText(const TproxyTuple& t) {
  return t.port_first == t.port_last ? fmt::format("{}", t.port_first)
                                     : fmt::format("{}-{}", t.port_first, t.port_last);
}

// Every mark the rules set, established_mark first, each once.
std::vector<uint32_t> marksOf(const TproxySettings& settings,
                              const std::vector<TproxyTuple>& tuples) {
  std::vector<uint32_t> marks{settings.established_mark};
  for (const TproxyTuple& t : tuples) {
    if (std::find(marks.begin(), marks.end(), t.mark) == marks.end()) marks.push_back(t.mark);
  }
  return marks;
}

FwmarkRule ruleFor(const TproxySettings& settings, uint32_t mark) {
  return FwmarkRule{mark, 0xffffffff, settings.route_table, settings.rule_priority, {}};
}

Result<int> loopbackIndex() {
  unsigned index = if_nametoindex("lo");
  if (index == 0) return makeError("no loopback interface lo");
  return static_cast<int>(index);
}

// Adds the ip rules for `tuples`' marks, then deletes our rules (same table and priority) whose
// mark is no longer used. With `keep_none`, every rule of ours goes.
Status syncRules(RtNetlink& nl, const TproxySettings& settings,
                 const std::vector<TproxyTuple>& tuples, bool keep_none) {
  std::vector<uint32_t> marks = keep_none ? std::vector<uint32_t>{} : marksOf(settings, tuples);
  for (uint32_t mark : marks) {
    VTPS_RETURN_IF_ERROR(nl.addRule(ruleFor(settings, mark)));
  }
  auto existing = nl.listFwmarkRules();
  if (!existing) return existing.error();
  for (const FwmarkRule& rule : *existing) {
    bool ours = rule.table == settings.route_table && rule.priority == settings.rule_priority;
    bool wanted =
        rule.mask == 0xffffffff && std::find(marks.begin(), marks.end(), rule.mark) != marks.end();
    if (ours && !wanted) VTPS_RETURN_IF_ERROR(nl.deleteRule(rule));
  }
  return {};
}

// Opens rtnetlink and makes sure the local route and the rules for `tuples`' marks exist.
Result<RtNetlink> openWithRouting(const TproxySettings& settings,
                                  const std::vector<TproxyTuple>& tuples) {
  auto lo = loopbackIndex();
  if (!lo) return lo.error();
  auto nl = RtNetlink::open();
  if (!nl) return nl.error();
  VTPS_RETURN_IF_ERROR(nl->addLocalDefaultRoute(settings.route_table, *lo));
  VTPS_RETURN_IF_ERROR(syncRules(*nl, settings, tuples, false));
  return nl;
}

}  // namespace

Status TproxyRules::validate(const TproxySettings& settings,
                             const std::vector<TproxyTuple>& tuples) {
  const std::string& name = settings.table;
  bool name_ok = !name.empty() && name.size() <= kMaxTableName &&
                 std::isalpha(static_cast<unsigned char>(name[0])) != 0 &&
                 std::all_of(name.begin(), name.end(), [](char c) {
                   return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
                 });
  if (!name_ok) {
    return makeError(fmt::format(
        "table name '{}' is invalid (letters, digits, '_', starting with a letter, <= 32)", name));
  }
  if (settings.established_mark == 0) return makeError("established_mark must not be 0");
  if (settings.route_table == 0 || (settings.route_table >= 252 && settings.route_table <= 255)) {
    // 0 is unspec; 252-255 are the kernel's compat, default, main and local tables.
    return makeError(fmt::format("route_table {} is reserved", settings.route_table));
  }
  for (size_t i = 0; i < tuples.size(); ++i) {
    const TproxyTuple& t = tuples[i];
    if (t.prefix < 0 || t.prefix > 32) {
      return makeError(fmt::format("tuple {}: prefix /{} is outside 0..32", i + 1, t.prefix));
    }
    if (t.port_first == 0 || t.port_first > t.port_last) {
      return makeError(
          fmt::format("tuple {}: port range {}-{} is empty", i + 1, t.port_first, t.port_last));
    }
    if (t.listener_port == 0) return makeError(fmt::format("tuple {}: listener port is 0", i + 1));
    if (t.mark == 0) return makeError(fmt::format("tuple {}: mark must not be 0", i + 1));
    bool iif_ok = t.iif.size() < 16 && std::all_of(t.iif.begin(), t.iif.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
                           c == '-' || c == '.';
                  });
    if (!iif_ok) {
      return makeError(fmt::format("tuple {}: interface name '{}' is invalid", i + 1, t.iif));
    }
  }
  return {};
}

std::string TproxyRules::script(const TproxySettings& settings,
                                const std::vector<TproxyTuple>& tuples) {
  std::string table = tableRef(settings);
  std::string s = fmt::format("add table {0}\ndelete table {0}\nadd table {0} {{\n", table);
  s += "  chain prerouting {\n";
  s += "    type filter hook prerouting priority mangle; policy accept;\n";
  s += fmt::format("    meta l4proto tcp socket transparent 1 meta mark set {:#x} accept\n",
                   settings.established_mark);
  for (const TproxyTuple& t : tuples) {
    // Traffic addressed to the appliance itself (management, metrics) is never diverted.
    std::string match =
        t.prefix == 0 ? "meta nfproto ipv4" : "ip daddr " + cidrText(t.address, t.prefix);
    if (!t.iif.empty()) match = fmt::format("iifname \"{}\" {}", t.iif, match);
    s += fmt::format(
        "    {} tcp dport {} fib daddr type != local tproxy ip to 127.0.0.1:{} "
        "meta mark set {:#x} accept\n",
        match, portsText(t), t.listener_port, t.mark);
  }
  s += "  }\n}\n";
  return s;
}

bool TproxyRules::interrupted(std::string_view nft_error) {
  return nft_error.find("Interrupted system call") != std::string_view::npos;
}

Result<TproxyRules> TproxyRules::install(TproxySettings settings, std::vector<TproxyTuple> tuples) {
  std::string what = fmt::format("install TPROXY rules (table {})", tableRef(settings));
  if (auto st = validate(settings, tuples); !st) {
    return makeError(fmt::format("{}: {}", what, st.message()));
  }
  // Routing first: a packet marked before its route exists would be routed as usual.
  auto nl = openWithRouting(settings, tuples);
  if (!nl) return makeError(fmt::format("{}: {}", what, nl.message()));
  auto applied = runNft(script(settings, tuples), what);
  if (!applied) return applied.error();
  return TproxyRules(std::move(settings), std::move(tuples));
}

Status TproxyRules::replace(std::vector<TproxyTuple> tuples) {
  std::string what = fmt::format("replace TPROXY rules (table {})", tableRef(settings_));
  if (auto st = validate(settings_, tuples); !st) {
    return makeError(fmt::format("{}: {}", what, st.message()));
  }
  // Rules for new marks must exist before the chain sets them; stale ones go afterwards.
  std::vector<TproxyTuple> both = tuples_;
  both.insert(both.end(), tuples.begin(), tuples.end());
  auto nl = openWithRouting(settings_, both);
  if (!nl) return makeError(fmt::format("{}: {}", what, nl.message()));
  auto applied = runNft(script(settings_, tuples), what);
  if (applied) tuples_ = std::move(tuples);
  // On failure the old table is still in place (one transaction): drop the new marks' rules.
  if (auto st = syncRules(*nl, settings_, tuples_, false); !st && applied) {
    return makeError(fmt::format("{}: {}", what, st.message()));
  }
  return applied ? Status{} : Status{applied.error()};
}

Status TproxyRules::remove() {
  std::string table = tableRef(settings_);
  std::string what = fmt::format("remove TPROXY rules (table {})", table);
  // "add" first makes the delete succeed when the table is already gone.
  auto removed = runNft(fmt::format("add table {0}\ndelete table {0}\n", table), what);
  if (!removed) return removed.error();
  Status routing = [&]() -> Status {
    auto lo = loopbackIndex();
    if (!lo) return lo.error();
    auto nl = RtNetlink::open();
    if (!nl) return nl.error();
    VTPS_RETURN_IF_ERROR(syncRules(*nl, settings_, {}, true));
    return nl->deleteLocalDefaultRoute(settings_.route_table, *lo);
  }();
  if (!routing) return makeError(fmt::format("{}: {}", what, routing.message()));
  return {};
}

Result<std::string> TproxyRules::listTable() const {
  std::string table = tableRef(settings_);
  return runNft("list table " + table + "\n", fmt::format("list TPROXY table {}", table));
}

}  // namespace vtps::proxy
