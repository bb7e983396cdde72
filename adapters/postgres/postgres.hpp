#pragma once

// weft::pg, the libpq layer: everything durable stands on it.
//
//   connection   one thread-confined, self-healing session (exec, prepared
//                statements, scripts, LISTEN/NOTIFY), errors as api_errc
//   transaction  BEGIN/COMMIT as RAII; in_transaction() with retries
//   pipeline     many statements, one round trip
//   pool / run   detached connection actors for event-based callers
//   database_health  readiness and weft_database_up
//   apply_migrations the embedded config/migrations/*.sql
#include "adapters/postgres/connection.hpp"
#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/health.hpp"
#include "adapters/postgres/migrations.hpp"
#include "adapters/postgres/params.hpp"
#include "adapters/postgres/pipeline.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/postgres/result.hpp"
#include "adapters/postgres/settings.hpp"
#include "adapters/postgres/transaction.hpp"
