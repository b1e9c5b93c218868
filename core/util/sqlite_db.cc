#include "core/util/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace fixpoint {
namespace {

absl::Status SqlError(sqlite3* db, absl::string_view what, absl::string_view sql) {
  return absl::InternalError(
      absl::StrCat("sqlite ", what, ": ", sqlite3_errmsg(db), " (in: ", sql.substr(0, 120), ")"));
}

absl::Status Bind(sqlite3* db, sqlite3_stmt* stmt, const std::vector<SqlValue>& params,
                  absl::string_view sql) {
  for (size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    int rc = SQLITE_OK;
    if (const auto* v = std::get_if<int64_t>(&params[i])) {
      rc = sqlite3_bind_int64(stmt, index, *v);
    } else if (const auto* d = std::get_if<double>(&params[i])) {
      rc = sqlite3_bind_double(stmt, index, *d);
    } else if (const auto* s = std::get_if<std::string>(&params[i])) {
      rc = sqlite3_bind_text(stmt, index, s->data(), static_cast<int>(s->size()),
                             SQLITE_TRANSIENT);
    } else {
      rc = sqlite3_bind_null(stmt, index);
    }
    if (rc != SQLITE_OK) return SqlError(db, "bind", sql);
  }
  return absl::OkStatus();
}

SqlValue Column(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
      return static_cast<int64_t>(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, i);
    case SQLITE_NULL:
      return std::monostate{};
    default: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      return std::string(text ? text : "", static_cast<size_t>(sqlite3_column_bytes(stmt, i)));
    }
  }
}

}  // namespace

int64_t SqlInt(const SqlValue& v, int64_t fallback) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  return fallback;
}

double SqlDouble(const SqlValue& v, double fallback) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return fallback;
}

std::string SqlText(const SqlValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  return "";
}

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = absl::InternalError(
        absl::StrCat("sqlite open '", path, "': ", db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return status;
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<SqliteDb> out(new SqliteDb(db));
  // WAL keeps readers and the writer apart; synchronous=FULL makes a commit
  // durable before it returns (the store's crash guarantees rely on it).
  absl::Status s = out->ExecScript(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
  if (!s.ok()) return s;
  return out;
}

SqliteDb::~SqliteDb() { sqlite3_close(db_); }

absl::Status SqliteDb::ExecScript(absl::string_view sql) {
  absl::MutexLock lock(&mu_);
  char* err = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    absl::Status s = absl::InternalError(
        absl::StrCat("sqlite exec: ", err ? err : "unknown error", " (in: ", sql.substr(0, 120), ")"));
    sqlite3_free(err);
    return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SqlRow>> SqliteDb::RunLocked(absl::string_view sql,
                                                        const std::vector<SqlValue>& params,
                                                        int64_t* changes) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return SqlError(db_, "prepare", sql);
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(stmt, sqlite3_finalize);
  if (absl::Status s = Bind(db_, stmt, params, sql); !s.ok()) return s;
  std::vector<SqlRow> rows;
  while (true) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return SqlError(db_, "step", sql);
    SqlRow row;
    const int n = sqlite3_column_count(stmt);
    row.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) row.push_back(Column(stmt, i));
    rows.push_back(std::move(row));
  }
  if (changes != nullptr) *changes = sqlite3_changes64(db_);
  return rows;
}

absl::StatusOr<std::vector<SqlRow>> SqliteDb::Query(absl::string_view sql,
                                                    const std::vector<SqlValue>& params) {
  absl::MutexLock lock(&mu_);
  return RunLocked(sql, params, nullptr);
}

absl::StatusOr<int64_t> SqliteDb::Exec(absl::string_view sql,
                                       const std::vector<SqlValue>& params) {
  absl::MutexLock lock(&mu_);
  int64_t changes = 0;
  auto rows = RunLocked(sql, params, &changes);
  if (!rows.ok()) return rows.status();
  return changes;
}

absl::StatusOr<std::vector<SqlRow>> SqlTx::Query(absl::string_view sql,
                                                 const std::vector<SqlValue>& params) {
  db_->mu_.AssertHeld();
  return db_->RunLocked(sql, params, nullptr);
}

absl::StatusOr<int64_t> SqlTx::Exec(absl::string_view sql, const std::vector<SqlValue>& params) {
  db_->mu_.AssertHeld();
  int64_t changes = 0;
  auto rows = db_->RunLocked(sql, params, &changes);
  if (!rows.ok()) return rows.status();
  return changes;
}

absl::Status SqliteDb::Transaction(const std::function<absl::Status(SqlTx&)>& body) {
  absl::MutexLock lock(&mu_);
  if (auto begun = RunLocked("BEGIN IMMEDIATE", {}, nullptr); !begun.ok()) {
    return begun.status();
  }
  SqlTx tx(this);
  absl::Status status = body(tx);
  if (!status.ok()) {
    (void)RunLocked("ROLLBACK", {}, nullptr);
    return status;
  }
  if (auto committed = RunLocked("COMMIT", {}, nullptr); !committed.ok()) {
    (void)RunLocked("ROLLBACK", {}, nullptr);
    return committed.status();
  }
  return absl::OkStatus();
}

}  // namespace fixpoint
