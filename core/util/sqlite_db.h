// A small RAII wrapper over one SQLite connection: open (WAL journal, busy
// timeout, foreign keys), run statements with bound parameters, read rows,
// and transactions. Errors are absl::Status with SQLite's message and the
// SQL that failed. Thread-safe: every call holds the connection's mutex, so
// one SqliteDb may be shared by the store and the scheduler.
#ifndef FIXPOINT_CORE_UTIL_SQLITE_DB_H_
#define FIXPOINT_CORE_UTIL_SQLITE_DB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

struct sqlite3;

namespace fixpoint {

// A bound parameter or a column value. NULL reads as std::monostate.
using SqlValue = std::variant<std::monostate, int64_t, double, std::string>;
using SqlRow = std::vector<SqlValue>;

// Column helpers: the value, or the default when NULL / another type.
int64_t SqlInt(const SqlValue& v, int64_t fallback = 0);
double SqlDouble(const SqlValue& v, double fallback = 0);
std::string SqlText(const SqlValue& v);

class SqliteDb;

// Statements inside one transaction (see SqliteDb::Transaction). Valid only
// during the transaction's body.
class SqlTx {
 public:
  absl::StatusOr<std::vector<SqlRow>> Query(absl::string_view sql,
                                            const std::vector<SqlValue>& params = {});
  absl::StatusOr<int64_t> Exec(absl::string_view sql, const std::vector<SqlValue>& params = {});

 private:
  friend class SqliteDb;
  explicit SqlTx(SqliteDb* db) : db_(db) {}
  SqliteDb* db_;
};

class SqliteDb {
 public:
  // Opens (creating if needed) the database file at `path`; ":memory:" for a
  // private in-memory database. INTERNAL with SQLite's message on failure.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements without parameters (schema, pragmas).
  absl::Status ExecScript(absl::string_view sql);
  // Runs one statement with `params` bound to ?1, ?2, ...; returns every row.
  absl::StatusOr<std::vector<SqlRow>> Query(absl::string_view sql,
                                            const std::vector<SqlValue>& params = {});
  // Runs one statement; returns the number of rows it changed.
  absl::StatusOr<int64_t> Exec(absl::string_view sql, const std::vector<SqlValue>& params = {});
  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT, holding the connection
  // for the whole body; rolls back when `body` returns an error (which is
  // returned). `body` must use only the SqlTx it is given.
  absl::Status Transaction(const std::function<absl::Status(SqlTx&)>& body);

 private:
  friend class SqlTx;
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  absl::StatusOr<std::vector<SqlRow>> RunLocked(absl::string_view sql,
                                                const std::vector<SqlValue>& params,
                                                int64_t* changes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
};

}  // namespace fixpoint

#endif  // FIXPOINT_CORE_UTIL_SQLITE_DB_H_
