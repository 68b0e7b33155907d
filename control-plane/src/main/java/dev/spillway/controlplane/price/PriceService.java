package dev.spillway.controlplane.price;

import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Fields;
import dev.spillway.controlplane.configversion.ConfigVersions;
import dev.spillway.controlplane.provider.Provider;
import dev.spillway.controlplane.provider.ProviderRepository;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Effective prices (built-in per provider type, overridden per provider model) and the admin's overrides.
 *
 * <p>At start the shipped table is written into {@code builtin_prices} before the first snapshot is built, and only
 * when it differs from what is stored: a restart bumps no version, a new release with new prices bumps one.
 */
@Service
public class PriceService implements InitializingBean {
  private static final Logger log = LoggerFactory.getLogger(PriceService.class);
  private static final BigDecimal MAX_PRICE = new BigDecimal("999999.999999");

  public record PriceRequest(BigDecimal inputPerMtokUsd, BigDecimal outputPerMtokUsd,
      BigDecimal cachedInputPerMtokUsd) {}

  private final PriceRepository prices;
  private final ProviderRepository providers;
  private final ConfigVersions versions;
  private final AuditLog audit;
  private final TransactionTemplate tx;

  public PriceService(PriceRepository prices, ProviderRepository providers, ConfigVersions versions, AuditLog audit,
      PlatformTransactionManager txManager) {
    this.prices = prices;
    this.providers = providers;
    this.versions = versions;
    this.audit = audit;
    this.tx = new TransactionTemplate(txManager);
  }

  @Override
  public void afterPropertiesSet() {
    List<BuiltinPrice> shipped = BuiltinPriceTable.load();
    tx.executeWithoutResult(status -> {
      versions.lock();
      if (same(prices.builtins(), shipped)) {
        return;
      }
      prices.replaceBuiltins(shipped);
      long version = versions.bump();
      audit.record("price.builtin_update", "price", null, null, Map.of("builtin_prices", shipped.size()), version);
      log.info("built-in price table updated: {} prices", shipped.size());
    });
  }

  private static boolean same(List<BuiltinPrice> stored, List<BuiltinPrice> shipped) {
    if (stored.size() != shipped.size()) {
      return false;
    }
    Map<String, BuiltinPrice> byKey = new java.util.HashMap<>();
    stored.forEach(p -> byKey.put(p.providerType() + "/" + p.model(), p));
    for (BuiltinPrice p : shipped) {
      BuiltinPrice s = byKey.get(p.providerType() + "/" + p.model());
      if (s == null || !equal(s.inputPerMtokUsd(), p.inputPerMtokUsd())
          || !equal(s.outputPerMtokUsd(), p.outputPerMtokUsd())
          || !equal(s.cachedInputPerMtokUsd(), p.cachedInputPerMtokUsd())) {
        return false;
      }
    }
    return true;
  }

  private static boolean equal(BigDecimal a, BigDecimal b) {
    return a == null ? b == null : b != null && a.compareTo(b) == 0;
  }

  @Transactional(readOnly = true)
  public List<EffectivePrice> list(String providerName) {
    if (providerName == null) {
      return prices.effective(null);
    }
    Provider provider = providers.findByName(providerName)
        .orElseThrow(() -> ApiException.invalid("provider", "unknown provider '" + providerName + "'"));
    return prices.effective(provider.id());
  }

  @Transactional
  public EffectivePrice override(String providerName, String model, PriceRequest request) {
    Provider provider = provider(providerName);
    String validModel = Fields.requireName("model", model, 200);
    BigDecimal input = price("input_per_mtok_usd", request.inputPerMtokUsd(), true);
    BigDecimal output = price("output_per_mtok_usd", request.outputPerMtokUsd(), true);
    BigDecimal cached = price("cached_input_per_mtok_usd", request.cachedInputPerMtokUsd(), false);
    EffectivePrice before = prices.override(provider.id(), validModel).orElse(null);
    prices.putOverride(provider.id(), validModel, input, output, cached);
    EffectivePrice after = prices.override(provider.id(), validModel).orElseThrow();
    if (before != null && Objects.equals(view(before), view(after))) {
      return after;
    }
    long version = versions.bump();
    audit.record("price.override", "price", provider.name() + "/" + validModel,
        before == null ? null : view(before), view(after), version);
    return after;
  }

  @Transactional
  public void removeOverride(String providerName, String model) {
    Provider provider = provider(providerName);
    EffectivePrice before = prices.override(provider.id(), model)
        .orElseThrow(() -> ApiException.notFound("price override", providerName + "/" + model));
    prices.deleteOverride(provider.id(), model);
    long version = versions.bump();
    audit.record("price.reset", "price", provider.name() + "/" + model, view(before), null, version);
  }

  private Provider provider(String name) {
    return providers.findByName(name).orElseThrow(() -> ApiException.notFound("provider", name));
  }

  static BigDecimal price(String field, BigDecimal value, boolean required) {
    if (value == null) {
      if (required) {
        throw ApiException.invalid(field, "is required (USD per million tokens)");
      }
      return null;
    }
    if (value.signum() < 0) {
      throw ApiException.invalid(field, "must be >= 0 (got " + value.toPlainString() + ")");
    }
    if (value.compareTo(MAX_PRICE) > 0) {
      throw ApiException.invalid(field, "must be <= " + MAX_PRICE.toPlainString());
    }
    if (value.stripTrailingZeros().scale() > 6) {
      throw ApiException.invalid(field, "has more than 6 decimal places");
    }
    return value;
  }

  private static Map<String, Object> view(EffectivePrice p) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("input_per_mtok_usd", plain(p.inputPerMtokUsd()));
    view.put("output_per_mtok_usd", plain(p.outputPerMtokUsd()));
    view.put("cached_input_per_mtok_usd", plain(p.cachedInputPerMtokUsd()));
    return view;
  }

  private static String plain(BigDecimal value) {
    return value == null ? null : value.stripTrailingZeros().toPlainString();
  }
}
