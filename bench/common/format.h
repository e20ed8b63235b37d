// Number and string formatting for the reports of trine_bench and
// trine_entity_bench: the same figure is printed the same way in both tables.
#pragma once

#include <string>
#include <string_view>

namespace trine_bench {

// snprintf of one double, as a string ("%.2f", 1.5 -> "1.50").
std::string Fmt(const char* format, double v);

// Three significant digits or so: enough to compare, few enough to read.
// 1234 -> "1234", 12.34 -> "12.3", 1.234 -> "1.23", 0.1234 -> "0.123",
// 0.01234 -> "0.0123"; never more than `max_decimals` (0..4) decimals
// (trine_bench uses 4, trine_entity_bench 3). Not finite -> "?".
std::string FormatFigure(double v, int max_decimals);

// A JSON string literal, quotes included.
std::string JsonString(std::string_view s);

}  // namespace trine_bench
