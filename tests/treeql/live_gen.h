// Random TreeQL queries and writes over a small two-type schema (P, and C
// referencing P), shared by the live-query and view differential tests.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "tests/util/test_util.h"
#include "trine/treeql.h"

namespace trine::test {

class LiveDifferential {
 public:
  explicit LiveDifferential(uint64_t seed) : rng_(seed) {}

  int R(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }

  std::string Pred() {
    switch (R(11)) {
      case 0:
        return "c.a > " + std::to_string(R(20));
      case 1:
        return "c.a = " + std::to_string(R(20));
      case 2:
        return "c.b < " + std::to_string(R(20));
      case 3:
        return "c.s = 's" + std::to_string(R(6)) + "'";
      case 4:
        return "c.a BETWEEN " + std::to_string(R(10)) + " AND " + std::to_string(10 + R(10));
      case 5:
        return "c.b IS NULL";
      case 6:
        return "c.s LIKE 's1%'";
      case 7:
        return "c.d > " + std::to_string(R(30)) + ".50";
      case 8:
        return "(c.a < 5 OR c.b > 15)";
      case 9:
        return "c.a >= " + std::to_string(R(20)) + " AND c.b <> " + std::to_string(R(20));
      default:
        return "NOT (c.f < 0.5)";
    }
  }
  std::string Where() { return R(4) == 0 ? "" : " WHERE " + Pred(); }

  std::string Order() {
    static const char* keys[] = {
        "c.a", "c.b", "c.s", "c.d", "c.f", "c.a DESC", "c.b DESC NULLS FIRST", "c.s DESC"};
    std::string o = " ORDER BY " + std::string(keys[R(8)]);
    if (R(2))
      o += std::string(", ") + keys[R(8)];
    return o;
  }

  std::string Query() {
    switch (R(10)) {
      case 0:
      case 1: {  // window
        std::string q = "SELECT { id, a: c.a, b: c.b, s: c.s } FROM C AS c" + Where() + Order() +
                        " LIMIT " + std::to_string(1 + R(8));
        if (R(2))
          q += " OFFSET " + std::to_string(R(5));
        return q;
      }
      case 2:  // every matching row
        return "SELECT { id, d: c.d } FROM C AS c" + Where() + (R(2) ? Order() : "");
      case 3:
        return "SELECT count(*) FROM C AS c" + Where();
      case 4:
        return "SELECT { n: count(*), lo: min(c.a), hi: max(c.b), sa: sum(c.a), sd: sum(c.d), "
               "av: avg(c.b), ds: count(DISTINCT c.s), mf: max(c.f) } FROM C AS c" +
               Where();
      case 5:  // nested per parent
        return "SELECT { id, name, kids: [SELECT { id, a: c.a } FROM C AS c WHERE c.p = x" +
               (R(2) ? " AND " + Pred() : std::string()) + " ORDER BY c.a" + (R(2) ? " DESC" : "") +
               " LIMIT " + std::to_string(1 + R(3)) +
               "], n: count(SELECT c FROM C AS c WHERE c.p = x) } FROM P AS x" +
               (R(2) ? " WHERE x.rank < " + std::to_string(R(10)) : "") + " ORDER BY x.rank, id" +
               (R(2) ? " LIMIT " + std::to_string(1 + R(5)) : "");
      case 6:  // exists
        return "SELECT id FROM P AS x WHERE exists(SELECT c FROM C AS c WHERE c.p = x AND " +
               Pred() + ") ORDER BY id";
      case 8:  // groups by one key
        return "SELECT { k: c.s, n: count(*), lo: min(c.a), hi: max(c.b), sd: sum(c.d), "
               "ds: count(DISTINCT c.a) } FROM C AS c" +
               Where() + " GROUP BY c.s";
      case 9:  // groups by a reference and an expression; sometimes ordered
        return "SELECT { p: c.p, big: c.a > 10, n: count(*), av: avg(c.b) } FROM C AS c" + Where() +
               " GROUP BY c.p, c.a > 10" +
               (R(3) == 0 ? " ORDER BY count(*) DESC, c.p LIMIT " + std::to_string(1 + R(4)) : "");
      default:  // a reference path
        return "SELECT { id, pn: c.p.name } FROM C AS c WHERE c.p.rank < " + std::to_string(R(10)) +
               " ORDER BY c.a, id LIMIT " + std::to_string(1 + R(6));
    }
  }

  std::string Val(int range, bool nullable) {
    if (nullable && R(6) == 0)
      return "NULL";
    return std::to_string(R(range));
  }

  // A float or a decimal with a fraction: C.a is a lax int field, so it
  // keeps them as they are, and the index holds them after all the ints.
  std::string OtherNumber(int range) {
    static const char* fractions[] = {".5e0", ".25", ".20"};  // .20: a scale the index drops
    return std::to_string(R(range)) + fractions[R(3)];
  }

  std::string InsertC() {
    return "INSERT C { p: " + std::to_string(1 + R(12)) + ", a: " + Val(20, true) +
           ", b: " + Val(20, true) + ", s: 's" + std::to_string(R(6)) +
           "', d: " + std::to_string(R(40)) + "." + std::to_string(10 + R(90)) + ", f: 0." +
           std::to_string(R(10)) + " }";
  }

  std::string Write() {
    std::string c = std::to_string(1 + R(static_cast<int>(next_c_)));
    switch (R(12)) {
      case 0:
      case 1:
        ++next_c_;
        return InsertC();
      case 2:
        return "DELETE FROM C WHERE id = " + c;
      case 3:
        return "UPDATE C SET a = " + (R(8) == 0 ? OtherNumber(20) : Val(20, true)) +
               " WHERE id = " + c;
      case 4:
        return "UPDATE C SET b = " + Val(20, true) + ", s = 's" + std::to_string(R(6)) +
               "' WHERE id = " + c;
      case 5:
        return "UPDATE C SET d = " + std::to_string(R(40)) + ".05, f = 0." + std::to_string(R(10)) +
               " WHERE id = " + c;
      case 6:
        return "UPDATE C SET p = " + std::to_string(1 + R(12)) + " WHERE id = " + c;
      case 7:
        return "UPDATE P SET rank = " + std::to_string(R(10)) +
               " WHERE id = " + std::to_string(1 + R(12));
      case 8:
        return "UPDATE P SET name = 'p" + std::to_string(R(50)) +
               "' WHERE id = " + std::to_string(1 + R(12));
      case 9:  // several in one commit
        ++next_c_;
        return "BEGIN; " + InsertC() + "; UPDATE C SET a = a + 1 WHERE a < 5; COMMIT";
      case 10:
        return "UPDATE C SET a = " + Val(20, false) + " WHERE a = " + std::to_string(R(20));
      default:
        return "DELETE FROM C WHERE a = " + std::to_string(R(20));
    }
  }

  uint64_t next_c_ = 0;

 private:
  std::mt19937_64 rng_;
};

inline const char* kGenSchema = R"(
  TABLE P = 1 { name string = 1; rank int = 2 INDEX; }
  TABLE C = 2 { p REF P = 1; a int = 2 INDEX; b int = 3; s string = 4 INDEX;
                d decimal(9,2) = 5; f float = 6; }
)";

// The shortest op sequence found for which `fails` still holds: drops
// chunks of ops, halving the chunk size down to single ops, each pass from
// the end (where the failure shows). Chunks first, because each try replays
// the ops: dropping one op at a time from thousands takes hours. Stops
// trying after TRINE_SHRINK_SECONDS (default 300) with the shortest so far.
template <class Fails>
std::vector<std::string> ShrinkOps(std::vector<std::string> ops, const Fails& fails) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(EnvInt("TRINE_SHRINK_SECONDS", 300));
  for (size_t chunk = std::max<size_t>(ops.size() / 2, 1);; chunk /= 2) {
    for (size_t end = ops.size(); end > 0 && ops.size() > 1;) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::cout << "[ shrinking stopped after TRINE_SHRINK_SECONDS ]" << std::endl;
        return ops;
      }
      size_t begin = end > chunk ? end - chunk : 0;
      std::vector<std::string> shorter = ops;
      shorter.erase(shorter.begin() + static_cast<ptrdiff_t>(begin),
                    shorter.begin() + static_cast<ptrdiff_t>(end));
      if (!shorter.empty() && fails(shorter))
        ops = std::move(shorter);
      end = begin;
    }
    if (chunk == 1)
      return ops;
  }
}

// Fresh result, with lists kept in id order when the query has no ORDER BY
// (live queries then follow subject ids; groups are in key order in both).
inline Tree Canonical(Tree t, const std::string& query) {
  if (t.is_array() && query.find("ORDER BY") == std::string::npos &&
      query.find("GROUP BY") == std::string::npos)
    std::stable_sort(t.items().begin(), t.items().end(),
                     [](const Tree& a, const Tree& b) { return a.subject() < b.subject(); });
  return t;
}

}  // namespace trine::test
