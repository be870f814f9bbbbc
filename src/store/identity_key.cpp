// Reading and writing the identity key file.
#include "store/identity_key.h"

#include <algorithm>
#include <optional>

#include "codec/peer_id.h"
#include "codec/protobuf.h"

namespace agora::store {
namespace {

constexpr std::string_view kKeyField = "ed25519-libp2p-private-key:";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

Bytes encode_private_key_proto(const crypto::Ed25519PrivateKey& key) {
  pb::Writer w;
  w.varint(1, uint64_t(KeyType::ed25519));
  w.bytes(2, key.to_libp2p_bytes());
  return w.take();
}

Result<crypto::Ed25519PrivateKey> decode_private_key_proto(BytesView pb) {
  pb::Reader r(pb);
  bool have_type = false;
  uint64_t type = 0;
  BytesView data;
  bool have_data = false;
  while (!r.done()) {
    AGORA_ASSIGN(pb::Field f, r.next());
    if (f.number == 1 && f.type == pb::kVarint && !have_type) {
      type = f.varint;
      have_type = true;
    } else if (f.number == 2 && f.type == pb::kLen && !have_data) {
      data = f.bytes;
      have_data = true;
    } else {
      return make_error(Errc::invalid_input,
                        "private key protobuf has an unexpected field " + std::to_string(f.number));
    }
  }
  if (!have_type || !have_data) {
    return make_error(Errc::invalid_input, "private key protobuf lacks its Type or Data field");
  }
  if (type != uint64_t(KeyType::ed25519)) {
    return make_error(Errc::unsupported,
                      "key type " + std::to_string(type) + " is not supported (only Ed25519)");
  }
  return crypto::Ed25519PrivateKey::from_libp2p_bytes(data);
}

std::string encode_identity_key_file(const crypto::Ed25519PrivateKey& key) {
  PeerId id = PeerId::from_public_key(
      {KeyType::ed25519, Bytes(key.public_key().begin(), key.public_key().end())});
  return "# agora identity key (Ed25519), keep secret\n"
         "# peer id: " +
         id.to_string() + "\n" + std::string(kKeyField) + " " +
         to_hex(encode_private_key_proto(key)) + "\n";
}

Result<crypto::Ed25519PrivateKey> decode_identity_key_file(std::string_view text,
                                                           std::string_view source_name) {
  auto fail = [&](size_t line, const std::string& what) {
    return make_error(Errc::invalid_input,
                      std::string(source_name) + ":" + std::to_string(line) + ": " + what);
  };
  std::optional<crypto::Ed25519PrivateKey> key;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    if (!line.starts_with(kKeyField)) {
      return fail(line_no, "expected '" + std::string(kKeyField) + " <hex>'");
    }
    if (key) return fail(line_no, "more than one key in the file");
    auto bytes = from_hex(trim(line.substr(kKeyField.size())));
    if (!bytes.ok()) return fail(line_no, "key is not valid hex: " + bytes.error().message);
    auto decoded = decode_private_key_proto(*bytes);
    if (!decoded.ok()) return fail(line_no, decoded.error().message);
    key = std::move(*decoded);
  }
  if (!key)
    return fail(std::max<size_t>(line_no, 1), "no '" + std::string(kKeyField) + "' line found");
  return std::move(*key);
}

}  // namespace agora::store
