#include "repl/demo.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "repl/demo_schema.h"  // generated from repl/demo/schema.tql
#include "trine/schema.h"

namespace trine::repl {
namespace {

// SplitMix64: a fixed generator (std::mt19937 is fixed too, but the standard
// distributions are not), so every build makes the same demo store.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform enough in [0, n) for a demo.
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }
  // A time in [from, to) seconds since the epoch, in microseconds.
  int64_t Time(int64_t from, int64_t to) {
    return (from + static_cast<int64_t>(Below(static_cast<size_t>(to - from)))) * 1000000;
  }

 private:
  uint64_t state_;
};

// A few names with accents, so tables show their alignment by code points.
constexpr const char* kFirstNames[] = {
    "Ann",  "Bob",  "Chloé", "Dmitri", "Eve",   "Farid", "Grace", "Hiro",  "Ines",  "José",
    "Kofi", "Lena", "Mei",   "Nadia",  "Omar",  "Priya", "Quinn", "Rosa",  "Søren", "Tariq",
    "Uma",  "Vera", "Wei",   "Ximena", "Yusuf", "Zoë",   "Aiko",  "Bruno", "Carla", "Dara"};
constexpr const char* kLastNames[] = {"Adams",  "Berg",   "Costa",  "Dubois", "Evans",    "Fischer",
                                      "García", "Haddad", "Ito",    "Jones",  "Kowalski", "Lee",
                                      "Müller", "Novak",  "Okafor", "Patel",  "Rossi",    "Silva",
                                      "Tanaka", "Ueda",   "Varga",  "Wójcik", "Yilmaz",   "Zhang"};
constexpr const char* kCities[] = {"Lisbon", "Berlin", "Tokyo",   "Lagos",  "Lima",   "Oslo",
                                   "Seoul",  "Austin", "Nairobi", "Kraków", "Mumbai", "Montréal"};
constexpr const char* kAdjectives[] = {"Quick",  "Gentle", "Practical", "Curious", "Hidden",
                                       "Modern", "Tiny",   "Lazy",      "Honest",  "Strange"};
constexpr const char* kTopics[] = {"guide to LSM trees",    "notes on sourdough",
                                   "tour of Kyoto",         "look at bloom filters",
                                   "take on remote work",   "review of mechanical keyboards",
                                   "intro to tree queries", "story about a lost cat",
                                   "recipe for dal",        "week offline"};
constexpr const char* kBodies[] = {"Short version: it depends, but less than you think.",
                                   "I tried this for a month and kept notes every day.",
                                   "Three things surprised me, and one of them was the weather.",
                                   "Most of the advice out there is old; here is what changed.",
                                   "A long thread, condensed: what worked and what did not.",
                                   "Pictures at the end. Questions welcome in the comments."};
constexpr const char* kComments[] = {"Great post!",
                                     "I disagree with the second point.",
                                     "Thanks, this helped.",
                                     "Any sources for this?",
                                     "Saved for later.",
                                     "Same experience here.",
                                     "Could you write a follow-up?",
                                     "First!"};

constexpr int64_t k2015 = 1420070400;  // 2015-01-01T00:00:00Z
constexpr int64_t k2018 = 1514764800;
constexpr int64_t k2025 = 1735689600;

Status InsertRows(Transaction& txn, const DemoSize& size) {
  Rng rng(20240501);
  std::vector<uint64_t> users;
  users.reserve(static_cast<size_t>(size.users));
  for (int i = 0; i < size.users; ++i) {
    std::string name = std::string(rng.Pick(kFirstNames)) + " " + rng.Pick(kLastNames);
    Fields fields = {
        {"name", Value::String(name)},
        {"email", Value::String("user" + std::to_string(i + 1) + "@example.com")},
        {"age", Value::Int(18 + static_cast<int64_t>(rng.Below(63)))},
        {"city", Value::String(rng.Pick(kCities))},
        {"joined", Value::Time(rng.Time(k2015, k2025))},
    };
    // The first users lead; later ones report to someone earlier, which makes
    // chains (u.manager.manager.name) and teams of different sizes.
    if (i >= 20)
      fields.emplace_back("manager", Value::Ref(users[rng.Below(users.size() / 4)]));
    TRINE_ASSIGN_OR_RETURN(uint64_t id, txn.Insert("User", fields));
    users.push_back(id);
  }
  std::vector<uint64_t> posts;
  posts.reserve(static_cast<size_t>(size.posts));
  for (int i = 0; i < size.posts; ++i) {
    // The smaller of two picks: early users write more, as on real sites.
    size_t author = std::min(rng.Below(users.size()), rng.Below(users.size()));
    int64_t score = static_cast<int64_t>(rng.Below(100) * rng.Below(100) / 10);
    Fields fields = {
        {"author", Value::Ref(users[author])},
        {"title",
         Value::String(std::string("A ") + rng.Pick(kAdjectives) + " " + rng.Pick(kTopics))},
        {"score", Value::Int(score)},
        {"created", Value::Time(rng.Time(k2018, k2025))},
        {"body", Value::String(rng.Pick(kBodies))},
    };
    TRINE_ASSIGN_OR_RETURN(uint64_t id, txn.Insert("Post", fields));
    posts.push_back(id);
  }
  for (int i = 0; i < size.comments; ++i) {
    Fields fields = {
        {"post", Value::Ref(posts[rng.Below(posts.size())])},
        {"author", Value::Ref(users[rng.Below(users.size())])},
        {"text", Value::String(rng.Pick(kComments))},
        {"created", Value::Time(rng.Time(k2018, k2025))},
    };
    TRINE_RETURN_IF_ERROR(txn.Insert("Comment", fields).status());
  }
  return Status::OK();
}

}  // namespace

Result<bool> EnsureDemo(Database& db, const DemoSize& size) {
  if (!db.Schema().empty())
    return false;
  TRINE_RETURN_IF_ERROR(ApplySchema(db, kDemoSchema, "repl/demo/schema.tql").status());
  // One durable commit: a store interrupted here has the schema but no rows,
  // and is then left as it is by the next --demo (it has types).
  TRINE_RETURN_IF_ERROR(db.Run([&](Transaction& txn) { return InsertRows(txn, size); },
                               TransactionOptions{.durability = Durability::kDurable}));
  return true;
}

std::string DemoBanner(const std::string& path, bool created, const DemoSize& size) {
  std::string out;
  if (created) {
    out = "Created the demo store " + path + ": " + std::to_string(size.users) + " User, " +
          std::to_string(size.posts) + " Post and " + std::to_string(size.comments) +
          " Comment entities.\n";
  } else {
    out = "Opened " + path + " (it has types already, so no demo data was added).\n";
  }
  out +=
      "Enter .schema to see the types, .help for help, .quit to leave. Some queries to try:\n"
      "\n"
      "  SELECT { name, age, posts: [SELECT { title, score } FROM Post AS p WHERE p.author = u\n"
      "           ORDER BY score DESC LIMIT 3] } FROM User AS u WHERE age > 60 ORDER BY age "
      "LIMIT 5;\n"
      "\n"
      "  SELECT { title, score, by: p.author.name, comments: count(SELECT c FROM Comment AS c\n"
      "           WHERE c.post = p) } FROM Post AS p ORDER BY score DESC LIMIT 5;\n"
      "\n"
      "  SELECT { name, boss: m.manager.name, team: [SELECT r.name FROM User AS r WHERE r.manager "
      "= m\n"
      "           LIMIT 3] } FROM User AS m WHERE m.city = 'Lisbon' ORDER BY name LIMIT 5;\n"
      "\n";
  return out;
}

}  // namespace trine::repl
