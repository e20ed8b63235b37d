// Schema files -> Database::UpdateSchema: converts the parsed TABLE
// statements into TypeInfo, and points the database's verdict on them back at
// the file (line, column, caret).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "schema/parser.h"
#include "trine/schema.h"
#include "triples/view_support.h"

namespace trine {

namespace {

using schema::FieldDecl;
using schema::Literal;
using schema::TableDecl;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// A decimal literal possibly with an exponent ("125e-2") as an exact Decimal.
Result<Decimal> DecimalFromLiteral(std::string_view text) {
  size_t e = text.find_first_of("eE");
  if (e == std::string_view::npos)
    return Decimal::Parse(text);
  TRINE_ASSIGN_OR_RETURN(Decimal m, Decimal::Parse(text.substr(0, e)));
  std::string_view exp_text = text.substr(e + 1);
  int exp = 0;
  bool neg = !exp_text.empty() && exp_text[0] == '-';
  if (!exp_text.empty() && (exp_text[0] == '-' || exp_text[0] == '+'))
    exp_text.remove_prefix(1);
  for (char c : exp_text) {
    if (c < '0' || c > '9' || exp > 1000)
      return Status::InvalidArgument("bad exponent in " + std::string(text));
    exp = exp * 10 + (c - '0');
  }
  if (neg)
    exp = -exp;
  // Shift the point: a negative exponent adds scale, a positive one removes
  // it (multiplying units by 10 when there is no scale left).
  int scale = m.scale - exp;
  int64_t units = m.units;
  while (scale < 0) {
    if (__builtin_mul_overflow(units, 10, &units))
      return Status::InvalidArgument("number out of range: " + std::string(text));
    ++scale;
  }
  while (scale > Decimal::kMaxScale && units % 10 == 0) {
    units /= 10;
    --scale;
  }
  if (scale > Decimal::kMaxScale)
    return Status::InvalidArgument("too many fraction digits: " + std::string(text));
  return Decimal{units, scale};
}

Result<Value> LiteralValue(const Literal& lit, FieldType type) {
  switch (lit.kind) {
    case Literal::Kind::kNull:
      return Value();
    case Literal::Kind::kBool:
      return Value::Bool(lit.bool_value);
    case Literal::Kind::kInt:
      return Value::Int(lit.int_value);
    case Literal::Kind::kNumber: {
      if (type == FieldType::kFloat)
        return Value::Float(std::strtod(lit.text.c_str(), nullptr));
      TRINE_ASSIGN_OR_RETURN(Decimal d, DecimalFromLiteral(lit.text));
      return Value::Dec(d);
    }
    case Literal::Kind::kString:
      if (type == FieldType::kBytes)
        return Value::Bytes(lit.text);
      if (type == FieldType::kTime) {
        TRINE_ASSIGN_OR_RETURN(int64_t micros, ParseTimestamp(lit.text));
        return Value::Time(micros);
      }
      return Value::String(lit.text);
  }
  return Value();
}

FieldType TypeFromName(const std::string& name) {
  if (name == "bool")
    return FieldType::kBool;
  if (name == "int")
    return FieldType::kInt;
  if (name == "float")
    return FieldType::kFloat;
  if (name == "decimal")
    return FieldType::kDecimal;
  if (name == "string")
    return FieldType::kString;
  if (name == "bytes")
    return FieldType::kBytes;
  if (name == "time")
    return FieldType::kTime;
  if (name == "ref")
    return FieldType::kRef;
  return FieldType::kAny;
}

// Howard Hinnant's civil_from_days: the date of a day count since 1970-01-01.
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

std::string Quote(std::string_view s) {
  std::string out(1, '\'');
  for (char c : s) {
    if (c == '\'')
      out += "''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

std::string LiteralText(const Value& v) {
  switch (v.type()) {
    case ValueType::kString:
      return Quote(v.as_string());
    case ValueType::kBytes:
      return Quote(v.as_bytes());
    case ValueType::kTimestamp:
      return Quote(FormatTimestamp(v.as_time()));
    case ValueType::kBool:
      return v.as_bool() ? "TRUE" : "FALSE";
    default:
      return v.ToString();
  }
}

}  // namespace

std::string FormatTimestamp(int64_t micros) {
  int64_t secs = micros >= 0 ? micros / 1000000 : -((-micros + 999999) / 1000000);
  int64_t frac = micros - secs * 1000000;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  std::string out = buf;
  if (frac != 0) {
    std::snprintf(buf, sizeof(buf), ".%06lld", static_cast<long long>(frac));
    out += buf;
  }
  return out + "Z";
}

std::string FormatSchema(const std::vector<TypeInfo>& types) {
  std::string out;
  for (const TypeInfo& t : types) {
    if (!out.empty())
      out += "\n";
    out += "TABLE " + t.name;
    if (t.numbered)
      out += " = " + std::to_string(t.id);
    if (t.strict)
      out += " STRICT";
    out += " {\n";
    std::string notes;
    for (const FieldInfo& f : t.fields) {
      if (f.state == FieldInfo::State::kRetired) {
        notes += "  -- retired: " + f.name + " " + f.TypeName() + " = " + std::to_string(f.number) +
                 "\n";
        continue;
      }
      if (f.state == FieldInfo::State::kDynamic) {
        notes +=
            "  -- undeclared (lax writes): " + f.name + " = " + std::to_string(f.number) + "\n";
        continue;
      }
      out += "  " + f.name + " " + f.TypeName() + " = " + std::to_string(f.number);
      if (f.required)
        out += " REQUIRED";
      if (f.unique)
        out += " UNIQUE";
      else if (f.indexed && f.type != FieldType::kRef)
        out += " INDEX";
      if (f.default_value)
        out += " DEFAULT " + LiteralText(*f.default_value);
      out += ";\n";
    }
    if (!t.reserved_ranges.empty()) {
      out += "  RESERVED ";
      for (size_t i = 0; i < t.reserved_ranges.size(); ++i) {
        auto [first, last] = t.reserved_ranges[i];
        out += (i ? ", " : "") + std::to_string(first);
        if (last != first)
          out += " TO " + std::to_string(last);
      }
      out += ";\n";
    }
    if (!t.reserved_names.empty()) {
      out += "  RESERVED ";
      for (size_t i = 0; i < t.reserved_names.size(); ++i)
        out += (i ? ", " : "") + Quote(t.reserved_names[i]);
      out += ";\n";
    }
    out += notes + "}\n";
  }
  return out;
}

Result<int64_t> ParseTimestamp(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("bad timestamp '" + std::string(text) +
                                   "' (expected YYYY-MM-DD[THH:MM:SS[.ffffff]][Z|+HH:MM])");
  };
  size_t i = 0;
  auto digits = [&](int n, int64_t* out) {
    int64_t v = 0;
    for (int k = 0; k < n; ++k, ++i) {
      if (i >= text.size() || text[i] < '0' || text[i] > '9')
        return false;
      v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
  };
  auto expect = [&](char c) { return i < text.size() && text[i++] == c; };
  int64_t y, mo, d, h = 0, mi = 0, s = 0, micros = 0, offset_minutes = 0;
  if (!digits(4, &y) || !expect('-') || !digits(2, &mo) || !expect('-') || !digits(2, &d))
    return bad();
  if (i < text.size() && (text[i] == 'T' || text[i] == ' ')) {
    ++i;
    if (!digits(2, &h) || !expect(':') || !digits(2, &mi) || !expect(':') || !digits(2, &s))
      return bad();
    if (i < text.size() && text[i] == '.') {
      ++i;
      int n = 0;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        if (n < 6)
          micros = micros * 10 + (text[i] - '0');
        ++n;
        ++i;
      }
      if (n == 0 || n > 6)
        return bad();
      for (; n < 6; ++n)
        micros *= 10;
    }
    if (i < text.size() && text[i] == 'Z') {
      ++i;
    } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      int sign = text[i++] == '-' ? -1 : 1;
      int64_t oh, om;
      if (!digits(2, &oh) || !expect(':') || !digits(2, &om) || oh > 23 || om > 59)
        return bad();
      offset_minutes = sign * (oh * 60 + om);
    }
  }
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (i != text.size() || mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] ||
      (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || s > 59)
    return bad();
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + s - offset_minutes * 60;
  return secs * 1000000 + micros;
}

namespace {

// VIEWs go after the TABLEs they read (the view maintainer binds their
// queries against the updated schema).
Result<SchemaReport> ApplyViews(Database& db, const schema::SchemaFile& file, std::string_view text,
                                SchemaReport report, const SchemaUpdateOptions& options) {
  triples::ViewSupport* views = triples::GetViewSupport(db);
  if (views == nullptr)
    return Status::NotSupported("this store was opened without view support");
  std::vector<triples::ViewSupport::Definition> defs;
  for (const schema::ViewDecl& v : file.views)
    defs.push_back({v.name, v.query, v.manual});
  triples::ViewSupport::DefinitionError where;
  where.view = SIZE_MAX;
  Result<SchemaReport> r = views->DefineViews(defs, options, &where);
  if (!r.ok()) {
    if (where.view >= file.views.size())
      return Status::Make(r.status().code(), std::string(file.file_name) +
                                                 ": error: " + std::string(r.status().message()));
    // Point into the view's query: its offset in the file, then line and
    // column by counting.
    const schema::ViewDecl& v = file.views[where.view];
    size_t offset = std::min(text.size(), v.query_pos.offset + where.offset);
    schema::SourcePos pos;
    pos.offset = offset;
    pos.line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
    size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
    line_start = (line_start == std::string_view::npos || offset == 0) ? 0 : line_start + 1;
    pos.column = static_cast<int>(offset - line_start) + 1;
    return Status::Make(r.status().code(),
                        schema::FormatError(file.file_name, text, pos, r.status().message()));
  }
  for (std::string& c : r->changes)
    report.changes.push_back(std::move(c));
  return report;
}

}  // namespace

Result<SchemaReport> ApplySchema(Database& db, std::string_view text, std::string_view file_name,
                                 const SchemaUpdateOptions& options) {
  TRINE_ASSIGN_OR_RETURN(schema::SchemaFile file, schema::ParseSchema(text, file_name));
  std::vector<TypeInfo> types;
  for (const TableDecl& t : file.tables) {
    TypeInfo ti;
    ti.name = t.name;
    ti.numbered = t.number.has_value();
    ti.id = t.number.value_or(0);
    ti.strict = t.strict;
    for (const auto& r : t.reserved)
      ti.reserved_ranges.emplace_back(r.first, r.last);
    for (const auto& n : t.reserved_names)
      ti.reserved_names.push_back(n.name);
    for (const FieldDecl& f : t.fields) {
      FieldInfo fi;
      fi.name = f.name;
      fi.number = f.number;
      fi.type = TypeFromName(f.type.name);
      if (fi.type == FieldType::kDecimal) {
        fi.precision = f.type.precision;
        fi.scale = f.type.scale;
      }
      fi.ref_type = f.type.ref_type;
      fi.indexed = f.index;
      fi.unique = f.unique;
      fi.required = f.required;
      if (f.default_value) {
        Result<Value> v = LiteralValue(*f.default_value, fi.type);
        if (!v.ok())
          return Status::InvalidArgument(
              schema::FormatError(file_name, text, f.default_value->pos, v.status().message()));
        if (!v.value().is_null())
          fi.default_value = v.value();
      }
      ti.fields.push_back(std::move(fi));
    }
    types.push_back(std::move(ti));
  }
  SchemaErrorSite site;
  SchemaUpdateOptions opts = options;
  opts.error_site = &site;
  // UpdateSchema rebuilds the views that read a table this changes.
  triples::ViewSupport* views = options.dry_run ? nullptr : triples::GetViewSupport(db);
  Result<SchemaReport> r = db.UpdateSchema(types, opts);
  if (options.error_site != nullptr)
    *options.error_site = site;
  if (r.ok() && !file.views.empty()) {
    TRINE_ASSIGN_OR_RETURN(SchemaReport after, ApplyViews(db, file, text, std::move(*r), options));
    // A view redefined here may be read by other views: they are rebuilt too.
    if (views != nullptr) {
      TRINE_ASSIGN_OR_RETURN(std::vector<std::string> rebuilt, views->AfterTableChange(options));
      for (std::string& line : rebuilt)
        after.changes.push_back(std::move(line));
    }
    return after;
  }
  if (r.ok() || !r.status().IsInvalidArgument())
    return r;
  // Point at the declaration the database objected to.
  for (const TableDecl& t : file.tables) {
    if (t.name != site.type)
      continue;
    schema::SourcePos pos = t.pos;
    if (site.field == 0 && site.part == SchemaErrorSite::Part::kNumber && t.number)
      pos = t.number_pos;
    for (const FieldDecl& f : t.fields) {
      if (site.field == 0 || f.number != site.field)
        continue;
      switch (site.part) {
        case SchemaErrorSite::Part::kName:
        case SchemaErrorSite::Part::kOption:
          pos = f.pos;
          break;
        case SchemaErrorSite::Part::kNumber:
          pos = f.number_pos;
          break;
        case SchemaErrorSite::Part::kType:
          pos = f.type.name == "ref" &&
                        r.status().message().find("unknown type") != std::string_view::npos
                    ? f.type.ref_pos
                    : f.type.pos;
          break;
        case SchemaErrorSite::Part::kDefault:
          pos = f.default_value ? f.default_value->pos : f.pos;
          break;
      }
    }
    return Status::InvalidArgument(schema::FormatError(file_name, text, pos, r.status().message()));
  }
  return Status::InvalidArgument(std::string(file_name) +
                                 ": error: " + std::string(r.status().message()));
}

Result<SchemaReport> ApplySchemaFile(Database& db, const std::string& path,
                                     const SchemaUpdateOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::IOError("cannot read schema file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    return Status::IOError("error reading schema file " + path);
  return ApplySchema(db, ss.str(), path, options);
}

}  // namespace trine
