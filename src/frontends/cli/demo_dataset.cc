// Rows for the demo's housing cooperatives: a few members and monthly payments each.
#include "frontends/cli/demo_dataset.h"

#include <array>
#include <charconv>
#include <string_view>
#include <vector>

namespace domicile::cli {
namespace {

struct Cooperative {
  std::string_view tenant_id;
  std::string_view name;
  std::string_view city;
  std::array<std::string_view, 3> members;
};

constexpr Cooperative kCooperatives[] = {
    {"coop-lisboa",
     "Cooperativa Habitacional Alfama",
     "Lisboa",
     {"Ana Sousa", "João Ferreira", "Marta Costa"}},
    {"coop-berlin",
     "Wohnungsgenossenschaft Kreuzberg",
     "Berlin",
     {"Jonas Becker", "Lea Schmidt", "Emre Yilmaz"}},
    {"coop-madrid",
     "Cooperativa de Viviendas Lavapiés",
     "Madrid",
     {"Lucía García", "Pablo Martín", "Carmen Ruiz"}},
    {"coop-amsterdam",
     "Woningcoöperatie De Pijp",
     "Amsterdam",
     {"Sanne de Vries", "Daan Jansen", "Noor Bakker"}},
    {"coop-wien",
     "Wohnbaugenossenschaft Ottakring",
     "Wien",
     {"Lukas Huber", "Anna Gruber", "Elias Wagner"}},
    {"coop-sao-paulo",
     "Cooperativa Habitacional Mooca",
     "São Paulo",
     {"Beatriz Santos", "Rafael Oliveira", "Camila Lima"}},
    {"coop-recife",
     "Cooperativa Habitacional Boa Vista",
     "Recife",
     {"Larissa Araújo", "Thiago Barbosa", "Júlia Ribeiro"}},
    {"coop-porto-alegre",
     "Cooperativa Habitacional Menino Deus",
     "Porto Alegre",
     {"Gabriel Rocha", "Fernanda Alves", "Lucas Pereira"}},
    {"coop-austin",
     "East Austin Housing Cooperative",
     "Austin",
     {"Maria Hernandez", "James Carter", "Aisha Brown"}},
    {"coop-portland",
     "Alberta Street Housing Co-op",
     "Portland",
     {"Olivia Nguyen", "Ethan Miller", "Sofia Lopez"}},
    {"coop-detroit",
     "Corktown Housing Cooperative",
     "Detroit",
     {"Marcus Johnson", "Emily Davis", "Darnell Wright"}},
    {"coop-atlantico",
     "Cooperativa Atlântico",
     "Porto / Salvador",
     {"Inês Carvalho", "Diego Nascimento", "Rita Moreira"}},
};

constexpr Cooperative kGeneric = {
    "", "Housing cooperative", "-", {"First Member", "Second Member", "Third Member"}};

const Cooperative& Find(std::string_view tenant_id) {
  for (const auto& c : kCooperatives) {
    if (c.tenant_id == tenant_id) return c;
  }
  return kGeneric;
}

constexpr const char* kSchema[] = {
    "CREATE TABLE IF NOT EXISTS cooperatives (tenant_id TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "city TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS members (tenant_id TEXT NOT NULL, member_id BIGINT NOT NULL, "
    "name TEXT NOT NULL, joined TEXT NOT NULL, PRIMARY KEY (tenant_id, member_id))",
    "CREATE TABLE IF NOT EXISTS payments (tenant_id TEXT NOT NULL, payment_id BIGINT NOT NULL, "
    "member_id BIGINT NOT NULL, amount_cents BIGINT NOT NULL, paid_at TEXT NOT NULL, "
    "PRIMARY KEY (tenant_id, payment_id), "
    "FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, member_id))",
};

constexpr int kPaymentsPerMember = 2;

Status Exec(ShardSession& session, std::string_view sql, const std::vector<Value>& params) {
  auto result = session.Execute(sql, params, nullptr);
  return result.ok() ? Status::Ok() : result.status();
}

Status InsertRows(ShardSession& session, const std::string& tenant_id) {
  const Cooperative& coop = Find(tenant_id);
  DOMICILE_RETURN_IF_ERROR(Exec(session,
                                "INSERT INTO cooperatives (tenant_id, name, city) VALUES "
                                "($1, $2, $3) ON CONFLICT DO NOTHING",
                                {tenant_id, std::string(coop.name), std::string(coop.city)}));
  int64_t payment_id = 0;
  for (int64_t m = 1; m <= static_cast<int64_t>(coop.members.size()); ++m) {
    std::string joined = "202" + std::to_string(m) + "-0" + std::to_string(m + 2) + "-15";
    DOMICILE_RETURN_IF_ERROR(Exec(session,
                                  "INSERT INTO members (tenant_id, member_id, name, joined) "
                                  "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                                  {tenant_id, m, std::string(coop.members[m - 1]), joined}));
    for (int p = 1; p <= kPaymentsPerMember; ++p) {
      ++payment_id;
      int64_t amount_cents = 42000 + 1500 * m + 250 * p;
      std::string paid_at = "2024-0" + std::to_string(p) + "-0" + std::to_string(m);
      DOMICILE_RETURN_IF_ERROR(
          Exec(session,
               "INSERT INTO payments (tenant_id, payment_id, member_id, amount_cents, paid_at) "
               "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
               {tenant_id, payment_id, m, amount_cents, paid_at}));
    }
  }
  return Status::Ok();
}

// Keeps the first column of the first row as an integer (a count(*)).
class CountSink final : public RowSink {
 public:
  void OnColumns(const std::vector<Column>&) override {}
  bool OnRow(std::span<const Value> row) override {
    if (!row.empty()) {
      if (const auto* n = std::get_if<int64_t>(&row[0])) {
        count_ = *n;
      } else if (const auto* s = std::get_if<std::string>(&row[0])) {
        std::from_chars(s->data(), s->data() + s->size(), count_);  // count(*) sent as text
      }
    }
    return false;
  }
  int64_t count() const { return count_; }

 private:
  int64_t count_ = 0;
};

Result<int64_t> Count(ShardSession& session, std::string_view table, const std::string& id) {
  CountSink sink;
  std::vector<Value> params = {id};
  auto result = session.Execute(
      "SELECT count(*) FROM " + std::string(table) + " WHERE tenant_id = $1", params, &sink);
  if (!result.ok()) return result.status();
  return sink.count();
}

}  // namespace

Status CreateDemoSchema(ShardSession& session) {
  for (const char* sql : kSchema) DOMICILE_RETURN_IF_ERROR(Exec(session, sql, {}));
  return Status::Ok();
}

Status SeedDemoTenant(ShardSession& session, const std::string& tenant_id) {
  DOMICILE_RETURN_IF_ERROR(session.Begin());
  Status status = InsertRows(session, tenant_id);
  if (!status.ok()) {
    session.Rollback();
    return status;
  }
  return session.Commit();
}

Result<DemoCounts> CountDemoRows(ShardSession& session, const std::string& tenant_id) {
  DemoCounts counts;
  auto c = Count(session, "cooperatives", tenant_id);
  if (!c.ok()) return c.status();
  auto m = Count(session, "members", tenant_id);
  if (!m.ok()) return m.status();
  auto p = Count(session, "payments", tenant_id);
  if (!p.ok()) return p.status();
  counts.cooperatives = *c;
  counts.members = *m;
  counts.payments = *p;
  return counts;
}

std::string DemoCooperativeLabel(const std::string& tenant_id) {
  const Cooperative& coop = Find(tenant_id);
  if (coop.tenant_id.empty()) return "";
  return std::string(coop.name) + " (" + std::string(coop.city) + ")";
}

}  // namespace domicile::cli
