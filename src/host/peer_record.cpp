#include "host/peer_record.h"

namespace agora::host {

const char* peer_source_name(PeerSource source) {
  switch (source) {
    case PeerSource::mdns:
      return "mdns";
    case PeerSource::bootstrap:
      return "bootstrap";
    case PeerSource::dht:
      return "dht";
    case PeerSource::inbound:
      return "inbound";
    case PeerSource::manual:
      return "manual";
  }
  return "unknown";
}

std::vector<std::string> peer_source_names(uint32_t sources) {
  std::vector<std::string> out;
  for (PeerSource s : kAllPeerSources)
    if (sources & bit(s)) out.emplace_back(peer_source_name(s));
  return out;
}

}  // namespace agora::host
