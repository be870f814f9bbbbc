// Editing config.toml in place (set_bootstrap_in_config, store/config.h): the one value is
// replaced where toml++ says it stands, everything else of the file kept as written.
#include <toml++/toml.h>

#include <optional>

#include "store/config.h"
#include "store/config_text.h"

namespace agora::store {

namespace {

// Byte offset of a toml++ source position (1-based line, 1-based column in code points).
std::optional<size_t> offset_of(std::string_view text, toml::source_position pos) {
  size_t at = 0;
  for (uint32_t line = 1; line < pos.line; ++line) {
    at = text.find('\n', at);
    if (at == std::string_view::npos) return std::nullopt;
    ++at;
  }
  for (uint32_t column = 1; column < pos.column; ++column) {
    if (at >= text.size()) return std::nullopt;
    ++at;
    while (at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) ++at;
  }
  return at;
}

Result<std::string> replace_node(std::string_view text, const toml::node& node,
                                 const std::string& value) {
  auto begin = offset_of(text, node.source().begin);
  auto end = offset_of(text, node.source().end);
  if (!begin || !end || *end < *begin)
    return make_error(Errc::internal, "cannot locate the bootstrap list in the file");
  return std::string(text.substr(0, *begin)) + value + std::string(text.substr(*end));
}

}  // namespace

Result<std::string> set_bootstrap_in_config(std::string_view toml_text,
                                            std::string_view source_name,
                                            const std::vector<std::string>& bootstrap) {
  for (size_t i = 0; i < bootstrap.size(); ++i) {
    Status st = validate_bootstrap_addr(bootstrap[i]);
    if (!st.ok()) return make_error(Errc::invalid_input, bootstrap[i] + ": " + st.error().message);
  }
  AGORA_ASSIGN(Config expected, parse_config(toml_text, source_name));
  expected.discovery.bootstrap = bootstrap;
  toml::table root = toml::parse(toml_text, source_name);  // parse_config succeeded: no throw
  std::string value = toml_array(bootstrap);
  std::string out;
  const toml::table* discovery = root["discovery"].as_table();
  if (const toml::node* legacy = root.get("bootstrap")) {
    AGORA_ASSIGN(out, replace_node(toml_text, *legacy, value));
  } else if (discovery != nullptr && discovery->get("bootstrap") != nullptr) {
    AGORA_ASSIGN(out, replace_node(toml_text, *discovery->get("bootstrap"), value));
  } else if (discovery != nullptr && !discovery->is_inline()) {
    // Right under the [discovery] header line.
    auto header = offset_of(toml_text, discovery->source().begin);
    size_t eol = header ? toml_text.find('\n', *header) : std::string_view::npos;
    out = std::string(toml_text);
    if (eol == std::string_view::npos) {
      out += "\nbootstrap = " + value + "\n";
    } else {
      out.insert(eol + 1, "bootstrap = " + value + "\n");
    }
  } else if (discovery == nullptr) {
    out = std::string(toml_text);
    if (!out.empty() && out.back() != '\n') out += "\n";
    out +=
        "\n[discovery]\n# Peers dialled at startup and whenever connections fall below\n"
        "# connections.low_water. `agora bootstrap add|rm` edits this list.\nbootstrap = " +
        value + "\n";
  }
  auto back = out.empty() ? Result<Config>(make_error(Errc::unsupported, "no edit"))
                          : parse_config(out, source_name);
  if (!back.ok() || *back != expected)
    return make_error(Errc::unsupported,
                      std::string(source_name) +
                          ": cannot update the bootstrap list in this file's layout; set "
                          "[discovery] bootstrap by hand");
  return out;
}

}  // namespace agora::store
