#include "sim/data_plane/trace.hpp"

namespace apq {

std::string_view trace_kind_name(TraceKind kind) {
  switch (kind) {
  case TraceKind::issue:
    return "issue";
  case TraceKind::send:
    return "send";
  case TraceKind::start:
    return "start";
  case TraceKind::done:
    return "done";
  case TraceKind::collect:
    return "collect";
  case TraceKind::fail:
    return "fail";
  case TraceKind::discard:
    return "discard";
  case TraceKind::retry:
    return "retry";
  }
  return "?";
}

} // namespace apq
