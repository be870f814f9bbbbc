// include/agora/events.h over the recorder's own JSON reader, so a tool accepts exactly what the
// node writes.
#include "agora/events.h"

#include "observe/events.h"

namespace agora {

Result<EventView> parse_event(const nlohmann::json& event) {
  AGORA_ASSIGN(observe::Event e, observe::event_from_json(event));
  return EventView{e.seq,
                   observe::event_type_name(e.type),
                   observe::direction_name(e.direction),
                   e.peer,
                   e.addr,
                   e.protocol,
                   e.reason,
                   e.detail,
                   e.count,
                   e.wall_ns};
}

}  // namespace agora
