#include "sim/trace_csv.hpp"

#include "analysis/csv.hpp"

#include <cstdio>
#include <map>

namespace apq {

namespace {

bool is_lock_event(const std::string& what) {
  return what == "lock" || what == "acquired" || what == "busy" || what == "unlock";
}

} // namespace

std::string control_event_name(const std::string& what) {
  static const std::map<std::string, std::string> names{{"start", "op_start"},    {"end", "op_end"},
                                                        {"lock", "lock_request"}, {"acquired", "lock_acquire"},
                                                        {"busy", "lock_busy"},    {"unlock", "lock_release"}};
  const auto it = names.find(what);
  return it == names.end() ? what : it->second;
}

TraceCsv::TraceCsv(std::ostream& out, std::vector<std::string> guests) : out_(out), guests_(std::move(guests)) {
  out_ << "time_s,event,guest,request,adapter,domain,actor,op,lock,detail,where\n";
}

void TraceCsv::request(const TraceEvent& e) {
  char line[200];
  std::snprintf(line, sizeof line, "%.9f,%s,%s,%llu,%d,%d,,,,,\n", e.time, trace_kind_name(e.kind).data(),
                csv_field(guests_[e.guest]).c_str(), static_cast<unsigned long long>(e.request), e.adapter, e.domain);
  out_ << line;
}

void TraceCsv::control(const ControlEvent& e) {
  char time[32];
  std::snprintf(time, sizeof time, "%.9f", e.time);
  const bool lock = is_lock_event(e.what);
  out_ << time << ',' << control_event_name(e.what) << ",,,,," << csv_field(e.actor) << ',' << csv_field(e.op) << ','
       << (lock ? csv_field(e.detail) : std::string()) << ',' << (lock ? std::string() : csv_field(e.detail)) << ','
       << csv_field(e.where) << '\n';
}

} // namespace apq
