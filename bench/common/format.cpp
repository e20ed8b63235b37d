#include "format.h"

#include <cmath>
#include <cstdio>

namespace trine_bench {

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

std::string FormatFigure(double v, int max_decimals) {
  if (!std::isfinite(v))
    return "?";
  const double a = std::fabs(v);
  if (a == 0)
    return "0";
  // One more decimal below each of these magnitudes.
  static constexpr double kBelow[] = {100, 10, 1, 0.1};
  int decimals = 0;
  for (const double limit : kBelow) {
    if (a < limit && decimals < max_decimals)
      ++decimals;
  }
  static constexpr const char* kFormats[] = {"%.0f", "%.1f", "%.2f", "%.3f", "%.4f"};
  return Fmt(kFormats[decimals], v);
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char esc[8];
          std::snprintf(esc, sizeof(esc), "\\u%04x",
                        static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += esc;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace trine_bench
