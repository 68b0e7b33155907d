package dev.spillway.controlplane.price.web;

import dev.spillway.controlplane.price.EffectivePrice;
import dev.spillway.controlplane.price.PriceService;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /api/v1/prices}: what each provider model costs. {@code {model}} may contain slashes (upstream names such
 * as {@code meta-llama/Llama-3-70b} on an OpenAI-compatible provider), so it takes the rest of the path.
 */
@RestController
@RequestMapping("/api/v1/prices")
class PriceApiController {
  private final PriceService prices;

  PriceApiController(PriceService prices) {
    this.prices = prices;
  }

  record PriceBody(BigDecimal inputPerMtokUsd, BigDecimal outputPerMtokUsd, BigDecimal cachedInputPerMtokUsd) {}

  record PriceResponse(UUID providerId, String provider, String providerType, String model,
      BigDecimal inputPerMtokUsd, BigDecimal outputPerMtokUsd, BigDecimal cachedInputPerMtokUsd, String source) {
    static PriceResponse of(EffectivePrice p) {
      return new PriceResponse(p.providerId(), p.provider(), p.providerType(), p.model(), plain(p.inputPerMtokUsd()),
          plain(p.outputPerMtokUsd()), plain(p.cachedInputPerMtokUsd()), p.source());
    }

    private static BigDecimal plain(BigDecimal value) {
      return value == null ? null : value.signum() == 0 ? BigDecimal.ZERO : value.stripTrailingZeros();
    }
  }

  @GetMapping
  Map<String, List<PriceResponse>> list(@RequestParam(required = false) String provider) {
    return Map.of("data", prices.list(provider).stream().map(PriceResponse::of).toList());
  }

  @PutMapping("/{provider}/{*model}")
  PriceResponse put(@PathVariable String provider, @PathVariable String model, @RequestBody PriceBody body) {
    return PriceResponse.of(prices.override(provider, stripSlash(model), new PriceService.PriceRequest(
        body.inputPerMtokUsd(), body.outputPerMtokUsd(), body.cachedInputPerMtokUsd())));
  }

  @DeleteMapping("/{provider}/{*model}")
  ResponseEntity<Void> delete(@PathVariable String provider, @PathVariable String model) {
    prices.removeOverride(provider, stripSlash(model));
    return ResponseEntity.noContent().build();
  }

  private static String stripSlash(String model) {
    return model.startsWith("/") ? model.substring(1) : model;
  }
}
