// include/agora/names.h over the codecs: each check is the parser the node itself uses.
#include "agora/names.h"

#include "base/bytes.h"
#include "codec/cid.h"
#include "codec/multiaddr.h"
#include "codec/peer_id.h"
#include "public/content_path.h"
#include "unixfs/profile.h"

namespace agora {

Status validate_multiaddr(std::string_view text) {
  AGORA_TRY(Multiaddr::parse(text));
  return {};
}

Status validate_peer_id(std::string_view text) {
  AGORA_TRY(PeerId::parse(text));
  return {};
}

Status validate_peer_target(std::string_view text) {
  if (text.starts_with("/")) return validate_multiaddr(text);
  if (PeerId::parse(text)) return {};
  return make_error(Errc::invalid_input, "'" + std::string(text) +
                                             "' is neither a multiaddr (/ip4/.../tcp/.../p2p/...) "
                                             "nor a peer id (12D3...)");
}

Status validate_cid(std::string_view text) {
  AGORA_TRY(Cid::parse(text));
  return {};
}

Status validate_content_path(std::string_view text) {
  AGORA_TRY(parse_content_path(text));
  return {};
}

Status validate_block_codec(std::string_view codec) {
  if (codec != "raw" && codec != "dag-pb")
    return make_error(Errc::invalid_input, "codec must be raw or dag-pb");
  return {};
}

Result<std::vector<uint8_t>> decode_hex(std::string_view hex) { return from_hex(hex); }

Status validate_profile(std::string_view name) {
  AGORA_TRY(unixfs::profile_by_name(name));
  return {};
}

}  // namespace agora
