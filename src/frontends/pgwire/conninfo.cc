#include "frontends/pgwire/conninfo.h"

#include <cctype>
#include <charconv>

namespace domicile::pgwire {
namespace {

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

}  // namespace

std::string ServerEndpoint::Describe() const {
  return host + ":" + std::to_string(port) + "/" + (dbname.empty() ? user : dbname);
}

Result<ServerEndpoint> ParseConninfo(std::string_view dsn) {
  ServerEndpoint ep;
  size_t i = 0;
  auto skip_space = [&] {
    while (i < dsn.size() && IsSpace(dsn[i])) ++i;
  };
  while (true) {
    skip_space();
    if (i >= dsn.size()) break;
    size_t key_start = i;
    while (i < dsn.size() && dsn[i] != '=' && !IsSpace(dsn[i])) ++i;
    std::string key(dsn.substr(key_start, i - key_start));
    skip_space();
    if (i >= dsn.size() || dsn[i] != '=') {
      return InvalidArgument("dsn: missing '=' after \"" + key + "\"");
    }
    ++i;
    skip_space();
    std::string value;
    if (i < dsn.size() && dsn[i] == '\'') {
      ++i;
      bool closed = false;
      while (i < dsn.size()) {
        char c = dsn[i++];
        if (c == '\\' && i < dsn.size()) {
          value += dsn[i++];
        } else if (c == '\'') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) return InvalidArgument("dsn: unterminated quoted value for \"" + key + "\"");
    } else {
      while (i < dsn.size() && !IsSpace(dsn[i])) {
        char c = dsn[i++];
        if (c == '\\' && i < dsn.size()) c = dsn[i++];
        value += c;
      }
    }
    if (key == "host" || key == "hostaddr") {
      if (!value.empty() && value.front() == '/') {
        return InvalidArgument("dsn: unix-socket hosts are not supported by the router yet (" +
                               value + "); use host=127.0.0.1");
      }
      ep.host = value;
    } else if (key == "port") {
      unsigned port = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), port);
      if (ec != std::errc() || end != value.data() + value.size() || port == 0 || port > 65535) {
        return InvalidArgument("dsn: bad port \"" + value + "\"");
      }
      ep.port = static_cast<uint16_t>(port);
    } else if (key == "dbname") {
      ep.dbname = value;
    } else if (key == "user") {
      ep.user = value;
    } else if (key == "password") {
      ep.password = value;
    } else if (key == "connect_timeout") {
      int seconds = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (ec != std::errc() || seconds < 0) {
        return InvalidArgument("dsn: bad connect_timeout \"" + value + "\"");
      }
      if (seconds > 0) ep.connect_timeout = std::chrono::seconds(seconds);
    }
  }
  if (ep.user.empty()) return InvalidArgument("dsn: needs user=");
  if (ep.dbname.empty()) ep.dbname = ep.user;
  return ep;
}

}  // namespace domicile::pgwire
