// TproxyRules: hands the SSL tuples to the proxy's transparent listeners on the kernel data
// path. It owns one nftables table (family inet) whose prerouting chain TPROXYs every tuple to
// 127.0.0.1:listener_port and marks it, and the policy routing that delivers marked packets
// locally (`ip rule fwmark M lookup T`, `ip route local 0.0.0.0/0 dev lo table T`). nftables is
// driven through libnftables and routing through rtnetlink: nothing shells out.
//
// The chain follows the kernel's tproxy.rst pattern: packets of sockets that are already
// transparent (accepted sessions, and the upstream legs that bind the client's address) are
// marked and accepted first, so replies to those legs are delivered locally too.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/result.h"

namespace vtps::proxy {

// One diverted tuple: TCP to destination CIDR × port range goes to 127.0.0.1:listener_port.
// Plain values, independent of the config structs; the engine builds them from the proxies.
struct TproxyTuple {
  uint32_t address = 0;  // destination network, host byte order (host bits are ignored)
  int prefix = 0;        // 0..32; 0 means any destination (client proxies)
  uint16_t port_first = 0;
  uint16_t port_last = 0;
  uint16_t listener_port = 0;
  uint32_t mark = 1;  // non-zero; every mark gets an ip rule to route_table
  std::string iif;    // only packets arriving on this interface (`iifname`); empty: any
  bool operator==(const TproxyTuple&) const = default;
};

struct TproxySettings {
  std::string table = "vtps";     // nft table name ([A-Za-z][A-Za-z0-9_]*, <= 32 chars)
  uint32_t route_table = 100;     // routing table that holds `local 0.0.0.0/0 dev lo`
  uint32_t rule_priority = 100;   // preference of the ip rules (before `main`, 32766)
  uint32_t established_mark = 1;  // mark for packets of existing transparent sockets
};

class TproxyRules {
 public:
  // Installs the table (replacing a leftover one of the same name in the same transaction),
  // the ip rules and the local route. Invalid tuples are refused before anything is touched.
  // Errors name the step and carry libnftables' or the kernel's message, e.g.
  // "install TPROXY rules (table inet vtps): libnftables: Error: Could not process rule: ...".
  // After a failure the route and rules may remain; they are inert without the table (nothing
  // sets the marks) and the next install() or remove() converges.
  static Result<TproxyRules> install(TproxySettings settings, std::vector<TproxyTuple> tuples);

  // Swaps the tuples: the nft table is deleted and re-added in one transaction (no packet sees
  // a half-installed chain); ip rules for new marks are added before, stale ones removed after.
  // On failure the previous tuples stay in force.
  Status replace(std::vector<TproxyTuple> tuples);

  // Deletes the table, the ip rules (every rule at rule_priority that looks up route_table)
  // and the route. Idempotent: missing pieces are not an error. The destructor does not remove
  // anything; the daemon calls remove() on exit and reload.
  Status remove();

  // `nft list table inet NAME` through libnftables, for diagnostics.
  Result<std::string> listTable() const;

  const TproxySettings& settings() const { return settings_; }
  const std::vector<TproxyTuple>& tuples() const { return tuples_; }

  // The nft script install()/replace() run (after validate()).
  static std::string script(const TproxySettings& settings, const std::vector<TproxyTuple>& tuples);
  // Whether libnftables' error text says the kernel refused the transaction as interrupted
  // (EINTR, seen once in a reload on SIGHUP). An nftables transaction is atomic, so such a one
  // changed nothing, and install(), replace(), remove() and listTable() run it again, three
  // times in all, before they report the error.
  static bool interrupted(std::string_view nft_error);
  // Checks the settings and tuples, e.g. "tuple 2: port range 500-400 is empty".
  static Status validate(const TproxySettings& settings, const std::vector<TproxyTuple>& tuples);

 private:
  TproxyRules(TproxySettings settings, std::vector<TproxyTuple> tuples)
      : settings_(std::move(settings)), tuples_(std::move(tuples)) {}

  TproxySettings settings_;
  std::vector<TproxyTuple> tuples_;
};

}  // namespace vtps::proxy
