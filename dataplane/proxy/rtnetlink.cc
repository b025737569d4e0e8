#include "dataplane/proxy/rtnetlink.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace vtps::proxy {
namespace {

std::string errnoText(int e) {
  return std::error_code(e, std::system_category()).message();
}

std::string ipv4Text(uint32_t host_order) {
  return fmt::format("{}.{}.{}.{}", host_order >> 24, (host_order >> 16) & 0xff,
                     (host_order >> 8) & 0xff, host_order & 0xff);
}

// Typed views into netlink buffers. The kernel aligns every message and attribute to 4 bytes
// and the buffers here are aligned for nlmsghdr; going through void* states that instead of
// the char* casts inside the NLMSG_NEXT/RTA_NEXT macros, which -Wcast-align rejects.
template <typename T>
T* viewAt(void* base, size_t offset) {
  return static_cast<T*>(static_cast<void*>(static_cast<char*>(base) + offset));
}

// The whole message at `off` in buf[0, len), or nullptr at the end or on a bad length.
nlmsghdr* messageAt(char* buf, size_t len, size_t off) {
  if (off + sizeof(nlmsghdr) > len) return nullptr;
  auto* h = viewAt<nlmsghdr>(buf, off);
  if (h->nlmsg_len < sizeof(nlmsghdr) || h->nlmsg_len > len - off) return nullptr;
  return h;
}

// The whole attribute at `off` in the attribute area [attrs, attrs + len), or nullptr.
rtattr* attrAt(void* attrs, size_t len, size_t off) {
  if (off + sizeof(rtattr) > len) return nullptr;
  auto* rta = viewAt<rtattr>(attrs, off);
  if (rta->rta_len < sizeof(rtattr) || rta->rta_len > len - off) return nullptr;
  return rta;
}

// One rtnetlink request: header, family header, attributes, in a fixed aligned buffer (the
// requests here are small and fixed in shape).
class Request {
 public:
  Request(uint16_t type, uint16_t flags) {
    hdr()->nlmsg_len = NLMSG_LENGTH(0);
    hdr()->nlmsg_type = type;
    hdr()->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  }
  nlmsghdr* hdr() { return viewAt<nlmsghdr>(buf_.data(), 0); }

  template <typename T>
  T* family() {
    auto* out = viewAt<T>(buf_.data(), hdr()->nlmsg_len);
    hdr()->nlmsg_len += NLMSG_ALIGN(sizeof(T));
    return out;
  }
  void attr32(uint16_t type, uint32_t value) {
    auto* rta = viewAt<rtattr>(buf_.data(), NLMSG_ALIGN(hdr()->nlmsg_len));
    rta->rta_type = type;
    rta->rta_len = RTA_LENGTH(sizeof(value));
    std::memcpy(RTA_DATA(rta), &value, sizeof(value));
    hdr()->nlmsg_len = NLMSG_ALIGN(hdr()->nlmsg_len) + RTA_ALIGN(rta->rta_len);
  }
  void attrString(uint16_t type, const std::string& value) {  // NUL-terminated, short
    auto* rta = viewAt<rtattr>(buf_.data(), NLMSG_ALIGN(hdr()->nlmsg_len));
    rta->rta_type = type;
    rta->rta_len = static_cast<unsigned short>(RTA_LENGTH(value.size() + 1));
    std::memcpy(RTA_DATA(rta), value.c_str(), value.size() + 1);
    hdr()->nlmsg_len = NLMSG_ALIGN(hdr()->nlmsg_len) + RTA_ALIGN(rta->rta_len);
  }

 private:
  alignas(nlmsghdr) std::array<char, 256> buf_{};
};

Request ruleRequest(uint16_t type, uint16_t flags, const FwmarkRule& rule) {
  Request req(type, flags);
  auto* frh = req.family<fib_rule_hdr>();
  frh->family = AF_INET;
  frh->action = FR_ACT_TO_TBL;
  frh->table = rule.table < 256 ? static_cast<uint8_t>(rule.table) : uint8_t{RT_TABLE_UNSPEC};
  req.attr32(FRA_PRIORITY, rule.priority);
  req.attr32(FRA_FWMARK, rule.mark);
  req.attr32(FRA_FWMASK, rule.mask);
  req.attr32(FRA_TABLE, rule.table);
  if (!rule.iif.empty()) req.attrString(FRA_IIFNAME, rule.iif);
  return req;
}

Request routeRequest(uint16_t type, uint16_t flags, uint32_t table, int ifindex) {
  Request req(type, flags);
  auto* rtm = req.family<rtmsg>();
  rtm->rtm_family = AF_INET;
  rtm->rtm_table = table < 256 ? static_cast<uint8_t>(table) : uint8_t{RT_TABLE_UNSPEC};
  rtm->rtm_protocol = RTPROT_STATIC;
  rtm->rtm_scope = RT_SCOPE_HOST;
  rtm->rtm_type = RTN_LOCAL;
  req.attr32(RTA_TABLE, table);
  req.attr32(RTA_OIF, static_cast<uint32_t>(ifindex));
  return req;
}

uint32_t attrU32(const rtattr* rta) {
  uint32_t v = 0;
  if (RTA_PAYLOAD(rta) >= sizeof(v)) std::memcpy(&v, RTA_DATA(rta), sizeof(v));
  return v;
}

}  // namespace

std::string FwmarkRule::str() const {
  return fmt::format("{}fwmark {:#x}/{:#x} lookup {} pref {}",
                     iif.empty() ? "" : "iif " + iif + " ", mark, mask, table, priority);
}

std::string Ipv4Route::str() const {
  return fmt::format("{}{}/{} dev {} table {}", local ? "local " : "", ipv4Text(destination),
                     prefix, ifindex, table);
}

Result<RtNetlink> RtNetlink::open() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) return makeError("open rtnetlink socket: " + errnoText(errno));
  // The kernel answers at once; the timeout only guards against waiting forever on a reply that
  // cannot come (a full socket buffer dropped it).
  timeval timeout{5, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    return makeError("bind rtnetlink socket: " + errnoText(errno));
  }
  return RtNetlink(std::move(fd));
}

// Sends one request with NLM_F_ACK and waits for its acknowledgement.
Status RtNetlink::transact(void* message, std::string_view what, int benign_errno,
                           int benign_errno2) {
  auto* hdr = static_cast<nlmsghdr*>(message);
  hdr->nlmsg_flags |= NLM_F_ACK;
  hdr->nlmsg_seq = ++seq_;
  if (::send(fd_.get(), hdr, hdr->nlmsg_len, 0) < 0) {
    return makeError(fmt::format("{}: send: {}", what, errnoText(errno)));
  }
  alignas(nlmsghdr) std::array<char, 8192> buf{};
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return makeError(fmt::format("{}: recv: {}", what, errnoText(errno)));
    auto len = static_cast<size_t>(n);
    for (size_t off = 0; nlmsghdr* h = messageAt(buf.data(), len, off);
         off += NLMSG_ALIGN(h->nlmsg_len)) {
      if (h->nlmsg_seq != seq_ || h->nlmsg_type != NLMSG_ERROR) continue;
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) {
        return makeError(fmt::format("{}: truncated netlink acknowledgement", what));
      }
      int err = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
      if (err == 0 || err == benign_errno || err == benign_errno2) return {};
      return makeError(fmt::format("{}: {}", what, errnoText(err)));
    }
  }
}

// Runs a dump request and returns the concatenated replies (whole, aligned netlink messages,
// NLMSG_DONE excluded).
Result<std::vector<char>> RtNetlink::dump(uint16_t type, std::string_view what) {
  Request req(type, NLM_F_DUMP);
  req.family<rtgenmsg>()->rtgen_family = AF_INET;
  req.hdr()->nlmsg_seq = ++seq_;
  if (::send(fd_.get(), req.hdr(), req.hdr()->nlmsg_len, 0) < 0) {
    return makeError(fmt::format("{}: send: {}", what, errnoText(errno)));
  }
  std::vector<char> out;
  alignas(nlmsghdr) std::array<char, 32768> buf{};
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return makeError(fmt::format("{}: recv: {}", what, errnoText(errno)));
    auto len = static_cast<size_t>(n);
    for (size_t off = 0; nlmsghdr* h = messageAt(buf.data(), len, off);
         off += NLMSG_ALIGN(h->nlmsg_len)) {
      if (h->nlmsg_seq != seq_) continue;
      if (h->nlmsg_type == NLMSG_DONE) return out;
      if ((h->nlmsg_flags & NLM_F_DUMP_INTR) != 0) {
        return makeError(fmt::format("{}: dump interrupted by a concurrent change", what));
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        int err = h->nlmsg_len >= NLMSG_LENGTH(sizeof(nlmsgerr))
                      ? -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error
                      : EPROTO;
        return makeError(fmt::format("{}: {}", what, errnoText(err)));
      }
      const char* start = reinterpret_cast<const char*>(h);
      out.insert(out.end(), start, start + NLMSG_ALIGN(h->nlmsg_len));
    }
  }
}

Status RtNetlink::addRule(const FwmarkRule& rule) {
  Request req = ruleRequest(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, rule);
  return transact(req.hdr(), "add ip rule " + rule.str(), EEXIST, EEXIST);
}

Status RtNetlink::deleteRule(const FwmarkRule& rule) {
  Request req = ruleRequest(RTM_DELRULE, 0, rule);
  return transact(req.hdr(), "delete ip rule " + rule.str(), ENOENT, ESRCH);
}

Result<std::vector<FwmarkRule>> RtNetlink::listFwmarkRules() {
  auto raw = dump(RTM_GETRULE, "list ip rules");
  if (!raw) return raw.error();
  std::vector<FwmarkRule> rules;
  for (size_t off = 0; nlmsghdr* h = messageAt(raw->data(), raw->size(), off);
       off += NLMSG_ALIGN(h->nlmsg_len)) {
    if (h->nlmsg_type != RTM_NEWRULE || h->nlmsg_len < NLMSG_SPACE(sizeof(fib_rule_hdr))) {
      continue;
    }
    const auto* frh = static_cast<const fib_rule_hdr*>(NLMSG_DATA(h));
    if (frh->family != AF_INET || frh->action != FR_ACT_TO_TBL) continue;
    FwmarkRule rule;
    rule.table = frh->table;
    bool has_mark = false;
    void* attrs = viewAt<char>(h, NLMSG_SPACE(sizeof(fib_rule_hdr)));
    size_t attr_len = h->nlmsg_len - NLMSG_SPACE(sizeof(fib_rule_hdr));
    for (size_t at = 0; rtattr* rta = attrAt(attrs, attr_len, at); at += RTA_ALIGN(rta->rta_len)) {
      switch (rta->rta_type) {
        case FRA_FWMARK:
          rule.mark = attrU32(rta);
          has_mark = true;
          break;
        case FRA_FWMASK:
          rule.mask = attrU32(rta);
          break;
        case FRA_TABLE:
          rule.table = attrU32(rta);
          break;
        case FRA_PRIORITY:
          rule.priority = attrU32(rta);
          break;
        case FRA_IIFNAME:
          rule.iif.assign(static_cast<const char*>(RTA_DATA(rta)),
                          strnlen(static_cast<const char*>(RTA_DATA(rta)), RTA_PAYLOAD(rta)));
          break;
        default:
          break;
      }
    }
    if (has_mark) rules.push_back(rule);
  }
  return rules;
}

Status RtNetlink::addLocalDefaultRoute(uint32_t table, int ifindex) {
  Request req = routeRequest(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, table, ifindex);
  return transact(req.hdr(),
                  fmt::format("add route local 0.0.0.0/0 dev {} table {}", ifindex, table), EEXIST,
                  EEXIST);
}

Status RtNetlink::deleteLocalDefaultRoute(uint32_t table, int ifindex) {
  Request req = routeRequest(RTM_DELROUTE, 0, table, ifindex);
  return transact(req.hdr(),
                  fmt::format("delete route local 0.0.0.0/0 dev {} table {}", ifindex, table),
                  ESRCH, ENOENT);
}

Result<std::vector<Ipv4Route>> RtNetlink::listRoutes(uint32_t table) {
  auto raw = dump(RTM_GETROUTE, fmt::format("list routes of table {}", table));
  if (!raw) return raw.error();
  std::vector<Ipv4Route> routes;
  for (size_t off = 0; nlmsghdr* h = messageAt(raw->data(), raw->size(), off);
       off += NLMSG_ALIGN(h->nlmsg_len)) {
    if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_SPACE(sizeof(rtmsg))) continue;
    const auto* rtm = static_cast<const rtmsg*>(NLMSG_DATA(h));
    if (rtm->rtm_family != AF_INET) continue;
    Ipv4Route route;
    route.table = rtm->rtm_table;
    route.prefix = rtm->rtm_dst_len;
    route.local = rtm->rtm_type == RTN_LOCAL;
    void* attrs = viewAt<char>(h, NLMSG_SPACE(sizeof(rtmsg)));
    size_t attr_len = h->nlmsg_len - NLMSG_SPACE(sizeof(rtmsg));
    for (size_t at = 0; rtattr* rta = attrAt(attrs, attr_len, at); at += RTA_ALIGN(rta->rta_len)) {
      if (rta->rta_type == RTA_TABLE) route.table = attrU32(rta);
      if (rta->rta_type == RTA_OIF) route.ifindex = static_cast<int>(attrU32(rta));
      if (rta->rta_type == RTA_DST) route.destination = ntohl(attrU32(rta));
    }
    if (route.table == table) routes.push_back(route);
  }
  return routes;
}

}  // namespace vtps::proxy

namespace vtps::proxy {

Status RtNetlink::addDefaultRouteVia(uint32_t table, int ifindex) {
  Request req = routeRequest(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, table, ifindex);
  auto* rtm = viewAt<rtmsg>(req.hdr(), NLMSG_LENGTH(0));
  rtm->rtm_scope = RT_SCOPE_LINK;
  rtm->rtm_type = RTN_UNICAST;
  return transact(req.hdr(), fmt::format("add route 0.0.0.0/0 dev {} table {}", ifindex, table),
                  EEXIST, EEXIST);
}

Status RtNetlink::deleteDefaultRouteVia(uint32_t table, int ifindex) {
  Request req = routeRequest(RTM_DELROUTE, 0, table, ifindex);
  auto* rtm = viewAt<rtmsg>(req.hdr(), NLMSG_LENGTH(0));
  rtm->rtm_scope = RT_SCOPE_NOWHERE;
  rtm->rtm_type = RTN_UNICAST;
  return transact(req.hdr(), fmt::format("delete route 0.0.0.0/0 dev {} table {}", ifindex, table),
                  ESRCH, ENODEV);
}

Status RtNetlink::setLinkUpNoArp(int ifindex) {
  Request req(RTM_NEWLINK, 0);
  auto* ifi = req.family<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  ifi->ifi_flags = IFF_UP | IFF_NOARP;
  ifi->ifi_change = IFF_UP | IFF_NOARP;
  return transact(req.hdr(), fmt::format("set link {} up, arp off", ifindex), 0, 0);
}

}  // namespace vtps::proxy
