// Schema files: TABLE statements that declare the desired schema.
//
//   -- the number after '=' is the field's identity (as in protobuf)
//   TABLE User {
//     name    string        = 1 INDEX;
//     email   string        = 2 UNIQUE;
//     age     int           = 3 INDEX DEFAULT 0;
//     manager REF User      = 4;
//     RESERVED 5, 6;
//   }
//   TABLE Order = 7 STRICT { buyer REF User = 1 REQUIRED; total decimal(18,2) = 2 INDEX; }
//
// Applying a file compares it with the stored catalog and applies the whole
// difference atomically, or nothing (see Database::UpdateSchema for the
// rules). Types the file does not mention are left as they are. Every error
// names file, line and column and shows the line with a caret under the spot.
// The grammar is at the top of schema/parser.cpp and in README.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "trine/database.h"
#include "trine/status.h"

namespace trine {

Result<SchemaReport> ApplySchema(Database& db, std::string_view text,
                                 std::string_view file_name = "<schema>",
                                 const SchemaUpdateOptions& options = {});
Result<SchemaReport> ApplySchemaFile(Database& db, const std::string& path,
                                     const SchemaUpdateOptions& options = {});

// The stored schema as schema-file text: applying it again changes nothing.
// Retired and undeclared fields appear as comments (their numbers stay
// reserved whether or not a file lists them).
std::string FormatSchema(const std::vector<TypeInfo>& types);

// Timestamps in schema files and elsewhere: "2024-05-01", "2024-05-01T12:30:00",
// "2024-05-01 12:30:00.250Z", "2024-05-01T12:30:00+02:00" -> microseconds
// since the Unix epoch (UTC; no zone means UTC).
Result<int64_t> ParseTimestamp(std::string_view text);
// The inverse: "2024-05-01T12:30:00Z", with ".250000" when there are microseconds.
std::string FormatTimestamp(int64_t micros);

}  // namespace trine
