// Scenario files: TOML with units inside values, `include` of shared parts, and errors located at
// file:line:column. Everything the simulation relies on is checked here, before any engine exists.

#include "analysis/sha256.hpp"
#include "analysis/time_series.hpp"
#include "models/config_node.hpp"
#include "sim/scenario/control_loader.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/topology.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

namespace apq {

namespace {

namespace fs = std::filesystem;

constexpr const char* kExperimentSections[] = {"compare", "sweep", "plan", "explore"};

std::string location(const toml::source_region& where, const fs::path& fallback) {
  std::ostringstream out;
  out << (where.path ? *where.path : fallback.string());
  if (where.begin.line > 0)
    out << ':' << where.begin.line << ':' << where.begin.column;
  return out.str();
}

[[noreturn]] void fail_at(const toml::source_region& where, const fs::path& fallback, const std::string& message) {
  throw ConfigError(location(where, fallback), message);
}

toml::table parse_toml(std::string_view text, const fs::path& name) {
  try {
    return toml::parse(text, name.string());
  } catch (const toml::parse_error& e) {
    fail_at(e.source(), name, std::string(e.description()));
  }
}

toml::table parse_toml_file(const fs::path& file, const toml::source_region& included_from) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const std::string message = "cannot read scenario file " + file.string();
    if (included_from.path) // point at the include that names it
      fail_at(included_from, file, message);
    throw ConfigError(file.string(), message);
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_toml(text.str(), file);
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

/** Applies `include = "file"` or `include = [...]`: later includes override earlier ones, the file overrides all. */
void resolve_includes(toml::table& table, const fs::path& file, std::vector<fs::path>& chain) {
  toml::node* include = table.get("include");
  if (include == nullptr)
    return;
  std::vector<std::pair<fs::path, toml::source_region>> files;
  auto add = [&](const toml::node& node) {
    auto name = node.value<std::string>();
    if (!name)
      fail_at(node.source(), file, "include: expected a file name or an array of file names");
    files.emplace_back(fs::path(file).parent_path() / *name, node.source());
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
    toml::table part = parse_toml_file(it->first, it->second);
    chain.push_back(canonical);
    resolve_includes(part, it->first, chain);
    chain.pop_back();
    merge_under(table, part);
  }
}

/** Sets one key; the value keeps "--set PATH" as its source so that errors about it name the flag. */
void apply_override(toml::table& root, const ConfigOverride& o) {
  const std::string origin = "--set " + o.path;
  auto fail = [&](const std::string& message) -> void { throw ConfigError(origin, message); };
  toml::table parsed;
  try {
    parsed = toml::parse("value = " + o.value, origin);
  } catch (const toml::parse_error&) {
    std::string quoted; // a bare word: take it as a string
    for (char c : o.value)
      quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    try {
      parsed = toml::parse("value = \"" + quoted + "\"", origin);
    } catch (const toml::parse_error& e) {
      fail(std::string(e.description()));
    }
  }
  std::vector<std::string> keys;
  for (std::size_t start = 0;;) {
    const std::size_t dot = o.path.find('.', start);
    keys.push_back(o.path.substr(start, dot - start));
    if (dot == std::string::npos)
      break;
    start = dot + 1;
  }
  toml::node* at = &root;
  for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
    const std::string& key = keys[i];
    if (auto* table = at->as_table()) {
      toml::node* next = table->get(key);
      if (next == nullptr)
        next = &table->insert_or_assign(key, toml::table{}).first->second;
      at = next;
    } else if (auto* array = at->as_array()) {
      std::size_t index = 0;
      try {
        index = std::stoul(key);
      } catch (const std::exception&) {
        fail("'" + key + "' is not an array index");
      }
      if (index >= array->size())
        fail("index " + key + " is past the end of an array of " + std::to_string(array->size()));
      at = array->get(index);
    } else {
      fail("'" + key + "' is not a table or array in the scenario");
    }
  }
  auto* table = at->as_table();
  if (table == nullptr)
    fail("cannot set '" + keys.back() + "': its parent is not a table");
  table->insert_or_assign(keys.back(), std::move(*parsed.get("value")));
}

IdSet read_ids(const ConfigNode& node, std::string_view key, bool required) {
  const toml::node* raw = node.raw(key);
  if (raw == nullptr) {
    if (required)
      node.fail(std::string("missing required key '") + std::string(key) + "' (ids like \"0x00-0x0f\")");
    return {};
  }
  try {
    return parse_id_node(*raw);
  } catch (const std::invalid_argument& e) {
    node.fail(key, e.what());
  }
}

RunSettings read_run(const ConfigNode& root) {
  if (!root.has("run"))
    root.fail("missing [run] table (horizon, warmup, seed)");
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
  if (settings.replications < 1 || settings.replications > 100000)
    run.fail("replications", "must be between 1 and 100000");
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
  const int64_t seed = run.integer_or("seed", 1);
  if (seed < 0)
    run.fail("seed", "the seed must be a non-negative integer");
  settings.seed = static_cast<uint64_t>(seed);
  if (const toml::node* expect = run.raw("expect")) {
    static const std::set<std::string> kViolations = {"deadlock", "stolen_queue", "lock_order_inversion",
                                                      "kernel_bug"};
    const auto* array = expect->as_array();
    if (array == nullptr)
      run.fail("expect",
               "expected an array of violation names: deadlock, lock_order_inversion, stolen_queue, kernel_bug");
    for (const auto& item : *array) {
      auto name = item.value<std::string>();
      if (!name || !kViolations.contains(*name))
        run.fail_at(item,
                    "run.expect: unknown violation; valid: deadlock, lock_order_inversion, stolen_queue, kernel_bug");
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
  for (const ConfigNode& table : root.tables("cards")) {
    const IdSet ids = read_ids(table, "ids", true);
    const IdSet domains = read_ids(table, "domains", true);
    if (domains.empty())
      table.fail("domains", "a card needs at least one domain");
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

MdevSpec read_matrix(const ConfigNode& table, std::string name) {
  MdevSpec mdev;
  mdev.name = std::move(name);
  mdev.adapters = read_ids(table, "adapters", true);
  mdev.domains = read_ids(table, "domains", true);
  mdev.control_domains = read_ids(table, "control_domains", false);
  mdev.where = table.where("adapters");
  return mdev;
}

CompletionSpec read_completion(const ConfigNode& guest) {
  CompletionSpec completion;
  if (auto table = guest.table_opt("completion")) {
    const std::string mode = table->string_or("mode", "interrupt");
    if (mode == "interrupt")
      completion.mode = CompletionSpec::Mode::interrupt;
    else if (mode == "polling")
      completion.mode = CompletionSpec::Mode::polling;
    else
      table->fail("mode", "unknown completion mode '" + mode + "'; valid: interrupt, polling");
    completion.delay = table->duration_or("delay", completion.delay);
    completion.poll_interval = table->duration_or("poll_interval", completion.poll_interval);
    if (completion.poll_interval <= 0)
      table->fail("poll_interval", "the poll interval must be longer than 0s");
    table->reject_unknown_keys();
  }
  return completion;
}

struct GuestTables {
  std::vector<GuestSpec> guests;
  std::vector<MdevSpec> mdevs;
};

GuestTables read_guests(const ConfigNode& root) {
  GuestTables out;
  const std::vector<ConfigNode> mdev_tables = root.has("mdevs") ? root.tables("mdevs") : std::vector<ConfigNode>{};
  for (const ConfigNode& table : mdev_tables) {
    out.mdevs.push_back(read_matrix(table, table.string("name")));
    table.reject_unknown_keys();
  }
  std::vector<std::string> mdev_owner(out.mdevs.size());
  std::set<std::string> names;
  for (const ConfigNode& table : root.tables("guests")) {
    GuestSpec guest;
    guest.name = table.string("name");
    guest.where = table.where("name");
    if (!names.insert(guest.name).second)
      table.fail("name", "guest '" + guest.name + "' is defined twice");
    if (table.has("mdev")) {
      const std::string mdev = table.string("mdev");
      for (std::size_t i = 0; i < out.mdevs.size(); ++i)
        if (out.mdevs[i].name == mdev)
          guest.mdev = static_cast<int>(i);
      if (guest.mdev < 0)
        table.fail("mdev", "no [[mdevs]] named '" + mdev + "'");
      if (!mdev_owner[guest.mdev].empty())
        table.fail("mdev", "mdev '" + mdev + "' is already attached to guest '" + mdev_owner[guest.mdev] + "'");
      mdev_owner[guest.mdev] = guest.name;
      if (table.has("adapters") || table.has("domains"))
        table.fail("adapters", "give either mdev = \"...\" or adapters/domains, not both");
    } else {
      out.mdevs.push_back(read_matrix(table, guest.name));
      mdev_owner.push_back(guest.name);
      guest.mdev = static_cast<int>(out.mdevs.size() - 1);
    }
    if (!table.has("arrival"))
      table.fail("missing required table 'arrival' (e.g. { process = \"poisson\", rate = \"1k/s\" })");
    guest.arrival = make_arrival_process(table.table("arrival"));
    guest.ops = OperationMix::from_config(table);
    guest.completion = read_completion(table);
    guest.scan_interval = table.duration_or("scan_interval", guest.scan_interval);
    if (guest.scan_interval <= 0)
      table.fail("scan_interval", "the scan interval must be longer than 0s");
    guest.cfg_change_notify = table.boolean_or("cfg_change_notify", false);
    table.reject_unknown_keys();
    out.guests.push_back(std::move(guest));
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

Scenario build(toml::table table, const fs::path& file, const std::vector<ConfigOverride>& overrides) {
  std::vector<fs::path> chain{fs::weakly_canonical(file)};
  resolve_includes(table, file, chain);
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

  const ConfigNode root(table, "");
  scenario.run = read_run(root);
  scenario.host = read_host(root);
  scenario.cards = read_cards(root);
  GuestTables guests = read_guests(root);
  scenario.mdevs = std::move(guests.mdevs);
  scenario.guests = std::move(guests.guests);
  scenario.control = read_control(root, scenario);
  root.table("run").reject_unknown_keys();
  root.reject_unknown_keys();
  check_topology(scenario);
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
  toml::table table = parse_toml_file(file, {});
  std::vector<fs::path> chain{fs::weakly_canonical(file)};
  resolve_includes(table, file, chain);
  return table;
}

Scenario load_scenario(const fs::path& file, const std::vector<ConfigOverride>& overrides) {
  return build(parse_toml_file(file, {}), file, overrides);
}

Scenario load_scenario_text(std::string_view text, const fs::path& name, const std::vector<ConfigOverride>& overrides) {
  return build(parse_toml(text, name), name, overrides);
}

} // namespace apq
