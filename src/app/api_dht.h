// The DHT half of the local HTTP API: status, routing table, findpeer, findprovs, get, put and a
// lookup that streams every step (see docs/api.md).
#pragma once

#include <string>

#include "base/bytes.h"
#include "node/node.h"

namespace httplib {
class Server;
}

namespace agora {

void add_dht_routes(httplib::Server& server, Node& node);

// A DHT key from the command line: `/pk/<peer id>` (a public-key record), a peer id or a CID
// (their multihash: the keys of FIND_NODE and GET_PROVIDERS). Records accept only /pk/ keys.
Result<Bytes> parse_dht_key(std::string_view text, bool record_key);
// The readable form of a key: `/pk/<peer id>` when it is one, else hex.
std::string dht_key_text(BytesView key);

}  // namespace agora
