// Scenario files: TOML with units inside values, `include` of shared parts, templates of guests and mdevs,
// overrides from the command line and from experiment files, and errors located at file:line:column (or at the
// --set flag). Everything the simulation relies on is checked here, before any engine exists.

#include "analysis/sha256.hpp"
#include "analysis/time_series.hpp"
#include "models/config_node.hpp"
#include "models/suggest.hpp"
#include "models/units.hpp"
#include "sim/scenario/control_loader.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/topology.hpp"

#include <cmath>
#include <set>
#include <sstream>
#include <toml++/toml.h>

namespace apq {

namespace {

namespace fs = std::filesystem;

constexpr const char* kExperimentSections[] = {"compare", "sweep", "plan", "explore"};

[[noreturn]] void fail_at(const toml::source_region& where, const fs::path& fallback, const std::string& message) {
  throw ConfigError(location_of(where, fallback.string()), message);
}

toml::table parse_toml(std::string_view text, const std::string& name) {
  try {
    return toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    fail_at(e.source(), name, std::string(e.description()));
  }
}

/** Reads and parses one scenario file; `included_from` locates errors at the include that names it. */
toml::table parse_toml_file(const fs::path& file, std::uintmax_t max_bytes, const std::string& included_from = {}) {
  return parse_toml(read_config_file(file, max_bytes, included_from, "scenario file"), file.string());
}

/** Fills `dst` with what `src` has and `dst` lacks; tables merge key by key, `dst` wins everywhere else. */
void merge_under(toml::table& dst, toml::table& src) {
  for (auto&& [key, value] : src) {
    toml::node* mine = dst.get(key.str());
    if (mine == nullptr)
      dst.insert(key, std::move(value));
    else if (mine->is_table() && value.is_table())
      merge_under(*mine->as_table(), *value.as_table());
  }
}

/** [limits] include_bytes of the file itself, read before its includes (which it bounds). */
std::uintmax_t include_limit(const toml::table& table) {
  const auto* limits = table.get_as<toml::table>("limits");
  const toml::node* value = limits ? limits->get("include_bytes") : nullptr;
  if (value == nullptr)
    return Limits{}.include_bytes;
  const auto bytes = value->value<int64_t>();
  if (!bytes || *bytes < 1)
    throw ConfigError(location_of(*value), "limits.include_bytes: expected a positive integer (bytes)");
  return static_cast<std::uintmax_t>(*bytes);
}

/** Applies `include = "file"` or `include = [...]`: later includes override earlier ones, the file overrides all. */
void resolve_includes(toml::table& table, const fs::path& file, std::vector<fs::path>& chain,
                      std::uintmax_t max_bytes) {
  toml::node* include = table.get("include");
  if (include == nullptr)
    return;
  std::vector<std::pair<fs::path, toml::source_region>> files;
  auto add = [&](const toml::node& node) {
    auto name = node.value<std::string>();
    if (!name || name->empty())
      fail_at(node.source(), file, "include: expected a file name or an array of file names");
    files.emplace_back((fs::path(file).parent_path() / *name).lexically_normal(), node.source());
  };
  if (const auto* array = include->as_array())
    for (const auto& node : *array)
      add(node);
  else
    add(*include);
  table.erase("include");
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    const fs::path canonical = fs::weakly_canonical(it->first);
    for (const fs::path& seen : chain)
      if (seen == canonical)
        fail_at(it->second, file, "include cycle: " + it->first.string() + " includes itself");
    if (chain.size() > 32)
      fail_at(it->second, file, "includes nested more than 32 deep");
    toml::table part = parse_toml_file(it->first, max_bytes, location_of(it->second, file.string()));
    chain.push_back(canonical);
    resolve_includes(part, it->first, chain, max_bytes);
    chain.pop_back();
    merge_under(table, part);
  }
}

// ---- overrides ---------------------------------------------------------------------------------------------------

/** The value of an override as a TOML node that carries the place it is written: parsed at the same line and
 *  column of the same file for a value from an experiment file, under the name "--set PATH=VALUE" for the command
 *  line (locations then print the flag alone). */
toml::table parse_override_value(const ConfigOverride& o, const std::string& origin) {
  const toml::source_region& at = o.value_origin;
  if (at.path && at.begin.line >= 2 && at.begin.column >= 1) {
    // The value as an array element on its own line: line and column as in the file, so every message about it
    // (and about what is inside an inline table, on that line) points where the user wrote it.
    std::string text(at.begin.line - 2, '\n');
    text += "value = [\n" + std::string(at.begin.column - 1, ' ') + o.value + "\n]\n";
    try {
      toml::table parsed = toml::parse(text, *at.path);
      toml::table out;
      out.insert("value", std::move(*parsed["value"].as_array()->get(0)));
      return out;
    } catch (const toml::parse_error&) {
      // Not a TOML value on its own: fall through, a bare word is a string.
    }
  }
  try {
    return toml::parse("value = " + o.value, origin);
  } catch (const toml::parse_error&) {
    std::string quoted; // a bare word: take it as a string
    for (char c : o.value)
      quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    try {
      return toml::parse("value = \"" + quoted + "\"", origin);
    } catch (const toml::parse_error& e) {
      throw ConfigError(origin, std::string(e.description()));
    }
  }
}

/** The names of the elements of an array of tables, for lookup by name and for messages. */
std::vector<std::string> element_names(const toml::array& array) {
  std::vector<std::string> names;
  for (const toml::node& element : array)
    if (const auto* table = element.as_table())
      if (auto name = (*table)["name"].value<std::string>())
        names.push_back(*name);
  return names;
}

/** Sets one key. Keys and values keep where they are written (the experiment file, or "--set PATH=VALUE") as their
 *  source, so that every later error about them points there. Array elements are addressed by index or by name. */
void apply_override(toml::table& root, const ConfigOverride& o) {
  const std::string origin = command_line_source(o.path, o.value);
  const toml::source_region key_source = [&] {
    if (o.path_origin.path)
      return o.path_origin;
    toml::source_region region;
    region.path = std::make_shared<const std::string>(origin);
    region.begin = region.end = {1, 1};
    return region;
  }();
  const std::string where = o.path_origin.path ? location_of(o.path_origin) : origin;
  auto fail = [&](const std::string& message) -> void { throw ConfigError(where, message); };
  toml::table parsed = parse_override_value(o, origin);

  std::vector<std::string> keys;
  for (std::size_t start = 0;;) {
    const std::size_t dot = o.path.find('.', start);
    keys.push_back(o.path.substr(start, dot - start));
    if (dot == std::string::npos)
      break;
    start = dot + 1;
  }
  std::string walked; // the path so far, for messages
  toml::node* at = &root;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::string& key = keys[i];
    if (key.empty())
      fail("empty key in path '" + o.path + "' (two dots, or a dot at an end)");
    const bool last = i + 1 == keys.size();
    if (auto* table = at->as_table()) {
      if (last) {
        table->insert_or_assign(toml::key(key, key_source), std::move(*parsed.get("value")));
        return;
      }
      toml::node* next = table->get(key);
      if (next == nullptr)
        next = &table->insert_or_assign(toml::key(key, key_source), toml::table{}).first->second;
      at = next;
    } else if (auto* array = at->as_array()) {
      toml::node* element = nullptr;
      if (!key.empty() && key.find_first_not_of("0123456789") == std::string::npos) {
        const std::size_t index = key.size() > 9 ? array->size() : std::stoul(key);
        if (index >= array->size())
          fail(walked + ": index " + key + " is past the end of an array of " + std::to_string(array->size()));
        element = array->get(index);
      } else {
        for (toml::node& candidate : *array)
          if (const auto* table = candidate.as_table(); table && (*table)["name"].value<std::string>() == key)
            element = &candidate;
        if (element == nullptr) {
          const std::vector<std::string> names = element_names(*array);
          std::string message = walked + ": no element named '" + key + "'";
          const std::string hint = did_you_mean(key, names);
          if (!hint.empty())
            message += "; " + hint;
          for (const std::string& name : names)
            if (has_placeholder(name)) {
              message += "; '" + name + "' is a template: a path through it sets every instance";
              break;
            }
          std::string list;
          for (const std::string& name : names)
            list += (list.empty() ? "" : ", ") + name;
          fail(message + (list.empty()   ? "; its elements have no names: use an index"
                          : hint.empty() ? "; names: " + list
                                         : " names: " + list));
        }
      }
      if (last)
        fail("cannot replace an element of " + walked + " as a whole: set its keys (" + o.path + ".KEY)");
      at = element;
    } else {
      fail("'" + walked + "' is a value, not a table or an array: it has no key '" + key + "'");
    }
    walked += (walked.empty() ? "" : ".") + key;
  }
}

// ---- tables of the scenario --------------------------------------------------------------------------------------

IdSet read_ids(const ConfigNode& node, std::string_view key, bool required) {
  const toml::node* raw = node.raw(key);
  if (raw == nullptr) {
    if (required)
      node.fail_missing(key, std::string("missing required key '") + std::string(key) + "' (ids like \"0x00-0x0f\")");
    return {};
  }
  IdSet ids;
  try {
    ids = parse_id_node(
        *raw, [&node](const std::string& text, const toml::node& value) { return node.substitute(text, value); });
  } catch (const std::invalid_argument& e) {
    node.fail(key, e.what());
  }
  if (required && ids.empty())
    node.fail(key, "no ids: give at least one, like \"0x00\" or \"0x00-0x0f\"");
  return ids;
}

/** A positive count or size of [limits]. */
double read_positive(const ConfigNode& limits, std::string_view key, double fallback, double most) {
  const double value = limits.number_or(key, fallback);
  if (!(value >= 1) || !(value <= most))
    limits.fail(key, "must be between 1 and " + units::format_number(most));
  return value;
}

Limits read_limits(const ConfigNode& root) {
  Limits limits;
  if (auto table = root.table_opt("limits")) {
    limits.in_flight =
        static_cast<uint64_t>(read_positive(*table, "in_flight", static_cast<double>(limits.in_flight), 1e12));
    limits.offered_events = read_positive(*table, "offered_events", limits.offered_events, 1e18);
    limits.admin_rate = table->rate_or("admin_rate", limits.admin_rate);
    if (!(limits.admin_rate > 0))
      table->fail("admin_rate", "must be more than 0/s");
    limits.admin_actors =
        static_cast<uint64_t>(read_positive(*table, "admin_actors", static_cast<double>(limits.admin_actors), 1e6));
    limits.replications = static_cast<int>(read_positive(*table, "replications", limits.replications, 1e7));
    limits.include_bytes = static_cast<std::uintmax_t>(
        read_positive(*table, "include_bytes", static_cast<double>(limits.include_bytes), 1e12));
    limits.template_count = static_cast<int>(read_positive(*table, "template_count", limits.template_count, 1e7));
    table->reject_unknown_keys();
  }
  return limits;
}

RunSettings read_run(const ConfigNode& root, const Limits& limits) {
  if (!root.has("run"))
    root.fail_missing("run", "missing [run] table (horizon, warmup, seed)");
  const ConfigNode run = root.table("run");
  RunSettings settings;
  settings.horizon = run.duration("horizon");
  if (settings.horizon <= 0)
    run.fail("horizon", "the horizon must be longer than 0s");
  if (run.has("warmup") && run.raw("warmup")->value<std::string>() == "mser5") {
    settings.detect_warmup = true;
  } else {
    settings.warmup = run.duration_or("warmup", 0.0);
    if (settings.warmup >= settings.horizon)
      run.fail("warmup", "the warm-up must end before the horizon");
  }
  settings.replications = static_cast<int>(run.integer_or("replications", 1));
  if (settings.replications < 1 || settings.replications > limits.replications)
    run.fail("replications", "must be between 1 and " + std::to_string(limits.replications) +
                                 " ([limits] replications: the results of every replication are held in memory)");
  settings.confidence = run.number_or("confidence", settings.confidence);
  if (!(settings.confidence > 0 && settings.confidence < 1))
    run.fail("confidence", "must be between 0 and 1, e.g. 0.95");
  settings.target_relative_error = run.number_or("target_relative_error", 0.0);
  if (!(settings.target_relative_error >= 0 && settings.target_relative_error < 1))
    run.fail("target_relative_error", "a relative error between 0 and 1, e.g. 0.05 for 5%");
  settings.target_metric = run.string_or("target_metric", settings.target_metric);
  settings.min_replications = static_cast<int>(run.integer_or("min_replications", settings.min_replications));
  if (settings.min_replications < 2)
    run.fail("min_replications", "at least 2: the stopping rule judges an interval");
  settings.max_replications = static_cast<int>(run.integer_or("max_replications", 100));
  if (settings.max_replications < settings.replications)
    run.fail("max_replications", "must be at least replications");
  if (settings.target_relative_error > 0 && settings.max_replications < settings.min_replications)
    run.fail("max_replications", "must be at least min_replications (" + std::to_string(settings.min_replications) +
                                     ") when target_relative_error is set");
  if (run.has("series_window")) {
    settings.series_window = run.duration("series_window");
    if (!(settings.series_window > 0))
      run.fail("series_window", "must be longer than 0s");
    if (settings.horizon / settings.series_window > kMaxSeriesWindows)
      run.fail("series_window", "gives more than 100000 windows over the horizon; take a longer window");
  }
  if (settings.max_replications > limits.replications)
    run.fail("max_replications", "must be at most " + std::to_string(limits.replications) + " ([limits] replications)");
  const int64_t seed = run.integer_or("seed", 1);
  if (seed < 0)
    run.fail("seed", "the seed must be a non-negative integer");
  settings.seed = static_cast<uint64_t>(seed);
  if (const toml::node* expect = run.raw("expect")) {
    static const std::vector<std::string> kViolations = {"deadlock", "lock_order_inversion", "stolen_queue",
                                                         "kernel_bug"};
    const auto* array = expect->as_array();
    if (array == nullptr)
      run.fail("expect",
               "expected an array of violation names: deadlock, lock_order_inversion, stolen_queue, kernel_bug");
    for (const auto& item : *array) {
      auto name = item.value<std::string>();
      if (!name || std::find(kViolations.begin(), kViolations.end(), *name) == kViolations.end())
        run.fail_at(item, "run.expect: " + unknown_name_message("violation", name.value_or("?"), kViolations));
      settings.expect.push_back(*name);
    }
  }
  return settings; // [run] also holds the strategy: its unknown keys are rejected once the control plane read it
}

HostMasks read_host(const ConfigNode& root) {
  HostMasks masks;
  if (auto host = root.table_opt("host")) {
    masks.apmask = read_ids(*host, "apmask", false);
    masks.aqmask = read_ids(*host, "aqmask", false);
    host->reject_unknown_keys();
  }
  return masks;
}

std::vector<CardSpec> read_cards(const ConfigNode& root) {
  std::vector<CardSpec> cards;
  std::set<int> seen;
  if (!root.has("cards"))
    root.fail_missing("cards", "no [[cards]]: a scenario needs at least one crypto card");
  for (const ConfigNode& table : root.tables("cards")) {
    const IdSet ids = read_ids(table, "ids", true);
    const IdSet domains = read_ids(table, "domains", true);
    auto type = std::make_shared<const CardType>(make_card_type(table));
    table.reject_unknown_keys();
    for (int adapter : ids.ids()) {
      if (!seen.insert(adapter).second)
        table.fail("ids", "adapter " + hex_id(adapter) + " is configured twice");
      cards.push_back(CardSpec{adapter, type, domains, table.where("ids")});
    }
  }
  if (cards.empty())
    root.fail("no [[cards]]: a scenario needs at least one crypto card");
  return cards;
}

/** The instances of a table of [[guests]] or [[mdevs]]: itself, or with `count = N` its N instances, in which
 *  {i} (and {i+K}, {K*i+M}) stand for 0..N-1. */
std::vector<ConfigNode> instances(const ConfigNode& table, const Limits& limits) {
  if (!table.has("count"))
    return {table};
  const int64_t count = table.integer("count");
  if (count < 1 || count > limits.template_count)
    table.fail("count",
               "must be between 1 and " + std::to_string(limits.template_count) + " ([limits] template_count)");
  const toml::node* name = table.raw("name");
  if (count > 1 && name != nullptr && name->is_string() && !has_placeholder(name->as_string()->get()))
    table.fail("name", "a template with count = " + std::to_string(count) +
                           " needs {i} in its name, e.g. \"vm-{i}\" (instances are numbered from 0)");
  std::vector<ConfigNode> out;
  for (int64_t i = 0; i < count; ++i)
    out.push_back(table.instance(i, table.path() + "{i=" + std::to_string(i) + "}"));
  return out;
}

MdevSpec read_matrix(const ConfigNode& table, std::string name) {
  MdevSpec mdev;
  mdev.name = std::move(name);
  mdev.adapters = read_ids(table, "adapters", true);
  mdev.domains = read_ids(table, "domains", true);
  mdev.control_domains = read_ids(table, "control_domains", false);
  mdev.where = table.where("adapters");
  return mdev;
}

CompletionSpec read_completion(const ConfigNode& guest, double horizon) {
  CompletionSpec completion;
  if (auto table = guest.table_opt("completion")) {
    const std::string mode = table->string_or("mode", "interrupt");
    if (mode == "interrupt")
      completion.mode = CompletionSpec::Mode::interrupt;
    else if (mode == "polling")
      completion.mode = CompletionSpec::Mode::polling;
    else
      table->fail("mode", unknown_name_message("completion mode", mode, {"interrupt", "polling"}));
    completion.delay = table->duration_or("delay", completion.delay);
    if (completion.delay >= horizon)
      table->fail("delay", "the completion delay " + units::format_duration(completion.delay) +
                               " is not shorter than the horizon " + units::format_duration(horizon) +
                               ": no reply would ever be collected");
    completion.poll_interval = table->duration_or("poll_interval", completion.poll_interval);
    if (completion.poll_interval <= 0)
      table->fail("poll_interval", "the poll interval must be longer than 0s");
    if (completion.mode == CompletionSpec::Mode::polling && completion.poll_interval >= horizon)
      table->fail("poll_interval", "the poll interval " + units::format_duration(completion.poll_interval) +
                                       " is not shorter than the horizon " + units::format_duration(horizon) +
                                       ": no reply would ever be collected");
    table->reject_unknown_keys();
  }
  return completion;
}

struct GuestTables {
  std::vector<GuestSpec> guests;
  std::vector<MdevSpec> mdevs;
};

GuestTables read_guests(const ConfigNode& root, const RunSettings& run, const Limits& limits) {
  GuestTables out;
  const std::vector<ConfigNode> mdev_tables = root.has("mdevs") ? root.tables("mdevs") : std::vector<ConfigNode>{};
  std::set<std::string> mdev_names;
  for (const ConfigNode& table : mdev_tables) {
    for (const ConfigNode& instance : instances(table, limits)) {
      out.mdevs.push_back(read_matrix(instance, instance.string("name")));
      if (!mdev_names.insert(out.mdevs.back().name).second)
        instance.fail("name", "mdev '" + out.mdevs.back().name + "' is defined twice");
    }
    table.reject_unknown_keys();
  }
  std::vector<std::string> named_mdevs; // in order: index i is out.mdevs[i]
  for (const MdevSpec& mdev : out.mdevs)
    named_mdevs.push_back(mdev.name);
  std::vector<std::string> mdev_owner(out.mdevs.size());
  std::set<std::string> names;
  if (!root.has("guests"))
    root.fail_missing("guests", "no [[guests]]: a scenario needs at least one guest sending requests");
  for (const ConfigNode& table : root.tables("guests")) {
    for (const ConfigNode& instance : instances(table, limits)) {
      GuestSpec guest;
      guest.name = instance.string("name");
      guest.where = instance.where("name");
      if (guest.name.empty())
        instance.fail("name", "a guest needs a name");
      if (!names.insert(guest.name).second)
        instance.fail("name", "guest '" + guest.name + "' is defined twice");
      if (instance.has("mdev")) {
        const std::string mdev = instance.string("mdev");
        for (std::size_t i = 0; i < named_mdevs.size(); ++i)
          if (named_mdevs[i] == mdev)
            guest.mdev = static_cast<int>(i);
        if (guest.mdev < 0)
          instance.fail("mdev", named_mdevs.empty() ? "no [[mdevs]] named '" + mdev + "': there are no [[mdevs]]"
                                                    : unknown_name_message("mdev", mdev, named_mdevs));
        if (!mdev_owner[guest.mdev].empty())
          instance.fail("mdev", "mdev '" + mdev + "' is already attached to guest '" + mdev_owner[guest.mdev] + "'");
        mdev_owner[guest.mdev] = guest.name;
        if (instance.has("adapters") || instance.has("domains"))
          instance.fail("adapters", "give either mdev = \"...\" or adapters/domains, not both");
      } else {
        out.mdevs.push_back(read_matrix(instance, guest.name));
        mdev_owner.push_back(guest.name);
        guest.mdev = static_cast<int>(out.mdevs.size() - 1);
      }
      if (!instance.has("arrival"))
        instance.fail_missing("arrival",
                              "missing required table 'arrival' (e.g. { process = \"poisson\", rate = \"1k/s\" })");
      guest.arrival = make_arrival_process(instance.table("arrival"));
      guest.ops = OperationMix::from_config(instance);
      guest.completion = read_completion(instance, run.horizon);
      guest.scan_interval = instance.duration_or("scan_interval", guest.scan_interval);
      if (guest.scan_interval <= 0)
        instance.fail("scan_interval", "the scan interval must be longer than 0s");
      guest.cfg_change_notify = instance.boolean_or("cfg_change_notify", false);
      out.guests.push_back(std::move(guest));
    }
    table.reject_unknown_keys();
  }
  if (out.guests.empty())
    root.fail("no [[guests]]: a scenario needs at least one guest sending requests");
  return out;
}

/** The checks vfio_ap makes at assignment time, plus ours: every guest can send every operation it uses. */
void check_topology(const Scenario& scenario) {
  const HostConfig host(scenario);
  for (std::size_t i = 0; i < scenario.mdevs.size(); ++i) {
    const MdevSpec& mdev = scenario.mdevs[i];
    for (int a : mdev.adapters.ids())
      for (int d : mdev.domains.ids())
        if (scenario.host.reserves(a, d))
          throw ConfigError(mdev.where, "mdev '" + mdev.name + "' assigns queue " + apqn_name(a, d) +
                                            ", which [host] apmask/aqmask reserve for host drivers (-EADDRNOTAVAIL)");
    for (std::size_t j = 0; j < i; ++j) {
      const MdevSpec& other = scenario.mdevs[j];
      const IdSet a = mdev.adapters & other.adapters, d = mdev.domains & other.domains;
      if (!a.empty() && !d.empty())
        throw ConfigError(mdev.where, "queue " + apqn_name(a.ids().front(), d.ids().front()) +
                                          " is assigned to mdev '" + other.name + "' and to mdev '" + mdev.name +
                                          "' (-EADDRINUSE: an AP queue belongs to one mdev)");
    }
  }
  for (const GuestSpec& guest : scenario.guests) {
    const MdevSpec& mdev = scenario.mdevs[guest.mdev];
    const Apcb apcb = filter_matrix(mdev, host);
    if (apcb.queue_count() == 0) {
      std::string why;
      if ((mdev.adapters & host.qci().adapters).empty())
        why = "none of its adapters " + mdev.adapters.str() + " is a configured card";
      else if ((mdev.domains & host.qci().domains).empty())
        why = "none of its domains " + mdev.domains.str() + " is configured on any card";
      else
        why = "every assigned adapter lacks one of the domains " + (mdev.domains & host.qci().domains).str() +
              " (an adapter with a missing queue is filtered out whole)";
      throw ConfigError(guest.where, "guest '" + guest.name + "' has no usable AP queue: " + why);
    }
    for (const auto& [op, weight] : guest.ops.weights()) {
      bool supported = false;
      for (int a : apcb.adapters.ids())
        supported = supported || scenario.find_card(a)->type->supports(op);
      if (!supported)
        throw ConfigError(guest.where, "guest '" + guest.name + "' sends " + std::string(operation_name(op)) +
                                           " but none of its adapters " + apcb.adapters.str() + " supports it");
    }
  }
}

/** The run must end: what the horizon offers (arrivals, poll ticks, scans, admin operations) is bounded by
 *  [limits] offered_events, and the random admins' total rate by [limits] admin_rate. */
void check_offered_work(const Scenario& scenario, const ConfigNode& root) {
  const double horizon = scenario.run.horizon;
  double events = 0;
  std::string biggest;
  double biggest_events = -1;
  auto count = [&](double n, const std::string& what) {
    events += n;
    if (n > biggest_events)
      biggest_events = n, biggest = what;
  };
  for (const GuestSpec& guest : scenario.guests) {
    const double rate = guest.arrival->mean_rate();
    count(rate * horizon, "guest " + guest.name + ": " + units::format_rate(rate) + " of requests for " +
                              units::format_duration(horizon));
    if (guest.completion.mode == CompletionSpec::Mode::polling) // at most: a tick only when replies wait
      count(horizon / guest.completion.poll_interval,
            "guest " + guest.name + ": a poll every " + units::format_duration(guest.completion.poll_interval));
  }
  double admin_rate = 0;
  for (const RandomAdmin& admin : scenario.control.random) {
    admin_rate += admin.rate;
    count(admin.rate * (std::min(admin.stop, horizon) - admin.start),
          "admin " + admin.name + ": " + units::format_rate(admin.rate) + " of operations");
  }
  const ConfigNode run = root.table("run");
  if (!(events <= scenario.limits.offered_events))
    run.fail("horizon",
             "the run would offer about " + units::format_number(std::round(events)) +
                 " events (arrivals, poll ticks, scans, admin operations; the most from " + biggest +
                 "), more than [limits] offered_events = " + units::format_number(scenario.limits.offered_events) +
                 " (about 1e9 take minutes): shorten the horizon or lower the rates, or raise the limit "
                 "(--set limits.offered_events=...)");
  if (admin_rate > scenario.limits.admin_rate) {
    const auto& admins = scenario.control.random;
    const auto top = std::max_element(admins.begin(), admins.end(),
                                      [](const RandomAdmin& a, const RandomAdmin& b) { return a.rate < b.rate; });
    throw ConfigError(top->where, "reconfig.random: the admins together run " + units::format_rate(admin_rate) +
                                      " of operations, more than [limits] admin_rate = " +
                                      units::format_rate(scenario.limits.admin_rate) +
                                      " (each operation is a simulated thread with its own stack; blocked ones pile "
                                      "up): lower the rates or raise the limit (--set limits.admin_rate=...)");
  }
}

Scenario build(toml::table table, const fs::path& file, const std::vector<ConfigOverride>& overrides) {
  std::vector<fs::path> chain{fs::weakly_canonical(file)};
  resolve_includes(table, file, chain, include_limit(table));
  // An experiment file is a scenario plus its design ([compare], [sweep], [plan], [explore]), read by the experiment
  // commands: it is not part of the scenario a run simulates, nor of its hash.
  for (const char* section : kExperimentSections)
    table.erase(section);
  for (const ConfigOverride& o : overrides)
    apply_override(table, o);
  Scenario scenario;
  scenario.file = file;
  std::ostringstream canonical;
  canonical << toml::toml_formatter{table};
  scenario.resolved_toml = canonical.str();
  scenario.config_sha256 = sha256_hex(scenario.resolved_toml);

  const ConfigNode root(table, "", file.string());
  scenario.limits = read_limits(root);
  scenario.run = read_run(root, scenario.limits);
  scenario.host = read_host(root);
  scenario.cards = read_cards(root);
  GuestTables guests = read_guests(root, scenario.run, scenario.limits);
  scenario.mdevs = std::move(guests.mdevs);
  scenario.guests = std::move(guests.guests);
  scenario.control = read_control(root, scenario);
  root.table("run").reject_unknown_keys();
  root.reject_unknown_keys();
  check_topology(scenario);
  check_offered_work(scenario, root);
  return scenario;
}

} // namespace

int Scenario::find_mdev(std::string_view name) const {
  for (std::size_t i = 0; i < mdevs.size(); ++i)
    if (mdevs[i].name == name)
      return static_cast<int>(i);
  return -1;
}

int Scenario::find_guest(std::string_view name) const {
  for (std::size_t i = 0; i < guests.size(); ++i)
    if (guests[i].name == name)
      return static_cast<int>(i);
  return -1;
}

int Scenario::guest_of_mdev(int mdev) const {
  for (std::size_t i = 0; i < guests.size(); ++i)
    if (guests[i].mdev == mdev)
      return static_cast<int>(i);
  return -1;
}

const CardSpec* Scenario::find_card(int adapter) const {
  for (const CardSpec& card : cards)
    if (card.adapter == adapter)
      return &card;
  return nullptr;
}

toml::table load_resolved_table(const fs::path& file) {
  toml::table table = parse_toml_file(file, Limits{}.include_bytes);
  std::vector<fs::path> chain{fs::weakly_canonical(file)};
  resolve_includes(table, file, chain, include_limit(table));
  return table;
}

Scenario load_scenario(const fs::path& file, const std::vector<ConfigOverride>& overrides) {
  return build(parse_toml_file(file, Limits{}.include_bytes), file, overrides);
}

Scenario load_scenario_text(std::string_view text, const fs::path& name, const std::vector<ConfigOverride>& overrides) {
  return build(parse_toml(text, name.string()), name, overrides);
}

} // namespace apq
