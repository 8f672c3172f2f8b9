// ParseStartupOptions: PostgreSQL's option-string splitting and -c/-- switch handling.
#include "frontends/pgwire/startup_options.h"

namespace domicile::pgwire {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::vector<std::string> SplitWords(std::string_view s) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    if (i == s.size()) break;
    std::string word;
    while (i < s.size() && !IsSpace(s[i])) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      word.push_back(s[i++]);
    }
    words.push_back(std::move(word));
  }
  return words;
}

Result<StartupSetting> ParseSetting(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return InvalidArgument("option '" + std::string(text) + "' is not of the form name=value");
  }
  StartupSetting s{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
  for (char& c : s.name) {
    if (c == '-') c = '_';
  }
  return s;
}

}  // namespace

Result<std::vector<StartupSetting>> ParseStartupOptions(std::string_view options) {
  std::vector<StartupSetting> settings;
  std::vector<std::string> words = SplitWords(options);
  for (size_t i = 0; i < words.size(); ++i) {
    std::string_view w = words[i];
    std::string_view text;
    if (w.starts_with("--")) {
      text = w.substr(2);
    } else if (w == "-c") {
      if (++i == words.size()) return InvalidArgument("option -c requires a name=value");
      text = words[i];
    } else if (w.starts_with("-c")) {
      text = w.substr(2);
    } else {
      return InvalidArgument("unsupported startup option '" + std::string(w) +
                             "': only -c name=value and --name=value are accepted");
    }
    Result<StartupSetting> s = ParseSetting(text);
    if (!s.ok()) return s.status();
    settings.push_back(std::move(s).value());
  }
  return settings;
}

std::string_view FindSetting(const std::vector<StartupSetting>& settings, std::string_view name) {
  for (auto it = settings.rbegin(); it != settings.rend(); ++it) {
    if (it->name == name) return it->value;
  }
  return {};
}

}  // namespace domicile::pgwire
