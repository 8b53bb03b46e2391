#include "models/registry.hpp"

#include "models/arrival.hpp"
#include "models/card_type.hpp"
#include "models/distribution.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

namespace apq {
namespace {

using test::error_of;

Registry<int(int)> make_widgets() {
  Registry<int(int)> r("widget");
  r.add({"alpha", "adds one", {{"n", "integer", "", "input"}}, [](int n) { return n + 1; }});
  r.add({"Beta", "doubles", {}, [](int n) { return 2 * n; }});
  return r;
}

TEST(Registry, FindsNamesCaseInsensitivelyAndKeepsTheirSpelling) {
  auto widgets = make_widgets();
  EXPECT_EQ(widgets.kind(), "widget");
  EXPECT_EQ(widgets.find("ALPHA").make(1), 2);
  EXPECT_EQ(widgets.find("beta").name, "Beta");
  EXPECT_EQ(widgets.lookup("gamma"), nullptr);
  ASSERT_EQ(widgets.entries().size(), 2u);
  EXPECT_EQ(widgets.entries()[0].params[0].name, "n");
}

TEST(Registry, UnknownNameListsTheValidOnes) {
  auto widgets = make_widgets();
  EXPECT_EQ(error_of([&] { widgets.find("gamma"); }), "unknown widget 'gamma'; valid: alpha, Beta");
  EXPECT_THROW(widgets.find("gamma"), std::invalid_argument);
}

TEST(Registry, RejectsDuplicates) {
  auto widgets = make_widgets();
  EXPECT_THROW(widgets.add({"BETA", "again", {}, [](int n) { return n; }}), std::logic_error);
}

TEST(Registry, BuiltinRegistriesNameTheirModels) {
  EXPECT_EQ(error_of([] { card_type_registry().find("CEX9A"); }),
            "unknown card type 'CEX9A'; did you mean 'CEX5A', 'CEX6A', 'CEX7A' or 'CEX8A'? valid: CEX5A, CEX6A, CEX7A, "
            "CEX8A, CEX5C, CEX6C, CEX7C, CEX8C, CEX5P, CEX6P, "
            "CEX7P, CEX8P, custom");
  EXPECT_EQ(error_of([] { distribution_registry().find("gamma"); }),
            "unknown distribution 'gamma'; valid: deterministic, exponential, lognormal, uniform, empirical");
  EXPECT_EQ(error_of([] { arrival_registry().find("bursty"); }),
            "unknown arrival process 'bursty'; valid: poisson, mmpp, periodic, schedule, trace");
  // Every entry documents itself.
  for (const auto& entry : card_type_registry().entries()) {
    EXPECT_FALSE(entry.description.empty()) << entry.name;
    EXPECT_FALSE(entry.params.empty()) << entry.name;
  }
  for (const auto& entry : arrival_registry().entries())
    EXPECT_FALSE(entry.params.empty()) << entry.name;
}

} // namespace
} // namespace apq
