#include "sim/trace_csv.hpp"

#include "analysis/csv.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace apq {

namespace {

bool is_lock_event(const std::string& what) {
  return control_event_name(what).starts_with("lock_");
}

/** What the kernel called, for a lock request or release ("down_read"); "" for the other events. */
std::string lock_call(const std::string& what) {
  return what == "lock" || what == "down_read" || what == "down_write" || what == "unlock" || what == "up_read" ||
                 what == "up_write"
             ? what
             : std::string();
}

std::string seconds(double t) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9f", t);
  return text;
}

} // namespace

std::string control_event_name(const std::string& what) {
  static const std::map<std::string, std::string> names{{"start", "op_start"},          {"end", "op_end"},
                                                        {"lock", "lock_request"},       {"down_read", "lock_request"},
                                                        {"down_write", "lock_request"}, {"trylock", "lock_trylock"},
                                                        {"acquired", "lock_acquire"},   {"busy", "lock_busy"},
                                                        {"unlock", "lock_release"},     {"up_read", "lock_release"},
                                                        {"up_write", "lock_release"}};
  const auto it = names.find(what);
  return it == names.end() ? what : it->second;
}

TraceCsv::TraceCsv(OutputFile& out, std::vector<std::string> guests) : out_(out), guests_(std::move(guests)) {
  out_.write("time_s,event,guest,request,adapter,domain,actor,op,lock,detail,where\n");
}

void TraceCsv::request(const TraceEvent& e) {
  char line[256];
  const int n = std::snprintf(line, sizeof line, "%.9f,%s,%s,%llu,%d,%d,,,,,\n", e.time, trace_kind_name(e.kind).data(),
                              csv_field(guests_[e.guest]).c_str(), static_cast<unsigned long long>(e.request),
                              e.adapter, e.domain);
  out_.write(std::string_view(line, static_cast<std::size_t>(std::clamp(n, 0, static_cast<int>(sizeof line) - 1))));
}

void TraceCsv::control(const ControlEvent& e) {
  const bool lock = is_lock_event(e.what);
  out_.write(seconds(e.time) + "," + control_event_name(e.what) + ",,,,," + csv_field(e.actor) + "," + csv_field(e.op) +
             "," + (lock ? csv_field(e.detail) : std::string()) + "," +
             (lock ? lock_call(e.what) : csv_field(e.detail)) + "," + csv_field(e.where) + "\n");
}

} // namespace apq
