package dev.spillway.controlplane.price;

import dev.spillway.controlplane.common.Organization;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class JdbcPriceRepository implements PriceRepository {
  private static final String EFFECTIVE = """
      SELECT p.id AS provider_id, p.name AS provider, p.type AS provider_type, x.model, x.input_per_mtok_usd,
             x.output_per_mtok_usd, x.cached_input_per_mtok_usd, x.source
      FROM providers p
      JOIN LATERAL (
          SELECT o.model, o.input_per_mtok_usd, o.output_per_mtok_usd, o.cached_input_per_mtok_usd,
                 'override' AS source
          FROM price_overrides o WHERE o.provider_id = p.id
          UNION ALL
          SELECT b.model, b.input_per_mtok_usd, b.output_per_mtok_usd, b.cached_input_per_mtok_usd,
                 'builtin' AS source
          FROM builtin_prices b
          WHERE b.provider_type = p.type
            AND NOT EXISTS (SELECT 1 FROM price_overrides o2 WHERE o2.provider_id = p.id AND o2.model = b.model)
      ) x ON true
      WHERE p.org_id = ?""";

  private final JdbcClient jdbc;

  JdbcPriceRepository(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public List<BuiltinPrice> builtins() {
    return jdbc.sql("SELECT provider_type, model, input_per_mtok_usd, output_per_mtok_usd, cached_input_per_mtok_usd "
            + "FROM builtin_prices ORDER BY provider_type, model")
        .query((rs, i) -> new BuiltinPrice(rs.getString(1), rs.getString(2), rs.getBigDecimal(3), rs.getBigDecimal(4),
            rs.getBigDecimal(5)))
        .list();
  }

  @Override
  public void replaceBuiltins(List<BuiltinPrice> prices) {
    jdbc.sql("DELETE FROM builtin_prices").update();
    for (BuiltinPrice p : prices) {
      jdbc.sql("""
          INSERT INTO builtin_prices (provider_type, model, input_per_mtok_usd, output_per_mtok_usd,
                                      cached_input_per_mtok_usd)
          VALUES (?, ?, ?, ?, ?)""")
          .params(p.providerType(), p.model(), p.inputPerMtokUsd(), p.outputPerMtokUsd(), p.cachedInputPerMtokUsd())
          .update();
    }
  }

  @Override
  public List<EffectivePrice> effective(UUID providerId) {
    if (providerId == null) {
      return jdbc.sql(EFFECTIVE + " ORDER BY p.name, x.model").param(Organization.DEFAULT_ID).query(this::map).list();
    }
    return jdbc.sql(EFFECTIVE + " AND p.id = ? ORDER BY p.name, x.model").params(Organization.DEFAULT_ID, providerId)
        .query(this::map).list();
  }

  @Override
  public Optional<EffectivePrice> override(UUID providerId, String model) {
    return jdbc.sql("""
        SELECT p.id AS provider_id, p.name AS provider, p.type AS provider_type, o.model, o.input_per_mtok_usd,
               o.output_per_mtok_usd, o.cached_input_per_mtok_usd, 'override' AS source
        FROM price_overrides o JOIN providers p ON p.id = o.provider_id
        WHERE o.provider_id = ? AND o.model = ?""")
        .params(providerId, model).query(this::map).optional();
  }

  @Override
  public void putOverride(UUID providerId, String model, BigDecimal input, BigDecimal output, BigDecimal cachedInput) {
    jdbc.sql("""
        INSERT INTO price_overrides (provider_id, model, input_per_mtok_usd, output_per_mtok_usd,
                                     cached_input_per_mtok_usd, updated_at)
        VALUES (?, ?, ?, ?, ?, now())
        ON CONFLICT (provider_id, model) DO UPDATE SET input_per_mtok_usd = excluded.input_per_mtok_usd,
            output_per_mtok_usd = excluded.output_per_mtok_usd,
            cached_input_per_mtok_usd = excluded.cached_input_per_mtok_usd, updated_at = now()""")
        .params(providerId, model, input, output, cachedInput).update();
  }

  @Override
  public void deleteOverride(UUID providerId, String model) {
    jdbc.sql("DELETE FROM price_overrides WHERE provider_id = ? AND model = ?").params(providerId, model).update();
  }

  @Override
  public void deleteOverridesOf(UUID providerId) {
    jdbc.sql("DELETE FROM price_overrides WHERE provider_id = ?").param(providerId).update();
  }

  @Override
  public void deleteAllOverrides() {
    jdbc.sql("DELETE FROM price_overrides o USING providers p WHERE p.id = o.provider_id AND p.org_id = ?")
        .param(Organization.DEFAULT_ID).update();
  }

  private EffectivePrice map(ResultSet rs, int row) throws SQLException {
    return new EffectivePrice(rs.getObject("provider_id", UUID.class), rs.getString("provider"),
        rs.getString("provider_type"), rs.getString("model"), rs.getBigDecimal("input_per_mtok_usd"),
        rs.getBigDecimal("output_per_mtok_usd"), rs.getBigDecimal("cached_input_per_mtok_usd"),
        rs.getString("source"));
  }
}
