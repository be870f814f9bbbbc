// Reading and writing swarm.key.
#include "store/swarm_key.h"

#include <algorithm>

#include "crypto/random.h"
#include "store/file_util.h"

namespace agora::store {
namespace {

constexpr std::string_view kHeader = "/key/swarm/psk/1.0.0/";
constexpr std::string_view kBase16 = "/base16/";
constexpr std::string_view kBase64 = "/base64/";
constexpr std::string_view kBin = "/bin/";

// Splits off the first line (without its \n or \r\n); `rest` is what follows the newline.
std::string_view take_line(std::string_view& text, bool& had_newline) {
  size_t nl = text.find('\n');
  had_newline = nl != std::string_view::npos;
  std::string_view line = text.substr(0, nl);
  text = had_newline ? text.substr(nl + 1) : std::string_view{};
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// A short, printable rendering of what was found, for error messages.
std::string shown(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return "'" + out + (s.size() > 40 ? "...'" : "'");
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// RFC 4648 standard alphabet; padding optional.
Result<Bytes> base64_decode(std::string_view s) {
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  Bytes out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v = base64_value(c);
    if (v < 0) return make_error(Errc::invalid_input, std::string("'") + c + "' is not base64");
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(uint8_t(acc >> bits));
    }
  }
  return out;
}

}  // namespace

std::string encode_swarm_key_file(const pnet::PreSharedKey& key) {
  return std::string(kHeader) + "\n" + std::string(kBase16) + "\n" + to_hex(key.bytes) + "\n";
}

Result<pnet::PreSharedKey> decode_swarm_key_file(std::string_view text,
                                                 std::string_view source_name) {
  auto fail = [&](int line, const std::string& what, Errc code = Errc::invalid_input) {
    return make_error(code, std::string(source_name) + ":" + std::to_string(line) + ": " + what);
  };
  if (text.empty())
    return fail(1, "the file is empty; expected '" + std::string(kHeader) + "' (a swarm key)");
  bool nl = false;
  std::string_view header = take_line(text, nl);
  if (header != kHeader)
    return fail(1, "expected '" + std::string(kHeader) + "', found " + shown(header) +
                       " (not a libp2p swarm key file)");
  std::string_view encoding = take_line(text, nl);
  if (!nl && encoding.empty()) return fail(2, "the file ends before the encoding line");
  Bytes key;
  if (encoding == kBin) {
    // Raw bytes: exactly 32, optionally followed by one newline.
    if (text.size() == pnet::kPskBytes + 1 && text.back() == '\n') text.remove_suffix(1);
    if (text.size() != pnet::kPskBytes)
      return fail(3, "expected " + std::to_string(pnet::kPskBytes) + " raw key bytes after '" +
                         std::string(kBin) + "', found " + std::to_string(text.size()));
    pnet::PreSharedKey k;
    std::copy(text.begin(), text.end(), k.bytes.begin());
    return k;
  }
  std::string_view value = trim(take_line(text, nl));
  if (size_t extra = text.find_first_not_of(" \t\r\n"); extra != std::string_view::npos) {
    int line = 4 + int(std::count(text.begin(), text.begin() + extra, '\n'));
    return fail(line, "unexpected text after the key: " + shown(text.substr(extra)));
  }
  if (encoding == kBase16) {
    if (value.size() != 2 * pnet::kPskBytes)
      return fail(3, "expected " + std::to_string(2 * pnet::kPskBytes) +
                         " hex characters (a 32-byte key), found " + std::to_string(value.size()));
    auto bytes = from_hex(value);
    if (!bytes) return fail(3, "the key is not valid hex: " + bytes.error().message);
    key = std::move(*bytes);
  } else if (encoding == kBase64) {
    auto bytes = base64_decode(value);
    if (!bytes) return fail(3, "the key is not valid base64: " + bytes.error().message);
    if (bytes->size() != pnet::kPskBytes)
      return fail(3, "the base64 key decodes to " + std::to_string(bytes->size()) +
                         " bytes; a swarm key has 32");
    key = std::move(*bytes);
  } else {
    return fail(
        2, "unknown key encoding " + shown(encoding) + " (expected /base16/, /base64/ or /bin/)",
        Errc::unsupported);
  }
  pnet::PreSharedKey k;
  std::copy(key.begin(), key.end(), k.bytes.begin());
  return k;
}

pnet::PreSharedKey generate_swarm_key() {
  pnet::PreSharedKey k;
  crypto::random_bytes(k.bytes.data(), k.bytes.size());
  return k;
}

Result<std::optional<pnet::PreSharedKey>> load_swarm_key(const std::filesystem::path& repo) {
  std::filesystem::path path = repo / kSwarmKeyFile;
  auto text = read_file(path, kSwarmKeyFileBytesMax);
  if (!text) {
    if (text.error().code == Errc::not_found) return std::optional<pnet::PreSharedKey>{};
    return text.error();
  }
  AGORA_TRY(check_private_mode(path));
  AGORA_ASSIGN(pnet::PreSharedKey key, decode_swarm_key_file(*text, path.string()));
  return std::optional<pnet::PreSharedKey>(key);
}

}  // namespace agora::store
