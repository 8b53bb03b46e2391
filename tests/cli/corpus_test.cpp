// The bad-input corpus: tests/corpus/cases/*.toml, one mistake a user makes per file. Each file ends with what
// apqsim must answer:
//   # args: run {file} --set ...   the command line ({file} is the case), default "check {file}"
//   # exit: 3                      the exit code, default 2 (usage or config error)
//   # at: 12:5                     where the message points: LINE:COL of the case, another file's FILE:LINE:COL,
//                                  or a flag ("--set run.horizn=5s"); the message starts "AT: error: "
//   # expect: unknown key ...      a fragment of the message, on the same line
// Every case must fail cleanly: the exit code it states, never a signal (abort, crash), one located message.

#include "cli_support.hpp"

#include <algorithm>
#include <filesystem>
#include <gtest/gtest.h>
#include <optional>
#include <regex>
#include <sstream>

namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(APQSIM_SOURCE_DIR) / "tests" / "corpus";

struct Case {
  std::string name; ///< the file's stem
  std::string args = "check {file}";
  int exit = 2;
  std::string at;
  std::string expect;
};

/** Test names show the case, not its bytes. */
void PrintTo(const Case& c, std::ostream* out) {
  *out << c.name;
}

/** The expectations at the end of a case file. */
Case read_case(const fs::path& file) {
  Case c;
  c.name = file.stem().string();
  std::istringstream text(apq::test::slurp(file));
  for (std::string line; std::getline(text, line);) {
    auto field = [&line](const std::string& key) -> std::optional<std::string> {
      const std::string prefix = "# " + key + ": ";
      if (line.rfind(prefix, 0) != 0)
        return std::nullopt;
      return line.substr(prefix.size());
    };
    if (auto v = field("args"))
      c.args = *v;
    if (auto v = field("exit"))
      c.exit = std::stoi(*v);
    if (auto v = field("at"))
      c.at = *v;
    if (auto v = field("expect"))
      c.expect = *v;
  }
  return c;
}

std::vector<Case> all_cases() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kCorpus / "cases"))
    if (entry.path().extension() == ".toml")
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::vector<Case> cases;
  for (const fs::path& file : files)
    cases.push_back(read_case(file));
  return cases;
}

/** The start of the message line: "cases/NAME.toml:L:C: error: " for a place in the case, else "AT: error: ". */
std::string expected_prefix(const Case& c) {
  static const std::regex line_column(R"(\d+:\d+)");
  return (std::regex_match(c.at, line_column) ? "cases/" + c.name + ".toml:" + c.at : c.at) + ": error: ";
}

/** A message that points at a place: a line and column of a file, or a flag of the command line. */
bool is_located(const Case& c) {
  static const std::regex file_line_column(R"((.+:)?\d+:\d+)");
  return std::regex_match(c.at, file_line_column) || c.at.rfind("-", 0) == 0;
}

class Corpus : public ::testing::TestWithParam<Case> {};

TEST_P(Corpus, FailsCleanlyWithALocatedMessage) {
  const Case& c = GetParam();
  ASSERT_FALSE(c.at.empty() || c.expect.empty()) << c.name << ": the file must end with '# at:' and '# expect:'";
  std::string args = c.args;
  args.replace(args.find("{file}"), 6, "cases/" + c.name + ".toml");
  const apq::test::Outcome r = apq::test::apqsim(args, kCorpus.string());
  EXPECT_EQ(r.code, c.exit) << r.out;
  EXPECT_EQ(r.out.find("terminate called"), std::string::npos) << r.out;
  const std::size_t at = r.out.find(expected_prefix(c));
  ASSERT_NE(at, std::string::npos) << "expected a line starting \"" << expected_prefix(c) << "\", got:\n" << r.out;
  const std::string line = r.out.substr(at, r.out.find('\n', at) - at);
  EXPECT_NE(line.find(c.expect), std::string::npos) << "expected \"" << c.expect << "\" in:\n" << line;
}

INSTANTIATE_TEST_SUITE_P(BadInput, Corpus, ::testing::ValuesIn(all_cases()), [](const auto& info) {
  std::string name = info.param.name;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
});

TEST(CorpusSize, AtLeastOneHundredCasesAlmostAllLocated) {
  const std::vector<Case> cases = all_cases();
  const auto located = std::count_if(cases.begin(), cases.end(), is_located);
  std::printf("bad-input corpus: %zu cases, %td with a located message (file:line:column or a flag)\n", cases.size(),
              located);
  EXPECT_GE(cases.size(), 100u);
  // The rest name their culprit without a place: an unknown command or option (the word itself).
  EXPECT_GE(located + 2, static_cast<std::ptrdiff_t>(cases.size()));
}

} // namespace
